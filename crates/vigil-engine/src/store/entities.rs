//! The `entities`, `evidence` and `evidence_links` tables: entities by canonical key, and
//! an investigation's evidence and the links between it.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::connectors::Target;
use crate::domain::{EntityKind, NewEntity, RemediationStatus, Verdict};
use crate::{clock, Result};

/// Records an entity (or finds the known one) and returns its id.
pub(crate) async fn upsert(conn: &mut SqliteConnection, entity: &NewEntity) -> Result<i64> {
    let kind = entity.kind.unwrap_or(EntityKind::File);
    let key = entity.key();
    if let Some((id,)) =
        sqlx::query_as::<_, (i64,)>("SELECT id FROM entities WHERE kind = ? AND key = ?")
            .bind(kind)
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?
    {
        if entity.sha256.is_some() || entity.command_line.is_some() {
            sqlx::query(
                "UPDATE entities SET sha256 = COALESCE(sha256, ?), command_line = COALESCE(command_line, ?)
                 WHERE id = ?",
            )
            .bind(&entity.sha256)
            .bind(&entity.command_line)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        return Ok(id);
    }
    Ok(sqlx::query(
        "INSERT INTO entities (kind, key, machine_id, name, path, sha256, pid, command_line, value, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(kind)
    .bind(&key)
    .bind(entity.machine_id)
    .bind(&entity.name)
    .bind(&entity.path)
    .bind(&entity.sha256)
    .bind(entity.pid)
    .bind(&entity.command_line)
    .bind(&entity.value)
    .bind(if entity.detail.is_null() { "{}".to_string() } else { entity.detail.to_string() })
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// Makes an entity evidence of an investigation (once).
pub(crate) async fn add_evidence(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT OR IGNORE INTO evidence (investigation_id, entity_id, found_at) VALUES (?, ?, ?)",
    )
    .bind(investigation)
    .bind(entity)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records and adds an entity as evidence; returns its id.
pub(crate) async fn record(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: &NewEntity,
) -> Result<i64> {
    let id = upsert(conn, entity).await?;
    add_evidence(conn, investigation, id).await?;
    Ok(id)
}

/// Links two pieces of evidence (`from` spawned / wrote / connected to / created `to`).
pub(crate) async fn link(
    conn: &mut SqliteConnection,
    investigation: i64,
    from: i64,
    to: i64,
    relation: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO evidence_links (investigation_id, from_entity, to_entity, relation)
         VALUES (?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(from)
    .bind(to)
    .bind(relation)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// Read by the investigation page.

/// An investigation's entity with what the judge found of it, as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct EntityRow {
    pub(crate) id: i64,
    pub(crate) kind: EntityKind,
    pub(crate) name: String,
    pub(crate) machine: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) sha256: Option<String>,
    pub(crate) pid: Option<i64>,
    pub(crate) command_line: Option<String>,
    pub(crate) value: Option<String>,
    pub(crate) detail: String,
    pub(crate) verdict: Verdict,
    pub(crate) reasons: String,
    pub(crate) remediation_status: RemediationStatus,
    pub(crate) group_key: Option<String>,
    pub(crate) protected: Option<String>,
}

/// The investigation's entities: findings first, ranked (the culprit first), then the rest.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<EntityRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.kind, e.name, m.name AS machine, e.path, e.sha256, e.pid, e.command_line, e.value,
                e.detail, v.verdict, v.reasons, v.remediation_status, v.group_key, v.protected
         FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
         WHERE v.investigation_id = ?
         ORDER BY CASE v.verdict WHEN 'malicious' THEN 0 WHEN 'suspicious' THEN 1 ELSE 2 END, v.score DESC,
                  e.kind, e.name, e.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The labels the judge gave the groups of an investigation's findings: (key, label).
pub(crate) async fn finding_group_labels(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT group_key, group_label FROM evidence
         WHERE investigation_id = ? AND group_key IS NOT NULL AND verdict IN ('malicious', 'suspicious')",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The links between an investigation's evidence: (from, to, relation).
pub(crate) async fn links_of(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(i64, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT from_entity, to_entity, relation FROM evidence_links WHERE investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// Rows per multi-row statement (each binds at most 11 values).
const ROWS: usize = 500;

#[derive(sqlx::FromRow)]
struct TargetRow {
    kind: String,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    pid: Option<i64>,
    value: Option<String>,
    detail: String,
}

/// An entity as a connector's target.
pub(crate) async fn target(conn: &mut SqliteConnection, entity: i64) -> Result<Target> {
    let row: TargetRow = sqlx::query_as(
        "SELECT kind, name, path, sha256, pid, value, detail FROM entities WHERE id = ?",
    )
    .bind(entity)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Target {
        kind: EntityKind::parse(&row.kind),
        name: row.name,
        path: row.path,
        sha256: row.sha256,
        pid: row.pid,
        value: row.value,
        detail: serde_json::from_str(&row.detail).unwrap_or_default(),
    })
}

/// Upserts entities and returns their ids, in order.
pub(crate) async fn upsert_entities(
    conn: &mut SqliteConnection,
    entities: &[NewEntity],
) -> Result<Vec<i64>> {
    let mut ids: HashMap<(String, String), i64> = HashMap::new();
    for chunk in entities.chunks(ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO entities (kind, key, machine_id, name, path, sha256, pid, command_line, value, detail) ",
        );
        query.push_values(chunk, |mut row, e| {
            let kind = e.kind.unwrap_or(EntityKind::File);
            row.push_bind(kind)
                .push_bind(e.key())
                .push_bind(e.machine_id)
                .push_bind(&e.name)
                .push_bind(&e.path)
                .push_bind(&e.sha256)
                .push_bind(e.pid)
                .push_bind(&e.command_line)
                .push_bind(&e.value)
                .push_bind(if e.detail.is_null() {
                    "{}".to_string()
                } else {
                    e.detail.to_string()
                });
        });
        query.push(
            " ON CONFLICT (kind, key) DO UPDATE SET
                sha256 = COALESCE(entities.sha256, excluded.sha256),
                command_line = COALESCE(entities.command_line, excluded.command_line),
                value = COALESCE(entities.value, excluded.value),
                detail = CASE
                    WHEN entities.kind = 'process' THEN json_patch(entities.detail, excluded.detail)
                    WHEN entities.detail = '{}' THEN excluded.detail
                    -- Another event about the same artefact (the account put in a group after
                    -- it was made) adds what it says to what is known.
                    WHEN json_type(excluded.detail, '$.facts') = 'array' THEN json_set(entities.detail, '$.facts',
                        (SELECT json_group_array(json(value)) FROM (
                            SELECT value FROM json_each(entities.detail, '$.facts')
                            UNION SELECT value FROM json_each(excluded.detail, '$.facts'))))
                    ELSE entities.detail END
             RETURNING id, kind, key",
        );
        let rows: Vec<(i64, String, String)> = query.build_query_as().fetch_all(&mut *conn).await?;
        for (id, kind, key) in rows {
            ids.insert((kind, key), id);
        }
    }
    Ok(entities
        .iter()
        .map(|e| {
            let kind = e.kind.unwrap_or(EntityKind::File).as_str().to_string();
            ids.get(&(kind, e.key())).copied().unwrap_or_default()
        })
        .collect())
}

/// How much evidence and how many links an investigation has.
pub(crate) async fn evidence_size(conn: &mut SqliteConnection, investigation: i64) -> Result<u64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM evidence WHERE investigation_id = ?1)
              + (SELECT COUNT(*) FROM evidence_links WHERE investigation_id = ?1)",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n as u64)
}

/// Makes entities `ids` evidence of an investigation (once each); returns how many were new.
pub(crate) async fn add_evidence_all(
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

/// Links evidence of an investigation, each `(from, to, relation)` once; returns how many
/// links were new.
pub(crate) async fn link_all(
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

/// The users an investigation's links name, each with why: who ran a process in evidence,
/// who received the mail.
pub(crate) async fn linked_users(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT e.value, CASE l.relation WHEN 'received by' THEN 'received the mail' ELSE 'ran a process in evidence' END
         FROM evidence_links l JOIN entities e ON e.id = CASE l.relation WHEN 'received by' THEN l.to_entity ELSE l.from_entity END
         WHERE l.investigation_id = ? AND l.relation IN ('ran', 'received by') AND e.kind = 'user'",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The antivirus detections an investigation links to `entity` (that found it): each
/// one's name and detail.
pub(crate) async fn av_detections_of(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT d.name, d.detail FROM evidence_links l JOIN entities d ON d.id = l.from_entity
         WHERE l.investigation_id = ? AND l.to_entity = ? AND l.relation = 'found' AND d.kind = 'av_detection'",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_all(&mut *conn)
    .await?)
}

/// Where a global entity (a URL, a domain, an IP, a mail) was seen in an investigation:
/// the machine of the first evidence that links to it (the process that resolved a domain),
/// else of the first it links to (the file a mail delivered), with the machine's name and
/// connector.
pub(crate) async fn machine_linked_to(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Option<(i64, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT p.machine_id, m.name, m.connector FROM evidence_links l
         JOIN entities p ON p.id = CASE WHEN l.to_entity = ?2 THEN l.from_entity ELSE l.to_entity END
         JOIN machines m ON m.id = p.machine_id
         WHERE l.investigation_id = ?1 AND ?2 IN (l.to_entity, l.from_entity)
         ORDER BY l.to_entity <> ?2 LIMIT 1",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_optional(&mut *conn)
    .await?)
}
