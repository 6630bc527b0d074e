/**
 * A new integration's token, shown once: the token in a read-only field with a Copy button and a
 * plain warning that it will not be shown again. The token lives only in this component's props
 * (the screen drops it on "Done" or when it is left); nothing stores or logs it.
 */
import { useRef, useState } from "react";
import type { CreatedIntegrationView } from "../api";
import { Button } from "../ui/Button";
import { Note } from "../ui/Note";

export function IntegrationToken({ created, onDone }: { created: CreatedIntegrationView; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied("yes");
    } catch {
      // No clipboard access here: select it so Ctrl+C copies it.
      field.current?.focus();
      field.current?.select();
      setCopied("select");
    }
  }

  return (
    <section className="panel stack" data-testid="integration-created" aria-labelledby="integration-created-title">
      <h3 id="integration-created-title">Token for {created.integration.name}</h3>
      <Note tone="warn" testId="integration-token-warning">
        <strong>Copy this token now: you will not see it again.</strong> Stateline keeps only a fingerprint of it. Enter it in the POS as its bearer token; if it is lost, revoke
        this integration and create a new one.
      </Note>
      <div className="row" style={{ alignItems: "center" }}>
        <input
          ref={field}
          className="token-field id"
          readOnly
          value={created.token}
          aria-label={`Token for ${created.integration.name}`}
          onFocus={(e) => e.target.select()}
          data-testid="integration-token"
        />
        <Button look="primary" onClick={() => void copy()} data-testid="integration-token-copy">
          Copy
        </Button>
        <Button onClick={onDone} data-testid="integration-token-done">
          Done, it is saved
        </Button>
      </div>
      {copied === "yes" && (
        <Note tone="ok" testId="integration-token-copied">
          Copied. Paste it into the POS now.
        </Note>
      )}
      {copied === "select" && (
        <Note tone="info" testId="integration-token-copied">
          The token is selected: press Ctrl+C to copy it.
        </Note>
      )}
    </section>
  );
}
