import type { InvestigationDetails } from "../../backend";
import type { Go } from "../../route";
import { formatTime, humanize } from "../../lib/format";
import { focusClass, machineNode } from "./tabs";

/** The machines in the investigation's scope, and why each is there. */
export function MachinesTab({ d, go, focus }: { d: InvestigationDetails; go: Go; focus: string | null }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Machine</th>
          <th>Group</th>
          <th>Automation level</th>
          <th>Why it is in scope</th>
          <th>Joined</th>
        </tr>
      </thead>
      <tbody>
        {d.machines.map((m) => {
          const node = machineNode(m.name);
          return (
            <tr key={m.name} data-node={node} className={focusClass(focus === node)}>
              <td>
                <button type="button" className="link" onClick={() => go({ view: "machine", name: m.name })}>
                  {m.name}
                </button>
              </td>
              <td>{m.group}</td>
              <td>{humanize(m.automation_level)}</td>
              <td>{m.reason}</td>
              <td className="nowrap">{formatTime(m.joined_at)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
