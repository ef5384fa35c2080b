import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { entity, LONG_SCRIPT, psexecInvestigation } from "../../testing/fakeBackend";
import { EntitiesTab } from "./EntitiesTab";

afterEach(cleanup);

describe("EntitiesTab", () => {
  it("renders hostile telemetry as text", async () => {
    const hostile = "<img src=x onerror=window.__pwned=1>";
    render(<EntitiesTab entities={[entity({ name: hostile, command_line: "<script>window.__pwned=1</script>" })]} focus={null} />);
    expect(await screen.findByText(hostile)).toBeTruthy();
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("script")).toBeNull();
  });

  it("shows each entity's kind and facts, and cuts a 64 KiB script with a way to read it all", async () => {
    render(<EntitiesTab entities={psexecInvestigation().entities} focus={null} />);
    const service = (await screen.findByText("PSEXESVC")).closest("tr") as HTMLElement;
    expect(service.textContent).toContain("Service");
    expect(service.textContent).toContain("start type: demand start");
    const script = document.querySelector('[data-entity="Script block 3f1a…c2 (4312)"]') as HTMLElement;
    expect(script.textContent).toContain("PowerShell script");
    const cut = script.querySelector("[data-long-text]") as HTMLElement;
    expect(cut.getAttribute("data-long-text")).toBe("cut");
    expect(cut.textContent?.length).toBeLessThan(1000);
    fireEvent.click(within(cut).getByText("show all (65,536 characters)"));
    expect(cut.getAttribute("data-long-text")).toBe("all");
    expect(cut.textContent).toContain(LONG_SCRIPT);
    // The script's markup is text, never HTML.
    expect(script.querySelector("b")).toBeNull();
  });
});
