//! The agent's on-disk outbox and command journal (SQLite, `outbox.sqlite3` in its data
//! folder). Items are numbered and kept until the console acknowledges a mark; a full
//! outbox counts what it could not keep and says so in a `dropped` item as soon as there
//! is room, never a silent loss. Commands are journalled before they are carried out, and
//! their answers kept, so a command that comes again is answered, not carried out again.

use std::path::Path;
use std::str::FromStr;

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use vigil_channel::frame::Item;

/// How many items the outbox keeps by default before it drops new ones.
pub const CAPACITY: u64 = 200_000;

/// The most bytes of items sent in one frame (the channel's frame bound is 1 MiB).
pub const BATCH_BYTES: usize = 512 * 1024;

/// The most items sent in one frame.
pub const BATCH_ITEMS: u32 = 1_000;

pub type Result<T> = std::result::Result<T, String>;

fn db(e: sqlx::Error) -> String {
    format!("the outbox: {e}")
}

/// The outbox and journal of one agent.
#[derive(Debug, Clone)]
pub struct Outbox {
    pool: SqlitePool,
    capacity: u64,
    /// Told when an item is added (the sender waits on it).
    pub added: std::sync::Arc<tokio::sync::Notify>,
}

/// A file as the sensor saw it: its path, size and modification time (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenFile {
    pub path: String,
    pub size: i64,
    pub modified: i64,
}

impl SeenFile {
    /// The file at `path` as it is now, if it is there.
    pub fn of(path: &Path) -> Option<SeenFile> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Some(SeenFile {
            path: path.display().to_string(),
            size: i64::try_from(meta.len()).unwrap_or(i64::MAX),
            modified,
        })
    }
}

