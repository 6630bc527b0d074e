/**
 * The root component. It follows the backend's app state (`app_state`, then every
 * `session_changed` event): first run shows the setup wizard, a locked register the login, a
 * ready one the key prompt (once per login, when the user has no working key) and then the shell
 * with the screens the session may use. It also answers the shell's "quit
 * while records wait?" question, and tells the backend about keyboard and pointer activity (at
 * most every 30 s) so the idle lock counts from the last real use. A command refused with
 * `not_logged_in` re-reads the app state, which shows the login.
 */
import { now as clockNow } from "./clock";
import { useEffect, useMemo, useRef, useState } from "react";
import type { AppState, Backend } from "./api";
import { AppStateProvider, BackendProvider, useBackend, useLoad, watchForLogout } from "./context";
import { KeyPrompt, Login } from "./screens/Login";
import { Wizard } from "./screens/Wizard";
import { Shell } from "./shell/Shell";
import { Dialog } from "./ui/Dialog";
import { ErrorNote } from "./ui/Note";

export const TOUCH_EVERY_MS = 30_000;

/** Identifies one login, so the key prompt shows once per login. */
function sessionId(state: AppState): string {
  return `${state.session?.user ?? ""}@${state.session?.started_at ?? ""}`;
}

export function App({ backend, version = null }: { backend: Backend; version?: string | null }) {
  const [loggedOut, setLoggedOut] = useState(0);
  const guarded = useMemo(() => watchForLogout(backend, () => setLoggedOut((n) => n + 1)), [backend]);
  return (
    <BackendProvider backend={guarded}>
      <Root version={version} loggedOut={loggedOut} />
    </BackendProvider>
  );
}

function Root({ version, loggedOut }: { version: string | null; loggedOut: number }) {
  const backend = useBackend();
  const loaded = useLoad((b) => b.appState(), []);
  const [pushed, setPushed] = useState<AppState | null>(null);
  const [inWizard, setInWizard] = useState(false);
  const [quitWaiting, setQuitWaiting] = useState<number | null>(null);
  const [keyPromptShown, setKeyPromptShown] = useState<string | null>(null);
  const [keyPromptDone, setKeyPromptDone] = useState<string | null>(null);
  const lastTouch = useRef(0);

  useEffect(() => backend.on("session_changed", setPushed), [backend]);
  useEffect(() => {
    if (loggedOut > 0) backend.appState().then(setPushed, () => undefined);
  }, [backend, loggedOut]);
  useEffect(() => backend.on("quit_requested", (q) => setQuitWaiting(q.waiting)), [backend]);
  useEffect(() => {
    const activity = () => {
      const now = clockNow();
      if (now - lastTouch.current < TOUCH_EVERY_MS) return;
      lastTouch.current = now;
      backend.touch().catch(() => undefined);
    };
    window.addEventListener("keydown", activity);
    window.addEventListener("pointerdown", activity);
    return () => {
      window.removeEventListener("keydown", activity);
      window.removeEventListener("pointerdown", activity);
    };
  }, [backend]);

  const state = pushed ?? loaded.data;
  const login = state === null ? null : sessionId(state);
  const needsKey = state?.session?.needs_key === true;
  const setupRunning = inWizard || state?.phase === "first_run";
  useEffect(() => {
    // The wizard asks for the manager's key itself.
    if (!needsKey || setupRunning) return;
    // A new need for a key (none at login, or refused later) asks again, even if skipped before.
    setKeyPromptShown(login);
    setKeyPromptDone((done) => (done === login ? null : done));
  }, [needsKey, login, setupRunning]);
  useEffect(() => {
    if (state?.phase === "first_run") setInWizard(true);
  }, [state?.phase]);

  if (state === null) {
    return (
      <main className="centered">
        <div className="panel stack">
          <h1 id="app-title" data-testid="app-title">
            Stateline
          </h1>
          {loaded.error === null ? <p className="muted">Opening…</p> : <ErrorNote error={loaded.error} testId="startup-error" />}
        </div>
      </main>
    );
  }

  const update = (next: AppState) => setPushed(next);
  let screen;
  const needsLogin = state.session === null && state.setup.has_users;
  if ((inWizard || state.phase === "first_run") && !needsLogin) {
    screen = <Wizard state={state} onState={update} onDone={() => setInWizard(false)} />;
  } else if (state.phase === "locked" || state.session === null) {
    screen = <Login state={state} onState={update} version={version} />;
  } else if (((needsKey && !setupRunning) || keyPromptShown === login) && keyPromptDone !== login) {
    // Stays up after the key is saved (needs_key turns false) until the user has read the matrix.
    screen = <KeyPrompt user={state.session.user} onDone={() => setKeyPromptDone(login)} />;
  } else {
    screen = <Shell onState={update} />;
  }

  return (
    <AppStateProvider value={state}>
      {screen}
      {quitWaiting !== null && (
        <Dialog
          title="Quit Stateline?"
          confirmLabel="Quit anyway"
          danger
          testId="quit-dialog"
          onCancel={() => setQuitWaiting(null)}
          onConfirm={() => {
            setQuitWaiting(null);
            void backend.quit(true).catch(() => undefined);
          }}
        >
          <p>
            {quitWaiting} {quitWaiting === 1 ? "record has" : "records have"} not reached Metrc yet. They are safe on this
            computer and are sent the next time Stateline runs.
          </p>
        </Dialog>
      )}
    </AppStateProvider>
  );
}
