//! Digest state in PostgreSQL (`DATABASE_URL`, cargo feature `postgres`): the [`Store`] that
//! several processes share — HTTP replicas saving `/digest subscribe`, and digest workers
//! racing for the same due digests.
//!
//! Async and pooled (tokio-postgres over deadpool), with the same tables and rules as SQLite.
//! What sharing adds is the *lease*: a worker's claim on a day names it (`claimed_by`) and
//! lasts until `lease_until`, which the worker renews while it lives. Another worker asking
//! for the day gets [`Claim::Held`] and looks again when the lease runs out; once it has run
//! out (the holder died), the next claim takes the day over as [`Claim::Unconfirmed`], and the
//! usual nonce path settles it — resent with its nonce, or found in the channel — so a day is
//! posted once however many workers race for it. Lease times are the database's clock, the
//! one clock every worker shares.
//!
//! Migrations are embedded and run at open: in one transaction, under an advisory lock (two
//! processes starting at once take turns), recorded in `factdesk_schema`. This module must
//! never show the URL's password: errors name the database by [`DatabaseUrl`]'s masked form.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use jiff::civil::{Date, Time};
use jiff::Timestamp;
use tokio_postgres::{NoTls, Row};

use super::{
    origin_name, Alert, AlertMark, AlertSubscription, ChannelInfo, Claim, Delivery, DeliveryState,
    Forgotten, HistoryEntry, Incident, IncidentKind, Miss, Mode, Origin, Store, StoreError,
    Subscription, Webhook, MAX_MISSES,
};

mod alerts;
use crate::digest::database::DatabaseUrl;

/// Schema migrations, applied in order inside one transaction; `factdesk_schema` records how
/// many ran. Append, never edit: a running older replica may still read the tables.
const MIGRATIONS: &[&str] = &[
    // 1: SQLite's five migrations as one, plus the claim's lease.
    "CREATE TABLE subscriptions (
        channel_id   BIGINT PRIMARY KEY,
        guild_id     BIGINT,
        local_time   TIME NOT NULL,
        time_zone    TEXT NOT NULL,
        -- where the webhook URL is (env:NAME or file:PATH), never the URL
        webhook_url  TEXT,
        origin       TEXT NOT NULL CHECK (origin IN ('config', 'discord')),
        paused       TEXT,
        active_from  TIMESTAMPTZ,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE deliveries (
        channel_id    BIGINT NOT NULL,
        date          DATE NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('claimed', 'delivered', 'skipped')),
        nonce         TEXT NOT NULL,
        message_id    TEXT,
        covered_until TIMESTAMPTZ,
        reason        TEXT,
        attempted_at  TIMESTAMPTZ,
        claimed_by    TEXT,
        lease_until   TIMESTAMPTZ,
        claimed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, date)
    );
    CREATE INDEX deliveries_claimed_by ON deliveries (claimed_by) WHERE state = 'claimed';
    CREATE TABLE misses (
        question   TEXT PRIMARY KEY,
        count      BIGINT NOT NULL,
        first_seen TIMESTAMPTZ NOT NULL,
        last_seen  TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX misses_last_seen ON misses (last_seen);",
    // 2: change alerts (`alerts.rs`), as SQLite's migration 6, with the claim's lease.
    "CREATE TABLE alert_subscriptions (
        channel_id  BIGINT PRIMARY KEY,
        guild_id    BIGINT,
        role_id     BIGINT,
        origin      TEXT NOT NULL CHECK (origin IN ('config', 'discord')),
        paused      TEXT,
        after_seq   BIGINT NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE alerts (
        seq      BIGSERIAL PRIMARY KEY,
        key      TEXT NOT NULL UNIQUE,
        changes  TEXT NOT NULL,
        made_at  TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE alert_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        state       TEXT NOT NULL,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE alert_deliveries (
        channel_id    BIGINT NOT NULL,
        seq           BIGINT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('claimed', 'delivered', 'skipped')),
        nonce         TEXT NOT NULL,
        parts_done    INTEGER NOT NULL DEFAULT 0,
        message_id    TEXT,
        reason        TEXT,
        attempted_at  TIMESTAMPTZ,
        claimed_by    TEXT,
        lease_until   TIMESTAMPTZ,
        claimed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, seq)
    );
    CREATE TABLE channels (
        channel_id  BIGINT PRIMARY KEY,
        kind        SMALLINT,
        publishing  TEXT,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );",
    // 3: SQLite's 7 — a subscription's mode, the delivery history, incidents.
    "ALTER TABLE subscriptions ADD COLUMN mode TEXT NOT NULL DEFAULT 'daily' CHECK (mode IN ('daily', 'updates'));
    CREATE TABLE delivery_history (
        seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel_id BIGINT NOT NULL,
        guild_id   BIGINT,
        at         TIMESTAMPTZ NOT NULL,
        date       DATE NOT NULL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('delivered', 'skipped', 'paused', 'failed')),
        message_id TEXT,
        detail     TEXT,
        attempts   INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX delivery_history_channel ON delivery_history (channel_id, seq);
    CREATE INDEX delivery_history_guild ON delivery_history (guild_id);
    CREATE TABLE incidents (
        id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel_id        BIGINT NOT NULL,
        guild_id          BIGINT,
        kind              TEXT NOT NULL CHECK (kind IN ('paused', 'failing')),
        reason            TEXT NOT NULL,
        started_at        TIMESTAMPTZ NOT NULL,
        notice_claimed_at TIMESTAMPTZ,
        notified_at       TIMESTAMPTZ,
        notice_message_id TEXT,
        ended_at          TIMESTAMPTZ
    );
    CREATE UNIQUE INDEX incidents_open ON incidents (channel_id) WHERE ended_at IS NULL;",
    // 4: SQLite's 8 — the language a channel's posts are written in (NULL: English).
    "ALTER TABLE subscriptions ADD COLUMN locale TEXT;
    ALTER TABLE alert_subscriptions ADD COLUMN locale TEXT;",
];

