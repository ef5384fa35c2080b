import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MachinePage } from "./MachinePage";
import { fakeBackend, machine } from "../testing/fakeBackend";

afterEach(cleanup);

describe("MachinePage", () => {
  it("starts an investigation with one click and links to it", async () => {
    const go = vi.fn();
    const backend = fakeBackend({ investigateMachine: vi.fn(async () => 42) });
    render(<MachinePage backend={backend} go={go} name="client4" />);
    expect(await screen.findByTestId("machine-group")).toBeTruthy();
    expect(screen.getByText("Semi – require approval for any remediation")).toBeTruthy();
    fireEvent.click(screen.getByTestId("initiate-investigation"));
    const open = await screen.findByTestId("open-investigation");
    expect(backend.investigateMachine).toHaveBeenCalledWith("client4");
    await waitFor(() => expect(screen.getByTestId("investigation-progress").textContent).toContain("Pending action"));
    fireEvent.click(open);
    expect(go).toHaveBeenCalledWith({ view: "investigation", id: 42 });
  });

  it("explains why a machine that is not protected cannot be investigated", async () => {
    const backend = fakeBackend({ machines: async () => [machine({ automation_level: "not_protected" })] });
    render(<MachinePage backend={backend} go={vi.fn()} name="client4" />);
    const button = (await screen.findByTestId("initiate-investigation")) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText(/Not protected: no automated investigation/)).toBeTruthy();
  });

  it("says whether the machine's agent is online, and that an offline one's actions wait", async () => {
    const agent = {
      id: "0ae3",
      machine: "client4",
      online: false,
      last_seen: "2026-11-27T21:58:00Z",
      version: "0.1.0",
      enrolled_at: "2026-11-20T09:00:00Z",
      certificate_expires: "2027-11-20T09:00:00Z",
      revoked: false,
    };
    const offline = fakeBackend({ machines: async () => [machine({ connector: "agent", agent })] });
    render(<MachinePage backend={offline} go={vi.fn()} name="client4" />);
    const reach = await screen.findByTestId("machine-reach");
    expect(reach.textContent).toContain("Vigil agent 0.1.0, offline since");
    expect(reach.textContent).toContain("its actions wait until it is back");
    cleanup();
    const online = fakeBackend({ machines: async () => [machine({ connector: "agent", agent: { ...agent, online: true } })] });
    render(<MachinePage backend={online} go={vi.fn()} name="client4" />);
    expect((await screen.findByTestId("machine-reach")).textContent).toContain("Vigil agent 0.1.0, online");
  });
});
