//! The daily digest: subscriptions, the scheduler, and exactly-once delivery.
//!
//! - `store.rs` keeps subscriptions and the delivery log (SQLite behind the [`Store`] trait;
//!   PostgreSQL in `store/postgres.rs`, for several processes); `database.rs` picks one;
//! - `schedule.rs` says when a subscription's digest is due (its local time, its zone, DST);
//! - `delivery.rs` posts to Discord with nonces and Discord's retry rules, each request paced
//!   by the service's [`Pacer`] (Discord's global limit, route buckets, 429s);
//! - [`Service`] ties them to the engine: it implements the engine's [`Subscriptions`] trait
//!   (what `/digest` calls), `send` (the one exactly-once path, used by the scheduler and
//!   `digest send-now`) and the scheduler loop, which sends the digests owed (inside the fact
//!   base's window; in updates mode, only with new updates) concurrently;
//! - `ops.rs` is what operators hear and what is kept about each channel: the delivery
//!   history, incidents and their notices in `ops_channel`, and forgetting a server.
//!
//! The digest text and every `/digest` reply are the engine's; nothing here formats a reply.

pub mod alerts;
pub mod database;
pub mod delivery;
mod ops;
pub mod schedule;
pub mod store;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::civil::Date;
use jiff::Timestamp;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::engine::commands::digest as words;
use crate::engine::subscriptions::{
    Delivered, NewSubscription, PreviewBasis, ServiceError, Status, Subscriptions, Unsubscribed,
};
use crate::engine::Engine;
use crate::ratelimit::{Pacer, Slot};
use crate::serving::Served;
pub use database::{Database, DatabaseUrl};
pub use delivery::{DeliveryError, Target};
pub use ops::NotOwed;
pub use store::{
    AlertSubscription, Claim, DeliveryState, Forgotten, Incident, IncidentKind, Mode, Origin,
    SqliteStore, Store, StoreError, Subscription, Webhook,
};

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

/// How long Discord de-duplicates a repeated nonce ("the past few minutes"): a post with an
/// unknown outcome is resent with its nonce within this, and searched for after it.
const NONCE_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// The day a post is for.
struct Day<'a> {
    sub: &'a Subscription,
    date: Date,
    /// The instant the digest reads as of.
    at: Timestamp,
    now: Timestamp,
}

/// A post whose outcome was never learned.
struct Unknown<'a> {
    sub: &'a Subscription,
    date: Date,
    /// When it was sent off.
    attempted: Timestamp,
    /// The instant the digest reads as of.
    at: Timestamp,
}

/// Why a digest was not sent (the scheduler retries later; `send-now` reports it).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Discord has the post, but the delivery log could not record it: the day stays claimed,
    /// so it is settled (found, or reported) rather than posted twice.
    #[error("posted as message {message_id}, but the delivery could not be recorded ({error}); it will not be posted again: the next run finds it or reports it")]
    Unrecorded {
        message_id: String,
        error: StoreError,
    },
    /// The post was sent off but its answer never came: it may have arrived.
    #[error("the post's outcome is unknown ({0}); the next run settles it before posting again")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The fact base has no digest, or its template failed.
    #[error("{0}")]
    Render(String),
    #[error("posting as the bot needs DISCORD_TOKEN (or give the subscription a webhook)")]
    NoToken,
    #[error("{0}")]
    Delivery(String),
    /// Shutting down: nothing was claimed or sent.
    #[error("not sent: shutting down")]
    Stopped,
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Posted {
        message_id: String,
    },
    AlreadyDelivered {
        message_id: String,
    },
    Skipped {
        reason: String,
    },
    Paused {
        reason: String,
    },
    /// Another worker is posting it (a shared database); its claim runs out after this.
    Held {
        lease_left: Duration,
    },
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
    /// Discord's global limit for the bot, in requests per second: posts are paced under it.
    pub rate_limit: NonZeroU32,
    /// Where incident notices go (posted with the bot token); `None`: only the log hears.
    pub ops_channel: Option<u64>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Settings")
            .field("api_base", &self.api_base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("catch_up", &self.catch_up)
            .field("rate_limit", &self.rate_limit)
            .field("ops_channel", &self.ops_channel)
            .finish()
    }
}

