import { describe, expect, it } from "vitest";
import { age, formatDuration, kindLabel } from "./format";

describe("age", () => {
  const now = Date.parse("2026-11-28T02:00:00.000Z");

  it("says a fresh wait is under a second, not a count of milliseconds", () => {
    expect(age("2026-11-28T02:00:00.000Z", now)).toBe("under 1 s");
    expect(age("2026-11-28T01:59:59.400Z", now)).toBe("under 1 s");
    // A clock a little ahead of ours is not a negative wait.
    expect(age("2026-11-28T02:00:00.300Z", now)).toBe("under 1 s");
  });

  it("counts seconds, minutes, hours and days after that", () => {
    expect(age("2026-11-28T01:59:58.000Z", now)).toBe("2 s");
    expect(age("2026-11-28T01:57:00.000Z", now)).toBe("3 min");
    expect(age("2026-11-27T23:55:00.000Z", now)).toBe("2 h 5 min");
    expect(age("2026-11-24T22:00:00.000Z", now)).toBe("3 d 4 h");
    expect(age("not a time", now)).toBe("—");
  });

  it("leaves step durations their milliseconds", () => {
    expect(formatDuration(0.25)).toBe("250 ms");
  });
});

describe("kindLabel", () => {
  it("takes the engine's name for a kind, else the kind in plain words", () => {
    expect(kindLabel({ kind: "script", kind_label: "PowerShell script" })).toBe("PowerShell script");
    expect(kindLabel({ kind: "registry_value", kind_label: "" })).toBe("Registry value");
  });
});
