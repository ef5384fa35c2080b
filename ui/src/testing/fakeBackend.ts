// A backend made of fixtures for component tests: no Tauri, every call recorded.
import { vi } from "vitest";
import type { Backend } from "../backend";
import { dashboardOf, fixtureBackend } from "./fixtures";

export * from "./fixtures";

/**
 * The fixture backend with every method a mock (`expect(backend.approve).toHaveBeenCalled…`);
 * what a test passes in is used as it is.
 */
export function fakeBackend(over: Partial<Backend> = {}): Backend {
  const fixtures = fixtureBackend();
  const mocked = Object.fromEntries(Object.entries(fixtures).map(([name, fn]) => [name, vi.fn(fn)])) as unknown as Backend;
  const merged: Backend = { ...mocked, ...over };
  // The dashboard as the engine builds it, from this backend's other answers.
  if (!over.dashboard) merged.dashboard = vi.fn(() => dashboardOf(merged));
  return merged;
}
