/**
 * The running totals of the cart against the purchase limits: `limit_preview` is asked once the
 * cart (lines, quantities, customer type, patient number) has been still for a moment, again
 * when inventory changes (a manager mapped an item) or `refresh` is called (a patient was looked
 * up), and never for an empty cart. An answer to an older cart never replaces a newer one;
 * `current` says whether the answer shown is for the cart as it stands now.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { AppError, LimitCheckView, LimitPreviewRequest } from "../api";
import { toAppError } from "../api";
import { useBackend } from "../context";

/** The cart must be still this long before it is checked (typing "30" checks once). */
export const PREVIEW_DELAY_MS = 150;

export interface LimitPreview {
  /** The last answer (possibly for an older cart while a newer one is being checked). */
  check: LimitCheckView | null;
  /** Whether `check` answers the cart as it stands. */
  current: boolean;
  error: AppError | null;
  /** Asks again now (after something the check depends on changed outside the cart). */
  refresh: () => void;
}

export function useLimitPreview(request: LimitPreviewRequest | null): LimitPreview {
  const backend = useBackend();
  const key = request === null ? null : JSON.stringify(request);
  const [answer, setAnswer] = useState<{ key: string; check: LimitCheckView | null; error: AppError | null } | null>(null);
  const [nonce, setNonce] = useState(0);
  const run = useRef(0);
  const refresh = useCallback(() => setNonce((n) => n + 1), []);

  useEffect(() => backend.on("inventory_changed", refresh), [backend, refresh]);

  useEffect(() => {
    const mine = ++run.current;
    if (key === null) {
      setAnswer(null);
      return;
    }
    const timer = setTimeout(() => {
      backend.limitPreview(JSON.parse(key) as LimitPreviewRequest).then(
        (check) => {
          if (mine === run.current) setAnswer({ key, check, error: null });
        },
        (e: unknown) => {
          if (mine === run.current) setAnswer({ key, check: null, error: toAppError(e) });
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [backend, key, nonce]);

  useEffect(
    () => () => {
      run.current++;
    },
    [],
  );

  return {
    check: key === null ? null : (answer?.check ?? null),
    current: key !== null && answer?.key === key && answer.error === null,
    error: key === null ? null : (answer?.error ?? null),
    refresh,
  };
}
