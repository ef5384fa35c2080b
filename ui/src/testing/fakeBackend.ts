// A backend made of fixtures for component tests: no Tauri, every call recorded.
import { vi } from "vitest";
import type { ActionView, AlertView, Backend, EntityView, InvestigationDetails, InvestigationSummary, MachineView } from "../backend";

export const machine = (over: Partial<MachineView> = {}): MachineView => ({
  id: 1,
  name: "client4",
  domain: "northwind",
  os: "Windows 11",
  role: "workstation",
  tags: [],
  ip: "10.0.0.14",
  group: "Workstations",
  automation_level: "semi_any",
  risk: "high",
  active_alerts: 2,
  connector: "lab",
  last_seen: "2026-11-27T22:00:00Z",
  ...over,
});

export const alertView = (over: Partial<AlertView> = {}): AlertView => ({
  id: 3,
  title: "Office application started script host",
  description: "winword.exe started wscript.exe",
  severity: "high",
  category: "Execution",
  technique: "T1059",
  detection_source: "sigma",
  rule_id: "r1",
  machine: "client4",
  user: "northwind\\alice",
  status: "new",
  investigation_id: null,
  first_seen: "2026-11-27T21:00:00Z",
  last_seen: "2026-11-27T21:05:00Z",
  ...over,
});

export const summary = (over: Partial<InvestigationSummary> = {}): InvestigationSummary => ({
  id: 1,
  title: "Investigation of client4",
  status: "pending_action",
  status_detail: "",
  trigger: "Office application started script host",
  trigger_alert_id: 3,
  playbook: "auto",
  detection_source: "sigma",
  threat_types: ["Execution"],
  tags: [],
  machine_names: ["client4"],
  user_names: ["northwind\\alice"],
  started_by: "tester",
  created_at: "2026-11-27T21:06:00Z",
  started_at: "2026-11-27T21:06:00Z",
  ended_at: null,
  duration_s: 120,
  pending_s: 60,
  ...over,
});

export const entity = (over: Partial<EntityView> = {}): EntityView => ({
  id: 17,
  kind: "file",
  name: "updater.exe",
  machine: "client4",
  path: "C:\\Users\\alice\\Downloads\\updater.exe",
  sha256: null,
  pid: null,
  command_line: null,
  value: null,
  verdict: "malicious",
  reasons: [{ analyzer: "threat_intel", verdict: "malicious", text: "Its hash is on the known-bad list" }],
  remediation_status: "pending_approval",
  ...over,
});

export const action = (over: Partial<ActionView> = {}): ActionView => ({
  id: 5,
  investigation_id: 1,
  kind: "quarantine_file",
  label: "Quarantine file",
  entity_id: 17,
  entity: "updater.exe",
  entity_kind: "file",
  verdict: "malicious",
  machine: "client4",
  source: "automated",
  state: "pending",
  reason: "Its hash is on the known-bad list",
  decided_by: null,
  decided_at: null,
  decision_note: null,
  proposed_at: "2026-11-27T21:07:00Z",
  expires_at: "2026-12-04T21:07:00Z",
  started_at: null,
  finished_at: null,
  result: "",
  reversible: true,
  ...over,
});

export const details = (over: Partial<InvestigationDetails> = {}): InvestigationDetails => ({
  ...summary(),
  alerts: [alertView({ investigation_id: 1 })],
  machines: [{ name: "client4", group: "Workstations", automation_level: "semi_any", reason: "alert", joined_at: "2026-11-27T21:06:00Z" }],
  users: [{ name: "northwind\\alice", reason: "logged on" }],
  key_findings: [entity()],
  entities: [entity()],
  log: [{ id: 1, step: "Start", machine: "client4", status: "running", started_at: "2026-11-27T21:06:00Z", duration_ms: 12, detail: "started" }],
  actions: [action()],
  pending_actions: [action()],
  graph: {
    nodes: [
      { id: "alert:3", group: "alert", kind: "high", label: "Office application started script host", verdict: null, remediation_status: null },
      { id: "entity:17", group: "finding", kind: "file", label: "updater.exe", verdict: "malicious", remediation_status: "pending_approval" },
    ],
    edges: [{ source: "alert:3", target: "entity:17", label: "evidence" }],
  },
  ...over,
});

