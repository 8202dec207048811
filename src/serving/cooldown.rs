//! Cooldowns, so busy servers are not flooded. Two rules, both applied by
//! [`super::Served::answer`] and off unless `serve` configures them (never in `ask`/`chat`):
//!
//! - **The same answer again**: a public answer identical (content and embeds) to one posted in
//!   the same channel less than `cooldown_seconds` ago goes to the second asker only, under a
//!   pointer to the first — a link when its message can be found (the first interaction's
//!   `GET …/messages/@original`, asked once per window and only when a repeat happens), else
//!   "see the answer just above". Only public replies of answered commands count; autocomplete,
//!   ephemeral replies and deferred answers (whose visibility is fixed before they exist) never do.
//! - **Too many commands from one member**: more than `user_rate_per_minute` (a burst of that
//!   many, then one every 60/n seconds; the `governor` crate's GCRA) are answered ephemerally
//!   with when they may ask again.
//!
//! State is this process's own and bounded: posted answers are forgotten when their window ends
//! (swept at least once a window, at most [`MAX_REMEMBERED`] kept), members when their limit
//! has refilled. With several HTTP replicas each keeps its own window. The words are the
//! engine's ([`crate::engine::notices`]).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::{Answer, Reachable};
use crate::engine::{notices, Engine, Invocation, Reply, Response};

/// Posted answers remembered at most: past this (thousands of distinct answers a window), new
/// ones are not held back rather than memory grow.
pub const MAX_REMEMBERED: usize = 10_000;
/// How long finding the first answer's message may delay the repeat's reply.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);
/// How often members whose limit has refilled are forgotten.
const USER_SWEEP: Duration = Duration::from_secs(60);

/// Finds the message an answered interaction became (the transport's `GET …/@original`).
#[async_trait::async_trait]
pub trait Locate: Send + Sync {
    /// The message id of `answered`'s response, if Discord says.
    async fn message_id(&self, answered: &Reachable) -> Option<u64>;
}

/// The cooldowns of one process (see the module's documentation).
#[derive(Default)]
pub struct Cooldowns {
    repeats: Option<Repeats>,
    users: Option<Users>,
    locate: Option<Arc<dyn Locate>>,
}

impl Cooldowns {
    /// No cooldowns: every answer goes out as the engine gave it.
    pub fn off() -> Cooldowns {
        Cooldowns::default()
    }

    /// A repeated public answer within `window` goes to the asker only (zero: off); a member
    /// gets at most `per_minute` answers a minute (zero: off). `locate` finds where the first
    /// answer is, for the link.
    pub fn new(window: Duration, per_minute: u32, locate: Option<Arc<dyn Locate>>) -> Cooldowns {
        Cooldowns {
            repeats: (!window.is_zero()).then(|| Repeats {
                window,
                hasher: RandomState::new(),
                recent: Mutex::new(Recent {
                    answers: HashMap::new(),
                    swept: Instant::now(),
                    serial: 0,
                }),
            }),
            users: NonZeroU32::new(per_minute).map(|n| Users {
                limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)),
                per_minute,
                swept: Mutex::new(Instant::now()),
            }),
            locate,
        }
    }

    /// The reply to a member over their limit (in their language, from `engine`), or `None`
    /// to answer. Counts the commands of members only (not autocomplete, which comes with
    /// every keystroke).
    pub fn refuse(&self, engine: &Engine, inv: &Invocation) -> Option<Reply> {
        let users = self.users.as_ref()?;
        let user = inv.caller.user_id.filter(|_| inv.focused.is_none())?;
        let wait = users.check(user)?;
        crate::telemetry::record_throttled("user_rate");
        tracing::info!(wait_seconds = wait.as_secs(), "member over the rate limit");
        // The reader's client counts down from its own clock, so the real one (not `serve
        // --now`'s) says when.
        let again = jiff::Timestamp::now()
            .checked_add(wait)
            .unwrap_or_else(|_| jiff::Timestamp::now());
        let lang = engine.reader_language(inv);
        Some(notices::slow_down(again, users.per_minute, lang))
    }

    /// `answer`, or — when the same public answer is in the channel from less than a window
    /// ago — the same answer for the asker only, pointing at the first (the pointer in the
    /// asker's language, from `engine`). `from` is where this interaction can be found later,
    /// should it be the first.
    pub async fn apply(
        &self,
        engine: &Engine,
        inv: &Invocation,
        from: Option<&Reachable>,
        answer: Answer,
    ) -> Answer {
        let Some(repeats) = &self.repeats else {
            return answer;
        };
        let (Response::Message(reply), Some(channel), None) =
            (&answer.response, inv.caller.channel_id, &inv.focused)
        else {
            return answer;
        };
        if reply.ephemeral || answer.outcome != "answered" {
            return answer;
        }
        let key = (channel, repeats.fingerprint(reply));
        let first = Posted {
            until: Instant::now() + repeats.window,
            guild: inv.caller.guild_id,
            first: from.cloned(),
            message: Message::Unknown,
            serial: 0,
        };
        let Some(seen) = repeats.seen(key, first) else {
            return answer;
        };
        crate::telemetry::record_throttled("repeat");
        tracing::info!("the same answer is in the channel; answering the asker only");
        let link = self.link(repeats, key, channel, seen).await;
        Answer {
            response: Response::Message(notices::repeated(
                reply,
                link.as_deref(),
                engine.reader_language(inv),
            )),
            ..answer
        }
    }

    /// The link to the first answer's message: known, or looked up once per window.
    async fn link(&self, repeats: &Repeats, key: Key, channel: u64, seen: Seen) -> Option<String> {
        let message = match seen.message {
            Message::Known(id) => Some(id),
            Message::Unknown => {
                let (locate, first) = (self.locate.as_ref()?, seen.first.as_ref()?);
                let found = tokio::time::timeout(LOOKUP_TIMEOUT, locate.message_id(first))
                    .await
                    .ok()
                    .flatten();
                repeats.located(key, seen.serial, found);
                found
            }
            Message::Looking | Message::NotFound => None,
        };
        message.map(|id| notices::message_link(seen.guild, channel, id))
    }
}

