//! Alerts: raised by detections, deduplicated, joined to an open investigation they are tied
//! to (the same process tree, artefact, file or user session, close in time: not merely the
//! same machine), or routed by alert policies to a new one.

use sqlx::SqliteConnection;

use crate::domain::{AlertView, InvestigationStatus, NewAlert, Raised, Routing, Severity};
use crate::ops::playbooks::{Playbook, Trigger};
use crate::ops::ties::{open_investigation_for, ties_of, Roots};
use crate::store::alerts;
use crate::store::investigations::{attach_alert, set_status};
use crate::store::ties as store_ties;
use crate::{clock, failpoint, Error, Result, Vigil};

/// Alerts with the same rule, machine and first entity within this many minutes are one.
pub const DEDUPE_WINDOW_MINUTES: i64 = 60;

/// How far apart an alert and an investigation's alerts may be for it to join: the
/// investigation window (a setting).
async fn join_window(conn: &mut SqliteConnection) -> Result<time::Duration> {
    let settings = crate::ops::policies::investigation_settings(conn).await?;
    Ok(time::Duration::minutes(i64::from(settings.window_minutes)))
}

/// An inserted alert: its id, whether it folded into an open one, its entities' ids.
struct Inserted {
    id: i64,
    duplicate: bool,
    entity_ids: Vec<i64>,
}

async fn insert_alert(conn: &mut SqliteConnection, alert: &NewAlert) -> Result<Inserted> {
    let entity_ids = crate::store::entities::upsert_entities(conn, &alert.entities).await?;
    let dedupe_key = format!(
        "{}|{}|{}|{}",
        alert.detection_source,
        if alert.rule_id.is_empty() {
            &alert.title
        } else {
            &alert.rule_id
        },
        alert.machine_id,
        entity_ids.first().copied().unwrap_or(0)
    );
    let since = clock::shift(
        &alert.first_seen,
        time::Duration::minutes(-DEDUPE_WINDOW_MINUTES),
    );
    if let Some(id) = alerts::open_duplicate(conn, &dedupe_key, &since).await? {
        alerts::widen(conn, id, &alert.last_seen).await?;
        return Ok(Inserted {
            id,
            duplicate: true,
            entity_ids,
        });
    }
    let id = alerts::insert(conn, alert, &dedupe_key).await?;
    alerts::name_entities(conn, id, alert, &entity_ids).await?;
    Ok(Inserted {
        id,
        duplicate: false,
        entity_ids,
    })
}

/// The first enabled policy that routes this alert: Some(playbook) to investigate.
async fn route(conn: &mut SqliteConnection, alert: &NewAlert) -> Result<Option<Playbook>> {
    let policies = crate::store::policies::enabled_in_order(conn).await?;
    for (min_severity, source, category, playbook, start) in policies {
        let min = Severity::parse(&min_severity).unwrap_or(Severity::High);
        let source_ok = source
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(&alert.detection_source));
        let category_ok = category
            .as_deref()
            .is_none_or(|c| alert.category.to_lowercase().contains(&c.to_lowercase()));
        if alert.severity >= min && source_ok && category_ok {
            if !start {
                return Ok(None);
            }
            return Ok(Some(Playbook::parse(&playbook).unwrap_or_else(|| {
                Playbook::for_alert(&alert.category, &alert.title)
            })));
        }
    }
    Ok(None)
}

impl Vigil {
    /// Raises an alert: deduplicates it, joins it to an open investigation, or routes it
    /// through the alert policies (which may start and run an investigation).
    pub async fn raise_alert(&self, alert: NewAlert) -> Result<Raised> {
        let raised = self.file_alert(alert).await?;
        if let (Some(inv), Routing::Joined | Routing::Started) =
            (raised.investigation, raised.routing)
        {
            if !self.is_running(inv) {
                self.run_investigation(inv).await?;
            }
        }
        Ok(raised)
    }

    /// Files an alert as `raise_alert` does — deduplicated, joined, or routed to a new
    /// (queued) investigation — without running the investigation: a caller raising many
    /// alerts at once runs each investigation once afterwards.
    pub async fn file_alert(&self, alert: NewAlert) -> Result<Raised> {
        let mut tx = self.store().pool().begin().await?;
        let window = join_window(&mut tx).await?;
        let raised = self
            .file_in(&mut tx, &alert, window, &mut Roots::new())
            .await?;
        tx.commit().await?;
        Ok(raised)
    }

    /// Files alerts in one transaction, in the order given (see `file_alert`).
    pub(crate) async fn file_all(&self, alerts: &[NewAlert]) -> Result<Vec<Raised>> {
        let mut tx = self.store().pool().begin().await?;
        let out = self.file_all_in(&mut tx, alerts).await?;
        tx.commit().await?;
        if out.iter().any(|r| r.routing == Routing::Started) {
            failpoint::hit(failpoint::INVESTIGATION_CREATED);
        }
        Ok(out)
    }

