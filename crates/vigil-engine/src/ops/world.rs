//! The world as sensors ask for it: registering the machine a sensor runs on, and the
//! indicators it looks for.

use crate::domain::NewMachine;
use crate::store::{indicators, machines};
use crate::{Result, Vigil};

impl Vigil {
    /// Adds a machine or refreshes a known one (e.g. this computer, registered by the
    /// `local` sensor) and puts it in its group. Returns its id.
    pub async fn register_machine(&self, machine: &NewMachine) -> Result<i64> {
        let mut tx = self.store().pool().begin().await?;
        let id = machines::upsert(&mut tx, machine).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A value that changes whenever indicators are added or removed (their count and
    /// highest id): what a long-running sensor checks before it reloads them.
    pub async fn indicators_version(&self) -> Result<(i64, i64)> {
        let mut conn = self.store().pool().acquire().await?;
        indicators::count_and_last_id(&mut conn).await
    }

    /// Every indicator value of `kind` (`sha256`, `url`, `domain`, `ip`), lowercase: what a
    /// sensor looks for.
    pub async fn indicator_values(&self, kind: &str) -> Result<Vec<String>> {
        let mut conn = self.store().pool().acquire().await?;
        indicators::values_of_kind(&mut conn, kind).await
    }
}
