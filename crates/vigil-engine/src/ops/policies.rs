//! What settings shows and edits beside the groups: the alert policies (which alerts start
//! an investigation, tried in order) and the automation levels with their explanations.

use crate::domain::{
    AlertPolicyInput, AlertPolicyView, AutomationLevel, AutomationLevelInfo, InvestigationSettings,
    Move, PlaybookChoice, PolicyChoices, Severity,
};
use crate::ops::playbooks::Playbook;
use crate::store::policies::{self, PolicyFields, PolicyRow};
use crate::store::ranked::{name_taken, rerank};
use crate::store::settings;
use crate::{Error, Result, Vigil};

/// The detection sources an alert can come from, as alerts and policies name them.
pub const DETECTION_SOURCES: [&str; 6] =
    ["sigma", "ioc", "yara", "heuristic", "imported", "manual"];

/// The settings key of how far around its alerts an investigation reads events.
const WINDOW_KEY: &str = "investigation_window_minutes";

/// How far before the first alert and after the last an investigation reads a machine's
/// events, unless the admin says otherwise: an attack's steps on one machine (delivery,
/// execution, persistence, credential theft) are usually minutes apart, and an hour each
/// side keeps a busy machine's window to a few thousand events.
pub const DEFAULT_WINDOW_MINUTES: u32 = 60;

/// The longest window the admin may set: a week each side.
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;

/// The playbook a policy names when the alert itself should pick one.
pub const AUTO_PLAYBOOK: &str = "auto";

impl From<PolicyRow> for AlertPolicyView {
    fn from(r: PolicyRow) -> Self {
        AlertPolicyView {
            id: u32::try_from(r.id).unwrap_or(u32::MAX),
            name: r.name,
            rank: u32::try_from(r.rank).unwrap_or(u32::MAX),
            enabled: r.enabled,
            min_severity: Severity::parse(&r.min_severity).unwrap_or(Severity::High),
            detection_source: r.detection_source,
            category: r.category,
            playbook: r.playbook,
            start: r.start,
            why: r.why,
        }
    }
}

/// Empty or blank text means "any".
fn optional(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
}

/// A policy checked and tidied, or a message that says what to change.
fn validated(input: &AlertPolicyInput) -> Result<AlertPolicyInput> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput(
            "Give the policy a name, for example “Investigate ransomware”.".into(),
        ));
    }
    let detection_source = optional(input.detection_source.as_deref()).map(|s| s.to_lowercase());
    if let Some(source) = &detection_source {
        if !DETECTION_SOURCES.contains(&source.as_str()) {
            return Err(Error::InvalidInput(format!(
                "“{source}” is not a detection source Vigil knows: choose one of {}, or any.",
                DETECTION_SOURCES.join(", ")
            )));
        }
    }
    let playbook = input.playbook.trim();
    if playbook != AUTO_PLAYBOOK && Playbook::parse(playbook).is_none() {
        return Err(Error::InvalidInput(format!(
            "“{playbook}” is not a playbook Vigil has: choose one from the list, or let the alert pick."
        )));
    }
    Ok(AlertPolicyInput {
        id: input.id,
        name: name.to_string(),
        enabled: input.enabled,
        min_severity: input.min_severity,
        detection_source,
        category: optional(input.category.as_deref()),
        playbook: playbook.to_string(),
        start: input.start,
    })
}

fn policy_not_found(id: u32) -> Error {
    Error::NotFound {
        what: "alert policy",
        name: format!("#{id} (it may have been deleted: reload settings)"),
    }
}

/// The investigation settings as stored (the defaults when never set).
pub(crate) async fn investigation_settings(
    conn: &mut sqlx::SqliteConnection,
) -> Result<InvestigationSettings> {
    let window_minutes = settings::get(conn, WINDOW_KEY)
        .await?
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|m| (1..=MAX_WINDOW_MINUTES).contains(m))
        .unwrap_or(DEFAULT_WINDOW_MINUTES);
    Ok(InvestigationSettings { window_minutes })
}

impl Vigil {
    /// How investigations read telemetry (the window around their alerts).
    pub async fn investigation_settings(&self) -> Result<InvestigationSettings> {
        let mut conn = self.store().pool().acquire().await?;
        investigation_settings(&mut conn).await
    }

    /// Changes how far around its alerts an investigation reads; the next run follows it.
    pub async fn save_investigation_settings(
        &self,
        settings: InvestigationSettings,
    ) -> Result<InvestigationSettings> {
        if !(5..=MAX_WINDOW_MINUTES).contains(&settings.window_minutes) {
            return Err(Error::InvalidInput(format!(
                "Choose a window between 5 minutes and {} days each side of the alerts.",
                MAX_WINDOW_MINUTES / 60 / 24
            )));
        }
        let mut conn = self.store().pool().acquire().await?;
        settings::set(&mut conn, WINDOW_KEY, &settings.window_minutes.to_string()).await?;
        Ok(settings)
    }

