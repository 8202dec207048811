//! Digest state: subscriptions and the delivery log, in SQLite (WAL, full sync).
//!
//! Every change is one transaction, so a crash leaves either the old state or the new one.
//! The delivery log is what makes a digest exactly-once: a day's digest is *claimed* (with its
//! nonce) before it is sent and *delivered* (with the message id) after. The [`Store`] trait
//! is the one interface the rest of the program uses; `postgres.rs` (cargo feature `postgres`)
//! implements it for deployments with several replicas and digest workers.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

pub mod alerts;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use alerts::{Alert, AlertMark, AlertSubscription, ChannelInfo};
pub use incidents::{Forgotten, Incident, IncidentKind};

pub use crate::engine::subscriptions::{DeliveryOutcome, HistoryEntry, Mode, Origin};

mod incidents;

/// Schema migrations, applied in order; the database's `user_version` is how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: subscriptions and the delivery log.
    "CREATE TABLE subscriptions (
        channel_id   INTEGER PRIMARY KEY,
        guild_id     INTEGER,
        local_time   TEXT NOT NULL,
        time_zone    TEXT NOT NULL,
        webhook_url  TEXT,
        origin       TEXT NOT NULL CHECK (origin IN ('config', 'discord')),
        paused       TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        channel_id    INTEGER NOT NULL,
        date          TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('claimed', 'delivered', 'skipped')),
        nonce         TEXT NOT NULL,
        message_id    TEXT,
        covered_until TEXT,
        reason        TEXT,
        claimed_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (channel_id, date)
    );",
    // 2: digests due before a Discord subscription was made are not owed.
    "ALTER TABLE subscriptions ADD COLUMN active_from TEXT;",
    // 3: when a post was last sent off without its outcome being known (a crash, a shutdown
    // or a timeout mid-post; cleared when Discord definitely refused it).
    "ALTER TABLE deliveries ADD COLUMN attempted_at TEXT;",
    // 4: webhook URLs hold the webhook's token: keep only where the URL is found (`env:NAME`,
    // `file:PATH`). Older rows held the URL itself; they are cleared (secure_delete zeroes the
    // old bytes) and the configured subscriptions put their references back at start.
    "UPDATE subscriptions SET webhook_url = NULL
     WHERE webhook_url IS NOT NULL AND webhook_url NOT LIKE 'env:%' AND webhook_url NOT LIKE 'file:%';",
    // 5: questions /ask could not answer, counted for the editors: the normalised text only —
    // no user, guild or channel.
    "CREATE TABLE IF NOT EXISTS misses (
        question   TEXT PRIMARY KEY,
        count      INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL
    );",
    // 6: change alerts (`alerts.rs`): subscriptions, the alerts made, the fact-base state they
    // were last made from, their delivery log (part by part), and what is known of a channel
    // (its type — announcement channels' posts are published — and a failed publishing).
    "CREATE TABLE IF NOT EXISTS alert_subscriptions (
        channel_id  INTEGER PRIMARY KEY,
        guild_id    INTEGER,
        role_id     INTEGER,
        origin      TEXT NOT NULL CHECK (origin IN ('config', 'discord')),
        paused      TEXT,
        after_seq   INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alerts (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        key      TEXT NOT NULL UNIQUE,
        changes  TEXT NOT NULL,
        made_at  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alert_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        state       TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alert_deliveries (
        channel_id    INTEGER NOT NULL,
        seq           INTEGER NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('claimed', 'delivered', 'skipped')),
        nonce         TEXT NOT NULL,
        parts_done    INTEGER NOT NULL DEFAULT 0,
        message_id    TEXT,
        reason        TEXT,
        attempted_at  TEXT,
        claimed_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (channel_id, seq)
    );
    CREATE TABLE IF NOT EXISTS channels (
        channel_id  INTEGER PRIMARY KEY,
        kind        INTEGER,
        publishing  TEXT,
        updated_at  TEXT NOT NULL
    );",
    // 7: a subscription's mode (every day, or only on days with updates); each subscription's
    // delivery history (the last 30 outcomes, with the guild so `forget --guild` finds them);
    // incidents the operator hears about (a pause, or failing for an hour), one open per channel.
    "ALTER TABLE subscriptions ADD COLUMN mode TEXT NOT NULL DEFAULT 'daily' CHECK (mode IN ('daily', 'updates'));
    CREATE TABLE delivery_history (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id INTEGER NOT NULL,
        guild_id   INTEGER,
        at         TEXT NOT NULL,
        date       TEXT NOT NULL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('delivered', 'skipped', 'paused', 'failed')),
        message_id TEXT,
        detail     TEXT,
        attempts   INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX delivery_history_channel ON delivery_history (channel_id, seq);
    CREATE TABLE incidents (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id        INTEGER NOT NULL,
        guild_id          INTEGER,
        kind              TEXT NOT NULL CHECK (kind IN ('paused', 'failing')),
        reason            TEXT NOT NULL,
        started_at        TEXT NOT NULL,
        notice_claimed_at TEXT,
        notified_at       TEXT,
        notice_message_id TEXT,
        ended_at          TEXT
    );
    CREATE UNIQUE INDEX incidents_open ON incidents (channel_id) WHERE ended_at IS NULL;",
    // 8: the language a channel's digests and alerts are posted in: the Discord locale of the
    // server that subscribed it (`guild_locale`), or the operator's `locale`. NULL: English.
    "ALTER TABLE subscriptions ADD COLUMN locale TEXT;
    ALTER TABLE alert_subscriptions ADD COLUMN locale TEXT;",
];

/// At most this many different missed questions are kept (the most recently asked).
pub const MAX_MISSES: usize = 10_000;

/// A question `/ask` could not answer, and how often it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub question: String,
    pub count: u64,
    pub last_seen: jiff::Timestamp,
}

/// Where a subscription's webhook URL is kept. The URL holds the webhook's token, so the
/// database stores only this reference; the URL is read when a digest is posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webhook {
    /// In this environment variable.
    Env(String),
    /// In this file (a mounted secret).
    File(std::path::PathBuf),
}

impl Webhook {
    /// The reference as stored: `env:NAME` or `file:PATH`.
    fn stored(&self) -> String {
        match self {
            Webhook::Env(name) => format!("env:{name}"),
            Webhook::File(path) => format!("file:{}", path.display()),
        }
    }

    fn from_stored(text: &str) -> Option<Webhook> {
        if let Some(name) = text.strip_prefix("env:") {
            return Some(Webhook::Env(name.to_owned()));
        }
        text.strip_prefix("file:")
            .map(|path| Webhook::File(path.into()))
    }

    /// The URL, read now; the error names where it was looked for, never the URL.
    pub fn url(&self) -> Result<String, String> {
        let url = match self {
            Webhook::Env(name) => std::env::var(name).map_err(|_| {
                format!("the environment variable {name} (the webhook URL) is not set")
            })?,
            Webhook::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the webhook URL from {}: {e}", path.display()))?,
        };
        let url = url.trim().to_owned();
        if url.is_empty() {
            return Err(format!("the webhook URL in {} is empty", self.stored()));
        }
        Ok(url)
    }
}

