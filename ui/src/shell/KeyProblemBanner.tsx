/**
 * Asks the logged-in user for a new Metrc key when the delivery status says Metrc refused theirs
 * (a key revoked mid-shift): their records wait, everyone else's keep flowing. The banner opens a
 * key entry in place, so the register stays on screen; it goes away once the status no longer
 * names this user.
 */
import { useState } from "react";
import type { SyncStatus } from "../api";
import { useAppState, useSession } from "../context";
import { KeyEntry } from "../keys/KeyEntry";
import { Button } from "../ui/Button";

/** The status's words about this user's key, or `null` when their key is fine. */
export function myKeyProblem(status: SyncStatus | null, user: string): string | null {
  return status?.users.find((u) => u.user === user && u.key_problem !== null)?.key_problem ?? null;
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

export function KeyProblemBanner({ status }: { status: SyncStatus | null }) {
  const session = useSession();
  const app = useAppState();
  const [open, setOpen] = useState(false);
  const problem = myKeyProblem(status, session.user);
  if (problem === null || app.key_mode === "facility") return null;
  return (
    <div className="note note-warn stack" role="alert" data-testid="key-problem-banner">
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <span>
          <strong>Your Metrc key needs replacing.</strong> {sentence(problem)} Your sales are kept and wait for the new key.
        </span>
        {!open && (
          <Button look="primary" onClick={() => setOpen(true)} data-testid="key-problem-fix">
            Paste a new key
          </Button>
        )}
      </div>
      {open && (
        <KeyEntry
          owner={{ kind: "user", user: session.user }}
          label="Your new Metrc API key"
          canValidate={false}
          testIdPrefix="key-problem"
        />
      )}
    </div>
  );
}
