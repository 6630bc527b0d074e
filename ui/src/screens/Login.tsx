/**
 * Login: pick your name (the last user is preselected), enter your PIN on the keypad or the
 * keyboard, Enter logs in. A wrong PIN or a locked account is explained in the backend's words.
 * `KeyPrompt` is what follows when the user has no working Metrc key (paste, save, validate, see
 * the matrix); the user may go on without one, and their sales then wait for a key.
 */
import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { AppState, LoginUser } from "../api";
import { useAction, useBackend, useLoad, useNow, useStatus } from "../context";
import { KeyEntry } from "../keys/KeyEntry";
import { StatusChip } from "../shell/StatusChip";
import { Button } from "../ui/Button";
import { Keypad } from "../ui/Keypad";
import { ErrorNote, Note } from "../ui/Note";

export function Login({ state, onState, version = null }: { state: AppState; onState: (state: AppState) => void; version?: string | null }) {
  const users = useLoad((b) => b.listLoginUsers(), []);
  const [pickedName, setPickedName] = useState<string | null>(state.last_user);
  const picked = users.data?.find((u) => u.name === pickedName) ?? null;

  return (
    <main className="centered">
      <div className="panel stack">
        <h1 id="app-title" data-testid="app-title">
          Stateline
        </h1>
        {picked === null ? (
          <>
            <h2>Who is at the register?</h2>
            <ErrorNote error={users.error} />
            <div className="stack" role="list">
              {(users.data ?? [])
                .filter((u) => !u.disabled)
                .map((u) => (
                  <Button key={u.name} large role="listitem" onClick={() => setPickedName(u.name)} data-testid={`login-user-${u.name}`}>
                    {u.name} <span className="muted">({u.role})</span>
                    {u.locked && " — locked"}
                  </Button>
                ))}
            </div>
          </>
        ) : (
          <PinEntry
            user={picked}
            onBack={() => setPickedName(null)}
            onSuccess={onState}
          />
        )}
        {state.demo && <p className="muted" data-testid="login-demo-note">Demo mode: a built-in pretend Metrc, no real data.</p>}
        {version !== null && (
          <p className="muted" data-testid="app-version">
            Version {version}
          </p>
        )}
      </div>
    </main>
  );
}

function PinEntry({ user, onBack, onSuccess }: { user: LoginUser; onBack: () => void; onSuccess: (next: AppState) => void }) {
  const backend = useBackend();
  const [pin, setPin] = useState("");
  const { busy, error, act } = useAction();
  const field = useRef<HTMLInputElement>(null);
  const locked = error?.code === "user_locked" || (error === null && user.locked);

  useEffect(() => field.current?.focus(), []);

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (pin === "" || busy) return;
    const typed = pin;
    setPin("");
    const result = await act(() => backend.login({ name: user.name, pin: typed }));
    if (result !== undefined) onSuccess(result);
    field.current?.focus();
  }

  return (
    <form className="stack" onSubmit={submit}>
      <h2>PIN for {user.name}</h2>
      <input
        ref={field}
        className="pin-dots"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        aria-label={`PIN for ${user.name}`}
        value={pin}
        onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))}
        onKeyDown={(e) => e.key === "Escape" && onBack()}
        disabled={locked}
        data-testid="pin-input"
      />
      {locked ? (
        <div data-testid="login-locked">
          <Note tone="error">{error?.message ?? `${user.name} is locked after too many wrong PINs. Ask a manager to reset the PIN.`}</Note>
        </div>
      ) : (
        <ErrorNote error={error} testId="login-error" />
      )}
      <Keypad
        disabled={busy || locked}
        onDigit={(d) => {
          setPin((p) => p + d);
          field.current?.focus();
        }}
        onBack={() => setPin((p) => p.slice(0, -1))}
        onClear={() => setPin("")}
        onEnter={() => void submit()}
      />
      <Button onClick={onBack} data-testid="login-back">
        Someone else
      </Button>
    </form>
  );
}

/** Shown right after login when the user has no working key (`SessionView.needs_key`). */
export function KeyPrompt({ user, onDone }: { user: string; onDone: () => void }) {
  const [good, setGood] = useState(false);
  const status = useStatus();
  const now = useNow(15_000);
  return (
    <main className="centered">
      <div className="panel stack" data-testid="key-prompt" style={{ width: "min(56rem, 100%)" }}>
        <div>
          <StatusChip status={status} now={now} />
        </div>
        <h2>{user}, Metrc needs your API key</h2>
        <p>
          There is no working Metrc key for you on this register (none is saved, or Metrc refused it). In Metrc, open your
          profile, copy your API key and paste it here. You can sell meanwhile; your sales wait until the key works.
        </p>
        <KeyEntry
          owner={{ kind: "user", user }}
          label="Your Metrc API key"
          canValidate={false}
          onSaved={(saved) => setGood(saved.validation.verdict.code !== "key_invalid")}
        />
        <div className="row">
          <Button look={good ? "primary" : "secondary"} large onClick={onDone} data-testid="key-prompt-continue">
            {good ? "Open the register" : "Continue without a key"}
          </Button>
        </div>
      </div>
    </main>
  );
}
