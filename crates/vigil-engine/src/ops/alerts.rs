//! Alerts: raised by detections, deduplicated, joined to an open investigation they are tied
//! to (the same process tree, artefact, file or user session, close in time: not merely the
//! same machine), or routed by alert policies to a new one.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::domain::{
    file_name, AlertView, EntityKind, Grade, InvestigationStatus, NewEntity, Role, Severity,
};
use crate::ops::evidence;
use crate::ops::playbooks::{Playbook, Trigger};
use crate::store::investigations::{attach_alert, set_status};
use crate::{clock, Error, Result, Vigil};

/// Alerts with the same rule, machine and first entity within this many minutes are one.
pub const DEDUPE_WINDOW_MINUTES: i64 = 60;

/// How far apart an alert and an investigation's alerts may be for it to join: the
/// investigation window (a setting).
async fn join_window(conn: &mut SqliteConnection) -> Result<time::Duration> {
    let settings = crate::ops::policies::investigation_settings(conn).await?;
    Ok(time::Duration::minutes(i64::from(settings.window_minutes)))
}

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub technique: String,
    /// `sigma`, `ioc`, `yara`, `heuristic`, `imported`, `manual`.
    pub detection_source: String,
    pub rule_id: String,
    pub machine_id: i64,
    pub user_name: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// The entities it names, the culprit first; each says its part (`NewEntity::role`).
    pub entities: Vec<NewEntity>,
    /// A detection, or a threat-hunting lead (never enough on its own to act on).
    pub grade: Grade,
    /// The logon session of the event that raised it, when the source says.
    pub logon_id: Option<i64>,
}

/// What became of a raised alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The same alert was already open: its last-seen time moved.
    Deduplicated,
    /// It joined an open investigation it is tied to (same process tree, artefact, file or
    /// user session).
    Joined,
    /// An alert policy started an investigation.
    Started,
    /// The machine is not protected: no investigation.
    NotProtected,
    /// No policy routes it: it waits for an analyst.
    Waiting,
}

/// A raised alert and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub alert: i64,
    pub routing: Routing,
    pub investigation: Option<i64>,
}

/// Logon sessions every service shares (SYSTEM, LOCAL SERVICE, NETWORK SERVICE, none):
/// being in one of them ties nothing together.
const SHARED_SESSIONS: [i64; 4] = [0, 0x3e7, 0x3e4, 0x3e5];

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
    let existing: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM alerts WHERE dedupe_key = ? AND status <> 'resolved' AND last_seen >= ? ORDER BY id DESC LIMIT 1",
    )
    .bind(&dedupe_key)
    .bind(&since)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id,)) = existing {
        sqlx::query("UPDATE alerts SET last_seen = MAX(last_seen, ?) WHERE id = ?")
            .bind(&alert.last_seen)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(Inserted {
            id,
            duplicate: true,
            entity_ids,
        });
    }
    let id = sqlx::query(
        "INSERT INTO alerts (title, description, severity, category, technique, detection_source, rule_id,
            machine_id, user_name, dedupe_key, first_seen, last_seen, created_at, grade, logon_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&alert.title)
    .bind(&alert.description)
    .bind(alert.severity)
    .bind(&alert.category)
    .bind(&alert.technique)
    .bind(&alert.detection_source)
    .bind(&alert.rule_id)
    .bind(alert.machine_id)
    .bind(&alert.user_name)
    .bind(&dedupe_key)
    .bind(&alert.first_seen)
    .bind(&alert.last_seen)
    .bind(clock::now())
    .bind(alert.grade)
    .bind(alert.logon_id)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid();
    if !entity_ids.is_empty() {
        let mut query: sqlx::QueryBuilder<sqlx::Sqlite> =
            sqlx::QueryBuilder::new("INSERT INTO alert_entities (alert_id, entity_id, role) ");
        query.push_values(
            alert.entities.iter().zip(&entity_ids),
            |mut row, (entity, entity_id)| {
                row.push_bind(id)
                    .push_bind(entity_id)
                    .push_bind(entity.role);
            },
        );
        query.push(" ON CONFLICT (alert_id, entity_id) DO NOTHING");
        query.build().execute(&mut *conn).await?;
    }
    Ok(Inserted {
        id,
        duplicate: false,
        entity_ids,
    })
}

