//! The `machines` table.

use sqlx::SqliteConnection;

use crate::connectors::MachineRef;
use crate::Result;

/// Loads the machine reference a connector needs, with the machine's connector name.
pub(crate) async fn machine_ref(
    conn: &mut SqliteConnection,
    machine: i64,
) -> Result<(MachineRef, Option<String>)> {
    let (name, os_family, connector): (String, String, Option<String>) =
        sqlx::query_as("SELECT name, os_family, connector FROM machines WHERE id = ?")
            .bind(machine)
            .fetch_one(&mut *conn)
            .await?;
    Ok((
        MachineRef {
            id: machine,
            name,
            os_family,
        },
        connector,
    ))
}
