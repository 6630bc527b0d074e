/**
 * The purchase-limits part of the fake backend's world (issue #14), modelled on Colorado's rules
 * file: adult use 28 g of flower (or its equivalent) per transaction and 8 g of concentrate a day
 * (a figure the file could not confirm), medical 56 g of flower and 8 g of concentrate a day; what
 * one unit of each item counts as; the items a manager still has to map; the store's overrides;
 * and patients as Metrc knows them, with the readings kept at the register.
 *
 * `check` is a small version of the store's assessment, so component tests see believable
 * running totals, refusals and blocked carts: every applicable rule is a total, a limit is "at
 * most", the most exceeded limit comes first with the limit, the total and by how much. Tests
 * change the data directly (`fake.limits.withoutData = "manager_override"`, `fake.limits.metrcReachable
 * = false`, `fake.limits.earlier.set("PAT-0001", {concentrate: 6})`).
 */
import type {
  ApprovalRequest,
  HistoryScopeKind,
  ItemMapView,
  LimitCategoryView,
  LimitCheckView,
  LimitPreviewRequest,
  LimitRuleView,
  LimitRulesView,
  LimitTotalView,
  PackageView,
  PatientReadingView,
  RegistrationView,
  UnmappedItemView,
} from "../api";
import { T0 } from "./testClock";

type Amounts = Record<string, number>;

/** A rule as the fake keeps it: the view plus what each category counts for. */
export interface FakeRule extends LimitRuleView {
  counts: Amounts;
}

/** Why a cart cannot be sold whatever its size: the code and message the sale itself would get. */
export interface Blocked {
  code: string;
  message: string;
}

const GRAMS_PER_OUNCE = 28.3495;

function rule(id: string, customer: string, window: string, limit: number, unit: string, counts: Amounts, certain: boolean, source: string): FakeRule {
  return { id, customer, window, limit, file_limit: limit, unit, counts, certain, source, effective: "2022-01-01", store_override: null };
}

/** Colorado's rules as `crates/limits/rules/CO.toml` has them. */
export function coloradoRules(): FakeRule[] {
  return [
    rule("adult-use-transaction", "adult_use", "transaction", 28, "g of flower", { flower: 1, concentrate: 3.5, infused_thc: 0.035 }, true, "C.R.S. 44-10-601(13)(b)(IV): one ounce of flower, or its equivalent"),
    rule("adult-use-concentrate-day", "adult_use", "days:1", 8, "g of concentrate", { concentrate: 1 }, false, "HB21-1317 as this file reads it; not confirmed for adult-use sales, so the stricter reading is kept"),
    rule("medical-flower-day", "medical", "days:1", 56, "g of flower", { flower: 1 }, true, "C.R.S. 44-10-501(11)(b): two ounces a day"),
    rule("medical-concentrate-day", "medical", "days:1", 8, "g of concentrate", { concentrate: 1 }, false, "C.R.S. 44-10-501(11)(b)(I): 8 g of concentrate a day"),
  ];
}

/** A registration as Metrc's patient status gives it, `available` in ounces of flower. */
function registration(number: string, active: boolean, flowerOunces: number, expires: string | null): RegistrationView {
  return {
    registration_number: number,
    active,
    tracks_allotment: true,
    flower_g_available: Math.round(flowerOunces * GRAMS_PER_OUNCE * 100) / 100,
    concentrate_g_available: 14.17,
    infused_g_available: 56.7,
    thc_mg_available: 2835,
    purchase_amount_days: 30,
    licence_expires: expires,
  };
}

/** What `window` means in words ("per transaction", "per day", "per 30 days"). */
function windowWords(window: string): string {
  if (window === "transaction") return "per transaction";
  const days = Number(window.replace("days:", ""));
  return days === 1 ? "per day" : `per ${days} days`;
}

/** `adult_use`, `medical` or `caregiver`, from Metrc's customer type. */
export function customerOf(type: string): string {
  const t = type.toLowerCase();
  if (t.includes("caregiver")) return "caregiver";
  if (t.includes("patient") || t.includes("medical")) return "medical";
  return "adult_use";
}

