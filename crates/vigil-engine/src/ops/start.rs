//! Starting investigations without waiting for them: the desktop app creates one, gets its
//! id at once, and runs it in the background with `Vigil::run_investigation`.

use crate::ops::playbooks::Trigger;
use crate::store::{alerts, investigations, machines};
use crate::{Error, Result, Vigil};

impl Vigil {
    /// Creates (queues) an investigation on the machine named `name` and returns its id;
    /// run it with [`Vigil::run_investigation`]. A machine already in an open
    /// investigation's scope returns that one: a second would find its alerts taken and
    /// say "no threats found" while the first still waits.
    #[tracing::instrument(skip(self))]
    pub async fn start_machine_investigation(&self, name: &str, by: &str) -> Result<u32> {
        let machine = {
            let mut conn = self.store().pool().acquire().await?;
            machines::id_by_name(&mut conn, name).await?
        };
        let machine = machine.ok_or_else(|| Error::NotFound {
            what: "machine",
            name: name.to_string(),
        })?;
        let open = {
            let mut conn = self.store().pool().acquire().await?;
            investigations::open_with_machine(&mut conn, machine).await?
        };
        if let Some(open) = open {
            return to_u32(open);
        }
        let id = self
            .create_investigation(Trigger::Machine { machine }, by)
            .await?;
        to_u32(id)
    }

    /// Creates (queues) an investigation from alert `alert` and returns its id; an alert
    /// already in an open investigation returns that one's id instead. The second value
    /// says whether a new investigation was created (and so needs running).
    #[tracing::instrument(skip(self))]
    pub async fn start_alert_investigation(&self, alert: u32, by: &str) -> Result<(u32, bool)> {
        let row = {
            let mut conn = self.store().pool().acquire().await?;
            alerts::open_investigation(&mut conn, i64::from(alert)).await?
        };
        let open = row.ok_or_else(|| Error::NotFound {
            what: "alert",
            name: alert.to_string(),
        })?;
        if let Some(open) = open {
            return Ok((to_u32(open)?, false));
        }
        let id = self
            .create_investigation(
                Trigger::Alert {
                    alert: i64::from(alert),
                },
                by,
            )
            .await?;
        Ok((to_u32(id)?, true))
    }
}

fn to_u32(id: i64) -> Result<u32> {
    u32::try_from(id)
        .map_err(|_| Error::InvalidInput(format!("investigation id {id} out of range")))
}

#[cfg(test)]
mod tests {
    use crate::domain::InvestigationStatus;
    use crate::Vigil;

    #[tokio::test]
    async fn a_started_investigation_is_queued_until_run() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        // A machine the demo's attack did not reach.
        let id = vigil
            .start_machine_investigation("client2", "tester")
            .await
            .expect("start");
        let queued = vigil.investigation(id).await.expect("details");
        assert_eq!(queued.summary.status, InvestigationStatus::Queued);
        vigil.run_investigation(i64::from(id)).await.expect("run");
        let done = vigil.investigation(id).await.expect("details");
        assert_eq!(done.summary.status, InvestigationStatus::NoThreatsFound);
    }

    #[tokio::test]
    async fn a_machine_in_an_open_investigation_opens_that_one() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        let open = vigil
            .investigations(&Default::default())
            .await
            .expect("list");
        assert_eq!(open.len(), 1, "the demo's attack started one");
        for machine in ["client4", "client7"] {
            let id = vigil
                .start_machine_investigation(machine, "tester")
                .await
                .expect("start");
            assert_eq!(id, open[0].id, "{machine}");
        }
    }

    #[tokio::test]
    async fn an_unknown_machine_is_not_found() {
        let vigil = Vigil::in_memory().await.expect("open");
        let error = vigil
            .start_machine_investigation("nope", "tester")
            .await
            .expect_err("unknown");
        assert_eq!(error.code(), crate::ErrorCode::NotFound);
    }
}
