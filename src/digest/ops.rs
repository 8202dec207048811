//! What a subscription is owed, what is kept about it, and what the operator hears.
//!
//! - *Owed*: a digest due outside the fact base's window, or — in updates mode — with no
//!   update since the channel's last digest, is not owed: the scheduler never claims it and
//!   nothing is recorded (`/digest status` says why).
//! - *History*: each outcome (delivered, skipped, paused, failed) goes into the channel's
//!   delivery history, the last 30 kept.
//! - *Incidents*: a pause (403/404) or deliveries failing for an hour opens an incident; its
//!   notice is posted to `ops_channel` once — claimed in the database, posted with a nonce of
//!   its own, then marked — so neither a restart nor a second worker repeats it. A delivery
//!   that succeeds ends the incident.
//! - *Forgetting*: a server whose Discord-made subscriptions have all been paused by 403/404
//!   for a week removed the bot (or the channels): what is kept about it is deleted, and logged.
//!
//! History and incidents are secondary to posting: failing to record them is logged, never a
//! reason not to post.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use tracing::{error, info, warn};

use super::delivery::{self, Target};
use super::store::{DeliveryOutcome, HistoryEntry, Incident, IncidentKind, Mode, Origin};
use super::{Service, StoreError, Subscription};
use crate::engine::commands::digest as words;
use crate::engine::{Engine, Reply};
use crate::facts::window::Position;

/// Deliveries failing this long are an incident worth a notice.
pub const FAILING_NOTICE_AFTER: SignedDuration = SignedDuration::from_hours(1);
/// A notice claimed this long ago and not marked sent was cut off: it is posted again (with the
/// same nonce, within Discord's de-duplication window).
const NOTICE_CLAIM_STALE: SignedDuration = SignedDuration::from_secs(60);
/// After a notice failed to post, the operator's channel is tried again this much later.
const NOTICE_RETRY: SignedDuration = SignedDuration::from_secs(300);
/// A server whose subscriptions have been paused by 403/404 this long is forgotten.
pub const FORGET_AFTER: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Why a due digest is not owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOwed {
    /// Due outside the fact base's digest window.
    Window(Position),
    /// Updates mode, and nothing new since the channel's last digest.
    NoUpdates,
}

impl Service {
    /// Whether `sub`'s digest due at `due` is owed: `None` when it is, else why not.
    pub async fn owed(
        &self,
        engine: &Engine,
        sub: &Subscription,
        due: Timestamp,
    ) -> Result<Option<NotOwed>, StoreError> {
        let facts = engine.facts();
        match facts.digest_window.position(&facts.event, due) {
            Position::Inside => {}
            outside => return Ok(Some(NotOwed::Window(outside))),
        }
        if sub.mode == Mode::Daily {
            return Ok(None);
        }
        let since = self
            .store
            .last_delivered(sub.channel_id)
            .await?
            .and_then(|d| d.covered_until);
        Ok(match engine.new_updates(since, due).next() {
            Some(_) => None,
            None => Some(NotOwed::NoUpdates),
        })
    }

    /// Logs, once per channel and day, why a due digest is not posted.
    pub(super) fn log_not_owed(&self, sub: &Subscription, date: Date, why: NotOwed) {
        let mut logged = self
            .not_owed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if logged.insert(sub.channel_id, date) == Some(date) {
            return;
        }
        let reason = match why {
            NotOwed::Window(Position::Before { first_day, .. }) => {
                format!("before the digest window (it opens on {first_day})")
            }
            NotOwed::Window(Position::After { last_day, .. }) => {
                format!("after the digest window (it closed after {last_day})")
            }
            NotOwed::Window(Position::Inside) => "not owed".into(),
            NotOwed::NoUpdates => "updates mode, and no new updates since the last digest".into(),
        };
        info!(channel = sub.channel_id, %date, %reason, "digest not owed; nothing posted");
    }

    /// Adds a line to `sub`'s history; a failure to is logged.
    async fn remember(&self, sub: &Subscription, entry: HistoryEntry) {
        if let Err(e) = self
            .store
            .record(sub.channel_id, sub.guild_id, &entry)
            .await
        {
            error!(channel = sub.channel_id, error = %e, "cannot record the delivery history");
        }
    }

