//! The daily digest: subscriptions, the scheduler, and exactly-once delivery.
//!
//! - `store.rs` keeps subscriptions and the delivery log (SQLite behind the [`Store`] trait);
//! - `schedule.rs` says when a subscription's digest is due (its local time, its zone, DST);
//! - `delivery.rs` posts to Discord with nonces and Discord's retry rules;
//! - [`Service`] ties them to the engine: it implements the engine's [`Subscriptions`] trait
//!   (what `/digest` calls), `send` (the one exactly-once path, used by the scheduler and
//!   `digest send-now`) and the scheduler loop.
//!
//! The digest text and every `/digest` reply are the engine's; nothing here formats a reply.

pub mod delivery;
pub mod schedule;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::civil::Date;
use jiff::Timestamp;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::engine::commands::digest as words;
use crate::engine::subscriptions::{
    NewSubscription, PreviewBasis, ServiceError, Status, Subscriptions, Unsubscribed,
};
use crate::engine::Engine;
use crate::serving::Served;
pub use delivery::{DeliveryError, Target};
pub use store::{Claim, DeliveryState, Origin, SqliteStore, Store, StoreError, Subscription};

/// How long after a failed send the scheduler tries that channel again.
const RETRY_LATER: Duration = Duration::from_secs(300);
/// The scheduler re-reads subscriptions at least this often.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The nonce for a channel's digest on a date: the same on every attempt and restart, at most
/// 25 characters (Discord's limit).
pub fn nonce(channel: u64, date: Date) -> String {
    format!(
        "fd{}",
        crate::engine::fnv(format!("{channel}:{date}").as_bytes())
    )
}

/// Why a digest was not sent (the scheduler retries later; `send-now` reports it).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The fact base has no digest, or its template failed.
    #[error("{0}")]
    Render(String),
    #[error("posting as the bot needs DISCORD_TOKEN (or give the subscription a webhook)")]
    NoToken,
    #[error("{0}")]
    Delivery(String),
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Posted { message_id: String },
    AlreadyDelivered { message_id: String },
    Skipped { reason: String },
    Paused { reason: String },
}

/// Digest settings.
#[derive(Clone)]
pub struct Settings {
    /// Discord's API base (or a stand-in's).
    pub api_base: String,
    /// The bot token, for posting as the bot; webhook subscriptions need none.
    pub token: Option<String>,
    /// Missed digests younger than this are still sent on start; older ones are skipped.
    pub catch_up: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Settings")
            .field("api_base", &self.api_base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("catch_up", &self.catch_up)
            .finish()
    }
}

/// Subscriptions, delivery and the scheduler, over one store.
pub struct Service {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    settings: Settings,
    changed: Notify,
    retry_after: Mutex<HashMap<u64, Timestamp>>,
}

impl Service {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Service {
        Service {
            store,
            client: reqwest::Client::new(),
            settings,
            changed: Notify::new(),
            retry_after: Mutex::new(HashMap::new()),
        }
    }

