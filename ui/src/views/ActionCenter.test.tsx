import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ActionCenter } from "./ActionCenter";
import { action, fakeBackend } from "../testing/fakeBackend";

afterEach(cleanup);

describe("ActionCenter", () => {
  it("decides several actions of one type together and refuses mixing types", async () => {
    const backend = fakeBackend({
      actions: async (f) =>
        f === "pending"
          ? [action({ id: 1 }), action({ id: 2, entity: "b.exe" }), action({ id: 3, kind: "kill_process", label: "Stop process", reversible: false })]
          : [],
    });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    const boxes = (await screen.findAllByRole("checkbox")) as HTMLInputElement[];
    fireEvent.click(boxes[0] as HTMLInputElement);
    expect(boxes[2]?.disabled).toBe(true);
    fireEvent.click(boxes[1] as HTMLInputElement);
    expect(screen.getByText("Cannot be undone.")).toBeTruthy();
    fireEvent.click(screen.getByTestId("reject-selected"));
    const confirm = screen.getByTestId("confirm-reject") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true); // a reason is required
    fireEvent.change(screen.getByPlaceholderText(/known admin tool/), { target: { value: "test machine" } });
    fireEvent.click(confirm);
    await waitFor(() => expect(backend.reject).toHaveBeenCalledWith([1, 2], "test machine"));
  });

  it("shows who decided and offers undo for reversible ones", async () => {
    const backend = fakeBackend();
    render(<ActionCenter backend={backend} go={vi.fn()} tab="history" />);
    expect(await screen.findByText("tester")).toBeTruthy();
    fireEvent.click(screen.getByText("Undo"));
    await waitFor(() => expect(backend.undo).toHaveBeenCalledWith([9]));
  });
});
