// How Vigil reaches a machine, said for the machines list (short) and the machine page.
import type { MachineView } from "../backend";
import { formatTime } from "./format";

export type Reach = { short: string; long: string; ok: boolean };

export function reachOf(m: MachineView): Reach {
  const agent = m.agent;
  switch (m.connector) {
    case "agent":
      if (!agent) return { short: "agent · unknown", long: "Vigil agent (not enrolled with this console)", ok: false };
      if (agent.revoked) return { short: "agent · revoked", long: "Vigil agent, revoked: Vigil no longer reaches this machine", ok: false };
      if (agent.online)
        return {
          short: "agent · online",
          long: `Vigil agent ${agent.version ?? ""}, online (last contact ${formatTime(agent.last_seen)})`.replace("  ", " "),
          ok: true,
        };
      return {
        short: "agent · offline",
        long: `Vigil agent ${agent.version ?? ""}, offline since ${formatTime(agent.last_seen)}: its actions wait until it is back`.replace("  ", " "),
        ok: false,
      };
    case "local":
      return { short: "this computer", long: "This computer (Vigil acts on it directly)", ok: true };
    case "lab":
      return { short: "demo", long: "The demo environment (actions are simulated)", ok: true };
    case null:
    case undefined:
      return { short: "none", long: "None: actions wait until one exists, or are done by hand", ok: false };
    default:
      return { short: m.connector, long: m.connector, ok: true };
  }
}
