//! The `actions` table: its rows, the queries on it, and [`transition`], the one way an
//! action's state changes (checked against [`ActionState::next`]).

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::{ActionEvent, ActionKind, ActionState, ActionView, EntityKind, Verdict};
use crate::{clock, Error, Result};

/// An action with what the views show of its entity, evidence and machine.
const ACTION_SELECT: &str = "SELECT a.id, a.investigation_id, a.kind, a.entity_id, e.name AS entity, e.kind AS entity_kind,
        v.verdict, m.name AS machine, m.connector AS machine_connector, a.source, a.state, a.reason, a.decided_by, a.decided_at, a.decision_note,
        a.proposed_at, a.expires_at, a.started_at, a.finished_at, a.result, a.reversible,
        json_extract(e.detail, '$.mechanism') AS mechanism, a.group_key, a.group_label
    FROM actions a
    LEFT JOIN entities e ON e.id = a.entity_id
    LEFT JOIN evidence v ON v.investigation_id = a.investigation_id AND v.entity_id = a.entity_id
    LEFT JOIN machines m ON m.id = a.machine_id";

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    investigation_id: Option<i64>,
    kind: ActionKind,
    entity_id: Option<i64>,
    entity: Option<String>,
    entity_kind: Option<String>,
    verdict: Option<String>,
    machine: Option<String>,
    machine_connector: Option<String>,
    source: String,
    state: ActionState,
    reason: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
    proposed_at: String,
    expires_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    result: String,
    reversible: bool,
    mechanism: Option<String>,
    group_key: Option<String>,
    group_label: Option<String>,
}

impl From<ActionRow> for ActionView {
    fn from(r: ActionRow) -> Self {
        ActionView {
            id: r.id as u32,
            investigation_id: r.investigation_id.map(|i| i as u32),
            kind: r.kind,
            label: r.kind.label_for(r.mechanism.as_deref()),
            entity_id: r.entity_id.map(|i| i as u32),
            entity: r.entity,
            entity_kind: r.entity_kind.as_deref().and_then(EntityKind::parse),
            verdict: r.verdict.as_deref().and_then(Verdict::parse),
            machine: r.machine,
            machine_connector: r.machine_connector,
            source: r.source,
            state: r.state,
            reason: r.reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
            proposed_at: r.proposed_at,
            expires_at: r.expires_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            result: r.result,
            reversible: r.reversible && r.kind.reversible(),
            group: r.group_key,
            group_label: r.group_label,
        }
    }
}

/// Which actions a list shows, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Waiting for a decision, oldest first.
    Pending,
    /// Decided, newest first.
    Decided,
    /// All, newest first.
    All,
}

/// The actions of one investigation (all of them), oldest first.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<ActionView>> {
    let rows: Vec<ActionRow> = sqlx::query_as(&format!(
        "{ACTION_SELECT} WHERE a.investigation_id = ? ORDER BY a.id"
    ))
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(ActionView::from).collect())
}

/// The actions `ids`, in that order; an id that is not an action is an error.
pub(crate) async fn load(conn: &mut SqliteConnection, ids: &[u32]) -> Result<Vec<ActionView>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Option<ActionRow> = sqlx::query_as(&format!("{ACTION_SELECT} WHERE a.id = ?"))
            .bind(i64::from(*id))
            .fetch_optional(&mut *conn)
            .await?;
        out.push(row.map(ActionView::from).ok_or_else(|| Error::NotFound {
            what: "action",
            name: id.to_string(),
        })?);
    }
    Ok(out)
}

/// The first `limit` actions of a listing (all when `None`).
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    listing: Listing,
    limit: Option<u32>,
) -> Result<Vec<ActionView>> {
    let clause = match listing {
        Listing::Pending => "WHERE a.state = 'pending' ORDER BY a.id",
        Listing::Decided => "WHERE a.state <> 'pending' ORDER BY a.id DESC",
        Listing::All => "ORDER BY a.id DESC",
    };
    let rows: Vec<ActionRow> = sqlx::query_as(&format!("{ACTION_SELECT} {clause} LIMIT ?"))
        .bind(limit.map_or(-1, i64::from))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(ActionView::from).collect())
}

/// What running or undoing an action needs of its row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Record {
    pub kind: ActionKind,
    pub investigation_id: Option<i64>,
    pub machine_id: Option<i64>,
    pub entity_id: Option<i64>,
    pub state: ActionState,
    pub undo_data: Option<String>,
    /// The machine's name, when the action has one.
    pub machine: Option<String>,
}

/// One action's record.
pub(crate) async fn record(conn: &mut SqliteConnection, action: i64) -> Result<Record> {
    Ok(sqlx::query_as(
        "SELECT a.kind, a.investigation_id, a.machine_id, a.entity_id, a.state, a.undo_data, m.name AS machine
         FROM actions a LEFT JOIN machines m ON m.id = a.machine_id WHERE a.id = ?",
    )
    .bind(action)
    .fetch_one(&mut *conn)
    .await?)
}

