import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Settings } from "./Settings";
import { fakeBackend } from "../testing/fakeBackend";

afterEach(cleanup);

describe("Settings", () => {
  it("explains the levels and changes a group's level", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    expect(await screen.findByText("Every remediation waits for your approval.")).toBeTruthy();
    expect(screen.getByTestId("data-location").textContent).toBe("/tmp/vigil.sqlite3");
    expect(screen.getByText("Investigate high-severity alerts")).toBeTruthy();
    fireEvent.click(document.querySelector('[data-group="Workstations"] input[data-level="full"]') as Element);
    await waitFor(() => expect(backend.setGroupLevel).toHaveBeenCalledWith("Workstations", "full"));
    expect((await screen.findByRole("status")).textContent).toContain("Full");
  });
});
