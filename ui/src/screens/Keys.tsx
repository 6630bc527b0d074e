/**
 * Keys: your own Metrc key (set, test, clear) and, with the permissions for it, every user's key,
 * the facility key, the key mode (individual keys or one facility key) and the audited override
 * that sends a user's waiting records under the facility key. Keys are write-only: the screen
 * shows at most the last four characters, and key fields empty themselves on save.
 */
import { useState } from "react";
import type { AppState, KeyInfoView, KeyMode, KeyOwnerRef, KeyValidationView } from "../api";
import { useAction, useAppState, useBackend, useCan, useFacilityTime, useLoad, useSession, useStatus } from "../context";
import { maskedKey } from "../format";
import { KeyEntry } from "../keys/KeyEntry";
import { MatrixTable } from "../keys/MatrixTable";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { TextArea } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";

export function ownerName(owner: KeyOwnerRef): string {
  return owner.kind === "facility" ? "Facility key" : owner.user;
}

export function Keys({ onState }: { onState: (state: AppState) => void }) {
  const can = useCan();
  const keys = useLoad((b) => b.keyOverview(), [], ["keys_changed"]);
  return (
    <div className="stack">
      <ErrorNote error={keys.error} />
      <MyKey keys={keys.data} reload={keys.reload} />
      {can("choose_key_mode") && <KeyModeSection onState={onState} />}
      {(can("set_other_keys") || can("validate_any_key")) && <OtherKeys keys={keys.data ?? []} reload={keys.reload} />}
    </div>
  );
}

/** One key's saved state. `loaded` false: the key list has not arrived yet, so nothing is claimed. */
function KeyStatusLine({ info, loaded, testId }: { info: KeyInfoView | undefined; loaded: boolean; testId: string }) {
  const facilityTime = useFacilityTime();
  if (!loaded) {
    return (
      <p data-testid={testId} data-state="loading">
        Saved key: checking…
      </p>
    );
  }
  return (
    <p data-testid={testId} data-state="loaded" data-last-four={info?.last_four ?? ""}>
      Saved key: <strong>{maskedKey(info?.last_four)}</strong>
      {info?.last_verdict != null && (
        <>
          {" "}
          · last check: {info.last_verdict.replace(/_/g, " ")} ({facilityTime(info.last_checked_at)})
        </>
      )}
    </p>
  );
}

function MyKey({ keys, reload }: { keys: KeyInfoView[] | null; reload: () => void }) {
  const session = useSession();
  const backend = useBackend();
  const owner: KeyOwnerRef = { kind: "user", user: session.user };
  const mine = keys?.find((k) => k.owner.kind === "user" && k.owner.user === session.user);
  const clear = useAction();
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="panel stack" data-testid="my-key">
      <h2>My Metrc key</h2>
      <KeyStatusLine info={mine} loaded={keys !== null} testId="my-key-status" />
      <KeyEntry owner={owner} label="Paste a new key" onSaved={reload} testIdPrefix="key" />
      <ErrorNote error={clear.error} />
      {mine?.last_four != null && (
        <div>
          <Button look="danger" disabled={clear.busy} onClick={() => setConfirming(true)} data-testid="key-clear">
            Remove my key from this register
          </Button>
        </div>
      )}
      {confirming && (
        <Dialog
          title="Remove your key?"
          confirmLabel="Remove it"
          danger
          testId="key-clear-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            setConfirming(false);
            if (await clear.attempt(() => backend.clearKey({ owner }))) reload();
          }}
        >
          <p>Your sales keep being recorded, but they wait until you paste a key again.</p>
        </Dialog>
      )}
    </section>
  );
}

const MODE_LABELS: Record<KeyMode, string> = {
  individual: "Individual keys: each record is sent under the key of the person who made it",
  facility: "Facility key: every record is sent under one key; who made it is kept here",
};

function KeyModeSection({ onState }: { onState: (state: AppState) => void }) {
  const backend = useBackend();
  const app = useAppState();
  const change = useAction();
  const [confirming, setConfirming] = useState<KeyMode | null>(null);
  return (
    <section className="panel stack" data-testid="key-mode" data-mode={app.key_mode}>
      <h2>How records are sent</h2>
      <ErrorNote error={change.error} testId="key-mode-error" />
      <div role="radiogroup" aria-label="Key mode" className="stack">
        {(["individual", "facility"] as const).map((m) => (
          <label className="checkbox" key={m}>
            <input
              type="radio"
              name="key-mode"
              checked={app.key_mode === m}
              onChange={() => setConfirming(m)}
              data-testid={`key-mode-${m}`}
            />
            {MODE_LABELS[m]}
          </label>
        ))}
      </div>
      {confirming !== null && (
        <Dialog
          title="Change how records are sent?"
          confirmLabel="Change it"
          testId="key-mode-dialog"
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            const mode = confirming;
            setConfirming(null);
            const next = await change.act(() => backend.setKeyMode({ mode }));
            if (next !== undefined) onState(next);
          }}
        >
          <p>{MODE_LABELS[confirming]}. The change is recorded in the audit log.</p>
        </Dialog>
      )}
    </section>
  );
}

