import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { InvestigationPage } from "./InvestigationPage";
import { action, details, entity, fakeBackend, LONG_SCRIPT, psexecInvestigation } from "../testing/fakeBackend";

// cytoscape needs a canvas; jsdom has none.
vi.mock("../components/investigation/InvestigationGraph", () => ({
  InvestigationGraph: ({ nodes, onSelect }: { nodes: { id: string; label: string }[]; onSelect: (id: string) => void }) => (
    <div data-testid="investigation-graph">
      {nodes.map((n) => (
        <button key={n.id} type="button" onClick={() => onSelect(n.id)}>
          node {n.label}
        </button>
      ))}
    </div>
  ),
}));

afterEach(cleanup);

describe("InvestigationPage", () => {
  it("shows the summary and opens a node's tab from the graph", async () => {
    render(<InvestigationPage backend={fakeBackend()} go={vi.fn()} id={1} />);
    expect((await screen.findByTestId("investigation-status")).textContent).toContain("Pending action");
    fireEvent.click(await screen.findByText("node updater.exe"));
    fireEvent.click(screen.getByText("Show in its tab"));
    expect(screen.getByText("Its hash is on the known-bad list")).toBeTruthy();
  });

  it("approving turns the entity remediated without a reload", async () => {
    let approved = false;
    const backend = fakeBackend({
      investigation: vi.fn(async () =>
        approved
          ? details({ status: "remediated", entities: [entity({ remediation_status: "remediated" })], pending_actions: [] })
          : details(),
      ),
      approve: vi.fn(async (ids: number[]) => {
        approved = true;
        return ids.map((id) => action({ id, state: "succeeded" }));
      }),
    });
    render(<InvestigationPage backend={backend} go={vi.fn()} id={1} tab="pending" />);
    const box = await screen.findByLabelText(/Select Quarantine file/);
    expect(screen.getByText(/Reversible/)).toBeTruthy();
    fireEvent.click(box);
    fireEvent.click(screen.getByTestId("approve-selected"));
    await waitFor(() => expect(screen.getByTestId("investigation-status").textContent).toContain("Remediated"));
    expect(backend.approve).toHaveBeenCalledWith([5], null);
    fireEvent.click(screen.getByText(/^Entities/));
    expect(document.querySelector('[data-entity="updater.exe"]')?.getAttribute("data-remediation")).toBe("remediated");
  });

  it("renders hostile telemetry as text", async () => {
    const hostile = "<img src=x onerror=window.__pwned=1>";
    const backend = fakeBackend({ investigation: async () => details({ entities: [entity({ name: hostile, command_line: "<script>window.__pwned=1</script>" })] }) });
    render(<InvestigationPage backend={backend} go={vi.fn()} id={1} tab="entities" />);
    expect(await screen.findByText(hostile)).toBeTruthy();
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("script")).toBeNull();
  });

  it("shows each entity's kind and facts, and cuts a 64 KiB script with a way to read it all", async () => {
    const backend = fakeBackend({ investigation: async () => psexecInvestigation() });
    render(<InvestigationPage backend={backend} go={vi.fn()} id={7} tab="entities" />);
    const service = (await screen.findByText("PSEXESVC")).closest("tr") as HTMLElement;
    expect(service.textContent).toContain("Service");
    expect(service.textContent).toContain("start type: demand start");
    const script = document.querySelector('[data-entity="Script block 3f1a…c2 (4312)"]') as HTMLElement;
    expect(script.textContent).toContain("PowerShell script");
    const cut = script.querySelector("[data-long-text]") as HTMLElement;
    expect(cut.getAttribute("data-long-text")).toBe("cut");
    expect(cut.textContent?.length).toBeLessThan(1000);
    fireEvent.click(within(cut).getByText("show all (65,536 characters)"));
    expect(cut.getAttribute("data-long-text")).toBe("all");
    expect(cut.textContent).toContain(LONG_SCRIPT);
    // The script's markup is text, never HTML.
    expect(script.querySelector("b")).toBeNull();
  });

  it("renders hostile facts and finding names as text", async () => {
    const hostile = "<img src=x onerror=window.__pwned=1>";
    const evil = entity({ id: 30, verdict: "suspicious", name: hostile, facts: [{ label: "<i>by</i>", value: hostile }], remediation_status: "none" });
    const backend = fakeBackend({ investigation: async () => details({ key_findings: [evil], entities: [evil], actions: [], pending_actions: [] }) });
    render(<InvestigationPage backend={backend} go={vi.fn()} id={1} tab="findings" />);
    expect((await screen.findAllByText(hostile)).length).toBe(2);
    expect(screen.getByText("<i>by</i>:")).toBeTruthy();
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("i")).toBeNull();
  });

  it("opens a cluster's group among the key findings from the graph", async () => {
    const backend = fakeBackend({ investigation: async () => psexecInvestigation() });
    render(<InvestigationPage backend={backend} go={vi.fn()} id={7} />);
    fireEvent.click(await screen.findByText("node 37 files written by PSEXESVC.exe (4120)"));
    expect(screen.getByTestId("node-detail").textContent).toContain("37 alike, drawn as one");
    fireEvent.click(screen.getByText("Show in its tab"));
    const group = document.querySelector("[data-finding-group]") as HTMLElement;
    expect(group.className).toContain("focus");
    expect(group.querySelectorAll(".group-members > li")).toHaveLength(37);
  });

  it("says who started it when no alert did, and does not repeat an alert's title", async () => {
    const fromMachine = fakeBackend({
      investigation: async () =>
        details({ title: "Investigation of ws01", trigger: "analyst_machine", trigger_alert_id: null, trigger_alert_title: null, started_by: "admin", machine_names: ["ws01"] }),
    });
    render(<InvestigationPage backend={fromMachine} go={vi.fn()} id={1} />);
    expect((await screen.findByTestId("investigation-started-by")).textContent).toBe("admin from ws01");
    expect(screen.queryByTestId("investigation-trigger")).toBeNull();
    cleanup();
    render(<InvestigationPage backend={fakeBackend({ investigation: async () => psexecInvestigation() })} go={vi.fn()} id={7} />);
    expect((await screen.findByTestId("investigation-title")).textContent).toBe("PsExec service installed on ws01");
    expect(screen.queryByTestId("investigation-trigger")).toBeNull();
    cleanup();
    const fromAlert = fakeBackend({ investigation: async () => details({ title: "Investigation of client4", trigger: "analyst_alert", trigger_alert_title: "Encoded PowerShell" }) });
    render(<InvestigationPage backend={fromAlert} go={vi.fn()} id={1} />);
    expect((await screen.findByTestId("investigation-trigger")).textContent).toBe("Encoded PowerShell");
  });
});