/// The topmost process of `pid`/`image`'s tree below the OS's own (services, WMI, DCOM, the
/// shell): what ties the alerts of one process tree together. Follows process starts up
/// through their index, at most a few steps.
pub(crate) async fn tree_root(
    conn: &mut SqliteConnection,
    machine: i64,
    pid: i64,
    image: &str,
    at: &str,
) -> Result<(i64, String)> {
    let brokers = &crate::ops::heuristics::heuristics().brokers;
    let mut current = (pid, image.to_string());
    for _ in 0..8 {
        let parent: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT parent_pid, parent_image FROM events
             WHERE machine_id = ? AND kind = 'process_start' AND pid = ? AND image = ? COLLATE NOCASE AND ts <= ?
             ORDER BY ts DESC LIMIT 1",
        )
        .bind(machine)
        .bind(current.0)
        .bind(&current.1)
        .bind(at)
        .fetch_optional(&mut *conn)
        .await?;
        match parent {
            Some((Some(ppid), Some(pimage)))
                if !brokers.contains(&file_name(&pimage).to_lowercase()) =>
            {
                current = (ppid, pimage);
            }
            _ => break,
        }
    }
    Ok(current)
}

/// Tree roots already looked up while filing a batch, by (machine, pid, image).
type Roots = std::collections::HashMap<(i64, i64, String), (i64, String)>;