    fn entry(date: Date, at: Timestamp, outcome: DeliveryOutcome) -> HistoryEntry {
        HistoryEntry {
            at,
            date,
            outcome,
            message_id: None,
            detail: None,
            attempts: 1,
        }
    }

    /// A digest is in the channel: history, and the end of any incident.
    pub(super) async fn delivered(
        &self,
        sub: &Subscription,
        date: Date,
        message_id: &str,
        now: Timestamp,
    ) {
        let mut entry = Self::entry(date, now, DeliveryOutcome::Delivered);
        entry.message_id = Some(message_id.to_owned());
        self.remember(sub, entry).await;
        match self.store.end_incident(sub.channel_id, now).await {
            Ok(Some(ended)) => info!(
                channel = sub.channel_id,
                incident = ended.id,
                kind = ended.kind.name(),
                "digest delivered again: incident over"
            ),
            Ok(None) => {}
            Err(e) => error!(channel = sub.channel_id, error = %e, "cannot end an incident"),
        }
    }

    pub(super) async fn skipped(&self, sub: &Subscription, date: Date, why: &str, now: Timestamp) {
        let mut entry = Self::entry(date, now, DeliveryOutcome::Skipped);
        entry.detail = Some(why.to_owned());
        self.remember(sub, entry).await;
    }

    /// Paused by a 403/404: history, and an incident noticed at once.
    pub(super) async fn paused(&self, sub: &Subscription, date: Date, why: &str, now: Timestamp) {
        let mut entry = Self::entry(date, now, DeliveryOutcome::Paused);
        entry.detail = Some(why.to_owned());
        self.remember(sub, entry).await;
        self.incident(sub, IncidentKind::Paused, why, now).await;
    }

    /// Not delivered this time (retried later): history, and an incident noticed if the
    /// failures go on for [`FAILING_NOTICE_AFTER`].
    pub(super) async fn failed(&self, sub: &Subscription, date: Date, why: &str, now: Timestamp) {
        let mut entry = Self::entry(date, now, DeliveryOutcome::Failed);
        entry.detail = Some(why.to_owned());
        self.remember(sub, entry).await;
        self.incident(sub, IncidentKind::Failing, why, now).await;
    }

    async fn incident(&self, sub: &Subscription, kind: IncidentKind, why: &str, now: Timestamp) {
        let opened = self
            .store
            .open_incident(sub.channel_id, sub.guild_id, kind, why, now)
            .await;
        if let Err(e) = opened {
            error!(channel = sub.channel_id, error = %e, "cannot record an incident");
        }
        // The scheduler's housekeeping posts the notice (now for a pause, after an hour of
        // failures); wake it.
        self.changed.notify_one();
    }

    /// The scheduler's housekeeping, once per pass: notices of incidents due one, and servers
    /// gone for a week forgotten.
    pub(super) async fn tend(&self, now: Timestamp) {
        let incidents = match self.store.open_incidents().await {
            Ok(list) => list,
            Err(e) => {
                error!(error = %e, "cannot read incidents");
                return;
            }
        };
        if !incidents.is_empty() {
            self.notify(&incidents, now).await;
        }
        if let Err(e) = self.forget_gone(&incidents, now).await {
            error!(error = %e, "cannot clean up servers that removed the bot");
        }
        self.publish_unpublished().await;
    }

    /// Posts the notices due: a pause at once, failures after an hour; each once.
    async fn notify(&self, incidents: &[Incident], now: Timestamp) {
        let (Some(ops), Some(token)) = (self.settings.ops_channel, self.settings.token.clone())
        else {
            return;
        };
        let waiting = *self
            .notices_after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if waiting.is_some_and(|t| t > now) {
            return;
        }
        let target = Target::Channel {
            api_base: self.settings.api_base.clone(),
            token,
            channel_id: ops,
        };
        for incident in incidents.iter().filter(|i| notice_due(i, now)) {
            if !self.post_notice(&target, incident, now).await {
                *self
                    .notices_after
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(now + NOTICE_RETRY);
                return;
            }
        }
    }

