//! The typed commands: each one is a single call into the engine's facade (starting an
//! investigation also hands its run to the background, see `background.rs`).

use tauri::{AppHandle, State};
use tauri_specta::{collect_commands, collect_events, Builder, Event};
use vigil_engine::domain::{
    ActionView, AgentView, AlertPolicyInput, AlertPolicyView, AlertView, AutomationLevel,
    AutomationLevelInfo, Dashboard, GroupInput, GroupPreview, GroupView, ImportSummary, IntelList,
    IntelSummary, InvestigationDetails, InvestigationSettings, InvestigationStatus,
    InvestigationSummary, MachineView, Move, NeverActOn, Overview, PolicyChoices, RuleSets,
    SigmaHqUpdate, SigmaRuleInfo,
};
use vigil_engine::lab::DemoSummary;
use vigil_engine::{ActionFilter, ApiError, InvestigationFilter, Vigil};

use crate::background::{changed, run_investigation};
use crate::events::{ImportProgressed, InvestigationUpdated, StoreChanged};
use crate::{AgentListener, Operator};

/// Counts of what the store holds, for the dashboard.
#[tauri::command]
#[specta::specta]
async fn overview(vigil: State<'_, Vigil>) -> Result<Overview, ApiError> {
    Ok(vigil.overview().await?)
}

/// Everything the dashboard shows, counted and cut short in the store.
#[tauri::command]
#[specta::specta]
async fn dashboard(vigil: State<'_, Vigil>) -> Result<Dashboard, ApiError> {
    Ok(vigil.dashboard().await?)
}

/// Where the store lives, for settings.
#[tauri::command]
#[specta::specta]
fn data_location(vigil: State<'_, Vigil>) -> String {
    vigil
        .db_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "in memory".into())
}

/// Writes the demo environment into the store (first start).
#[tauri::command]
#[specta::specta]
async fn load_demo(app: AppHandle, vigil: State<'_, Vigil>) -> Result<DemoSummary, ApiError> {
    let summary = vigil.load_demo().await?;
    changed(&app, "demo");
    Ok(summary)
}

/// Imports telemetry files or folders (EVTX, JSON lines, zipped or not), reporting progress
/// through `ImportProgressed`; alerts are routed as usual.
#[tauri::command]
#[specta::specta]
async fn import_telemetry(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    paths: Vec<String>,
) -> Result<ImportSummary, ApiError> {
    let paths: Vec<std::path::PathBuf> = paths.into_iter().map(Into::into).collect();
    let progress_app = app.clone();
    let summary = vigil
        .import(&paths, move |p| {
            if let Err(error) = ImportProgressed(p.clone()).emit(&progress_app) {
                tracing::warn!(%error, "cannot emit import progress");
            }
        })
        .await;
    changed(&app, "import");
    Ok(summary?)
}

/// The Sigma rule folders in use besides Vigil's own rules.
#[tauri::command]
#[specta::specta]
async fn rule_dirs(vigil: State<'_, Vigil>) -> Result<Vec<String>, ApiError> {
    Ok(vigil
        .rule_dirs()
        .await?
        .iter()
        .map(|d| d.display().to_string())
        .collect())
}

/// Adds a Sigma rule folder (checked by loading it); returns how many rules loaded.
#[tauri::command]
#[specta::specta]
async fn add_rule_dir(vigil: State<'_, Vigil>, path: String) -> Result<u32, ApiError> {
    Ok(vigil.add_rule_dir(std::path::Path::new(&path)).await?.0)
}

/// The rules imports run: Vigil's own, SigmaHQ's (shipped or updated, with their
/// attribution) and the user's folders.
#[tauri::command]
#[specta::specta]
async fn rule_sets(vigil: State<'_, Vigil>) -> Result<RuleSets, ApiError> {
    Ok(vigil.rule_sets().await?)
}

/// Takes SigmaHQ's rules from a newer release (zip or folder) instead of the shipped ones.
#[tauri::command]
#[specta::specta]
async fn update_sigmahq(vigil: State<'_, Vigil>, path: String) -> Result<SigmaHqUpdate, ApiError> {
    Ok(vigil.update_sigmahq(std::path::Path::new(&path)).await?)
}

/// One Sigma rule by its id, with its author (an alert's page names it).
#[tauri::command]
#[specta::specta]
async fn sigma_rule(vigil: State<'_, Vigil>, rule_id: String) -> Result<SigmaRuleInfo, ApiError> {
    Ok(vigil.sigma_rule(&rule_id).await?)
}

