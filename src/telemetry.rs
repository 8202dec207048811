//! Logging setup: tracing to stderr, human-readable on a terminal, JSON with
//! `FACTDESK_LOG_FORMAT=json`, level by `RUST_LOG` (default: `info`, serenity at `warn`).
//!
//! Secrets never reach the log: the token is only held by serenity's `Http` (which redacts it)
//! and our own events never record it or a request body.

use tracing_subscriber::EnvFilter;

/// The default filter: our `info`, dependencies quieter (serenity's debug output includes
/// gateway payloads).
const DEFAULT_FILTER: &str = "info,serenity=warn,tungstenite=warn,tokio_tungstenite=warn,hyper=warn,reqwest=warn,rustls=warn";

/// Installs the global subscriber. Call once, at start-up.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var("FACTDESK_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
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
