/**
 * Messages to people: an error from the backend (its plain-language `message`, with its stable
 * `code` as a data attribute for tests), or a success, warning or information note.
 */
import type { ReactNode } from "react";
import type { AppError } from "../api";

export function ErrorNote({ error, testId = "error" }: { error: AppError | null; testId?: string }) {
  if (error === null) return null;
  return (
    <div className="note note-error" role="alert" data-testid={testId} data-code={error.code}>
      {error.message}
    </div>
  );
}

export function Note({
  tone,
  children,
  testId,
}: {
  tone: "ok" | "warn" | "info" | "error";
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`note note-${tone}`} role={tone === "error" ? "alert" : "status"} data-testid={testId}>
      {children}
    </div>
  );
}