    /// The alert policies, in the order they are tried.
    pub async fn alert_policies(&self) -> Result<Vec<AlertPolicyView>> {
        let mut conn = self.store().pool().acquire().await?;
        let rows = policies::all(&mut conn).await?;
        Ok(rows.into_iter().map(AlertPolicyView::from).collect())
    }

    /// What a policy can name: detection sources and playbooks.
    pub fn policy_choices(&self) -> PolicyChoices {
        PolicyChoices {
            detection_sources: DETECTION_SOURCES.iter().map(|s| s.to_string()).collect(),
            playbooks: Playbook::for_policies()
                .map(|p| PlaybookChoice {
                    id: p.as_str().to_string(),
                    title: p.title().to_string(),
                })
                .collect(),
        }
    }

    /// Creates a policy (tried after the others) or changes one; the next alert follows it.
    #[tracing::instrument(skip(self), fields(policy = %input.name))]
    pub async fn save_alert_policy(&self, input: &AlertPolicyInput) -> Result<AlertPolicyView> {
        let policy = validated(input)?;
        let mut tx = self.store().pool().begin().await?;
        let id = policy.id.map(i64::from);
        if name_taken(&mut tx, "alert_policies", &policy.name, id).await? {
            return Err(Error::InvalidInput(format!(
                "Another policy is already called “{}”: choose another name.",
                policy.name
            )));
        }
        let fields = PolicyFields {
            name: &policy.name,
            enabled: policy.enabled,
            min_severity: policy.min_severity,
            detection_source: policy.detection_source.as_deref(),
            category: policy.category.as_deref(),
            playbook: &policy.playbook,
            start: policy.start,
        };
        let id = match id {
            Some(id) => {
                if !policies::update(&mut tx, id, &fields).await? {
                    return Err(policy_not_found(id as u32));
                }
                id
            }
            None => policies::insert_last(&mut tx, &fields).await?,
        };
        tx.commit().await?;
        tracing::info!(id, "alert policy saved");
        self.alert_policy(id).await
    }

    async fn alert_policy(&self, id: i64) -> Result<AlertPolicyView> {
        let mut conn = self.store().pool().acquire().await?;
        let row = policies::by_id(&mut conn, id).await?;
        row.map(AlertPolicyView::from)
            .ok_or_else(|| policy_not_found(id as u32))
    }

    /// Deletes a policy; alerts it routed keep their investigations.
    #[tracing::instrument(skip(self))]
    pub async fn delete_alert_policy(&self, id: u32) -> Result<()> {
        let mut conn = self.store().pool().acquire().await?;
        if !policies::delete(&mut conn, i64::from(id)).await? {
            return Err(policy_not_found(id));
        }
        tracing::info!(id, "alert policy deleted");
        Ok(())
    }

