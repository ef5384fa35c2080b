import { useState, type ReactNode } from "react";
import type { Move } from "../../backend";

/**
 * A ranked list of settings (alert policies, machine groups) with real buttons to move,
 * edit and delete each; deleting asks once more in place. `fixed` items (e.g. "Ungrouped
 * machines") keep their place and cannot be moved or deleted.
 */
export function Ranked<T>({
  items,
  label,
  name,
  testId,
  dataAttr,
  render,
  extra,
  onMove,
  onEdit,
  onDelete,
  fixed = () => false,
}: {
  items: T[];
  label: string;
  name: (item: T) => string;
  testId: string;
  dataAttr: string;
  render: (item: T) => ReactNode;
  extra?: (item: T) => ReactNode;
  onMove: (item: T, direction: Move) => void;
  onEdit?: (item: T) => void;
  onDelete: (item: T) => void;
  fixed?: (item: T) => boolean;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const movable = items.filter((i) => !fixed(i));
  return (
    <ol className="ranked" data-testid={testId}>
      {items.map((item) => {
        const n = name(item);
        const at = movable.indexOf(item);
        const pinned = fixed(item);
        return (
          <li key={n} className="card ranked-item" {...{ [dataAttr]: n }}>
            <div className="ranked-body">{render(item)}</div>
            <div className="ranked-controls">
              {extra?.(item)}
              {!pinned && (
                <>
                  <button type="button" className="quiet" data-move="up" aria-label={`Move ${n} up`} disabled={at <= 0} onClick={() => onMove(item, "up")}>
                    ↑ Up
                  </button>
                  <button
                    type="button"
                    className="quiet"
                    data-move="down"
                    aria-label={`Move ${n} down`}
                    disabled={at === movable.length - 1}
                    onClick={() => onMove(item, "down")}
                  >
                    ↓ Down
                  </button>
                </>
              )}
              {onEdit && (
                <button type="button" data-testid={`edit-${label}`} onClick={() => onEdit(item)}>
                  Edit
                </button>
              )}
              {!pinned &&
                (confirming === n ? (
                  <span className="confirm" role="group" aria-label={`Delete ${n}?`}>
                    Delete “{n}”?{" "}
                    <button
                      type="button"
                      className="danger"
                      data-testid={`confirm-delete-${label}`}
                      onClick={() => {
                        setConfirming(null);
                        onDelete(item);
                      }}
                    >
                      Delete
                    </button>{" "}
                    <button type="button" onClick={() => setConfirming(null)}>
                      Keep
                    </button>
                  </span>
                ) : (
                  <button type="button" className="quiet" data-testid={`delete-${label}`} onClick={() => setConfirming(n)}>
                    Delete
                  </button>
                ))}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
