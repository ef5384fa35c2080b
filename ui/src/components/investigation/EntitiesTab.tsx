import type { EntityView } from "../../backend";
import { kindLabel } from "../../lib/format";
import { Badge } from "../common/Badge";
import { LongText } from "../common/LongText";
import { Empty } from "../common/States";
import { Facts } from "./Facts";
import { entityNode, focusClass } from "./tabs";
import { Untrusted } from "../common/Untrusted";

/**
 * Every entity the investigation collected, with what it is and what is known of it. All of
 * it comes from the telemetry (an attacker may have written it): text only, long values cut.
 */
export function EntitiesTab({ entities, focus }: { entities: EntityView[]; focus: string | null }) {
  if (entities.length === 0) return <Empty>No entities collected yet.</Empty>;
  return (
    <table className="table entities" data-testid="entities-table">
      <colgroup>
        <col className="w-entity" />
        <col className="w-type" />
        <col className="w-machine" />
        <col className="w-verdict" />
        <col className="w-remediation" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th>Entity</th>
          <th>Type</th>
          <th>Machine</th>
          <th>Verdict</th>
          <th>Remediation</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {entities.map((e) => (
          <tr
            key={e.id}
            data-node={entityNode(e.id)}
            data-entity={e.name}
            data-remediation={e.remediation_status}
            className={focusClass(focus === entityNode(e.id))}
          >
            <td className="mono break">
              <LongText text={e.name} limit={120} />
            </td>
            <td>{kindLabel(e)}</td>
            <td>{e.machine ?? "—"}</td>
            <td>
              <Badge value={e.verdict} />
            </td>
            <td>
              <Badge value={e.remediation_status} />
            </td>
            <td className="small break">
              {e.path && e.path !== e.name && <Untrusted className="mono block" text={e.path} />}
              {e.command_line && (
                <div className="mono">
                  <LongText text={e.command_line} />
                </div>
              )}
              {e.sha256 && <div className="mono muted">sha256 {e.sha256}</div>}
              {e.value && e.value !== e.name && (
                <div className="mono prewrap">
                  <LongText text={e.value} />
                </div>
              )}
              <Facts facts={e.facts} />
              {e.reasons[0] && <div className="muted">{e.reasons[0].text}</div>}
              {e.protected && <div className="protected">Vigil will not act on this: {e.protected}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
