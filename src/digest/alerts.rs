//! Change alerts: after every reload (and at start), the served fact base is compared with
//! the state alerts were last made from ([`Service::note_facts`]); a difference becomes one
//! alert, made once in the state database whichever process sees it first. Each alert channel
//! then gets it through the digest's exactly-once path — claim, post with a nonce (each part,
//! when Discord's limits split it), mark — paced by the same [`crate::ratelimit::Pacer`],
//! with the same retries, pauses (403/404) and settling of a post whose outcome is unknown.
//! In an announcement channel each post is published ([`Service::publish`]), for digests too.
//!
//! The alert's words are the engine's (`engine::alerts::render`); nothing here formats one.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tracing::{error, info, warn};

use super::store::{Alert, AlertMark, AlertSubscription, ChannelInfo};
use super::{delivery, DeliveryError, Origin, SendError, Sending, Sent, Service, Target};
use crate::engine::alerts::{self as words, AlertStatus, Alerts, NewAlertSubscription};
use crate::engine::subscriptions::{ServiceError, Unsubscribed};
use crate::engine::Engine;
use crate::ratelimit::Slot;
use crate::serving::Served;

/// What a claim leaves to do: post with this nonce (and the time a post whose outcome is
/// unknown was sent off), or nothing — already delivered, skipped, or held by another worker.
fn claimed(claim: super::Claim) -> Result<(String, Option<Timestamp>), Sent> {
    match claim {
        super::Claim::Delivered { message_id } => Err(Sent::AlreadyDelivered { message_id }),
        super::Claim::Skipped { reason } => Err(Sent::Skipped { reason }),
        super::Claim::Held { lease_left } => Err(Sent::Held { lease_left }),
        super::Claim::Fresh { nonce } => Ok((nonce, None)),
        super::Claim::Unconfirmed { nonce, attempted } => Ok((nonce, attempted)),
    }
}

/// Alert channels are looked at again at least this often (a retry, a new subscription).
const ALERT_PASS: Duration = Duration::from_secs(30);

/// The nonce of part `part` of the alert with `key` in `channel`: the same on every attempt and
/// restart, at most 25 characters.
fn nonce(channel: u64, key: &str) -> String {
    format!(
        "fa{}",
        &crate::engine::fnv(format!("{channel}:{key}").as_bytes())[..16]
    )
}

impl Service {
    /// Compares `engine`'s fact base with the state alerts were last made from and, when it
    /// differs, makes an alert of the changes (if any) and moves the state on — in one
    /// transaction, so of several processes only one makes it. The first time (a new
    /// database) the state is only recorded: a first start is not news. Whether an alert was
    /// made.
    pub async fn note_facts(
        &self,
        engine: &Engine,
        now: Timestamp,
    ) -> Result<bool, super::StoreError> {
        let state = words::state(engine.facts()).join("\n");
        loop {
            let stored = self.store.alert_state().await?;
            if stored.as_deref() == Some(state.as_str()) {
                return Ok(false);
            }
            let alert = stored.as_deref().and_then(|old| {
                let old: Vec<String> = old.lines().map(str::to_owned).collect();
                let new: Vec<String> = state.lines().map(str::to_owned).collect();
                let changes = words::changes(&old, &new);
                (!changes.is_empty()).then(|| Alert {
                    seq: 0,
                    key: words::key(&changes),
                    changes,
                    made_at: now,
                })
            });
            if self
                .store
                .advance_alerts(stored.as_deref(), &state, alert.as_ref())
                .await?
            {
                if let Some(a) = &alert {
                    info!(key = %a.key, changes = ?a.changes, "the fact base changed: alert made");
                }
                return Ok(alert.is_some());
            }
        }
    }

