//! What settings shows beside the groups: the alert policies and the automation levels
//! with their plain-language explanations.

use serde::{Deserialize, Serialize};

use crate::domain::AutomationLevel;
use crate::{Result, Vigil};

/// An alert policy: which alerts start an investigation, with which playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AlertPolicyView {
    pub id: u32,
    pub name: String,
    pub rank: u32,
    pub enabled: bool,
    pub min_severity: String,
    pub detection_source: Option<String>,
    pub category: Option<String>,
    pub playbook: String,
    /// Whether a matching alert starts an investigation (false: it is only recorded).
    pub start: bool,
}

/// One automation level with its label and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AutomationLevelInfo {
    pub level: AutomationLevel,
    pub label: String,
    pub explanation: String,
}

type PolicyRow = (
    i64,
    String,
    i64,
    bool,
    String,
    Option<String>,
    Option<String>,
    String,
    bool,
);

impl Vigil {
    /// The alert policies, in the order they are tried.
    pub async fn alert_policies(&self) -> Result<Vec<AlertPolicyView>> {
        let rows: Vec<PolicyRow> = sqlx::query_as(
            "SELECT id, name, rank, enabled, min_severity, detection_source, category, playbook, start
             FROM alert_policies ORDER BY rank, id",
        )
        .fetch_all(self.store().pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    name,
                    rank,
                    enabled,
                    min_severity,
                    detection_source,
                    category,
                    playbook,
                    start,
                )| {
                    AlertPolicyView {
                        id: u32::try_from(id).unwrap_or(u32::MAX),
                        name,
                        rank: u32::try_from(rank).unwrap_or(u32::MAX),
                        enabled,
                        min_severity,
                        detection_source,
                        category,
                        playbook,
                        start,
                    }
                },
            )
            .collect())
    }

    /// The five automation levels, least automatic first.
    pub fn automation_levels(&self) -> Vec<AutomationLevelInfo> {
        AutomationLevel::ALL
            .into_iter()
            .map(|level| AutomationLevelInfo {
                level,
                label: level.label().to_string(),
                explanation: level.explanation().to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::Vigil;

    #[tokio::test]
    async fn a_fresh_store_has_the_default_policy_and_five_levels() {
        let vigil = Vigil::in_memory().await.expect("open");
        let policies = vigil.alert_policies().await.expect("policies");
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].min_severity, "high");
        assert!(policies[0].start);
        assert_eq!(vigil.automation_levels().len(), 5);
    }
}