/** A backend where every method resolves to a sensible fixture; override what a test needs. */
export function fakeBackend(over: Partial<Backend> = {}): Backend {
  const base: Backend = {
    dashboard: vi.fn(),
    overview: vi.fn(async () => ({ machines: 1, alerts: 1, active_alerts: 1, investigations: 1, events: 10, pending_actions: 1 })),
    dataLocation: vi.fn(async () => "/tmp/vigil.sqlite3"),
    loadDemo: vi.fn(async () => ({ machines: 8, users: 5, events: 100, indicators: 4, alerts: 3 })),
    machines: vi.fn(async () => [machine(), machine({ id: 2, name: "server1", risk: "none", active_alerts: 0 })]),
    alerts: vi.fn(async () => [alertView()]),
    alert: vi.fn(async () => alertView()),
    investigations: vi.fn(async () => [summary()]),
    investigation: vi.fn(async () => details()),
    investigateMachine: vi.fn(async () => 1),
    investigateAlert: vi.fn(async () => 1),
    cancelInvestigation: vi.fn(async () => details({ status: "terminated_by_user" })),
    actions: vi.fn(async (filter) => (filter === "pending" ? [action()] : [action({ id: 9, state: "succeeded", decided_by: "tester" })])),
    approve: vi.fn(async (ids: number[]) => ids.map((id) => action({ id, state: "succeeded" }))),
    reject: vi.fn(async (ids: number[]) => ids.map((id) => action({ id, state: "rejected" }))),
    undo: vi.fn(async (ids: number[]) => ids.map((id) => action({ id, state: "undone" }))),
    groups: vi.fn(async () => [
      {
        id: 1,
        name: "Workstations",
        description: "Laptops and desktops",
        rank: 1,
        automation_level: "semi_any" as const,
        automation_label: "Semi – require approval for any remediation",
        is_default: false,
        rules: [{ field: "name", pattern: "client*" }],
        machines: ["client4"],
      },
      {
        id: 2,
        name: "Ungrouped machines",
        description: "Machines that match no other group",
        rank: 1000000,
        automation_level: "semi_any" as const,
        automation_label: "Semi – require approval for any remediation",
        is_default: true,
        rules: [],
        machines: ["server1"],
      },
    ]),
    setGroupLevel: vi.fn(async (name, level) => ({
      id: 1,
      name,
      description: "",
      rank: 1,
      automation_level: level,
      automation_label: "Full – remediate threats automatically",
      is_default: false,
      rules: [],
      machines: [],
    })),
    automationLevels: vi.fn(async () => [
      { level: "not_protected" as const, label: "Not protected", explanation: "No automated investigation runs on these machines." },
      { level: "semi_any" as const, label: "Semi – require approval for any remediation", explanation: "Every remediation waits for your approval." },
      { level: "full" as const, label: "Full – remediate threats automatically", explanation: "Malicious threats are remediated at once." },
    ]),
    alertPolicies: vi.fn(async () => [
      { id: 1, name: "Investigate high-severity alerts", rank: 1, enabled: true, min_severity: "high" as const, detection_source: null, category: null, playbook: "auto", start: true },
    ]),
    policyChoices: vi.fn(async () => ({
      detection_sources: ["sigma", "ioc", "yara", "heuristic", "imported", "manual"],
      playbooks: [{ id: "malware_on_machine", title: "Malware on a machine" }],
    })),
    saveAlertPolicy: vi.fn(async (p) => ({ ...p, id: p.id ?? 2, rank: p.id ?? 2 })),
    deleteAlertPolicy: vi.fn(async () => null),
    moveAlertPolicy: vi.fn(async () => []),
    previewGroup: vi.fn(async () => ({ machines: ["client4"], kept_by_higher: [] })),
    saveGroup: vi.fn(async (g) => ({
      ...g,
      id: g.id ?? 3,
      rank: 2,
      automation_label: "Full – remediate threats automatically",
      is_default: false,
      machines: ["client4"],
    })),
    deleteGroup: vi.fn(async () => null),
    moveGroup: vi.fn(async () => []),
    saveExport: vi.fn(async (name) => `/tmp/exports/${name}`),
    importTelemetry: vi.fn(async () => ({
      files: 1,
      records: 6,
      events_added: 6,
      duplicates: 0,
      skipped: 0,
      skip_reasons: [],
      machines_added: 2,
      alerts: 1,
      investigations_started: 1,
      rules: 21,
      rules_seconds: 0.01,
      stored_seconds: 0.05,
      stored_cpu_seconds: 0.07,
      ingest_seconds: 0.1,
      seconds: 0.2,
    })),
    ruleDirs: vi.fn(async () => []),
    addRuleDir: vi.fn(async () => 2842),
    importIntel: vi.fn(async () => ({ indicators: 4, added: 4, skipped: 0, skip_reasons: [], seen_on: [], alerts: 0, investigations_started: 0 })),
    intelLists: vi.fn(async () => []),
    removeIntelList: vi.fn(async () => 4),
    pick: vi.fn(async () => null),
    onImportProgress: vi.fn(async () => () => undefined),
    onFilesDropped: vi.fn(async () => () => undefined),
    onStoreChanged: vi.fn(async () => () => undefined),
    onInvestigationUpdated: vi.fn(async () => () => undefined),
  };
  const merged: Backend = { ...base, ...over };
  // The dashboard as the engine builds it, from this backend's other answers.
  merged.dashboard =
    over.dashboard ??
    vi.fn(async () => {
      const overview = await merged.overview();
      const [machines, alerts, investigations, pending, history] = await Promise.all([
        merged.machines(),
        merged.alerts(null),
        merged.investigations(null, null),
        merged.actions("pending"),
        merged.actions("history"),
      ]);
      const statuses = [...new Set(investigations.map((i) => i.status))];
      return {
        overview,
        at_risk: machines.filter((m) => m.risk !== "none").slice(0, 8),
        active_alerts: alerts.filter((a) => a.status !== "resolved").slice(0, 8),
        investigations_by_status: statuses.map((status) => ({ status, count: investigations.filter((i) => i.status === status).length })),
        pending: pending.slice(0, 8),
        oldest_pending: pending.map((a) => a.proposed_at).sort()[0] ?? null,
        recent_remediations: history.slice(0, 8),
      };
    });
  return merged;
}
