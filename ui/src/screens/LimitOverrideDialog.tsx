/**
 * A manager's store override of one purchase limit: a new figure in the rule's unit and why
 * (`set_limit_override`), or back to the rules file's figure, with why (`clear_limit_override`).
 * Both are audited by the backend; a refusal stays in the dialog by its code.
 */
import { useState } from "react";
import type { LimitRuleView } from "../api";
import { useAction, useBackend } from "../context";
import { Dialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";
import { amountText, customerText, windowText } from "./limitText";

export function LimitOverrideDialog({ rule, clear, onClose }: { rule: LimitRuleView; clear: boolean; onClose: (done: boolean) => void }) {
  const backend = useBackend();
  const [limit, setLimit] = useState(amountText(rule.limit));
  const [reason, setReason] = useState("");
  const { busy, error, attempt } = useAction();
  const name = `${customerText(rule.customer)}: ${amountText(rule.limit)} ${rule.unit} ${windowText(rule.window)}`;
  const ready = reason.trim() !== "" && (clear || limit.trim() !== "") && !busy;
  const testId = clear ? "limit-clear" : "limit-override";

  return (
    <Dialog
      title={clear ? "Back to the rules file's figure" : "Override a purchase limit"}
      confirmLabel={clear ? "Clear the override" : "Save the override"}
      confirmDisabled={!ready}
      testId={`${testId}-dialog`}
      onCancel={() => onClose(false)}
      onConfirm={async () => {
        const done = await attempt(() =>
          clear
            ? backend.clearLimitOverride({ rule_id: rule.id, reason: reason.trim() })
            : backend.setLimitOverride({ rule_id: rule.id, limit: limit.trim(), reason: reason.trim() }),
        );
        if (done) onClose(true);
      }}
    >
      <p className="muted">
        {name}. {clear ? `The rules file says ${amountText(rule.file_limit)} ${rule.unit}.` : `The rules file says ${amountText(rule.file_limit)}; the store may set its own figure (kept in the audit log).`}
      </p>
      {!clear && (
        <TextField label={`Limit (${rule.unit})`} inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="limit-override-value" />
      )}
      <TextField label="Reason (kept in the audit log)" value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} data-testid={`${testId}-reason`} />
      <ErrorNote error={error} testId={`${testId}-error`} />
    </Dialog>
  );
}