/// The ids (with their investigation) of actions in `state`, of one investigation or all,
/// oldest first.
pub(crate) async fn in_state(
    conn: &mut SqliteConnection,
    state: ActionState,
    investigation: Option<i64>,
) -> Result<Vec<(i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT id, investigation_id FROM actions WHERE state = ?1 AND (?2 IS NULL OR investigation_id = ?2)
         ORDER BY id",
    )
    .bind(state)
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// How many actions wait for a machine whose connector is `connector`.
pub(crate) async fn waiting_on_connector(
    conn: &mut SqliteConnection,
    connector: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM actions a JOIN machines m ON m.id = a.machine_id
         WHERE a.state = 'waiting_for_machine' AND m.connector = ?",
    )
    .bind(connector)
    .fetch_one(&mut *conn)
    .await?)
}

/// Pending actions, and approved ones still waiting for their machine, that expire before
/// `now`, with their investigation and whether they were waiting for the machine.
pub(crate) async fn pending_expired_at(
    conn: &mut SqliteConnection,
    now: &str,
) -> Result<Vec<(i64, Option<i64>, bool)>> {
    Ok(sqlx::query_as(
        "SELECT id, investigation_id, state = 'waiting_for_machine' FROM actions
         WHERE state IN ('pending', 'waiting_for_machine') AND expires_at < ? ORDER BY id",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?)
}

/// Each action's entity (none for "expand scope"), state and result, for settling one
/// investigation, oldest first.
pub(crate) async fn outcomes(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(Option<i64>, ActionState, String)>> {
    Ok(sqlx::query_as(
        "SELECT CASE WHEN kind = 'expand_scope' THEN NULL ELSE entity_id END, state, result
         FROM actions WHERE investigation_id = ? ORDER BY id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// How many actions on `entity` in `investigation` are not over (or succeeded).
pub(crate) async fn open_on(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM actions WHERE investigation_id = ? AND entity_id = ?
           AND state IN ('pending', 'approved', 'waiting_for_machine', 'running', 'succeeded')",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}

/// A new action, as proposed by an investigation or asked for by the admin.
#[derive(Debug, Clone)]
pub(crate) struct NewAction<'a> {
    pub investigation: i64,
    pub kind: ActionKind,
    pub entity: Option<i64>,
    pub machine: i64,
    /// `automated` or `manual`.
    pub source: &'a str,
    /// `pending`, or `approved` when decided as it is written.
    pub state: ActionState,
    pub reason: &'a str,
    pub decided_by: Option<&'a str>,
    pub proposed_at: &'a str,
    pub group_key: Option<&'a str>,
    pub group_label: Option<&'a str>,
    /// What running it needs besides its entity ("expand scope": the machines).
    pub undo_data: Option<&'a str>,
}

/// How long an action may wait for a decision.
const DECISION_DAYS: i64 = 7;

/// Writes a new action; returns its id.
pub(crate) async fn insert(conn: &mut SqliteConnection, a: &NewAction<'_>) -> Result<i64> {
    debug_assert!(matches!(
        a.state,
        ActionState::Pending | ActionState::Approved
    ));
    let decided_at = a.decided_by.map(|_| a.proposed_at);
    Ok(sqlx::query(
        "INSERT INTO actions (investigation_id, kind, entity_id, machine_id, source, state, reason,
            decided_by, decided_at, proposed_at, expires_at, reversible, group_key, group_label, undo_data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.investigation)
    .bind(a.kind)
    .bind(a.entity)
    .bind(a.machine)
    .bind(a.source)
    .bind(a.state)
    .bind(a.reason)
    .bind(a.decided_by)
    .bind(decided_at)
    .bind(a.proposed_at)
    .bind(clock::shift(a.proposed_at, time::Duration::days(DECISION_DAYS)))
    .bind(a.kind.reversible())
    .bind(a.group_key)
    .bind(a.group_label)
    .bind(a.undo_data)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// The "expand scope" action an investigation proposed for an entity, if any.
pub(crate) async fn expand_scope_of(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Option<i64>> {
    let exists: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM actions WHERE investigation_id = ? AND kind = 'expand_scope' AND entity_id = ?",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(exists.map(|(id,)| id))
}

/// Proposes bringing machines into an investigation's scope, because of an entity seen on
/// them: an automated "expand scope" action, pending, on no machine of its own; `machines`
/// is what running it needs (the machines' ids, as JSON).
pub(crate) async fn propose_expand_scope(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
    reason: &str,
    machines: &str,
) -> Result<()> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO actions (investigation_id, kind, entity_id, source, state, reason, proposed_at, expires_at, undo_data)
         VALUES (?, ?, ?, 'automated', 'pending', ?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(ActionKind::ExpandScope)
    .bind(entity)
    .bind(reason)
    .bind(&now)
    .bind(clock::shift(&now, time::Duration::days(DECISION_DAYS)))
    .bind(machines)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a transition writes besides the state; which of it lands where depends on the event.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Change<'a> {
    /// When it happened (now when `None`).
    pub at: Option<&'a str>,
    /// Who decided (approve, reject, expire).
    pub by: Option<&'a str>,
    /// The decider's note (approve, reject, expire, undo, done by hand).
    pub note: Option<&'a str>,
    /// What happened (succeed, fail, undo, wait, done by hand).
    pub result: Option<&'a str>,
    /// What undoing it needs (succeed).
    pub undo: Option<&'a str>,
}

/// Moves an action by `event`, the only way its state changes: the move must be in
/// [`ActionState::next`]'s table, and it is written only if the action is still in the
/// state it was read in. Returns the new state, or `None` (nothing written) when the event
/// does not apply to the action as it stands.
pub(crate) async fn transition(
    conn: &mut SqliteConnection,
    action: i64,
    event: ActionEvent,
    change: Change<'_>,
) -> Result<Option<ActionState>> {
    let (from,): (ActionState,) = sqlx::query_as("SELECT state FROM actions WHERE id = ?")
        .bind(action)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "action",
            name: action.to_string(),
        })?;
    let Some(to) = from.next(event) else {
        return Ok(None);
    };
    let now = clock::now();
    let at = change.at.unwrap_or(&now);
    let mut update: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE actions SET state = ");
    update.push_bind(to);
    let mut set = |column: &str, value: Option<&str>| {
        update.push(format_args!(", {column} = "));
        update.push_bind(value.map(str::to_string));
    };
    use ActionEvent::*;
    match event {
        Approve | Reject | Expire => {
            set("decided_by", change.by);
            set("decided_at", Some(at));
            set("decision_note", change.note);
        }
        Start => set("started_at", Some(at)),
        Succeed | Fail => {
            set("finished_at", Some(at));
            set("result", Some(change.result.unwrap_or_default()));
            if change.undo.is_some() {
                set("undo_data", change.undo);
            }
        }
        Undo => {
            set("result", Some(change.result.unwrap_or_default()));
            set("decision_note", change.note);
        }
        Wait => set("result", Some(change.result.unwrap_or_default())),
        DoneByHand => {
            set("finished_at", Some(at));
            set("result", Some(change.result.unwrap_or_default()));
            set("decision_note", change.note);
        }
        Retry | Resume => {}
    }
    if event == DoneByHand {
        update.push(", started_at = COALESCE(started_at, ");
        update.push_bind(at.to_string());
        update.push(")");
    }
    update.push(" WHERE id = ");
    update.push_bind(action);
    update.push(" AND state = ");
    update.push_bind(from);
    let written = update.build().execute(&mut *conn).await?.rows_affected();
    if written == 0 {
        return Ok(None);
    }
    tracing::debug!(
        action,
        from = from.as_str(),
        to = to.as_str(),
        ?event,
        "action"
    );
    Ok(Some(to))
}

// Read by the investigation page and the dashboard.

/// When the oldest action still waiting for a decision was proposed.
pub(crate) async fn oldest_pending(conn: &mut SqliteConnection) -> Result<Option<String>> {
    let (oldest,): (Option<String>,) =
        sqlx::query_as("SELECT MIN(proposed_at) FROM actions WHERE state = 'pending'")
            .fetch_one(&mut *conn)
            .await?;
    Ok(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    async fn one_action(store: &Store) -> i64 {
        let mut conn = store.pool().acquire().await.expect("conn");
        sqlx::query(
            "INSERT INTO machines (name, os_family, group_id, first_seen, last_seen)
             SELECT 'pc1', 'windows', id, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
             FROM machine_groups WHERE is_default",
        )
        .execute(&mut *conn)
        .await
        .expect("machine");
        sqlx::query(
            "INSERT INTO investigations (title, status, trigger_kind, trigger_machine_id, playbook, created_at)
             VALUES ('test', 'running', 'machine', 1, 'machine', '2026-01-01T00:00:00Z')",
        )
        .execute(&mut *conn)
        .await
        .expect("investigation");
        insert(
            &mut conn,
            &NewAction {
                investigation: 1,
                kind: ActionKind::QuarantineFile,
                entity: None,
                machine: 1,
                source: "automated",
                state: ActionState::Pending,
                reason: "test",
                decided_by: None,
                proposed_at: "2026-01-01T00:00:00Z",
                group_key: None,
                group_label: None,
                undo_data: None,
            },
        )
        .await
        .expect("action")
    }

    async fn state(store: &Store, id: i64) -> ActionState {
        let mut conn = store.pool().acquire().await.expect("conn");
        record(&mut conn, id).await.expect("record").state
    }

    #[tokio::test]
    async fn a_move_the_table_forbids_writes_nothing() {
        let store = Store::in_memory().await.expect("store");
        let id = one_action(&store).await;
        let mut conn = store.pool().acquire().await.expect("conn");
        let change = Change {
            result: Some("done"),
            ..Change::default()
        };
        // Pending cannot succeed without being approved and started.
        assert_eq!(
            transition(&mut conn, id, ActionEvent::Succeed, change)
                .await
                .expect("transition"),
            None
        );
        assert_eq!(state(&store, id).await, ActionState::Pending);
        // Along the table it moves, and each step writes what it says.
        for (event, to) in [
            (ActionEvent::Approve, ActionState::Approved),
            (ActionEvent::Wait, ActionState::WaitingForMachine),
            (ActionEvent::DoneByHand, ActionState::Succeeded),
        ] {
            let moved = transition(&mut conn, id, event, change)
                .await
                .expect("transition");
            assert_eq!(moved, Some(to), "{event:?}");
        }
        let (result, started, finished): (String, Option<String>, Option<String>) =
            sqlx::query_as("SELECT result, started_at, finished_at FROM actions WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .expect("row");
        assert_eq!(result, "done");
        assert!(started.is_some() && started == finished);
    }

    #[tokio::test]
    async fn an_unknown_action_is_named() {
        let store = Store::in_memory().await.expect("store");
        let mut conn = store.pool().acquire().await.expect("conn");
        let error = transition(&mut conn, 99, ActionEvent::Approve, Change::default())
            .await
            .expect_err("no such action");
        assert!(error.to_string().contains("99"), "{error}");
    }

    /// Every state change goes through `transition`: no other statement in the engine
    /// writes an action's state.
    #[test]
    fn no_other_code_writes_an_action_state() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.ends_with("store/actions.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if flat.contains("UPDATE actions SET state") || flat.contains("actions SET state =")
                {
                    offenders.push(path.display().to_string());
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "action states written outside transition: {offenders:?}"
        );
    }
}

#[cfg(test)]
mod migration_tests {
    use std::borrow::Cow;

    use sqlx::sqlite::SqlitePoolOptions;

    /// A store written before "waiting for machine" was a state: its waiting actions, their
    /// entities and their investigation move to the new states, and the result text loses
    /// the prefix that used to mark them.
    #[tokio::test]
    async fn the_migration_moves_waiting_actions_to_their_own_state() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("pool");
        let before = sqlx::migrate::Migrator {
            migrations: Cow::Owned(
                super::super::MIGRATOR
                    .iter()
                    .filter(|m| m.version < 5)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(&pool).await.expect("old schema");
        for sql in [
            "INSERT INTO machines (name, os_family, group_id, first_seen, last_seen)
             SELECT 'pc1', 'windows', id, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM machine_groups WHERE is_default",
            "INSERT INTO investigations (title, status, trigger_kind, trigger_machine_id, playbook, created_at)
             VALUES ('old', 'pending_action', 'machine', 1, 'machine', '2026-01-01T00:00:00Z')",
            "INSERT INTO entities (kind, key, name, machine_id) VALUES ('file', 'file:evil.exe', 'evil.exe', 1)",
            "INSERT INTO evidence (investigation_id, entity_id, found_at, verdict, remediation_status)
             VALUES (1, 1, '2026-01-01T00:00:00Z', 'malicious', 'pending_approval')",
            "INSERT INTO actions (investigation_id, kind, entity_id, machine_id, source, state, proposed_at, expires_at, result)
             VALUES (1, 'quarantine_file', 1, 1, 'automated', 'approved', '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z',
                     'Waiting for machine: pc1 has no connector yet')",
        ] {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        super::super::MIGRATOR.run(&pool).await.expect("migrate");
        let (state, result): (String, String) = sqlx::query_as("SELECT state, result FROM actions")
            .fetch_one(&pool)
            .await
            .expect("action");
        assert_eq!(
            (state.as_str(), result.as_str()),
            ("waiting_for_machine", "pc1 has no connector yet")
        );
        let (remediation,): (String,) = sqlx::query_as("SELECT remediation_status FROM evidence")
            .fetch_one(&pool)
            .await
            .expect("evidence");
        assert_eq!(remediation, "waiting_for_machine");
        let (status,): (String,) = sqlx::query_as("SELECT status FROM investigations")
            .fetch_one(&pool)
            .await
            .expect("investigation");
        assert_eq!(status, "waiting_for_machine");
    }
}
