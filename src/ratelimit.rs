//! Pacing requests to Discord's REST API under its rate limits, for a fan-out of many senders
//! (the digest today, change alerts later).
//!
//! Discord limits a bot three ways, and a [`Pacer`] honours each:
//! - **globally**: at most `per_second` requests per second for the bot token (50 unless
//!   Discord raised it). The pacer spaces requests out ahead of time (GCRA, from `governor`)
//!   rather than discovering the limit by 429s: Discord counts 429s against a bot, and 10,000
//!   invalid requests in 10 minutes get it banned for an hour;
//! - **per route**: each answer's `X-RateLimit-Remaining` / `X-RateLimit-Reset-After` say how
//!   many more requests the route's bucket (`X-RateLimit-Bucket`, per channel, guild or
//!   webhook) takes before it resets; at 0, that route waits and no other does;
//! - **429s**: `global: true` pauses every sender for `retry_after`; any other 429 pauses only
//!   its route.
//!
//! It also bounds how many senders work at once ([`Slot`]). A sender waiting for its own
//! route, or backing off after a failure, gives its slot up meanwhile, so a slow or failing
//! channel never holds up another.
//!
//! The pacer sends nothing itself: the caller asks [`Slot::ready`] before each request and
//! hands the answer to [`Slot::answered`]. It knows nothing of digests. 429s are counted in
//! `factdesk_discord_rate_limited_total{scope}`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use reqwest::header::HeaderMap;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// How factdesk introduces itself to Discord's REST API: Discord asks every bot for a
/// `DiscordBot ($url, $version)` user agent, and may refuse requests without one.
pub const USER_AGENT: &str = concat!(
    "DiscordBot (https://github.com/factdesk, ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// A client for Discord's REST API (or a stand-in): every REST request factdesk makes itself
/// goes through one of these, so each carries [`USER_AGENT`]. `timeout` bounds each request.
pub fn discord_client(timeout: Option<Duration>) -> reqwest::Client {
    let builder = reqwest::Client::builder().user_agent(USER_AGENT);
    let builder = match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    };
    // Building fails only when the TLS backend cannot start; a plain client then says so at
    // its first request rather than here.
    builder.build().unwrap_or_default()
}

/// Discord's global limit for a bot token, in requests per second, unless it raised it.
pub const DISCORD_GLOBAL_LIMIT: u32 = 50;

/// The longest a 429 is believed: anything longer is read as an hour.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Past this many remembered route windows, expired ones are dropped (a fan-out to 10,000
/// channels would otherwise keep one per channel all day).
const PRUNE_AT: usize = 4096;

/// One REST route as Discord limits it: the route's shape and its major parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// Method and path with the ids left out, e.g. `POST /channels/{id}/messages`.
    shape: &'static str,
    /// The major parameter (a channel, guild or webhook id): Discord keeps a bucket per value.
    major: String,
}

impl Route {
    /// A route of `shape` for the major parameter `major`.
    pub fn new(shape: &'static str, major: impl ToString) -> Route {
        Route {
            shape,
            major: major.to_string(),
        }
    }
}

/// What a 429 asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimited {
    /// How long to wait.
    pub retry_after: Duration,
    /// Every request of the bot waits, not only this route's.
    pub global: bool,
}

