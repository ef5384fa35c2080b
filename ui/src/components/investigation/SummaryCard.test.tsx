import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { action, details, fakeBackend } from "../../testing/fakeBackend";
import { SummaryCard } from "./SummaryCard";

afterEach(cleanup);

describe("SummaryCard", () => {
  it("asks once more before cancelling, and says what waits will be rejected", async () => {
    const backend = fakeBackend();
    const pending = [action({ id: 1 }), action({ id: 2 })];
    render(
      <SummaryCard
        backend={backend}
        d={details({ status: "pending_action", actions: pending, pending_actions: pending })}
        onReview={() => {}}
        onChanged={() => {}}
      />,
    );
    fireEvent.click(screen.getByTestId("cancel-investigation"));
    expect(backend.cancelInvestigation).not.toHaveBeenCalled();
    expect(screen.getByTestId("cancel-consequence").textContent).toContain("2 actions that wait will be rejected");
    fireEvent.click(screen.getByText("Keep it"));
    expect(screen.queryByTestId("confirm-cancel")).toBeNull();
    fireEvent.click(screen.getByTestId("cancel-investigation"));
    fireEvent.click(screen.getByTestId("confirm-cancel"));
    expect(backend.cancelInvestigation).toHaveBeenCalledWith(details().id);
  });
});
