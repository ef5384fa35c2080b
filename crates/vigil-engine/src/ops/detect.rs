//! The ordinary detections on telemetry written without a file: records whose events are
//! stored already meet the Sigma rules in use and the IOC lists, and their alerts are filed
//! and routed as an import's are. The demo office's week goes this way.

use std::collections::HashMap;

use vigil_telemetry::Record;

use crate::ops::detections::AlertSet;
use crate::ops::intel::Intel;
use crate::{Result, Vigil};

/// What the detections found in telemetry written without a file.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Detected {
    /// Alerts filed (those folded into an open one not counted).
    pub alerts: u32,
    /// Investigations the alert policies started.
    pub investigations: u32,
}

impl Vigil {
    /// Runs the ordinary detections (the Sigma rules in use and the IOC lists) on records
    /// whose events are stored already, each with its machine's id, then files the alerts
    /// as an import does and runs the investigations they start: telemetry written in
    /// memory (the demo office) meets the same rules and policies as an imported file.
    pub(crate) async fn detect_written(
        &self,
        records: &[(Record, i64)],
        names: &HashMap<i64, String>,
    ) -> Result<Detected> {
        let rules = self.sigma_engine().await?;
        let intel = {
            let mut conn = self.store().pool().acquire().await?;
            Intel::load(&mut conn).await?
        };
        let mut alerts = AlertSet::default();
        for (record, machine) in records {
            let e = &record.event;
            alerts.add_event(e, *machine, &rules.evaluate(record), &intel.hits(e));
        }
        let filed = self.file_alerts(alerts.into_alerts(), names).await?;
        let folded = self.run_related(filed.to_run).await?;
        Ok(Detected {
            alerts: filed.alerts,
            investigations: filed.investigations_started - folded,
        })
    }
}
