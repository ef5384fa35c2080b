import { useState } from "react";
import { tauriBackend, type Backend } from "./backend";
import { Nav, type ViewId } from "./components/shell/Nav";
import { Dashboard } from "./views/Dashboard";
import { Placeholder } from "./views/Placeholder";
import { Settings } from "./views/Settings";

export function App({ backend = tauriBackend }: { backend?: Backend }) {
  const [view, setView] = useState<ViewId>("dashboard");
  return (
    <div className="shell">
      <Nav current={view} onSelect={setView} />
      <main className="content" id="content" tabIndex={-1}>
        {view === "dashboard" && <Dashboard backend={backend} />}
        {view === "investigations" && <Placeholder title="Investigations" />}
        {view === "actions" && <Placeholder title="Action center" />}
        {view === "machines" && <Placeholder title="Machines" />}
        {view === "alerts" && <Placeholder title="Alerts" />}
        {view === "settings" && <Settings backend={backend} />}
      </main>
    </div>
  );
}
