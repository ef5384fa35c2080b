import { useState, type ReactNode } from "react";

/** The draft a form edits, and a setter that merges a change into it after telling the
 * form's owner (`onChange`: a refusal shown for the last save no longer applies). */
export function useDraft<T>(initial: T, onChange: () => void): [T, (change: Partial<T>) => void] {
  const [draft, setDraft] = useState(initial);
  const set = (change: Partial<T>) => {
    onChange();
    setDraft((old) => ({ ...old, ...change }));
  };
  return [draft, set];
}

/** The form that creates or edits one ranked thing (an alert policy, a machine group): its
 * title, its fields, the refusal of the last save, and Save / Cancel. */
export function EditForm({
  kind,
  noun,
  initial,
  error,
  onSubmit,
  onCancel,
  children,
}: {
  /** What is edited, e.g. "policy" or "group": used in test ids and the Save button. */
  kind: string;
  /** What is edited, as the user reads it, e.g. "alert policy" or "machine group". */
  noun: string;
  /** The thing as it was before editing: new when it has no id yet. */
  initial: { id?: number | null; name: string };
  error: string | null;
  onSubmit: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const isNew = initial.id === null || initial.id === undefined;
  return (
    <form
      className="card form"
      data-testid={`${kind}-form`}
      aria-label={isNew ? `New ${noun}` : `Edit ${initial.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h3>{isNew ? `New ${noun}` : `Edit “${initial.name}”`}</h3>
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