    /// Claims, posts and marks one notice; `false` when the operator's channel failed.
    async fn post_notice(&self, target: &Target, incident: &Incident, now: Timestamp) -> bool {
        match self
            .store
            .claim_notice(incident.id, incident.notice_claimed_at, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return true,
            Err(e) => {
                error!(incident = incident.id, error = %e, "cannot claim an incident notice");
                return false;
            }
        }
        let Some(mut slot) = self.pacer.slot().await else {
            let _ = self.store.noticed(incident.id, None, now).await;
            return false;
        };
        let reply = Reply::public(notice_text(incident));
        let nonce = format!(
            "fi{}",
            crate::engine::fnv(format!("{}:{}", incident.id, incident.started_at).as_bytes())
        );
        let posted = delivery::post(&self.client, &mut slot, target, &reply, &nonce).await;
        let message_id = match &posted {
            Ok(id) => Some(id.as_str()),
            Err(_) => None,
        };
        if let Err(e) = self.store.noticed(incident.id, message_id, now).await {
            error!(incident = incident.id, error = %e, "cannot record an incident notice");
        }
        match posted {
            Ok(message_id) => {
                info!(incident = incident.id, channel = incident.channel_id, kind = incident.kind.name(), %message_id, "operator notified of an incident");
                true
            }
            Err(why) => {
                error!(incident = incident.id, channel = incident.channel_id, reason = %why, "cannot post an incident notice to the operator channel; trying again later");
                false
            }
        }
    }

    /// Forgets each server whose Discord-made subscriptions have all been paused by 403/404
    /// for [`FORGET_AFTER`]: the bot was removed, or every channel it posted in went away.
    /// Configured subscriptions stay (the operator's file would bring them back). What the
    /// pass found is logged when it differs from the last pass's ([`Cleanup`]).
    async fn forget_gone(&self, incidents: &[Incident], now: Timestamp) -> Result<(), StoreError> {
        let paused = |i: &&Incident| i.kind == IncidentKind::Paused;
        let old = |i: &&Incident| paused(i) && now.duration_since(i.started_at) >= FORGET_AFTER;
        let servers = |of: &dyn Fn(&&Incident) -> bool| {
            let mut guilds: Vec<u64> = incidents
                .iter()
                .filter(of)
                .filter_map(|i| i.guild_id)
                .collect();
            guilds.sort_unstable();
            guilds.dedup();
            guilds
        };
        let guilds = servers(&old);
        let mut found = Cleanup {
            paused_servers: servers(&paused).len(),
            paused_a_week: guilds.len(),
            forgotten: 0,
        };
        let subs = match guilds.is_empty() {
            true => Vec::new(),
            false => self.store.subscriptions().await?,
        };
        for guild in guilds {
            let theirs: Vec<&Subscription> = subs
                .iter()
                .filter(|s| s.guild_id == Some(guild) && s.origin == Origin::Discord)
                .collect();
            let gone = theirs.iter().all(|s| {
                s.paused.is_some()
                    && incidents
                        .iter()
                        .filter(old)
                        .any(|i| i.channel_id == s.channel_id)
            });
            if !gone {
                continue;
            }
            let forgotten = self.store.forget_guild(guild, true).await?;
            found.forgotten += 1;
            let channels: Vec<u64> = forgotten.subscriptions.iter().map(|(c, _)| *c).collect();
            warn!(
                guild,
                ?channels,
                deliveries = forgotten.deliveries,
                history = forgotten.history,
                incidents = forgotten.incidents,
                kept_configured = ?forgotten.kept,
                "forgot a server whose channels answered 403/404 for a week (the bot was removed?)"
            );
        }
        self.log_cleanup(found);
        Ok(())
    }

