import type { ReactNode } from "react";

/** The form that creates or edits one ranked thing (an alert policy, a machine group): its
 * title, its fields, the refusal of the last save, and Save / Cancel. */
export function EditForm({
  kind,
  name,
  isNew,
  error,
  onSubmit,
  onCancel,
  children,
}: {
  /** What is edited, e.g. "policy" or "group": used in test ids and the Save button. */
  kind: string;
  /** What is edited, as the user reads it, e.g. "alert policy" or "machine group". */
  name: { noun: string; current: string };
  isNew: boolean;
  error: string | null;
  onSubmit: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <form
      className="card form"
      data-testid={`${kind}-form`}
      aria-label={isNew ? `New ${name.noun}` : `Edit ${name.current}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h3>{isNew ? `New ${name.noun}` : `Edit “${name.current}”`}</h3>
      {children}
      {error && (
        <p className="error" role="alert" data-testid={`${kind}-error`}>
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="primary" data-testid={`save-${kind}`}>
          Save {kind}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
