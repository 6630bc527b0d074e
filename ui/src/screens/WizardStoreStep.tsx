/**
 * The first-run wizard's last, optional step: does this register share a store server with the
 * store's other registers? "This register works on its own" is chosen to begin with, so one click
 * starts Stateline without asking the store server anything. Joining uses the same form as
 * Settings › Store server (`StoreJoinForm`: errors by code, the password cleared after every
 * attempt and never shown); a refusal keeps the step open, a join shows the store and its
 * registers for a moment and then starts Stateline (at once with "Start Stateline").
 */
import { useEffect, useRef, useState } from "react";
import type { StoreOverviewView } from "../api";
import { Button } from "../ui/Button";
import { Note } from "../ui/Note";
import { StoreJoinForm } from "./StoreJoinForm";

/** How long the store just joined stays on screen before the register opens. */
export const JOINED_PAUSE_MS = 4000;

type Choice = "alone" | "join";

export function WizardStoreStep({ onDone }: { onDone: () => void }) {
  const [choice, setChoice] = useState<Choice>("alone");
  const [joined, setJoined] = useState<StoreOverviewView | null>(null);
  const done = useRef(onDone);
  useEffect(() => {
    done.current = onDone;
  }, [onDone]);
  useEffect(() => {
    if (joined === null) return;
    const timer = setTimeout(() => done.current(), JOINED_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [joined]);

  if (joined !== null) {
    const membership = joined.membership;
    const registers = joined.server?.registers ?? [];
    return (
      <div className="stack" data-testid="wizard-step-store" data-joined="true">
        <h2>Store server</h2>
        <Note tone="ok" testId="wizard-store-joined">
          {membership === null ? (
            "This register joined the store."
          ) : (
            <>
              This register is <strong>{membership.register_name}</strong> in the store <strong>{membership.database}</strong> at {membership.host}:{membership.port}.
            </>
          )}
        </Note>
        {registers.length > 0 && (
          <div className="stack">
            <p>The store's registers:</p>
            <ul data-testid="wizard-store-registers">
              {registers.map((r) => (
                <li key={r.id}>
                  {r.name}
                  {r.this_register && " (this register)"}
                </li>
              ))}
            </ul>
          </div>
        )}
        <p className="muted">The register opens in a moment.</p>
        <Button look="primary" large autoFocus onClick={onDone} data-testid="wizard-finish">
          Start Stateline
        </Button>
      </div>
    );
  }

  return (
    <div className="stack" data-testid="wizard-step-store" data-joined="false">
      <h2>Store server</h2>
      <p>
        Does this register share a store server with the store's other registers? Selling never waits on the store server, and a manager can join later in Settings › Store
        server.
      </p>
      <div role="radiogroup" aria-label="Store server" className="stack">
        <label className="checkbox">
          <input type="radio" name="wizard-store" checked={choice === "alone"} onChange={() => setChoice("alone")} data-testid="wizard-store-alone" />
          This register works on its own
        </label>
        <label className="checkbox">
          <input type="radio" name="wizard-store" checked={choice === "join"} onChange={() => setChoice("join")} data-testid="wizard-store-join" />
          Join the store's server
        </label>
      </div>
      {choice === "alone" ? (
        <Button look="primary" large onClick={onDone} data-testid="wizard-finish">
          Start Stateline
        </Button>
      ) : (
        <StoreJoinForm
          intro={<p className="muted">Enter what the store's administrator gave you: the store server (PostgreSQL) and a name for this register in the store.</p>}
          onJoined={setJoined}
        />
      )}
    </div>
  );
}
