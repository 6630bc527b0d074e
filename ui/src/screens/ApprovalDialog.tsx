/**
 * A manager's approval typed at the register, for a sale the limits hold back until a manager
 * approves it (`manager_approval_needed`): the manager (one of the register's managers), their
 * PIN (write-only, emptied as soon as it is sent) and the reason for the audit log. The sale is
 * sent again with the approval by `onApprove`, which resolves to the refusal to show here
 * (a wrong PIN, say), or `null` when the dialog is done.
 */
import { useState } from "react";
import type { AppError, ApprovalRequest } from "../api";
import { useLoad } from "../context";
import { Dialog } from "../ui/Dialog";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";

export function ApprovalDialog({ why, onApprove, onCancel }: { why: string; onApprove: (approval: ApprovalRequest) => Promise<AppError | null>; onCancel: () => void }) {
  const users = useLoad((b) => b.listLoginUsers(), []);
  const managers = (users.data ?? []).filter((u) => u.role === "manager" && !u.disabled);
  const [manager, setManager] = useState("");
  const [pin, setPin] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const chosen = manager !== "" ? manager : (managers[0]?.name ?? "");
  const ready = chosen.trim() !== "" && pin !== "" && reason.trim() !== "" && !busy;

  async function approve() {
    if (!ready) return;
    const approval = { manager: chosen.trim(), pin, reason: reason.trim() };
    setPin("");
    setBusy(true);
    setError(null);
    const refused = await onApprove(approval);
    setBusy(false);
    setError(refused);
  }

  return (
    <Dialog title="A manager's approval" confirmLabel="Approve and complete" confirmDisabled={!ready} testId="approval-dialog" onConfirm={() => void approve()} onCancel={onCancel}>
      <p className="muted">{why}</p>
      {managers.length > 0 ? (
        <SelectField
          label="Manager"
          value={chosen}
          onChange={(e) => setManager(e.target.value)}
          choices={managers.map((m) => ({ value: m.name, label: m.name }))}
          data-testid="approval-manager"
        />
      ) : (
        <TextField label="Manager" value={manager} autoComplete="off" onChange={(e) => setManager(e.target.value)} data-testid="approval-manager" />
      )}
      <TextField
        label="Manager's PIN"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        value={pin}
        onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))}
        onKeyDown={(e) => e.key === "Enter" && void approve()}
        data-testid="approval-pin"
      />
      <TextField label="Reason (kept in the audit log)" value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} data-testid="approval-reason" />
      <ErrorNote error={error} testId="approval-error" />
    </Dialog>
  );
}
