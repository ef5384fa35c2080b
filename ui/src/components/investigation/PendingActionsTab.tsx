import type { Backend, InvestigationDetails } from "../../backend";
import { PendingActions } from "../actions/PendingActions";

/** The investigation's actions that wait for the admin's decision. */
export function PendingActionsTab({ backend, d, onDecided }: { backend: Backend; d: InvestigationDetails; onDecided: () => void }) {
  return <PendingActions backend={backend} actions={d.pending_actions} onDecided={onDecided} showInvestigation={false} />;
}
