import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { InvestigationPage } from "./InvestigationPage";
import { action, details, entity, fakeBackend } from "../testing/fakeBackend";

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
});
