//! Writing what a pass found and what the judge said: entities (upserted by kind and key),
//! evidence, links, ties, verdicts — each in a few multi-row statements, not one per row.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use crate::domain::EntityKind;
use crate::ops::evidence::{entity_tie, hash_tie, is_tie_worthy, path_tie, payload_tie};
use crate::store::entities::{self, upsert_entities};
use crate::store::evidence::{set_verdicts, Judgement};
use crate::Result;

use super::case::Window;
use super::collect::Found;
use super::judge::Judged;

/// Records what a pass found: its entities as evidence, its links, and the ties they give
/// the investigation. Returns how many entities and links were new.
pub async fn record(
    conn: &mut SqliteConnection,
    investigation: i64,
    found: &Found,
    window: &Window,
) -> Result<u64> {
    let ids = upsert_entities(conn, &found.entities).await?;
    let mut added = entities::add_evidence_all(conn, investigation, &ids).await?;
    let links: Vec<(i64, i64, &str)> = found
        .links
        .iter()
        .map(|(from, to, relation)| (ids[*from], ids[*to], *relation))
        .collect();
    added += entities::link_all(conn, investigation, &links).await?;
    let mut ties = found.ties.clone();
    for (entity, id) in found.entities.iter().zip(&ids) {
        let worthy = is_tie_worthy(entity);
        ties.extend(hash_tie(entity, worthy));
        if !worthy {
            continue;
        }
        ties.push(entity_tie(entity, *id));
        if let Some(machine) = entity.machine_id {
            ties.extend(payload_tie(machine, entity));
        }
        if let (Some(EntityKind::File | EntityKind::Process), Some(path), Some(machine)) =
            (entity.kind, entity.path.as_deref(), entity.machine_id)
        {
            if let Some(tie) = path_tie(machine, path) {
                ties.push(tie);
            }
        }
    }
    ties.sort();
    ties.dedup();
    crate::store::ties::add(conn, investigation, &ties, (&window.from, &window.to)).await?;
    Ok(added)
}

/// Writes the judge's verdicts, reasons, scores and groups.
pub async fn verdicts(
    conn: &mut SqliteConnection,
    investigation: i64,
    judged: &BTreeMap<i64, Judged>,
) -> Result<()> {
    let rows: Vec<Judgement> = judged
        .iter()
        .map(|(id, j)| Judgement {
            entity: *id,
            verdict: j.verdict,
            reasons: serde_json::to_string(&j.reasons).unwrap_or_else(|_| "[]".into()),
            score: j.score,
            group_key: j.group.as_ref().map(|g| g.key.as_str()),
            group_label: j.group.as_ref().map(|g| g.label.as_str()),
        })
        .collect();
    set_verdicts(conn, investigation, &rows).await
}