/// How an origin is stored (the `origin` column's CHECK lists these).
fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Config => "config",
        Origin::Discord => "discord",
    }
}

/// Where a day's digest stands in the delivery log (the `state` column's CHECK lists these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Claimed with a nonce, not yet confirmed by Discord.
    Claimed,
    /// Posted; the message id is recorded.
    Delivered,
    /// Missed beyond the catch-up window, with the reason recorded.
    Skipped,
}

impl DeliveryState {
    fn parse(text: &str) -> Option<DeliveryState> {
        match text {
            "claimed" => Some(DeliveryState::Claimed),
            "delivered" => Some(DeliveryState::Delivered),
            "skipped" => Some(DeliveryState::Skipped),
            _ => None,
        }
    }
}

/// A channel that gets the digest.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub local_time: jiff::civil::Time,
    /// IANA name.
    pub time_zone: String,
    /// Post through this webhook instead of the bot.
    pub webhook: Option<Webhook>,
    pub origin: Origin,
    /// Every day, or only on days with updates.
    pub mode: Mode,
    /// Why delivery is paused (403/404 from Discord), if it is.
    pub paused: Option<String>,
    /// Digests due before this instant are not owed (a subscription made at 10:00 for 08:00
    /// starts tomorrow). `None`: owed from any time (configured subscriptions catch up).
    pub active_from: Option<jiff::Timestamp>,
    /// The Discord locale its digests are written in: the server's when it subscribed, or the
    /// operator's. `None`: English.
    pub locale: Option<String>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The webhook URL holds a secret token: never printed.
        f.debug_struct("Subscription")
            .field("channel_id", &self.channel_id)
            .field("local_time", &self.local_time)
            .field("time_zone", &self.time_zone)
            .field("webhook", &self.webhook)
            .field("origin", &self.origin)
            .field("mode", &self.mode)
            .field("paused", &self.paused)
            .field("active_from", &self.active_from)
            .field("locale", &self.locale)
            .finish()
    }
}

/// A day's delivery for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub date: jiff::civil::Date,
    pub state: DeliveryState,
    pub nonce: String,
    pub message_id: Option<String>,
    /// The instant the delivered digest covered updates up to.
    pub covered_until: Option<jiff::Timestamp>,
    pub reason: Option<String>,
}

/// The result of claiming a day's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had claimed it: send with this nonce.
    Fresh { nonce: String },
    /// Claimed before but not confirmed: send again with the same nonce. `attempted` is when a
    /// post was sent off without its outcome being known (a crash, a shutdown or a timeout
    /// mid-post): it may have arrived. `None`: it certainly did not.
    Unconfirmed {
        nonce: String,
        attempted: Option<jiff::Timestamp>,
    },
    /// Already delivered.
    Delivered { message_id: String },
    /// Skipped (missed beyond the catch-up window).
    Skipped { reason: String },
    /// Another digest worker holds the claim (a shared database): leave the day to it, and
    /// look again once its lease has run out (`lease_left`), in case it died. SQLite, with its
    /// one writer, never answers this.
    Held { lease_left: std::time::Duration },
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("digest database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("digest database {path}: the database thread failed: {reason}")]
    Worker { path: String, reason: String },
    /// `database` is shown with its password masked.
    #[error("digest database {database}: {reason}")]
    Postgres { database: String, reason: String },
    #[error("DATABASE_URL (or DATABASE_URL_FILE) selects PostgreSQL ({database}), but this factdesk was built without PostgreSQL support: build it with `cargo build --release --features postgres` (the Docker image has it), or unset DATABASE_URL to keep the digest state in SQLite")]
    NotBuilt { database: String },
}

