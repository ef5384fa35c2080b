// Plain-language formatting of times, durations and the engine's snake_case states.

/** "2026-11-27 23:04" in the local time zone; "—" when missing. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "45 s", "3 min", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return `${days} d ${hours % 24} h`;
}

/** How long ago `iso` was, as a duration ("3 min"; "under 1 s", never "0 ms": a wait is
 * not timed to the millisecond). */
export function age(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "—";
  const seconds = Math.max(0, (now - t) / 1000);
  return seconds < 1 ? "under 1 s" : formatDuration(seconds);
}

/** "pending_action" → "Pending action". */
export function humanize(value: string): string {
  const text = value.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What kind of thing an entity is, as the engine names it ("PowerShell script"), else its kind humanised. */
export function kindLabel(e: { kind: string; kind_label: string }): string {
  return e.kind_label || humanize(e.kind);
}

/** The message of a failed call, for the person reading the screen. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `1 alert`, `2 alerts`, `1,204 records`: a count and its noun. */
export function count(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
