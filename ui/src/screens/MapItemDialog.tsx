/**
 * A manager maps an item the purchase limits cannot count: for each of the state's categories
 * the amount one unit of the item counts as (empty: not counted there), and the reason (kept with
 * the mapping and in the audit log). Sends `map_item`; a refusal stays in the dialog by its code.
 */
import { useState } from "react";
import type { LimitCategoryView, UnmappedItemView } from "../api";
import { useAction, useBackend } from "../context";
import { Dialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { ErrorNote } from "../ui/Note";

/** One of the item's units in words: "unit" for Each, else the unit singular ("gram"). */
function unitWord(unitOfMeasure: string): string {
  return unitOfMeasure === "Each" ? "unit" : unitOfMeasure.toLowerCase().replace(/s$/, "");
}

export function MapItemDialog(props: { item: UnmappedItemView; licence: string | null; categories: LimitCategoryView[]; onClose: () => void }) {
  const { item, licence, categories, onClose } = props;
  const backend = useBackend();
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const { busy, error, attempt } = useAction();
  const given = categories.map((c) => ({ category: c.id, amount: (amounts[c.id] ?? "").trim() })).filter((a) => a.amount !== "");
  const ready = given.length > 0 && reason.trim() !== "" && !busy;

  return (
    <Dialog
      title={`Map ${item.item_name}`}
      confirmLabel="Save mapping"
      confirmDisabled={!ready}
      testId="map-dialog"
      onCancel={onClose}
      onConfirm={async () => {
        const done = await attempt(() => backend.mapItem({ licence, item_name: item.item_name, amounts: given, reason: reason.trim() }));
        if (done) onClose();
      }}
    >
      <p className="muted">
        What one {unitWord(item.unit_of_measure)} of {item.item_name} counts as under the purchase limits. Leave a
        category empty when it does not count there. Metrc says: {item.reason}.
      </p>
      {categories.map((c) => (
        <TextField
          key={c.id}
          label={`${c.name} (${c.unit} per ${unitWord(item.unit_of_measure)})`}
          inputMode="decimal"
          value={amounts[c.id] ?? ""}
          onChange={(e) => setAmounts((a) => ({ ...a, [c.id]: e.target.value }))}
          data-testid={`map-amount-${c.id}`}
        />
      ))}
      <TextField label="Reason (kept with the mapping)" value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} data-testid="map-reason" />
      <ErrorNote error={error} testId="map-error" />
    </Dialog>
  );
}