/// Imports an IOC list (CSV or STIX 2.1) and looks its new indicators up in the stored
/// telemetry: what was new, and where it had already been seen.
#[tauri::command]
#[specta::specta]
async fn import_intel(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    path: String,
) -> Result<IntelSummary, ApiError> {
    let summary = vigil.import_intel(std::path::Path::new(&path)).await?;
    changed(&app, "intel");
    Ok(summary)
}

/// The IOC lists held, newest first.
#[tauri::command]
#[specta::specta]
async fn intel_lists(vigil: State<'_, Vigil>) -> Result<Vec<IntelList>, ApiError> {
    Ok(vigil.intel_lists().await?)
}

/// Forgets one IOC list's indicators; returns how many went.
#[tauri::command]
#[specta::specta]
async fn remove_intel_list(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    source: String,
) -> Result<u32, ApiError> {
    let gone = vigil.remove_intel_list(&source).await?;
    changed(&app, "intel");
    Ok(gone)
}

/// Every machine, most at risk first.
#[tauri::command]
#[specta::specta]
async fn machines(vigil: State<'_, Vigil>) -> Result<Vec<MachineView>, ApiError> {
    Ok(vigil.machines().await?)
}

/// Alerts, of one machine or all.
#[tauri::command]
#[specta::specta]
async fn alerts(
    vigil: State<'_, Vigil>,
    machine: Option<String>,
) -> Result<Vec<AlertView>, ApiError> {
    Ok(vigil.alerts(machine.as_deref()).await?)
}

/// One alert.
#[tauri::command]
#[specta::specta]
async fn alert(vigil: State<'_, Vigil>, id: u32) -> Result<AlertView, ApiError> {
    Ok(vigil.alert(id).await?)
}

/// The investigations list, newest first, optionally filtered.
#[tauri::command]
#[specta::specta]
async fn investigations(
    vigil: State<'_, Vigil>,
    status: Option<InvestigationStatus>,
    machine: Option<String>,
) -> Result<Vec<InvestigationSummary>, ApiError> {
    Ok(vigil
        .investigations(&InvestigationFilter { status, machine })
        .await?)
}

/// Everything of one investigation.
#[tauri::command]
#[specta::specta]
async fn investigation(vigil: State<'_, Vigil>, id: u32) -> Result<InvestigationDetails, ApiError> {
    Ok(vigil.investigation(id).await?)
}

/// Starts an investigation on a machine; returns its id at once and runs it in the background.
#[tauri::command]
#[specta::specta]
async fn investigate_machine(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    name: String,
) -> Result<u32, ApiError> {
    let id = vigil
        .start_machine_investigation(&name, &operator.0)
        .await?;
    run_investigation(app, vigil.inner().clone(), id);
    Ok(id)
}

/// Starts an investigation from an alert (or returns the open one it is part of).
#[tauri::command]
#[specta::specta]
async fn investigate_alert(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    id: u32,
) -> Result<u32, ApiError> {
    let (investigation, created) = vigil.start_alert_investigation(id, &operator.0).await?;
    if created {
        run_investigation(app, vigil.inner().clone(), investigation);
    }
    Ok(investigation)
}

/// Cancels an investigation: its pending actions are rejected.
#[tauri::command]
#[specta::specta]
async fn cancel_investigation(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    id: u32,
) -> Result<InvestigationDetails, ApiError> {
    let details = vigil.cancel_investigation(id, &operator.0).await?;
    changed(&app, "investigation");
    Ok(details)
}

/// Pending actions, the history, or both.
#[tauri::command]
#[specta::specta]
async fn actions(
    vigil: State<'_, Vigil>,
    filter: ActionFilter,
) -> Result<Vec<ActionView>, ApiError> {
    Ok(vigil.actions(filter).await?)
}

/// Approves pending actions (one, or several of the same type) and runs them.
#[tauri::command]
#[specta::specta]
async fn approve(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    ids: Vec<u32>,
    note: Option<String>,
) -> Result<Vec<ActionView>, ApiError> {
    let result = vigil.approve(&ids, &operator.0, note.as_deref()).await;
    changed(&app, "action");
    Ok(result?)
}

/// Remediates findings the investigation proposed nothing for, decided by the admin now;
/// refused with the reason when Vigil must not act on one of them.
#[tauri::command]
#[specta::specta]
async fn remediate(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    investigation: u32,
    entities: Vec<u32>,
) -> Result<Vec<ActionView>, ApiError> {
    let result = vigil.remediate(investigation, &entities, &operator.0).await;
    changed(&app, "action");
    Ok(result?)
}

/// What Vigil must never act on (the admin's list).
#[tauri::command]
#[specta::specta]
async fn never_act_on(vigil: State<'_, Vigil>) -> Result<NeverActOn, ApiError> {
    Ok(vigil.never_act_on().await?)
}