export class FakeLimits {
  /** The register's state (`null`: none chosen, nothing is checked). */
  state: string | null = "CO";
  categories: LimitCategoryView[] = [
    { id: "flower", name: "Flower and other usable cannabis (by weight)", unit: "g" },
    { id: "concentrate", name: "Concentrate (by weight)", unit: "g" },
    { id: "infused_thc", name: "Edibles and other infused products (by THC content)", unit: "mg" },
  ];
  rules: FakeRule[] = coloradoRules();
  /** What a medical sale does without a reading of the patient's allotment. */
  withoutData: "refuse" | "adult_use_limits" | "manager_override" = "adult_use_limits";
  /** What one unit of an item counts as, by item name (from Metrc's facts or a manager's mapping). */
  perUnit = new Map<string, Amounts>([
    ["Blue Dream 3.5g", { flower: 3.5 }],
    ["Gummies 10pk", { infused_thc: 100 }],
    ["Bulk Flower", { flower: 1 }],
  ]);
  unmapped: UnmappedItemView[] = [
    {
      item_name: "House Tincture 30ml",
      unit_of_measure: "Each",
      category_type: "InfusedNonEdible",
      reason: "Metrc gives no THC content per unit for this item",
      packages: 1,
    },
  ];
  mapped: ItemMapView[] = [];
  /** Whose earlier sales a day window sums for an identified patient. */
  scope: HistoryScopeKind = "register";
  /** What an identified patient bought earlier today, by patient number. */
  earlier = new Map<string, Amounts>();
  /** Patients as Metrc knows them (a number missing here is unknown to Metrc). */
  metrcPatients = new Map<string, RegistrationView[]>([
    ["PAT-0001", [registration("REG-0001", true, 2, "2027-06-30")]],
    ["PAT-0002", [registration("REG-0002", true, 0.1, "2027-06-30")]],
    ["PAT-0003", [registration("REG-0003", false, 2, "2026-11-13")]],
  ]);
  /** Whether `look_up_patient` reaches Metrc. */
  metrcReachable = true;
  /** The readings kept at the register, by patient number. */
  readings = new Map<string, PatientReadingView>();

  private rulesFor(customer: string): FakeRule[] {
    return this.rules.filter((r) => r.customer === customer);
  }

  /** The running totals of a cart, or why it cannot be sold (see the module doc). */
  check(packages: PackageView[], req: LimitPreviewRequest, approval?: ApprovalRequest): LimitCheckView {
    const customer = customerOf(req.customer_type);
    const base: LimitCheckView = {
      state: this.state,
      rules_version: this.state === null ? null : 1,
      customer,
      rules_applied: customer,
      basis: null,
      scope: "sale",
      scope_text: "this sale alone (customer not identified)",
      totals: [],
      over: [],
      reading_read_at: null,
      blocked: null,
    };
    const blocked = (b: Blocked): LimitCheckView => ({ ...base, basis: null, scope: null, scope_text: null, blocked: b });
    if (this.state === null) return { ...base, basis: "no_state" };

    const counted: Amounts = {};
    for (const line of req.lines) {
      const pkg = packages.find((p) => p.label === line.label);
      if (pkg === undefined) return blocked({ code: "unknown_package", message: `No package ${line.label} here. Refresh the inventory.` });
      const per = this.perUnit.get(pkg.item_name);
      if (per === undefined) {
        const why = this.unmapped.find((u) => u.item_name === pkg.item_name)?.reason ?? "Metrc gives no category type for this item";
        return blocked({
          code: "item_not_mapped",
          message: `${pkg.item_name} cannot be sold under the purchase limits yet: ${why}. A manager can map it on the Inventory screen.`,
        });
      }
      const units = Number(line.quantity) || 0;
      for (const [category, amount] of Object.entries(per)) counted[category] = (counted[category] ?? 0) + amount * units;
    }

    const patient = req.patient_number?.trim() || null;
    const identified = customer !== "adult_use" && patient !== null;
    let applied = customer;
    let basis: LimitCheckView["basis"] = "rules";
    let readAt: string | null = null;
    const totals: LimitTotalView[] = [];
    const over: { share: number; rule: string; message: string }[] = [];

    if (customer !== "adult_use") {
      const reading = patient === null ? undefined : this.readings.get(patient);
      if (reading !== undefined && reading.known) {
        basis = "patient_reading";
        readAt = reading.read_at;
        if (reading.unknown_to_metrc) {
          return blocked({ code: "patient_not_eligible", message: `The patient cannot buy now: Metrc does not know patient ${patient} at licence ${reading.licence}; check the number on the card` });
        }
        const active = reading.registrations.filter((r) => r.active && (r.licence_expires === null || r.licence_expires >= T0.slice(0, 10)));
        if (active.length === 0) {
          return blocked({
            code: "patient_not_eligible",
            message: `The patient cannot buy now: Metrc says patient ${patient}'s registration is not active or has expired; the patient cannot buy as a patient`,
          });
        }
        for (const r of active) {
          const total = (counted.flower ?? 0) + (this.earlier.get(patient ?? "")?.flower ?? 0);
          const limit = r.flower_g_available;
          const id = `metrc-allotment:${r.registration_number ?? "registration"}:flower`;
          const exceeded = (counted.flower ?? 0) > 0 && total - limit > Math.max(limit, 1) * 1e-6;
          totals.push({ rule: id, window: `days:${r.purchase_amount_days ?? 1}`, limit, total, unit: "g of flower", certain: true, over: exceeded });
          if (exceeded) {
            over.push({
              share: Infinity,
              rule: id,
              message: `Metrc's reading allows patient ${patient} ${limit.toFixed(2)} g of flower more in ${r.purchase_amount_days ?? 1} day(s); with the sales since the reading this makes ${total.toFixed(2)} (${(total - limit).toFixed(2)} over)`,
            });
          }
        }
      } else if (this.withoutData === "refuse") {
        return blocked({
          code: "patient_reading_needed",
          message:
            patient === null
              ? "Colorado needs the patient's licence number and Metrc's reading of their allotment before a medical sale; enter the number and look the patient up"
              : `Colorado needs Metrc's reading of patient ${patient}'s allotment before a medical sale, and this register has none; look the patient up while Metrc can be reached`,
        });
      } else if (this.withoutData === "adult_use_limits") {
        basis = "adult_use_without_reading";
        applied = "adult_use";
      } else if (approval === undefined) {
        return blocked({
          code: "manager_approval_needed",
          message: "there is no reading of this patient's allotment from Metrc; in Colorado a medical sale without one needs a manager's approval",
        });
      } else {
        basis = "manager_override";
      }
    }

    for (const r of this.rulesFor(applied)) {
      const weigh = (amounts: Amounts) => Object.entries(r.counts).reduce((sum, [c, f]) => sum + (amounts[c] ?? 0) * f, 0);
      const thisSale = weigh(counted);
      const before = r.window !== "transaction" && identified ? weigh(this.earlier.get(patient ?? "") ?? {}) : 0;
      const total = thisSale + before;
      const exceeded = thisSale > 0 && total - r.limit > r.limit * 1e-6;
      totals.push({ rule: r.id, window: r.window, limit: r.limit, total, unit: r.unit, certain: r.certain, over: exceeded });
      if (exceeded) {
        over.push({
          share: (total - r.limit) / r.limit,
          rule: r.id,
          message: `the limit is ${r.limit.toFixed(2)} ${r.unit} ${windowWords(r.window)}; this sale makes ${total.toFixed(2)} (${(total - r.limit).toFixed(2)} over)`,
        });
      }
    }
    over.sort((a, b) => b.share - a.share);
    const scope = identified ? this.scope : "sale";
    return {
      ...base,
      rules_applied: applied,
      basis,
      scope,
      scope_text: scope === "sale" ? "this sale alone (customer not identified)" : scope === "register" ? "this register's sales" : "the whole store's sales (other registers' as pulled 3 min before)",
      totals,
      over: over.map(({ rule, message }) => ({ rule, message })),
      reading_read_at: readAt,
    };
  }

