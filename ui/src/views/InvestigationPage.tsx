import { useEffect, useState } from "react";
import type { Backend } from "../backend";
import type { Go, InvestigationTab } from "../route";
import { LoadError, Loading } from "../components/common/States";
import { AlertsTab } from "../components/investigation/AlertsTab";
import { EntitiesTab } from "../components/investigation/EntitiesTab";
import { GraphTab } from "../components/investigation/GraphTab";
import { KeyFindingsTab } from "../components/investigation/KeyFindingsTab";
import { LogTab } from "../components/investigation/LogTab";
import { MachinesTab } from "../components/investigation/MachinesTab";
import { PendingActionsTab } from "../components/investigation/PendingActionsTab";
import { SummaryCard } from "../components/investigation/SummaryCard";
import { TABS } from "../components/investigation/tabs";
import { UsersTab } from "../components/investigation/UsersTab";
import { stillWorking } from "../lib/statuses";
import { useLive } from "../lib/useLive";
import { Untrusted } from "../components/common/Untrusted";

/** One investigation: where it stands, and a tab for each part of what it found. */
export function InvestigationPage({
  backend,
  go,
  id,
  tab: initialTab = "graph",
}: {
  backend: Backend;
  go: Go;
  id: number;
  tab?: InvestigationTab;
}) {
  const live = useLive(backend, () => backend.investigation(id), [id]);
  const [tab, setTab] = useState<InvestigationTab>(initialTab);
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const d = live.data;
  const status = d?.status;

  // Live: follow the run (event + a poll every 700 ms while queued or running).
  useEffect(() => {
    if (!status || !stillWorking(status)) return;
    const timer = setInterval(live.reload, 700);
    return () => clearInterval(timer);
  }, [status, live.reload]);
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let stopped = false;
    backend
      .onInvestigationUpdated((updated) => updated === id && live.reload())
      .then((stop) => (stopped ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      unlisten?.();
    };
  }, [backend, id, live.reload]);

  useEffect(() => {
    if (!focus) return;
    const el = [...document.querySelectorAll("[data-node]")].find((n) => n.getAttribute("data-node") === focus);
    el?.scrollIntoView?.({ block: "center" });
  }, [focus, tab]);

  return (
    <section>
      <header className="page-header">
        <p className="crumbs">
          <button type="button" className="link" onClick={() => go({ view: "investigations" })}>
            Investigations
          </button>{" "}
          / #{id}
        </p>
        <h1 data-testid="investigation-title">{d ? <Untrusted text={d.title} /> : `Investigation #${id}`}</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="the investigation" />}
      {d && (
        <>
          <SummaryCard backend={backend} d={d} onReview={() => setTab("pending")} onChanged={live.reload} />

          <div className="tabs" role="tablist">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                data-tab={t.id}
                aria-selected={tab === t.id}
                className={tab === t.id ? "tab active" : "tab"}
                onClick={() => setTab(t.id)}
              >
                {t.label(d)}
              </button>
            ))}
          </div>

          <div role="tabpanel" className="tabpanel">
            {tab === "graph" && (
              <GraphTab
                d={d}
                selected={selected}
                onSelect={setSelected}
                onShow={(target, node) => {
                  setTab(target);
                  setFocus(node);
                }}
              />
            )}
            {tab === "alerts" && <AlertsTab d={d} go={go} />}
            {tab === "machines" && <MachinesTab d={d} go={go} focus={focus} />}
            {tab === "users" && <UsersTab d={d} focus={focus} />}
            {tab === "findings" && <KeyFindingsTab backend={backend} d={d} focus={focus} onChanged={live.reload} />}
            {tab === "entities" && <EntitiesTab entities={d.entities} focus={focus} />}
            {tab === "log" && <LogTab d={d} />}
            {tab === "pending" && <PendingActionsTab backend={backend} d={d} onDecided={live.reload} />}
          </div>
        </>
      )}
    </section>
  );
}
