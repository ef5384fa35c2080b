import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { BackendError } from "../../backend";
import { fakeBackend } from "../../testing/fakeBackend";
import { ImportTelemetry } from "./ImportTelemetry";

afterEach(cleanup);

/** The widget on a backend whose window drops can be played: `drop(paths)`. */
async function renderedForDrops() {
  let listener: (paths: string[]) => void = () => undefined;
  const backend = fakeBackend({
    onFilesDropped: vi.fn(async (l: (paths: string[]) => void) => {
      listener = l;
      return () => undefined;
    }),
  });
  render(<ImportTelemetry backend={backend} />);
  await vi.waitFor(() => expect(backend.onFilesDropped).toHaveBeenCalled());
  return { backend, drop: (paths: string[]) => listener(paths) };
}

describe("ImportTelemetry", () => {
  it("imports the files the user picks and says what came of it", async () => {
    const backend = fakeBackend({ pick: vi.fn(async () => ["/logs/a.evtx", "/logs/b.evtx"]) });
    const onImported = vi.fn();
    render(<ImportTelemetry backend={backend} onImported={onImported} />);
    fireEvent.click(screen.getByTestId("import-telemetry"));
    const summary = await screen.findByTestId("import-summary");
    expect(backend.importTelemetry).toHaveBeenCalledWith(["/logs/a.evtx", "/logs/b.evtx"]);
    expect(summary.textContent).toContain("1 investigation started");
    expect(onImported).toHaveBeenCalled();
  });

  it("imports files dropped on the window", async () => {
    const { backend, drop } = await renderedForDrops();
    drop(["/drop/x.ndjson"]);
    await screen.findByTestId("import-summary");
    expect(backend.importTelemetry).toHaveBeenCalledWith(["/drop/x.ndjson"]);
  });

  it("imports dropped IOC lists as threat intelligence and the rest as telemetry", async () => {
    const { backend, drop } = await renderedForDrops();
    drop(["/drop/report.CSV", "/drop/x.evtx"]);
    const intel = await screen.findByTestId("import-intel-summary");
    expect(intel.textContent).toContain("4 indicators in /drop/report.CSV, 4 new.");
    await screen.findByTestId("import-summary");
    expect(backend.importIntel).toHaveBeenCalledWith("/drop/report.CSV");
    expect(backend.importTelemetry).toHaveBeenCalledWith(["/drop/x.evtx"]);
  });

  it("says that nothing was kept when a file is bad, and what to do", async () => {
    const backend = fakeBackend({
      pick: vi.fn(async () => ["/logs/bad.ndjson"]),
      importTelemetry: vi.fn(async () => {
        throw new BackendError({ code: "invalid_input", message: "bad.ndjson: line 4: not JSON" });
      }),
    });
    render(<ImportTelemetry backend={backend} />);
    fireEvent.click(screen.getByTestId("import-telemetry"));
    const error = await screen.findByTestId("import-error");
    expect(error.textContent).toContain("bad.ndjson: line 4");
    expect(error.textContent).toContain("nothing from this attempt was kept");
  });

  it("does nothing when the dialog is cancelled", async () => {
    const backend = fakeBackend({ pick: vi.fn(async () => null) });
    render(<ImportTelemetry backend={backend} />);
    fireEvent.click(screen.getByTestId("import-folder"));
    await vi.waitFor(() => expect(backend.pick).toHaveBeenCalledWith("telemetry-folder"));
    expect(backend.importTelemetry).not.toHaveBeenCalled();
  });
});
