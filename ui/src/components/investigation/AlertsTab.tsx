import type { InvestigationDetails } from "../../backend";
import type { Go } from "../../route";
import { AlertTable } from "../../views/Alerts";
import { Empty } from "../common/States";

/** The alerts the investigation holds. */
export function AlertsTab({ d, go }: { d: InvestigationDetails; go: Go }) {
  return d.alerts.length ? <AlertTable alerts={d.alerts} go={go} /> : <Empty>No alerts.</Empty>;
}