/// Replaces the "never act on" list; returns it tidied.
#[tauri::command]
#[specta::specta]
async fn save_never_act_on(
    vigil: State<'_, Vigil>,
    list: NeverActOn,
) -> Result<NeverActOn, ApiError> {
    Ok(vigil.save_never_act_on(&list).await?)
}

/// How investigations read telemetry.
#[tauri::command]
#[specta::specta]
async fn investigation_settings(
    vigil: State<'_, Vigil>,
) -> Result<InvestigationSettings, ApiError> {
    Ok(vigil.investigation_settings().await?)
}

/// Changes how far around their alerts investigations read.
#[tauri::command]
#[specta::specta]
async fn save_investigation_settings(
    vigil: State<'_, Vigil>,
    settings: InvestigationSettings,
) -> Result<InvestigationSettings, ApiError> {
    Ok(vigil.save_investigation_settings(settings).await?)
}

/// Rejects pending actions, with the admin's reason.
#[tauri::command]
#[specta::specta]
async fn reject(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    ids: Vec<u32>,
    reason: String,
) -> Result<Vec<ActionView>, ApiError> {
    let result = vigil.reject(&ids, &operator.0, Some(&reason)).await;
    changed(&app, "action");
    Ok(result?)
}

/// Undoes reversible actions that succeeded.
#[tauri::command]
#[specta::specta]
async fn undo(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    ids: Vec<u32>,
) -> Result<Vec<ActionView>, ApiError> {
    let result = vigil.undo(&ids, &operator.0).await;
    changed(&app, "action");
    Ok(result?)
}

/// Marks approved actions that wait for their machine as done by hand, with what was done.
#[tauri::command]
#[specta::specta]
async fn mark_done(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    operator: State<'_, Operator>,
    ids: Vec<u32>,
    note: String,
) -> Result<Vec<ActionView>, ApiError> {
    let result = vigil.mark_done(&ids, &operator.0, &note).await;
    changed(&app, "action");
    Ok(result?)
}

/// The agents enrolled on the office's machines, online first.
#[tauri::command]
#[specta::specta]
fn agents(vigil: State<'_, Vigil>) -> Result<Vec<AgentView>, ApiError> {
    Ok(vigil.agents()?)
}

/// A token for machines to enrol with, and where the console listens for them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct AgentToken {
    pub token: String,
    /// host:port this console listens on for agents.
    pub listening_on: String,
}

/// Makes an enrolment token for `uses` machines within `hours`, naming `addresses` (where
/// the office's machines reach this computer); starts listening for agents if it was not.
#[tauri::command]
#[specta::specta]
async fn add_machine(
    vigil: State<'_, Vigil>,
    listener: State<'_, AgentListener>,
    addresses: Vec<String>,
    uses: u32,
    hours: u32,
) -> Result<AgentToken, ApiError> {
    let listening_on = listener.ensure(&vigil).await?;
    let token = vigil.add_agent_token(&addresses, uses, i64::from(hours))?;
    Ok(AgentToken {
        token,
        listening_on,
    })
}

/// Where the office's machines can likely reach this computer: its address on the local
/// network, and its name, with the agents' port.
#[tauri::command]
#[specta::specta]
fn console_addresses() -> Vec<String> {
    crate::agents::likely_addresses()
}

/// Revokes an agent: its certificate is refused from its next connection on.
#[tauri::command]
#[specta::specta]
fn revoke_agent(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    id: String,
) -> Result<Vec<AgentView>, ApiError> {
    vigil.revoke_agent(&id)?;
    changed(&app, "agent");
    Ok(vigil.agents()?)
}

/// Machine groups, highest rank first.
#[tauri::command]
#[specta::specta]
async fn groups(vigil: State<'_, Vigil>) -> Result<Vec<GroupView>, ApiError> {
    Ok(vigil.groups().await?)
}

/// Sets a group's automation level.
#[tauri::command]
#[specta::specta]
async fn set_group_level(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    name: String,
    level: AutomationLevel,
) -> Result<GroupView, ApiError> {
    let group = vigil.set_group_level(&name, level).await?;
    changed(&app, "group");
    Ok(group)
}

/// The five automation levels with their explanations.
#[tauri::command]
#[specta::specta]
fn automation_levels(vigil: State<'_, Vigil>) -> Vec<AutomationLevelInfo> {
    vigil.automation_levels()
}

/// The alert policies, in the order they are tried.
#[tauri::command]
#[specta::specta]
async fn alert_policies(vigil: State<'_, Vigil>) -> Result<Vec<AlertPolicyView>, ApiError> {
    Ok(vigil.alert_policies().await?)
}

/// The detection sources and playbooks a policy can name.
#[tauri::command]
#[specta::specta]
fn policy_choices(vigil: State<'_, Vigil>) -> PolicyChoices {
    vigil.policy_choices()
}

