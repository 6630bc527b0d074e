/** Mounts the React app into `#root` with the real (Tauri) backend and the app's version. */
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { appVersion, createBackend } from "./backend";
import "./styles.css";

const backend = createBackend();

function Main() {
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    appVersion().then(setVersion, () => setVersion(null));
  }, []);
  return <App backend={backend} version={version} />;
}

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <Main />
  </StrictMode>,
);
