/** The root component: asks the backend for the app version and shows the placeholder screen. */
import { useEffect, useState } from "react";
import { appVersion } from "./backend";
import { Placeholder } from "./Placeholder";

export function App() {
  const [version, setVersion] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    appVersion()
      .then((v) => {
        if (live) setVersion(v);
      })
      .catch(() => {
        if (live) setVersion(null);
      });
    return () => {
      live = false;
    };
  }, []);

  return <Placeholder version={version} />;
}