/// How many channels are being sent to at once, for a global limit of `per_second`: enough to
/// keep the pace while each post takes up to two seconds, at least 16, at most 1,024.
fn senders(per_second: NonZeroU32) -> usize {
    (per_second.get() as usize * 2).clamp(16, 1024)
}

/// Subscriptions, delivery and the scheduler, over one store.
pub struct Service {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    /// Every request to Discord waits for its turn here.
    pacer: Pacer,
    settings: Settings,
    changed: Notify,
    retry_after: Mutex<HashMap<u64, Timestamp>>,
    /// The same, for channels' alerts.
    alert_retry_after: Mutex<HashMap<u64, Timestamp>>,
    /// When the operator's channel may be tried again after a notice failed to post.
    notices_after: Mutex<Option<Timestamp>>,
    /// The last day each channel was logged as not owed, so each day is logged once.
    not_owed: Mutex<HashMap<u64, Date>>,
    /// What the last pass of forgetting servers found (logged when it changes).
    last_cleanup: Mutex<ops::Cleanup>,
    /// Posts not yet published because their channel's type was unknown during a fan-out:
    /// channel → the latest such message; looked at once the fan-out is over.
    unpublished: Mutex<HashMap<u64, String>>,
    /// This process's order of due channels: workers sharing a database (PostgreSQL) each go
    /// through the channels in an order of their own, so they rarely reach for the same
    /// channel's claim and share the work instead of queueing behind one another.
    order_seed: u64,
}

/// A per-process seed: the process id and the start instant's nanoseconds.
fn order_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(std::process::id()) << 32) ^ u64::from(nanos)
}

