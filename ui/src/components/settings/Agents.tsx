import { useEffect, useState } from "react";
import type { AgentToken, AgentView, Backend } from "../../backend";
import { errorMessage, formatTime } from "../../lib/format";
import { Untrusted } from "../common/Untrusted";

/**
 * The office's machines with a Vigil agent: who is online, and "Add a machine", which makes
 * a one-time enrolment token and says what to run on the PC. The token carries the
 * console's address and the fingerprint of its certificate authority, so the agent trusts
 * this console and no other.
 */
export function Agents({ backend }: { backend: Backend }) {
  const [agents, setAgents] = useState<AgentView[]>([]);
  const [adding, setAdding] = useState(false);
  const [address, setAddress] = useState("");
  const [uses, setUses] = useState(1);
  const [hours, setHours] = useState(24);
  const [token, setToken] = useState<AgentToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    backend.agents().then(setAgents, (e: unknown) => setError(errorMessage(e)));
  };
  useEffect(reload, [backend]);
  // Refreshed while shown: an agent that just enrolled appears, one that stopped goes offline.
  useEffect(() => {
    const timer = setInterval(reload, 10_000);
    return () => clearInterval(timer);
  });

  const open = () => {
    setAdding(true);
    setToken(null);
    setError(null);
    backend.consoleAddresses().then((a) => setAddress((current) => current || a[0] || ""));
  };
  const make = () => {
    setError(null);
    const addresses = address
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
    backend.addMachine(addresses, uses, hours).then(setToken, (e: unknown) => setError(errorMessage(e)));
  };
  const revoke = (id: string, machine: string) => {
    backend.revokeAgent(id).then(
      (now) => {
        setAgents(now);
        setRevoking(null);
        setMessage(`${machine}'s agent is revoked: its certificate is refused from its next connection on.`);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  };

  return (
    <>
      <h2 id="agents">Office machines (agents)</h2>
      <p className="muted">
        A Vigil agent on a PC reports to this computer and lets Vigil act there. Each agent has its own key and a
        certificate from this console; a machine you revoke is refused from then on.
      </p>
      {agents.length === 0 ? (
        <p className="muted" data-testid="agents">
          No machine has an agent yet.
        </p>
      ) : (
        <table className="table" data-testid="agents">
          <thead>
            <tr>
              <th>Machine</th>
              <th>Agent</th>
              <th>Last contact</th>
              <th>Version</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.id} data-agent={a.machine}>
                <td>
                  <Untrusted text={a.machine} />
                </td>
                <td data-agent-state={a.revoked ? "revoked" : a.online ? "online" : "offline"}>
                  <span className={`badge ${a.revoked ? "muted" : a.online ? "ok" : "warn"}`}>
                    {a.revoked ? "Revoked" : a.online ? "Online" : "Offline"}
                  </span>
                </td>
                <td>{a.last_seen ? formatTime(a.last_seen) : "never"}</td>
                <td>{a.version ?? "—"}</td>
                <td>
                  {!a.revoked &&
                    (revoking === a.id ? (
                      <span className="confirm">
                        Revoke {a.machine}? Vigil can no longer reach it.{" "}
                        <button type="button" className="danger" onClick={() => revoke(a.id, a.machine)}>
                          Revoke
                        </button>
                        <button type="button" className="quiet" onClick={() => setRevoking(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" className="quiet" onClick={() => setRevoking(a.id)}>
                        Revoke…
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!adding && (
        <button type="button" data-testid="add-machine" onClick={open}>
          Add a machine…
        </button>
      )}
      {adding && (
        <div className="card" data-testid="add-machine-form">
          <label>
            Where the PCs reach this computer (host:port, several with commas){" "}
            <input type="text" name="address" value={address} onChange={(e) => setAddress(e.target.value)} size={40} />
          </label>{" "}
          <label>
            Machines{" "}
            <input type="number" min={1} max={500} value={uses} onChange={(e) => setUses(Number(e.target.value))} />
          </label>{" "}
          <label>
            Valid for (hours){" "}
            <input type="number" min={1} max={720} value={hours} onChange={(e) => setHours(Number(e.target.value))} />
          </label>{" "}
          <button type="button" className="primary" data-testid="make-token" onClick={make} disabled={!address.trim()}>
            Make the token
          </button>{" "}
          <button type="button" className="quiet" onClick={() => setAdding(false)}>
            Close
          </button>
          {token && (
            <div data-testid="enrolment-token">
              <p>
                Vigil listens for agents on <code>{token.listening_on}</code>. On each PC ({uses === 1 ? "one machine" : `up to ${uses}`}, within{" "}
                {hours} h), save this token to a file, then run:
              </p>
              <pre className="mono token-text">{token.token}</pre>
              <pre className="mono">vigil-agent enrol --token-file FILE{"\n"}vigil-agent run</pre>
              <p className="muted small">
                The token is shown once and only a hash of its secret is kept; anyone holding it can enrol a machine
                until it is used up or expires. Keep it out of chats and tickets.
              </p>
            </div>
          )}
        </div>
      )}
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
