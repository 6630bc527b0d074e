/**
 * The logged-in frame: header with the status chip (always visible), who is logged in and "Lock";
 * banners for a missing vendor key, for a key Metrc refused and for a store server out of reach; the nav, which lists only the
 * screens this user's role may use (Alt+1 … Alt+9, then Alt+0 for the tenth, jump to them) (manager screens are hidden from
 * budtenders, the demo panel shows only in demo mode); and the current screen.
 */
import { useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import type { AppState, Permission, SessionView } from "../api";
import { useAppState, useBackend, useSession, useStatus, useStoreLink } from "../context";
import { Audit } from "../screens/Audit";
import { Demo } from "../screens/Demo";
import { Integrations } from "../screens/Integrations";
import { Inventory } from "../screens/Inventory";
import { Keys } from "../screens/Keys";
import { Sell } from "../screens/Sell";
import { Settings } from "../screens/Settings";
import { Store } from "../screens/Store";
import { Sync } from "../screens/Sync";
import { Users } from "../screens/Users";
import { Button } from "../ui/Button";
import { KeyProblemBanner } from "./KeyProblemBanner";
import { StoreBanner } from "./StoreBanner";
import { LiveStatusChip } from "./StatusChip";

export type ScreenId = "sell" | "inventory" | "sync" | "keys" | "users" | "settings" | "audit" | "store" | "integrations" | "demo";

interface ScreenDef {
  id: ScreenId;
  label: string;
  /** Shown only to sessions with this permission. */
  needs: Permission | null;
  demoOnly: boolean;
  render: (onState: (state: AppState) => void, go: (id: ScreenId) => void) => ReactNode;
}

const SCREENS: ScreenDef[] = [
  { id: "sell", label: "Sell", needs: null, demoOnly: false, render: () => <Sell /> },
  { id: "inventory", label: "Inventory", needs: null, demoOnly: false, render: () => <Inventory /> },
  { id: "sync", label: "Sync", needs: null, demoOnly: false, render: () => <Sync /> },
  { id: "keys", label: "Keys", needs: null, demoOnly: false, render: (onState) => <Keys onState={onState} /> },
  { id: "users", label: "Users", needs: "manage_users", demoOnly: false, render: () => <Users /> },
  { id: "settings", label: "Settings", needs: "change_settings", demoOnly: false, render: (onState) => <Settings onState={onState} /> },
  { id: "audit", label: "Audit", needs: "view_reports", demoOnly: false, render: () => <Audit /> },
  { id: "store", label: "Store", needs: "change_settings", demoOnly: false, render: (_, go) => <Store onOpenSettings={() => go("settings")} /> },
  { id: "integrations", label: "Integrations", needs: "manage_users", demoOnly: false, render: () => <Integrations /> },
  { id: "demo", label: "Demo panel", needs: null, demoOnly: true, render: () => <Demo /> },
];

/** The screens a session may see. */
export function visibleScreens(session: SessionView, demo: boolean): ScreenDef[] {
  return SCREENS.filter((s) => (s.needs === null || session.permissions.includes(s.needs)) && (!s.demoOnly || demo));
}

export function Shell({ onState }: { onState: (state: AppState) => void }) {
  const backend = useBackend();
  const app = useAppState();
  const session = useSession();
  const status = useStatus();
  const storeLink = useStoreLink();
  const screens = useMemo(() => visibleScreens(session, app.demo), [session, app.demo]);
  const [current, setCurrent] = useState<ScreenId>("sell");
  const shown = screens.find((s) => s.id === current) ?? screens[0]!;

  useEffect(() => {
    // Alt+1 … Alt+9 open the screens in nav order, Alt+0 the tenth.
    const jump = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const target = screens[e.key === "0" ? 9 : Number(e.key) - 1];
      if (/^[0-9]$/.test(e.key) && target !== undefined) {
        e.preventDefault();
        setCurrent(target.id);
      }
    };
    window.addEventListener("keydown", jump);
    return () => window.removeEventListener("keydown", jump);
  }, [screens]);

  return (
    <div className="shell">
      <header className="shell-header">
        <h1 id="app-title" data-testid="app-title">
          Stateline
        </h1>
        <LiveStatusChip status={status} />
        <span className="spacer" />
        <span data-testid="session-user" data-role={session.role}>
          {session.user} ({session.role})
        </span>
        <Button onClick={() => void backend.lock().then(onState, () => undefined)} data-testid="lock">
          Lock
        </Button>
        <Button onClick={() => void backend.logout().then(onState, () => undefined)} data-testid="logout">
          Log out
        </Button>
      </header>
      <div className="shell-body">
        <nav className="nav" aria-label="Screens">
          {screens.map((s, i) => (
            <a
              key={s.id}
              href={`#${s.id}`}
              title={`Alt+${(i + 1) % 10}`}
              aria-current={s.id === shown.id ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                setCurrent(s.id);
              }}
              data-testid={`nav-${s.id}`}
            >
              {s.label}
            </a>
          ))}
        </nav>
        <main className="screen" data-testid={`screen-${shown.id}`}>
          {!app.demo && !app.setup.vendor_key_set && (
            <div className="note note-warn row" role="alert" data-testid="vendor-key-banner" style={{ justifyContent: "space-between", alignItems: "center" }}>
              <span>
                <strong>No vendor key is set.</strong> Selling goes on, but nothing reaches Metrc until it is.{" "}
                {session.permissions.includes("change_settings") ? "Enter it in Settings." : "Ask a manager to enter it."}
              </span>
              {session.permissions.includes("change_settings") && shown.id !== "settings" && (
                <Button onClick={() => setCurrent("settings")} data-testid="vendor-key-banner-open">
                  Open Settings
                </Button>
              )}
            </div>
          )}
          <StoreBanner link={storeLink} />
          <KeyProblemBanner status={status} />
          {shown.render(onState, setCurrent)}
        </main>
      </div>
    </div>
  );
}
