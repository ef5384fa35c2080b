//! The `lab` connector: the demo environment. Its machines' files, processes, persistence,
//! mailboxes and blocks live in `lab_objects`; actions change them for real, each effect
//! written to `lab_journal` in the same transaction, so no effect is applied twice.

use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::{
    ActionRequest, Applied, Connector, LiveFile, LivePersistence, LiveProcess, MachineRef, Outcome,
    Snapshot,
};
use crate::domain::ActionKind;
use crate::store::Store;
use crate::{clock, Error, Result};

/// The demo environment's connector.
#[derive(Debug, Clone)]
pub struct Lab {
    store: Store,
}

impl Lab {
    /// A lab connector over the store's `lab_objects`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The `lab_objects` key of a persistence entry.
pub fn persistence_key(mechanism: &str, location: &str, name: &str) -> String {
    format!("{mechanism}|{location}|{name}").to_lowercase()
}

/// Where an action's target lives in `lab_objects`: (machine scoped?, kind, key).
fn object_of(request: &ActionRequest) -> Result<(bool, &'static str, String)> {
    let t = &request.target;
    let missing = |what: &str| {
        Error::InvalidInput(format!(
            "action {}: the target has no {what}",
            request.action_id
        ))
    };
    Ok(match request.kind {
        ActionKind::QuarantineFile => (
            true,
            "file",
            t.path
                .clone()
                .ok_or_else(|| missing("path"))?
                .to_lowercase(),
        ),
        ActionKind::KillProcess => (
            true,
            "process",
            t.pid.ok_or_else(|| missing("pid"))?.to_string(),
        ),
        ActionKind::RemovePersistence => {
            let field = |k: &str| t.detail.get(k).and_then(|v| v.as_str()).unwrap_or("");
            (
                true,
                "persistence",
                persistence_key(field("mechanism"), field("location"), &t.name),
            )
        }
        ActionKind::SoftDeleteEmail => (
            false,
            "mail",
            t.value
                .clone()
                .unwrap_or_else(|| t.name.clone())
                .to_lowercase(),
        ),
        ActionKind::BlockUrl | ActionKind::BlockDomain | ActionKind::BlockIp => (
            false,
            "block",
            format!(
                "{}:{}",
                request.kind.as_str(),
                t.value.clone().unwrap_or_else(|| t.name.clone())
            )
            .to_lowercase(),
        ),
        ActionKind::IsolateMachine => (true, "isolation", request.machine.name.to_lowercase()),
        ActionKind::DeleteRegistryValue => (true, "registry", t.name.to_lowercase()),
        ActionKind::CancelBitsJob => (true, "bits_job", t.name.to_lowercase()),
        ActionKind::DisableUser | ActionKind::ResetPassword | ActionKind::RequireMfa => (
            false,
            "account",
            format!("{}:{}", request.kind.as_str(), t.name).to_lowercase(),
        ),
        ActionKind::ExpandScope => {
            return Err(Error::InvalidInput(
                "expand scope is carried out by the engine, not a connector".into(),
            ))
        }
    })
}

/// Kinds whose action adds an object (a block, an isolation) instead of removing one.
fn adds_object(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::BlockUrl
            | ActionKind::BlockDomain
            | ActionKind::BlockIp
            | ActionKind::IsolateMachine
            | ActionKind::DisableUser
            | ActionKind::ResetPassword
            | ActionKind::RequireMfa
    )
}

