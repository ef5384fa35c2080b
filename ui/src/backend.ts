// The one place the UI talks to Vigil's engine: it wraps the generated bindings so that
// components can be tested with the backend mocked.
import {
  commands,
  events,
  type ActionFilter,
  type ActionView_Serialize,
  type AlertPolicyInput,
  type AlertPolicyView_Serialize,
  type AgentToken,
  type AgentView_Serialize,
  type AlertView_Serialize,
  type ApiError,
  type AutomationLevel,
  type AutomationLevelInfo,
  type Dashboard_Serialize,
  type DemoSummary,
  type ImportProgress,
  type ImportSummary,
  type IntelList,
  type IntelSummary,
  type EntityView_Serialize,
  type GraphNode_Serialize,
  type GroupInput,
  type GroupPreview,
  type GroupRule,
  type GroupView,
  type InvestigationDetails_Serialize,
  type InvestigationStatus,
  type InvestigationSettings,
  type InvestigationSummary_Serialize,
  type MachineView_Serialize,
  type Move,
  type NeverActOn,
  type Overview,
  type PolicyChoices,
  type RuleSets_Serialize,
  type SigmaHqUpdate,
  type SigmaRuleInfo_Serialize,
} from "./bindings";
import { open } from "@tauri-apps/plugin-dialog";
import { getCurrentWebview } from "@tauri-apps/api/webview";

/** What the user picks in a file dialog. */
export type PickKind = "telemetry-files" | "telemetry-folder" | "rule-folder" | "sigma-release" | "ioc-list";

// Types with a different shape each way (specta): the window receives the serialised one.
export type ActionView = ActionView_Serialize;
export type AgentView = AgentView_Serialize;
export type AlertPolicyView = AlertPolicyView_Serialize;
export type AlertView = AlertView_Serialize;
export type Dashboard = Dashboard_Serialize;
export type EntityView = EntityView_Serialize;
export type GraphNode = GraphNode_Serialize;
export type InvestigationDetails = InvestigationDetails_Serialize;
export type InvestigationSummary = InvestigationSummary_Serialize;
export type MachineView = MachineView_Serialize;
export type RuleSets = RuleSets_Serialize;
export type SigmaRuleInfo = SigmaRuleInfo_Serialize;

export type {
  ActionFilter,
  AgentToken,
  AlertPolicyInput,
  ApiError,
  AutomationLevel,
  AutomationLevelInfo,
  DemoSummary,
  GroupInput,
  GroupPreview,
  GroupRule,
  GroupView,
  ImportProgress,
  ImportSummary,
  IntelList,
  IntelSummary,
  InvestigationSettings,
  InvestigationStatus,
  Move,
  NeverActOn,
  Overview,
  PolicyChoices,
  SigmaHqUpdate,
};
export type {
  GraphEdge,
  Verdict,
  RemediationStatus,
  Severity,
  ActionState,
  ActionKind,
  EntityKind,
  Fact,
  FindingGroup,
  RiskLevel,
} from "./bindings";

/** A failed call: the engine's stable code and its message. */
export class BackendError extends Error {
  readonly code: ApiError["code"];
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: ApiError };

function unwrap<T>(result: Result<T>): T {
  if (result.status === "error") throw new BackendError(result.error);
  return result.data;
}

