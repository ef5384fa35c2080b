import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Settings } from "./Settings";
import { fakeBackend } from "../testing/fakeBackend";
import { BackendError } from "../backend";

afterEach(() => {
  cleanup();
  document.documentElement.removeAttribute("data-theme");
  window.localStorage.clear();
});

const type = (el: Element, value: string) => fireEvent.change(el, { target: { value } });

describe("Settings", () => {
  it("explains the levels and changes a group's level", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    expect((await screen.findAllByText("Every remediation waits for your approval.")).length).toBeGreaterThan(0);
    expect(screen.getByTestId("data-location").textContent).toBe("/tmp/vigil.sqlite3");
    expect(screen.getByText("Investigate high-severity alerts")).toBeTruthy();
    fireEvent.click(document.querySelector('[data-group="Workstations"] input[data-level="full"]') as Element);
    await waitFor(() => expect(backend.setGroupLevel).toHaveBeenCalledWith("Workstations", "full"));
    expect((await screen.findByRole("status")).textContent).toContain("Full");
  });

  it("creates an alert policy from the form", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    fireEvent.click(await screen.findByTestId("add-policy"));
    const form = screen.getByTestId("policy-form");
    type(within(form).getByLabelText("Name"), "Investigate credential theft");
    type(within(form).getByLabelText("Minimum severity"), "medium");
    type(within(form).getByLabelText("Detection source"), "sigma");
    type(within(form).getByLabelText("Category contains"), "Credential");
    type(within(form).getByLabelText("Playbook"), "malware_on_machine");
    fireEvent.click(screen.getByTestId("save-policy"));
    await waitFor(() =>
      expect(backend.saveAlertPolicy).toHaveBeenCalledWith({
        id: null,
        name: "Investigate credential theft",
        enabled: true,
        min_severity: "medium",
        detection_source: "sigma",
        category: "Credential",
        playbook: "malware_on_machine",
        start: true,
      }),
    );
    expect((await screen.findByRole("status")).textContent).toContain("“Investigate credential theft” saved");
    expect(screen.queryByTestId("policy-form")).toBeNull();
  });

  it("keeps the form open and says what to change when the engine refuses a policy", async () => {
    const saveAlertPolicy = vi.fn(async () => {
      throw new BackendError({ code: "invalid_input", message: "Give the policy a name, for example “Investigate ransomware”." });
    });
    const backend = fakeBackend({ saveAlertPolicy });
    render(<Settings backend={backend} />);
    fireEvent.click(await screen.findByTestId("add-policy"));
    fireEvent.click(screen.getByTestId("save-policy"));
    expect((await screen.findByTestId("policy-error")).textContent).toBe("Give the policy a name, for example “Investigate ransomware”.");
    expect(screen.getByTestId("policy-form")).toBeTruthy();
    // Once the admin edits the form, the refusal no longer applies.
    type(screen.getByLabelText("Name"), "Investigate ransomware");
    expect(screen.queryByTestId("policy-error")).toBeNull();
  });

  it("edits, switches off, moves and deletes a policy", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    const row = await screen.findByText("Investigate high-severity alerts");
    const item = row.closest("[data-policy]") as HTMLElement;
    expect(item.textContent).toContain("high- and critical-severity alerts → start an investigation");

    fireEvent.click(within(item).getByTestId("policy-enabled"));
    await waitFor(() => expect(backend.saveAlertPolicy).toHaveBeenCalledWith(expect.objectContaining({ id: 1, enabled: false })));

    fireEvent.click(within(item).getByTestId("edit-policy"));
    const form = screen.getByTestId("policy-form");
    expect((within(form).getByLabelText("Name") as HTMLInputElement).value).toBe("Investigate high-severity alerts");
    fireEvent.click(within(form).getByText(/Only\s+record it/));
    expect((within(form).getByLabelText("Playbook") as HTMLSelectElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("save-policy"));
    await waitFor(() => expect(backend.saveAlertPolicy).toHaveBeenLastCalledWith(expect.objectContaining({ id: 1, start: false })));

    // The only policy cannot move; deleting asks once more.
    expect((within(item).getByLabelText("Move Investigate high-severity alerts up") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(item).getByTestId("delete-policy"));
    expect(backend.deleteAlertPolicy).not.toHaveBeenCalled();
    fireEvent.click(within(item).getByTestId("confirm-delete-policy"));
    await waitFor(() => expect(backend.deleteAlertPolicy).toHaveBeenCalledWith(1));
  });

  it("adds a group with a live preview of the machines it would take", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    fireEvent.click(await screen.findByTestId("add-group"));
    const form = screen.getByTestId("group-form");
    expect(within(form).getByTestId("group-preview").textContent).toContain("Write a pattern");
    type(within(form).getByLabelText("Name"), "Finance");
    type(within(form).getByLabelText("Rule 1: what it looks at"), "tag");
    type(within(form).getByLabelText("Rule 1: pattern"), "fin*");
    await waitFor(() => expect(within(form).getByTestId("group-preview").textContent).toBe("Would hold 1 machine: client4"));
    expect(backend.previewGroup).toHaveBeenLastCalledWith(expect.objectContaining({ id: null, rules: [{ field: "tag", pattern: "fin*" }] }));
    fireEvent.click(within(form).getByTestId("add-rule"));
    type(within(form).getByLabelText("Rule 2: pattern"), "*");
    type(within(form).getByLabelText("Automation level"), "full");
    fireEvent.click(screen.getByTestId("save-group"));
    await waitFor(() =>
      expect(backend.saveGroup).toHaveBeenCalledWith({
        id: null,
        name: "Finance",
        description: "",
        automation_level: "full",
        rules: [
          { field: "tag", pattern: "fin*" },
          { field: "name", pattern: "*" },
        ],
      }),
    );
    expect((await screen.findByRole("status")).textContent).toContain("“Finance” saved: it holds 1 machine");
  });

  it("says which matching machines a higher-ranked group keeps", async () => {
    const previewGroup = vi.fn(async () => ({ machines: [], kept_by_higher: [{ machine: "owner-laptop", group: "Owner" }] }));
    render(<Settings backend={fakeBackend({ previewGroup })} />);
    fireEvent.click(await screen.findByTestId("add-group"));
    type(screen.getByLabelText("Rule 1: pattern"), "owner*");
    await waitFor(() =>
      expect(screen.getByTestId("group-preview").textContent).toBe(
        "No machine would join. owner-laptop (in Owner) matches but stays in a higher-ranked group. Move this group up to take it.",
      ),
    );
  });

  it("keeps Ungrouped machines last: no move, no delete, no rules", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    const item = (await screen.findByText("Ungrouped machines")).closest("[data-group]") as HTMLElement;
    expect(within(item).queryByTestId("delete-group")).toBeNull();
    expect(within(item).queryByLabelText(/Move Ungrouped machines/)).toBeNull();
    fireEvent.click(within(item).getByTestId("edit-group"));
    const form = screen.getByTestId("group-form");
    expect(within(form).queryByTestId("add-rule")).toBeNull();
    expect(form.textContent).toContain("has no rules");

    // The one other group has nowhere to move: above it is nothing, below it the last.
    const workstations = document.querySelector('[data-group="Workstations"]') as HTMLElement;
    expect((within(workstations).getByLabelText("Move Workstations up") as HTMLButtonElement).disabled).toBe(true);
    expect((within(workstations).getByLabelText("Move Workstations down") as HTMLButtonElement).disabled).toBe(true);
  });

  it("says where a new IOC list had already been seen and leads to the investigations", async () => {
    const go = vi.fn();
    const backend = fakeBackend({
      pick: vi.fn(async () => ["/intel/report.csv"]),
      importIntel: vi.fn(async () => ({
        indicators: 12,
        added: 10,
        skipped: 3,
        skip_reasons: ["line 7: type 'email-src' is not one Vigil matches (sha256, sha1, md5, url, domain, ip)"],
        seen_on: ["client4", "client7"],
        alerts: 2,
        investigations_started: 1,
      })),
    });
    render(<Settings backend={backend} go={go} />);
    fireEvent.click(await screen.findByTestId("import-intel"));
    await waitFor(() => expect(backend.importIntel).toHaveBeenCalledWith("/intel/report.csv"));
    const message = await screen.findByTestId("detection-message");
    await waitFor(() =>
      expect(message.textContent).toContain(
        "12 indicators in /intel/report.csv, 10 new. Already seen on client4, client7: 2 alerts raised, 1 investigation started. " +
          "3 rows were passed over (line 7: type 'email-src' is not one Vigil matches (sha256, sha1, md5, url, domain, ip), …).",
      ),
    );
    fireEvent.click(within(message).getByText("Show the investigations"));
    expect(go).toHaveBeenCalledWith({ view: "investigations" });
  });

  it("says so when a new IOC list shows nowhere yet", async () => {
    const backend = fakeBackend({ pick: vi.fn(async () => ["/intel/feed.csv"]) });
    render(<Settings backend={backend} />);
    fireEvent.click(await screen.findByTestId("import-intel"));
    const message = await screen.findByTestId("detection-message");
    await waitFor(() => expect(message.textContent).toContain("None of the new ones shows in the telemetry already imported."));
    expect(within(message).queryByRole("button")).toBeNull();
  });

  it("lists the IOC lists and removes one after a second click", async () => {
    const lists = [
      {
        source: "report.csv",
        indicators: 12,
        kinds: [
          { kind: "sha256", count: 10 },
          { kind: "domain", count: 2 },
        ],
        added_at: "2026-11-28T05:19:00.000Z",
        alerts: 3,
        machines: 2,
      },
    ];
    const backend = fakeBackend({ intelLists: vi.fn(async () => lists), removeIntelList: vi.fn(async () => 12) });
    render(<Settings backend={backend} />);
    const row = await screen.findByText("report.csv");
    const table = screen.getByTestId("intel-lists");
    expect(table.textContent).toContain("12 (10 sha256, 2 domain)");
    expect(within(table).getByTestId("intel-found").textContent).toBe("3 alerts on 2 machines");
    expect(row).toBeTruthy();
    fireEvent.click(within(table).getByTestId("remove-intel"));
    expect(backend.removeIntelList).not.toHaveBeenCalled();
    fireEvent.click(within(table).getByTestId("confirm-remove-intel"));
    await waitFor(() => expect(backend.removeIntelList).toHaveBeenCalledWith("report.csv"));
    expect((await screen.findByTestId("detection-message")).textContent).toContain("report.csv removed: 12 indicators");
  });

  it("switches to dark and back to the system's choice", async () => {
    render(<Settings backend={fakeBackend()} />);
    const dark = (await screen.findByTestId("appearance")).querySelector('[data-theme-choice="dark"]') as HTMLInputElement;
    fireEvent.click(dark);
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(window.localStorage.getItem("vigil.theme")).toBe("dark");
    fireEvent.click(screen.getByTestId("appearance").querySelector('[data-theme-choice="system"]') as HTMLInputElement);
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(window.localStorage.getItem("vigil.theme")).toBeNull();
  });

  it("links to every section at the top, the new ones included", async () => {
    render(<Settings backend={fakeBackend()} />);
    await screen.findByTestId("never-act-on");
    const links = [...document.querySelectorAll("[data-section]")].map((l) => l.getAttribute("data-section"));
    expect(links).toEqual(["machine-groups", "alert-policies", "investigations", "never-act-on", "agents", "detection", "appearance"]);
    for (const id of links) expect(document.getElementById(id as string)).toBeTruthy();
  });

  it("saves the never-act-on list, one entry per line, and shows it as the engine tidied it", async () => {
    const saveNeverActOn = vi.fn(async () => ({ hosts: ["backup-server"], ips: ["10.20.0.0/16"], domains: ["partner.example"], paths: [], hashes: [] }));
    const backend = fakeBackend({ neverActOn: vi.fn(async () => ({ hosts: ["backup-server"], ips: [], domains: [], paths: [], hashes: [] })), saveNeverActOn });
    render(<Settings backend={backend} />);
    const form = await screen.findByTestId("never-act-on");
    expect(form.textContent).not.toContain("Not saved yet");
    await waitFor(() => expect((within(form).getByLabelText(/Machine names/) as HTMLTextAreaElement).value).toBe("backup-server"));
    expect((within(form).getByTestId("save-never-act-on") as HTMLButtonElement).disabled).toBe(true);
    type(within(form).getByLabelText(/IP addresses or networks/), "10.20.0.0/16\n\n  ");
    type(within(form).getByLabelText(/Domains/), "Partner.example");
    fireEvent.click(within(form).getByTestId("save-never-act-on"));
    await waitFor(() =>
      expect(saveNeverActOn).toHaveBeenCalledWith({ hosts: ["backup-server"], ips: ["10.20.0.0/16"], domains: ["Partner.example"], paths: [], hashes: [] }),
    );
    expect((await within(form).findByRole("status")).textContent).toContain("Saved: 3 entries");
    expect((within(form).getByLabelText(/Domains/) as HTMLTextAreaElement).value).toBe("partner.example");
  });

  it("shows the engine's refusal at the field holding the bad entry", async () => {
    const saveNeverActOn = vi.fn(async () => {
      throw new BackendError({ code: "invalid_input", message: "“10.0.0.300” is not an IP address or network (write 192.0.2.10 or 10.0.0.0/8)" });
    });
    render(<Settings backend={fakeBackend({ saveNeverActOn })} />);
    const form = await screen.findByTestId("never-act-on");
    await waitFor(() => expect((within(form).getByLabelText(/Machine names/) as HTMLTextAreaElement).disabled).toBe(false));
    type(within(form).getByLabelText(/Machine names/), "backup-server");
    type(within(form).getByLabelText(/IP addresses or networks/), "192.0.2.10\n10.0.0.300");
    fireEvent.click(within(form).getByTestId("save-never-act-on"));
    const error = await within(form).findByTestId("never-act-on-ips-error");
    expect(error.textContent).toBe("“10.0.0.300” is not an IP address or network (write 192.0.2.10 or 10.0.0.0/8)");
    expect(error.closest("[data-field]")?.getAttribute("data-field")).toBe("ips");
    expect(within(form).getByLabelText(/IP addresses or networks/).getAttribute("aria-invalid")).toBe("true");
    // Fixing the field takes the refusal away.
    type(within(form).getByLabelText(/IP addresses or networks/), "192.0.2.10\n10.0.0.30");
    expect(within(form).queryByTestId("never-act-on-ips-error")).toBeNull();
  });

  it("says what Vigil already never touches on its own", async () => {
    render(<Settings backend={fakeBackend()} />);
    const safe = await screen.findByTestId("already-safe");
    for (const words of ["own names and addresses", "loopback", "system folders", "services Windows needs", "built-in accounts", "Vigil's own files"]) {
      expect(safe.textContent).toContain(words);
    }
  });

  it("sets how far around its alerts an investigation reads, within 5 minutes and 7 days", async () => {
    const backend = fakeBackend();
    render(<Settings backend={backend} />);
    const form = await screen.findByTestId("investigation-window");
    expect(form.textContent).toContain("wider window finds more");
    await waitFor(() => expect((within(form).getByLabelText(/Window/) as HTMLInputElement).value).toBe("1"));
    expect((within(form).getByLabelText("Unit") as HTMLSelectElement).value).toBe("hours");
    expect(form.textContent).toContain("Now: 1 hour.");
    const save = within(form).getByTestId("save-investigation-window") as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    type(within(form).getByLabelText("Unit"), "minutes");
    type(within(form).getByLabelText(/Window/), "3");
    expect(within(form).getByTestId("investigation-window-error").textContent).toBe("Choose between 5 minutes and 7 days.");
    expect(save.disabled).toBe(true);
    type(within(form).getByLabelText("Unit"), "days");
    type(within(form).getByLabelText(/Window/), "8");
    expect(save.disabled).toBe(true);

    type(within(form).getByLabelText(/Window/), "2");
    fireEvent.click(save);
    await waitFor(() => expect(backend.saveInvestigationSettings).toHaveBeenCalledWith({ window_minutes: 2880 }));
    expect((await within(form).findByRole("status")).textContent).toContain("2 days before the first alert and after the last");
  });

  it("shows the engine's refusal of a window", async () => {
    const saveInvestigationSettings = vi.fn(async () => {
      throw new BackendError({ code: "invalid_input", message: "Choose a window between 5 minutes and 7 days each side of the alerts." });
    });
    render(<Settings backend={fakeBackend({ saveInvestigationSettings })} />);
    const form = await screen.findByTestId("investigation-window");
    await waitFor(() => expect((within(form).getByLabelText(/Window/) as HTMLInputElement).value).toBe("1"));
    type(within(form).getByLabelText(/Window/), "90");
    type(within(form).getByLabelText("Unit"), "minutes");
    fireEvent.click(within(form).getByTestId("save-investigation-window"));
    expect((await within(form).findByTestId("investigation-window-error")).textContent).toBe("Choose a window between 5 minutes and 7 days each side of the alerts.");
  });

  it("offers critical as a minimum severity", async () => {
    render(<Settings backend={fakeBackend()} />);
    fireEvent.click(await screen.findByTestId("add-policy"));
    const options = [...(within(screen.getByTestId("policy-form")).getByLabelText("Minimum severity") as HTMLSelectElement).options].map((o) => o.value);
    expect(options).toEqual(["informational", "low", "medium", "high", "critical"]);
  });
});
