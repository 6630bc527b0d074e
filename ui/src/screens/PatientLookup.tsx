/**
 * "Look up" beside a patient's licence number (the field is the child): asks `look_up_patient` for the patient's allotment
 * and shows it — read from Metrc just now, or the last reading kept here (with when, and the
 * backend's note on why Metrc was not asked), a number Metrc does not know, and each
 * registration active or not with what it still allows. A reading belongs to the number it was
 * read for: typing another number hides it.
 */
import { useState } from "react";
import type { ReactNode } from "react";
import type { PatientReadingView, RegistrationView } from "../api";
import { useAction, useBackend, useFacilityTime } from "../context";
import { Button } from "../ui/Button";
import { ErrorNote } from "../ui/Note";
import { amountText } from "./limitText";

export function PatientLookup(props: { licence: string | null; patientNumber: string; onRead: () => void; children: ReactNode }) {
  const { licence, patientNumber, onRead, children } = props;
  const backend = useBackend();
  const { busy, error, act } = useAction();
  const [reading, setReading] = useState<PatientReadingView | null>(null);
  const number = patientNumber.trim();

  async function lookUp() {
    const found = await act(() => backend.lookUpPatient({ licence, patient_number: number }));
    if (found !== undefined) {
      setReading(found);
      onRead();
    }
  }

  return (
    <div className="stack">
      <div className="row patient-row">
        {children}
        <Button onClick={() => void lookUp()} disabled={busy || number === ""} data-testid="patient-lookup">
          {busy ? "Looking up…" : "Look up"}
        </Button>
      </div>
      <ErrorNote error={error} testId="patient-lookup-error" />
      {reading !== null && reading.patient_number === number && <PatientReading reading={reading} />}
    </div>
  );
}

/** One reading of a patient's allotment. */
export function PatientReading({ reading }: { reading: PatientReadingView }) {
  const facilityTime = useFacilityTime();
  const state = !reading.known ? "none" : reading.unknown_to_metrc ? "unknown" : reading.registrations.some((r) => r.active) ? "active" : "inactive";
  const tone = state === "active" ? "info" : state === "none" ? "warn" : "error";
  return (
    <div
      className={`note note-${tone} stack reading`}
      role={tone === "error" ? "alert" : "status"}
      data-testid="patient-reading"
      data-state={state}
      data-fresh={reading.fresh ? "true" : "false"}
    >
      <strong>
        {state === "none" && `No reading of patient ${reading.patient_number}'s allotment is kept here.`}
        {state === "unknown" && `Metrc does not know patient ${reading.patient_number}: check the number on the card.`}
        {state === "inactive" && `Patient ${reading.patient_number} is not active in Metrc: no sale as a patient.`}
        {state === "active" && `Patient ${reading.patient_number}`}
      </strong>
      {reading.read_at !== null && (
        <span data-testid="patient-reading-when">
          {reading.fresh ? "Read from Metrc" : "Last reading, from"} {facilityTime(reading.read_at, reading.licence)}
          {reading.read_by !== null && ` by ${reading.read_by}`}
        </span>
      )}
      {reading.note !== null && <span data-testid="patient-reading-note">{reading.note}</span>}
      {!reading.unknown_to_metrc &&
        reading.registrations.map((r, i) => <Registration key={r.registration_number ?? i} registration={r} index={i} />)}
    </div>
  );
}

function Registration({ registration: r, index }: { registration: RegistrationView; index: number }) {
  const allows = [
    [r.flower_g_available, "g flower"],
    [r.concentrate_g_available, "g concentrate"],
    [r.infused_g_available, "g infused"],
    [r.thc_mg_available, "mg THC"],
  ] as const;
  return (
    <span data-testid={`patient-registration-${index}`} data-active={r.active ? "true" : "false"}>
      {r.registration_number ?? "Registration"}: {r.active ? "active" : "not active"}
      {r.licence_expires !== null && `, card valid to ${r.licence_expires}`}
      {r.active &&
        r.tracks_allotment &&
        ` · still allowed${r.purchase_amount_days === null ? "" : ` (${amountText(r.purchase_amount_days)} days)`}: ${allows
          .map(([n, what]) => `${amountText(n)} ${what}`)
          .join(", ")}`}
      {r.active && !r.tracks_allotment && " · Metrc tracks no allotment for it"}
    </span>
  );
}
