/**
 * A long id shown short ("1A4F…000001", `shortId`) with the full id on hover (title). One click
 * selects it whole (`user-select: all`), and copying it copies the full id, not the short form.
 */
import type { ClipboardEvent } from "react";
import { shortId } from "../format";

export function ShortId({ id, testId }: { id: string; testId?: string }) {
  const short = shortId(id);
  const copy = (e: ClipboardEvent<HTMLSpanElement>) => {
    e.preventDefault();
    e.clipboardData.setData("text/plain", id);
  };
  return (
    <span className="id id-short" title={id} onCopy={copy} data-testid={testId} data-id={id}>
      {short}
    </span>
  );
}
