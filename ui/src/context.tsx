/**
 * React plumbing shared by every screen: the backend (injected, so tests pass a fake), the logged-in
 * session, and `useLoad`, which fetches once and refetches whenever one of the named backend events
 * arrives (no polling).
 */
import { now as clockNow } from "./clock";
import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import { isAppError, toAppError } from "./api";
import { formatClock, formatTime, formatWhen } from "./format";
import type { AppError, AppState, Backend, EventName, Permission, SessionView, StoreLinkView, SyncStatus } from "./api";

const BackendContext = createContext<Backend | null>(null);

export function BackendProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>;
}

export function useBackend(): Backend {
  const backend = useContext(BackendContext);
  if (backend === null) throw new Error("useBackend outside BackendProvider");
  return backend;
}

/**
 * The same backend, but any command failing with `not_logged_in` (the session ended without the
 * UI hearing of it) also calls `onLoggedOut`, so the app can return to the login.
 */
export function watchForLogout(backend: Backend, onLoggedOut: () => void): Backend {
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "on") return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
          if (isAppError(error) && error.code === "not_logged_in") onLoggedOut();
          throw error;
        });
    },
  });
}

/** The app state (phase, licences, key mode, session) as last reported by the backend. */
const AppStateContext = createContext<AppState | null>(null);

export const AppStateProvider = AppStateContext.Provider;

export function useAppState(): AppState {
  const state = useContext(AppStateContext);
  if (state === null) throw new Error("useAppState outside AppStateProvider");
  return state;
}

/**
 * Formats a time as local facility time: in the time zone of `licence`, or of the register's first
 * licence (Metrc times are facility wall-clock times).
 */
export function useFacilityTime(): (at: string | null | undefined, licence?: string | null) => string {
  const app = useContext(AppStateContext);
  return (at, licence) => {
    const zone = app?.licences.find((l) => l.number === licence)?.time_zone ?? app?.licences[0]?.time_zone;
    return formatTime(at, zone);
  };
}

/**
 * Like `useFacilityTime`, with the relative form ("16:48 (3 min ago)", `formatWhen`), ticking
 * every 30 s.
 */
export function useFacilityWhen(): (at: string | null | undefined, licence?: string | null) => string {
  const app = useContext(AppStateContext);
  const now = useNow(30_000);
  return (at, licence) => {
    const zone = app?.licences.find((l) => l.number === licence)?.time_zone ?? app?.licences[0]?.time_zone;
    return formatWhen(at, now, zone);
  };
}

/** The logged-in user; only for screens shown after login. */
export function useSession(): SessionView {
  const session = useAppState().session;
  if (session === null) throw new Error("useSession with nobody logged in");
  return session;
}

/** Whether the logged-in user may do `permission` (the UI hides what they may not). */
export function useCan(): (permission: Permission) => boolean {
  const session = useAppState().session;
  return (permission) => session?.permissions.includes(permission) ?? false;
}

export interface Loaded<T> {
  data: T | null;
  error: AppError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` now, again when `deps` change, and again whenever one of `events` fires. Results of
 * an older run never overwrite a newer one.
 */
export function useLoad<T>(load: (backend: Backend) => Promise<T>, deps: unknown[], events: EventName[] = []): Loaded<T> {
  const backend = useBackend();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++run.current;
    setLoading(true);
    loadRef.current(backend).then(
      (value) => {
        if (mine !== run.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== run.current) return;
        setError(toAppError(e));
        setLoading(false);
      },
    );
  }, [backend]);

  useEffect(() => {
    reload();
  }, [reload, ...deps]);

  const eventKey = events.join(",");
  useEffect(() => {
    const offs = events.map((e) => backend.on(e, () => reload()));
    return () => offs.forEach((off) => off());
  }, [backend, reload, eventKey]);

  useEffect(
    () => () => {
      run.current++;
    },
    [],
  );

  return { data, error, loading, reload };
}

/**
 * Wraps a command for a button: tracks `busy`, keeps the last error as an {@link AppError}, and
 * resolves to the command's value or `undefined` when it failed (`attempt` for commands returning
 * nothing).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const act = useCallback(async <T,>(command: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await command();
    } catch (e) {
      setError(toAppError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  /** For commands that return nothing: resolves to whether the command succeeded. */
  const attempt = useCallback(
    async (command: () => Promise<unknown>): Promise<boolean> => (await act(async () => (await command(), true))) === true,
    [act],
  );
  return { busy, error, setError, act, attempt };
}

/** The current time, ticking every `everyMs` (for ages and countdowns on screen, not for data). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => clockNow());
  useEffect(() => {
    const timer = setInterval(() => setNow(clockNow()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Follows `status_changed`; fetches `sync_status` once at the start. */
export function useStatus(): SyncStatus | null {
  const backend = useBackend();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    let live = true;
    const off = backend.on("status_changed", (s) => live && setStatus(s));
    backend.syncStatus().then(
      (s) => live && setStatus((current) => current ?? s),
      () => undefined,
    );
    return () => {
      live = false;
      off();
    };
  }, [backend]);
  return status;
}

/** Follows `store_changed` (this register's link to its store); fetches `store_link` once at the start. */
export function useStoreLink(): StoreLinkView | null {
  const backend = useBackend();
  const [link, setLink] = useState<StoreLinkView | null>(null);
  useEffect(() => {
    let live = true;
    const off = backend.on("store_changed", (l) => live && setLink(l));
    backend.storeLink().then(
      (l) => live && setLink((current) => current ?? l),
      () => undefined,
    );
    return () => {
      live = false;
      off();
    };
  }, [backend]);
  return link;
}

/** Formats a time as "HH:MM" in the facility's time zone (the register's first licence's). */
export function useFacilityClock(): (at: string | null | undefined) => string {
  const app = useContext(AppStateContext);
  return (at) => formatClock(at, app?.licences[0]?.time_zone);
}