    /// Tries a policy one place earlier or later; returns the policies in their new order.
    #[tracing::instrument(skip(self))]
    pub async fn move_alert_policy(
        &self,
        id: u32,
        direction: Move,
    ) -> Result<Vec<AlertPolicyView>> {
        let mut tx = self.store().pool().begin().await?;
        let ordered = policies::ids_in_order(&mut tx).await?;
        if !rerank(&mut tx, "alert_policies", ordered, i64::from(id), direction).await? {
            return Err(policy_not_found(id));
        }
        tx.commit().await?;
        self.alert_policies().await
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
    use super::*;
    use crate::domain::NewAlert;
    use crate::domain::NewMachine;
    use crate::domain::Routing;
    use crate::store::machines;
    use crate::{clock, ErrorCode};

    fn input(name: &str) -> AlertPolicyInput {
        AlertPolicyInput {
            id: None,
            name: name.into(),
            enabled: true,
            min_severity: Severity::Medium,
            detection_source: None,
            category: None,
            playbook: AUTO_PLAYBOOK.into(),
            start: true,
        }
    }

    async fn machine(vigil: &Vigil, name: &str) -> i64 {
        let mut conn = vigil.store().pool().acquire().await.expect("conn");
        machines::upsert(
            &mut conn,
            &NewMachine {
                name: name.into(),
                domain: "northwind".into(),
                os: "Windows 11".into(),
                os_family: "windows".into(),
                role: "workstation".into(),
                tags: vec![],
                ip: "10.0.0.9".into(),
                connector: None,
            },
        )
        .await
        .expect("machine")
    }

    fn alert(machine_id: i64, rule: &str, severity: Severity, source: &str) -> NewAlert {
        let now = clock::now();
        NewAlert {
            title: format!("Rule {rule} matched"),
            description: String::new(),
            severity,
            category: "Discovery".into(),
            technique: "T1087".into(),
            detection_source: source.into(),
            rule_id: rule.into(),
            machine_id,
            user_name: None,
            first_seen: now.clone(),
            last_seen: now,
            entities: vec![],
            grade: Default::default(),
            logon_id: None,
        }
    }

    #[tokio::test]
    async fn a_fresh_store_has_the_default_policies_and_five_levels() {
        let vigil = Vigil::in_memory().await.expect("open");
        let policies = vigil.alert_policies().await.expect("policies");
        let shipped: Vec<(&str, Severity, Option<&str>)> = policies
            .iter()
            .map(|p| (p.name.as_str(), p.min_severity, p.category.as_deref()))
            .collect();
        assert_eq!(
            shipped,
            [
                ("Investigate high and critical alerts", Severity::High, None),
                (
                    "Investigate persistence, even at medium severity",
                    Severity::Medium,
                    Some("Persistence")
                ),
                (
                    "Investigate credential theft, even at medium severity",
                    Severity::Medium,
                    Some("Credential Access")
                ),
            ]
        );
        assert!(policies.iter().all(|p| p.start && !p.why.is_empty()));
        assert_eq!(vigil.automation_levels().len(), 5);
    }

    #[tokio::test]
    async fn a_changed_policy_changes_which_alerts_start_investigations() {
        let vigil = Vigil::in_memory().await.expect("open");
        let (a, b, c) = (
            machine(&vigil, "client1").await,
            machine(&vigil, "client2").await,
            machine(&vigil, "client3").await,
        );
        // Out of the box a medium alert waits for an analyst.
        let raised = vigil
            .raise_alert(alert(a, "r1", Severity::Medium, "sigma"))
            .await
            .expect("raise");
        assert_eq!(raised.routing, Routing::Waiting);

        // Lower the default policy to medium, for Sigma alerts only.
        let default = vigil.alert_policies().await.expect("policies").remove(0);
        let changed = vigil
            .save_alert_policy(&AlertPolicyInput {
                id: Some(default.id),
                min_severity: Severity::Medium,
                detection_source: Some(" Sigma ".into()),
                ..input(&default.name)
            })
            .await
            .expect("save");
        assert_eq!(changed.detection_source.as_deref(), Some("sigma"));
        let raised = vigil
            .raise_alert(alert(b, "r2", Severity::Medium, "sigma"))
            .await
            .expect("raise");
        assert_eq!(raised.routing, Routing::Started);
        let raised = vigil
            .raise_alert(alert(c, "r3", Severity::Medium, "ioc"))
            .await
            .expect("raise");
        assert_eq!(
            raised.routing,
            Routing::Waiting,
            "only Sigma alerts match now"
        );

        // Disabled, it routes nothing.
        vigil
            .save_alert_policy(&AlertPolicyInput {
                id: Some(default.id),
                enabled: false,
                ..input(&default.name)
            })
            .await
            .expect("disable");
        let raised = vigil
            .raise_alert(alert(c, "r4", Severity::High, "sigma"))
            .await
            .expect("raise");
        assert_eq!(raised.routing, Routing::Waiting);
    }

    #[tokio::test]
    async fn an_earlier_record_only_policy_wins_until_it_moves_down() {
        let vigil = Vigil::in_memory().await.expect("open");
        let m = machine(&vigil, "client1").await;
        let quiet = vigil
            .save_alert_policy(&AlertPolicyInput {
                start: false,
                min_severity: Severity::Informational,
                detection_source: Some("ioc".into()),
                ..input("Only record IOC matches")
            })
            .await
            .expect("save");
        assert_eq!(quiet.rank, 4);
        for _ in 0..3 {
            vigil
                .move_alert_policy(quiet.id, Move::Up)
                .await
                .expect("move");
        }
        let order = vigil.alert_policies().await.expect("policies");
        assert_eq!(order[0].id, quiet.id);
        let raised = vigil
            .raise_alert(alert(m, "ioc1", Severity::High, "ioc"))
            .await
            .expect("raise");
        assert_eq!(raised.routing, Routing::Waiting);
        vigil
            .move_alert_policy(quiet.id, Move::Down)
            .await
            .expect("move");
        vigil.delete_alert_policy(quiet.id).await.expect("delete");
        assert_eq!(vigil.alert_policies().await.expect("policies").len(), 3);
        let raised = vigil
            .raise_alert(alert(m, "ioc2", Severity::High, "ioc"))
            .await
            .expect("raise");
        assert_eq!(raised.routing, Routing::Started);
    }

    #[tokio::test]
    async fn bad_policies_say_what_to_change() {
        let vigil = Vigil::in_memory().await.expect("open");
        let cases = [
            (input("  "), "Give the policy a name"),
            (
                AlertPolicyInput {
                    detection_source: Some("antivirus".into()),
                    ..input("x")
                },
                "not a detection source",
            ),
            (
                AlertPolicyInput {
                    playbook: "nuke".into(),
                    ..input("x")
                },
                "not a playbook",
            ),
            (
                input("INVESTIGATE HIGH AND CRITICAL ALERTS"),
                "already called",
            ),
        ];
        for (bad, expected) in cases {
            let error = vigil.save_alert_policy(&bad).await.expect_err("invalid");
            assert_eq!(error.code(), ErrorCode::InvalidInput);
            assert!(error.to_string().contains(expected), "{error}");
        }
        let missing = vigil.delete_alert_policy(99).await.expect_err("missing");
        assert_eq!(missing.code(), ErrorCode::NotFound);
        assert_eq!(vigil.alert_policies().await.expect("policies").len(), 3);
    }
}