async fn find_object(
    conn: &mut SqliteConnection,
    machine: Option<i64>,
    kind: &str,
    key: &str,
) -> Result<Option<(i64, bool)>> {
    Ok(sqlx::query_as(
        "SELECT id, present FROM lab_objects WHERE machine_id IS ? AND kind = ? AND key = ?",
    )
    .bind(machine)
    .bind(kind)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn journal(conn: &mut SqliteConnection, action_id: i64, effect: &str) -> Result<()> {
    sqlx::query("INSERT INTO lab_journal (action_id, effect, at) VALUES (?, ?, ?)")
        .bind(action_id)
        .bind(effect)
        .bind(clock::now())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl Connector for Lab {
    fn name(&self) -> &'static str {
        "lab"
    }

    async fn snapshot(&self, machine: &MachineRef) -> Result<Snapshot> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, data FROM lab_objects WHERE machine_id = ? AND present = 1 ORDER BY id",
        )
        .bind(machine.id)
        .fetch_all(self.store.pool())
        .await?;
        let mut snapshot = Snapshot::default();
        for (kind, data) in rows {
            match kind.as_str() {
                "file" => snapshot
                    .files
                    .extend(serde_json::from_str::<LiveFile>(&data).ok()),
                "process" => snapshot
                    .processes
                    .extend(serde_json::from_str::<LiveProcess>(&data).ok()),
                "persistence" => snapshot
                    .persistence
                    .extend(serde_json::from_str::<LivePersistence>(&data).ok()),
                _ => {}
            }
        }
        Ok(snapshot)
    }

    async fn execute(&self, request: &ActionRequest) -> Result<Outcome> {
        let (scoped, kind, key) = object_of(request)?;
        let machine = scoped.then_some(request.machine.id);
        let mut tx = self.store.pool().begin().await?;
        let (applied,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM lab_journal WHERE action_id = ?")
                .bind(request.action_id)
                .fetch_one(&mut *tx)
                .await?;
        if applied > 0 {
            return Ok(Outcome::Done {
                message: "already done".into(),
                undo: None,
            });
        }
        let found = find_object(&mut tx, machine, kind, &key).await?;
        let outcome = if adds_object(request.kind) {
            match found {
                Some((id, _)) => {
                    sqlx::query("UPDATE lab_objects SET present = 1 WHERE id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO lab_objects (machine_id, kind, key, data) VALUES (?, ?, ?, '{}')",
                    )
                    .bind(machine)
                    .bind(kind)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            journal(&mut tx, request.action_id, &format!("add {kind} {key}")).await?;
            Outcome::Done {
                message: format!("{} in place: {}", request.kind.label(), request.target.name),
                undo: Some(key.clone()),
            }
        } else {
            match found {
                Some((id, true)) => {
                    sqlx::query("UPDATE lab_objects SET present = 0 WHERE id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    journal(&mut tx, request.action_id, &format!("remove {kind} {key}")).await?;
                    Outcome::Done {
                        message: match request.kind {
                            ActionKind::QuarantineFile => format!(
                                "{} moved to quarantine on {}",
                                request.target.name, request.machine.name
                            ),
                            ActionKind::KillProcess => format!(
                                "process {} stopped on {}",
                                request.target.name, request.machine.name
                            ),
                            _ => format!("{} done: {}", request.kind.label(), request.target.name),
                        },
                        undo: Some(id.to_string()),
                    }
                }
                _ => Outcome::NotFound {
                    message: format!(
                        "{} is no longer on {}",
                        request.target.name, request.machine.name
                    ),
                },
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn undo(&self, request: &ActionRequest, _undo: Option<&str>) -> Result<Outcome> {
        let (scoped, kind, key) = object_of(request)?;
        let machine = scoped.then_some(request.machine.id);
        let mut tx = self.store.pool().begin().await?;
        let found = find_object(&mut tx, machine, kind, &key).await?;
        let Some((id, _)) = found else {
            return Ok(Outcome::NotFound {
                message: format!("nothing to undo for {}", request.target.name),
            });
        };
        let present = !adds_object(request.kind);
        sqlx::query("UPDATE lab_objects SET present = ? WHERE id = ?")
            .bind(present)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        journal(&mut tx, request.action_id, &format!("undo {kind} {key}")).await?;
        tx.commit().await?;
        Ok(Outcome::Done {
            message: match request.kind {
                ActionKind::QuarantineFile => format!(
                    "{} restored to {}",
                    request.target.name,
                    request.target.path.as_deref().unwrap_or("its folder")
                ),
                _ => format!("{} undone: {}", request.kind.label(), request.target.name),
            },
            undo: None,
        })
    }

    async fn was_applied(&self, request: &ActionRequest) -> Result<Applied> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM lab_journal WHERE action_id = ? AND effect NOT LIKE 'undo %'",
        )
        .bind(request.action_id)
        .fetch_one(self.store.pool())
        .await?;
        Ok(if n > 0 { Applied::Yes } else { Applied::No })
    }
}
