/**
 * Settings › Store server (manager): joins this register to a store (the store server's host,
 * port, database, user and password, and this register's name in the store) or takes it out.
 * The password is write-only: sent once, never shown, and the field is cleared after every
 * attempt. A refusal is shown by its code (a heading per code) with the backend's message; leaving
 * asks first, and when the server refused because records have not reached the store
 * (`store_records_not_pushed`) it offers "Leave anyway".
 */
import { useState } from "react";
import type { FormEvent } from "react";
import type { AppError, StoreMembershipView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { Note } from "../ui/Note";

/** What each join or leave refusal means, by code. */
const HEADINGS: Record<string, string> = {
  store_server_login_refused: "The store server refused the user or password.",
  store_server_unreachable: "The store server did not answer.",
  invalid_store_server: "A setting is missing or not right.",
  store_schema_too_new: "This register's Stateline is older than the store server.",
  store_in_another_store: "This register belongs to another store.",
  store_records_not_pushed: "Records of this register have not reached the store yet.",
  not_allowed: "Only a manager may do this.",
};

function StoreError({ error, testId }: { error: AppError | null; testId: string }) {
  if (error === null) return null;
  const heading = HEADINGS[error.code] ?? (error.code.startsWith("keychain_") ? "The password could not be kept in the keychain." : null);
  return (
    <div className="note note-error stack" role="alert" data-testid={testId} data-code={error.code}>
      {heading !== null && <strong data-testid={`${testId}-heading`}>{heading}</strong>}
      <span>{error.message}</span>
    </div>
  );
}

export function StoreSettings() {
  const loaded = useLoad((b) => b.storeOverview(), [], ["store_changed"]);
  const overview = loaded.data;
  return (
    <div className="panel stack" data-testid="settings-store">
      <h3>Store server</h3>
      {overview === null ? (
        <StoreError error={loaded.error} testId="store-settings-error" />
      ) : overview.joined && overview.membership !== null ? (
        <Membership membership={overview.membership} onLeft={loaded.reload} />
      ) : (
        <JoinForm onJoined={loaded.reload} />
      )}
    </div>
  );
}

function JoinForm({ onJoined }: { onJoined: () => void }) {
  const backend = useBackend();
  const join = useAction();
  const [host, setHost] = useState("");
  const [port, setPort] = useState("5432");
  const [database, setDatabase] = useState("");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const secret = password;
    setPassword("");
    const joined = await join.act(() =>
      backend.storeJoin({ host, port: Number(port.replace(/\D/g, "")) || 0, database, user, password: secret, register_name: name }),
    );
    if (joined !== undefined) onJoined();
  }

  return (
    <form className="stack" onSubmit={submit} data-testid="store-join-form">
      <p className="muted">
        This register is on its own. To share one store server (PostgreSQL) with the store's other registers, enter what the store's administrator gave you. Selling never waits on
        the store server.
      </p>
      <div className="row">
        <TextField label="Host" value={host} onChange={(e) => setHost(e.target.value)} autoComplete="off" data-testid="store-host" />
        <TextField label="Port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value.replace(/\D/g, ""))} size={6} data-testid="store-port" />
        <TextField label="Database" value={database} onChange={(e) => setDatabase(e.target.value)} autoComplete="off" data-testid="store-database" />
      </div>
      <div className="row">
        <TextField label="User" value={user} onChange={(e) => setUser(e.target.value)} autoComplete="off" data-testid="store-user" />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint="Kept in this computer's keychain, never shown again."
          data-testid="store-password"
        />
        <TextField label="This register's name" placeholder="Register 2" value={name} onChange={(e) => setName(e.target.value)} data-testid="store-register-name" />
      </div>
      <StoreError error={join.error} testId="store-join-error" />
      <div>
        <Button look="primary" type="submit" disabled={join.busy} data-testid="store-join">
          {join.busy ? "Joining…" : "Join the store"}
        </Button>
      </div>
    </form>
  );
}

function Membership({ membership, onLeft }: { membership: StoreMembershipView; onLeft: () => void }) {
  const backend = useBackend();
  const leave = useAction();
  const [confirming, setConfirming] = useState(false);

  async function go(force: boolean) {
    setConfirming(false);
    const left = await leave.act(() => backend.storeLeave({ force }));
    if (left !== undefined) onLeft();
  }

  const stranded = leave.error?.code === "store_records_not_pushed";
  return (
    <div className="stack" data-testid="store-membership">
      <p>
        This register is <strong>{membership.register_name}</strong> in the store at {membership.host}:{membership.port}/{membership.database} (user {membership.user}).
      </p>
      <StoreError error={leave.error} testId="store-leave-error" />
      <div className="row">
        <Button look="danger" disabled={leave.busy} onClick={() => setConfirming(true)} data-testid="store-leave">
          Leave the store
        </Button>
        {stranded && (
          <Button look="danger" disabled={leave.busy} onClick={() => void go(true)} data-testid="store-leave-anyway">
            Leave anyway
          </Button>
        )}
      </div>
      {stranded && (
        <Note tone="info" testId="store-leave-anyway-note">
          Leaving anyway keeps those records on this register; they still go to Metrc from here, but the store will not see them.
        </Note>
      )}
      {confirming && (
        <Dialog title="Leave the store?" confirmLabel="Leave the store" danger onConfirm={() => void go(false)} onCancel={() => setConfirming(false)} testId="store-leave-dialog">
          <p>
            {membership.register_name} syncs with the store a last time, then sells on its own. Its records stay here and still go to Metrc; the other registers' copies are
            forgotten.
          </p>
        </Dialog>
      )}
    </div>
  );
}
