import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import type { Backend, Overview } from "../backend";
import { Dashboard } from "./Dashboard";

function backendWith(overview: Overview): Backend {
  return {
    overview: async () => overview,
    dataLocation: async () => "/tmp/vigil.sqlite3",
    onStoreChanged: async () => () => undefined,
  };
}

const EMPTY: Overview = { machines: 0, alerts: 0, active_alerts: 0, investigations: 0, events: 0, pending_actions: 0 };

afterEach(cleanup);

describe("Dashboard", () => {
  it("shows the store's numbers", async () => {
    render(<Dashboard backend={backendWith({ ...EMPTY, machines: 12, pending_actions: 3 })} />);
    const machines = await screen.findByText("12");
    expect(machines.closest("[data-stat]")?.getAttribute("data-stat")).toBe("machines");
    expect(screen.getByText("3").closest("[data-stat]")?.getAttribute("data-stat")).toBe("pending-actions");
    expect(screen.queryByTestId("empty-store")).toBeNull();
  });

  it("offers a next step on an empty store", async () => {
    render(<Dashboard backend={backendWith(EMPTY)} />);
    expect(await screen.findByTestId("empty-store")).toBeTruthy();
  });

  it("says what went wrong when the store cannot be read", async () => {
    const failing: Backend = { ...backendWith(EMPTY), overview: async () => Promise.reject(new Error("disk I/O error")) };
    render(<Dashboard backend={failing} />);
    expect((await screen.findByRole("alert")).textContent).toContain("disk I/O error");
  });
});
