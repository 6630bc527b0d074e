/**
 * Inventory › Purchase limits: the items the limits cannot count yet — which therefore cannot be
 * sold — with their unit, Metrc's category type and why, for everyone to see; the managers'
 * mappings (what one unit counts as, why, by whom, when); and, for a manager (`manage_limits`),
 * mapping an item. Fetched again on `inventory_changed` (a mapping, a refresh from Metrc).
 */
import { useState } from "react";
import type { CategoryAmount, LimitCategoryView, UnmappedItemView } from "../api";
import { useCan, useFacilityTime, useLoad } from "../context";
import { Button } from "../ui/Button";
import { ErrorNote, Note } from "../ui/Note";
import { amountText } from "./limitText";
import { MapItemDialog } from "./MapItemDialog";

/** "3.5 g Flower and other usable cannabis (by weight)" for each amount, by the categories' names. */
export function amountsText(amounts: CategoryAmount[], categories: LimitCategoryView[]): string {
  return amounts
    .map((a) => {
      const category = categories.find((c) => c.id === a.category);
      return `${amountText(a.amount)} ${category?.unit ?? ""} ${category?.name ?? a.category}`.replace(/\s+/g, " ");
    })
    .join(" + ");
}

export function InventoryLimits({ licence }: { licence: string | null }) {
  const can = useCan();
  const facilityTime = useFacilityTime();
  const items = useLoad((b) => b.limitItems({ licence }), [licence], ["inventory_changed"]);
  const [mapping, setMapping] = useState<UnmappedItemView | null>(null);
  const view = items.data;
  const manager = can("manage_limits");

  return (
    <section className="stack" data-testid="limit-items" aria-label="Purchase limits">
      <h3>Purchase limits</h3>
      <ErrorNote error={items.error} testId="limit-items-error" />
      {view !== null && !view.rules_in_force && (
        <p className="muted" data-testid="limit-items-off">
          No purchase limits are in force at this register (no state chosen, or no rules for it), so no item needs mapping.
        </p>
      )}
      {view !== null && view.rules_in_force && (
        <>
          {view.unmapped.length === 0 ? (
            <Note tone="ok" testId="limit-unmapped-none">
              Every item here can be counted under the purchase limits.
            </Note>
          ) : (
            <>
              <Note tone="warn">
                {view.unmapped.length === 1 ? "This item cannot be sold" : `These ${view.unmapped.length} items cannot be sold`} until{" "}
                {manager ? "you map" : "a manager maps"} {view.unmapped.length === 1 ? "it" : "each"} to the limits' categories.
              </Note>
              <table className="grid" data-testid="limit-unmapped">
                <thead>
                  <tr>
                    <th>Item</th>
                    <th>Unit</th>
                    <th>Metrc category type</th>
                    <th>Why it cannot be counted</th>
                    <th className="num">Packages</th>
                    {manager && <th>Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {view.unmapped.map((u) => (
                    <tr key={u.item_name} data-testid={`limit-unmapped-${u.item_name}`}>
                      <td>{u.item_name}</td>
                      <td>{u.unit_of_measure}</td>
                      <td>{u.category_type ?? <span className="muted">none</span>}</td>
                      <td>{u.reason}</td>
                      <td className="num">{u.packages}</td>
                      {manager && (
                        <td>
                          <Button onClick={() => setMapping(u)} data-testid={`limit-map-${u.item_name}`}>
                            Map
                          </Button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {view.mapped.length > 0 && (
            <table className="grid" data-testid="limit-mapped">
              <thead>
                <tr>
                  <th>Mapped item</th>
                  <th>One unit counts as</th>
                  <th>Why</th>
                  <th>By</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                {view.mapped.map((m) => (
                  <tr key={m.item_name} data-testid={`limit-mapped-${m.item_name}`}>
                    <td>{m.item_name}</td>
                    <td>{amountsText(m.amounts, view.categories)}</td>
                    <td>{m.reason}</td>
                    <td>{m.mapped_by}</td>
                    <td>{facilityTime(m.mapped_at, view.licence)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {mapping !== null && view !== null && <MapItemDialog item={mapping} licence={licence} categories={view.categories} onClose={() => setMapping(null)} />}
    </section>
  );
}
