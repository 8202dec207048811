//! Logging setup: tracing to stderr, human-readable on a terminal, JSON with
//! `FACTDESK_LOG_FORMAT=json`, level by `RUST_LOG` (default: `info`, serenity at `warn`); both
//! are resolved and checked by `config`, which hands them in.
//!
//! Secrets never reach the log: the token is only held by serenity's `Http` (which redacts it)
//! and our own events never record it or a request body.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// The default filter: our `info`, dependencies quieter (serenity's debug output includes
/// gateway payloads).
const DEFAULT_FILTER: &str = "info,serenity=warn,tungstenite=warn,tokio_tungstenite=warn,hyper=warn,reqwest=warn,rustls=warn";

/// Installs the global subscriber; JSON lines when `json` (`log_format = "json"`), lines
/// chosen by `filter` (`RUST_LOG`, already checked by `config::load`), else `DEFAULT_FILTER`.
/// Call once, at start-up.
pub fn init_with(json: bool, filter: Option<&str>) {
    // An empty filter means "not set", not "log nothing". config::load refuses an invalid
    // RUST_LOG, so the fallback below only serves a caller that skipped it.
    let filter = filter
        .filter(|f| !f.trim().is_empty())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
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
}

/// Latency buckets (seconds): Discord allows 3 s; we expect well under a millisecond.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 3.0,
];

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

/// Counts one interaction and records how long answering took. `command` must be a known
/// command name (or "unknown"): labels must stay few.
pub fn record_interaction(command: &str, outcome: &'static str, elapsed: Duration) {
    metrics_handle();
    metrics::counter!("factdesk_interactions_total", "command" => command.to_owned(), "outcome" => outcome).increment(1);
    metrics::histogram!("factdesk_interaction_duration_seconds").record(elapsed.as_secs_f64());
}

/// Counts an answer that could not be sent to Discord (the interaction itself was counted
/// when it was answered).
pub fn record_callback_failure(command: &str) {
    metrics_handle();
    metrics::counter!("factdesk_interaction_callback_failures_total", "command" => command.to_owned()).increment(1);
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
