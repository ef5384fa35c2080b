import { useEffect, useState } from "react";
import type { Backend } from "../../backend";
import { errorMessage } from "../../lib/format";

const UNITS = [
  { id: "minutes", minutes: 1, one: "minute", many: "minutes" },
  { id: "hours", minutes: 60, one: "hour", many: "hours" },
  { id: "days", minutes: 1440, one: "day", many: "days" },
] as const;
type Unit = (typeof UNITS)[number]["id"];

/** The narrowest and widest window the engine takes, in minutes (5 minutes, 7 days). */
export const MIN_WINDOW = 5;
export const MAX_WINDOW = 7 * 1440;

/** A window in its largest whole unit: 60 → 1 hour, 90 → 90 minutes. */
export function inUnits(minutes: number): { amount: number; unit: Unit } {
  const unit = [...UNITS].reverse().find((u) => minutes % u.minutes === 0) ?? UNITS[0];
  return { amount: minutes / unit.minutes, unit: unit.id };
}

/** "1 hour", "90 minutes", "2 days". */
export function windowWords(minutes: number): string {
  const { amount, unit } = inUnits(minutes);
  const u = UNITS.find((x) => x.id === unit) ?? UNITS[0];
  return `${amount.toLocaleString()} ${amount === 1 ? u.one : u.many}`;
}

/** How far around its alerts an investigation reads a machine's events. */
export function InvestigationWindow({ backend }: { backend: Backend }) {
  const [saved, setSaved] = useState<number | null>(null);
  const [amount, setAmount] = useState("");
  const [unit, setUnit] = useState<Unit>("minutes");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (minutes: number) => {
    const u = inUnits(minutes);
    setSaved(minutes);
    setAmount(String(u.amount));
    setUnit(u.unit);
  };
  useEffect(() => {
    backend.investigationSettings().then(
      (s) => show(s.window_minutes),
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [backend]);

  const value = Number(amount);
  const minutes = Math.round(value * (UNITS.find((u) => u.id === unit)?.minutes ?? 1));
  const valid = amount.trim() !== "" && Number.isFinite(value) && minutes >= MIN_WINDOW && minutes <= MAX_WINDOW;

  const save = () => {
    if (!valid) return;
    setBusy(true);
    setError(null);
    setMessage(null);
    backend.saveInvestigationSettings({ window_minutes: minutes }).then(
      (s) => {
        setBusy(false);
        show(s.window_minutes);
        setMessage(`Saved: from the next investigation on, ${windowWords(s.window_minutes)} before the first alert and after the last.`);
      },
      (e: unknown) => {
        setBusy(false);
        setError(errorMessage(e));
      },
    );
  };

  return (
    <>
      <h2 id="investigations">Investigations</h2>
      <form
        className="card form"
        data-testid="investigation-window"
        aria-label="Investigation window"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <p>
          How far before the first alert and after the last an investigation reads a machine's events. A wider window finds more of what happened
          around an attack, but every investigation reads more events and takes longer.
        </p>
        <div className="window-input">
          <label htmlFor="investigation-window-amount">Window, each side of the alerts</label>
          <div className="inline">
            <input
              id="investigation-window-amount"
              type="number"
              name="window"
              min={1}
              step="any"
              value={amount}
              disabled={saved === null}
              aria-invalid={(!valid && amount !== "") || error !== null || undefined}
              onChange={(e) => {
                setAmount(e.target.value);
                setError(null);
                setMessage(null);
              }}
            />
            <select
              name="unit"
              aria-label="Unit"
              value={unit}
              disabled={saved === null}
              onChange={(e) => {
                setUnit(e.target.value as Unit);
                setError(null);
                setMessage(null);
              }}
            >
              {UNITS.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.many}
                </option>
              ))}
            </select>
            <button type="submit" className="primary" data-testid="save-investigation-window" disabled={busy || !valid || minutes === saved}>
              Save
            </button>
          </div>
        </div>
        <p className="muted small">
          Between 5 minutes and 7 days; 1 hour unless you change it.
          {saved !== null && ` Now: ${windowWords(saved)}.`}
        </p>
        {!valid && amount !== "" && (
          <p className="error" role="alert" data-testid="investigation-window-error">
            Choose between 5 minutes and 7 days.
          </p>
        )}
        {error && (
          <p className="error" role="alert" data-testid="investigation-window-error">
            {error}
          </p>
        )}
        {message && (
          <p role="status" className="ok-text">
            {message}
          </p>
        )}
      </form>
    </>
  );
}
