// The app on the fixture backend, for looking at the UI without the engine (preview.html).
// Decisions change what it answers next, so that a click shows its effect.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "../App";
import { BackendError, type ActionView, type Backend } from "../backend";
import "../styles.css";
import { startTheme } from "../lib/theme";
import { alertView, fixtureBackend, machine, psexecInvestigation, summary } from "./fixtures";

function previewBackend(): Backend {
  let d = psexecInvestigation();
  const listeners = new Set<(topic: string) => void>();
  const changed = () => listeners.forEach((l) => l("action"));
  const decide = (ids: number[], state: ActionView["state"], by: string, note: string | null) => {
    const chosen = new Set(ids);
    const actions = d.actions.map((a) => (chosen.has(a.id) ? { ...a, state, decided_by: by, decision_note: note } : a));
    const done = new Map(actions.filter((a) => chosen.has(a.id)).map((a) => [a.entity_id, state]));
    const status = (s: ActionView["state"]) => (s === "succeeded" ? "remediated" : "declined");
    const entities = (list: typeof d.entities) =>
      list.map((e) => (done.has(e.id) ? { ...e, remediation_status: status(done.get(e.id) as ActionView["state"]) as typeof e.remediation_status } : e));
    d = { ...d, actions, pending_actions: actions.filter((a) => a.state === "pending"), key_findings: entities(d.key_findings), entities: entities(d.entities) };
    setTimeout(changed, 0);
    return actions.filter((a) => chosen.has(a.id));
  };
  return fixtureBackend({
    machines: async () => [machine({ name: "ws01", ip: "10.0.0.21" }), machine({ id: 2, name: "dc01", risk: "none", active_alerts: 0 })],
    alerts: async () => d.alerts,
    alert: async (id) => d.alerts.find((a) => a.id === id) ?? alertView(),
    investigations: async () => [
      d,
      summary({ id: 6, title: "Investigation of ws02", trigger: "analyst_machine", trigger_alert_id: null, trigger_alert_title: null, started_by: "admin", machine_names: ["ws02"], status: "no_threats_found", user_names: [] }),
      summary({
        id: 5,
        title: "Process Memory Dumped with comsvcs.dll MiniDump",
        trigger_alert_title: "Process Memory Dumped with comsvcs.dll MiniDump",
        threat_types: ["Credential access"],
        machine_names: ["fileserver-01.northwind.local", "ws01"],
        user_names: ["NORTHWIND\\administrator", "NORTHWIND\\alice"],
        status: "partially_remediated",
      }),
    ],
    investigation: async () => d,
    actions: async (filter) => (filter === "pending" ? d.pending_actions : d.actions.filter((a) => a.state !== "pending")),
    approve: async (ids) => decide(ids, "succeeded", "admin", null),
    reject: async (ids, reason) => decide(ids, "rejected", "admin", reason),
    // The engine's check of the list, roughly, so that a refusal can be seen.
    saveNeverActOn: async (list) => {
      const bad = list.ips.find((ip) => !/^[0-9a-f.:]+(\/\d+)?$/i.test(ip) || ip.split(".").some((part) => Number(part) > 255));
      if (bad) throw new BackendError({ code: "invalid_input", message: `“${bad}” is not an IP address or network (write 192.0.2.10 or 10.0.0.0/8)` });
      return list;
    },
    onStoreChanged: async (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
}

startTheme();
const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App backend={previewBackend()} />
    </StrictMode>,
  );
}
