/**
 * The compliance parts of Settings (managers: `change_settings`): the default reporting deadline
 * of each state (the shipped values are assumptions until a manager sets them; each change is
 * audited by the backend; licences already bound keep their own deadline, edited above), and
 * backups — the daily time and how many to keep, "back up now", the list of backups, and the
 * command line to restore one (restoring replaces the database, so it is a manager's CLI action
 * with the app closed). Refetches on `audit_appended`.
 */
import { useEffect, useState } from "react";
import type { BackupSettingsView, StateDeadlineView } from "../api";
import { useAction, useBackend, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";

export function ComplianceSettings() {
  return (
    <div className="stack">
      <Deadlines />
      <Backups />
    </div>
  );
}

function Deadlines() {
  const list = useLoad((b) => b.stateDeadlines(), [], ["audit_appended"]);
  const [filter, setFilter] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const facilityTime = useFacilityTime();
  const shown = (list.data ?? []).filter((d) => d.state.includes(filter.trim().toUpperCase()));

  return (
    <div className="panel stack" data-testid="deadlines">
      <h3>Reporting deadlines by state</h3>
      <p className="muted">
        The default for licences added later. Values marked "assumed" were not checked against the state's current rules: check them and set them.
      </p>
      <TextField label="Find a state (two letters)" value={filter} maxLength={2} onChange={(e) => setFilter(e.target.value)} data-testid="deadlines-filter" />
      <ErrorNote error={list.error} testId="deadlines-error" />
      <table className="grid">
        <thead>
          <tr>
            <th>State</th>
            <th>Hours</th>
            <th>Set by</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((d) =>
            editing === d.state ? (
              <DeadlineEditor key={d.state} row={d} onClose={() => setEditing(null)} />
            ) : (
              <tr key={d.state} data-testid={`deadline-${d.state}`} data-assumed={d.assumed}>
                <td>{d.state}</td>
                <td>
                  {d.hours} {d.assumed && <span className="muted">(assumed)</span>}
                </td>
                <td>{d.updated_by !== null ? `${d.updated_by}, ${facilityTime(d.updated_at)}` : "—"}</td>
                <td>
                  <Button onClick={() => setEditing(d.state)} data-testid={`deadline-edit-${d.state}`}>
                    Edit
                  </Button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function DeadlineEditor({ row, onClose }: { row: StateDeadlineView; onClose: () => void }) {
  const backend = useBackend();
  const [hours, setHours] = useState(String(row.hours));
  const save = useAction();
  return (
    <tr data-testid={`deadline-${row.state}`}>
      <td>{row.state}</td>
      <td colSpan={2}>
        <input
          aria-label={`Deadline in hours for ${row.state}`}
          inputMode="numeric"
          value={hours}
          onChange={(e) => setHours(e.target.value.replace(/\D/g, ""))}
          data-testid="deadline-hours"
        />
        <ErrorNote error={save.error} testId="deadline-error" />
      </td>
      <td>
        <div className="row">
          <Button
            look="primary"
            disabled={save.busy || hours === ""}
            onClick={async () => {
              const saved = await save.act(() => backend.setStateDeadline({ state: row.state, hours: Number(hours) }));
              if (saved !== undefined) onClose();
            }}
            data-testid="deadline-save"
          >
            Save
          </Button>
          <Button onClick={onClose}>Cancel</Button>
        </div>
      </td>
    </tr>
  );
}

function Backups() {
  const backend = useBackend();
  const overview = useLoad((b) => b.backupOverview(), [], ["audit_appended"]);
  const [draft, setDraft] = useState<BackupSettingsView | null>(null);
  const save = useAction();
  const now = useAction();
  const [done, setDone] = useState<string | null>(null);
  const facilityTime = useFacilityTime();

  useEffect(() => {
    if (overview.data !== null) setDraft(overview.data.settings);
  }, [overview.data]);

  const data = overview.data;
  return (
    <div className="panel stack" data-testid="backups">
      <h3>Backups</h3>
      <ErrorNote error={overview.error} testId="backups-error" />
      {draft !== null && (
        <form
          className="row"
          onSubmit={async (e) => {
            e.preventDefault();
            setDone(null);
            const next = await save.act(() => backend.setBackupSettings({ ...draft, time_zone: draft.time_zone?.trim() || null }));
            if (next !== undefined) setDone("Backup settings saved.");
          }}
        >
          <TextField
            label="Daily backup at (HH:MM)"
            value={draft.daily_at}
            onChange={(e) => setDraft({ ...draft, daily_at: e.target.value })}
            data-testid="backup-time"
          />
          <TextField
            label="Keep the last"
            inputMode="numeric"
            value={String(draft.keep)}
            onChange={(e) => setDraft({ ...draft, keep: Number(e.target.value.replace(/\D/g, "")) })}
            data-testid="backup-keep"
          />
          <TextField
            label="Time zone (empty: this computer's)"
            value={draft.time_zone ?? ""}
            placeholder="America/Denver"
            onChange={(e) => setDraft({ ...draft, time_zone: e.target.value })}
            data-testid="backup-zone"
          />
          <Button type="submit" disabled={save.busy} data-testid="backup-settings-save">
            Save backup settings
          </Button>
        </form>
      )}
      <ErrorNote error={save.error ?? now.error} testId="backup-save-error" />
      <div className="row">
        <Button
          look="primary"
          disabled={now.busy}
          onClick={async () => {
            setDone(null);
            const taken = await now.act(() => backend.backupNow());
            if (taken !== undefined) {
              setDone(`Backup taken: ${taken.path}`);
              overview.reload();
            }
          }}
          data-testid="backup-now"
        >
          {now.busy ? "Backing up…" : "Back up now"}
        </Button>
        {data?.due === true && <span className="muted">The daily backup is due; the app takes it shortly.</span>}
      </div>
      {data?.last_failure != null && (
        <Note tone="warn" testId="backup-failure">
          The last daily backup failed ({data.last_failure}). It is tried again in a few minutes; "Back up now" tries at once.
        </Note>
      )}
      {done !== null && (
        <Note tone="ok" testId="backup-done">
          {done}
        </Note>
      )}
      {data !== null && (
        <>
          <p className="muted">
            Kept in <code>{data.folder}</code>
          </p>
          <table className="grid" data-testid="backup-list">
            <thead>
              <tr>
                <th>Taken</th>
                <th>File</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {data.backups.map((b) => (
                <tr key={b.path} data-testid="backup-row">
                  <td>{facilityTime(b.taken_at)}</td>
                  <td>
                    <code>{b.path}</code>
                  </td>
                  <td>{Math.max(1, Math.round(b.bytes / 1024))} KB</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.backups.length === 0 && <p className="muted">No backups yet.</p>}
          <div className="stack" data-testid="backup-restore">
            <h4>Restoring a backup</h4>
            <p>
              Restoring replaces the register's database, so it is done from the command line by a manager, with Stateline closed. It refuses to
              replace records not yet in Metrc unless you confirm, and keeps the replaced database aside. Replace FILE with a backup from the list
              and MANAGER with your name, then type your PIN on the first line and press Enter.
            </p>
            <code data-testid="backup-restore-command">{data.restore_command}</code>
          </div>
        </>
      )}
    </div>
  );
}