/// Where `channel` comes in the order `seed` gives (a multiplicative hash: cheap, well spread).
fn spread(seed: u64, channel: u64) -> u64 {
    (channel ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Service {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Service {
        Service {
            store,
            client: crate::ratelimit::discord_client(None),
            pacer: Pacer::new(settings.rate_limit, senders(settings.rate_limit)),
            settings,
            changed: Notify::new(),
            retry_after: Mutex::new(HashMap::new()),
            alert_retry_after: Mutex::new(HashMap::new()),
            notices_after: Mutex::new(None),
            not_owed: Mutex::new(HashMap::new()),
            last_cleanup: Mutex::new(ops::Cleanup::default()),
            unpublished: Mutex::new(HashMap::new()),
            order_seed: order_seed(),
        }
    }

    /// Opens the digest database at `database` and brings its configured subscriptions in line
    /// with `configured`: `serve` makes them exactly the config file's (`authoritative`); other
    /// commands only add and update them, so a shell with another config file cannot delete
    /// the live ones.
    pub async fn open(
        database: &Database,
        configured: &[Subscription],
        authoritative: bool,
        settings: Settings,
    ) -> Result<Service, StoreError> {
        let store = database.open().await?;
        store.sync_config(configured, authoritative).await?;
        Ok(Service::new(store, settings))
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn target(&self, sub: &Subscription) -> Result<Target, SendError> {
        if let Some(webhook) = &sub.webhook {
            let url = webhook.url().map_err(SendError::Delivery)?;
            return Ok(Target::Webhook { url });
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
            .map(|d| Delivered {
                date: d.date.to_string(),
                message_id: d.message_id.unwrap_or_default(),
                as_of: d.covered_until,
            });
        let skipped = self
            .store
            .skipped(channel, 3)
            .await?
            .into_iter()
            .map(|d| (d.date.to_string(), d.reason.unwrap_or_default()))
            .collect();
        let publishing = self
            .store
            .channel_info(channel)
            .await?
            .and_then(|c| c.publishing);
        let history = self
            .store
            .history(channel, crate::engine::subscriptions::HISTORY_LEN)
            .await?;
        Ok(Some(Status {
            publishing,
            time: sub.local_time,
            zone: sub.time_zone.clone(),
            origin: sub.origin,
            mode: sub.mode,
            history,
            next: if sub.paused.is_some() {
                None
            } else {
                schedule::next_due(&sub, now).map(|(_, t)| t)
            },
            paused: sub.paused,
            last,
            skipped,
            locale: sub.locale,
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
            locale: sub.locale,
        })
    }

    /// Claims and sends `sub`'s digest for local `date` — the one exactly-once path. A day
    /// already delivered is not posted again unless `force`. A post whose outcome was never
    /// learned (a crash, a shutdown or a timeout mid-post) is settled first: see [`Self::settle`].
    /// It waits for a place among the channels being sent to (the pacer's slots) first.
    pub async fn send(
        &self,
        engine: &Engine,
        sub: &Subscription,
        date: Date,
        now: Timestamp,
        force: bool,
    ) -> Result<Sent, SendError> {
        let Some(mut slot) = self.pacer.slot().await else {
            return Err(SendError::Stopped);
        };
        let channel = sub.channel_id;
        let mut nonce = nonce(channel, date);
        if force {
            self.store.forget(channel, date).await?;
            nonce = format!(
                "ff{}",
                crate::engine::fnv(format!("{channel}:{date}:{now}").as_bytes())
            );
        }
        let (nonce, attempted) = match self.store.claim(channel, date, &nonce).await? {
            Claim::Delivered { message_id } => return Ok(Sent::AlreadyDelivered { message_id }),
            Claim::Skipped { reason } => return Ok(Sent::Skipped { reason }),
            Claim::Held { lease_left } => return Ok(Sent::Held { lease_left }),
            Claim::Fresh { nonce } => (nonce, None),
            Claim::Unconfirmed { nonce, attempted } => (nonce, attempted),
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
        // The channel is read by its server: written in the language it subscribed with.
        let lang = engine.post_language(sub.locale.as_deref());
        let mut reply = engine
            .render_digest(at, &sub.time_zone, since, lang)
            .map_err(|e| SendError::Render(e.to_string()))?;
        let target = self.target(sub)?;
        if matches!(target, Target::Webhook { .. }) {
            engine.for_webhook(&mut reply, lang);
        }
        if let Some(attempted) = attempted {
            let unknown = Unknown {
                sub,
                date,
                attempted,
                at,
            };
            if let Some(settled) = self
                .settle(&mut slot, &target, unknown, &reply, now)
                .await?
            {
                return Ok(settled);
            }
            info!(channel, %date, "resending an unconfirmed digest with its original nonce");
        }
        let day = Day { sub, date, at, now };
        self.post(&mut slot, &target, day, &reply, &nonce).await
    }

    /// Settles a post whose outcome is unknown. A bot post within Discord's nonce window is
    /// simply resent (Discord returns the first message for the same nonce); after it, the
    /// channel's recent messages are searched for the bot's own post of this digest, and only
    /// when none is there is it resent. A webhook post carries no nonce and cannot be searched
    /// for as ours: it is reported, not guessed. `None`: resend.
    async fn settle(
        &self,
        slot: &mut Slot<'_>,
        target: &Target,
        unknown: Unknown<'_>,
        reply: &crate::engine::Reply,
        now: Timestamp,
    ) -> Result<Option<Sent>, SendError> {
        let Unknown {
            sub,
            date,
            attempted,
            at,
        } = unknown;
        let channel = sub.channel_id;
        if matches!(target, Target::Webhook { .. }) {
            let reason = format!(
                "the webhook post of this digest was cut off at {} and may or may not have arrived (webhooks carry no nonce); check the channel, and if it is missing run `factdesk digest send-now --channel {channel} --date {date} --force`",
                words::when(attempted, &sub.time_zone)
            );
            error!(channel, %date, %reason, "digest outcome unknown; not resending");
            self.store.skip(channel, date, &reason).await?;
            self.skipped(sub, date, &reason, now).await;
            return Ok(Some(Sent::Skipped { reason }));
        }
        if now.duration_since(attempted) <= NONCE_WINDOW {
            return Ok(None);
        }
        let title = reply.headline();
        let since = attempted - jiff::SignedDuration::from_secs(60);
        match delivery::find_own(&self.client, slot, target, since, title).await {
            Ok(Some(message_id)) => {
                info!(channel, %date, %message_id, "found the unconfirmed digest in the channel");
                self.store.delivered(channel, date, &message_id, at).await?;
                self.delivered(sub, date, &message_id, now).await;
                Ok(Some(Sent::AlreadyDelivered { message_id }))
            }
            Ok(None) => Ok(None),
            Err(why) => Err(SendError::Delivery(format!(
                "cannot check the channel for an unconfirmed post: {why}"
            ))),
        }
    }

    /// Posts and records the outcome: delivered, paused, certainly not posted, or unknown.
    async fn post(
        &self,
        slot: &mut Slot<'_>,
        target: &Target,
        day: Day<'_>,
        reply: &crate::engine::Reply,
        nonce: &str,
    ) -> Result<Sent, SendError> {
        let Day { sub, date, at, now } = day;
        let channel = sub.channel_id;
        self.store.attempted(channel, date, Some(now)).await?;
        match delivery::post(&self.client, slot, target, reply, nonce).await {
            Ok(message_id) => match self.store.delivered(channel, date, &message_id, at).await {
                Ok(()) => {
                    info!(channel, %date, %message_id, "digest delivered");
                    self.delivered(sub, date, &message_id, now).await;
                    self.publish(slot, target, &message_id, None).await;
                    Ok(Sent::Posted { message_id })
                }
                Err(error) => {
                    error!(channel, %date, %message_id, %error, "digest posted but not recorded");
                    Err(SendError::Unrecorded { message_id, error })
                }
            },
            Err(DeliveryError::Permanent { status, message }) => {
                let reason =
                    format!("Discord answered {status} ({message}) when posting the {date} digest");
                self.store.attempted(channel, date, None).await?;
                self.store.pause(channel, &reason).await?;
                warn!(channel, %date, %reason, "digest subscription paused");
                self.paused(sub, date, &reason, now).await;
                Ok(Sent::Paused { reason })
            }
            Err(DeliveryError::Failed(why)) => {
                self.store.attempted(channel, date, None).await?;
                Err(SendError::Delivery(why))
            }
            Err(DeliveryError::Unknown(why)) => Err(SendError::Unknown(why)),
        }
    }

    /// Wakes the scheduler (a subscription changed).
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    /// The scheduler: sends each subscription's digest when due (and, on start, those missed
    /// within the catch-up window), until `shutdown`. Each channel's posts run in a task of
    /// their own, at most twice `rate_limit` at work at once and paced under Discord's limits, so a
    /// slow or failing channel (retries, rate limits, a hanging webhook) never holds up
    /// another. On shutdown, channels not yet started are left for the next start; posts in
    /// flight get `grace` to finish, and a post cut off stays claimed with its outcome unknown
    /// and is settled at the next start.
    pub async fn run(
        self: Arc<Self>,
        served: Arc<Served>,
        grace: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let clock = served.clock();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut sending = Sending::default();
        info!(
            catch_up_h = self.settings.catch_up.as_secs_f64() / 3600.0,
            rate_limit = self.settings.rate_limit.get(),
            "digest scheduler started"
        );
        let mut tending: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            let now = clock.now();
            if tending
                .as_ref()
                .is_none_or(tokio::task::JoinHandle::is_finished)
            {
                let service = Arc::clone(&self);
                tending = Some(tokio::spawn(async move { service.tend(now).await }));
            }
            let (wake, due) = self.due(now, &sending.channels, &served.engine()).await;
            for (sub, dates) in due {
                let (service, engine) = (Arc::clone(&self), served.engine());
                sending.spawn(sub.channel_id, async move {
                    service.deliver(&engine, &sub, dates, now).await;
                });
            }
            let sleep = wake
                .duration_since(clock.now())
                .try_into()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP);
            if !self.wait(sleep, &mut sending, shutdown.as_mut()).await {
                break;
            }
        }
        self.pacer.close();
        if let Some(task) = tending {
            task.abort();
        }
        sending.stop(grace).await;
        info!("digest scheduler stopped");
    }

    /// Waits `sleep`, for a change, or for `shutdown` (`false`), collecting finished channels
    /// meanwhile. A finished channel is no reason to look at the subscriptions again: it has
    /// nothing more due (a failure sets its retry timer and signals a change), and with
    /// thousands of channels due at once, looking after each would read them all thousands of
    /// times.
    async fn wait(
        &self,
        sleep: Duration,
        sending: &mut Sending,
        mut shutdown: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> bool {
        let sleep = tokio::time::sleep(sleep);
        let mut sleep = std::pin::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                () = self.changed.notified() => return true,
                Some(done) = sending.tasks.join_next_with_id() => {
                    sending.finished(done);
                    // The fan-out is over: the posts it could not publish are seen to now.
                    if sending.tasks.is_empty() && self.has_unpublished() {
                        return true;
                    }
                }
                () = &mut shutdown => return false,
            }
        }
    }

    /// The channels with digests due at `now` (not already being sent, not waiting for a
    /// retry), and when the next one is due.
    async fn due(
        &self,
        now: Timestamp,
        busy: &HashMap<tokio::task::Id, u64>,
        engine: &Engine,
    ) -> (Timestamp, Vec<(Subscription, Vec<(Date, Timestamp)>)>) {
        let mut wake = now + jiff::SignedDuration::from_secs(MAX_SLEEP.as_secs() as i64);
        let subs = match self.store.subscriptions().await {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "cannot read digest subscriptions");
                return (wake, Vec::new());
            }
        };
        // A set: thousands of channels may be busy while thousands are looked at.
        let busy: std::collections::HashSet<u64> = busy.values().copied().collect();
        let mut due = Vec::new();
        for sub in subs.into_iter().filter(|s| s.paused.is_none()) {
            if let Some((_, at)) = schedule::next_due(&sub, now) {
                wake = wake.min(at);
            }
            let retry = self.retry_at(sub.channel_id);
            if busy.contains(&sub.channel_id) || retry.is_some_and(|t| t > now) {
                wake = retry.map_or(wake, |t| wake.min(t));
                continue;
            }
            let mut dates = Vec::new();
            for (date, at) in schedule::due_dates(&sub, now) {
                match self.store.delivery(sub.channel_id, date).await {
                    Ok(Some(d)) if d.state != DeliveryState::Claimed => {}
                    // Claimed: a post to settle, whatever is owed now.
                    Ok(Some(_)) => dates.push((date, at)),
                    // Not owed (outside the window, or nothing new in updates mode): never
                    // claimed, nothing recorded; `/digest status` says why.
                    Ok(None) => match self.owed(engine, &sub, at).await {
                        Ok(None) => dates.push((date, at)),
                        Ok(Some(why)) => self.log_not_owed(&sub, date, why),
                        Err(e) => error!(error = %e, "cannot read the delivery log"),
                    },
                    Err(e) => error!(error = %e, "cannot read the delivery log"),
                }
            }
            if !dates.is_empty() {
                due.push((sub, dates));
            }
        }
        due.sort_by_key(|(sub, _)| spread(self.order_seed, sub.channel_id));
        (wake, due)
    }

    /// When `channel` may be tried again after a failure.
    fn retry_at(&self, channel: u64) -> Option<Timestamp> {
        self.retry_after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&channel)
            .copied()
    }

    /// Sends one channel's due digests in order: skips those older than the catch-up window,
    /// posts the others; a failure sets the channel's own retry timer.
    async fn deliver(
        &self,
        engine: &Engine,
        sub: &Subscription,
        dates: Vec<(Date, Timestamp)>,
        now: Timestamp,
    ) {
        let channel = sub.channel_id;
        let window = jiff::SignedDuration::try_from(self.settings.catch_up)
            .unwrap_or(jiff::SignedDuration::MAX);
        for (date, due) in dates {
            if now.duration_since(due) > window {
                let reason = format!(
                    "missed: it was due {} and the catch-up window is {} h",
                    words::when(due, &sub.time_zone),
                    self.settings.catch_up.as_secs() / 3600
                );
                match self.store.skip(channel, date, &reason).await {
                    Ok(()) => warn!(channel, %date, %reason, "digest skipped"),
                    Err(e) => error!(error = %e, %reason, "cannot record a skipped digest"),
                }
                self.skipped(sub, date, &reason, now).await;
                continue;
            }
            // Boxed: a channel waiting for its turn is a small task, whatever a send holds.
            let sent = Box::pin(self.send(engine, sub, date, now, false)).await;
            let wait = match sent {
                Err(SendError::Stopped) => return,
                Ok(Sent::Held { lease_left }) => {
                    info!(channel, %date, "another worker is posting this digest; looking again when its claim runs out");
                    lease_left
                }
                Ok(_) => continue,
                Err(why) => {
                    error!(channel, %date, reason = %why, "digest not delivered; will retry");
                    self.failed(sub, date, &why.to_string(), now).await;
                    RETRY_LATER
                }
            };
            let later = now + jiff::SignedDuration::try_from(wait).unwrap_or_default();
            self.retry_after
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(channel, later);
            self.changed.notify_one();
            return;
        }
    }
}

