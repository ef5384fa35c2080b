import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { AlertPage } from "./AlertPage";
import { alertView, fakeBackend } from "../testing/fakeBackend";

afterEach(cleanup);

describe("AlertPage", () => {
  it("names the author of the Sigma rule behind the alert", async () => {
    const backend = fakeBackend();
    render(<AlertPage backend={backend} go={() => undefined} id={3} />);
    const rule = await screen.findByTestId("alert-rule");
    expect(rule.textContent).toContain("by Florian Roth (Nextron Systems)");
    expect(rule.textContent).toContain("Detection Rule License 1.1");
    expect(backend.sigmaRule).toHaveBeenCalledWith("r1");
  });

  it("shows no rule for other detections", async () => {
    const backend = fakeBackend({ alert: vi.fn(async () => alertView({ detection_source: "ioc" })) });
    render(<AlertPage backend={backend} go={() => undefined} id={3} />);
    await screen.findByText("ioc");
    expect(screen.queryByTestId("alert-rule")).toBeNull();
    expect(backend.sigmaRule).not.toHaveBeenCalled();
  });
});
