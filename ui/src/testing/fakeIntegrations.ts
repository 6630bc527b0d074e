/**
 * The local API's part of the fake backend's world (issue #17): its settings and whether it
 * could start, the integrations with their tokens (kept here only so a test can play a POS with
 * one), clerk mappings and the call log.
 *
 * Tests change the data directly (`fake.integrations.takenPorts.add(7420)` makes the API's port
 * busy, `fake.integrations.posCall(token, "POST", "/v1/sales")` logs a call as the real API
 * would: 401 `token_revoked` for a revoked token).
 */
import type { ApiSettings, ApiSettingsView, IntegrationCallView, IntegrationScope, IntegrationView } from "../api";
import { T0 } from "./testClock";

/** What the real API answers a POS, as the fake plays it. */
export interface PosAnswer {
  status: number;
  code: string | null;
}

export class FakeIntegrations {
  settings: ApiSettings = { enabled: false, port: 7420, lan: false, door_enabled: false, door_port: 7421 };
  /** Ports another program holds: a listener there fails with `api_listen_failed`. */
  takenPorts = new Set<number>();
  /** The certificate's fingerprint on the store network. */
  fingerprint = "5e:1a:9c:02:7b:44:d0:13:8f:6e:a2:91:3c:55:b7:0d:e8:21:4f:9a:66:c3:18:07:b2:5d:90:ee:41:7a:0c:f3";
  list: IntegrationView[] = [];
  /** Every token handed out, by integration id (the real register keeps only hashes). */
  tokens = new Map<number, string>();
  /** Clerk mappings: `${id}:${clerk}` → user. */
  clerks = new Map<string, string>();
  calls: IntegrationCallView[] = [];
  private nextId = 1;

  view(): ApiSettingsView {
    const s = this.settings;
    const apiBusy = s.enabled && this.takenPorts.has(s.port);
    const doorBusy = s.door_enabled && this.takenPorts.has(s.door_port);
    const busy = apiBusy ? s.port : doorBusy ? s.door_port : null;
    return {
      settings: { ...s },
      api_url: s.enabled && !apiBusy ? `${s.lan ? "https" : "http"}://${s.lan ? "register-1" : "127.0.0.1"}:${s.port}` : null,
      door_url: s.door_enabled && !doorBusy ? `http://127.0.0.1:${s.door_port}` : null,
      certificate_fingerprint: s.enabled && s.lan ? this.fingerprint : null,
      problem:
        busy === null
          ? null
          : {
              code: "api_listen_failed",
              message: `the local API cannot listen on 127.0.0.1:${busy}: Address in use; choose another port on the Integrations screen, or stop the program using it`,
            },
    };
  }

  create(name: string, scopes: IntegrationScope[], by: string): { integration: IntegrationView; token: string } {
    const id = this.nextId++;
    const token = `slk_${String(id).padStart(4, "0")}fakeTokenForTests${id}`;
    const integration: IntegrationView = {
      id,
      name,
      token_prefix: token.slice(0, 8),
      scopes: (["record", "status", "inventory"] as IntegrationScope[]).filter((s) => scopes.includes(s)),
      created_by: by,
      created_at: T0,
      revoked_at: null,
      revoked_by: null,
      last_used_at: null,
      clerks: [],
    };
    this.list.unshift(integration);
    this.tokens.set(id, token);
    return { integration: { ...integration }, token };
  }

  /** Integration `id` as the backend answers it: with its clerk mappings, by clerk id. */
  withClerks(integration: IntegrationView): IntegrationView {
    const prefix = `${integration.id}:`;
    const clerks = [...this.clerks.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, user]) => ({ clerk: key.slice(prefix.length), user }))
      .sort((a, b) => (a.clerk < b.clerk ? -1 : a.clerk > b.clerk ? 1 : 0));
    return { ...integration, scopes: [...integration.scopes], clerks };
  }

  /** A POS calls the API with `token`: logged like the real call log, answered as the API would. */
  posCall(token: string, method: string, route: string): PosAnswer {
    const id = [...this.tokens.entries()].find(([, t]) => t === token)?.[0] ?? null;
    const integration = this.list.find((i) => i.id === id);
    const answer: PosAnswer =
      integration === undefined
        ? { status: 401, code: "unauthorized" }
        : integration.revoked_at !== null
          ? { status: 401, code: "token_revoked" }
          : { status: method === "POST" ? 201 : 200, code: null };
    this.calls.unshift({ integration: id, at: T0, method, route, status: answer.status, code: answer.code });
    if (integration !== undefined) integration.last_used_at = T0;
    return answer;
  }
}
