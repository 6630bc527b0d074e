/**
 * The store scope of the Sync and Audit screens (issue #13): when this register is in a store, a
 * picker offers this register (the default, the screens' usual view), the whole store, or one other
 * register by name — the registers known from this register's copy, so it works while cut off — and
 * says how fresh the copy of the other registers' records is ("as of the last store sync 10:42").
 * On a register in no store it shows nothing and the scope stays "this register".
 */
import type { StoreRegistersView, StoreScope } from "../api";
import { useFacilityClock, useLoad } from "../context";
import { SelectField } from "../ui/Field";

/** `null`: this register (the screens' usual view); otherwise a scope for the store-wide commands. */
export type Scope = StoreScope | null;

const STORE = "store";
const REGISTER = "register:";

function toValue(scope: Scope): string {
  if (scope === null) return "";
  return scope.kind === "store" ? STORE : `${REGISTER}${scope.register_id}`;
}

function fromValue(value: string, thisRegister: string): Scope {
  if (value === STORE) return { kind: "store" };
  if (value.startsWith(REGISTER)) {
    const id = value.slice(REGISTER.length);
    return id === thisRegister ? null : { kind: "register", register_id: id };
  }
  return null;
}

/** The registers this register knows, refetched after every change of the store link. */
export function useStoreRegisters(): StoreRegistersView | null {
  return useLoad((b) => b.storeRegisters(), [], ["store_changed"]).data;
}

/** "as of the last store sync 10:42" (or that there was none yet), in the licence's time zone. */
export function useAsOf(): (asOf: string | null) => string {
  const clock = useFacilityClock();
  return (asOf) => (asOf === null ? "not synced with the store server yet" : `as of the last store sync ${clock(asOf)}`);
}

export function ScopePicker(props: {
  registers: StoreRegistersView | null;
  value: Scope;
  onChange: (scope: Scope) => void;
  /** Offer "the whole store" (the Sync screen's records). */
  wholeStore?: boolean;
  testId: string;
}) {
  const { registers, value, onChange, testId } = props;
  if (registers === null || !registers.joined) return null;
  const others = registers.registers.filter((r) => !r.this_register);
  const choices = [
    { value: "", label: "This register" },
    ...(props.wholeStore === false ? [] : [{ value: STORE, label: "The whole store" }]),
    ...others.map((r) => ({ value: `${REGISTER}${r.id}`, label: r.current ? r.name : `${r.name} (left the store)` })),
  ];
  return (
    <SelectField
      label="Registers"
      value={toValue(value)}
      onChange={(e) => onChange(fromValue(e.target.value, registers.this_register_id))}
      choices={choices}
      data-testid={testId}
    />
  );
}
