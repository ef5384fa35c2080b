import { describe, expect, it } from "vitest";
import { entity, psexecFindings, psexecInvestigation } from "../testing/fixtures";
import { findingRows, lowerFirst, remediationFor } from "./findings";

describe("findings", () => {
  it("folds a group into the place of its highest-ranked member", () => {
    const d = psexecInvestigation();
    const rows = findingRows(d.key_findings, d.finding_groups, d.entities);
    expect(rows.map((r) => (r.kind === "one" ? r.entity.id : r.group.id))).toEqual([101, 102, 103, 104, "group:file:wrote:102", 105, 106, 107]);
    const group = rows[4];
    expect(group?.kind === "group" && group.members.length).toBe(37);
  });

  it("says what remediating a finding does, in the target's words", () => {
    const [service, process] = psexecFindings();
    expect(remediationFor(service!)?.what).toBe("Remove service PSEXESVC on ws01");
    expect(remediationFor(process!)?.what).toBe("Stop process PSEXESVC.exe (4120) on ws01");
    expect(remediationFor(entity({ kind: "process", name: "powershell.exe", pid: 4312, machine: "ws01" }))?.what).toBe("Stop process powershell.exe (4312) on ws01");
    expect(remediationFor(entity({ kind: "persistence", kind_label: "WMI subscription", name: "Updater", machine: "ws01" }))?.verb).toBe("Remove WMI subscription");
    expect(remediationFor(entity({ kind: "script", kind_label: "PowerShell script" }))).toBeNull();
  });

  it("lower-cases a label inside a sentence, but not its capitals", () => {
    expect(lowerFirst("Scheduled task")).toBe("scheduled task");
    expect(lowerFirst("PowerShell script")).toBe("PowerShell script");
    expect(lowerFirst("IP address")).toBe("IP address");
    expect(lowerFirst("BITS job")).toBe("BITS job");
  });
});
