import type { InvestigationDetails } from "../../backend";
import { formatDuration, formatTime } from "../../lib/format";
import { Badge } from "../common/Badge";
import { LongText } from "../common/LongText";

/** Every step of the investigation, in order. */
export function LogTab({ d }: { d: InvestigationDetails }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Started</th>
          <th>Step</th>
          <th>Machine</th>
          <th>Status</th>
          <th className="num">Duration</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {d.log.map((l) => (
          <tr key={l.id}>
            <td className="nowrap">{formatTime(l.started_at)}</td>
            <td>{l.step}</td>
            <td>{l.machine ?? "—"}</td>
            <td>
              <Badge value={l.status} />
            </td>
            <td className="num nowrap">{formatDuration(l.duration_ms / 1000)}</td>
            <td className="break">
              <LongText text={l.detail} limit={400} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
