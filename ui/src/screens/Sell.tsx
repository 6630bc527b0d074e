/**
 * Sell: the register screen. The scan field keeps the focus: type to search the local inventory
 * by label or name; a scanner's fast typing plus Enter adds the package with exactly that label.
 * Enter on an empty scan field completes the sale, Escape clears the search or, when it is empty,
 * cancels the cart. After every action the focus returns to the scan field, and typing while no
 * field has the focus (a scan after a click elsewhere) goes there too. The receipt shows as
 * soon as the backend has committed the sale; a refusal (e.g. more than is on hand) shows the
 * backend's message, with its code as a data attribute.
 *
 * Purchase limits (issue #14): while the cart fills, its running totals against every limit that
 * applies are shown (`LimitPanel`, from `limit_preview`); a cart over a limit, or one the limits
 * cannot count, cannot be completed, and says which limit and by how much. A medical customer's
 * patient can be looked up in Metrc (`PatientLookup`). A sale the limits hold back until a
 * manager approves it opens the approval dialog and is sent again with the approval. The cart
 * panel keeps its Complete button inside the window: what does not fit scrolls above it.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { KeyboardEvent } from "react";
import type { AppError, ApprovalRequest, LimitPreviewRequest, PackageView, Receipt } from "../api";
import { toAppError } from "../api";
import { useAction, useAppState, useBackend, useLoad } from "../context";
import { formatMoney } from "../format";
import { Button } from "../ui/Button";
import { SelectField, TextField } from "../ui/Field";
import { ErrorNote, Note } from "../ui/Note";
import { ShortId } from "../ui/ShortId";
import { useFitToWindow } from "../ui/useFitToWindow";
import { ApprovalDialog } from "./ApprovalDialog";
import { LimitPanel } from "./LimitPanel";
import { completionHold } from "./limitText";
import { PatientLookup } from "./PatientLookup";
import { ReceiptView } from "./ReceiptView";
import { recentlySold, rememberSold } from "./recentlySold";
import { SellPicks } from "./SellPicks";
import { useLimitPreview } from "./useLimitPreview";

interface CartLine {
  pkg: PackageView;
  quantity: string;
  unitPrice: string;
}

/** Refusals of a manager's approval itself, shown in the approval dialog (anything else closes it). */
const APPROVAL_REFUSALS = ["wrong_pin", "user_locked", "user_disabled", "unknown_user", "not_allowed", "invalid_input", "invalid_pin"];

/** How many search results to show under the scan field. */
const RESULT_LIMIT = 8;

/** Typing pauses this long before the result list is searched (a scanner's burst searches once, on Enter). */
const SEARCH_DELAY_MS = 150;

/** The line total in dollars, or `null` when quantity or price is not a number. */
export function lineTotal(line: { quantity: string; unitPrice: string }): number | null {
  const q = Number(line.quantity);
  const p = Number(line.unitPrice);
  return Number.isFinite(q) && Number.isFinite(p) && line.quantity.trim() !== "" && line.unitPrice.trim() !== "" ? q * p : null;
}

/** Dollars as the exact two-decimal string the backend takes. */
export function priceString(amount: number): string {
  return (Math.round(amount * 100) / 100).toFixed(2);
}