/// Advisory lock keys (any fixed numbers; "fd" and a purpose): migrations, and the config sync.
const MIGRATION_LOCK: i64 = 0x6664_0001;
const SYNC_LOCK: i64 = 0x6664_0002;

/// Connections one process keeps at most: the scheduler's channel tasks, `/digest` answers
/// and the missed-question writer share them.
const POOL_SIZE: usize = 16;
/// How long a query waits for a connection, and a connection for the server.
const WAIT: Duration = Duration::from_secs(10);
/// A worker that comes back for a held day comes this much after the lease's end, so the
/// lease has surely run out by the database's clock.
const LEASE_MARGIN: Duration = Duration::from_millis(100);

/// Where leased claims are kept: a table keyed by channel and one more column, with the
/// claim's `state`, `nonce`, `claimed_by`, `lease_until`, `attempted_at`, `message_id` and
/// `reason`; `parts` reads how many parts were posted.
#[derive(Clone, Copy)]
struct Leased {
    table: &'static str,
    key_column: &'static str,
    parts: &'static str,
}

/// A digest's day in a channel (one message: no parts).
const DIGEST_DAYS: Leased = Leased {
    table: "deliveries",
    key_column: "date",
    parts: "0",
};

/// A change alert in a channel, posted part by part.
const ALERT_POSTS: Leased = Leased {
    table: "alert_deliveries",
    key_column: "seq",
    parts: "parts_done",
};

/// The PostgreSQL store: a connection pool, this process's name as a claimer, and the task
/// that renews its leases.
pub struct PgStore {
    pool: Pool,
    /// The database as errors name it (password masked).
    label: String,
    /// Who this process is in `claimed_by`: host, pid and start time.
    worker: String,
    lease: Duration,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// This process as a claimer: `host/pid/start` (the host is the pod's name in Kubernetes).
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "factdesk".into());
    let started = Timestamp::now().as_nanosecond();
    format!("{host}/{}/{started:x}", std::process::id())
}

/// A driver or pool error as one line, with the server's message when there is one.
fn reason(e: &dyn std::fmt::Display) -> String {
    e.to_string().replace('\n', " ")
}