impl RateLimited {
    /// Reads a 429 as Discord sends it: `retry_after` (seconds, fractional) from the body,
    /// else the `Retry-After` header, else one second, at most an hour; `global` from the body
    /// or the `X-RateLimit-Global` header. A body without a `code` (as a global 429 has) is
    /// fine.
    pub fn read(headers: &HeaderMap, body: &str) -> RateLimited {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let seconds = json["retry_after"]
            .as_f64()
            .or_else(|| header(headers, "retry-after").and_then(|v| v.parse().ok()))
            .filter(|v: &f64| v.is_finite())
            .unwrap_or(1.0);
        let global = json["global"].as_bool().unwrap_or(false)
            || header(headers, "x-ratelimit-global")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        RateLimited {
            retry_after: Duration::from_secs_f64(seconds.clamp(0.0, MAX_RETRY_AFTER.as_secs_f64())),
            global,
        }
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// governor's clock, read from tokio's: tests that pause tokio's time pace exactly.
#[derive(Debug, Clone)]
struct TokioClock {
    start: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// A route bucket's count, as Discord last said it.
#[derive(Debug, Clone, Copy)]
struct Window {
    remaining: u32,
    reset: Instant,
}

/// What Discord said about its route buckets.
#[derive(Default)]
struct Routes {
    /// The bucket Discord named for each route shape: shapes sharing a bucket share its limit.
    buckets: HashMap<&'static str, String>,
    /// Per bucket (or shape, before Discord named one) and major parameter.
    windows: HashMap<(String, String), Window>,
}

impl Routes {
    fn key(&self, route: &Route) -> (String, String) {
        let bucket = self
            .buckets
            .get(route.shape)
            .cloned()
            .unwrap_or_else(|| route.shape.to_owned());
        (bucket, route.major.clone())
    }

    /// The current window of `route`'s bucket, forgetting one that has reset.
    fn window(&mut self, route: &Route, now: Instant) -> Option<&mut Window> {
        let key = self.key(route);
        if self.windows.get(&key).is_some_and(|w| w.reset <= now) {
            self.windows.remove(&key);
        }
        self.windows.get_mut(&key)
    }

    fn set(&mut self, route: &Route, window: Window, now: Instant) {
        if self.windows.len() >= PRUNE_AT {
            self.windows.retain(|_, w| w.reset > now);
        }
        let key = self.key(route);
        self.windows.insert(key, window);
    }
}

/// Paces a fan-out of requests under Discord's global limit, its route buckets and its 429s,
/// with at most a fixed number of senders at work at once.
pub struct Pacer {
    global: Gcra,
    /// Until when a global 429 holds every sender.
    paused: Mutex<Option<Instant>>,
    routes: Mutex<Routes>,
    slots: Semaphore,
    senders: usize,
}

impl Pacer {
    /// At most `per_second` requests a second, with `senders` at work at once. The pace allows
    /// a burst of a tenth of a second's requests: enough to make up for a sender that was late
    /// to its turn, small enough that a request arriving early at Discord still fits.
    pub fn new(per_second: NonZeroU32, senders: usize) -> Pacer {
        let burst = NonZeroU32::new(per_second.get() / 10).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(per_second).allow_burst(burst);
        let clock = TokioClock {
            start: Instant::now(),
        };
        Pacer {
            global: RateLimiter::direct_with_clock(quota, clock),
            paused: Mutex::new(None),
            routes: Mutex::new(Routes::default()),
            slots: Semaphore::new(senders.max(1)),
            senders: senders.max(1),
        }
    }

    /// Whether a fan-out is under way — more than a quarter of the senders (and more than 8)
    /// at work: a request that can wait, such as learning a channel's type, is better left for
    /// a quieter post than made to take a turn from the posts under the global limit.
    pub fn busy(&self) -> bool {
        let at_work = self.senders - self.slots.available_permits();
        at_work > (self.senders / 4).max(8)
    }

    /// Waits for a place among the senders; `None` once the pacer is closed (shutting down).
    pub async fn slot(&self) -> Option<Slot<'_>> {
        let permit = self.slots.acquire().await.ok()?;
        Some(Slot {
            pacer: self,
            permit: Some(permit),
        })
    }

    /// Lets no new sender start; those already at work carry on.
    pub fn close(&self) {
        self.slots.close();
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn paused_until(&self) -> Option<Instant> {
        let paused = self
            .paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        paused.filter(|until| *until > Instant::now())
    }

    /// How long `route` must still wait for its bucket to reset, if it is used up.
    fn route_wait(&self, route: &Route) -> Option<Duration> {
        let now = Instant::now();
        let mut routes = self.routes();
        let window = routes.window(route, now)?;
        (window.remaining == 0).then(|| window.reset.saturating_duration_since(now))
    }

    /// Takes one request from `route`'s bucket; `false` if another sender took the last one.
    fn take(&self, route: &Route) -> bool {
        let mut routes = self.routes();
        match routes.window(route, Instant::now()) {
            Some(window) if window.remaining == 0 => false,
            Some(window) => {
                window.remaining -= 1;
                true
            }
            None => true,
        }
    }

    /// Waits for a turn under the global limit (and out of any global pause).
    async fn global_turn(&self) {
        loop {
            if let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            match self.global.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.global_now());
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn global_now(&self) -> Duration {
        self.global.clock().now()
    }

    /// Reads what Discord said about `route`: the bucket's headers and, for a 429, who waits
    /// and how long. Returns the 429, if it was one.
    fn answered(
        &self,
        route: &Route,
        status: u16,
        headers: &HeaderMap,
        body: &str,
    ) -> Option<RateLimited> {
        let now = Instant::now();
        let mut routes = self.routes();
        if let Some(bucket) = header(headers, "x-ratelimit-bucket") {
            routes.buckets.insert(route.shape, bucket.to_owned());
        }
        let remaining = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse().ok());
        let reset_after = header(headers, "x-ratelimit-reset-after")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| Duration::from_secs_f64(v.min(MAX_RETRY_AFTER.as_secs_f64())));
        if let (Some(remaining), Some(after)) = (remaining, reset_after) {
            routes.set(
                route,
                Window {
                    remaining,
                    reset: now + after,
                },
                now,
            );
        }
        if status != 429 {
            return None;
        }
        let limited = RateLimited::read(headers, body);
        crate::telemetry::record_rate_limited(limited.global);
        let until = now + limited.retry_after;
        if limited.global {
            let mut paused = self
                .paused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        } else {
            routes.set(
                route,
                Window {
                    remaining: 0,
                    reset: until,
                },
                now,
            );
        }
        Some(limited)
    }
}

/// A sender's place among the pacer's senders. It is held while the sender works (its
/// database writes, its turn under the global limit, its request) and given up while it waits
/// for its own route or backs off.
pub struct Slot<'p> {
    pacer: &'p Pacer,
    /// `None` while waiting, or when the pacer closed while this sender was waiting.
    permit: Option<SemaphorePermit<'p>>,
}

impl Slot<'_> {
    /// Waits until a request on `route` may go: the route's bucket (without the slot), any
    /// global pause, then a turn under the global limit.
    pub async fn ready(&mut self, route: &Route) {
        loop {
            if let Some(wait) = self.pacer.route_wait(route) {
                self.idle(wait).await;
                continue;
            }
            self.pacer.global_turn().await;
            if self.pacer.take(route) {
                return;
            }
        }
    }