    /// Opens the digest database at `database` and brings its configured subscriptions in line
    /// with `configured`: `serve` makes them exactly the config file's (`authoritative`); other
    /// commands only add and update them, so a shell with another config file cannot delete
    /// the live ones.
    pub async fn open(
        database: &std::path::Path,
        configured: &[Subscription],
        authoritative: bool,
        settings: Settings,
    ) -> Result<Service, StoreError> {
        let store = SqliteStore::open(database)?;
        store.sync_config(configured, authoritative).await?;
        Ok(Service::new(Arc::new(store), settings))
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn target(&self, sub: &Subscription) -> Result<Target, SendError> {
        if let Some(url) = &sub.webhook_url {
            return Ok(Target::Webhook { url: url.clone() });
        }
        let token = self.settings.token.clone().ok_or(SendError::NoToken)?;
        Ok(Target::Channel {
            api_base: self.settings.api_base.clone(),
            token,
            channel_id: sub.channel_id,
        })
    }

    /// A channel's subscription as `/digest status` shows it.
    pub async fn status(&self, channel: u64, now: Timestamp) -> Result<Option<Status>, StoreError> {
        let Some(sub) = self.store.subscription(channel).await? else {
            return Ok(None);
        };
        let last = self
            .store
            .last_delivered(channel)
            .await?
            .map(|d| (d.date.to_string(), d.message_id.unwrap_or_default()));
        let skipped = self
            .store
            .skipped(channel, 3)
            .await?
            .into_iter()
            .map(|d| (d.date.to_string(), d.reason.unwrap_or_default()))
            .collect();
        Ok(Some(Status {
            time: sub.local_time,
            zone: sub.time_zone.clone(),
            origin: sub.origin,
            next: if sub.paused.is_some() {
                None
            } else {
                schedule::next_due(&sub, now).map(|(_, t)| t)
            },
            paused: sub.paused,
            last,
            skipped,
        }))
    }

    /// The zone and update cover a channel's digest preview uses: its subscription's zone and
    /// the updates since its last delivered digest.
    pub async fn preview_basis(&self, channel: u64) -> Result<PreviewBasis, StoreError> {
        let Some(sub) = self.store.subscription(channel).await? else {
            return Ok(PreviewBasis::default());
        };
        let since = self
            .store
            .last_delivered(channel)
            .await?
            .and_then(|d| d.covered_until);
        Ok(PreviewBasis {
            zone: Some(sub.time_zone),
            since,
        })
    }

    /// Claims and sends `sub`'s digest for local `date` — the one exactly-once path. A day
    /// already delivered is not posted again unless `force`.
    pub async fn send(
        &self,
        engine: &Engine,
        sub: &Subscription,
        date: Date,
        now: Timestamp,
        force: bool,
    ) -> Result<Sent, SendError> {
        let channel = sub.channel_id;
        let mut nonce = nonce(channel, date);
        if force {
            self.store.forget(channel, date).await?;
            nonce = format!(
                "ff{}",
                crate::engine::fnv(format!("{channel}:{date}:{now}").as_bytes())
            );
        }
        let nonce = match self.store.claim(channel, date, &nonce).await? {
            Claim::Delivered { message_id } => return Ok(Sent::AlreadyDelivered { message_id }),
            Claim::Skipped { reason } => return Ok(Sent::Skipped { reason }),
            Claim::Fresh { nonce } => nonce,
            Claim::Unconfirmed { nonce } => {
                info!(channel, %date, "resending a claimed but unconfirmed digest with its original nonce");
                nonce
            }
        };
        let since = self
            .store
            .last_delivered(channel)
            .await?
            .and_then(|d| d.covered_until);
        // A day's digest reads as of its due time (a caught-up digest keeps its own date); one
        // sent before its time reads as of now.
        let at = schedule::zone(sub)
            .and_then(|zone| schedule::due_at(sub.local_time, &zone, date))
            .map_or(now, |due| due.min(now));
        let reply = engine
            .render_digest(at, &sub.time_zone, since)
            .map_err(|e| SendError::Render(e.to_string()))?;
        let target = self.target(sub)?;
        match delivery::post(&self.client, &target, &reply, &nonce).await {
            Ok(message_id) => {
                self.store.delivered(channel, date, &message_id, at).await?;
                info!(channel, %date, %message_id, "digest delivered");
                Ok(Sent::Posted { message_id })
            }
            Err(DeliveryError::Permanent { status, message }) => {
                let reason =
                    format!("Discord answered {status} ({message}) when posting the {date} digest");
                self.store.pause(channel, &reason).await?;
                warn!(channel, %date, %reason, "digest subscription paused");
                Ok(Sent::Paused { reason })
            }
            Err(DeliveryError::Failed(why)) => Err(SendError::Delivery(why)),
        }
    }

    /// Wakes the scheduler (a subscription changed).
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    /// The scheduler: sends each subscription's digest when due (and, on start, those missed
    /// within the catch-up window), until `shutdown`.
    pub async fn run(
        self: Arc<Self>,
        served: Arc<Served>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let clock = served.clock();
        let mut shutdown = std::pin::pin!(shutdown);
        info!(
            catch_up_h = self.settings.catch_up.as_secs_f64() / 3600.0,
            "digest scheduler started"
        );
        loop {
            let now = clock.now();
            let wake = self.tick(&served.engine(), now).await;
            let sleep = wake
                .duration_since(clock.now())
                .try_into()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP);
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = self.changed.notified() => {}
                () = &mut shutdown => {
                    info!("digest scheduler stopped");
                    return;
                }
            }
        }
    }

    /// One pass: sends what is due; returns when the next digest is due.
    async fn tick(&self, engine: &Engine, now: Timestamp) -> Timestamp {
        let mut wake = now + jiff::SignedDuration::from_secs(MAX_SLEEP.as_secs() as i64);
        let subs = match self.store.subscriptions().await {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "cannot read digest subscriptions");
                return wake;
            }
        };
        for sub in subs.iter().filter(|s| s.paused.is_none()) {
            for (date, due) in schedule::due_dates(sub, now) {
                match self.store.delivery(sub.channel_id, date).await {
                    Ok(Some(d)) if d.state != DeliveryState::Claimed => continue,
                    Ok(_) => {}
                    Err(e) => {
                        error!(error = %e, "cannot read the delivery log");
                        continue;
                    }
                }
                let retry = self
                    .retry_after
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get(&sub.channel_id)
                    .copied();
                if retry.is_some_and(|t| t > now) {
                    continue;
                }
                let late = now.duration_since(due);
                if late
                    > jiff::SignedDuration::try_from(self.settings.catch_up)
                        .unwrap_or(jiff::SignedDuration::MAX)
                {
                    let reason = format!(
                        "missed: it was due {} and the catch-up window is {} h",
                        words::when(due, &sub.time_zone),
                        self.settings.catch_up.as_secs() / 3600
                    );
                    warn!(channel = sub.channel_id, %date, %reason, "digest skipped");
                    if let Err(e) = self.store.skip(sub.channel_id, date, &reason).await {
                        error!(error = %e, "cannot record a skipped digest");
                    }
                    continue;
                }
                match self.send(engine, sub, date, now, false).await {
                    Ok(
                        Sent::Posted { .. }
                        | Sent::AlreadyDelivered { .. }
                        | Sent::Skipped { .. }
                        | Sent::Paused { .. },
                    ) => {}
                    Err(why) => {
                        error!(channel = sub.channel_id, %date, reason = %why, "digest not delivered; will retry");
                        let later =
                            now + jiff::SignedDuration::from_secs(RETRY_LATER.as_secs() as i64);
                        self.retry_after
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(sub.channel_id, later);
                        wake = wake.min(later);
                    }
                }
            }
            if let Some((_, due)) = schedule::next_due(sub, now) {
                wake = wake.min(due);
            }
        }
        wake
    }
}

