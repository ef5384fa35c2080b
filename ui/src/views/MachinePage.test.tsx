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
});
