import { useEffect, useState } from "react";
import type { Backend } from "../backend";

export function Settings({ backend }: { backend: Backend }) {
  const [location, setLocation] = useState<string>("");
  useEffect(() => {
    backend.dataLocation().then(setLocation, () => setLocation("unknown"));
  }, [backend]);
  return (
    <section>
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <h2>Data location</h2>
      <p>
        Vigil keeps everything in one file: <code data-testid="data-location">{location}</code>
      </p>
    </section>
  );
}