    /// The alerts loop, until `shutdown`: at start and after every reload, notes the fact base
    /// and sends each alert channel what it is owed, each channel in a task of its own (a slow
    /// one holds up none). Channels are looked at again every [`ALERT_PASS`] for retries.
    pub async fn run_alerts(
        self: Arc<Self>,
        served: Arc<Served>,
        grace: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut swaps = served.swaps();
        let mut sending = Sending::default();
        info!("change alerts started");
        let mut first = true;
        loop {
            let (engine, now) = (served.engine(), served.now());
            if let Err(e) = self.note_facts(&engine, now).await {
                error!(error = %e, "cannot compare the fact base with the alerts' state");
            }
            let owed = self.alert_pass(&engine, now, &mut sending).await;
            if std::mem::take(&mut first) {
                info!(owed, "alert channels looked at");
            }
            let sleep = tokio::time::sleep(ALERT_PASS);
            let mut sleep = std::pin::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    Ok(()) = swaps.changed() => break,
                    Some(done) = sending.tasks.join_next_with_id() => sending.finished(done),
                    () = &mut shutdown => {
                        sending.stop(grace).await;
                        info!("change alerts stopped");
                        return;
                    }
                }
            }
        }
    }

    /// Starts a task for each alert channel owed an alert (not paused, not busy, not waiting
    /// to retry); how many were started.
    async fn alert_pass(
        self: &Arc<Self>,
        engine: &Arc<Engine>,
        now: Timestamp,
        sending: &mut Sending,
    ) -> usize {
        let subs = match self.store.alert_subscriptions().await {
            Ok(subs) => subs,
            Err(e) => {
                error!(error = %e, "cannot read alert subscriptions");
                return 0;
            }
        };
        let mut owed = 0;
        let busy: std::collections::HashSet<u64> = sending.channels.values().copied().collect();
        for sub in subs.into_iter().filter(|s| s.paused.is_none()) {
            let waiting = self.alert_retry_at(sub.channel_id).is_some_and(|t| t > now);
            if busy.contains(&sub.channel_id) || waiting {
                continue;
            }
            let pending = match self.store.pending_alerts(sub.channel_id, sub.after).await {
                Ok(p) => p,
                Err(e) => {
                    error!(error = %e, "cannot read the alert log");
                    continue;
                }
            };
            if pending.is_empty() {
                continue;
            }
            let (service, engine) = (Arc::clone(self), Arc::clone(engine));
            owed += 1;
            sending.spawn(sub.channel_id, async move {
                service.alert_channel(&engine, &sub, pending, now).await;
            });
        }
        owed
    }

    /// When `channel`'s alerts may be tried again after a failure.
    fn alert_retry_at(&self, channel: u64) -> Option<Timestamp> {
        self.alert_retry_after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&channel)
            .copied()
    }

    /// Sends one channel its pending alerts in order; a failure sets its own retry timer.
    async fn alert_channel(
        &self,
        engine: &Engine,
        sub: &AlertSubscription,
        pending: Vec<Alert>,
        now: Timestamp,
    ) {
        let channel = sub.channel_id;
        for alert in pending {
            let wait = match Box::pin(self.send_alert(engine, sub, &alert, now)).await {
                Err(SendError::Stopped) => return,
                Ok(Sent::Held { lease_left }) => lease_left,
                Ok(_) => continue,
                Err(why) => {
                    error!(channel, seq = alert.seq, reason = %why, "alert not delivered; will retry");
                    super::RETRY_LATER
                }
            };
            let later = now + jiff::SignedDuration::try_from(wait).unwrap_or_default();
            self.alert_retry_after
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(channel, later);
            return;
        }
    }

    /// Claims and posts `alert` in `sub`'s channel, part by part — the exactly-once path: a
    /// part whose outcome is unknown is resent with its nonce within Discord's nonce window,
    /// and looked for in the channel after it.
    pub async fn send_alert(
        &self,
        engine: &Engine,
        sub: &AlertSubscription,
        alert: &Alert,
        now: Timestamp,
    ) -> Result<Sent, SendError> {
        let Some(mut slot) = self.pacer.slot().await else {
            return Err(SendError::Stopped);
        };
        let (channel, seq) = (sub.channel_id, alert.seq);
        let (claim, done) = self
            .store
            .claim_alert(channel, seq, &nonce(channel, &alert.key))
            .await?;
        let (base, mut attempted) = match claimed(claim) {
            Ok(go) => go,
            Err(sent) => return Ok(sent),
        };
        let lang = engine.post_language(sub.locale.as_deref());
        let parts = words::render(engine, &alert.changes, alert.made_at, sub.role_id, lang);
        if parts.is_empty() {
            let reason =
                "nothing left to say: the fact base no longer has these changes".to_owned();
            self.store
                .mark_alert(channel, seq, &AlertMark::Skipped(reason.clone()))
                .await?;
            return Ok(Sent::Skipped { reason });
        }
        let target = self.bot_target(channel)?;
        let mut last = String::new();
        for (i, reply) in parts.iter().enumerate().skip(done as usize) {
            let done = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if let Some(at) = attempted.take() {
                if let Some(found) = self.find_part(&mut slot, &target, at, reply, now).await? {
                    self.store
                        .mark_alert(
                            channel,
                            seq,
                            &AlertMark::Part {
                                done,
                                message_id: found.clone(),
                            },
                        )
                        .await?;
                    last = found;
                    continue;
                }
            }
            let nonce = format!("{base}{i}");
            self.store
                .mark_alert(channel, seq, &AlertMark::Attempted(Some(now)))
                .await?;
            match delivery::post(&self.client, &mut slot, &target, reply, &nonce).await {
                Ok(id) => {
                    self.store
                        .mark_alert(
                            channel,
                            seq,
                            &AlertMark::Part {
                                done,
                                message_id: id.clone(),
                            },
                        )
                        .await?;
                    self.publish(&mut slot, &target, &id, None).await;
                    last = id;
                }
                Err(e) => return self.alert_failed(sub, seq, e).await,
            }
        }
        self.store
            .mark_alert(channel, seq, &AlertMark::Delivered)
            .await?;
        info!(channel, seq, message_id = %last, "alert delivered");
        Ok(Sent::Posted { message_id: last })
    }

    /// A part sent off at `attempted` whose outcome is unknown: within Discord's nonce window it
    /// is simply resent (`None`); after it, the channel is searched for it.
    async fn find_part(
        &self,
        slot: &mut Slot<'_>,
        target: &Target,
        attempted: Timestamp,
        reply: &crate::engine::Reply,
        now: Timestamp,
    ) -> Result<Option<String>, SendError> {
        if now.duration_since(attempted) <= super::NONCE_WINDOW {
            return Ok(None);
        }
        let since = attempted - jiff::SignedDuration::from_secs(60);
        delivery::find_own(&self.client, slot, target, since, reply.headline())
            .await
            .map_err(|why| {
                SendError::Delivery(format!(
                    "cannot check the channel for an unconfirmed alert: {why}"
                ))
            })
    }

    /// Records why a part was not posted: a 403/404 pauses the channel's alerts.
    async fn alert_failed(
        &self,
        sub: &AlertSubscription,
        seq: i64,
        e: DeliveryError,
    ) -> Result<Sent, SendError> {
        let channel = sub.channel_id;
        match e {
            DeliveryError::Permanent { status, message } => {
                let reason = format!("Discord answered {status} ({message}) when posting an alert");
                self.store
                    .mark_alert(channel, seq, &AlertMark::Attempted(None))
                    .await?;
                self.store.pause_alerts(channel, &reason).await?;
                warn!(channel, %reason, "alerts paused");
                Ok(Sent::Paused { reason })
            }
            DeliveryError::Failed(why) => {
                self.store
                    .mark_alert(channel, seq, &AlertMark::Attempted(None))
                    .await?;
                Err(SendError::Delivery(why))
            }
            DeliveryError::Unknown(why) => Err(SendError::Unknown(why)),
        }
    }

    /// Posting as the bot in `channel`.
    fn bot_target(&self, channel: u64) -> Result<Target, SendError> {
        let token = self.settings.token.clone().ok_or(SendError::NoToken)?;
        Ok(Target::Channel {
            api_base: self.settings.api_base.clone(),
            token,
            channel_id: channel,
        })
    }

    /// Publishes the bot's post `message_id` when `target` is an announcement channel
    /// (`known`: the kind the subscription said; else the store's, else Discord's, looked up
    /// once). A failure is logged and kept for `/digest status` and `/alerts status` — not
    /// retried: the next post is published again.
    pub(super) async fn publish(
        &self,
        slot: &mut Slot<'_>,
        target: &Target,
        message_id: &str,
        known: Option<u8>,
    ) {
        let Target::Channel { channel_id, .. } = target else {
            return;
        };
        let channel = *channel_id;
        let (mut info, stored) = match self.store.channel_info(channel).await {
            Ok(Some(info)) => (info, true),
            // Learning the type costs a request: not while a fan-out is under way (it would
            // take a turn from the posts under the global limit); once it is over, the post
            // is looked at again (`publish_unpublished`).
            Ok(None) if known.is_none() && self.pacer.busy() => {
                self.unpublished().insert(channel, message_id.to_owned());
                return;
            }
            Ok(None) => (ChannelInfo {
                kind: match known {
                    Some(kind) => Some(kind),
                    None => delivery::channel_kind(&self.client, slot, target)
                        .await
                        .unwrap_or_else(|why| {
                            warn!(channel, %why, "cannot learn the channel's type; not publishing there");
                            None
                        }),
                },
                publishing: None,
            }, false),
            Err(e) => return warn!(channel, error = %e, "cannot read what is known of the channel"),
        };
        let before = info.clone();
        if info.announcement() {
            info.publishing = match delivery::crosspost(&self.client, slot, target, message_id)
                .await
            {
                Ok(()) => None,
                Err(e) => {
                    let why = e.to_string();
                    warn!(channel, %message_id, reason = %why, "could not publish the post to following servers; not retrying");
                    Some(why)
                }
            };
        }
        if info != before || !stored {
            if let Err(e) = self.store.note_channel(channel, &info).await {
                warn!(channel, error = %e, "cannot record what is known of the channel");
            }
        }
    }

    fn unpublished(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, String>> {
        self.unpublished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether posts wait to be published once the fan-out is over.
    pub(super) fn has_unpublished(&self) -> bool {
        !self.unpublished().is_empty()
    }

    /// Publishes the posts a fan-out left unpublished (their channels' types were not known
    /// then), once it is over: each channel's type is learnt, and its latest such post
    /// published when it is an announcement channel. Not while another fan-out is under way.
    pub(super) async fn publish_unpublished(&self) {
        if self.pacer.busy() {
            return;
        }
        let waiting: Vec<(u64, String)> = self.unpublished().drain().collect();
        for (channel, message_id) in waiting {
            let (Some(mut slot), Ok(target)) = (self.pacer.slot().await, self.bot_target(channel))
            else {
                return;
            };
            self.publish(&mut slot, &target, &message_id, None).await;
        }
    }

    /// An alert channel's status.
    pub async fn alert_status(
        &self,
        channel: u64,
    ) -> Result<Option<AlertStatus>, super::StoreError> {
        let subs = self.store.alert_subscriptions().await?;
        let Some(sub) = subs.into_iter().find(|s| s.channel_id == channel) else {
            return Ok(None);
        };
        let info = self.store.channel_info(channel).await?.unwrap_or_default();
        Ok(Some(AlertStatus {
            role: sub.role_id,
            origin: sub.origin,
            paused: sub.paused,
            last: self.store.last_alert(channel).await?,
            announcement: info.announcement(),
            publishing: info.publishing,
        }))
    }
}

/// `/alerts`'s subscriptions, over the store.
#[async_trait::async_trait]
impl Alerts for Service {
    async fn subscribe(&self, request: NewAlertSubscription) -> Result<(), ServiceError> {
        let sub = AlertSubscription {
            channel_id: request.channel,
            guild_id: request.guild,
            role_id: request.role,
            origin: Origin::Discord,
            paused: None,
            after: 0,
            locale: request.locale,
        };
        self.store
            .alert_subscribe(&sub)
            .await
            .map_err(super::failed)?;
        self.note_kind(request.channel, request.channel_kind)
            .await?;
        self.alert_retry_after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&request.channel);
        info!(channel = sub.channel_id, role = ?sub.role_id, locale = ?sub.locale, "alert subscription saved");
        Ok(())
    }

    async fn unsubscribe(&self, channel: u64) -> Result<Unsubscribed, ServiceError> {
        let subs = self
            .store
            .alert_subscriptions()
            .await
            .map_err(super::failed)?;
        match subs.iter().find(|s| s.channel_id == channel) {
            Some(sub) if sub.origin == Origin::Config => Ok(Unsubscribed::Configured),
            Some(_) => {
                self.store
                    .alert_unsubscribe(channel)
                    .await
                    .map_err(super::failed)?;
                info!(channel, "alert subscription removed");
                Ok(Unsubscribed::Removed)
            }
            None => Ok(Unsubscribed::NotSubscribed),
        }
    }

    async fn status(&self, channel: u64) -> Result<Option<AlertStatus>, ServiceError> {
        self.alert_status(channel).await.map_err(super::failed)
    }
}

impl Service {
    /// Records the channel's type as an interaction told it (subscribe), keeping what else is
    /// known.
    pub(super) async fn note_kind(
        &self,
        channel: u64,
        kind: Option<u8>,
    ) -> Result<(), ServiceError> {
        let Some(kind) = kind else { return Ok(()) };
        let mut info = self
            .store
            .channel_info(channel)
            .await
            .map_err(super::failed)?
            .unwrap_or_default();
        info.kind = Some(kind);
        self.store
            .note_channel(channel, &info)
            .await
            .map_err(super::failed)
    }
}
