//! The `lab` connector: the demo environment. Its machines' files, processes, persistence,
//! mailboxes and blocks live in `lab_objects`; actions change them for real, each effect
//! written to `lab_journal` in the same transaction, so no effect is applied twice.

use async_trait::async_trait;

use crate::connectors::{
    ActionRequest, Applied, Connector, LiveFile, LivePersistence, LiveProcess, MachineRef, Outcome,
    Snapshot,
};
use crate::domain::persistence_key;
use crate::domain::ActionKind;
use crate::store::lab::{self as objects, Found};
use crate::store::Store;
use crate::{Error, Result};

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

/// Where an action's target lives in `lab_objects`.
struct Place {
    /// Whether the object belongs to the action's machine (a file) or to the office (a
    /// mailbox, a block).
    on_machine: bool,
    kind: &'static str,
    key: String,
}

impl Place {
    /// The machine the object belongs to, if any.
    fn machine(&self, request: &ActionRequest) -> Option<i64> {
        self.on_machine.then_some(request.machine.id)
    }
}

/// Where an action's target lives in `lab_objects`.
fn place_of(request: &ActionRequest) -> Result<Place> {
    let t = &request.target;
    let missing = |what: &str| {
        Error::InvalidInput(format!(
            "action {}: the target has no {what}",
            request.action_id
        ))
    };
    let (on_machine, kind, key) = match request.kind {
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
    };
    Ok(Place {
        on_machine,
        kind,
        key,
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

#[async_trait]
impl Connector for Lab {
    fn name(&self) -> &'static str {
        "lab"
    }

    async fn snapshot(&self, machine: &MachineRef) -> Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        for objects::Present { kind, data } in
            objects::present_objects(self.store.pool(), machine.id).await?
        {
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
        let place = place_of(request)?;
        let (machine, kind, key) = (place.machine(request), place.kind, &place.key);
        let mut tx = self.store.pool().begin().await?;
        if objects::journal_entries(&mut tx, request.action_id).await? > 0 {
            return Ok(Outcome::Done {
                message: "already done".into(),
                undo: None,
            });
        }
        let found = objects::find_object(&mut tx, machine, kind, key).await?;
        let outcome = if adds_object(request.kind) {
            match found {
                Some(Found { id, .. }) => objects::set_present(&mut tx, id, true).await?,
                None => objects::add_object(&mut tx, machine, kind, key).await?,
            }
            objects::journal(&mut tx, request.action_id, &format!("add {kind} {key}")).await?;
            Outcome::Done {
                message: format!("{} in place: {}", request.kind.label(), request.target.name),
                undo: Some(key.clone()),
            }
        } else {
            match found {
                Some(Found { id, present: true }) => {
                    objects::set_present(&mut tx, id, false).await?;
                    objects::journal(&mut tx, request.action_id, &format!("remove {kind} {key}"))
                        .await?;
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
        let place = place_of(request)?;
        let (machine, kind, key) = (place.machine(request), place.kind, &place.key);
        let mut tx = self.store.pool().begin().await?;
        let found = objects::find_object(&mut tx, machine, kind, key).await?;
        let Some(Found { id, .. }) = found else {
            return Ok(Outcome::NotFound {
                message: format!("nothing to undo for {}", request.target.name),
            });
        };
        objects::set_present(&mut tx, id, !adds_object(request.kind)).await?;
        objects::journal(&mut tx, request.action_id, &format!("undo {kind} {key}")).await?;
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
        Ok(
            if objects::was_applied(self.store.pool(), request.action_id).await? {
                Applied::Yes
            } else {
                Applied::No
            },
        )
    }
}