/// Storage for subscriptions and deliveries. Async, so an implementation never blocks the
/// threads that answer interactions (SQLite runs on tokio's blocking pool; a PostgreSQL store
/// is async natively).
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn upsert(&self, s: &Subscription) -> Result<(), StoreError>;
    async fn remove(&self, channel: u64) -> Result<bool, StoreError>;
    async fn subscription(&self, channel: u64) -> Result<Option<Subscription>, StoreError>;
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Brings the `config` subscriptions in line with `list`: adds and updates them (a pause
    /// survives unless the entry changed), never touches Discord-made ones, and with
    /// `remove_missing` deletes configured ones no longer listed.
    async fn sync_config(
        &self,
        list: &[Subscription],
        remove_missing: bool,
    ) -> Result<(), StoreError>;
    async fn pause(&self, channel: u64, reason: &str) -> Result<(), StoreError>;
    /// Claims `date` for `channel`: inserts a claim with `nonce` unless one exists.
    async fn claim(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        nonce: &str,
    ) -> Result<Claim, StoreError>;
    /// Records that a post is being sent off (`Some(now)`), or that it certainly did not
    /// arrive (`None`).
    async fn attempted(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        at: Option<jiff::Timestamp>,
    ) -> Result<(), StoreError>;
    async fn delivered(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        message_id: &str,
        covered_until: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    async fn skip(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        reason: &str,
    ) -> Result<(), StoreError>;
    /// Forgets the day's record so `--force` can post again.
    async fn forget(&self, channel: u64, date: jiff::civil::Date) -> Result<(), StoreError>;
    async fn delivery(
        &self,
        channel: u64,
        date: jiff::civil::Date,
    ) -> Result<Option<Delivery>, StoreError>;
    /// The most recent delivered digest.
    async fn last_delivered(&self, channel: u64) -> Result<Option<Delivery>, StoreError>;
    /// Recent skipped days, newest first.
    async fn skipped(&self, channel: u64, limit: usize) -> Result<Vec<Delivery>, StoreError>;
    /// Counts a question `/ask` could not answer; keeps the [`MAX_MISSES`] most recent.
    async fn record_miss(&self, question: &str, at: jiff::Timestamp) -> Result<(), StoreError>;
    /// Missed questions last asked at or after `since`, most frequent first.
    async fn misses(&self, since: Option<jiff::Timestamp>) -> Result<Vec<Miss>, StoreError>;

    // Change alerts (`alerts.rs`).
    /// Saves a channel's alert subscription (owed the alerts made from now on), unpaused.
    async fn alert_subscribe(&self, s: &AlertSubscription) -> Result<(), StoreError>;
    async fn alert_unsubscribe(&self, channel: u64) -> Result<bool, StoreError>;
    async fn alert_subscriptions(&self) -> Result<Vec<AlertSubscription>, StoreError>;
    /// Brings the `config` alert subscriptions in line with `list`, as
    /// [`Store::sync_config`] does the digest's.
    async fn sync_alert_config(
        &self,
        list: &[AlertSubscription],
        remove_missing: bool,
    ) -> Result<(), StoreError>;
    async fn pause_alerts(&self, channel: u64, reason: &str) -> Result<(), StoreError>;
    /// The fact-base state alerts were last made from (`None`: never).
    async fn alert_state(&self) -> Result<Option<String>, StoreError>;
    /// Moves the alert state from `expected` to `state` and makes `alert` (once per key), in
    /// one transaction; `false` when another process moved it first.
    async fn advance_alerts(
        &self,
        expected: Option<&str>,
        state: &str,
        alert: Option<&Alert>,
    ) -> Result<bool, StoreError>;
    /// Alerts after `after` not yet delivered or skipped in `channel`, oldest first.
    async fn pending_alerts(&self, channel: u64, after: i64) -> Result<Vec<Alert>, StoreError>;
    /// Claims alert `seq` for `channel`; also says how many of its parts are posted.
    async fn claim_alert(
        &self,
        channel: u64,
        seq: i64,
        nonce: &str,
    ) -> Result<(Claim, u32), StoreError>;
    async fn mark_alert(&self, channel: u64, seq: i64, mark: &AlertMark) -> Result<(), StoreError>;
    /// The last alert delivered in `channel`: when it was made and its last message id.
    async fn last_alert(
        &self,
        channel: u64,
    ) -> Result<Option<(jiff::Timestamp, String)>, StoreError>;
    async fn channel_info(&self, channel: u64) -> Result<Option<ChannelInfo>, StoreError>;
    async fn note_channel(&self, channel: u64, info: &ChannelInfo) -> Result<(), StoreError>;
    /// Adds a line to `channel`'s delivery history and keeps the last [`HISTORY_LEN`]: a
    /// failure of the same day as the newest line counts into that line.
    async fn record(
        &self,
        channel: u64,
        guild: Option<u64>,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError>;
    /// `channel`'s delivery history, newest first.
    async fn history(&self, channel: u64, limit: usize) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Opens an incident for `channel` at `at`, unless one of this kind is open (its reason
    /// is updated); an open one of the other kind ends first. Returns the open incident.
    async fn open_incident(
        &self,
        channel: u64,
        guild: Option<u64>,
        kind: IncidentKind,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<Incident, StoreError>;
    /// Ends `channel`'s open incident (it recovered, or went away); returns it.
    async fn end_incident(
        &self,
        channel: u64,
        at: jiff::Timestamp,
    ) -> Result<Option<Incident>, StoreError>;
    /// Every open incident, oldest first.
    async fn open_incidents(&self) -> Result<Vec<Incident>, StoreError>;
    /// Takes incident `id`'s notice to send: `false` when it was sent, or another worker took
    /// it since its claim was read as `seen`.
    async fn claim_notice(
        &self,
        id: i64,
        seen: Option<jiff::Timestamp>,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError>;
    /// Records incident `id`'s notice as posted (`Some(message id)`), or gives its claim back
    /// (`None`: the post failed; a later pass tries again).
    async fn noticed(
        &self,
        id: i64,
        message_id: Option<&str>,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    /// Removes what is kept about guild `guild`: its subscriptions (the configured ones too
    /// unless `keep_configured`), and the delivery log, history and incidents of its channels.
    async fn forget_guild(
        &self,
        guild: u64,
        keep_configured: bool,
    ) -> Result<Forgotten, StoreError>;
}

/// The SQLite store: [`Sqlite`] run on tokio's blocking pool.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Sqlite>,
}

/// One SQLite connection and its queries, synchronous (callers wait on its mutex and on a busy
/// database, so [`SqliteStore`] runs them off the async workers).
pub struct Sqlite {
    path: String,
    conn: Mutex<Connection>,
}

fn now_text() -> String {
    jiff::Timestamp::now().to_string()
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Ok(SqliteStore {
            inner: Arc::new(Sqlite::open(path)?),
        })
    }

    /// Runs `query` on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Sqlite) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || query(&inner))
            .await
            .map_err(|e| StoreError::Worker {
                path: self.inner.path.clone(),
                reason: e.to_string(),
            })?
    }
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let label = path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        // Overwrite deleted content (old webhook URLs among it) instead of leaving it in free pages.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(err)?;
        // FULL: a committed claim or delivery survives power loss, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", i + 1).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(Sqlite {
            path: label,
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut conn).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }
}

fn conversion(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn subscription_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    let time: String = r.get(2)?;
    let origin: String = r.get(5)?;
    Ok(Subscription {
        channel_id: r.get::<_, i64>(0)? as u64,
        guild_id: r.get::<_, Option<i64>>(1)?.map(|g| g as u64),
        local_time: time.parse().map_err(conversion)?,
        time_zone: r.get(3)?,
        webhook: r
            .get::<_, Option<String>>(4)?
            .and_then(|w| Webhook::from_stored(&w)),
        origin: if origin == "config" {
            Origin::Config
        } else {
            Origin::Discord
        },
        paused: r.get(6)?,
        active_from: r
            .get::<_, Option<String>>(7)?
            .map(|t| t.parse().map_err(conversion))
            .transpose()?,
        mode: Mode::parse(&r.get::<_, String>(8)?).unwrap_or_default(),
        locale: r.get(9)?,
    })
}

fn delivery_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let date: String = r.get(0)?;
    let covered: Option<String> = r.get(4)?;
    Ok(Delivery {
        date: date.parse().map_err(conversion)?,
        state: DeliveryState::parse(&r.get::<_, String>(1)?)
            .ok_or_else(|| conversion(std::io::Error::other("unknown delivery state")))?,
        nonce: r.get(2)?,
        message_id: r.get(3)?,
        covered_until: covered.map(|c| c.parse().map_err(conversion)).transpose()?,
        reason: r.get(5)?,
    })
}

const SUBSCRIPTION_COLUMNS: &str =
    "channel_id, guild_id, local_time, time_zone, webhook_url, origin, paused, active_from, mode, locale";
const DELIVERY_COLUMNS: &str = "date, state, nonce, message_id, covered_until, reason";

/// SQLite stores integers as i64; Discord snowflakes fit (they are < 2^63).
fn id(v: u64) -> i64 {
    v as i64
}

impl Sqlite {
    pub fn upsert(&self, s: &Subscription) -> Result<(), StoreError> {
        self.with(|c| {
            let now = now_text();
            c.execute(
                "INSERT INTO subscriptions (channel_id, guild_id, local_time, time_zone, webhook_url, origin, paused, active_from, created_at, updated_at, mode, locale)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?8, ?8, ?10, ?11)
                 ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, local_time = excluded.local_time,
                   time_zone = excluded.time_zone, webhook_url = excluded.webhook_url, origin = excluded.origin,
                   paused = excluded.paused, active_from = excluded.active_from, updated_at = excluded.updated_at,
                   mode = excluded.mode, locale = excluded.locale",
                params![
                    id(s.channel_id),
                    s.guild_id.map(id),
                    s.local_time.strftime("%H:%M").to_string(),
                    s.time_zone,
                    s.webhook.as_ref().map(Webhook::stored),
                    origin_name(s.origin),
                    s.paused,
                    now,
                    s.active_from.map(|t| t.to_string()),
                    s.mode.name(),
                    s.locale
                ],
            )?;
            Ok(())
        })
    }