/// The scheduler's posts in flight, one task per channel.
#[derive(Default)]
struct Sending {
    tasks: tokio::task::JoinSet<()>,
    /// Which channel each task posts to.
    channels: HashMap<tokio::task::Id, u64>,
}

impl Sending {
    fn spawn(
        &mut self,
        channel: u64,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(work);
        self.channels.insert(handle.id(), channel);
    }

    fn finished(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let id = match done {
            Ok((id, ())) => id,
            Err(e) => {
                error!(error = %e, "a digest task failed");
                e.id()
            }
        };
        self.channels.remove(&id);
    }

    /// Lets posts in flight finish within `grace`, then stops the rest.
    async fn stop(&mut self, grace: Duration) {
        if self.tasks.is_empty() {
            return;
        }
        info!(
            in_flight = self.tasks.len(),
            grace_s = grace.as_secs_f64(),
            "waiting for digest posts in flight"
        );
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(in_flight = self.tasks.len(), "digest posts still in flight at the shutdown deadline were stopped; their outcome is settled at the next start");
            self.tasks.shutdown().await;
        }
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
            webhook: None,
            origin: Origin::Discord,
            mode: request.mode,
            paused: None,
            active_from: Some(request.at),
            locale: request.locale,
        };
        self.store.upsert(&sub).await.map_err(failed)?;
        self.note_kind(sub.channel_id, request.channel_kind).await?;
        info!(channel = sub.channel_id, zone = %sub.time_zone, time = %sub.local_time, locale = ?sub.locale, "digest subscription saved");
        self.changed.notify_one();
        Ok(schedule::next_due(&sub, request.at).map_or(request.at, |(_, t)| t))
    }

    async fn unsubscribe(&self, channel: u64) -> Result<Unsubscribed, ServiceError> {
        match self.store.subscription(channel).await.map_err(failed)? {
            // The operator's configuration would bring it back at the next start.
            Some(sub) if sub.origin == Origin::Config => Ok(Unsubscribed::Configured),
            _ => {
                let existed = self.store.remove(channel).await.map_err(failed)?;
                // Nothing left to warn the operator about.
                self.store
                    .end_incident(channel, Timestamp::now())
                    .await
                    .map_err(failed)?;
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

/// Counts `/ask` misses in the state database, off the answering path: questions are queued
/// (at most [`MISS_QUEUE`]; more are dropped rather than delay answers) and one task writes them.
pub struct MissLog {
    queue: tokio::sync::mpsc::Sender<String>,
}

/// Missed questions waiting to be written.
const MISS_QUEUE: usize = 1024;

impl MissLog {
    /// Starts the writer over `store` (call inside the runtime).
    pub fn start(store: Arc<dyn Store>) -> MissLog {
        let (queue, mut questions) = tokio::sync::mpsc::channel::<String>(MISS_QUEUE);
        tokio::spawn(async move {
            while let Some(question) = questions.recv().await {
                if let Err(e) = store.record_miss(&question, Timestamp::now()).await {
                    warn!(error = %e, "cannot count a missed question");
                }
            }
        });
        MissLog { queue }
    }
}

impl crate::engine::misses::Misses for MissLog {
    fn record(&self, question: String) {
        if self.queue.try_send(question).is_err() {
            warn!("missed-question queue full; one question not counted");
        }
    }
}
