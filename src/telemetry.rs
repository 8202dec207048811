//! Logging setup and metrics: tracing to stderr, human-readable on a terminal, JSON with
//! `FACTDESK_LOG_FORMAT=json`, level by `RUST_LOG` (default: `info`, dependencies at `warn`);
//! both are resolved and checked by `config`, which hands them in. Log lines are written by a
//! thread of their own, so answering never waits on stderr (or the journal behind it).
//!
//! Secrets never reach the log: the token is only held by serenity's `Http` (which redacts it)
//! and our own events never record it, an interaction's token or a request body. Dependencies
//! that would (serenity's gateway payloads hold interaction tokens; HTTP clients log callback
//! URLs, which hold them too) stay at `warn` unless `RUST_LOG` names them.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Dependencies kept at `warn` unless a `RUST_LOG` directive names them: their debug output
/// holds gateway payloads and request URLs (with interaction tokens), or is noise.
const QUIET: [&str; 8] = [
    "serenity",
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
];

/// The filter for `filter` (`RUST_LOG`; empty or `None` means `info`), with every [`QUIET`]
/// dependency it does not name held at `warn`.
fn directives(filter: Option<&str>) -> String {
    let filter = filter.map(str::trim).filter(|f| !f.is_empty());
    let mut out = filter.unwrap_or("info").to_owned();
    let named = |dependency: &str| {
        out.split(',').any(|directive| {
            let target = directive.split(['=', '[']).next().unwrap_or("").trim();
            target == dependency || target.starts_with(&format!("{dependency}::"))
        })
    };
    let quieted: Vec<String> = QUIET
        .iter()
        .filter(|dependency| !named(dependency))
        .map(|dependency| format!("{dependency}=warn"))
        .collect();
    for directive in quieted {
        out.push(',');
        out.push_str(&directive);
    }
    out
}

/// Log lines waiting for the writer thread, at most.
const LOG_QUEUE: usize = 16 * 1024;

/// Keeps the log writer's thread running; dropping it writes out what is still queued. Hold
/// it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct Logging {
    _writer: tracing_appender::non_blocking::WorkerGuard,
}

/// Installs the global subscriber; JSON lines when `json` (`log_format = "json"`), lines
/// chosen by `filter` (`RUST_LOG`, already checked by `config::load`; see [`directives`]), the
/// access log as `access_log` says. Call once, at start-up, and keep the guard.
pub fn init_with(json: bool, filter: Option<&str>, access_log: AccessLog) -> Logging {
    ACCESS_LOG.store(access_log as u8, Ordering::Relaxed);
    // config::load refuses an invalid RUST_LOG, so the fallback only serves a caller that
    // skipped it.
    let filter =
        EnvFilter::try_new(directives(filter)).unwrap_or_else(|_| EnvFilter::new(directives(None)));
    // Lossy: when stderr stalls, a full queue drops lines rather than stall answers. The queue
    // is allocated whole up front: 16,384 lines (~1 s of full load) cost 0.5 MB where the
    // default 128,000 cost 4 MB of resident memory.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second init (tests) keeps the first subscriber.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
    Logging { _writer: guard }
}

/// Whether and how each answered interaction is logged (`access_log`): its line names the
/// interaction's span (id, command, guild), the outcome and the latency. Errors are logged
/// whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum AccessLog {
    /// One `INFO` line per interaction.
    #[default]
    Info,
    /// One `DEBUG` line, shown only when `RUST_LOG` enables debug for factdesk.
    Debug,
    /// No line.
    Off,
}

/// The access log's setting for this process (`init_with` sets it).
static ACCESS_LOG: AtomicU8 = AtomicU8::new(AccessLog::Info as u8);

/// Writes the access log's line for one answered interaction, as configured.
fn log_access(outcome: &'static str, elapsed: Duration) {
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    match ACCESS_LOG.load(Ordering::Relaxed) {
        x if x == AccessLog::Info as u8 => {
            tracing::info!(target: "factdesk::access", latency_ms, outcome, "answered");
        }
        x if x == AccessLog::Debug as u8 => {
            tracing::debug!(target: "factdesk::access", latency_ms, outcome, "answered");
        }
        _ => {}
    }
}

/// Latency buckets (seconds): Discord allows 3 s; we expect well under a millisecond.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 3.0,
];

/// How often recorded latencies are folded into their buckets (see [`upkeep`]).
pub const UPKEEP: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed on first use.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("factdesk_interaction_duration_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; then our handle renders nothing new,
        // which is acceptable for an embedding program.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Folds the recorded latencies into their histogram buckets every [`UPKEEP`] until
/// `shutdown`. The recorder keeps every sample (8 bytes and more per interaction) until it is
/// folded, which otherwise happens only when `/metrics` is scraped: without this, a process
/// nobody scrapes grows for ever. `serve` runs it.
pub async fn upkeep(shutdown: impl Future<Output = ()>) {
    let handle = metrics_handle();
    let mut every = tokio::time::interval(UPKEEP);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = every.tick() => handle.run_upkeep(),
            () = &mut shutdown => return,
        }
    }
}

/// Counts one interaction, records how long answering took and writes the access log's line.
/// `command` must be a known command name (or "unknown"): labels must stay few.
pub fn record_interaction(command: &str, outcome: &'static str, elapsed: Duration) {
    metrics_handle();
    metrics::counter!("factdesk_interactions_total", "command" => command.to_owned(), "outcome" => outcome).increment(1);
    metrics::histogram!("factdesk_interaction_duration_seconds").record(elapsed.as_secs_f64());
    log_access(outcome, elapsed);
}

