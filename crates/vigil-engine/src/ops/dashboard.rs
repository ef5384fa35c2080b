//! The dashboard in one call: counts and short lists, aggregated and limited in SQL so that
//! it costs the same with a hundred investigations or a hundred thousand (`vigil bench
//! dashboard` measures it: [`crate::bench::dashboard()`]).

use crate::domain::{AlertView, Dashboard, InvestigationStatus, RiskLevel, StatusCount};
use crate::ops::actions::ActionFilter;
use crate::store::{actions, alerts, investigations};
use crate::{Result, Vigil};

impl Vigil {
    /// What the dashboard shows.
    #[tracing::instrument(skip(self))]
    pub async fn dashboard(&self) -> Result<Dashboard> {
        self.expire_pending().await?;
        let overview = self.overview().await?;
        let limit = i64::from(Dashboard::LIST);
        let mut at_risk = self.machines().await?;
        at_risk.retain(|m| m.risk != RiskLevel::None);
        at_risk.truncate(Dashboard::LIST as usize);
        let (alerts, counts, oldest_pending) = {
            let mut conn = self.store().pool().acquire().await?;
            (
                alerts::latest_active(&mut conn, limit).await?,
                investigations::count_by_status(&mut conn).await?,
                actions::oldest_pending(&mut conn).await?,
            )
        };
        let investigations_by_status = InvestigationStatus::ALL
            .iter()
            .filter_map(|&status| {
                let (_, n) = counts.iter().find(|(s, _)| *s == status)?;
                Some(StatusCount {
                    status,
                    count: u32::try_from(*n).unwrap_or(u32::MAX),
                })
            })
            .collect();
        Ok(Dashboard {
            overview,
            at_risk,
            active_alerts: alerts.into_iter().map(AlertView::from).collect(),
            investigations_by_status,
            pending: self
                .first_actions(ActionFilter::Pending, Some(Dashboard::LIST))
                .await?,
            oldest_pending,
            recent_remediations: self
                .first_actions(ActionFilter::History, Some(Dashboard::LIST))
                .await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{InvestigationStatus, RiskLevel};
    use crate::Vigil;

    #[tokio::test]
    async fn the_dashboard_agrees_with_the_full_lists() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        vigil
            .investigate_machine("client4", "tester")
            .await
            .expect("investigate");
        let d = vigil.dashboard().await.expect("dashboard");
        let machines = vigil.machines().await.expect("machines");
        let at_risk: Vec<_> = machines
            .iter()
            .filter(|m| m.risk != RiskLevel::None)
            .map(|m| m.name.clone())
            .collect();
        assert!(!at_risk.is_empty());
        assert_eq!(
            d.at_risk.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
            at_risk
        );
        let pending = vigil
            .actions(crate::ops::actions::ActionFilter::Pending)
            .await
            .expect("pending");
        assert_eq!(d.overview.pending_actions as usize, pending.len());
        assert_eq!(
            d.pending.first().map(|a| a.id),
            pending.first().map(|a| a.id)
        );
        assert_eq!(
            d.oldest_pending.as_deref(),
            pending.iter().map(|a| a.proposed_at.as_str()).min()
        );
        let investigations = vigil
            .investigations(&Default::default())
            .await
            .expect("investigations");
        assert!(!investigations.is_empty());
        let by_status: Vec<(InvestigationStatus, u32)> = InvestigationStatus::ALL
            .iter()
            .map(|&s| {
                let n = investigations.iter().filter(|i| i.status == s).count();
                (s, n as u32)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(
            d.investigations_by_status
                .iter()
                .map(|c| (c.status, c.count))
                .collect::<Vec<_>>(),
            by_status
        );
        let active = vigil.alerts(None).await.expect("alerts");
        let active: Vec<u32> = active
            .iter()
            .filter(|a| a.status != "resolved")
            .map(|a| a.id)
            .take(8)
            .collect();
        assert_eq!(
            d.active_alerts.iter().map(|a| a.id).collect::<Vec<_>>(),
            active
        );
    }
}
