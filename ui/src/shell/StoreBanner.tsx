/**
 * The plain warning above every screen (Sell included) while this register belongs to a store
 * and the store server does not answer: "Store server unreachable since 10:42 — counts may be
 * behind. Selling goes on." It follows `store_changed`, so it appears when the link reports the
 * first failure and goes away when the link connects again.
 */
import type { StoreLinkView } from "../api";
import { useFacilityClock } from "../context";

/** Whether `link` says the store server is out of reach. */
export function storeUnreachable(link: StoreLinkView | null): link is StoreLinkView & { unreachable_since: string } {
  return link !== null && link.joined && !link.connected && link.unreachable_since !== null;
}

export function StoreBanner({ link }: { link: StoreLinkView | null }) {
  const clock = useFacilityClock();
  if (!storeUnreachable(link)) return null;
  return (
    <div className="note note-warn" role="status" data-testid="store-banner">
      <strong>Store server unreachable since {clock(link.unreachable_since)}</strong> — counts may be behind. Selling goes on.
    </div>
  );
}
