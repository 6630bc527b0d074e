/**
 * Settings › Start at login: a checkbox that turns the app's start at login on or off (Tauri's
 * autostart plugin, through `desktopAutostart` in the backend). It shows only in the desktop app,
 * where there is a login to start with; the box says what the system says, and a refusal is shown
 * with the box left as it was.
 */
import { useEffect, useState } from "react";
import type { AppError } from "../api";
import { desktopAutostart } from "../backend";
import type { Autostart } from "../backend";
import { toAppError } from "../api";
import { ErrorNote } from "../ui/Note";

export function AutostartSetting({ autostart: given }: { autostart?: Autostart | null }) {
  const [autostart] = useState<Autostart | null>(() => (given === undefined ? desktopAutostart() : given));
  const [on, setOn] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    if (autostart === null) return;
    let current = true;
    autostart.enabled().then(
      (enabled) => current && setOn(enabled),
      (e: unknown) => current && setError(toAppError(e)),
    );
    return () => {
      current = false;
    };
  }, [autostart]);

  if (autostart === null) return null;

  async function change(next: boolean) {
    if (autostart === null) return;
    setBusy(true);
    setError(null);
    try {
      await autostart.set(next);
      setOn(await autostart.enabled());
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="panel stack" data-testid="settings-autostart">
      <h3>Start at login</h3>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={on === true}
          disabled={on === null || busy}
          onChange={(e) => void change(e.target.checked)}
          data-testid="settings-autostart-toggle"
        />
        Start Stateline when this computer's user logs in, so the register syncs from the start of the day
      </label>
      <ErrorNote error={error} testId="settings-autostart-error" />
    </div>
  );
}
