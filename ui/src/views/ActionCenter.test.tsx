import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ActionCenter, historyCsv } from "./ActionCenter";
import { action, fakeBackend, psexecActions, WRITTEN_FILES } from "../testing/fakeBackend";

afterEach(cleanup);

describe("ActionCenter", () => {
  it("flags a pending action whose target hides characters, and its history export neutralises and reveals", async () => {
    const disguised = "invoice\u202efdp.exe";
    const backend = fakeBackend({
      actions: async (f) => (f === "pending" ? [action({ id: 1, entity: disguised })] : []),
    });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    expect(await screen.findByText(/invoice⟨U\+202E⟩fdp\.exe/)).toBeTruthy();
    expect(screen.getByTestId("hidden-characters").getAttribute("title")).toContain("1 hidden character");
    const csv = historyCsv([action({ id: 2, entity: disguised, decision_note: "=HYPERLINK(\"http://x\")" })]);
    expect(csv).toContain("invoice⟨U+202E⟩fdp.exe");
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
  });

  it("says before approval where an action will run, and warns when no connector reaches its machine", async () => {
    const backend = fakeBackend({
      actions: async (f) =>
        f === "pending"
          ? [
              action({ id: 1, machine: "ws-anna", machine_connector: "agent" }),
              action({ id: 2, kind: "remove_persistence", label: "Remove run key value", machine: "msedgewin10", machine_connector: null }),
            ]
          : [],
    });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    expect((await screen.findByTestId("runs-where")).textContent).toContain("through the machine's Vigil agent");
    expect(screen.getByTestId("runs-by-hand").textContent).toContain("Vigil cannot reach msedgewin10");
  });

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

  it("marks an action that waits for its machine done by hand, only with a note of what was done", async () => {
    const waiting = action({ id: 12, state: "waiting_for_machine", result: "client9 has no connector yet", decided_by: "admin" });
    const backend = fakeBackend({ actions: async (f) => (f === "pending" ? [] : [waiting]) });
    render(<ActionCenter backend={backend} go={vi.fn()} tab="history" />);
    // The badge and the result filter both name the state.
    expect(await screen.findAllByText("Waiting for machine")).toHaveLength(2);
    expect(screen.queryByText("Undo")).toBeNull();
    fireEvent.click(screen.getByText("Mark done by hand…"));
    const done = screen.getByText("Mark done") as HTMLButtonElement;
    expect(done.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("What was done by hand"), { target: { value: "deleted it at the desk" } });
    fireEvent.click(done);
    await waitFor(() => expect(backend.markDone).toHaveBeenCalledWith([12], "deleted it at the desk"));
  });
});

describe("ActionCenter, grouped actions", () => {
  it("shows actions proposed together as one row with its count, decided as one, opened to its members", async () => {
    const backend = fakeBackend({ actions: async (f) => (f === "pending" ? psexecActions() : []) });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    const group = (await screen.findByText("Quarantine 37 files written by PSEXESVC.exe (4120)")).closest("[data-action-group]") as HTMLElement;
    expect(group.textContent).toContain("37 actions");
    // One row for the 37, beside the three alone.
    expect(document.querySelectorAll(".action-list > li")).toHaveLength(4);
    expect(within(group).queryByText(/payload-1\.dll/)).toBeNull();
    fireEvent.click(within(group).getByTestId("toggle-group"));
    expect(group.querySelectorAll(".group-members > li")).toHaveLength(37);
    fireEvent.click(within(group).getByText("Approve all 37"));
    await waitFor(() => expect(backend.approve).toHaveBeenCalledWith(WRITTEN_FILES.map((_, i) => 210 + i), null));
    expect((await screen.findAllByRole("status")).some((s) => s.textContent === "37 actions approved and run.")).toBe(true);
  });

  it("reads each action's label from its target", async () => {
    const backend = fakeBackend({ actions: async (f) => (f === "pending" ? psexecActions() : []) });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    const service = (await screen.findByText("PSEXESVC")).closest("[data-action]") as HTMLElement;
    expect(service.textContent).toContain("Remove service");
  });

  it("selects a group with its checkbox, as one, and keeps other types out", async () => {
    const backend = fakeBackend({ actions: async (f) => (f === "pending" ? psexecActions() : []) });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    const group = (await screen.findByText("Quarantine 37 files written by PSEXESVC.exe (4120)")).closest("[data-action-group]") as HTMLElement;
    fireEvent.click(within(group).getByLabelText(/Select Quarantine 37 files/));
    expect(screen.getByText("37")).toBeTruthy();
    const service = document.querySelector('[data-action="201"] input') as HTMLInputElement;
    expect(service.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("approve-selected"));
    await waitFor(() => expect(backend.approve).toHaveBeenCalledWith(WRITTEN_FILES.map((_, i) => 210 + i), null));
  });

  it("names a type by what its actions share: the label, or the type when their targets differ", async () => {
    const remove = (id: number, label: string, entity: string) => action({ id, kind: "remove_persistence", label, entity, entity_kind: "persistence" });
    const backend = fakeBackend({
      actions: async (f) => (f === "pending" ? [remove(1, "Remove service", "PSEXESVC"), remove(2, "Remove scheduled task", "Updater"), action({ id: 3 })] : []),
    });
    render(<ActionCenter backend={backend} go={vi.fn()} />);
    const select = (await screen.findByLabelText("Select all of a type")) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["Select all of type…", "Remove persistence (2)", "Quarantine file (1)"]);
    fireEvent.change(select, { target: { value: "remove_persistence" } });
    expect(screen.getByRole("group", { name: "Decision" }).textContent).toContain("2 × Remove persistence selected");
  });
});
