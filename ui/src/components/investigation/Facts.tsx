import type { Fact } from "../../backend";
import { LongText } from "../common/LongText";

/** What else is known of an entity, compact: `binary: %SystemRoot%\PSEXESVC.exe · start type: …`. */
export function Facts({ facts, limit = 160 }: { facts: Fact[]; limit?: number }) {
  if (facts.length === 0) return null;
  return (
    <ul className="facts-inline small" aria-label="Facts">
      {facts.map((f, i) => (
        <li key={i}>
          <span className="muted">{f.label}:</span> <LongText text={f.value} limit={limit} className="mono break" />
        </li>
      ))}
    </ul>
  );
}
