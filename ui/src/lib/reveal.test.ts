import { describe, expect, it } from "vitest";
import { reveal, revealWarning } from "./reveal";

describe("reveal", () => {
  it("writes out a right-to-left override that disguises an executable as a PDF", () => {
    const r = reveal("invoice\u202efdp.exe");
    expect(r.text).toBe("invoice⟨U+202E⟩fdp.exe");
    expect(r.hidden).toBe(1);
    expect(revealWarning(r)).toContain("1 hidden character");
  });

  it("writes out zero-width and other invisible characters, and controls", () => {
    expect(reveal("svc\u200bhost.exe").text).toBe("svc⟨U+200B⟩host.exe");
    expect(reveal("a\u2066b\u2069c\ufeff").hidden).toBe(3);
    expect(reveal("line\u2028two\u0007").text).toBe("line⟨U+2028⟩two⟨U+0007⟩");
    // A tag character (outside the basic plane) is one code point, written out whole.
    expect(reveal("x\u{E0041}").text).toBe("x⟨U+E0041⟩");
  });

  it("marks look-alike letters only in a word that mixes them with Latin ones", () => {
    const r = reveal("C:\\Windows\\System32\\svсhost.exe");
    expect(r.text).toBe("C:\\Windows\\System32\\svс⟨U+0441⟩host.exe");
    expect(r.lookalike).toBe(1);
    // A Russian user name is just a name.
    expect(reveal("CORP\\Иванов").text).toBe("CORP\\Иванов");
    expect(reveal("ｃｍｄ.exe").lookalike).toBe(0);
    expect(reveal("ｃmd.exe").lookalike).toBe(1);
  });

  it("leaves ordinary text, tabs and new lines as they are", () => {
    const plain = 'powershell -enc "SQBFAFgA"\n\tC:\\Program Files (x86)\\É'; // accents are letters
    expect(reveal(plain)).toEqual({ text: plain, hidden: 0, lookalike: 0 });
    expect(revealWarning(reveal(plain))).toBeNull();
  });
});