export interface Backend {
  overview(): Promise<Overview>;
  /** Everything the dashboard shows, counted and cut short in the store. */
  dashboard(): Promise<Dashboard>;
  dataLocation(): Promise<string>;
  loadDemo(): Promise<DemoSummary>;
  machines(): Promise<MachineView[]>;
  alerts(machine: string | null): Promise<AlertView[]>;
  alert(id: number): Promise<AlertView>;
  investigations(status: InvestigationStatus | null, machine: string | null): Promise<InvestigationSummary[]>;
  investigation(id: number): Promise<InvestigationDetails>;
  investigateMachine(name: string): Promise<number>;
  investigateAlert(id: number): Promise<number>;
  cancelInvestigation(id: number): Promise<InvestigationDetails>;
  actions(filter: ActionFilter): Promise<ActionView[]>;
  approve(ids: number[], note: string | null): Promise<ActionView[]>;
  reject(ids: number[], reason: string): Promise<ActionView[]>;
  /**
   * Remediates findings nothing was proposed for, decided by the admin now; refused (an
   * error saying why) when Vigil must not act on one of them.
   */
  remediate(investigation: number, entities: number[]): Promise<ActionView[]>;
  undo(ids: number[]): Promise<ActionView[]>;
  /** Approved actions that wait for their machine, done by hand: the note says what was done. */
  markDone(ids: number[], note: string): Promise<ActionView[]>;
  /** What Vigil must never act on: the admin's list. */
  neverActOn(): Promise<NeverActOn>;
  /** Replaces the admin's list; returns it tidied, or refuses naming the bad entry. */
  saveNeverActOn(list: NeverActOn): Promise<NeverActOn>;
  /** How far around its alerts an investigation reads a machine's events. */
  investigationSettings(): Promise<InvestigationSettings>;
  saveInvestigationSettings(settings: InvestigationSettings): Promise<InvestigationSettings>;
  groups(): Promise<GroupView[]>;
  setGroupLevel(name: string, level: AutomationLevel): Promise<GroupView>;
  automationLevels(): Promise<AutomationLevelInfo[]>;
  alertPolicies(): Promise<AlertPolicyView[]>;
  policyChoices(): Promise<PolicyChoices>;
  saveAlertPolicy(policy: AlertPolicyInput): Promise<AlertPolicyView>;
  deleteAlertPolicy(id: number): Promise<null>;
  moveAlertPolicy(id: number, direction: Move): Promise<AlertPolicyView[]>;
  /** The machines a group written this way would hold, before it is saved. */
  previewGroup(group: GroupInput): Promise<GroupPreview>;
  saveGroup(group: GroupInput): Promise<GroupView>;
  deleteGroup(id: number): Promise<null>;
  moveGroup(id: number, direction: Move): Promise<GroupView[]>;
  /** Saves an export into the exports folder beside the store; returns the file's path. */
  saveExport(fileName: string, contents: string): Promise<string>;
  importTelemetry(paths: string[]): Promise<ImportSummary>;
  ruleDirs(): Promise<string[]>;
  addRuleDir(path: string): Promise<number>;
  /** The rules imports run: Vigil's own, SigmaHQ's (and where from), the user's folders. */
  ruleSets(): Promise<RuleSets>;
  /** Takes SigmaHQ's rules from a newer release (zip or folder) instead of the shipped ones. */
  updateSigmahq(path: string): Promise<SigmaHqUpdate>;
  /** One Sigma rule by id, with its author. */
  sigmaRule(ruleId: string): Promise<SigmaRuleInfo>;
  importIntel(path: string): Promise<IntelSummary>;
  intelLists(): Promise<IntelList[]>;
  /** Forgets one IOC list's indicators; returns how many went. */
  removeIntelList(source: string): Promise<number>;
  /** The agents on the office's machines, online first. */
  agents(): Promise<AgentView[]>;
  /** A token for `uses` machines within `hours`, naming where they reach this computer; the console starts listening. */
  addMachine(addresses: string[], uses: number, hours: number): Promise<AgentToken>;
  /** Where the office's machines can likely reach this computer (host:port). */
  consoleAddresses(): Promise<string[]>;
  revokeAgent(id: string): Promise<AgentView[]>;
  /** Asks the user for files or a folder; null when they cancel. */
  pick(kind: PickKind): Promise<string[] | null>;
  onImportProgress(listener: (progress: ImportProgress) => void): Promise<() => void>;
  /** Files dropped onto the window. */
  onFilesDropped(listener: (paths: string[]) => void): Promise<() => void>;
  onStoreChanged(listener: (topic: string) => void): Promise<() => void>;
  onInvestigationUpdated(listener: (id: number, status: InvestigationStatus) => void): Promise<() => void>;
}

