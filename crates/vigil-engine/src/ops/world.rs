//! The world as sensors ask for it: registering the machine a sensor runs on, storing the
//! events it saw, and the indicators it looks for.

use crate::domain::{NewEvent, NewMachine};
use crate::store::{events, indicators, machines};
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

    /// Stores events a sensor saw on machines already registered, passing over those the
    /// store already holds. Returns how many were new.
    pub async fn record_events(&self, new: &[NewEvent]) -> Result<u64> {
        let mut tx = self.store().pool().begin().await?;
        let added = events::insert(&mut tx, new).await?;
        tx.commit().await?;
        Ok(added)
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
