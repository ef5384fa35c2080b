// Speed of the investigations list at 100k rows: search + sort (run: npx vitest bench --run).
import { bench, describe } from "vitest";
import { summary } from "../testing/fakeBackend";
import { visibleRows } from "./Investigations";

const STATUSES = ["pending_action", "remediated", "no_threats_found", "partially_remediated"] as const;
const rows = Array.from({ length: 100_000 }, (_, i) =>
  summary({
    id: i + 1,
    title: `Investigation of pc${i % 1000}`,
    status: STATUSES[i % STATUSES.length],
    machine_names: [`pc${i % 1000}`],
    user_names: [`OFFICE\\user${i % 50}`],
    duration_s: i % 300,
  }),
);

describe("investigations list, 100k rows", () => {
  bench("search 'pc42' and sort by duration", () => {
    visibleRows(rows, "pc42", { key: "duration", asc: false });
  });
  bench("no search, sort by id", () => {
    visibleRows(rows, "", { key: "id", asc: false });
  });
});
