/**
 * Paste a Metrc key for one owner (a user or the facility), save it to the keychain and see the
 * validation matrix; or validate the saved key again. The key is write-only: the field is a
 * password field, it is emptied as soon as the save is sent, and nothing on screen ever holds more
 * than the last four characters.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import type { KeyOwnerRef, KeySavedView, KeyValidationView } from "../api";
import { useAction, useBackend } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { MatrixTable } from "./MatrixTable";

export interface KeyEntryProps {
  owner: KeyOwnerRef;
  label: string;
  onSaved?: (saved: KeySavedView) => void;
  /** Prefix of the test ids: `<prefix>-input`, `-save`, `-validate`, `-error`. */
  testIdPrefix?: string;
  /** Offer "Validate saved key" (off where no key can be saved yet). */
  canValidate?: boolean;
}

export function KeyEntry({ owner, label, onSaved, testIdPrefix = "key", canValidate = true }: KeyEntryProps) {
  const backend = useBackend();
  const [key, setKey] = useState("");
  const [validation, setValidation] = useState<KeyValidationView | null>(null);
  const [released, setReleased] = useState(0);
  const { busy, error, act } = useAction();

  async function save(e: FormEvent) {
    e.preventDefault();
    const pasted = key.trim();
    setKey("");
    if (pasted === "") return;
    const saved = await act(() => backend.setKey({ owner, key: pasted }));
    if (saved !== undefined) {
      setValidation(saved.validation);
      setReleased(saved.released);
      onSaved?.(saved);
    }
  }

  async function validate() {
    const result = await act(() => backend.validateKey({ owner }));
    if (result !== undefined) setValidation(result);
  }

  return (
    <div className="stack">
      <form className="row" onSubmit={save}>
        <div style={{ flex: 1, minWidth: "16rem" }}>
          <TextField
            label={label}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="Paste the key from Metrc"
            data-testid={`${testIdPrefix}-input`}
          />
        </div>
        <Button look="primary" type="submit" disabled={busy || key.trim() === ""} data-testid={`${testIdPrefix}-save`}>
          Save and validate
        </Button>
        {canValidate && (
          <Button onClick={() => void validate()} disabled={busy} data-testid={`${testIdPrefix}-validate`}>
            Validate saved key
          </Button>
        )}
      </form>
      {busy && <p className="muted">Asking Metrc…</p>}
      <ErrorNote error={error} testId={`${testIdPrefix}-error`} />
      {released > 0 && (
        <Note tone="ok" testId={`${testIdPrefix}-released`}>
          {released} waiting {released === 1 ? "record" : "records"} will now be sent with this key.
        </Note>
      )}
      {validation !== null && <MatrixTable validation={validation} />}
    </div>
  );
}
