export type ViewId = "dashboard" | "investigations" | "actions" | "machines" | "alerts" | "settings";

const ITEMS: { id: ViewId; label: string }[] = [
  { id: "dashboard", label: "Dashboard" },
  { id: "investigations", label: "Investigations" },
  { id: "actions", label: "Action center" },
  { id: "machines", label: "Machines" },
  { id: "alerts", label: "Alerts" },
  { id: "settings", label: "Settings" },
];

export function Nav({ current, onSelect }: { current: ViewId; onSelect: (view: ViewId) => void }) {
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">V</span>
        <span>Vigil</span>
      </div>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id}>
            <button
              type="button"
              data-nav={item.id}
              className={item.id === current ? "nav-item active" : "nav-item"}
              aria-current={item.id === current ? "page" : undefined}
              onClick={() => onSelect(item.id)}
            >
              {item.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