export function Sell() {
  const backend = useBackend();
  const app = useAppState();
  const [licenceNumber, setLicenceNumber] = useState<string | null>(null);
  const licence = app.licences.find((l) => l.number === licenceNumber) ?? app.licences[0] ?? null;
  const types = useLoad((b) => b.customerTypes({ licence: licence?.number ?? null }), [licence?.number]);
  const stock = useLoad((b) => b.listPackages({ licence: licence?.number ?? null }), [licence?.number], ["inventory_changed"]);
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<PackageView[]>([]);
  const searchRun = useRef(0);
  const [cart, setCart] = useState<CartLine[]>([]);
  const defaultType = types.data?.types[0] ?? "Consumer";
  const [customerType, setCustomerType] = useState<string | null>(null);
  const chosenType = customerType ?? defaultType;
  const [patientNumber, setPatientNumber] = useState("");
  const [caregiverNumber, setCaregiverNumber] = useState("");
  const [identificationMethod, setIdentificationMethod] = useState("");
  const [receipt, setReceipt] = useState<{ receipt: Receipt; startedAt: number } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, setError, act } = useAction();
  const [approving, setApproving] = useState<string | null>(null);
  const scan = useRef<HTMLInputElement>(null);
  const cartPanel = useFitToWindow<HTMLElement>();
  const picks = useRef<HTMLDivElement>(null);

  const refocus = () => scan.current?.focus();
  useEffect(refocus, []);
  useEffect(() => {
    // A scanner types wherever the focus is: typing while nothing editable has it goes to the scan field.
    const steer = (e: globalThis.KeyboardEvent) => {
      const target = document.activeElement;
      const editable = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
      if (!editable && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) scan.current?.focus();
    };
    document.addEventListener("keydown", steer, true);
    return () => document.removeEventListener("keydown", steer, true);
  }, []);

  const search = useMemo(
    () => (text: string) => {
      const mine = ++searchRun.current;
      if (text.trim() === "") {
        setResults([]);
        return Promise.resolve([] as PackageView[]);
      }
      return backend.searchPackages({ query: text.trim(), licence: licence?.number ?? null, limit: RESULT_LIMIT }).then(
        (found) => {
          if (mine === searchRun.current) setResults(found);
          return found;
        },
        (e: unknown) => {
          if (mine === searchRun.current) setError(toAppError(e));
          return [] as PackageView[];
        },
      );
    },
    [backend, licence?.number, setError],
  );
  useEffect(() => {
    const timer = setTimeout(() => void search(query), query === "" ? 0 : SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, search]);

  // What the chosen customer type is asked for at this licence, as the store's own rule says.
  const asks = types.data?.asks.find((a) => a.customer_type === chosenType);
  const needsPatient = (asks?.patient_number ?? "no") !== "no";
  const needsCaregiver = (asks?.caregiver_number ?? "no") !== "no";
  const needsIdentification = (asks?.identification_method ?? "no") !== "no";
  const patientRequired = asks?.patient_number === "required";
  const caregiverRequired = asks?.caregiver_number === "required";
  const identificationRequired = asks?.identification_method === "required";
  const total = cart.reduce((sum, line) => sum + (lineTotal(line) ?? 0), 0);
  const patient = needsPatient && patientNumber.trim() !== "" ? patientNumber.trim() : null;
  const previewRequest: LimitPreviewRequest | null =
    licence === null || cart.length === 0
      ? null
      : {
          licence: licence.number,
          customer_type: chosenType,
          patient_number: patient,
          lines: cart.map((l) => ({ label: l.pkg.label, quantity: l.quantity.trim(), price: "0.00" })),
        };
  const preview = useLimitPreview(previewRequest);
  // Only an answer for the cart as it stands holds the sale back; otherwise the backend decides.
  const hold = preview.current ? completionHold(preview.check) : null;

  function add(pkg: PackageView) {
    setReceipt(null);
    setError(null);
    setNotice(null);
    setCart((lines) => {
      const existing = lines.find((l) => l.pkg.label === pkg.label);
      if (existing === undefined) return [...lines, { pkg, quantity: "1", unitPrice: "" }];
      return lines.map((l) => (l === existing ? { ...l, quantity: String(Number(l.quantity) + 1) } : l));
    });
    setQuery("");
    refocus();
  }

  function cancel() {
    setCart([]);
    setQuery("");
    setError(null);
    setNotice(null);
    setPatientNumber("");
    setCaregiverNumber("");
    setIdentificationMethod("");
    setCustomerType(null);
    refocus();
  }

  /** Sends the sale (with a manager's approval when given); resolves to the refusal, if any. */
  async function complete(approval?: ApprovalRequest): Promise<AppError | null> {
    if (licence === null || cart.length === 0 || busy || hold !== null) return null;
    const unpriced = cart.find((l) => lineTotal(l) === null);
    if (unpriced !== undefined) {
      setError({ code: "price_missing", message: `Enter a quantity and price for ${unpriced.pkg.item_name}.` });
      refocus();
      return null;
    }
    const sale = {
      licence: licence.number,
      customer_type: chosenType,
      patient_number: patient,
      caregiver_number: needsCaregiver && caregiverNumber.trim() !== "" ? caregiverNumber.trim() : null,
      identification_method: needsIdentification && identificationMethod.trim() !== "" ? identificationMethod.trim() : null,
      lines: cart.map((l) => ({ label: l.pkg.label, quantity: l.quantity.trim(), price: priceString(lineTotal(l) ?? 0) })),
    };
    const startedAt = performance.now();
    let refused: AppError | null = null;
    const done = await act(() =>
      backend.completeSale(approval === undefined ? sale : { ...sale, approval }).catch((e: unknown) => {
        refused = toAppError(e);
        throw e;
      }),
    );
    if (done !== undefined) {
      rememberSold(cart.map((l) => l.pkg));
      setReceipt({ receipt: done, startedAt });
      setCart([]);
      setPatientNumber("");
      setCaregiverNumber("");
      setIdentificationMethod("");
      setCustomerType(null);
      setApproving(null);
    }
    const failure = refused as AppError | null;
    if (failure?.code === "manager_approval_needed") setApproving(failure.message);
    // While the approval dialog is open the focus stays in it.
    else if (approval === undefined || failure === null || !APPROVAL_REFUSALS.includes(failure.code)) refocus();
    return failure;
  }

  /** The approval dialog's send: a refusal of the approval itself stays in the dialog. */
  async function completeApproved(approval: ApprovalRequest): Promise<AppError | null> {
    const failure = await complete(approval);
    if (failure !== null && APPROVAL_REFUSALS.includes(failure.code)) {
      setError(null);
      return failure;
    }
    setApproving(null);
    return null;
  }

  async function addTyped(typed: string) {
    const found = await search(typed);
    const exact = found.find((p) => p.label.toLowerCase() === typed.toLowerCase());
    if (exact !== undefined) add(exact);
    else if (found.length === 1) add(found[0]!);
    else {
      setNotice(found.length === 0 ? `No package on hand matches “${typed}”.` : "Several packages match: pick one below.");
      refocus();
    }
  }

  function onScanKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown") {
      const first = picks.current?.querySelector<HTMLButtonElement>(".results button");
      if (first) {
        e.preventDefault();
        first.focus();
      }
      return;
    }
    if (e.key === "Tab" && !e.shiftKey && query === "" && cart.length > 0) {
      // Tab goes to the quantity of the line added last; Tab again to its price.
      const last = cart[cart.length - 1]!;
      const field = [...(cartPanel.current?.querySelectorAll<HTMLInputElement>("input") ?? [])].find((i) => i.dataset.testid === `cart-qty-${last.pkg.label}`);
      if (field) {
        e.preventDefault();
        field.focus();
        field.select();
      }
      return;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      if (query !== "") {
        setQuery("");
        refocus();
      } else {
        cancel();
      }
      return;
    }
    if (e.key !== "Enter") return;
    e.preventDefault();
    const typed = query.trim();
    if (typed === "") {
      void complete();
      return;
    }
    void addTyped(typed);
  }

  function lineKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "Enter" || e.key === "Escape") {
      e.preventDefault();
      refocus();
    }
  }

  function update(label: string, change: Partial<CartLine>) {
    setCart((lines) => lines.map((l) => (l.pkg.label === label ? { ...l, ...change } : l)));
  }

  return (
    <div className="sell">
      <section className="stack">
        <h2>Sell</h2>
        {app.licences.length > 1 && (
          <SelectField
            label="Licence"
            value={licence?.number ?? ""}
            onChange={(e) => {
              setLicenceNumber(e.target.value);
              setCart([]);
              refocus();
            }}
            choices={app.licences.map((l) => ({ value: l.number, label: `${l.name} (${l.number})` }))}
            data-testid="sell-licence"
          />
        )}
        <div className="scan">
          <TextField
            ref={scan}
            label="Scan or search (label or product name)"
            value={query}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setQuery(e.target.value);
              setNotice(null);
            }}
            onKeyDown={onScanKey}
            hint="Enter adds the scanned package · ↓ picks a result · Tab edits the last line · Enter on an empty field completes · Escape cancels"
            data-testid="scan-input"
          />
        </div>
        {notice !== null && <Note tone="info" testId="scan-notice">{notice}</Note>}
        <ErrorNote error={types.error} />
        {receipt !== null && <ReceiptView key={receipt.receipt.client_id} receipt={receipt.receipt} startedAt={receipt.startedAt} />}
        <div ref={picks}>
          <SellPicks
            results={results}
            recent={recentlySold()}
            onHand={(stock.data ?? []).filter((p) => Number(p.on_hand) > 0).slice(0, RESULT_LIMIT)}
            onPick={(p) => (results.includes(p) ? add(p) : void addTyped(p.label))}
            onLeave={refocus}
          />
        </div>
      </section>
      <section ref={cartPanel} className="panel cart" aria-label="Cart" data-testid="cart">
        <h3>Cart</h3>
        <div className="cart-body stack">
          {cart.length === 0 && <p className="muted">Scan a package to start a sale.</p>}
          {cart.map((l) => (
            <div
              key={l.pkg.label}
              className={`stack cart-line${error?.code === "insufficient_quantity" && Number(l.quantity) > Number(l.pkg.on_hand) ? " over" : ""}`}
              data-testid={`cart-line-${l.pkg.label}`}
              data-label={l.pkg.label}
              data-over={error?.code === "insufficient_quantity" && Number(l.quantity) > Number(l.pkg.on_hand) ? "true" : undefined}
            >
              <div className="row" style={{ justifyContent: "space-between" }}>
                <strong>{l.pkg.item_name}</strong>
                <Button
                  aria-label={`Remove ${l.pkg.item_name}`}
                  onClick={() => {
                    setCart((lines) => lines.filter((x) => x !== l));
                    refocus();
                  }}
                  data-testid={`cart-remove-${l.pkg.label}`}
                >
                  ✕
                </Button>
              </div>
              <span className="muted">
                <ShortId id={l.pkg.label} /> · {l.pkg.on_hand} {l.pkg.unit_of_measure} on hand
              </span>
              <div className="row">
                <TextField
                  label={`Quantity (${l.pkg.unit_of_measure})`}
                  inputMode="decimal"
                  value={l.quantity}
                  onChange={(e) => update(l.pkg.label, { quantity: e.target.value })}
                  onKeyDown={lineKey}
                  style={{ width: "7rem" }}
                  data-testid={`cart-qty-${l.pkg.label}`}
                />
                <TextField
                  label="Unit price ($)"
                  inputMode="decimal"
                  value={l.unitPrice}
                  onChange={(e) => update(l.pkg.label, { unitPrice: e.target.value })}
                  onKeyDown={lineKey}
                  style={{ width: "7rem" }}
                  data-testid={`cart-price-${l.pkg.label}`}
                />
              </div>
            </div>
          ))}
          <SelectField
            label="Customer type"
            value={chosenType}
            onChange={(e) => setCustomerType(e.target.value)}
            choices={(types.data?.types ?? [defaultType]).map((t) => ({ value: t, label: t.replace(/([a-z])([A-Z])/g, "$1 $2") }))}
            data-testid="customer-type"
          />
          {needsPatient && (
            <PatientLookup licence={licence?.number ?? null} patientNumber={patientNumber} onRead={preview.refresh}>
              <TextField
                label={`Patient licence number${patientRequired ? " (required)" : ""}`}
                value={patientNumber}
                required={patientRequired}
                onChange={(e) => setPatientNumber(e.target.value)}
                onKeyDown={lineKey}
                data-testid="patient-number"
              />
            </PatientLookup>
          )}
          {needsCaregiver && (
            <TextField
              label={`Caregiver licence number${caregiverRequired ? " (required)" : ""}`}
              value={caregiverNumber}
              required={caregiverRequired}
              onChange={(e) => setCaregiverNumber(e.target.value)}
              onKeyDown={lineKey}
              data-testid="caregiver-number"
            />
          )}
          {needsIdentification && (
            <TextField
              label={`Identification method${identificationRequired ? " (required)" : ""}`}
              value={identificationMethod}
              required={identificationRequired}
              placeholder="e.g. Driver's License"
              onChange={(e) => setIdentificationMethod(e.target.value)}
              onKeyDown={lineKey}
              data-testid="identification-method"
            />
          )}
        </div>
        <LimitPanel check={preview.check} error={preview.error} />
        <div className="cart-footer stack">
          <div className="cart-total" data-testid="cart-total">
            {formatMoney(total)}
          </div>
          {hold?.code === "over_limit" && (
            <div className="note note-error" role="alert" data-testid="limit-over" data-rule={preview.check?.over[0]?.rule}>
              {hold.message}
            </div>
          )}
          <ErrorNote error={error} testId="sell-error" />
          {error?.code === "manager_approval_needed" && approving === null && (
            <Button onClick={() => setApproving(error.message)} data-testid="sell-approve">
              A manager approves…
            </Button>
          )}
          <Button
            look="primary"
            large
            onClick={() => void complete()}
            disabled={busy || cart.length === 0 || hold !== null}
            data-testid="complete-sale"
            data-hold={hold?.code}
          >
            Complete sale (Enter)
          </Button>
          <Button onClick={cancel} disabled={cart.length === 0} data-testid="cancel-sale">
            Cancel (Escape)
          </Button>
        </div>
      </section>
      {approving !== null && (
        <ApprovalDialog
          why={approving}
          onApprove={completeApproved}
          onCancel={() => {
            setApproving(null);
            refocus();
          }}
        />
      )}
    </div>
  );
}
