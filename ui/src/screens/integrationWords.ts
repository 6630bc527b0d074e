/**
 * Words for the Integrations screen, from codes (never from the backend's English): a heading for
 * a listener that could not start, what each answer of the local API in the call log means, and
 * the scopes.
 */
import type { IntegrationCallView, IntegrationScope } from "../api";

/** The scopes in the order they are offered, with what each allows. */
export const SCOPES: { scope: IntegrationScope; label: string; hint: string }[] = [
  { scope: "record", label: "Record", hint: "send sales and adjustments" },
  { scope: "status", label: "Status", hint: "read records' states and the register's status" },
  { scope: "inventory", label: "Inventory", hint: "read packages and what is on hand" },
];

/** A heading for `ApiSettingsView.problem`, by its code. */
export function problemHeading(code: string): string {
  switch (code) {
    case "api_listen_failed":
      return "The local API could not start: its port is in use";
    case "api_certificate_failed":
      return "The store-network certificate could not be used";
    default:
      return "The local API could not start";
  }
}

const REFUSALS: Record<string, string> = {
  unauthorized: "refused: no token, or an unknown one",
  token_revoked: "refused: the token was revoked",
  scope_missing: "refused: the token lacks the scope",
  unknown_ticket: "no record for that ticket",
  not_found: "no such route",
  ticket_conflict: "refused: ticket id reused with other contents",
  invalid_input: "refused: the request was not valid",
  insufficient_quantity: "refused: not enough on hand",
  over_limit: "refused: over a purchase limit",
};

/** What the API answered a call, in words: "recorded (201)", "refused: the token was revoked (401)". */
export function callAnswer(call: Pick<IntegrationCallView, "status" | "code" | "method">): string {
  if (call.code === null) {
    const done = call.status === 201 ? "recorded" : call.method === "POST" ? "answered (already recorded)" : "answered";
    return `${done} (${call.status})`;
  }
  return `${REFUSALS[call.code] ?? `refused: ${call.code.replace(/_/g, " ")}`} (${call.status})`;
}
