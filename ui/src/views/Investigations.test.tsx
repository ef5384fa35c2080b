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

  it("names the triggering alert, or who started it from which machine", async () => {
    const backend = fakeBackend({
      investigations: async () => [
        summary({ id: 1, trigger: "alert_policy", trigger_alert_title: "PsExec service installed on ws01", machine_names: ["ws01"] }),
        summary({ id: 2, trigger: "analyst_machine", trigger_alert_id: null, trigger_alert_title: null, started_by: "admin", machine_names: ["ws01"] }),
        summary({ id: 3, trigger: "analyst_alert", trigger_alert_title: "Encoded PowerShell", started_by: "admin" }),
      ],
    });
    render(<Investigations backend={backend} go={vi.fn()} />);
    const cell = async (id: number) => {
      await screen.findByText("#1");
      return document.querySelector(`[data-investigation="${id}"] [data-cell=trigger]`) as HTMLElement;
    };
    expect((await cell(1)).textContent).toBe("PsExec service installed on ws01");
    expect((await cell(2)).textContent).toBe("Started by admin from ws01");
    expect((await cell(3)).textContent).toBe("Encoded PowerShellstarted by admin");
    // Long text is cut on screen, never lost: the cell's tooltip holds all of it.
    expect((await cell(1)).getAttribute("title")).toBe("PsExec service installed on ws01");
    expect(document.body.textContent).not.toContain("alert_policy");
  });

  it("says when an investigation with no threats left suspicious findings to review", async () => {
    const backend = fakeBackend({
      investigations: async () => [
        summary({ id: 1, status: "no_threats_found", status_detail: "2 suspicious findings to review" }),
        summary({ id: 2, status: "no_threats_found", status_detail: "" }),
        summary({ id: 3, status: "remediated", status_detail: "the threats were already gone: nothing was left to remediate" }),
      ],
    });
    render(<Investigations backend={backend} go={vi.fn()} />);
    await screen.findByText("#1");
    const detail = (id: number) => document.querySelector(`[data-investigation="${id}"] [data-testid=status-detail]`)?.textContent;
    expect(detail(1)).toBe("2 suspicious findings to review");
    expect(detail(2)).toBeUndefined();
    expect(detail(3)).toBeUndefined();
  });

  it("keeps every column's text, users and threat types included, in a tooltip", async () => {
    const backend = fakeBackend({
      investigations: async () => [summary({ id: 1, machine_names: ["fileserver-01.northwind.local", "client4"], user_names: ["NORTHWIND\\alice"], threat_types: ["Credential access"] })],
    });
    render(<Investigations backend={backend} go={vi.fn()} />);
    await screen.findByText("#1");
    const row = document.querySelector('[data-investigation="1"]') as HTMLElement;
    expect(row.querySelector("[data-cell=machines]")?.getAttribute("title")).toBe("fileserver-01.northwind.local, client4\nNORTHWIND\\alice");
    expect(row.querySelector("[data-cell=source]")?.getAttribute("title")).toBe("sigma\nCredential access");
  });
});