    /// Files alerts in the caller's transaction, in the order given.
    pub(crate) async fn file_all_in(
        &self,
        conn: &mut SqliteConnection,
        alerts: &[NewAlert],
    ) -> Result<Vec<Raised>> {
        let window = join_window(conn).await?;
        let mut out = Vec::with_capacity(alerts.len());
        let mut roots = Roots::new();
        for alert in alerts {
            out.push(self.file_in(conn, alert, window, &mut roots).await?);
        }
        Ok(out)
    }

    async fn file_in(
        &self,
        conn: &mut SqliteConnection,
        alert: &NewAlert,
        window: time::Duration,
        roots: &mut Roots,
    ) -> Result<Raised> {
        let inserted = insert_alert(conn, alert).await?;
        let id = inserted.id;
        if inserted.duplicate {
            return Ok(Raised {
                alert: id,
                routing: Routing::Deduplicated,
                investigation: None,
            });
        }
        let ties = ties_of(conn, alert, &inserted.entity_ids, roots).await?;
        if let Some(inv) = open_investigation_for(conn, alert, &ties, window).await? {
            attach_alert(conn, inv, id).await?;
            store_ties::add(conn, inv, &ties, (&alert.first_seen, &alert.last_seen)).await?;
            let status = crate::store::investigations::status_of(conn, inv).await?;
            // New evidence: what waited (for a decision, for a machine) is looked at again.
            if matches!(
                status,
                InvestigationStatus::PendingAction | InvestigationStatus::WaitingForMachine
            ) {
                set_status(
                    conn,
                    inv,
                    InvestigationStatus::Running,
                    "a related alert joined",
                )
                .await?;
            }
            let started = crate::store::log::step_start();
            crate::store::log::log_step(
                conn,
                inv,
                "Alert joined",
                Some(alert.machine_id),
                "completed",
                started,
                &alert.title,
            )
            .await?;
            return Ok(Raised {
                alert: id,
                routing: Routing::Joined,
                investigation: Some(inv),
            });
        }
        let Some(playbook) = route(conn, alert).await? else {
            return Ok(Raised {
                alert: id,
                routing: Routing::Waiting,
                investigation: None,
            });
        };
        let (inv, status) = self
            .create_investigation_in(
                conn,
                Trigger::Policy {
                    alert: id,
                    playbook,
                },
                "alert policy",
            )
            .await?;
        let routing = if status == InvestigationStatus::NotApplicable {
            Routing::NotProtected
        } else {
            store_ties::add(conn, inv, &ties, (&alert.first_seen, &alert.last_seen)).await?;
            Routing::Started
        };
        Ok(Raised {
            alert: id,
            routing,
            investigation: Some(inv),
        })
    }

    /// Alerts, newest first (optionally of one machine).
    pub async fn alerts(&self, machine: Option<&str>) -> Result<Vec<AlertView>> {
        let mut conn = self.store().pool().acquire().await?;
        alerts::list(&mut conn, machine).await
    }

    /// One alert.
    pub async fn alert(&self, id: u32) -> Result<AlertView> {
        let mut conn = self.store().pool().acquire().await?;
        alerts::view(&mut conn, i64::from(id))
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "alert",
                name: id.to_string(),
            })
    }
}

/// What filing a batch of alerts did.
pub(crate) struct Filed {
    /// Alerts filed, those already open (deduplicated) not counted.
    pub alerts: u32,
    pub investigations_started: u32,
    /// The investigations they started or joined, each once, to run.
    pub to_run: std::collections::BTreeSet<i64>,
}

impl Vigil {
    /// Files alerts in the order of their events (first seen, then rule and machine name:
    /// `names` holds the names of their machines by id), so that the same input makes the
    /// same alerts and investigations whatever order it was found in.
    pub(crate) async fn file_alerts(
        &self,
        mut alerts: Vec<NewAlert>,
        names: &std::collections::HashMap<i64, String>,
    ) -> Result<Filed> {
        in_event_order(&mut alerts, names);
        Ok(Filed::of(&self.file_all(&alerts).await?))
    }
}

/// Sorts alerts as [`Vigil::file_alerts`] files them.
pub(crate) fn in_event_order(
    alerts: &mut [NewAlert],
    names: &std::collections::HashMap<i64, String>,
) {
    alerts.sort_by_cached_key(|a| {
        let machine = names.get(&a.machine_id).cloned().unwrap_or_default();
        (a.first_seen.clone(), a.rule_id.clone(), machine)
    });
}

impl Filed {
    /// What filing these alerts came to.
    pub(crate) fn of(raised: &[Raised]) -> Filed {
        let mut filed = Filed {
            alerts: 0,
            investigations_started: 0,
            to_run: std::collections::BTreeSet::new(),
        };
        for raised in raised {
            match raised.routing {
                Routing::Deduplicated => {}
                Routing::Started => {
                    filed.alerts += 1;
                    filed.investigations_started += 1;
                    filed.to_run.extend(raised.investigation);
                }
                Routing::Joined => {
                    filed.alerts += 1;
                    filed.to_run.extend(raised.investigation);
                }
                Routing::NotProtected | Routing::Waiting => filed.alerts += 1,
            }
        }
        filed
    }
}
