// Where the window is: one value, so every link is a plain function call.
import type { ViewId } from "./components/shell/Nav";

export type InvestigationTab =
  | "graph"
  | "alerts"
  | "machines"
  | "users"
  | "findings"
  | "entities"
  | "log"
  | "pending";

export type Route =
  | { view: "dashboard" }
  | { view: "machines" }
  | { view: "machine"; name: string }
  | { view: "alerts" }
  | { view: "alert"; id: number }
  | { view: "investigations" }
  | { view: "investigation"; id: number; tab?: InvestigationTab; focus?: string }
  | { view: "actions"; tab?: "pending" | "history" }
  | { view: "settings" };

export type Go = (route: Route) => void;

/** The main-menu entry a route belongs to. */
export function section(route: Route): ViewId {
  switch (route.view) {
    case "machine":
      return "machines";
    case "alert":
      return "alerts";
    case "investigation":
      return "investigations";
    default:
      return route.view;
  }
}