/// `/digest`'s subscriptions, over the store. Store failures are ours, not the reader's: the
/// engine apologises and logs them.
#[async_trait::async_trait]
impl Subscriptions for Service {
    async fn subscribe(&self, request: NewSubscription) -> Result<Timestamp, ServiceError> {
        let sub = Subscription {
            channel_id: request.channel,
            guild_id: request.guild,
            local_time: request.time,
            time_zone: request.zone,
            webhook_url: None,
            origin: Origin::Discord,
            paused: None,
            active_from: Some(request.at),
        };
        self.store.upsert(&sub).await.map_err(failed)?;
        info!(channel = sub.channel_id, zone = %sub.time_zone, time = %sub.local_time, "digest subscription saved");
        self.changed.notify_one();
        Ok(schedule::next_due(&sub, request.at).map_or(request.at, |(_, t)| t))
    }

    async fn unsubscribe(&self, channel: u64) -> Result<Unsubscribed, ServiceError> {
        match self.store.subscription(channel).await.map_err(failed)? {
            // The operator's configuration would bring it back at the next start.
            Some(sub) if sub.origin == Origin::Config => Ok(Unsubscribed::Configured),
            _ => {
                let existed = self.store.remove(channel).await.map_err(failed)?;
                info!(channel, existed, "digest subscription removed");
                self.changed.notify_one();
                Ok(if existed {
                    Unsubscribed::Removed
                } else {
                    Unsubscribed::NotSubscribed
                })
            }
        }
    }

    async fn status(&self, channel: u64, now: Timestamp) -> Result<Option<Status>, ServiceError> {
        Service::status(self, channel, now).await.map_err(failed)
    }

    async fn preview_basis(&self, channel: u64) -> Result<PreviewBasis, ServiceError> {
        Service::preview_basis(self, channel).await.map_err(failed)
    }
}

fn failed(e: StoreError) -> ServiceError {
    ServiceError(e.to_string())
}
