import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { InvestigationPage } from "./InvestigationPage";
import { action, details, entity, fakeBackend, psexecInvestigation } from "../testing/fakeBackend";

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
