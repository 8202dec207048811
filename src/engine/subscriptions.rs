//! The digest subscriptions `/digest` manages, as the engine sees them: a service trait the
//! serving process implements over its database (`crate::digest::Service`), and the plain
//! data it returns. The engine owns the words; the implementation owns the state. Nothing here
//! knows SQLite, a runtime or Discord.

/// Where a subscription was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Listed in factdesk.toml (for operators).
    Config,
    /// Made with `/digest subscribe`.
    Discord,
}

/// When a subscription's digest is posted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Every day at its time (inside the fact base's digest window).
    #[default]
    Daily,
    /// Only on days with updates since the channel's last digest; other days are not owed
    /// (nothing is posted or recorded for them).
    Updates,
}

impl Mode {
    /// How the mode is written: in `/digest subscribe mode:`, factdesk.toml and the database.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Daily => "daily",
            Mode::Updates => "updates",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        [Mode::Daily, Mode::Updates]
            .into_iter()
            .find(|m| m.name() == text.trim())
    }
}

/// What became of one attempt at a day's digest, in a subscription's delivery history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    /// Not posted, with the reason (missed beyond the catch-up window, an unknown webhook post).
    Skipped,
    /// Discord answered 403/404: the subscription paused.
    Paused,
    /// Not posted this time (5xx, connection errors); retried later.
    Failed,
}

impl DeliveryOutcome {
    /// How the outcome is written (in the database and in status lines).
    pub fn name(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Skipped => "skipped",
            DeliveryOutcome::Paused => "paused",
            DeliveryOutcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryOutcome> {
        use DeliveryOutcome::*;
        [Delivered, Skipped, Paused, Failed]
            .into_iter()
            .find(|o| o.name() == text)
    }
}

/// One line of a subscription's delivery history (the last [`HISTORY_LEN`] are kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When it happened (the latest attempt, for repeated failures).
    pub at: jiff::Timestamp,
    /// The day whose digest it was, in the channel's zone.
    pub date: jiff::civil::Date,
    pub outcome: DeliveryOutcome,
    pub message_id: Option<String>,
    /// Why it was skipped, paused or failed.
    pub detail: Option<String>,
    /// Failures of the same day in a row count into one line.
    pub attempts: u32,
}

/// How many history lines each subscription keeps.
pub const HISTORY_LEN: usize = 30;

/// What `/digest status` shows about one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub time: jiff::civil::Time,
    pub zone: String,
    pub origin: Origin,
    pub mode: Mode,
    /// Why delivery is paused, if it is.
    pub paused: Option<String>,
    pub next: Option<jiff::Timestamp>,
    /// The last delivered digest.
    pub last: Option<Delivered>,
    /// Recent skipped days: date and reason.
    pub skipped: Vec<(String, String)>,
    /// Why the last publishing (crosspost) in this announcement channel failed, if it did.
    pub publishing: Option<String>,
    /// The delivery history, newest first.
    pub history: Vec<HistoryEntry>,
    /// The Discord locale the channel's digests are written in (the server's when it
    /// subscribed, or the operator's); `None`: English.
    pub locale: Option<String>,
}

/// A delivered digest, as `/digest status` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The day it is the digest of, in the channel's zone.
    pub date: String,
    pub message_id: String,
    /// The instant it reads as of (its due time), when recorded.
    pub as_of: Option<jiff::Timestamp>,
}

/// A subscription a reader asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    pub channel: u64,
    pub guild: Option<u64>,
    pub time: jiff::civil::Time,
    pub zone: String,
    pub mode: Mode,
    /// When it was asked for: digests due before this are not owed.
    pub at: jiff::Timestamp,
    /// The channel's type, as the interaction said (5: announcement, whose posts are published).
    pub channel_kind: Option<u8>,
    /// The server's locale (`guild_locale`): the channel is read by its server, so its digests
    /// are written in that language.
    pub locale: Option<String>,
}

/// What unsubscribing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    Removed,
    /// The channel had no subscription.
    NotSubscribed,
    /// The operator's configuration holds it; it cannot be removed from Discord.
    Configured,
}

/// What a channel's digest preview is rendered with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviewBasis {
    /// The channel's time zone, if it is subscribed.
    pub zone: Option<String>,
    /// Updates after this instant are new to the channel (its last digest's cover).
    pub since: Option<jiff::Timestamp>,
    /// The Discord locale the channel's digests are written in, if it is subscribed with one.
    pub locale: Option<String>,
}

/// The service failed (our failure, not the reader's); the message is for the operator's log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServiceError(pub String);

/// Digest subscriptions, as `/digest` uses them.
#[async_trait::async_trait]
pub trait Subscriptions: Send + Sync {
    /// Saves (or replaces) a channel's subscription; returns when its next digest is due.
    async fn subscribe(&self, request: NewSubscription) -> Result<jiff::Timestamp, ServiceError>;
    async fn unsubscribe(&self, channel: u64) -> Result<Unsubscribed, ServiceError>;
    async fn status(
        &self,
        channel: u64,
        now: jiff::Timestamp,
    ) -> Result<Option<Status>, ServiceError>;
    /// The zone and update cover for previewing `channel`'s digest.
    async fn preview_basis(&self, channel: u64) -> Result<PreviewBasis, ServiceError>;
}
