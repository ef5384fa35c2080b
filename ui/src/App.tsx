import { useState } from "react";
import { tauriBackend, type Backend } from "./backend";
import { Nav } from "./components/shell/Nav";
import type { Route } from "./route";
import { section } from "./route";
import { Dashboard } from "./views/Dashboard";
import { Machines } from "./views/Machines";
import { MachinePage } from "./views/MachinePage";
import { Alerts } from "./views/Alerts";
import { AlertPage } from "./views/AlertPage";
import { Investigations } from "./views/Investigations";
import { InvestigationPage } from "./views/InvestigationPage";
import { ActionCenter } from "./views/ActionCenter";
import { Settings } from "./views/Settings";

export function App({ backend = tauriBackend }: { backend?: Backend }) {
  const [route, setRoute] = useState<Route>({ view: "dashboard" });
  const go = (next: Route) => {
    setRoute(next);
    document.getElementById("content")?.scrollTo?.(0, 0);
  };
  const key = JSON.stringify(route);
  return (
    <div className="shell">
      <Nav current={section(route)} onSelect={(view) => go({ view } as Route)} />
      <main className="content" id="content" tabIndex={-1} key={key}>
        {route.view === "dashboard" && <Dashboard backend={backend} go={go} />}
        {route.view === "machines" && <Machines backend={backend} go={go} />}
        {route.view === "machine" && <MachinePage backend={backend} go={go} name={route.name} />}
        {route.view === "alerts" && <Alerts backend={backend} go={go} />}
        {route.view === "alert" && <AlertPage backend={backend} go={go} id={route.id} />}
        {route.view === "investigations" && <Investigations backend={backend} go={go} />}
        {route.view === "investigation" && <InvestigationPage backend={backend} go={go} id={route.id} tab={route.tab} />}
        {route.view === "actions" && <ActionCenter backend={backend} go={go} tab={route.tab} />}
        {route.view === "settings" && <Settings backend={backend} go={go} />}
      </main>
    </div>
  );
}