impl PgStore {
    /// Connects to `url`, runs pending migrations and starts renewing this process's leases
    /// (every third of `lease`). Call inside the tokio runtime.
    pub async fn open(url: &DatabaseUrl, lease: Duration) -> Result<PgStore, StoreError> {
        let label = url.to_string();
        let failed = |why: String| StoreError::Postgres {
            database: label.clone(),
            reason: why,
        };
        let mut config: tokio_postgres::Config = url
            .expose()
            .parse()
            .map_err(|e| failed(format!("DATABASE_URL cannot be read: {}", reason(&e))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(WAIT);
        }
        if config.get_application_name().is_none() {
            config.application_name("factdesk");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .recycle_timeout(Some(WAIT))
            .build()
            .map_err(|e| failed(reason(&e)))?;
        let worker = worker_name();
        let renewal = tokio::spawn(renew(pool.clone(), worker.clone(), lease, label.clone()));
        let store = PgStore {
            pool,
            label,
            worker,
            lease,
            renewal,
        };
        store.migrate().await?;
        Ok(store)
    }

    fn fail(&self, e: &dyn std::fmt::Display) -> StoreError {
        StoreError::Postgres {
            database: self.label.clone(),
            reason: reason(e),
        }
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| self.fail(&e))
    }

    /// Runs the migrations this database lacks, all in one transaction, holding an advisory
    /// lock so that processes starting together migrate one after another.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.fail(&e))?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(fail)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS factdesk_schema (
                version    INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(fail)?;
        let row = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM factdesk_schema", &[])
            .await
            .map_err(fail)?;
        let done = usize::try_from(row.get::<_, i32>(0)).unwrap_or(0);
        if done > MIGRATIONS.len() {
            tracing::warn!(
                database = %self.label,
                schema = done,
                known = MIGRATIONS.len(),
                "the digest database was migrated by a newer factdesk; carrying on"
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.batch_execute(sql).await.map_err(fail)?;
            tx.execute(
                "INSERT INTO factdesk_schema (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(fail)?;
            tracing::info!(database = %self.label, version, "digest database migrated");
        }
        tx.commit().await.map_err(fail)
    }

    /// The name this process claims under (`claimed_by`): `host/pid/start`.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The lease as PostgreSQL's interval arithmetic takes it (seconds).
    fn lease_seconds(&self) -> f64 {
        self.lease.as_secs_f64()
    }
}

/// Renews, every third of `lease`, the leases `worker` holds, so they outlive a slow post
/// (retries, rate limits) and run out only when the process is gone. Failures are logged
/// and retried on the next tick: if the lease runs out meanwhile, another worker takes the
/// day over through the nonce path, which is what makes that safe.
async fn renew(pool: Pool, worker: String, lease: Duration, label: String) {
    let mut every = tokio::time::interval(lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let renewed = match pool.get().await {
            Ok(client) => renew_claims(&client, &worker, lease).await,
            Err(e) => Err(reason(&e)),
        };
        if let Err(error) = renewed {
            tracing::warn!(database = %label, %error, "cannot renew this worker's digest claims");
        }
    }
}

/// Renews `worker`'s claims on digests and on alerts.
async fn renew_claims(client: &Object, worker: &str, lease: Duration) -> Result<(), String> {
    for Leased { table, .. } in [DIGEST_DAYS, ALERT_POSTS] {
        let sql = format!(
            "UPDATE {table} SET lease_until = now() + make_interval(secs => $2)
             WHERE claimed_by = $1 AND state = 'claimed'"
        );
        client
            .execute(&sql, &[&worker, &lease.as_secs_f64()])
            .await
            .map_err(|e| reason(&e))?;
    }
    Ok(())
}

/// Discord snowflakes fit in BIGINT (they are < 2^63).
fn id(v: u64) -> i64 {
    v as i64
}

const SUBSCRIPTION_COLUMNS: &str =
    "channel_id, guild_id, local_time, time_zone, webhook_url, origin, paused, active_from, mode, locale";
const DELIVERY_COLUMNS: &str = "date, state, nonce, message_id, covered_until, reason";

fn subscription_row(r: &Row) -> Result<Subscription, tokio_postgres::Error> {
    let origin: String = r.try_get(5)?;
    Ok(Subscription {
        channel_id: r.try_get::<_, i64>(0)? as u64,
        guild_id: r.try_get::<_, Option<i64>>(1)?.map(|g| g as u64),
        local_time: r.try_get(2)?,
        time_zone: r.try_get(3)?,
        webhook: r
            .try_get::<_, Option<String>>(4)?
            .and_then(|w| Webhook::from_stored(&w)),
        origin: if origin == "config" {
            Origin::Config
        } else {
            Origin::Discord
        },
        paused: r.try_get(6)?,
        active_from: r.try_get(7)?,
        mode: Mode::parse(r.try_get(8)?).unwrap_or_default(),
        locale: r.try_get(9)?,
    })
}

fn delivery_row(r: &Row) -> Result<Delivery, String> {
    let state: String = r.try_get(1).map_err(|e| reason(&e))?;
    let get = |e: tokio_postgres::Error| reason(&e);
    Ok(Delivery {
        date: r.try_get(0).map_err(get)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| format!("unknown delivery state `{state}`"))?,
        nonce: r.try_get(2).map_err(get)?,
        message_id: r.try_get(3).map_err(get)?,
        covered_until: r.try_get(4).map_err(get)?,
        reason: r.try_get(5).map_err(get)?,
    })
}

/// What a claim that could not be taken is, from `state, message_id, reason, seconds of
/// lease left`: delivered, skipped, or held by a live worker (come back after its lease).
fn standing(row: &Row) -> Claim {
    let state: String = row.get(0);
    match state.as_str() {
        "delivered" => Claim::Delivered {
            message_id: row.get::<_, Option<String>>(1).unwrap_or_default(),
        },
        "skipped" => Claim::Skipped {
            reason: row.get::<_, Option<String>>(2).unwrap_or_default(),
        },
        _ => Claim::Held {
            lease_left: Duration::try_from_secs_f64(row.get::<_, Option<f64>>(3).unwrap_or(0.0))
                .unwrap_or(Duration::ZERO)
                + LEASE_MARGIN,
        },
    }
}

impl PgStore {
    /// Rows of `sql` with `params`, each read by `read`.
    async fn rows<T, E: std::fmt::Display>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        read: impl Fn(&Row) -> Result<T, E>,
    ) -> Result<Vec<T>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(|e| self.fail(&e))?;
        let rows = client
            .query(&statement, params)
            .await
            .map_err(|e| self.fail(&e))?;
        rows.iter()
            .map(|r| read(r).map_err(|e| self.fail(&e)))
            .collect()
    }

    /// How many rows `sql` changed.
    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(|e| self.fail(&e))?;
        client
            .execute(&statement, params)
            .await
            .map_err(|e| self.fail(&e))
    }

    /// Claims `key` for `channel` in `on`'s table in one transaction: a new claim (fresh);
    /// else the claim taken over when it is this worker's or its lease ran out (unconfirmed);
    /// else what the claim is — delivered, skipped, or held by a live worker. With it, how many
    /// parts were posted (alerts; always 0 for a digest's day).
    async fn claim_leased(
        &self,
        on: Leased,
        channel: u64,
        key: &(dyn tokio_postgres::types::ToSql + Sync),
        nonce: &str,
    ) -> Result<(Claim, u32), StoreError> {
        let Leased {
            table,
            key_column,
            parts,
        } = on;
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        let (channel, me, lease) = (id(channel), &self.worker, self.lease_seconds());
        let fresh = tx
            .query_opt(
                &format!("INSERT INTO {table} (channel_id, {key_column}, state, nonce, claimed_by, lease_until)
                 VALUES ($1, $2, 'claimed', $3, $4, now() + make_interval(secs => $5))
                 ON CONFLICT (channel_id, {key_column}) DO NOTHING RETURNING nonce"),
                &[&channel, key, &nonce, me, &lease],
            )
            .await
            .map_err(fail)?;
        if let Some(row) = fresh {
            tx.commit().await.map_err(fail)?;
            return Ok((Claim::Fresh { nonce: row.get(0) }, 0));
        }
        let parts_done = |row: &Row, at: usize| u32::try_from(row.get::<_, i32>(at)).unwrap_or(0);
        let taken = tx
            .query_opt(
                &format!("UPDATE {table} SET claimed_by = $3, lease_until = now() + make_interval(secs => $4), updated_at = now()
                 WHERE channel_id = $1 AND {key_column} = $2 AND state = 'claimed'
                   AND (claimed_by IS NULL OR claimed_by = $3 OR lease_until IS NULL OR lease_until <= now())
                 RETURNING nonce, attempted_at, {parts}"),
                &[&channel, key, me, &lease],
            )
            .await
            .map_err(fail)?;
        if let Some(row) = taken {
            tx.commit().await.map_err(fail)?;
            let claim = Claim::Unconfirmed {
                nonce: row.get(0),
                attempted: row.get(1),
            };
            return Ok((claim, parts_done(&row, 2)));
        }
        let row = tx
            .query_one(
                &format!(
                    "SELECT state, message_id, reason,
                        GREATEST(EXTRACT(EPOCH FROM lease_until - now()), 0)::float8, {parts}
                 FROM {table} WHERE channel_id = $1 AND {key_column} = $2"
                ),
                &[&channel, key],
            )
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok((standing(&row), parts_done(&row, 4)))
    }

    /// Makes the configured subscriptions `list`'s, in one transaction (see [`Store::sync_config`]).
    async fn sync(&self, list: &[Subscription], remove_missing: bool) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        // Workers starting together sync one after another (same rows, same order).
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SYNC_LOCK])
            .await
            .map_err(fail)?;
        if remove_missing {
            let keep: Vec<i64> = list.iter().map(|s| id(s.channel_id)).collect();
            tx.execute(
                "DELETE FROM subscriptions WHERE origin = 'config' AND NOT (channel_id = ANY($1))",
                &[&keep],
            )
            .await
            .map_err(fail)?;
        }
        for s in list {
            // A Discord-made subscription for the same channel wins (the WHERE clause); a
            // pause is lifted only when the operator changed where or when it posts (a new
            // language fixes no refusal).
            tx.execute(
                "INSERT INTO subscriptions (channel_id, guild_id, local_time, time_zone, webhook_url, origin, mode, locale)
                 VALUES ($1, $2, $3, $4, $5, 'config', $6, $7)
                 ON CONFLICT (channel_id) DO UPDATE SET
                   paused = CASE WHEN subscriptions.local_time = EXCLUDED.local_time
                                  AND subscriptions.time_zone = EXCLUDED.time_zone
                                  AND subscriptions.webhook_url IS NOT DISTINCT FROM EXCLUDED.webhook_url
                                  AND subscriptions.mode = EXCLUDED.mode
                                 THEN subscriptions.paused ELSE NULL END,
                   guild_id = EXCLUDED.guild_id, local_time = EXCLUDED.local_time,
                   time_zone = EXCLUDED.time_zone, webhook_url = EXCLUDED.webhook_url,
                   mode = EXCLUDED.mode, locale = EXCLUDED.locale, updated_at = now()
                 WHERE subscriptions.origin = 'config'",
                &[
                    &id(s.channel_id),
                    &s.guild_id.map(id),
                    &minute(s.local_time),
                    &s.time_zone,
                    &s.webhook.as_ref().map(Webhook::stored),
                    &s.mode.name(),
                    &s.locale,
                ],
            )
            .await
            .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }
}

