import { HIDDEN, revealed } from "./reveal";

// CSV the same way the engine writes it: quoted when needed; a leading = + - @, tab or
// carriage return is neutralised so a spreadsheet never runs attacker-controlled text as a
// formula; hidden and look-alike characters are written out (lib/reveal), as on screen.

export function csvField(raw: string): string {
  const text = revealed(raw);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

/** A file name with the current time, e.g. "investigations-20261127-2304.csv". */
export function stampedName(base: string, ext: "csv" | "json"): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${base}-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.${ext}`;
}

/**
 * JSON for a file an admin opens in an editor: the same values, with every hidden character
 * (lib/reveal) escaped as \uXXXX, so an override or a zero-width space is visible there too;
 * a program that reads the file gets the exact strings back.
 */
export function toVisibleJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(new RegExp(HIDDEN.source, "gu"), (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""),
  );
}