  /** `complete_sale`'s refusal of a cart, or `null` when the limits allow it. */
  refusal(packages: PackageView[], req: LimitPreviewRequest, approval?: ApprovalRequest): Blocked | null {
    const check = this.check(packages, req, approval);
    if (check.blocked !== null) return check.blocked;
    const [first, ...rest] = check.over;
    if (first === undefined) return null;
    const also = rest.map((o) => `; also ${o.rule}: ${o.message}`).join("");
    return { code: "over_limit", message: `This sale is over the ${first.rule} limit: ${first.message}${also}. Take items off the cart until it fits.` };
  }

  /** A sale that went through counts towards the patient's day. */
  record(packages: PackageView[], req: LimitPreviewRequest): void {
    const patient = req.patient_number?.trim();
    if (customerOf(req.customer_type) === "adult_use" || !patient) return;
    const bought = { ...(this.earlier.get(patient) ?? {}) };
    for (const line of req.lines) {
      const pkg = packages.find((p) => p.label === line.label);
      for (const [category, amount] of Object.entries(this.perUnit.get(pkg?.item_name ?? "") ?? {})) {
        bought[category] = (bought[category] ?? 0) + amount * (Number(line.quantity) || 0);
      }
    }
    this.earlier.set(patient, bought);
  }

  /** `look_up_patient`: Metrc's reading (kept), or the last one kept here when Metrc is out of reach. */
  lookUp(licence: string, patient: string, by: string): PatientReadingView {
    if (this.metrcReachable) {
      const registrations = this.metrcPatients.get(patient) ?? [];
      const reading: PatientReadingView = {
        licence,
        patient_number: patient,
        known: true,
        fresh: true,
        read_at: T0,
        read_by: by,
        note: null,
        unknown_to_metrc: registrations.length === 0,
        registrations: registrations.map((r) => ({ ...r })),
      };
      this.readings.set(patient, reading);
      return reading;
    }
    const last = this.readings.get(patient);
    const note = `Metrc could not be asked (Metrc cannot be reached; check the connection); ${
      last === undefined ? "there is no earlier reading, so the state's rule for sales without one applies" : "the last reading kept here is used, minus every sale since"
    }`;
    if (last === undefined) {
      return { licence, patient_number: patient, known: false, fresh: false, read_at: null, read_by: null, note, unknown_to_metrc: false, registrations: [] };
    }
    return { ...last, fresh: false, note };
  }

  /** `limit_rules`. */
  rulesView(): LimitRulesView {
    if (this.state === null) return { state: null, name: null, version: null, reviewed: null, rules: [], without_data: null, without_data_source: null };
    return {
      state: this.state,
      name: "Colorado",
      version: 1,
      reviewed: "2026-12-04",
      rules: this.rules.map(({ counts: _counts, ...view }) => ({ ...view, store_override: view.store_override === null ? null : { ...view.store_override } })),
      without_data: this.withoutData,
      without_data_source: "No rule requires a live check; Colorado's limits are per customer per day and per transaction",
    };
  }
}
