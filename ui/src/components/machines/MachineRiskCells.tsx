import type { MachineView } from "../../backend";
import type { Go } from "../../route";
import { Badge } from "../common/Badge";

/** The first cells of a machine's row wherever machines are listed: its name (opening its
 * page), its risk and how many alerts are active on it. */
export function MachineRiskCells({ machine, go }: { machine: MachineView; go: Go }) {
  return (
    <>
      <td>
        <button type="button" className="link" data-machine={machine.name} onClick={() => go({ view: "machine", name: machine.name })}>
          {machine.name}
        </button>
      </td>
      <td>
        <Badge value={machine.risk} />
      </td>
      <td className="num">{machine.active_alerts}</td>
    </>
  );
}
