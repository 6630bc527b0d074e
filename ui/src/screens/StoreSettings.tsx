/**
 * Settings › Store server (manager): joins this register to a store (the store server's host,
 * port, database, user and password, and this register's name in the store, in `StoreJoinForm`,
 * which the first-run wizard shares) or takes it out.
 * The password is write-only: sent once, never shown, and the field is cleared after every
 * attempt. A refusal is shown by its code (a heading per code) with the backend's message; leaving
 * asks first, and when the server refused because records have not reached the store
 * (`store_records_not_pushed`) it offers "Leave anyway".
 */
import { useState } from "react";
import type { StoreMembershipView } from "../api";
import { useAction, useBackend, useLoad } from "../context";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { Note } from "../ui/Note";
import { StoreError, StoreJoinForm } from "./StoreJoinForm";

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
        <StoreJoinForm
          intro={
            <p className="muted">
              This register is on its own. To share one store server (PostgreSQL) with the store's other registers, enter what the store's administrator gave you. Selling never waits
              on the store server.
            </p>
          }
          onJoined={loaded.reload}
        />
      )}
    </div>
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
        This register is <strong>{membership.register_name}</strong> in the store at {membership.host}:{membership.port}/{membership.database} (user {membership.user}); the connection is <span data-testid="store-tls-state">{membership.tls}</span>.
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
