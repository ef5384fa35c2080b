import type { InvestigationDetails } from "../../backend";
import { Empty } from "../common/States";
import { focusClass, userNode } from "./tabs";
import { Untrusted } from "../common/Untrusted";

/** The users the investigation names as affected. */
export function UsersTab({ d, focus }: { d: InvestigationDetails; focus: string | null }) {
  if (d.users.length === 0) return <Empty>No affected users found.</Empty>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>User</th>
          <th>Why affected</th>
        </tr>
      </thead>
      <tbody>
        {d.users.map((u) => (
          <tr key={u.name} data-node={userNode(u.name)} className={focusClass(focus === userNode(u.name))}>
            <td className="mono"><Untrusted text={u.name} /></td>
            <td>{u.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
