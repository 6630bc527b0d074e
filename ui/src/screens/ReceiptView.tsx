/**
 * The receipt of a committed sale, with "Print receipt". Printing uses the window's print: a
 * printable copy of the receipt sits at the end of the body (hidden on screen), and the print
 * stylesheet (`@media print` in styles.css) hides the app and shows that copy alone. Once it is in the page it records, as `data-elapsed-ms`, how long it took from
 * sending "complete sale" to this point (for the benchmark of SPEC section 9).
 */
import { useLayoutEffect, useRef } from "react";
import { createPortal } from "react-dom";
import type { Receipt } from "../api";
import { useFacilityTime } from "../context";
import { Button } from "../ui/Button";

export function ReceiptView({ receipt, startedAt }: { receipt: Receipt; startedAt: number }) {
  const facilityTime = useFacilityTime();
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    box.current?.setAttribute("data-elapsed-ms", (performance.now() - startedAt).toFixed(1));
  }, [startedAt]);
  return (
    <div ref={box} className="panel receipt stack" data-testid="receipt" data-receipt={receipt.client_id} data-state={receipt.state} role="status">
      <div className="row receipt-head">
        <h3>Sale recorded</h3>
        <Button onClick={() => window.print()} data-testid="receipt-print">
          Print receipt
        </Button>
      </div>
      <p className="muted">
        Receipt <span className="id" data-testid="receipt-number">{receipt.client_id}</span> · {facilityTime(receipt.occurred_at, receipt.licence)} ·{" "}
        {receipt.customer_type} · sold by {receipt.sold_by}
      </p>
      <table className="grid">
        <tbody>
          {receipt.lines.map((l) => (
            <tr key={l.label} data-testid={`receipt-line-${l.label}`}>
              <td>
                {l.item_name} <span className="muted id">{l.label}</span>
              </td>
              <td className="num">
                {l.quantity} {l.unit_of_measure}
              </td>
              <td className="num">${l.price}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="cart-total" data-testid="receipt-total">
        ${receipt.total}
      </div>
      <p className="muted">Saved on this register; it reaches Metrc in the background.</p>
      {createPortal(<PrintedReceipt receipt={receipt} when={facilityTime(receipt.occurred_at, receipt.licence)} />, document.body)}
    </div>
  );
}

/** The receipt as printed: plain black on white, every id in full, no controls. */
function PrintedReceipt({ receipt, when }: { receipt: Receipt; when: string }) {
  return (
    <div className="print-only printed-receipt">
      <h1>Receipt {receipt.client_id}</h1>
      <p>
        {when} · {receipt.customer_type} · sold by {receipt.sold_by} · licence {receipt.licence}
      </p>
      <table>
        <tbody>
          {receipt.lines.map((l) => (
            <tr key={l.label}>
              <td>
                {l.item_name}
                <br />
                {l.label}
              </td>
              <td>
                {l.quantity} {l.unit_of_measure}
              </td>
              <td>${l.price}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Total ${receipt.total}</p>
    </div>
  );
}