    pub fn remove(&self, channel: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM subscriptions WHERE channel_id = ?1",
                [id(channel)],
            )? > 0)
        })
    }

    pub fn subscription(&self, channel: u64) -> Result<Option<Subscription>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE channel_id = ?1"),
                [id(channel)],
                subscription_row,
            )
            .optional()
        })
    }

    pub fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY channel_id"
            ))?;
            let rows = stmt.query_map([], subscription_row)?;
            rows.collect()
        })
    }

    pub fn sync_config(
        &self,
        list: &[Subscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let now = now_text();
            if remove_missing {
                let configured: Vec<i64> = {
                    let mut stmt = tx.prepare("SELECT channel_id FROM subscriptions WHERE origin = 'config'")?;
                    let rows = stmt.query_map([], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                for channel in configured {
                    if !list.iter().any(|s| id(s.channel_id) == channel) {
                        tx.execute("DELETE FROM subscriptions WHERE channel_id = ?1", [channel])?;
                    }
                }
            }
            for s in list {
                // A Discord-made subscription for the same channel wins (the WHERE clause);
                // a pause is lifted only when the operator changed where or when it posts (a
                // new language fixes no refusal).
                tx.execute(
                    "INSERT INTO subscriptions (channel_id, guild_id, local_time, time_zone, webhook_url, origin, paused, active_from, created_at, updated_at, mode, locale)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'config', NULL, NULL, ?6, ?6, ?7, ?8)
                     ON CONFLICT (channel_id) DO UPDATE SET
                       paused = CASE WHEN local_time = excluded.local_time AND time_zone = excluded.time_zone
                                      AND IFNULL(webhook_url, '') = IFNULL(excluded.webhook_url, '')
                                      AND mode = excluded.mode
                                     THEN paused ELSE NULL END,
                       guild_id = excluded.guild_id, local_time = excluded.local_time, time_zone = excluded.time_zone,
                       webhook_url = excluded.webhook_url, updated_at = excluded.updated_at, mode = excluded.mode,
                       locale = excluded.locale
                     WHERE subscriptions.origin = 'config'",
                    params![
                        id(s.channel_id),
                        s.guild_id.map(id),
                        s.local_time.strftime("%H:%M").to_string(),
                        s.time_zone,
                        s.webhook.as_ref().map(Webhook::stored),
                        now,
                        s.mode.name(),
                        s.locale
                    ],
                )?;
            }
            tx.commit()
        })
    }

    pub fn pause(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE subscriptions SET paused = ?2, updated_at = ?3 WHERE channel_id = ?1",
                params![id(channel), reason, now_text()],
            )?;
            Ok(())
        })
    }

    pub fn claim(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        nonce: &str,
    ) -> Result<Claim, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let now = now_text();
            tx.execute(
                "INSERT OR IGNORE INTO deliveries (channel_id, date, state, nonce, claimed_at, updated_at)
                 VALUES (?1, ?2, 'claimed', ?3, ?4, ?4)",
                params![id(channel), date.to_string(), nonce, now],
            )?;
            let fresh = tx.changes() == 1;
            let (state, stored_nonce, message_id, reason, attempted): (String, String, Option<String>, Option<String>, Option<String>) = tx.query_row(
                "SELECT state, nonce, message_id, reason, attempted_at FROM deliveries WHERE channel_id = ?1 AND date = ?2",
                params![id(channel), date.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let attempted = attempted.map(|t| t.parse().map_err(conversion)).transpose()?;
            tx.commit()?;
            Ok(match state.as_str() {
                "delivered" => Claim::Delivered { message_id: message_id.unwrap_or_default() },
                "skipped" => Claim::Skipped { reason: reason.unwrap_or_default() },
                _ if fresh => Claim::Fresh { nonce: stored_nonce },
                _ => Claim::Unconfirmed { nonce: stored_nonce, attempted },
            })
        })
    }

    /// Records that a post is being sent off (`Some(now)`), or that it certainly did not
    /// arrive (`None`).
    pub fn attempted(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        at: Option<jiff::Timestamp>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE deliveries SET attempted_at = ?3, updated_at = ?4 WHERE channel_id = ?1 AND date = ?2",
                params![id(channel), date.to_string(), at.map(|t| t.to_string()), now_text()],
            )?;
            Ok(())
        })
    }

    pub fn delivered(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        message_id: &str,
        covered_until: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE deliveries SET state = 'delivered', message_id = ?3, covered_until = ?4, reason = NULL, updated_at = ?5
                 WHERE channel_id = ?1 AND date = ?2",
                params![id(channel), date.to_string(), message_id, covered_until.to_string(), now_text()],
            )?;
            Ok(())
        })
    }

    pub fn skip(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let now = now_text();
            c.execute(
                "INSERT INTO deliveries (channel_id, date, state, nonce, reason, claimed_at, updated_at)
                 VALUES (?1, ?2, 'skipped', '', ?3, ?4, ?4)
                 ON CONFLICT (channel_id, date) DO UPDATE SET state = 'skipped', reason = excluded.reason, updated_at = excluded.updated_at
                 WHERE deliveries.state != 'delivered'",
                params![id(channel), date.to_string(), reason, now],
            )?;
            Ok(())
        })
    }

    pub fn forget(&self, channel: u64, date: jiff::civil::Date) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM deliveries WHERE channel_id = ?1 AND date = ?2",
                params![id(channel), date.to_string()],
            )?;
            Ok(())
        })
    }

    pub fn delivery(
        &self,
        channel: u64,
        date: jiff::civil::Date,
    ) -> Result<Option<Delivery>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = ?1 AND date = ?2"
                ),
                params![id(channel), date.to_string()],
                delivery_row,
            )
            .optional()
        })
    }

    pub fn last_delivered(&self, channel: u64) -> Result<Option<Delivery>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = ?1 AND state = 'delivered' ORDER BY date DESC LIMIT 1"),
                [id(channel)],
                delivery_row,
            )
            .optional()
        })
    }

    pub fn skipped(&self, channel: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = ?1 AND state = 'skipped' ORDER BY date DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![id(channel), limit as i64], delivery_row)?;
            rows.collect()
        })
    }

    pub fn record_miss(&self, question: &str, at: jiff::Timestamp) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let at = at.to_string();
            tx.execute(
                "INSERT INTO misses (question, count, first_seen, last_seen) VALUES (?1, 1, ?2, ?2)
                 ON CONFLICT (question) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
                params![question, at],
            )?;
            // Bounded: past the limit, the least recently asked go.
            tx.execute(
                "DELETE FROM misses WHERE question IN (
                   SELECT question FROM misses ORDER BY last_seen DESC LIMIT -1 OFFSET ?1)",
                [MAX_MISSES as i64],
            )?;
            tx.commit()
        })
    }

    pub fn misses(&self, since: Option<jiff::Timestamp>) -> Result<Vec<Miss>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT question, count, last_seen FROM misses WHERE last_seen >= ?1
                 ORDER BY count DESC, last_seen DESC",
            )?;
            let since = since.map_or_else(String::new, |t| t.to_string());
            let rows = stmt.query_map([since], |r| {
                let last: String = r.get(2)?;
                Ok(Miss {
                    question: r.get(0)?,
                    count: r.get::<_, i64>(1)?.max(0) as u64,
                    last_seen: last.parse().map_err(conversion)?,
                })
            })?;
            rows.collect()
        })
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn upsert(&self, s: &Subscription) -> Result<(), StoreError> {
        let s = s.clone();
        self.blocking(move |db| db.upsert(&s)).await
    }

    async fn remove(&self, channel: u64) -> Result<bool, StoreError> {
        self.blocking(move |db| db.remove(channel)).await
    }

    async fn subscription(&self, channel: u64) -> Result<Option<Subscription>, StoreError> {
        self.blocking(move |db| db.subscription(channel)).await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.blocking(Sqlite::subscriptions).await
    }

    async fn sync_config(
        &self,
        list: &[Subscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        let list = list.to_vec();
        self.blocking(move |db| db.sync_config(&list, remove_missing))
            .await
    }

    async fn pause(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        let reason = reason.to_owned();
        self.blocking(move |db| db.pause(channel, &reason)).await
    }

    async fn claim(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        nonce: &str,
    ) -> Result<Claim, StoreError> {
        let nonce = nonce.to_owned();
        self.blocking(move |db| db.claim(channel, date, &nonce))
            .await
    }

    async fn attempted(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        at: Option<jiff::Timestamp>,
    ) -> Result<(), StoreError> {
        self.blocking(move |db| db.attempted(channel, date, at))
            .await
    }

    async fn delivered(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        message_id: &str,
        covered_until: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let message_id = message_id.to_owned();
        self.blocking(move |db| db.delivered(channel, date, &message_id, covered_until))
            .await
    }

    async fn skip(
        &self,
        channel: u64,
        date: jiff::civil::Date,
        reason: &str,
    ) -> Result<(), StoreError> {
        let reason = reason.to_owned();
        self.blocking(move |db| db.skip(channel, date, &reason))
            .await
    }

    async fn forget(&self, channel: u64, date: jiff::civil::Date) -> Result<(), StoreError> {
        self.blocking(move |db| db.forget(channel, date)).await
    }

    async fn delivery(
        &self,
        channel: u64,
        date: jiff::civil::Date,
    ) -> Result<Option<Delivery>, StoreError> {
        self.blocking(move |db| db.delivery(channel, date)).await
    }

    async fn last_delivered(&self, channel: u64) -> Result<Option<Delivery>, StoreError> {
        self.blocking(move |db| db.last_delivered(channel)).await
    }

    async fn skipped(&self, channel: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.blocking(move |db| db.skipped(channel, limit)).await
    }

    async fn record_miss(&self, question: &str, at: jiff::Timestamp) -> Result<(), StoreError> {
        let question = question.to_owned();
        self.blocking(move |db| db.record_miss(&question, at)).await
    }

    async fn misses(&self, since: Option<jiff::Timestamp>) -> Result<Vec<Miss>, StoreError> {
        self.blocking(move |db| db.misses(since)).await
    }

    async fn alert_subscribe(&self, s: &AlertSubscription) -> Result<(), StoreError> {
        let s = s.clone();
        self.blocking(move |db| db.alert_subscribe(&s)).await
    }

    async fn alert_unsubscribe(&self, channel: u64) -> Result<bool, StoreError> {
        self.blocking(move |db| db.alert_unsubscribe(channel)).await
    }

    async fn alert_subscriptions(&self) -> Result<Vec<AlertSubscription>, StoreError> {
        self.blocking(Sqlite::alert_subscriptions).await
    }

    async fn sync_alert_config(
        &self,
        list: &[AlertSubscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        let list = list.to_vec();
        self.blocking(move |db| db.sync_alert_config(&list, remove_missing))
            .await
    }

    async fn pause_alerts(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        let reason = reason.to_owned();
        self.blocking(move |db| db.pause_alerts(channel, &reason))
            .await
    }

    async fn alert_state(&self) -> Result<Option<String>, StoreError> {
        self.blocking(Sqlite::alert_state).await
    }

    async fn advance_alerts(
        &self,
        expected: Option<&str>,
        state: &str,
        alert: Option<&Alert>,
    ) -> Result<bool, StoreError> {
        let (expected, state) = (expected.map(str::to_owned), state.to_owned());
        let alert = alert.cloned();
        self.blocking(move |db| db.advance_alerts(expected.as_deref(), &state, alert.as_ref()))
            .await
    }

    async fn pending_alerts(&self, channel: u64, after: i64) -> Result<Vec<Alert>, StoreError> {
        self.blocking(move |db| db.pending_alerts(channel, after))
            .await
    }

    async fn claim_alert(
        &self,
        channel: u64,
        seq: i64,
        nonce: &str,
    ) -> Result<(Claim, u32), StoreError> {
        let nonce = nonce.to_owned();
        self.blocking(move |db| db.claim_alert(channel, seq, &nonce))
            .await
    }

    async fn mark_alert(&self, channel: u64, seq: i64, mark: &AlertMark) -> Result<(), StoreError> {
        let mark = mark.clone();
        self.blocking(move |db| db.mark_alert(channel, seq, &mark))
            .await
    }

    async fn last_alert(
        &self,
        channel: u64,
    ) -> Result<Option<(jiff::Timestamp, String)>, StoreError> {
        self.blocking(move |db| db.last_alert(channel)).await
    }

    async fn channel_info(&self, channel: u64) -> Result<Option<ChannelInfo>, StoreError> {
        self.blocking(move |db| db.channel_info(channel)).await
    }

    async fn note_channel(&self, channel: u64, info: &ChannelInfo) -> Result<(), StoreError> {
        let info = info.clone();
        self.blocking(move |db| db.note_channel(channel, &info))
            .await
    }

    async fn record(
        &self,
        channel: u64,
        guild: Option<u64>,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.blocking(move |db| db.record(channel, guild, &entry))
            .await
    }

    async fn history(&self, channel: u64, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.blocking(move |db| db.history(channel, limit)).await
    }

    async fn open_incident(
        &self,
        channel: u64,
        guild: Option<u64>,
        kind: IncidentKind,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<Incident, StoreError> {
        let reason = reason.to_owned();
        self.blocking(move |db| db.open_incident(channel, guild, kind, &reason, at))
            .await
    }

    async fn end_incident(
        &self,
        channel: u64,
        at: jiff::Timestamp,
    ) -> Result<Option<Incident>, StoreError> {
        self.blocking(move |db| db.end_incident(channel, at)).await
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        self.blocking(Sqlite::open_incidents).await
    }

    async fn claim_notice(
        &self,
        id: i64,
        seen: Option<jiff::Timestamp>,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.blocking(move |db| db.claim_notice(id, seen, at)).await
    }

    async fn noticed(
        &self,
        id: i64,
        message_id: Option<&str>,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let message_id = message_id.map(str::to_owned);
        self.blocking(move |db| db.noticed(id, message_id.as_deref(), at))
            .await
    }

    async fn forget_guild(
        &self,
        guild: u64,
        keep_configured: bool,
    ) -> Result<Forgotten, StoreError> {
        self.blocking(move |db| db.forget_guild(guild, keep_configured))
            .await
    }
}

/// The throwaway PostgreSQL server the tests start (shared with the e2e binary).
#[cfg(all(test, feature = "postgres"))]
#[path = "../../tests/e2e/support/postgres.rs"]
pub(crate) mod test_cluster;

/// The same tests for every store: SQLite always, PostgreSQL with the `postgres` feature when a
/// server can be started (else they say it was skipped).
#[cfg(test)]
mod tests {
    use super::*;

    /// A database the tests use, which they can open again (a restart).
    enum TestDb {
        Sqlite(tempfile::TempDir),
        #[cfg(feature = "postgres")]
        Postgres(crate::digest::DatabaseUrl),
    }

    impl TestDb {
        async fn open(&self) -> Arc<dyn Store> {
            let database = match self {
                TestDb::Sqlite(dir) => {
                    crate::digest::Database::Sqlite(dir.path().join("state/factdesk.db"))
                }
                #[cfg(feature = "postgres")]
                TestDb::Postgres(url) => crate::digest::Database::Postgres {
                    url: url.clone(),
                    lease: std::time::Duration::from_secs(30),
                },
            };
            database.open().await.expect("open the store")
        }
    }

    /// Every database the store tests run against.
    async fn databases() -> Vec<TestDb> {
        #[allow(unused_mut)]
        let mut all = vec![TestDb::Sqlite(tempfile::tempdir().expect("dir"))];
        #[cfg(feature = "postgres")]
        if let Some(cluster) = test_cluster::cluster() {
            let url = cluster.database().await;
            all.push(TestDb::Postgres(
                crate::digest::DatabaseUrl::parse(&url).expect("a postgres URL"),
            ));
        }
        all
    }

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("an RFC 3339 instant")
    }

    #[tokio::test]
    async fn a_claim_is_exclusive_until_delivered() {
        for db in databases().await {
            let s = db.open().await;
            let date = jiff::civil::date(2026, 2, 25);
            assert_eq!(
                s.claim(1, date, "n1").await.unwrap(),
                Claim::Fresh { nonce: "n1".into() }
            );
            // A second claim (a restart) gets the same nonce back, not a new one.
            assert_eq!(
                s.claim(1, date, "n2").await.unwrap(),
                Claim::Unconfirmed {
                    nonce: "n1".into(),
                    attempted: None
                }
            );
            // A post sent off is remembered until its outcome is known.
            s.attempted(1, date, Some(at("2026-02-25T02:30:00Z")))
                .await
                .unwrap();
            assert_eq!(
                s.claim(1, date, "n2").await.unwrap(),
                Claim::Unconfirmed {
                    nonce: "n1".into(),
                    attempted: Some(at("2026-02-25T02:30:00Z"))
                }
            );
            s.delivered(1, date, "m1", at("2026-02-25T06:00:00Z"))
                .await
                .unwrap();
            assert_eq!(
                s.claim(1, date, "n3").await.unwrap(),
                Claim::Delivered {
                    message_id: "m1".into()
                }
            );
            let last = s.last_delivered(1).await.unwrap().unwrap();
            assert_eq!(last.message_id.as_deref(), Some("m1"));
            assert_eq!(last.covered_until, Some(at("2026-02-25T06:00:00Z")));
            // A skip never overwrites a delivery.
            s.skip(1, date, "late").await.unwrap();
            assert_eq!(
                s.delivery(1, date).await.unwrap().unwrap().state,
                DeliveryState::Delivered
            );
            // A skipped day says why; forgetting it makes it claimable afresh.
            let next = jiff::civil::date(2026, 2, 26);
            s.skip(1, next, "missed").await.unwrap();
            assert_eq!(
                s.claim(1, next, "n4").await.unwrap(),
                Claim::Skipped {
                    reason: "missed".into()
                }
            );
            assert_eq!(s.skipped(1, 3).await.unwrap()[0].date, next);
            s.forget(1, next).await.unwrap();
            assert_eq!(
                s.claim(1, next, "n5").await.unwrap(),
                Claim::Fresh { nonce: "n5".into() }
            );
        }
    }

    fn sub(channel: u64, origin: Origin) -> Subscription {
        Subscription {
            channel_id: channel,
            guild_id: Some(9),
            local_time: jiff::civil::time(8, 0, 0, 0),
            time_zone: "Asia/Kolkata".into(),
            webhook: None,
            origin,
            mode: Mode::Daily,
            paused: None,
            active_from: None,
            locale: None,
        }
    }

    /// An alert subscription of `channel` in guild 9: no role, unpaused, in English.
    fn alert_sub(channel: u64, origin: Origin) -> AlertSubscription {
        AlertSubscription {
            channel_id: channel,
            guild_id: Some(9),
            role_id: None,
            origin,
            paused: None,
            after: 0,
            locale: None,
        }
    }

    #[tokio::test]
    async fn a_channels_language_is_kept_replaced_on_resubscribing_and_none_is_english() {
        for db in databases().await {
            let s = db.open().await;
            let locale = |l: Option<&str>| l.map(str::to_owned);
            // From Discord: the server's locale, replaced when it subscribes again.
            let mut made = sub(1, Origin::Discord);
            made.locale = locale(Some("hi"));
            s.upsert(&made).await.unwrap();
            assert_eq!(s.subscription(1).await.unwrap(), Some(made.clone()));
            made.locale = locale(Some("en-US"));
            s.upsert(&made).await.unwrap();
            assert_eq!(
                s.subscription(1).await.unwrap().unwrap().locale,
                locale(Some("en-US"))
            );
            s.upsert(&sub(1, Origin::Discord)).await.unwrap();
            assert_eq!(s.subscription(1).await.unwrap().unwrap().locale, None);
            // From the file: its `locale`; a new language keeps a pause (it fixes no refusal).
            let mut configured = sub(2, Origin::Config);
            configured.locale = locale(Some("hi"));
            s.sync_config(std::slice::from_ref(&configured), true)
                .await
                .unwrap();
            s.pause(2, "403 Missing Access").await.unwrap();
            configured.locale = None;
            s.sync_config(std::slice::from_ref(&configured), true)
                .await
                .unwrap();
            let kept = s.subscription(2).await.unwrap().unwrap();
            assert_eq!(
                (kept.locale, kept.paused.as_deref()),
                (None, Some("403 Missing Access"))
            );
            // Alerts alike.
            let alert = |channel, origin, l: Option<&str>| AlertSubscription {
                locale: locale(l),
                ..alert_sub(channel, origin)
            };
            s.alert_subscribe(&alert(3, Origin::Discord, Some("hi")))
                .await
                .unwrap();
            s.sync_alert_config(&[alert(4, Origin::Config, Some("hi-IN"))], true)
                .await
                .unwrap();
            let languages = |list: Vec<AlertSubscription>| -> Vec<(u64, Option<String>)> {
                list.into_iter().map(|a| (a.channel_id, a.locale)).collect()
            };
            assert_eq!(
                languages(s.alert_subscriptions().await.unwrap()),
                [(3, locale(Some("hi"))), (4, locale(Some("hi-IN")))]
            );
            s.alert_subscribe(&alert(3, Origin::Discord, None))
                .await
                .unwrap();
            s.sync_alert_config(&[alert(4, Origin::Config, None)], true)
                .await
                .unwrap();
            assert_eq!(
                languages(s.alert_subscriptions().await.unwrap()),
                [(3, None), (4, None)]
            );
        }
    }

    /// A database made before languages were kept (schema 7) gains the column with NULL —
    /// English — for every existing subscription.
    #[tokio::test]
    async fn subscriptions_made_before_languages_were_kept_are_english() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("factdesk.db");
        {
            let conn = Connection::open(&path).expect("open");
            for sql in &MIGRATIONS[..7] {
                conn.execute_batch(sql).expect("migrate to 7");
            }
            conn.pragma_update(None, "user_version", 7)
                .expect("version");
            conn.execute_batch(
                "INSERT INTO subscriptions (channel_id, local_time, time_zone, origin, created_at, updated_at)
                 VALUES (1, '08:00', 'Asia/Kolkata', 'discord', '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z');
                 INSERT INTO alert_subscriptions (channel_id, origin, after_seq, created_at, updated_at)
                 VALUES (2, 'discord', 0, '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z');",
            )
            .expect("rows of schema 7");
        }
        let s = SqliteStore::open(&path).expect("migrates to 8");
        let old = s.subscription(1).await.unwrap().expect("kept");
        assert_eq!((old.time_zone.as_str(), old.locale), ("Asia/Kolkata", None));
        let alerts = s.alert_subscriptions().await.unwrap();
        assert_eq!((alerts[0].channel_id, alerts[0].locale.clone()), (2, None));
    }

    #[tokio::test]
    async fn subscriptions_survive_reopening_and_config_sync_keeps_discord_ones() {
        for db in databases().await {
            {
                let s = db.open().await;
                let mut made = sub(1, Origin::Discord);
                made.active_from = Some(at("2026-02-24T10:00:00Z"));
                made.webhook = Some(Webhook::Env("DIGEST_HOOK".into()));
                s.upsert(&made).await.unwrap();
                assert_eq!(s.subscription(1).await.unwrap(), Some(made.clone()));
                s.upsert(&sub(1, Origin::Discord)).await.unwrap();
                s.sync_config(&[sub(2, Origin::Config)], true)
                    .await
                    .unwrap();
            }
            let s = db.open().await;
            assert_eq!(s.subscriptions().await.unwrap().len(), 2);
            s.sync_config(&[], true).await.unwrap();
            assert_eq!(
                s.subscriptions().await.unwrap(),
                vec![sub(1, Origin::Discord)]
            );
            // Config sync: a pause survives an unchanged entry, Discord-made rows are never
            // taken over.
            s.sync_config(&[sub(2, Origin::Config)], true)
                .await
                .unwrap();
            s.pause(2, "404 Unknown Channel").await.unwrap();
            s.sync_config(&[sub(2, Origin::Config), sub(1, Origin::Config)], true)
                .await
                .unwrap();
            assert_eq!(
                s.subscription(2).await.unwrap().unwrap().paused.as_deref(),
                Some("404 Unknown Channel")
            );
            assert_eq!(
                s.subscription(1).await.unwrap().unwrap().origin,
                Origin::Discord
            );
            // A changed entry lifts the pause.
            let mut later = sub(2, Origin::Config);
            later.local_time = jiff::civil::time(9, 0, 0, 0);
            s.sync_config(&[later], true).await.unwrap();
            assert_eq!(s.subscription(2).await.unwrap().unwrap().paused, None);
            s.sync_config(&[], false).await.unwrap();
            assert!(
                s.subscription(2).await.unwrap().is_some(),
                "a non-authoritative sync deletes nothing"
            );
            s.pause(1, "403 Missing Access").await.unwrap();
            assert_eq!(
                s.subscription(1).await.unwrap().unwrap().paused.as_deref(),
                Some("403 Missing Access")
            );
            assert!(s.remove(1).await.unwrap());
            assert!(!s.remove(1).await.unwrap());
        }
    }

    fn line(date: &str, outcome: DeliveryOutcome, at_: &str) -> HistoryEntry {
        HistoryEntry {
            at: at(at_),
            date: date.parse().expect("a date"),
            outcome,
            message_id: (outcome == DeliveryOutcome::Delivered).then(|| format!("m{date}")),
            detail: (outcome != DeliveryOutcome::Delivered).then(|| "why".to_owned()),
            attempts: 1,
        }
    }

    #[tokio::test]
    async fn the_history_keeps_the_last_30_and_counts_a_days_failures_into_one_line() {
        use crate::engine::subscriptions::HISTORY_LEN;
        for db in databases().await {
            let s = db.open().await;
            let failed = DeliveryOutcome::Failed;
            s.record(
                1,
                Some(9),
                &line("2026-01-01", failed, "2026-01-01T02:30:00Z"),
            )
            .await
            .unwrap();
            s.record(
                1,
                Some(9),
                &line("2026-01-01", failed, "2026-01-01T02:35:00Z"),
            )
            .await
            .unwrap();
            let delivered = line(
                "2026-01-01",
                DeliveryOutcome::Delivered,
                "2026-01-01T02:40:00Z",
            );
            s.record(1, Some(9), &delivered).await.unwrap();
            let h = s.history(1, HISTORY_LEN).await.unwrap();
            assert_eq!(h.len(), 2, "{h:?}");
            assert_eq!(h[0], delivered);
            assert_eq!((h[1].outcome, h[1].attempts), (failed, 2));
            assert_eq!(h[1].at, at("2026-01-01T02:35:00Z"));
            let mut day = jiff::civil::date(2026, 1, 2);
            for _ in 0..35 {
                let d = day.to_string();
                s.record(
                    1,
                    Some(9),
                    &line(&d, DeliveryOutcome::Delivered, "2026-02-01T00:00:00Z"),
                )
                .await
                .unwrap();
                day = day.tomorrow().unwrap();
            }
            let h = s.history(1, 100).await.unwrap();
            assert_eq!(h.len(), HISTORY_LEN);
            assert_eq!(h[0].date, jiff::civil::date(2026, 2, 5), "newest first");
            assert_eq!(h[29].date, jiff::civil::date(2026, 1, 7), "the oldest kept");
            assert!(s.history(2, 100).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn one_open_incident_per_channel_and_its_notice_claimed_once() {
        for db in databases().await {
            let s = db.open().await;
            let t0 = at("2026-02-25T02:30:00Z");
            let first = s
                .open_incident(1, Some(9), IncidentKind::Failing, "500", t0)
                .await
                .unwrap();
            let again = s
                .open_incident(
                    1,
                    Some(9),
                    IncidentKind::Failing,
                    "502",
                    at("2026-02-25T02:35:00Z"),
                )
                .await
                .unwrap();
            assert_eq!(
                (again.id, again.started_at),
                (first.id, t0),
                "the same incident"
            );
            assert_eq!(again.reason, "502");
            // A pause ends the failing incident and opens its own.
            let paused = s
                .open_incident(
                    1,
                    Some(9),
                    IncidentKind::Paused,
                    "404",
                    at("2026-02-25T03:00:00Z"),
                )
                .await
                .unwrap();
            assert_ne!(paused.id, first.id);
            assert_eq!(s.open_incidents().await.unwrap(), vec![paused.clone()]);
            // Claimed once: a second claim from the same reading loses.
            let now = at("2026-02-25T03:01:00Z");
            assert!(s.claim_notice(paused.id, None, now).await.unwrap());
            assert!(!s.claim_notice(paused.id, None, now).await.unwrap());
            // A failed post gives it back; a posted one is never claimed again.
            s.noticed(paused.id, None, now).await.unwrap();
            assert!(s.claim_notice(paused.id, None, now).await.unwrap());
            s.noticed(paused.id, Some("m1"), now).await.unwrap();
            let open = s.open_incidents().await.unwrap();
            assert_eq!(open[0].notified_at, Some(now));
            assert!(!s
                .claim_notice(paused.id, open[0].notice_claimed_at, now)
                .await
                .unwrap());
            // Recovery ends it; the next trouble is a new incident.
            let ended = s.end_incident(1, now).await.unwrap();
            assert_eq!(ended.map(|i| i.id), Some(paused.id));
            assert!(s.open_incidents().await.unwrap().is_empty());
            assert_eq!(s.end_incident(1, now).await.unwrap(), None);
            let next = s
                .open_incident(1, Some(9), IncidentKind::Paused, "404", now)
                .await
                .unwrap();
            assert!(next.id != paused.id && next.notified_at.is_none());
        }
    }

    #[tokio::test]
    async fn forgetting_a_guild_removes_only_its_channels() {
        for db in databases().await {
            let s = db.open().await;
            let date = jiff::civil::date(2026, 2, 25);
            let mut other = sub(3, Origin::Discord);
            other.guild_id = Some(8);
            for sub in [sub(1, Origin::Discord), other.clone()] {
                s.upsert(&sub).await.unwrap();
            }
            s.sync_config(&[sub(2, Origin::Config)], true)
                .await
                .unwrap();
            for channel in [1, 2, 3, 4] {
                s.claim(channel, date, "n").await.unwrap();
                s.delivered(channel, date, "m", at("2026-02-25T02:30:00Z"))
                    .await
                    .unwrap();
                let guild = if channel == 3 { 8 } else { 9 };
                let entry = line(
                    "2026-02-25",
                    DeliveryOutcome::Delivered,
                    "2026-02-25T02:30:00Z",
                );
                s.record(channel, Some(guild), &entry).await.unwrap();
            }
            s.open_incident(
                1,
                Some(9),
                IncidentKind::Paused,
                "404",
                at("2026-02-25T02:30:00Z"),
            )
            .await
            .unwrap();
            // Alert subscriptions: the server's own (5) and another server's (6).
            for (channel, guild) in [(5, 9), (6, 8)] {
                s.alert_subscribe(&AlertSubscription {
                    guild_id: Some(guild),
                    ..alert_sub(channel, Origin::Discord)
                })
                .await
                .unwrap();
            }
            // Keeping configured ones: channel 2 stays, with its records.
            let kept = s.forget_guild(9, true).await.unwrap();
            assert_eq!(kept.alerts, 1, "the server's alert subscription");
            let alerting: Vec<u64> = s
                .alert_subscriptions()
                .await
                .unwrap()
                .iter()
                .map(|a| a.channel_id)
                .collect();
            assert_eq!(alerting, vec![6]);
            assert_eq!(kept.subscriptions, vec![(1, Origin::Discord)]);
            assert_eq!(kept.kept, vec![2]);
            // Channel 4 (unsubscribed earlier) is found through its history.
            assert_eq!((kept.deliveries, kept.history, kept.incidents), (2, 2, 1));
            let all = s.forget_guild(9, false).await.unwrap();
            assert_eq!(all.subscriptions, vec![(2, Origin::Config)]);
            assert_eq!((all.deliveries, all.history, all.incidents), (1, 1, 0));
            assert_eq!(s.subscriptions().await.unwrap(), vec![other]);
            assert!(s.delivery(3, date).await.unwrap().is_some());
            assert_eq!(s.history(3, 30).await.unwrap().len(), 1);
            assert!(s.delivery(4, date).await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn alerts_are_made_once_per_state_and_claimed_part_by_part() {
        for db in databases().await {
            let s = db.open().await;
            let sub = |channel, role| AlertSubscription {
                guild_id: None,
                role_id: role,
                ..alert_sub(channel, Origin::Config)
            };
            s.sync_alert_config(&[sub(1, Some(5))], true).await.unwrap();
            assert_eq!(s.alert_state().await.unwrap(), None);
            assert!(s.advance_alerts(None, "u:a=reported", None).await.unwrap());
            let alert = Alert {
                seq: 0,
                key: "k1".into(),
                changes: vec!["added:b".into()],
                made_at: at("2026-02-26T10:00:00Z"),
            };
            // Another process moved the state first: refused, nothing made.
            assert!(!s.advance_alerts(None, "x", Some(&alert)).await.unwrap());
            assert!(s
                .advance_alerts(
                    Some("u:a=reported"),
                    "u:a=reported\nu:b=confirmed",
                    Some(&alert)
                )
                .await
                .unwrap());
            // A channel subscribing now is owed only later alerts.
            s.alert_subscribe(&sub(2, None)).await.unwrap();
            let pending = s.pending_alerts(1, 0).await.unwrap();
            assert_eq!(pending.len(), 1);
            assert_eq!(pending[0].changes, ["added:b"]);
            let later = s.alert_subscriptions().await.unwrap();
            assert!(s
                .pending_alerts(2, later[1].after)
                .await
                .unwrap()
                .is_empty());
            let seq = pending[0].seq;
            assert_eq!(
                s.claim_alert(1, seq, "n1").await.unwrap(),
                (Claim::Fresh { nonce: "n1".into() }, 0)
            );
            let part = AlertMark::Part {
                done: 1,
                message_id: "m1".into(),
            };
            s.mark_alert(1, seq, &part).await.unwrap();
            // A restart resumes after the posted part, with the same nonce.
            assert_eq!(
                s.claim_alert(1, seq, "n2").await.unwrap(),
                (
                    Claim::Unconfirmed {
                        nonce: "n1".into(),
                        attempted: None
                    },
                    1
                )
            );
            s.mark_alert(1, seq, &AlertMark::Delivered).await.unwrap();
            assert!(s.pending_alerts(1, 0).await.unwrap().is_empty());
            assert_eq!(
                s.last_alert(1).await.unwrap(),
                Some((at("2026-02-26T10:00:00Z"), "m1".into()))
            );
            let info = ChannelInfo {
                kind: Some(5),
                publishing: Some("403".into()),
            };
            s.note_channel(1, &info).await.unwrap();
            assert_eq!(s.channel_info(1).await.unwrap(), Some(info));
            s.pause_alerts(1, "404").await.unwrap();
            assert!(s.alert_unsubscribe(2).await.unwrap());
            s.sync_alert_config(&[], true).await.unwrap();
            assert!(s.alert_subscriptions().await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn missed_questions_are_counted_most_asked_first() {
        for db in databases().await {
            let s = db.open().await;
            s.record_miss("japan", at("2026-02-20T10:00:00Z"))
                .await
                .unwrap();
            s.record_miss("drones price", at("2026-02-21T10:00:00Z"))
                .await
                .unwrap();
            s.record_miss("japan", at("2026-02-22T10:00:00Z"))
                .await
                .unwrap();
            let all = s.misses(None).await.unwrap();
            let counted: Vec<_> = all.iter().map(|m| (m.question.as_str(), m.count)).collect();
            assert_eq!(counted, [("japan", 2), ("drones price", 1)]);
            assert_eq!(all[0].last_seen, at("2026-02-22T10:00:00Z"));
            let recent = s.misses(Some(at("2026-02-22T00:00:00Z"))).await.unwrap();
            assert_eq!(recent.len(), 1);
        }
    }
}