    /// Reads Discord's answer to a request on `route` (its status, headers and body); returns
    /// what a 429 asked. The next [`Slot::ready`] waits accordingly, for this sender and — for a
    /// global 429 — every other.
    pub fn answered(
        &self,
        route: &Route,
        status: u16,
        headers: &HeaderMap,
        body: &str,
    ) -> Option<RateLimited> {
        self.pacer.answered(route, status, headers, body)
    }

    /// Waits `wait` without holding the slot, so other senders work meanwhile.
    pub async fn idle(&mut self, wait: Duration) {
        self.permit = None;
        tokio::time::sleep(wait).await;
        // Closed (shutting down): a sender already at work may finish within the grace.
        self.permit = self.pacer.slots.acquire().await.ok();
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn busy_means_a_fan_out_not_a_few_posts() {
        let pacer = Pacer::new(NonZeroU32::new(50).expect("50"), 100);
        let mut held = Vec::new();
        for _ in 0..25 {
            held.push(pacer.slot().await.expect("a slot"));
        }
        assert!(!pacer.busy(), "25 of 100 senders at work is not a fan-out");
        held.push(pacer.slot().await.expect("a slot"));
        assert!(pacer.busy(), "26 of 100 is");
        held.clear();
        assert!(!pacer.busy());
    }

    use super::*;

    const A: &str = "POST /channels/{id}/messages";

    fn rate(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("a test rate is positive")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().expect("a test header value"));
        }
        h
    }

    /// Runs `ready` for `route` and says how long it took (tokio's time is paused: exact).
    async fn ready_after(pacer: &Pacer, route: &Route) -> Duration {
        let started = Instant::now();
        let mut slot = pacer.slot().await.expect("open");
        slot.ready(route).await;
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_out_under_the_global_limit() {
        let pacer = Pacer::new(rate(10), 4);
        let started = Instant::now();
        let mut slot = pacer.slot().await.expect("open");
        for channel in 0..21 {
            slot.ready(&Route::new(A, channel)).await;
        }
        // A burst of 1 (a tenth of 10/s), then one every 100 ms.
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_a_tenth_of_a_second_then_the_pace() {
        let pacer = Pacer::new(rate(50), 4);
        let mut slot = pacer.slot().await.expect("open");
        let started = Instant::now();
        for channel in 0..5 {
            slot.ready(&Route::new(A, channel)).await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "five at once");
        slot.ready(&Route::new(A, 5)).await;
        assert_eq!(started.elapsed(), Duration::from_millis(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_global_429_pauses_every_route() {
        let pacer = Pacer::new(rate(1000), 4);
        let body =
            r#"{"message": "You are being rate limited.", "retry_after": 2.5, "global": true}"#;
        let limited = pacer.answered(&Route::new(A, 1), 429, &HeaderMap::new(), body);
        assert_eq!(
            limited,
            Some(RateLimited {
                retry_after: Duration::from_millis(2500),
                global: true
            })
        );
        assert_eq!(
            ready_after(&pacer, &Route::new(A, 2)).await,
            Duration::from_millis(2500)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_route_429_pauses_only_that_route() {
        let pacer = Pacer::new(rate(1000), 4);
        let body =
            r#"{"message": "You are being rate limited.", "retry_after": 3, "global": false}"#;
        pacer.answered(&Route::new(A, 1), 429, &HeaderMap::new(), body);
        assert_eq!(ready_after(&pacer, &Route::new(A, 2)).await, Duration::ZERO);
        assert_eq!(
            ready_after(&pacer, &Route::new(A, 1)).await,
            Duration::from_secs(3)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_used_up_bucket_waits_for_its_reset_and_its_bucket_is_shared() {
        let pacer = Pacer::new(rate(1000), 4);
        let used_up = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "1.5"),
            ("x-ratelimit-bucket", "abcd"),
        ]);
        pacer.answered(&Route::new(A, 1), 200, &used_up, "{}");
        // Another shape Discord puts in the same bucket shares its count.
        const B: &str = "PATCH /channels/{id}/messages/{message}";
        pacer.answered(
            &Route::new(B, 9),
            200,
            &headers(&[("x-ratelimit-bucket", "abcd")]),
            "{}",
        );
        assert_eq!(
            ready_after(&pacer, &Route::new(A, 2)).await,
            Duration::ZERO,
            "another channel"
        );
        assert_eq!(
            ready_after(&pacer, &Route::new(B, 1)).await,
            Duration::from_millis(1500)
        );
        assert_eq!(
            ready_after(&pacer, &Route::new(A, 1)).await,
            Duration::ZERO,
            "reset"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_requests_are_counted_down_before_the_next_answer() {
        let pacer = Pacer::new(rate(1000), 4);
        let two_left = headers(&[
            ("x-ratelimit-remaining", "2"),
            ("x-ratelimit-reset-after", "5"),
        ]);
        let route = Route::new(A, 1);
        pacer.answered(&route, 200, &two_left, "{}");
        assert_eq!(ready_after(&pacer, &route).await, Duration::ZERO);
        assert_eq!(ready_after(&pacer, &route).await, Duration::ZERO);
        assert_eq!(ready_after(&pacer, &route).await, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sender_waiting_for_its_route_gives_its_slot_up() {
        let pacer = Pacer::new(rate(1000), 1);
        let body = r#"{"retry_after": 60, "global": false}"#;
        pacer.answered(&Route::new(A, 1), 429, &HeaderMap::new(), body);
        let started = Instant::now();
        let waiting = async {
            let mut slot = pacer.slot().await.expect("open");
            slot.ready(&Route::new(A, 1)).await;
            started.elapsed()
        };
        let other = async {
            tokio::task::yield_now().await;
            let mut slot = pacer.slot().await.expect("open");
            slot.ready(&Route::new(A, 2)).await;
            started.elapsed()
        };
        let (waited, other) = tokio::join!(waiting, other);
        assert_eq!(
            other,
            Duration::ZERO,
            "the one slot was free while channel 1 waited"
        );
        assert_eq!(waited, Duration::from_secs(60));
    }

    #[tokio::test]
    async fn a_closed_pacer_starts_no_new_sender() {
        let pacer = Pacer::new(rate(50), 2);
        let working = pacer.slot().await.expect("open");
        pacer.close();
        assert!(pacer.slot().await.is_none());
        drop(working);
    }

    #[test]
    fn a_429_is_read_from_the_body_else_the_headers() {
        let h = headers(&[("retry-after", "7"), ("x-ratelimit-global", "true")]);
        assert_eq!(
            RateLimited::read(&h, "not json"),
            RateLimited {
                retry_after: Duration::from_secs(7),
                global: true
            }
        );
        let body =
            r#"{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}"#;
        assert_eq!(
            RateLimited::read(&h, body),
            RateLimited {
                retry_after: Duration::from_millis(250),
                global: true
            },
            "the body's wait wins; the header still says global"
        );
        let absurd = r#"{"retry_after": 1e12}"#;
        assert_eq!(
            RateLimited::read(&HeaderMap::new(), absurd).retry_after,
            MAX_RETRY_AFTER
        );
        assert_eq!(
            RateLimited::read(&HeaderMap::new(), "{}").retry_after,
            Duration::from_secs(1)
        );
    }
}