/// A journalled command: whether it is new, and its answer if it has one.
#[derive(Debug, Clone, PartialEq)]
pub enum Journalled {
    /// First seen now: carry it out.
    New,
    /// Seen before and answered: send this answer again.
    Answered(Value),
    /// Seen before, not answered (the agent stopped while carrying it out): carry it out
    /// again (the connector's actions are safe to repeat for the same action).
    Unfinished,
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`, keeping at most `capacity` items.
    pub async fn open(dir: &Path, capacity: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join("outbox.sqlite3");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| format!("the outbox {}: {e}", path.display()))?;
        Ok(Self {
            pool,
            capacity: capacity.max(1),
            added: std::sync::Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Adds an item, or counts it as dropped when the outbox is full. Returns whether it
    /// was kept.
    pub async fn push(&self, kind: &str, body: &Value) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let kept = self.push_in(&mut tx, kind, body).await?;
        tx.commit().await.map_err(db)?;
        if kept {
            self.added.notify_one();
        }
        Ok(kept)
    }

    /// Adds a file's items and notes the file as reported, in one step: a file is
    /// reported once (until it changes), even if the agent stops halfway. Returns how many
    /// items were kept.
    pub async fn push_file(&self, file: &SeenFile, items: &[(&str, Value)]) -> Result<usize> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut kept = 0;
        for (kind, body) in items {
            kept += usize::from(self.push_in(&mut tx, kind, body).await?);
        }
        sqlx::query(
            "INSERT INTO files_seen (path, size, modified) VALUES (?, ?, ?)
             ON CONFLICT (path) DO UPDATE SET size = excluded.size, modified = excluded.modified",
        )
        .bind(&file.path)
        .bind(file.size)
        .bind(file.modified)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        if kept > 0 {
            self.added.notify_one();
        }
        Ok(kept)
    }

    /// Whether `file` was reported as it is now.
    pub async fn reported(&self, file: &SeenFile) -> Result<bool> {
        let known: Option<(i64, i64)> =
            sqlx::query_as("SELECT size, modified FROM files_seen WHERE path = ?")
                .bind(&file.path)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(known == Some((file.size, file.modified)))
    }

    async fn push_in(
        &self,
        tx: &mut sqlx::SqliteConnection,
        kind: &str,
        body: &Value,
    ) -> Result<bool> {
        let text = serde_json::to_string(body).map_err(|e| e.to_string())?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let dropped: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(value), 0) FROM counters WHERE name = 'dropped'",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        // The dropped-count item needs a place of its own.
        let room = self
            .capacity
            .saturating_sub(u64::try_from(held).unwrap_or(0));
        let kept = room > u64::from(dropped > 0);
        if kept {
            if dropped > 0 {
                sqlx::query("INSERT INTO outbox (kind, body) VALUES ('dropped', ?)")
                    .bind(serde_json::json!({ "count": dropped }).to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                sqlx::query("DELETE FROM counters WHERE name = 'dropped'")
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            sqlx::query("INSERT INTO outbox (kind, body) VALUES (?, ?)")
                .bind(kind)
                .bind(&text)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        } else {
            sqlx::query(
                "INSERT INTO counters (name, value) VALUES ('dropped', 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1",
            )
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        Ok(kept)
    }

    /// The items numbered above `after`, oldest first, as many as fit in one frame.
    pub async fn after(&self, after: u64) -> Result<Vec<Item>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, kind, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(BATCH_ITEMS)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        let mut items = Vec::with_capacity(rows.len());
        let mut bytes = 0;
        for (seq, kind, body) in rows {
            bytes += body.len() + kind.len() + 32;
            if bytes > BATCH_BYTES && !items.is_empty() {
                break;
            }
            items.push(Item {
                seq: u64::try_from(seq).unwrap_or(0),
                kind,
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
            });
        }
        Ok(items)
    }

    /// The console holds every item up to `upto`: they go.
    pub async fn ack(&self, upto: u64) -> Result<()> {
        sqlx::query("DELETE FROM outbox WHERE seq <= ?")
            .bind(i64::try_from(upto).unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// How many items wait for the console, and how many were dropped and not yet told.
    pub async fn held(&self) -> Result<(u64, u64)> {
        let (held, dropped): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM outbox),
                    (SELECT COALESCE(MAX(value), 0) FROM counters WHERE name = 'dropped')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((
            u64::try_from(held).unwrap_or(0),
            u64::try_from(dropped).unwrap_or(0),
        ))
    }

    /// Journals a command before anything is done about it; says what to do with it.
    pub async fn journal(&self, id: &str, body: &Value, expires_at: i64) -> Result<Journalled> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let known: Option<(Option<String>,)> =
            sqlx::query_as("SELECT answer FROM commands WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let expired = serde_json::json!({ "answer": "expired" }).to_string();
        let out = match known {
            // It came too late before; it comes again with a new expiry: carry it out now.
            Some((Some(answer),)) if answer == expired => {
                sqlx::query(
                    "UPDATE commands SET answer = NULL, answered_at = NULL, expires_at = ? WHERE id = ?",
                )
                .bind(expires_at)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                Journalled::New
            }
            Some((Some(answer),)) => {
                Journalled::Answered(serde_json::from_str(&answer).unwrap_or(Value::Null))
            }
            Some((None,)) => Journalled::Unfinished,
            None => {
                sqlx::query(
                    "INSERT INTO commands (id, body, expires_at, received_at) VALUES (?, ?, ?, ?)",
                )
                .bind(id)
                .bind(body.to_string())
                .bind(expires_at)
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                Journalled::New
            }
        };
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    /// Keeps a command's answer (before it is sent).
    pub async fn answered(&self, id: &str, answer: &Value) -> Result<()> {
        sqlx::query("UPDATE commands SET answer = ?, answered_at = ? WHERE id = ?")
            .bind(answer.to_string())
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Commands journalled and not answered (the agent stopped while carrying them out),
    /// with their bodies and expiries.
    pub async fn unfinished(&self) -> Result<Vec<(String, Value, i64)>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, body, expires_at FROM commands WHERE answer IS NULL ORDER BY received_at",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, body, expires)| {
                (
                    id,
                    serde_json::from_str(&body).unwrap_or(Value::Null),
                    expires,
                )
            })
            .collect())
    }

    /// Closes the outbox's connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since 1970.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_stay_until_acknowledged_and_a_full_outbox_says_what_it_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::open(dir.path(), 3).await.expect("open");
        for n in 0..5 {
            outbox
                .push("event", &serde_json::json!({ "n": n }))
                .await
                .expect("push");
        }
        // Three kept, two dropped and counted.
        assert_eq!(outbox.held().await.expect("held"), (3, 2));
        let items = outbox.after(0).await.expect("after");
        assert_eq!(
            items.iter().map(|i| i.seq).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        outbox.ack(2).await.expect("ack");
        assert_eq!(outbox.after(0).await.expect("after").len(), 1);
        // Room again: the dropped count goes first, then the new item.
        outbox
            .push("event", &serde_json::json!({ "n": 5 }))
            .await
            .expect("push");
        let items = outbox.after(3).await.expect("after");
        assert_eq!(items[0].kind, "dropped");
        assert_eq!(items[0].body["count"], 2);
        assert_eq!(items[1].body["n"], 5);
        assert_eq!(items[0].seq, 4, "numbers are never reused");
        // Reopened, it holds the same.
        outbox.close().await;
        let again = Outbox::open(dir.path(), 3).await.expect("reopen");
        assert_eq!(again.held().await.expect("held"), (3, 0));
    }

    #[tokio::test]
    async fn a_command_is_journalled_once_and_answered_again_with_its_stored_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::open(dir.path(), 10).await.expect("open");
        let body = serde_json::json!({ "op": "snapshot" });
        assert_eq!(
            outbox
                .journal("c1", &body, now() + 60)
                .await
                .expect("journal"),
            Journalled::New
        );
        assert_eq!(
            outbox
                .journal("c1", &body, now() + 60)
                .await
                .expect("journal"),
            Journalled::Unfinished
        );
        assert_eq!(outbox.unfinished().await.expect("unfinished").len(), 1);
        let answer = serde_json::json!({ "answer": "outcome", "outcome": { "outcome": "done" } });
        outbox.answered("c1", &answer).await.expect("answered");
        assert_eq!(
            outbox
                .journal("c1", &body, now() + 60)
                .await
                .expect("journal"),
            Journalled::Answered(answer)
        );
        assert!(outbox.unfinished().await.expect("unfinished").is_empty());
        // A command that came after its expiry, and comes again in time, is carried out.
        outbox
            .journal("c2", &body, now() - 1)
            .await
            .expect("journal");
        let expired =
            serde_json::to_value(vigil_engine::connectors::wire::Answer::Expired).expect("json");
        outbox.answered("c2", &expired).await.expect("answered");
        assert_eq!(
            outbox
                .journal("c2", &body, now() + 60)
                .await
                .expect("journal"),
            Journalled::New
        );
    }
}
