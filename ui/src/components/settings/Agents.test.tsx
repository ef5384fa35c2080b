import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { fakeBackend } from "../../testing/fakeBackend";
import type { AgentView } from "../../backend";
import { Agents } from "./Agents";

afterEach(cleanup);

const agent = (over: Partial<AgentView>): AgentView => ({
  id: "6c071c4ebbd8e08512ec1ebe1a67ef0a",
  machine: "ws-anna",
  online: true,
  last_seen: "2026-12-01T17:59:57Z",
  version: "0.1.0",
  enrolled_at: "2026-12-01T17:59:57Z",
  certificate_expires: "2027-03-01T17:59:57Z",
  revoked: false,
  ...over,
});

describe("Agents", () => {
  it("adds a machine: suggests this computer's address, makes a token and says what to run", async () => {
    const backend = fakeBackend();
    render(<Agents backend={backend} />);
    fireEvent.click(await screen.findByTestId("add-machine"));
    const address = (await screen.findByDisplayValue("192.168.1.10:7420")) as HTMLInputElement;
    fireEvent.change(address, { target: { value: "192.168.1.10:7420, laptop:7420" } });
    fireEvent.click(screen.getByTestId("make-token"));
    await waitFor(() => expect(backend.addMachine).toHaveBeenCalledWith(["192.168.1.10:7420", "laptop:7420"], 1, 24));
    const shown = await screen.findByTestId("enrolment-token");
    expect(shown.textContent).toContain("vigil-enrol-1.");
    expect(shown.textContent).toContain("vigil-agent enrol --token-file FILE");
  });

  it("shows who is online and revokes only after asking", async () => {
    const backend = fakeBackend({
      agents: async () => [agent({}), agent({ id: "b".repeat(32), machine: "ws-bob", online: false })],
    });
    render(<Agents backend={backend} />);
    const bob = await screen.findByText("ws-bob");
    expect(document.querySelector('[data-agent="ws-anna"] [data-agent-state]')?.getAttribute("data-agent-state")).toBe("online");
    expect(document.querySelector('[data-agent="ws-bob"] [data-agent-state]')?.getAttribute("data-agent-state")).toBe("offline");
    const row = bob.closest("tr") as HTMLElement;
    fireEvent.click(row.querySelector("button") as HTMLButtonElement);
    expect(backend.revokeAgent).not.toHaveBeenCalled();
    fireEvent.click(screen.getByText("Revoke"));
    await waitFor(() => expect(backend.revokeAgent).toHaveBeenCalledWith("b".repeat(32)));
  });
});