/// Counts an answer that could not be sent to Discord (the interaction itself was counted
/// when it was answered).
pub fn record_callback_failure(command: &str) {
    metrics_handle();
    metrics::counter!("factdesk_interaction_callback_failures_total", "command" => command.to_owned()).increment(1);
}

/// Counts an answer held back by a cooldown: `reason` is "repeat" (the same answer was in
/// the channel already; it went to the asker only) or "user_rate" (a member over their limit).
pub fn record_throttled(reason: &'static str) {
    metrics_handle();
    metrics::counter!("factdesk_throttled_total", "reason" => reason).increment(1);
}

/// Counts a 429 from Discord's REST API: `global` (every request of the bot waits) or not
/// (one route waits). A fan-out that is paced well keeps this at 0.
pub fn record_rate_limited(global: bool) {
    metrics_handle();
    let scope = if global { "global" } else { "route" };
    metrics::counter!("factdesk_discord_rate_limited_total", "scope" => scope).increment(1);
}

/// Records how many gateway shards this process runs (all of Discord's recommended count).
pub fn record_shards(total: u32) {
    metrics_handle();
    metrics::gauge!("factdesk_gateway_shards").set(f64::from(total));
}

/// Records how many of this process's gateway shards are connected (READY or resumed).
pub fn record_shards_connected(connected: usize) {
    metrics_handle();
    metrics::gauge!("factdesk_gateway_shards_connected").set(connected as f64);
}

/// Records a fact-base load: which version is served (the one before it, if any, drops to 0),
/// when and how long loading took.
pub fn record_fact_base(version: &str, facts: usize, load_time: Duration) {
    metrics_handle();
    // The recorder cannot forget a series, so a version served before stays listed, at 0:
    // `factdesk_fact_base_info == 1` is the one being served.
    static SERVED: Mutex<Option<String>> = Mutex::new(None);
    let mut served = SERVED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(before) = served.replace(version.to_owned()) {
        if before != version {
            metrics::gauge!("factdesk_fact_base_info", "version" => before).set(0.0);
        }
    }
    metrics::gauge!("factdesk_fact_base_info", "version" => version.to_owned()).set(1.0);
    drop(served);
    metrics::gauge!("factdesk_fact_base_facts").set(facts as f64);
    metrics::gauge!("factdesk_fact_base_load_seconds").set(load_time.as_secs_f64());
    let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    metrics::gauge!("factdesk_fact_base_loaded_timestamp_seconds").set(now);
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Bytes allocated and not yet freed by this thread.
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    fn hold(bytes: usize, sign: isize) {
        // A const thread-local without a destructor is always there; `try_with` only keeps
        // the allocator from ever panicking.
        let _ = HELD.try_with(|held| held.set(held.get() + sign * bytes as isize));
    }

    /// The system allocator, counting per thread what the tests of this module hold.
    struct Counting;

    // SAFETY: every call is passed on to the system allocator unchanged.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                hold(layout.size(), 1);
            }
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                hold(layout.size(), 1);
            }
            p
        }

        unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
            unsafe { System.dealloc(p, layout) };
            hold(layout.size(), -1);
        }

        unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
            let q = unsafe { System.realloc(p, layout, size) };
            if !q.is_null() {
                hold(layout.size(), -1);
                hold(size, 1);
            }
            q
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    /// 200,000 interactions answered, nobody scraping: what the recorder holds stays small.
    /// (Kept unfolded, they would hold 3.2 MB: 16 bytes each.) On a current-thread runtime the
    /// upkeep runs, and frees, on this thread, so the count is this test's alone.
    #[tokio::test(start_paused = true)]
    async fn unscraped_latencies_do_not_accumulate() {
        let held = || HELD.with(Cell::get);
        let answer = |n: usize| {
            for _ in 0..n {
                record_interaction("dates", "answered", Duration::from_micros(300));
            }
        };
        answer(1_000);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let upkeep = tokio::spawn(upkeep(async {
            let _ = stopped.await;
        }));
        tokio::time::sleep(UPKEEP).await;
        let before = held();
        for _ in 0..40 {
            answer(5_000);
            // Paused time: the runtime jumps to the next upkeep as soon as this task waits.
            tokio::time::sleep(UPKEEP).await;
        }
        let grown = held() - before;
        let _ = stop.send(());
        upkeep.await.expect("upkeep ends on shutdown");
        assert!(
            grown < 1 << 20,
            "recording 200,000 latencies kept {grown} bytes"
        );
    }

    #[test]
    fn dependencies_stay_at_warn_unless_named() {
        assert_eq!(
            directives(None),
            "info,serenity=warn,tungstenite=warn,tokio_tungstenite=warn,hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,rustls=warn"
        );
        assert_eq!(directives(Some(" ")), directives(None));
        let trace = directives(Some("trace"));
        assert!(trace.starts_with("trace,serenity=warn,"), "{trace}");
        let asked = directives(Some("debug,serenity::gateway=trace,hyper=info"));
        assert!(
            asked.starts_with("debug,serenity::gateway=trace,hyper=info,tungstenite=warn"),
            "{asked}"
        );
        assert!(
            !asked.contains("serenity=warn") && !asked.contains("hyper=warn"),
            "{asked}"
        );
        assert!(asked.contains("hyper_util=warn"), "{asked}");
    }
}
