//! Writing what a pass found and what the judge said: entities (upserted by kind and key),
//! evidence, links, ties, verdicts — each in a few multi-row statements, not one per row.

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::EntityKind;
use crate::ops::evidence::{entity_tie, is_tie_worthy, path_tie, payload_tie};
use crate::store::entities::upsert_entities;
use crate::{clock, Result};

use super::case::Window;
use super::collect::Found;
use super::judge::Judged;

/// Rows per multi-row statement (each binds at most 11 values).
const ROWS: usize = 500;

/// Makes entities evidence of the investigation (once each); returns how many were new.
pub async fn add_evidence(
    conn: &mut SqliteConnection,
    investigation: i64,
    ids: &[i64],
) -> Result<u64> {
    let now = clock::now();
    let mut added = 0;
    for chunk in ids.chunks(ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO evidence (investigation_id, entity_id, found_at) ",
        );
        query.push_values(chunk, |mut row, id| {
            row.push_bind(investigation).push_bind(id).push_bind(&now);
        });
        added += query.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

/// Links evidence (once each); returns how many links were new.
pub async fn add_links(
    conn: &mut SqliteConnection,
    investigation: i64,
    links: &[(i64, i64, &str)],
) -> Result<u64> {
    let mut added = 0;
    for chunk in links.chunks(ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO evidence_links (investigation_id, from_entity, to_entity, relation) ",
        );
        query.push_values(chunk, |mut row, (from, to, relation)| {
            row.push_bind(investigation)
                .push_bind(from)
                .push_bind(to)
                .push_bind(*relation);
        });
        added += query.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

/// Records what a pass found: its entities as evidence, its links, and the ties they give
/// the investigation. Returns how many entities and links were new.
pub async fn record(
    conn: &mut SqliteConnection,
    investigation: i64,
    found: &Found,
    window: &Window,
) -> Result<u64> {
    let ids = upsert_entities(conn, &found.entities).await?;
    let mut added = add_evidence(conn, investigation, &ids).await?;
    let links: Vec<(i64, i64, &str)> = found
        .links
        .iter()
        .map(|(from, to, relation)| (ids[*from], ids[*to], *relation))
        .collect();
    added += add_links(conn, investigation, &links).await?;
    let mut ties = found.ties.clone();
    for (entity, id) in found.entities.iter().zip(&ids) {
        if !is_tie_worthy(entity) {
            continue;
        }
        ties.push(entity_tie(entity, *id));
        if let Some(sha) = &entity.sha256 {
            ties.push(format!("sha256:{sha}"));
        }
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
    let rows: Vec<(&i64, &Judged)> = judged.iter().collect();
    for chunk in rows.chunks(ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "WITH v(entity_id, verdict, reasons, score, group_key, group_label) AS (",
        );
        query.push_values(chunk, |mut row, (id, j)| {
            row.push_bind(**id)
                .push_bind(j.verdict)
                .push_bind(serde_json::to_string(&j.reasons).unwrap_or_else(|_| "[]".into()))
                .push_bind(j.score)
                .push_bind(j.group.as_ref().map(|g| g.key.clone()))
                .push_bind(j.group.as_ref().map(|g| g.label.clone()));
        });
        query
            .push(
                ") UPDATE evidence SET verdict = v.verdict, reasons = v.reasons, score = v.score,
                    group_key = v.group_key, group_label = v.group_label
                 FROM v WHERE evidence.investigation_id = ",
            )
            .push_bind(investigation)
            .push(" AND evidence.entity_id = v.entity_id");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}