export const tauriBackend: Backend = {
  overview: async () => unwrap(await commands.overview()),
  dashboard: async () => unwrap(await commands.dashboard()),
  dataLocation: () => commands.dataLocation(),
  loadDemo: async () => unwrap(await commands.loadDemo()),
  machines: async () => unwrap(await commands.machines()),
  alerts: async (machine) => unwrap(await commands.alerts(machine)),
  alert: async (id) => unwrap(await commands.alert(id)),
  investigations: async (status, machine) => unwrap(await commands.investigations(status, machine)),
  investigation: async (id) => unwrap(await commands.investigation(id)),
  investigateMachine: async (name) => unwrap(await commands.investigateMachine(name)),
  investigateAlert: async (id) => unwrap(await commands.investigateAlert(id)),
  cancelInvestigation: async (id) => unwrap(await commands.cancelInvestigation(id)),
  actions: async (filter) => unwrap(await commands.actions(filter)),
  approve: async (ids, note) => unwrap(await commands.approve(ids, note)),
  reject: async (ids, reason) => unwrap(await commands.reject(ids, reason)),
  remediate: async (investigation, entities) => unwrap(await commands.remediate(investigation, entities)),
  undo: async (ids) => unwrap(await commands.undo(ids)),
  markDone: async (ids, note) => unwrap(await commands.markDone(ids, note)),
  neverActOn: async () => unwrap(await commands.neverActOn()),
  saveNeverActOn: async (list) => unwrap(await commands.saveNeverActOn(list)),
  investigationSettings: async () => unwrap(await commands.investigationSettings()),
  saveInvestigationSettings: async (settings) => unwrap(await commands.saveInvestigationSettings(settings)),
  groups: async () => unwrap(await commands.groups()),
  setGroupLevel: async (name, level) => unwrap(await commands.setGroupLevel(name, level)),
  automationLevels: () => commands.automationLevels(),
  alertPolicies: async () => unwrap(await commands.alertPolicies()),
  policyChoices: async () => commands.policyChoices(),
  saveAlertPolicy: async (policy) => unwrap(await commands.saveAlertPolicy(policy)),
  deleteAlertPolicy: async (id) => unwrap(await commands.deleteAlertPolicy(id)),
  moveAlertPolicy: async (id, direction) => unwrap(await commands.moveAlertPolicy(id, direction)),
  previewGroup: async (group) => unwrap(await commands.previewGroup(group)),
  saveGroup: async (group) => unwrap(await commands.saveGroup(group)),
  deleteGroup: async (id) => unwrap(await commands.deleteGroup(id)),
  moveGroup: async (id, direction) => unwrap(await commands.moveGroup(id, direction)),
  saveExport: async (fileName, contents) => unwrap(await commands.saveExport(fileName, contents)),
  importTelemetry: async (paths) => unwrap(await commands.importTelemetry(paths)),
  ruleDirs: async () => unwrap(await commands.ruleDirs()),
  addRuleDir: async (path) => unwrap(await commands.addRuleDir(path)),
  ruleSets: async () => unwrap(await commands.ruleSets()),
  updateSigmahq: async (path) => unwrap(await commands.updateSigmahq(path)),
  sigmaRule: async (ruleId) => unwrap(await commands.sigmaRule(ruleId)),
  importIntel: async (path) => unwrap(await commands.importIntel(path)),
  intelLists: async () => unwrap(await commands.intelLists()),
  removeIntelList: async (source) => unwrap(await commands.removeIntelList(source)),
  agents: async () => unwrap(await commands.agents()),
  addMachine: async (addresses, uses, hours) => unwrap(await commands.addMachine(addresses, uses, hours)),
  consoleAddresses: () => commands.consoleAddresses(),
  revokeAgent: async (id) => unwrap(await commands.revokeAgent(id)),
  pick: async (kind) => {
    const folder = kind === "telemetry-folder" || kind === "rule-folder";
    const filters =
      kind === "telemetry-files"
        ? [{ name: "Telemetry (EVTX, JSON lines, zip)", extensions: ["evtx", "json", "jsonl", "ndjson", "log", "zip"] }]
        : kind === "ioc-list"
          ? [{ name: "IOC list (CSV or STIX 2.1)", extensions: ["csv", "txt", "json"] }]
          : kind === "sigma-release"
            ? [{ name: "SigmaHQ release (zip)", extensions: ["zip"] }]
            : undefined;
    const chosen = await open({ directory: folder, multiple: kind === "telemetry-files", filters });
    if (chosen === null) return null;
    return Array.isArray(chosen) ? chosen : [chosen];
  },
  onImportProgress: (listener) => events.importProgressed.listen((event) => listener(event.payload)),
  onFilesDropped: (listener) =>
    getCurrentWebview().onDragDropEvent((event) => {
      if (event.payload.type === "drop" && event.payload.paths.length > 0) listener(event.payload.paths);
    }),
  onStoreChanged: (listener) => events.storeChanged.listen((event) => listener(event.payload.topic)),
  onInvestigationUpdated: (listener) =>
    events.investigationUpdated.listen((event) => listener(event.payload.id, event.payload.status)),
};