/// What ties `alert` to an investigation: its specific entities, their files' paths and
/// hashes, its process tree and its user session.
async fn ties_of(
    conn: &mut SqliteConnection,
    alert: &NewAlert,
    entity_ids: &[i64],
    roots: &mut Roots,
) -> Result<Vec<String>> {
    let mut ties = Vec::new();
    let machine = alert.machine_id;
    for (entity, id) in alert.entities.iter().zip(entity_ids) {
        if !evidence::is_tie_worthy(entity) {
            continue;
        }
        ties.push(evidence::entity_tie(entity, *id));
        if let Some(sha) = &entity.sha256 {
            ties.push(format!("sha256:{sha}"));
        }
        if entity.role != Role::Evidence {
            ties.extend(evidence::payload_tie(machine, entity));
        }
        match entity.kind {
            Some(EntityKind::File) => {
                ties.extend(
                    entity
                        .path
                        .as_deref()
                        .and_then(|p| evidence::path_tie(machine, p)),
                );
            }
            Some(EntityKind::Process) if entity.role != Role::Evidence => {
                if let (Some(pid), Some(image)) = (entity.pid, entity.path.as_deref()) {
                    ties.extend(evidence::path_tie(machine, image));
                    let key = (machine, pid, image.to_lowercase());
                    let (root_pid, root_image) = match roots.get(&key) {
                        Some(root) => root.clone(),
                        None => {
                            let root =
                                tree_root(conn, machine, pid, image, &alert.last_seen).await?;
                            roots.insert(key, root.clone());
                            root
                        }
                    };
                    ties.push(format!(
                        "tree:{machine}|{root_pid}|{}",
                        root_image.to_lowercase()
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(session) = alert.logon_id.filter(|l| !SHARED_SESSIONS.contains(l)) {
        ties.push(format!("session:{machine}|{session}"));
    }
    // Tickets one account asks for in a burst are one Kerberoasting run.
    if alert
        .entities
        .iter()
        .any(|e| e.kind == Some(EntityKind::ServiceTicket))
    {
        if let Some(user) = &alert.user_name {
            ties.push(format!(
                "session:{machine}|tickets of {}",
                user.to_lowercase()
            ));
        }
    }
    ties.sort();
    ties.dedup();
    Ok(ties)
}

/// Records ties of an investigation (each once). A timed tie (a process, a tree, a session)
/// holds around `span`, the time it was seen; a repeated one widens its span.
pub(crate) async fn add_ties(
    conn: &mut SqliteConnection,
    investigation: i64,
    ties: &[String],
    span: (&str, &str),
) -> Result<()> {
    for chunk in ties.chunks(300) {
        let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
            "INSERT INTO investigation_ties (investigation_id, tie, seen_from, seen_to) ",
        );
        query.push_values(chunk, |mut row, tie| {
            row.push_bind(investigation)
                .push_bind(tie)
                .push_bind(span.0)
                .push_bind(span.1);
        });
        query.push(
            " ON CONFLICT (tie, investigation_id) DO UPDATE SET
                seen_from = MIN(COALESCE(investigation_ties.seen_from, excluded.seen_from), excluded.seen_from),
                seen_to = MAX(COALESCE(investigation_ties.seen_to, excluded.seen_to), excluded.seen_to)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether a tie holds only close in time (within the investigation window): a process or
/// its tree (pids are reused) and a user session. An artefact, a file, a hash or a payload
/// ties for [`ARTEFACT_HORIZON_DAYS`] around when it was seen.
fn timed(tie: &str) -> bool {
    tie.starts_with("tree:") || tie.starts_with("session:") || tie.starts_with("process:")
}

/// How long an artefact, file, hash or payload ties alerts together: a week, as long as an
/// action may wait. The same service name installed again years later (or in another lab's
/// log of a machine of the same name) is another incident.
pub(crate) const ARTEFACT_HORIZON_DAYS: i64 = 7;

/// The open investigation `alert` is tied to (by a process, tree or session only when it
/// was seen there within `window` of the alert): the oldest when there are several.
async fn open_investigation_for(
    conn: &mut SqliteConnection,
    alert: &NewAlert,
    ties: &[String],
    window: time::Duration,
) -> Result<Option<i64>> {
    let mut best: Option<i64> = None;
    for timed_ties in [false, true] {
        let these: Vec<&String> = ties.iter().filter(|t| timed(t) == timed_ties).collect();
        if these.is_empty() {
            continue;
        }
        let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(format!(
            "SELECT t.investigation_id FROM investigation_ties t JOIN investigations i ON i.id = t.investigation_id
             WHERE i.status IN {} AND t.tie IN (",
            crate::store::investigations::OPEN
        ));
        let mut list = query.separated(", ");
        for tie in these {
            list.push_bind(tie);
        }
        query.push(")");
        let within = if timed_ties {
            window
        } else {
            time::Duration::days(ARTEFACT_HORIZON_DAYS)
        };
        // Ties recorded before they had times hold at any time.
        query
            .push(" AND (t.seen_from IS NULL OR (t.seen_from <= ")
            .push_bind(clock::shift(&alert.last_seen, within))
            .push(" AND t.seen_to >= ")
            .push_bind(clock::shift(&alert.first_seen, -within))
            .push("))");
        query.push(" ORDER BY t.investigation_id LIMIT 1");
        let row: Option<(i64,)> = query.build_query_as().fetch_optional(&mut *conn).await?;
        if let Some((id,)) = row {
            best = Some(best.map_or(id, |b: i64| b.min(id)));
        }
    }
    Ok(best)
}

/// When an investigation's alerts were seen: the first one's start and the last one's end
/// (none before it holds an alert).
pub(crate) async fn alert_span(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Option<(String, String)>> {
    let (from, to): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT MIN(a.first_seen), MAX(a.last_seen) FROM investigation_alerts ia
         JOIN alerts a ON a.id = ia.alert_id WHERE ia.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(from.zip(to))
}

/// A waiting alert (no policy took it) that names evidence of an investigation.
#[derive(sqlx::FromRow)]
struct Waiting {
    id: i64,
    title: String,
    machine_id: i64,
    kind: EntityKind,
    path: Option<String>,
    value: Option<String>,
    name: String,
    detail: String,
}

/// Attaches to `investigation` the alerts no policy took (low or medium, waiting for an
/// analyst) that name a specific piece of its evidence, on a machine of its scope, within
/// `window` of its alerts: an alert filed before the one that started it is as tied as one
/// filed after. Returns (alert, title, machine) of each.
pub(crate) async fn adopt_tied(
    conn: &mut SqliteConnection,
    investigation: i64,
    window: time::Duration,
) -> Result<Vec<(i64, String, i64)>> {
    let Some((from, to)) = alert_span(conn, investigation).await? else {
        return Ok(Vec::new());
    };
    let rows: Vec<Waiting> = sqlx::query_as(
        "SELECT a.id, a.title, a.machine_id, e.kind, e.path, e.value, e.name, e.detail
         FROM alerts a
         JOIN investigation_machines im ON im.machine_id = a.machine_id AND im.investigation_id = ?1
         JOIN alert_entities ae ON ae.alert_id = a.id
         JOIN evidence v ON v.entity_id = ae.entity_id AND v.investigation_id = ?1
         JOIN entities e ON e.id = ae.entity_id
         WHERE a.investigation_id IS NULL AND a.status <> 'resolved'
           AND a.first_seen <= ?2 AND a.last_seen >= ?3
         ORDER BY a.id",
    )
    .bind(investigation)
    .bind(clock::shift(&to, window))
    .bind(clock::shift(&from, -window))
    .fetch_all(&mut *conn)
    .await?;
    let mut adopted: Vec<(i64, String, i64)> = Vec::new();
    for row in rows {
        if adopted.iter().any(|(a, ..)| *a == row.id) {
            continue;
        }
        let entity = NewEntity {
            kind: Some(row.kind),
            path: row.path,
            value: row.value,
            name: row.name,
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            ..NewEntity::default()
        };
        if evidence::is_tie_worthy(&entity) {
            attach_alert(conn, investigation, row.id).await?;
            adopted.push((row.id, row.title, row.machine_id));
        }
    }
    Ok(adopted)
}

/// An alert policy: min severity, detection source, category, playbook, start.
type PolicyRow = (String, Option<String>, Option<String>, String, bool);

/// The first enabled policy that routes this alert: Some(playbook) to investigate.
async fn route(conn: &mut SqliteConnection, alert: &NewAlert) -> Result<Option<Playbook>> {
    let policies: Vec<PolicyRow> = sqlx::query_as(
        "SELECT min_severity, detection_source, category, playbook, start FROM alert_policies
         WHERE enabled = 1 ORDER BY rank, id",
    )
    .fetch_all(&mut *conn)
    .await?;
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
        let window = join_window(&mut tx).await?;
        let mut out = Vec::with_capacity(alerts.len());
        let mut roots = Roots::new();
        for alert in alerts {
            out.push(self.file_in(&mut tx, alert, window, &mut roots).await?);
        }
        tx.commit().await?;
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
            add_ties(conn, inv, &ties, (&alert.first_seen, &alert.last_seen)).await?;
            let (status,): (InvestigationStatus,) =
                sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                    .bind(inv)
                    .fetch_one(&mut *conn)
                    .await?;
            if status == InvestigationStatus::PendingAction {
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
            add_ties(conn, inv, &ties, (&alert.first_seen, &alert.last_seen)).await?;
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
        let rows: Vec<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE (?1 IS NULL OR m.name = ?1) ORDER BY a.id DESC"
        ))
        .bind(machine)
        .fetch_all(self.store().pool())
        .await?;
        Ok(rows.into_iter().map(AlertView::from).collect())
    }

    /// One alert.
    pub async fn alert(&self, id: u32) -> Result<AlertView> {
        let row: Option<AlertRow> = sqlx::query_as(&format!("{ALERT_SELECT} WHERE a.id = ?"))
            .bind(i64::from(id))
            .fetch_optional(self.store().pool())
            .await?;
        row.map(AlertView::from).ok_or_else(|| Error::NotFound {
            what: "alert",
            name: id.to_string(),
        })
    }
}

pub(crate) const ALERT_SELECT: &str = "SELECT a.id, a.title, a.description, a.severity, a.category, a.technique,
    a.detection_source, a.rule_id, m.name AS machine, a.user_name, a.status, a.investigation_id, a.first_seen, a.last_seen
    FROM alerts a JOIN machines m ON m.id = a.machine_id";

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    id: i64,
    title: String,
    description: String,
    severity: Severity,
    category: String,
    technique: String,
    detection_source: String,
    rule_id: String,
    machine: String,
    user_name: Option<String>,
    status: String,
    investigation_id: Option<i64>,
    first_seen: String,
    last_seen: String,
}

impl From<AlertRow> for AlertView {
    fn from(r: AlertRow) -> Self {
        AlertView {
            id: r.id as u32,
            title: r.title,
            description: r.description,
            severity: r.severity,
            category: r.category,
            technique: r.technique,
            detection_source: r.detection_source,
            rule_id: r.rule_id,
            machine: r.machine,
            user: r.user_name,
            status: r.status,
            investigation_id: r.investigation_id.map(|i| i as u32),
            first_seen: r.first_seen,
            last_seen: r.last_seen,
        }
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
        alerts.sort_by_cached_key(|a| {
            let machine = names.get(&a.machine_id).cloned().unwrap_or_default();
            (a.first_seen.clone(), a.rule_id.clone(), machine)
        });
        let mut filed = Filed {
            alerts: 0,
            investigations_started: 0,
            to_run: std::collections::BTreeSet::new(),
        };
        for raised in self.file_all(&alerts).await? {
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
        Ok(filed)
    }
}
