import { useState } from "react";
import { applyTheme, savedTheme, THEME_CHOICES, type ThemeChoice } from "../../lib/theme";

/** Light, dark, or the system's choice. */
export function Appearance() {
  const [choice, setChoice] = useState<ThemeChoice>(savedTheme);
  return (
    <fieldset className="choice" data-testid="appearance">
      <legend>Appearance</legend>
      {THEME_CHOICES.map((t) => (
        <label key={t.id}>
          <input
            type="radio"
            name="theme"
            data-theme-choice={t.id}
            checked={choice === t.id}
            onChange={() => {
              setChoice(t.id);
              applyTheme(t.id);
            }}
          />{" "}
          {t.label}
        </label>
      ))}
    </fieldset>
  );
}