/// A posted answer: its channel and a fingerprint of its content and embeds.
type Key = (u64, u64);

struct Repeats {
    window: Duration,
    /// Seeded per process, so nobody can craft answers that collide on purpose.
    hasher: RandomState,
    recent: Mutex<Recent>,
}

struct Recent {
    answers: HashMap<Key, Posted>,
    /// When expired answers were last dropped.
    swept: Instant,
    /// Numbers each posted answer, so a late lookup never lands on a newer one.
    serial: u64,
}

/// One public answer in a channel, remembered for its window.
struct Posted {
    until: Instant,
    guild: Option<u64>,
    /// The interaction that posted it (its token finds the message; never logged).
    first: Option<Reachable>,
    message: Message,
    serial: u64,
}

/// What is known of the message a posted answer became.
#[derive(Debug, Clone, Copy)]
enum Message {
    Unknown,
    /// A repeat is looking it up now.
    Looking,
    Known(u64),
    NotFound,
}

/// A repeat's view of the first answer.
struct Seen {
    guild: Option<u64>,
    first: Option<Reachable>,
    message: Message,
    serial: u64,
}

impl Repeats {
    fn fingerprint(&self, reply: &Reply) -> u64 {
        let payload = serde_json::to_string(&(&reply.content, &reply.embeds))
            .expect("content and embeds are plain data and always serialize");
        self.hasher.hash_one(payload)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `first` under `key` and returns `None`, or — when an answer under `key` is
    /// still in its window — returns what is known of it (marking a lookup as under way, so
    /// only one repeat asks Discord).
    fn seen(&self, key: Key, mut first: Posted) -> Option<Seen> {
        let now = Instant::now();
        let mut recent = self.lock();
        if let Some(posted) = recent.answers.get_mut(&key).filter(|p| p.until > now) {
            let seen = Seen {
                guild: posted.guild,
                first: posted.first.clone(),
                message: posted.message,
                serial: posted.serial,
            };
            if matches!(posted.message, Message::Unknown) {
                posted.message = Message::Looking;
            }
            return Some(seen);
        }
        if now >= recent.swept + self.window || recent.answers.len() >= MAX_REMEMBERED {
            recent.answers.retain(|_, p| p.until > now);
            recent.swept = now;
        }
        if recent.answers.len() < MAX_REMEMBERED {
            recent.serial += 1;
            first.serial = recent.serial;
            recent.answers.insert(key, first);
        }
        None
    }

    /// Stores what a lookup found for the answer numbered `serial`.
    fn located(&self, key: Key, serial: u64, found: Option<u64>) {
        let mut recent = self.lock();
        if let Some(posted) = recent.answers.get_mut(&key).filter(|p| p.serial == serial) {
            posted.message = found.map_or(Message::NotFound, Message::Known);
        }
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.lock().answers.len()
    }
}

struct Users {
    limiter: DefaultKeyedRateLimiter<u64>,
    per_minute: u32,
    /// When members whose limit refilled were last forgotten.
    swept: Mutex<Instant>,
}

impl Users {
    /// `None` when `user` may ask now (counting it), else how long until they may.
    fn check(&self, user: u64) -> Option<Duration> {
        self.sweep();
        let refused = self.limiter.check_key(&user).err()?;
        let wait = refused.wait_time_from(self.limiter.clock().now());
        // Whole seconds, at least one: "ask again in 0 seconds" would be refused again.
        Some(Duration::from_secs(wait.as_secs() + 1))
    }

