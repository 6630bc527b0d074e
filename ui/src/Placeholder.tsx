/**
 * The screen shown until the real screens land: the product name, what it is, and the app version
 * once the desktop shell has answered. The heading's id and test id are stable for WebDriver tests.
 */
export interface PlaceholderProps {
  /** Version reported by the desktop shell; `null` while unknown or outside the app. */
  version: string | null;
}

export function Placeholder({ version }: PlaceholderProps) {
  return (
    <main className="placeholder">
      <h1 id="app-title" data-testid="app-title">
        Stateline
      </h1>
      <p data-testid="app-tagline">Register companion — demo mode coming soon</p>
      {version !== null && <p className="version" data-testid="app-version">Version {version}</p>}
    </main>
  );
}
