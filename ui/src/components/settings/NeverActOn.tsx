import { useEffect, useState } from "react";
import type { Backend, NeverActOn as List } from "../../backend";
import { count, errorMessage } from "../../lib/format";

type Field = keyof List;

const FIELDS: { key: Field; label: string; hint: string; placeholder: string }[] = [
  { key: "hosts", label: "Machine names", hint: "Any case; a domain suffix is ignored.", placeholder: "backup-server\nowner-laptop" },
  { key: "ips", label: "IP addresses or networks", hint: "An address, or a network as 10.0.0.0/8.", placeholder: "192.0.2.10\n10.20.0.0/16" },
  { key: "domains", label: "Domains", hint: "Their subdomains are covered too.", placeholder: "partner.example\nupdates.vendor.example" },
  { key: "paths", label: "File or folder paths", hint: "A folder covers everything under it.", placeholder: "C:\\Program Files\\Accounting\nD:\\Backups" },
  { key: "hashes", label: "File hashes", hint: "SHA-256, SHA-1 or MD5.", placeholder: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
];

const EMPTY: Record<Field, string> = { hosts: "", ips: "", domains: "", paths: "", hashes: "" };

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

function asText(list: List): Record<Field, string> {
  return { hosts: list.hosts.join("\n"), ips: list.ips.join("\n"), domains: list.domains.join("\n"), paths: list.paths.join("\n"), hashes: list.hashes.join("\n") };
}

/**
 * The field an engine's refusal is about: the one holding the entry it names. The message
 * is not parsed, only searched for the admin's own entries (quoted ones first).
 */
export function fieldOf(message: string, text: Record<Field, string>): Field | null {
  const lower = message.toLowerCase();
  for (const quoted of [true, false]) {
    for (const { key } of FIELDS) {
      const hit = lines(text[key]).some((entry) => {
        const e = entry.toLowerCase();
        return quoted ? lower.includes(`“${e}”`) || lower.includes(`"${e}"`) : lower.includes(e);
      });
      if (hit) return key;
    }
  }
  return null;
}

/** The admin's "never act on" list: what no investigation may ever remediate. */
export function NeverActOn({ backend }: { backend: Backend }) {
  const [saved, setSaved] = useState<Record<Field, string> | null>(null);
  const [text, setText] = useState<Record<Field, string>>(EMPTY);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<{ field: Field | null; message: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    backend.neverActOn().then(
      (list) => {
        setSaved(asText(list));
        setText(asText(list));
      },
      (e: unknown) => setLoadError(errorMessage(e)),
    );
  }, [backend]);

  const dirty = saved !== null && FIELDS.some(({ key }) => lines(text[key]).join("\n") !== lines(saved[key]).join("\n"));

  const save = () => {
    setBusy(true);
    setError(null);
    setMessage(null);
    const list: List = { hosts: lines(text.hosts), ips: lines(text.ips), domains: lines(text.domains), paths: lines(text.paths), hashes: lines(text.hashes) };
    backend.saveNeverActOn(list).then(
      (tidied) => {
        setBusy(false);
        setSaved(asText(tidied));
        setText(asText(tidied));
        const n = Object.values(tidied).reduce((sum, l: string[]) => sum + l.length, 0);
        setMessage(`Saved: ${count(n, "entry", "entries")}. Every proposal and every action from now on leaves them alone.`);
      },
      (e: unknown) => {
        setBusy(false);
        const m = errorMessage(e);
        setError({ field: fieldOf(m, text), message: m });
      },
    );
  };

  return (
    <>
      <h2 id="never-act-on">Never act on</h2>
      <p className="muted">
        What Vigil must leave alone whatever an investigation finds: it proposes no action against these and runs none, even when you approve one.
      </p>
      <div className="already-safe" data-testid="already-safe">
        <p>Vigil already never touches, on its own:</p>
        <ul>
          <li>the machines' own names and addresses, and the console's and agents' connection;</li>
          <li>loopback and local-network addresses (127.0.0.1, 169.254.x.x, your office's network and domain);</li>
          <li>Windows' own files in their system folders (C:\Windows\System32 and the like);</li>
          <li>the processes and services Windows needs to run (lsass.exe, services.exe, …) and its own scheduled tasks;</li>
          <li>built-in accounts (SYSTEM, the local Administrator);</li>
          <li>Vigil's own files and store.</li>
        </ul>
        <p className="muted small">Add here only what else matters to you: a backup server, an accounting program's folder, a partner's domain.</p>
      </div>
      {loadError && (
        <p className="error" role="alert">
          The list could not be read: {loadError}
        </p>
      )}
      <form
        className="card form never-act-on"
        data-testid="never-act-on"
        aria-label="Never act on"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        {FIELDS.map(({ key, label, hint, placeholder }) => {
          const wrong = error?.field === key;
          return (
            <label key={key} data-field={key}>
              {label}
              <span className="hint">{hint} One per line.</span>
              <textarea
                name={key}
                rows={4}
                value={text[key]}
                placeholder={placeholder}
                spellCheck={false}
                aria-invalid={wrong || undefined}
                aria-describedby={wrong ? `never-act-on-${key}-error` : undefined}
                disabled={saved === null}
                onChange={(e) => {
                  setText({ ...text, [key]: e.target.value });
                  setMessage(null);
                  if (error && (error.field === key || error.field === null)) setError(null);
                }}
              />
              {wrong && (
                <span className="error field-error" role="alert" id={`never-act-on-${key}-error`} data-testid={`never-act-on-${key}-error`}>
                  {error.message}
                </span>
              )}
            </label>
          );
        })}
        {error && error.field === null && (
          <p className="error" role="alert" data-testid="never-act-on-error">
            {error.message}
          </p>
        )}
        <div className="button-row">
          <button type="submit" className="primary" data-testid="save-never-act-on" disabled={busy || !dirty}>
            Save the list
          </button>
          {dirty && <span className="muted small">Not saved yet.</span>}
          {message && (
            <span role="status" className="ok-text">
              {message}
            </span>
          )}
        </div>
      </form>
    </>
  );
}
