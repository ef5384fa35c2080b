import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { Overview } from "../backend";
import { Dashboard } from "./Dashboard";
import { fakeBackend, psexecActions } from "../testing/fakeBackend";

const EMPTY: Overview = { machines: 0, alerts: 0, active_alerts: 0, investigations: 0, events: 0, pending_actions: 0 };

afterEach(cleanup);

describe("Dashboard", () => {
  it("shows the store's numbers and the machines at risk, most at risk first", async () => {
    const go = vi.fn();
    render(<Dashboard backend={fakeBackend({ overview: async () => ({ ...EMPTY, machines: 12, pending_actions: 3 }) })} go={go} />);
    const machines = await screen.findByText("12");
    expect(machines.closest("[data-stat]")?.getAttribute("data-stat")).toBe("machines");
    expect(document.querySelector("[data-stat=pending-actions] .stat-value")?.textContent).toBe("3");
    // The count of pending actions is the store's, not the length of the short list shown.
    expect(document.querySelector("[data-widget=pending-actions] strong")?.textContent).toBe("3");
    const widget = await screen.findByText("Machines at risk");
    const link = widget.parentElement?.querySelector("[data-machine]");
    expect(link?.textContent).toBe("client4");
    // server1 has no risk: not listed among machines at risk
    expect(widget.parentElement?.querySelector('[data-machine="server1"]')).toBeNull();
    fireEvent.click(link as Element);
    expect(go).toHaveBeenCalledWith({ view: "machine", name: "client4" });
  });

  it("offers the demo on an empty store and loads it", async () => {
    let machines = 0;
    const backend = fakeBackend({
      overview: async () => ({ ...EMPTY, machines }),
      loadDemo: vi.fn(async () => {
        machines = 8;
        return { machines: 8, users: 1, events: 1, indicators: 1, alerts: 1, investigations: 1 };
      }),
    });
    render(<Dashboard backend={backend} />);
    expect(await screen.findByTestId("empty-store")).toBeTruthy();
    const importButton = screen.getByTestId("import-telemetry") as HTMLButtonElement;
    expect(importButton.disabled).toBe(false);
    fireEvent.click(screen.getByTestId("load-demo"));
    await waitFor(() => expect(screen.queryByTestId("empty-store")).toBeNull());
    expect(backend.loadDemo).toHaveBeenCalledOnce();
  });

  it("says what went wrong when the store cannot be read", async () => {
    const failing = fakeBackend({ overview: async () => Promise.reject(new Error("disk I/O error")) });
    render(<Dashboard backend={failing} />);
    expect((await screen.findByRole("alert")).textContent).toContain("disk I/O error");
  });

  it("lists a group of pending actions as one line", async () => {
    const backend = fakeBackend({
      overview: async () => ({ ...EMPTY, machines: 12, pending_actions: 40 }),
      actions: async (f) => (f === "pending" ? psexecActions() : []),
    });
    render(<Dashboard backend={backend} />);
    const widget = (await screen.findByText("Quarantine 37 files written by PSEXESVC.exe (4120)")).closest("[data-widget]") as HTMLElement;
    expect(widget.querySelectorAll("li")).toHaveLength(4);
    expect(widget.textContent).toContain("Remove service: PSEXESVC on ws01");
  });
});
