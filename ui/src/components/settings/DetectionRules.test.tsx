import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { DetectionRules } from "./DetectionRules";
import { fakeBackend } from "../../testing/fakeBackend";
import { BackendError } from "../../backend";

afterEach(cleanup);

describe("DetectionRules", () => {
  it("shows what rules list shows, with SigmaHQ's attribution", async () => {
    const backend = fakeBackend({
      ruleSets: vi.fn(async () => ({
        vigil_rules: 21,
        sigmahq: { rules: 2514, source: "embedded" as const, commit: "8eaafff", file: null, updated_at: null, replaced_by_user: 1 },
        user_dirs: [{ path: "/home/bob/rules", rules: 3 }],
        attribution: "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1",
      })),
    });
    render(<DetectionRules backend={backend} />);
    expect((await screen.findByTestId("vigil-rules")).textContent).toBe("Vigil's own rules: 21 rules");
    expect(screen.getByTestId("sigmahq-rules").textContent).toBe(
      "SigmaHQ's Windows rules: 2,514 rules, shipped with Vigil (SigmaHQ commit 8eaafff); 1 rule replaced by yours of the same id",
    );
    expect(document.querySelector('[data-rule-dir="/home/bob/rules"]')?.textContent).toBe("/home/bob/rules: 3 rules");
    expect(screen.getByTestId("sigmahq-attribution").textContent).toContain(
      "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1.",
    );
  });

  it("updates SigmaHQ's rules from the release picked and shows where they now come from", async () => {
    const ruleSets = vi
      .fn()
      .mockResolvedValueOnce({
        vigil_rules: 21,
        sigmahq: { rules: 2514, source: "embedded", commit: "8eaafff", file: null, updated_at: null, replaced_by_user: 0 },
        user_dirs: [],
        attribution: "Detection rules by the SigmaHQ project",
      })
      .mockResolvedValue({
        vigil_rules: 21,
        sigmahq: { rules: 2600, source: "update", commit: null, file: "/tmp/sigma_core.zip", updated_at: "2026-12-01T10:00:00.000Z", replaced_by_user: 0 },
        user_dirs: [],
        attribution: "Detection rules by the SigmaHQ project",
      });
    const backend = fakeBackend({ ruleSets, pick: vi.fn(async () => ["/tmp/sigma_core.zip"]) });
    render(<DetectionRules backend={backend} />);
    await screen.findByTestId("sigmahq-rules");
    fireEvent.click(screen.getByTestId("update-sigmahq"));
    await waitFor(() => expect(backend.updateSigmahq).toHaveBeenCalledWith("/tmp/sigma_core.zip"));
    expect(backend.pick).toHaveBeenCalledWith("sigma-release");
    expect((await screen.findByTestId("rules-message")).textContent).toContain("2,600 SigmaHQ rules taken from /tmp/sigma_core.zip");
    await waitFor(() => expect(screen.getByTestId("sigmahq-rules").textContent).toContain("from /tmp/sigma_core.zip, updated"));
  });

  it("says why a release was refused and keeps what is shown", async () => {
    const updateSigmahq = vi.fn(async () => {
      throw new BackendError({ code: "invalid_input", message: "/tmp/x.zip!rules/windows/a.yml: line 7: not YAML" });
    });
    const backend = fakeBackend({ updateSigmahq, pick: vi.fn(async () => ["/tmp/x.zip"]) });
    render(<DetectionRules backend={backend} />);
    await screen.findByTestId("sigmahq-rules");
    fireEvent.click(screen.getByTestId("update-sigmahq"));
    expect((await screen.findByTestId("rules-error")).textContent).toBe("/tmp/x.zip!rules/windows/a.yml: line 7: not YAML");
    expect(screen.queryByTestId("rules-message")).toBeNull();
    expect(screen.getByTestId("sigmahq-rules").textContent).toContain("shipped with Vigil");
  });

  it("adds a rule folder", async () => {
    const backend = fakeBackend({ pick: vi.fn(async () => ["/home/bob/rules"]) });
    render(<DetectionRules backend={backend} />);
    fireEvent.click(await screen.findByTestId("add-rule-dir"));
    await waitFor(() => expect(backend.addRuleDir).toHaveBeenCalledWith("/home/bob/rules"));
    expect((await screen.findByTestId("rules-message")).textContent).toBe("2,842 rules loaded from /home/bob/rules; they run on every import from now on.");
  });
});
