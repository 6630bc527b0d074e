/**
 * Joining this register to a store, shared by Settings › Store server and the first-run wizard's
 * store step: the store server's host, port (5432 unless changed), database, user and password,
 * and this register's name in the store, and whether to encrypt the connection (TLS, the server's
 * certificate checked against the store's CA file, or the public roots when none is given), sent
 * as one `store_join`. The password is write-only:
 * sent once, never shown, and the field is cleared after every attempt, whatever the outcome. A
 * refusal is shown by its code (a heading per code) with the backend's message, and the form stays
 * as typed (but for the password) so the manager can correct it.
 */
import { useState } from "react";
import type { FormEvent, ReactNode } from "react";
import type { AppError, StoreOverviewView } from "../api";
import { useAction, useBackend } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";

/** What each join or leave refusal means, by code. */
const HEADINGS: Record<string, string> = {
  store_server_login_refused: "The store server refused the user or password.",
  store_server_unreachable: "The store server did not answer.",
  store_server_certificate_refused: "The store server's certificate is not trusted.",
  invalid_store_server: "A setting is missing or not right.",
  store_schema_too_new: "This register's Stateline is older than the store server.",
  store_in_another_store: "This register belongs to another store.",
  store_records_not_pushed: "Records of this register have not reached the store yet.",
  not_allowed: "Only a manager may do this.",
};

/** A store command's refusal: a heading chosen by its code (`<testId>-heading`), then its message. */
export function StoreError({ error, testId }: { error: AppError | null; testId: string }) {
  if (error === null) return null;
  const heading = HEADINGS[error.code] ?? (error.code.startsWith("keychain_") ? "The password could not be kept in the keychain." : null);
  return (
    <div className="note note-error stack" role="alert" data-testid={testId} data-code={error.code}>
      {heading !== null && <strong data-testid={`${testId}-heading`}>{heading}</strong>}
      <span>{error.message}</span>
    </div>
  );
}

/** The join form; `intro` opens it, `onJoined` gets the store as `store_join` returned it. */
export function StoreJoinForm({ intro, onJoined }: { intro: ReactNode; onJoined: (overview: StoreOverviewView) => void }) {
  const backend = useBackend();
  const join = useAction();
  const [host, setHost] = useState("");
  const [port, setPort] = useState("5432");
  const [database, setDatabase] = useState("");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [tls, setTls] = useState(false);
  const [caFile, setCaFile] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const secret = password;
    setPassword("");
    const joined = await join.act(() =>
      backend.storeJoin({ host, port: Number(port.replace(/\D/g, "")) || 0, database, user, password: secret, register_name: name, tls, ca_file: tls && caFile.trim() !== "" ? caFile : null }),
    );
    if (joined !== undefined) onJoined(joined);
  }

  return (
    <form className="stack" onSubmit={submit} data-testid="store-join-form">
      {intro}
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
      <label className="checkbox">
        <input type="checkbox" checked={tls} onChange={(e) => setTls(e.target.checked)} data-testid="store-tls" />
        Encrypt the connection (TLS) and check the store server's certificate
      </label>
      {tls && (
        <TextField
          label="CA certificate file (PEM)"
          placeholder="/etc/stateline/store-ca.pem"
          value={caFile}
          onChange={(e) => setCaFile(e.target.value)}
          hint="The store's certificate authority, or the server's own certificate. Leave empty for a certificate from a public authority."
          autoComplete="off"
          data-testid="store-ca-file"
        />
      )}
      <StoreError error={join.error} testId="store-join-error" />
      <div>
        <Button look="primary" type="submit" disabled={join.busy} data-testid="store-join">
          {join.busy ? "Joining…" : "Join the store"}
        </Button>
      </div>
    </form>
  );
}
