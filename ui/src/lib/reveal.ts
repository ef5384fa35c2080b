// Text an attacker wrote (a file name, a command line, a service's name) can lie without any
// markup: a right-to-left override makes `invoice[U+202E]fdp.exe` read as `invoiceexe.pdf`, a
// zero-width space hides a second `svchost.exe` among real ones, a Cyrillic `с` makes
// `svсhost.exe` look like the real one. Such code points are shown as ⟨U+XXXX⟩, and the text
// says it was changed, so a tired admin never approves what the text pretends to be.

/** Code points that change how text reads without being seen: bidi controls, zero-width and
 * other invisible characters, control characters, line and paragraph separators, tags. */
export const HIDDEN =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

/** Letters of the alphabets whose shapes copy Latin ones (Greek, Cyrillic, Armenian, Cherokee),
 * and full-width forms of ASCII. */
const LOOKALIKE = /[\u0370-\u03ff\u0400-\u052f\u0531-\u058f\u13a0-\u13ff\uff01-\uff5e]/u;
const LATIN = /[A-Za-z]/;

/** What `reveal` found in a text. */
export type Revealed = {
  /** The text with every hidden code point, and every look-alike letter in a word that
   * mixes it with Latin ones, written out as ⟨U+XXXX⟩. */
  text: string;
  /** How many code points were hidden (invisible, controls, bidi). */
  hidden: number;
  /** How many look-alike letters hid among Latin ones. */
  lookalike: number;
};

const codePoint = (c: string) => `⟨U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}⟩`;

/** The text as it really is (see `Revealed`); plain text comes back unchanged. */
export function reveal(text: string): Revealed {
  let hidden = 0;
  let lookalike = 0;
  const visible = text.replace(HIDDEN, (c) => {
    hidden += 1;
    return codePoint(c);
  });
  // A word of Cyrillic alone is a Russian name, not a disguise: only a word that mixes such
  // letters with Latin ones has them written out.
  const out = visible.replace(/[^\s\\/.:,;"'()[\]{}<>=|]+/gu, (word) => {
    if (!LATIN.test(word) || !LOOKALIKE.test(word)) return word;
    return Array.from(word)
      .map((c) => {
        if (!LOOKALIKE.test(c)) return c;
        lookalike += 1;
        return `${c}${codePoint(c)}`;
      })
      .join("");
  });
  return { text: out, hidden, lookalike };
}

/** What an admin is told about a revealed text, or null when there was nothing to reveal. */
export function revealWarning(r: Revealed): string | null {
  const parts: string[] = [];
  if (r.hidden > 0) parts.push(`${r.hidden} hidden character${r.hidden === 1 ? "" : "s"}`);
  if (r.lookalike > 0) parts.push(`${r.lookalike} look-alike letter${r.lookalike === 1 ? "" : "s"}`);
  if (parts.length === 0) return null;
  return `This name holds ${parts.join(" and ")}, shown as ⟨U+…⟩: it may be made to look like something else.`;
}

/** The text for places that cannot show a warning (a graph label, a CSV cell): revealed. */
export function revealed(text: string): string {
  return reveal(text).text;
}