/// A subscription's time as stored: to the minute, as SQLite keeps it (`HH:MM`).
fn minute(t: Time) -> Time {
    Time::new(t.hour(), t.minute(), 0, 0).unwrap_or(t)
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn upsert(&self, s: &Subscription) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO subscriptions (channel_id, guild_id, local_time, time_zone, webhook_url, origin, paused, active_from, mode, locale)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (channel_id) DO UPDATE SET guild_id = EXCLUDED.guild_id, local_time = EXCLUDED.local_time,
               time_zone = EXCLUDED.time_zone, webhook_url = EXCLUDED.webhook_url, origin = EXCLUDED.origin,
               paused = EXCLUDED.paused, active_from = EXCLUDED.active_from, mode = EXCLUDED.mode,
               locale = EXCLUDED.locale, updated_at = now()",
            &[
                &id(s.channel_id),
                &s.guild_id.map(id),
                &minute(s.local_time),
                &s.time_zone,
                &s.webhook.as_ref().map(Webhook::stored),
                &origin_name(s.origin),
                &s.paused,
                &s.active_from,
                &s.mode.name(),
                &s.locale,
            ],
        )
        .await
        .map(drop)
    }

    async fn remove(&self, channel: u64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM subscriptions WHERE channel_id = $1";
        Ok(self.execute(sql, &[&id(channel)]).await? > 0)
    }

    async fn subscription(&self, channel: u64) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE channel_id = $1");
        let rows = self.rows(&sql, &[&id(channel)], subscription_row).await?;
        Ok(rows.into_iter().next())
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY channel_id");
        self.rows(&sql, &[], subscription_row).await
    }

    async fn sync_config(
        &self,
        list: &[Subscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        self.sync(list, remove_missing).await
    }

    async fn pause(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        let sql = "UPDATE subscriptions SET paused = $2, updated_at = now() WHERE channel_id = $1";
        self.execute(sql, &[&id(channel), &reason]).await.map(drop)
    }

    async fn claim(&self, channel: u64, date: Date, nonce: &str) -> Result<Claim, StoreError> {
        let (claim, _) = self
            .claim_leased(DIGEST_DAYS, channel, &date, nonce)
            .await?;
        Ok(claim)
    }

    async fn attempted(
        &self,
        channel: u64,
        date: Date,
        at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deliveries SET attempted_at = $3, updated_at = now() WHERE channel_id = $1 AND date = $2";
        self.execute(sql, &[&id(channel), &date, &at])
            .await
            .map(drop)
    }

    async fn delivered(
        &self,
        channel: u64,
        date: Date,
        message_id: &str,
        covered_until: Timestamp,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deliveries SET state = 'delivered', message_id = $3, covered_until = $4, reason = NULL,
                     lease_until = NULL, updated_at = now()
                   WHERE channel_id = $1 AND date = $2";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&id(channel), &date, &message_id, &covered_until];
        self.execute(sql, &params).await.map(drop)
    }

    async fn skip(&self, channel: u64, date: Date, reason: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO deliveries (channel_id, date, state, nonce, reason) VALUES ($1, $2, 'skipped', '', $3)
                   ON CONFLICT (channel_id, date) DO UPDATE SET state = 'skipped', reason = EXCLUDED.reason,
                     lease_until = NULL, updated_at = now()
                   WHERE deliveries.state <> 'delivered'";
        self.execute(sql, &[&id(channel), &date, &reason])
            .await
            .map(drop)
    }

    async fn forget(&self, channel: u64, date: Date) -> Result<(), StoreError> {
        let sql = "DELETE FROM deliveries WHERE channel_id = $1 AND date = $2";
        self.execute(sql, &[&id(channel), &date]).await.map(drop)
    }

    async fn delivery(&self, channel: u64, date: Date) -> Result<Option<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = $1 AND date = $2"
        );
        let rows = self
            .rows(&sql, &[&id(channel), &date], delivery_row)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn last_delivered(&self, channel: u64) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = $1 AND state = 'delivered' ORDER BY date DESC LIMIT 1");
        let rows = self.rows(&sql, &[&id(channel)], delivery_row).await?;
        Ok(rows.into_iter().next())
    }

    async fn skipped(&self, channel: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = $1 AND state = 'skipped' ORDER BY date DESC LIMIT $2");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(&sql, &[&id(channel), &limit], delivery_row).await
    }

    async fn record_miss(&self, question: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        tx.execute(
            "INSERT INTO misses (question, count, first_seen, last_seen) VALUES ($1, 1, $2, $2)
             ON CONFLICT (question) DO UPDATE SET count = misses.count + 1, last_seen = EXCLUDED.last_seen",
            &[&question, &at],
        )
        .await
        .map_err(fail)?;
        // Bounded: past the limit, the least recently asked go.
        tx.execute(
            "DELETE FROM misses WHERE question IN (
               SELECT question FROM misses ORDER BY last_seen DESC OFFSET $1)",
            &[&(MAX_MISSES as i64)],
        )
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn misses(&self, since: Option<Timestamp>) -> Result<Vec<Miss>, StoreError> {
        let sql = "SELECT question, count, last_seen FROM misses
                   WHERE $1::timestamptz IS NULL OR last_seen >= $1
                   ORDER BY count DESC, last_seen DESC";
        self.rows(sql, &[&since], |r| {
            Ok::<_, tokio_postgres::Error>(Miss {
                question: r.try_get(0)?,
                count: r.try_get::<_, i64>(1)?.max(0) as u64,
                last_seen: r.try_get(2)?,
            })
        })
        .await
    }

    async fn alert_subscribe(&self, s: &AlertSubscription) -> Result<(), StoreError> {
        self.alert_upsert(s).await
    }

    async fn alert_unsubscribe(&self, channel: u64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM alert_subscriptions WHERE channel_id = $1";
        Ok(self.execute(sql, &[&id(channel)]).await? > 0)
    }

    async fn alert_subscriptions(&self) -> Result<Vec<AlertSubscription>, StoreError> {
        self.alert_list().await
    }

    async fn sync_alert_config(
        &self,
        list: &[AlertSubscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        self.alert_sync(list, remove_missing).await
    }

    async fn pause_alerts(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        let sql =
            "UPDATE alert_subscriptions SET paused = $2, updated_at = now() WHERE channel_id = $1";
        self.execute(sql, &[&id(channel), &reason]).await.map(drop)
    }

    async fn alert_state(&self) -> Result<Option<String>, StoreError> {
        let sql = "SELECT state FROM alert_state WHERE id = 1";
        let rows = self.rows(sql, &[], |r| r.try_get::<_, String>(0)).await?;
        Ok(rows.into_iter().next())
    }

    async fn advance_alerts(
        &self,
        expected: Option<&str>,
        state: &str,
        alert: Option<&Alert>,
    ) -> Result<bool, StoreError> {
        self.alert_advance(expected, state, alert).await
    }

    async fn pending_alerts(&self, channel: u64, after: i64) -> Result<Vec<Alert>, StoreError> {
        self.alert_pending(channel, after).await
    }

    async fn claim_alert(
        &self,
        channel: u64,
        seq: i64,
        nonce: &str,
    ) -> Result<(Claim, u32), StoreError> {
        self.claim_leased(ALERT_POSTS, channel, &seq, nonce).await
    }

    async fn mark_alert(&self, channel: u64, seq: i64, mark: &AlertMark) -> Result<(), StoreError> {
        self.alert_mark(channel, seq, mark).await
    }

    async fn last_alert(&self, channel: u64) -> Result<Option<(Timestamp, String)>, StoreError> {
        let sql = "SELECT a.made_at, COALESCE(d.message_id, '') FROM alert_deliveries d JOIN alerts a ON a.seq = d.seq
                   WHERE d.channel_id = $1 AND d.state = 'delivered' ORDER BY d.seq DESC LIMIT 1";
        let rows = self
            .rows(sql, &[&id(channel)], |r| {
                Ok::<_, tokio_postgres::Error>((r.try_get(0)?, r.try_get(1)?))
            })
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn channel_info(&self, channel: u64) -> Result<Option<ChannelInfo>, StoreError> {
        let sql = "SELECT kind, publishing FROM channels WHERE channel_id = $1";
        let rows = self
            .rows(sql, &[&id(channel)], |r| {
                let kind: Option<i16> = r.try_get(0)?;
                Ok::<_, tokio_postgres::Error>(ChannelInfo {
                    kind: kind.and_then(|k| u8::try_from(k).ok()),
                    publishing: r.try_get(1)?,
                })
            })
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn note_channel(&self, channel: u64, info: &ChannelInfo) -> Result<(), StoreError> {
        let sql = "INSERT INTO channels (channel_id, kind, publishing) VALUES ($1, $2, $3)
                   ON CONFLICT (channel_id) DO UPDATE SET kind = EXCLUDED.kind,
                     publishing = EXCLUDED.publishing, updated_at = now()";
        let kind = info.kind.map(i16::from);
        self.execute(sql, &[&id(channel), &kind, &info.publishing])
            .await
            .map(drop)
    }

    async fn record(
        &self,
        channel: u64,
        guild: Option<u64>,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError> {
        self.record_history(channel, guild, entry).await
    }

    async fn history(&self, channel: u64, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        let sql = "SELECT at, date, outcome, message_id, detail, attempts FROM delivery_history
                   WHERE channel_id = $1 ORDER BY seq DESC LIMIT $2";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(sql, &[&id(channel), &limit], history_row).await
    }

    async fn open_incident(
        &self,
        channel: u64,
        guild: Option<u64>,
        kind: IncidentKind,
        reason: &str,
        at: Timestamp,
    ) -> Result<Incident, StoreError> {
        self.open_one(channel, guild, kind, reason, at).await
    }

    async fn end_incident(
        &self,
        channel: u64,
        at: Timestamp,
    ) -> Result<Option<Incident>, StoreError> {
        let sql = format!(
            "UPDATE incidents SET ended_at = $2 WHERE channel_id = $1 AND ended_at IS NULL
             RETURNING {INCIDENT_COLUMNS}"
        );
        let rows = self.rows(&sql, &[&id(channel), &at], incident_row).await?;
        Ok(rows.into_iter().next())
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let sql =
            format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE ended_at IS NULL ORDER BY id");
        self.rows(&sql, &[], incident_row).await
    }

    async fn claim_notice(
        &self,
        incident: i64,
        seen: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE incidents SET notice_claimed_at = $3
                   WHERE id = $1 AND notified_at IS NULL AND notice_claimed_at IS NOT DISTINCT FROM $2";
        Ok(self.execute(sql, &[&incident, &seen, &at]).await? == 1)
    }

    async fn noticed(
        &self,
        incident: i64,
        message_id: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        match message_id {
            Some(message) => {
                let sql = "UPDATE incidents SET notified_at = $2, notice_message_id = $3 WHERE id = $1";
                self.execute(sql, &[&incident, &at, &message]).await
            }
            None => {
                let sql = "UPDATE incidents SET notice_claimed_at = NULL WHERE id = $1 AND notified_at IS NULL";
                self.execute(sql, &[&incident]).await
            }
        }
        .map(drop)
    }

    async fn forget_guild(
        &self,
        guild: u64,
        keep_configured: bool,
    ) -> Result<Forgotten, StoreError> {
        self.forget(guild, keep_configured).await
    }
}

const INCIDENT_COLUMNS: &str =
    "id, channel_id, guild_id, kind, reason, started_at, notice_claimed_at, notified_at";

fn incident_row(r: &Row) -> Result<Incident, String> {
    let get = |e: tokio_postgres::Error| reason(&e);
    let kind: String = r.try_get(3).map_err(get)?;
    Ok(Incident {
        id: r.try_get(0).map_err(get)?,
        channel_id: r.try_get::<_, i64>(1).map_err(get)? as u64,
        guild_id: r
            .try_get::<_, Option<i64>>(2)
            .map_err(get)?
            .map(|g| g as u64),
        kind: IncidentKind::parse(&kind)
            .ok_or_else(|| format!("unknown incident kind `{kind}`"))?,
        reason: r.try_get(4).map_err(get)?,
        started_at: r.try_get(5).map_err(get)?,
        notice_claimed_at: r.try_get(6).map_err(get)?,
        notified_at: r.try_get(7).map_err(get)?,
    })
}

fn history_row(r: &Row) -> Result<HistoryEntry, String> {
    let get = |e: tokio_postgres::Error| reason(&e);
    let outcome: String = r.try_get(2).map_err(get)?;
    Ok(HistoryEntry {
        at: r.try_get(0).map_err(get)?,
        date: r.try_get(1).map_err(get)?,
        outcome: crate::engine::subscriptions::DeliveryOutcome::parse(&outcome)
            .ok_or_else(|| format!("unknown outcome `{outcome}`"))?,
        message_id: r.try_get(3).map_err(get)?,
        detail: r.try_get(4).map_err(get)?,
        attempts: u32::try_from(r.try_get::<_, i32>(5).map_err(get)?).unwrap_or(1),
    })
}

impl PgStore {
    /// See [`Store::record`]: one transaction, the channel's rows locked by the first query.
    async fn record_history(
        &self,
        channel: u64,
        guild: Option<u64>,
        e: &HistoryEntry,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        let channel = id(channel);
        let newest = tx
            .query_opt(
                "SELECT seq, date, outcome FROM delivery_history WHERE channel_id = $1
                 ORDER BY seq DESC LIMIT 1 FOR UPDATE",
                &[&channel],
            )
            .await
            .map_err(fail)?;
        let repeat = newest.filter(|row| {
            e.outcome == crate::engine::subscriptions::DeliveryOutcome::Failed
                && row.get::<_, String>(2) == "failed"
                && row.get::<_, Date>(1) == e.date
        });
        match repeat {
            Some(row) => tx
                .execute(
                    "UPDATE delivery_history SET attempts = attempts + 1, at = $2, detail = $3 WHERE seq = $1",
                    &[&row.get::<_, i64>(0), &e.at, &e.detail],
                )
                .await
                .map_err(fail)?,
            None => tx
                .execute(
                    "INSERT INTO delivery_history (channel_id, guild_id, at, date, outcome, message_id, detail, attempts)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &channel,
                        &guild.map(id),
                        &e.at,
                        &e.date,
                        &e.outcome.name(),
                        &e.message_id,
                        &e.detail,
                        &i32::try_from(e.attempts.max(1)).unwrap_or(1),
                    ],
                )
                .await
                .map_err(fail)?,
        };
        tx.execute(
            "DELETE FROM delivery_history WHERE channel_id = $1 AND seq NOT IN (
               SELECT seq FROM delivery_history WHERE channel_id = $1 ORDER BY seq DESC LIMIT $2)",
            &[
                &channel,
                &(crate::engine::subscriptions::HISTORY_LEN as i64),
            ],
        )
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    /// See [`Store::open_incident`]: the partial unique index keeps one open per channel.
    async fn open_one(
        &self,
        channel: u64,
        guild: Option<u64>,
        kind: IncidentKind,
        why: &str,
        at: Timestamp,
    ) -> Result<Incident, StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        let channel = id(channel);
        tx.execute(
            "UPDATE incidents SET ended_at = $3 WHERE channel_id = $1 AND ended_at IS NULL AND kind <> $2",
            &[&channel, &kind.name(), &at],
        )
        .await
        .map_err(fail)?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO incidents (channel_id, guild_id, kind, reason, started_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (channel_id) WHERE ended_at IS NULL DO UPDATE SET reason = EXCLUDED.reason
                     RETURNING {INCIDENT_COLUMNS}"
                ),
                &[&channel, &guild.map(id), &kind.name(), &why, &at],
            )
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        incident_row(&row).map_err(|e| self.fail(&e))
    }

    /// See [`Store::forget_guild`]: one transaction.
    async fn forget(&self, guild: u64, keep_configured: bool) -> Result<Forgotten, StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        let g = id(guild);
        let subs = tx
            .query(
                "SELECT channel_id, origin FROM subscriptions WHERE guild_id = $1 ORDER BY channel_id",
                &[&g],
            )
            .await
            .map_err(fail)?;
        let mut out = Forgotten::default();
        for row in &subs {
            let channel = row.get::<_, i64>(0) as u64;
            match row.get::<_, String>(1).as_str() {
                "config" if keep_configured => out.kept.push(channel),
                "config" => out.subscriptions.push((channel, Origin::Config)),
                _ => out.subscriptions.push((channel, Origin::Discord)),
            }
        }
        let named = tx
            .query(
                "SELECT channel_id FROM delivery_history WHERE guild_id = $1
                 UNION SELECT channel_id FROM incidents WHERE guild_id = $1",
                &[&g],
            )
            .await
            .map_err(fail)?;
        let mut channels: Vec<i64> = named.iter().map(|r| r.get(0)).collect();
        channels.extend(out.subscriptions.iter().map(|(c, _)| id(*c)));
        channels.retain(|c| !out.kept.contains(&(*c as u64)));
        channels.sort_unstable();
        channels.dedup();
        let mut removed = [0; 4];
        for (table, count) in [
            "subscriptions",
            "deliveries",
            "delivery_history",
            "incidents",
        ]
        .iter()
        .zip(&mut removed)
        {
            let sql = format!("DELETE FROM {table} WHERE channel_id = ANY($1)");
            *count = tx.execute(&sql, &[&channels]).await.map_err(fail)?;
        }
        [_, out.deliveries, out.history, out.incidents] = removed;
        out.alerts = self.forget_alerts(&tx, g, keep_configured).await?;
        tx.commit().await.map_err(fail)?;
        Ok(out)
    }

    /// Change alerts of guild `g`, in `forget`'s transaction: its alert subscriptions (the
    /// configured ones kept when `keep_configured`), their channels' alert deliveries and what
    /// is known of those channels. Returns the subscription and delivery rows removed.
    async fn forget_alerts(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        g: i64,
        keep_configured: bool,
    ) -> Result<u64, StoreError> {
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let kept_origin = if keep_configured { "config" } else { "" };
        let alerted: Vec<i64> = tx
            .query(
                "DELETE FROM alert_subscriptions WHERE guild_id = $1 AND origin != $2
                 RETURNING channel_id",
                &[&g, &kept_origin],
            )
            .await
            .map_err(fail)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let deliveries = tx
            .execute(
                "DELETE FROM alert_deliveries WHERE channel_id = ANY($1)",
                &[&alerted],
            )
            .await
            .map_err(fail)?;
        tx.execute(
            "DELETE FROM channels WHERE channel_id = ANY($1)",
            &[&alerted],
        )
        .await
        .map_err(fail)?;
        Ok(alerted.len() as u64 + deliveries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::store::test_cluster;

    /// A fresh database's URL, or `None` when there is no PostgreSQL (the cluster says so).
    async fn fresh() -> Option<DatabaseUrl> {
        let cluster = test_cluster::cluster()?;
        Some(DatabaseUrl::parse(&cluster.database().await).expect("a postgres URL"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_live_workers_claim_is_held_and_a_dead_ones_is_taken_over() {
        let Some(url) = fresh().await else { return };
        let lease = Duration::from_secs(1);
        let date = jiff::civil::date(2026, 2, 25);
        let first = PgStore::open(&url, lease).await.expect("first worker");
        let second = PgStore::open(&url, lease).await.expect("second worker");
        assert_ne!(first.worker(), second.worker());
        assert_eq!(
            first.claim(7, date, "n1").await.unwrap(),
            Claim::Fresh { nonce: "n1".into() }
        );
        let sent = "2026-02-25T02:30:00Z".parse().expect("instant");
        first.attempted(7, date, Some(sent)).await.unwrap();
        // Past three leases: the first worker renews its claim, so it is still held.
        tokio::time::sleep(lease * 3).await;
        match second.claim(7, date, "n2").await.unwrap() {
            Claim::Held { lease_left } => assert!(lease_left <= lease + LEASE_MARGIN * 2),
            other => panic!("a live worker's claim is held, got {other:?}"),
        }
        // The first worker dies: its renewals stop, and after its lease the day is taken
        // over with the original nonce and the unknown post it sent off.
        drop(first);
        tokio::time::sleep(lease + LEASE_MARGIN * 3).await;
        assert_eq!(
            second.claim(7, date, "n2").await.unwrap(),
            Claim::Unconfirmed {
                nonce: "n1".into(),
                attempted: Some(sent)
            }
        );
        second.delivered(7, date, "m1", sent).await.unwrap();
        let third = PgStore::open(&url, lease).await.expect("third worker");
        assert_eq!(
            third.claim(7, date, "n3").await.unwrap(),
            Claim::Delivered {
                message_id: "m1".into()
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn migrations_run_once_when_processes_start_together() {
        let Some(url) = fresh().await else { return };
        let lease = Duration::from_secs(30);
        let opened = futures_join(
            (0..4)
                .map(|_| {
                    let url = url.clone();
                    async move { PgStore::open(&url, lease).await }
                })
                .collect::<Vec<_>>(),
        )
        .await;
        for store in &opened {
            assert!(store.is_ok(), "{:?}", store.as_ref().err());
        }
        let store = PgStore::open(&url, lease).await.expect("reopen");
        let client = store.client().await.expect("client");
        let versions: Vec<i32> = client
            .query("SELECT version FROM factdesk_schema ORDER BY version", &[])
            .await
            .expect("schema table")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let expected: Vec<i32> = (1..=MIGRATIONS.len() as i32).collect();
        assert_eq!(versions, expected);
    }

    /// Runs `futures` concurrently (tasks, so they really overlap) and collects their outputs.
    async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.expect("task"));
        }
        out
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named_without_its_password() {
        let url = DatabaseUrl::parse("postgres://factdesk:pg-secret@127.0.0.1:1/factdesk")
            .expect("a postgres URL");
        let error = match PgStore::open(&url, Duration::from_secs(30)).await {
            Ok(_) => panic!("nothing listens on port 1"),
            Err(e) => e.to_string(),
        };
        assert!(
            error.starts_with("digest database postgres://factdesk:***@127.0.0.1:1/factdesk: "),
            "{error}"
        );
        assert!(!error.contains("pg-secret"), "{error}");
    }
}
