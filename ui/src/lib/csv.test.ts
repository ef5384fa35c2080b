import { describe, expect, it } from "vitest";
import { csvField, toVisibleJson } from "./csv";

describe("csvField", () => {
  it("neutralises every leading character a spreadsheet reads as a formula", () => {
    for (const lead of ["=", "+", "-", "@", "\t", "\r"]) {
      const cell = csvField(`${lead}cmd|' /C calc'!A0`);
      // An apostrophe first, or (a carriage return) written out as ⟨U+000D⟩.
      expect(cell.replace(/^"/, "")).toMatch(/^('|⟨U\+000D⟩)/);
    }
    expect(csvField("plain")).toBe("plain");
  });

  it("writes out hidden characters, as the screen shows them", () => {
    expect(csvField("invoice\u202efdp.exe")).toBe("invoice⟨U+202E⟩fdp.exe");
  });
});

describe("toVisibleJson", () => {
  it("escapes hidden characters, and reads back as the same values", () => {
    const rows = [{ title: "invoice\u202efdp.exe", user: "CORP\\Иванов", tag: "x\u{E0041}" }];
    const json = toVisibleJson(rows);
    expect(json).toContain("invoice\\u202efdp.exe");
    expect(json).toContain("x\\udb40\\udc41");
    expect(json).toContain("Иванов");
    expect(JSON.parse(json)).toEqual(rows);
  });
});