    /// Logs what a pass of forgetting found, when it differs from the last pass's: once per
    /// change, not once per scheduler pass.
    fn log_cleanup(&self, found: Cleanup) {
        let mut last = self
            .last_cleanup
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *last == found {
            return;
        }
        *last = found;
        info!(
            paused_servers = found.paused_servers,
            paused_a_week = found.paused_a_week,
            forgotten = found.forgotten,
            "checked for servers that removed the bot (every channel paused by 403/404 for a week)"
        );
    }
}

/// What a pass of forgetting found: servers with a channel paused by 403/404, those paused
/// for a week, and those forgotten (the rest of them kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Cleanup {
    paused_servers: usize,
    paused_a_week: usize,
    forgotten: usize,
}

/// Whether `incident`'s notice should go out now: not sent, not being sent (or that attempt
/// was cut off), and a pause — or failures for an hour.
fn notice_due(incident: &Incident, now: Timestamp) -> bool {
    let ripe = match incident.kind {
        IncidentKind::Paused => true,
        IncidentKind::Failing => now.duration_since(incident.started_at) >= FAILING_NOTICE_AFTER,
    };
    let free = incident
        .notice_claimed_at
        .is_none_or(|t| now.duration_since(t) >= NOTICE_CLAIM_STALE);
    incident.notified_at.is_none() && ripe && free
}

/// The operator's notice: which channel, what happened since when, and what to do.
fn notice_text(incident: &Incident) -> String {
    let guild = incident
        .guild_id
        .map_or(String::new(), |g| format!(" (server {g})"));
    let since = words::when(incident.started_at, "UTC");
    let channel = incident.channel_id;
    match incident.kind {
        IncidentKind::Paused => format!(
            "**Digest paused** in <#{channel}> (channel {channel}){guild} since {since}: {}. Nothing more is posted there until it is subscribed again (`/digest subscribe`, or a changed entry in factdesk.toml). If its server removed the bot, the subscriptions made there with `/digest subscribe` are forgotten after 7 days.",
            incident.reason
        ),
        IncidentKind::Failing => format!(
            "**Digest failing** in <#{channel}> (channel {channel}){guild} since {since}: {}. Retried every 5 minutes; you hear again only if it pauses.",
            incident.reason
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(kind: IncidentKind, started: &str) -> Incident {
        Incident {
            id: 1,
            channel_id: 7,
            guild_id: Some(9),
            kind,
            reason: "Discord answered 500".into(),
            started_at: started.parse().expect("instant"),
            notice_claimed_at: None,
            notified_at: None,
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("instant")
    }

    #[test]
    fn a_pause_is_noticed_at_once_failures_after_an_hour() {
        let paused = incident(IncidentKind::Paused, "2026-02-25T02:30:00Z");
        assert!(notice_due(&paused, at("2026-02-25T02:30:00Z")));
        let failing = incident(IncidentKind::Failing, "2026-02-25T02:30:00Z");
        assert!(!notice_due(&failing, at("2026-02-25T03:29:59Z")));
        assert!(notice_due(&failing, at("2026-02-25T03:30:00Z")));
    }

    #[test]
    fn a_notice_is_sent_once_and_a_cut_off_claim_is_taken_over() {
        let now = at("2026-02-25T04:00:00Z");
        let mut claimed = incident(IncidentKind::Paused, "2026-02-25T02:30:00Z");
        claimed.notice_claimed_at = Some(at("2026-02-25T03:59:30Z"));
        assert!(!notice_due(&claimed, now), "another worker is posting it");
        claimed.notice_claimed_at = Some(at("2026-02-25T03:58:59Z"));
        assert!(notice_due(&claimed, now), "that post was cut off");
        claimed.notified_at = Some(at("2026-02-25T03:59:00Z"));
        assert!(!notice_due(&claimed, now), "sent");
    }

    #[test]
    fn the_notice_names_the_channel_the_server_and_what_to_do() {
        let text = notice_text(&incident(IncidentKind::Paused, "2026-02-25T02:30:00Z"));
        assert!(text.starts_with("**Digest paused** in <#7> (channel 7) (server 9) since Wednesday 25 February 2026, 02:30 UTC: Discord answered 500."), "{text}");
        assert!(text.contains("`/digest subscribe`"), "{text}");
    }
}