function OtherKeys({ keys, reload }: { keys: KeyInfoView[]; reload: () => void }) {
  const facilityTime = useFacilityTime();
  const backend = useBackend();
  const session = useSession();
  const can = useCan();
  const status = useStatus();
  const settings = useLoad((b) => b.getSettings(), []);
  const [editing, setEditing] = useState<KeyOwnerRef | null>(null);
  const [validation, setValidation] = useState<KeyValidationView | null>(null);
  const [override, setOverride] = useState<string | null>(null);
  const [overrideReason, setOverrideReason] = useState("");
  const [overrideDone, setOverrideDone] = useState<string | null>(null);
  const action = useAction();
  const troubled = new Set((status?.users ?? []).filter((u) => u.key_problem !== null).map((u) => u.user));
  const others = keys.filter((k) => k.owner.kind === "facility" || k.owner.user !== session.user);
  if (!others.some((k) => k.owner.kind === "facility")) {
    others.unshift({ owner: { kind: "facility" }, last_four: null, saved_at: null, last_verdict: null, last_checked_at: null });
  }
  const mayOverride = can("send_under_facility_key") && settings.data?.allow_facility_override === true;

  return (
    <section className="panel stack" data-testid="user-keys">
      <h2>Users' keys and the facility key</h2>
      <ErrorNote error={action.error} testId="user-keys-error" />
      {overrideDone !== null && <Note tone="ok" testId="override-done">{overrideDone}</Note>}
      <table className="grid">
        <thead>
          <tr>
            <th>Whose</th>
            <th>Key</th>
            <th>Last check</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {others.map((k) => {
            const name = ownerName(k.owner);
            const id = k.owner.kind === "facility" ? "facility" : k.owner.user;
            const user = k.owner.kind === "user" ? k.owner.user : null;
            return (
              <tr key={id} data-testid={`user-key-row-${id}`}>
                <td>
                  {name}
                  {user !== null && troubled.has(user) && <div className="cell-not_allowed">records waiting for a key</div>}
                </td>
                <td data-testid={`user-key-last-four-${id}`}>{maskedKey(k.last_four)}</td>
                <td>
                  {k.last_verdict?.replace(/_/g, " ") ?? "never"}{" "}
                  {k.last_checked_at !== null && <span className="muted">({facilityTime(k.last_checked_at)})</span>}
                </td>
                <td>
                  <div className="row">
                    {can("set_other_keys") && (
                      <Button onClick={() => setEditing(k.owner)} data-testid={`user-key-set-${id}`}>
                        Set key
                      </Button>
                    )}
                    {can("validate_any_key") && (
                      <Button
                        disabled={action.busy || k.last_four === null}
                        onClick={async () => {
                          const v = await action.act(() => backend.validateKey({ owner: k.owner }));
                          if (v !== undefined) setValidation(v);
                        }}
                        data-testid={`user-key-validate-${id}`}
                      >
                        Validate
                      </Button>
                    )}
                    {can("set_other_keys") && (
                      <Button
                        disabled={action.busy || k.last_four === null}
                        onClick={async () => {
                          if (await action.attempt(() => backend.clearKey({ owner: k.owner }))) reload();
                        }}
                        data-testid={`user-key-clear-${id}`}
                      >
                        Clear
                      </Button>
                    )}
                    {user !== null && mayOverride && troubled.has(user) && (
                      <Button look="danger" onClick={() => setOverride(user)} data-testid={`user-key-override-${id}`}>
                        Send under facility key
                      </Button>
                    )}
                    {user !== null && !mayOverride && can("send_under_facility_key") && troubled.has(user) && (
                      <span className="muted" data-testid={`user-key-override-off-${id}`}>
                        Sending under the facility key is switched off in Settings.
                      </span>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing !== null && (
        <KeyEntry
          key={ownerName(editing)}
          owner={editing}
          label={`New key for ${ownerName(editing)}`}
          testIdPrefix="user-key"
          onSaved={reload}
        />
      )}
      {validation !== null && <MatrixTable validation={validation} />}
      {override !== null && (
        <Dialog
          title={`Send ${override}'s records under the facility key?`}
          confirmLabel="Send under facility key"
          danger
          confirmDisabled={overrideReason.trim() === ""}
          testId="override-dialog"
          onCancel={() => setOverride(null)}
          onConfirm={async () => {
            const user = override;
            const reason = overrideReason.trim();
            setOverride(null);
            setOverrideReason("");
            const released = await action.act(() => backend.sendUnderFacilityKey({ user, reason }));
            if (released !== undefined) setOverrideDone(`${released} of ${user}'s records will be sent under the facility key.`);
          }}
        >
          <p>
            Their waiting records will reach Metrc under the facility key instead of their own. This is recorded in the audit log
            under your name, with your reason.
          </p>
          <TextArea label="Reason (required)" value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} data-testid="override-reason" />
        </Dialog>
      )}
    </section>
  );
}
