/**
 * The Sell screen's left half under the scan field: the search results, else the packages sold
 * most recently, else (before the first sale) some packages on hand; one press adds any of them. The arrow keys move between the buttons (ArrowDown from
 * the scan field enters the list, ArrowUp from the first returns to it); Escape returns to the
 * scan field.
 */
import type { KeyboardEvent } from "react";
import type { PackageView } from "../api";
import { Button } from "../ui/Button";
import { ShortId } from "../ui/ShortId";

export function SellPicks(props: {
  results: PackageView[];
  recent: PackageView[];
  onHand: PackageView[];
  onPick: (p: PackageView) => void;
  onLeave: () => void;
}) {
  const { results, recent, onHand, onPick, onLeave } = props;
  return (
    <>
      {results.length > 0 && <PickList testId="search-results" idPrefix="search-result" title="Search results" onHand items={results} onPick={onPick} onLeave={onLeave} />}
      {results.length === 0 && recent.length > 0 && (
        <PickList testId="recently-sold" idPrefix="recent" title="Recently sold" items={recent} onPick={onPick} onLeave={onLeave} />
      )}
      {results.length === 0 && recent.length === 0 && onHand.length > 0 && (
        <PickList testId="on-hand" idPrefix="on-hand" title="On hand" onHand items={onHand} onPick={onPick} onLeave={onLeave} />
      )}
    </>
  );
}

function PickList(props: {
  testId: string;
  idPrefix: string;
  title: string;
  /** Shows each package's on-hand (fresh from a search; a recently sold one's is not). */
  onHand?: boolean;
  items: PackageView[];
  onPick: (p: PackageView) => void;
  onLeave: () => void;
}) {
  const { testId, idPrefix, title, onHand = false, items, onPick, onLeave } = props;
  function move(e: KeyboardEvent<HTMLButtonElement>) {
    const item = e.currentTarget.closest("li");
    if (e.key === "Escape") {
      e.preventDefault();
      onLeave();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = e.key === "ArrowDown" ? item?.nextElementSibling : item?.previousElementSibling;
      const button = next?.querySelector("button");
      if (button) button.focus();
      else if (e.key === "ArrowUp") onLeave();
    }
  }
  return (
    <section className="stack picks" aria-label={title}>
      <h3>{title}</h3>
      <ul className="results" data-testid={testId}>
        {items.map((p) => (
          <li key={p.label}>
            <Button onClick={() => onPick(p)} onKeyDown={move} data-testid={`${idPrefix}-${p.label}`}>
              <span className="pick-name">
                {p.item_name} <span className="muted"><ShortId id={p.label} /></span>
              </span>
              {onHand && (
                <span>
                  {p.on_hand} {p.unit_of_measure} on hand
                </span>
              )}
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}