/// Creates or changes an alert policy; the next alert follows it.
#[tauri::command]
#[specta::specta]
async fn save_alert_policy(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    policy: AlertPolicyInput,
) -> Result<AlertPolicyView, ApiError> {
    let saved = vigil.save_alert_policy(&policy).await?;
    changed(&app, "policy");
    Ok(saved)
}

/// Deletes an alert policy.
#[tauri::command]
#[specta::specta]
async fn delete_alert_policy(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    id: u32,
) -> Result<(), ApiError> {
    vigil.delete_alert_policy(id).await?;
    changed(&app, "policy");
    Ok(())
}

/// Tries an alert policy one place earlier or later.
#[tauri::command]
#[specta::specta]
async fn move_alert_policy(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    id: u32,
    direction: Move,
) -> Result<Vec<AlertPolicyView>, ApiError> {
    let policies = vigil.move_alert_policy(id, direction).await?;
    changed(&app, "policy");
    Ok(policies)
}

/// The machines a group written this way would hold, before it is saved.
#[tauri::command]
#[specta::specta]
async fn preview_group(
    vigil: State<'_, Vigil>,
    group: GroupInput,
) -> Result<GroupPreview, ApiError> {
    Ok(vigil.preview_group(&group).await?)
}

/// Creates or changes a machine group; every machine is re-sorted.
#[tauri::command]
#[specta::specta]
async fn save_group(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    group: GroupInput,
) -> Result<GroupView, ApiError> {
    let saved = vigil.save_group(&group).await?;
    changed(&app, "group");
    Ok(saved)
}

/// Deletes a machine group ("Ungrouped machines" cannot be deleted).
#[tauri::command]
#[specta::specta]
async fn delete_group(app: AppHandle, vigil: State<'_, Vigil>, id: u32) -> Result<(), ApiError> {
    vigil.delete_group(id).await?;
    changed(&app, "group");
    Ok(())
}

/// Ranks a machine group one place higher or lower.
#[tauri::command]
#[specta::specta]
async fn move_group(
    app: AppHandle,
    vigil: State<'_, Vigil>,
    id: u32,
    direction: Move,
) -> Result<Vec<GroupView>, ApiError> {
    let groups = vigil.move_group(id, direction).await?;
    changed(&app, "group");
    Ok(groups)
}

/// Saves an export the window prepared into the exports folder; returns the file's path.
#[tauri::command]
#[specta::specta]
async fn save_export(
    vigil: State<'_, Vigil>,
    file_name: String,
    contents: String,
) -> Result<String, ApiError> {
    let path = vigil.save_export(&file_name, &contents).await?;
    Ok(path.display().to_string())
}

/// Every command and event the window may use; shared by `run()` and the bindings test.
pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            overview,
            dashboard,
            data_location,
            load_demo,
            import_telemetry,
            rule_dirs,
            add_rule_dir,
            rule_sets,
            update_sigmahq,
            sigma_rule,
            import_intel,
            intel_lists,
            remove_intel_list,
            machines,
            alerts,
            alert,
            investigations,
            investigation,
            investigate_machine,
            investigate_alert,
            cancel_investigation,
            actions,
            approve,
            reject,
            remediate,
            never_act_on,
            save_never_act_on,
            investigation_settings,
            save_investigation_settings,
            undo,
            mark_done,
            groups,
            set_group_level,
            automation_levels,
            alert_policies,
            policy_choices,
            save_alert_policy,
            delete_alert_policy,
            move_alert_policy,
            preview_group,
            save_group,
            delete_group,
            move_group,
            save_export,
            agents,
            add_machine,
            console_addresses,
            revoke_agent,
        ])
        .events(collect_events![
            StoreChanged,
            InvestigationUpdated,
            ImportProgressed
        ])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use specta_typescript::Typescript;

    /// `ui/src/bindings.ts` must be what the builder generates; `UPDATE_BINDINGS=1` rewrites it.
    #[test]
    fn bindings_are_fresh() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("bindings.ts");
        super::builder()
            .export(
                Typescript::default().header("// Generated by tauri-specta. Do not edit: run `UPDATE_BINDINGS=1 cargo test --workspace --all-targets bindings_are_fresh`.\n"),
                &fresh,
            )
            .expect("export bindings");
        let fresh_text = std::fs::read_to_string(&fresh).expect("read fresh bindings");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&committed, &fresh_text).expect("write bindings");
            return;
        }
        let committed_text = std::fs::read_to_string(&committed).unwrap_or_default();
        assert!(
            committed_text == fresh_text,
            "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test --workspace bindings_are_fresh` and commit it"
        );
    }
}
