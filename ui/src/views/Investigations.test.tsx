import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Investigations, exportRows } from "./Investigations";
import { fakeBackend, summary } from "../testing/fakeBackend";

afterEach(cleanup);

const MANY = Array.from({ length: 100_000 }, (_, i) =>
  summary({ id: i + 1, machine_names: [i % 2 ? "client4" : "server1"], status: i % 3 ? "remediated" : "pending_action" }),
);

describe("Investigations", () => {
  it("renders only the rows in view of 100 000", async () => {
    render(<Investigations backend={fakeBackend({ investigations: async () => MANY })} go={vi.fn()} />);
    expect((await screen.findByTestId("investigation-count")).textContent).toContain("100,000");
    const rows = document.querySelectorAll("[data-investigation]");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    // newest first
    expect(rows[0]?.getAttribute("data-investigation")).toBe("100000");
  });

  it("filters by text, sorts by a column and exports what is shown", async () => {
    const backend = fakeBackend({
      investigations: async () => [summary({ id: 1, trigger: "=cmd|calc" }), summary({ id: 2, machine_names: ["server1"], trigger: "b" })],
    });
    render(<Investigations backend={backend} go={vi.fn()} />);
    await screen.findByText("#2");
    fireEvent.change(screen.getByLabelText("Search investigations"), { target: { value: "server1" } });
    await waitFor(() => expect(screen.queryByText("#1")).toBeNull());
    fireEvent.click(screen.getByText("Export CSV"));
    await waitFor(() => expect(backend.saveExport).toHaveBeenCalled());
    const [name, csv] = (backend.saveExport as ReturnType<typeof vi.fn>).mock.calls[0] as [string, string];
    expect(name).toMatch(/^investigations-.*\.csv$/);
    expect(csv.split("\n").filter(Boolean)).toHaveLength(2);
    expect(await screen.findByRole("status")).toBeTruthy();
  });

  it("neutralises formulas in CSV", () => {
    const csv = exportRows([summary({ trigger: "=HYPERLINK(\"x\")" })], "csv");
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it("asks the engine for a status filter", async () => {
    const backend = fakeBackend();
    render(<Investigations backend={backend} go={vi.fn()} />);
    await screen.findByText("#1");
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "remediated" } });
    await waitFor(() => expect(backend.investigations).toHaveBeenLastCalledWith("remediated", null));
  });
});
