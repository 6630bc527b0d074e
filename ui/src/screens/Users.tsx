/**
 * Users (manager): everyone who may log in, whether they are locked out, adding a user with a role
 * and a first PIN, and resetting a PIN (which also unlocks). PIN fields empty after every submit.
 */
import { useState } from "react";
import type { FormEvent } from "react";
import type { Role } from "../api";
import { useAction, useBackend, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";

export function Users() {
  const facilityTime = useFacilityTime();
  const backend = useBackend();
  const users = useLoad((b) => b.listUsers(), []);
  const add = useAction();
  const reset = useAction();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("budtender");
  const [pin, setPin] = useState("");
  const [resetting, setResetting] = useState<string | null>(null);
  const [newPin, setNewPin] = useState("");
  const [done, setDone] = useState<string | null>(null);

  async function submitAdd(e: FormEvent) {
    e.preventDefault();
    const typed = pin;
    setPin("");
    if (await add.attempt(() => backend.addUser({ name: name.trim(), role, pin: typed }))) {
      setDone(`${name.trim()} can now log in.`);
      setName("");
      users.reload();
    }
  }

  async function submitReset(e: FormEvent) {
    e.preventDefault();
    if (resetting === null) return;
    const typed = newPin;
    setNewPin("");
    if (await reset.attempt(() => backend.resetPin({ name: resetting, pin: typed }))) {
      setDone(`${resetting}'s PIN is reset and the account is unlocked.`);
      setResetting(null);
      users.reload();
    }
  }

  return (
    <div className="stack">
      <section className="stack">
        <h2>Users</h2>
        <ErrorNote error={users.error} />
        {done !== null && <Note tone="ok" testId="users-done">{done}</Note>}
        <table className="grid" data-testid="users-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>State</th>
              <th>PIN set</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((u) => (
              <tr key={u.name} data-testid={`user-row-${u.name}`}>
                <td>{u.name}</td>
                <td>{u.role}</td>
                <td>{u.disabled ? "disabled" : u.locked ? "locked (too many wrong PINs)" : "active"}</td>
                <td>{facilityTime(u.pin_changed_at)}</td>
                <td>
                  <Button onClick={() => setResetting(u.name)} data-testid={`user-reset-${u.name}`}>
                    Reset PIN
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {resetting !== null && (
        <form className="panel stack" onSubmit={submitReset} data-testid="reset-pin-form">
          <h3>New PIN for {resetting}</h3>
          <TextField label="New PIN" type="password" inputMode="numeric" autoComplete="off" value={newPin} onChange={(e) => setNewPin(e.target.value)} data-testid="reset-pin-input" />
          <ErrorNote error={reset.error} testId="reset-pin-error" />
          <div className="row">
            <Button look="primary" type="submit" disabled={reset.busy || newPin === ""} data-testid="reset-pin-save">
              Reset PIN
            </Button>
            <Button onClick={() => setResetting(null)}>Cancel</Button>
          </div>
        </form>
      )}
      <form className="panel stack" onSubmit={submitAdd} data-testid="add-user-form">
        <h3>Add a user</h3>
        <div className="row">
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} data-testid="add-user-name" />
          <SelectField
            label="Role"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            choices={[
              { value: "budtender", label: "Budtender" },
              { value: "manager", label: "Manager" },
            ]}
            data-testid="add-user-role"
          />
          <TextField label="First PIN" type="password" inputMode="numeric" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value)} data-testid="add-user-pin" />
          <Button look="primary" type="submit" disabled={add.busy || name.trim() === "" || pin === ""} data-testid="add-user-save">
            Add user
          </Button>
        </div>
        <ErrorNote error={add.error} testId="add-user-error" />
      </form>
    </div>
  );
}