    fn sweep(&self) {
        let Ok(mut swept) = self.swept.try_lock() else {
            return;
        };
        if swept.elapsed() >= USER_SWEEP {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            *swept = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Caller;

    fn asked(channel: u64, user: u64) -> Invocation {
        let mut inv = Invocation::new("dates", jiff::Timestamp::UNIX_EPOCH);
        inv.caller = Caller {
            guild_id: Some(7),
            channel_id: Some(channel),
            user_id: Some(user),
            ..Caller::default()
        };
        inv
    }

    fn engine() -> Engine {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/facts.toml");
        Engine::load(std::path::Path::new(path)).expect("the shipped facts.toml loads")
    }

    fn answered(reply: Reply) -> Answer {
        Answer {
            response: Response::Message(reply),
            label: "dates".into(),
            outcome: "answered",
        }
    }

    fn reply_of(answer: &Answer) -> &Reply {
        answer.response.reply().expect("a message")
    }

    struct Found(u64);

    #[async_trait::async_trait]
    impl Locate for Found {
        async fn message_id(&self, _: &Reachable) -> Option<u64> {
            Some(self.0)
        }
    }

    #[tokio::test]
    async fn only_the_same_public_answer_in_the_same_channel_is_held_back() {
        let engine = engine();
        let locate: Arc<dyn Locate> = Arc::new(Found(99));
        let cooldowns = Cooldowns::new(Duration::from_secs(30), 0, Some(locate));
        let from = Reachable {
            application_id: Some(1),
            token: "t".into(),
        };
        let public = || answered(Reply::public("The visit is on 25–26 February."));
        let first = cooldowns
            .apply(&engine, &asked(5, 1), Some(&from), public())
            .await;
        assert!(!reply_of(&first).ephemeral);
        let again = cooldowns.apply(&engine, &asked(5, 2), None, public()).await;
        assert!(reply_of(&again).ephemeral);
        assert!(
            reply_of(&again)
                .content
                .starts_with("This was answered in this channel a moment ago: https://discord.com/channels/7/5/99\n\n"),
            "{}",
            reply_of(&again).content
        );
        let elsewhere = cooldowns.apply(&engine, &asked(6, 2), None, public()).await;
        assert!(!reply_of(&elsewhere).ephemeral, "another channel");
        let other = answered(Reply::public("Something else."));
        assert!(!reply_of(&cooldowns.apply(&engine, &asked(5, 2), None, other).await).ephemeral);
        let private = answered(Reply::ephemeral("The visit is on 25–26 February."));
        let private = cooldowns.apply(&engine, &asked(5, 2), None, private).await;
        assert!(!reply_of(&private).content.contains("moment ago"));
    }

    #[tokio::test]
    async fn a_window_ends_and_expired_answers_are_forgotten() {
        let engine = engine();
        let window = Duration::from_millis(50);
        let cooldowns = Cooldowns::new(window, 0, None);
        let public = |n: usize| answered(Reply::public(format!("answer {n}")));
        for n in 0..100 {
            cooldowns
                .apply(&engine, &asked(5, 1), None, public(n))
                .await;
        }
        tokio::time::sleep(window * 2).await;
        let again = cooldowns
            .apply(&engine, &asked(5, 1), None, public(0))
            .await;
        assert!(!reply_of(&again).ephemeral, "the window has ended");
        let repeats = cooldowns.repeats.as_ref().expect("on");
        assert_eq!(repeats.remembered(), 1, "the expired 99 were swept");
    }

    #[test]
    fn a_member_over_the_limit_is_told_when_to_come_back() {
        let engine = engine();
        let cooldowns = Cooldowns::new(Duration::ZERO, 3, None);
        for _ in 0..3 {
            assert_eq!(cooldowns.refuse(&engine, &asked(5, 1)), None);
        }
        let refused = cooldowns
            .refuse(&engine, &asked(5, 1))
            .expect("the fourth is refused");
        assert!(refused.ephemeral);
        assert!(
            refused.content.contains("You can ask again <t:"),
            "{}",
            refused.content
        );
        // A Hindi reader is told in Hindi, whatever the server's language.
        let mut hindi = asked(5, 3);
        hindi.locale = Some("hi".into());
        hindi.guild_locale = Some("en-US".into());
        for _ in 0..3 {
            assert_eq!(cooldowns.refuse(&engine, &hindi), None);
        }
        let refused = cooldowns.refuse(&engine, &hindi).expect("refused");
        assert!(
            refused
                .content
                .starts_with("मैं एक सदस्य को एक मिनट में इससे ज़्यादा जवाब नहीं देता (3 कमांड)। आप <t:"),
            "{}",
            refused.content
        );
        assert_eq!(
            cooldowns.refuse(&engine, &asked(5, 2)),
            None,
            "another member"
        );
        let mut typing = asked(5, 1);
        typing.focused = Some("name".into());
        assert_eq!(
            cooldowns.refuse(&engine, &typing),
            None,
            "autocomplete is not counted"
        );
    }
}
