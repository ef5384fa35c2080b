// Light or dark: follows the system unless the admin picks one in settings (kept in this
// window's local storage; it is a preference of this computer, not of the store).

export type ThemeChoice = "system" | "light" | "dark";
export const THEME_CHOICES: { id: ThemeChoice; label: string }[] = [
  { id: "system", label: "Same as the system" },
  { id: "light", label: "Light" },
  { id: "dark", label: "Dark" },
];

const KEY = "vigil.theme";
const DARK = "(prefers-color-scheme: dark)";

export function savedTheme(): ThemeChoice {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

function systemIsDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK).matches;
}

/** The theme in effect: what the root element's `data-theme` says. */
export function currentTheme(): "light" | "dark" {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

/** Applies a choice to the window and remembers it. */
export function applyTheme(choice: ThemeChoice, remember = true) {
  const dark = choice === "dark" || (choice === "system" && systemIsDark());
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  if (!remember) return;
  try {
    if (choice === "system") window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, choice);
  } catch {
    // No storage (private mode): the choice lasts until the window closes.
  }
}

/** Applies the saved choice and follows the system's changes while it is "system". */
export function startTheme() {
  applyTheme(savedTheme(), false);
  if (typeof window.matchMedia !== "function") return;
  window.matchMedia(DARK).addEventListener("change", () => {
    if (savedTheme() === "system") applyTheme("system", false);
  });
}
