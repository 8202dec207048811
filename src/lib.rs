//! factdesk: an event-summary Discord bot that answers only from a sourced, hedged fact base.
//!
//! Data flows one way (see DESIGN.md):
//! - [`facts`] loads and validates `facts.toml` into an immutable [`facts::FactBase`];
//! - [`engine`] turns an [`engine::Invocation`] and the fact base into an [`engine::Response`]
//!   through one command model and one dispatcher (templates, Discord limits, `/ask` ranking)
//!   — no I/O; services such as digest subscriptions come in as traits;
//! - [`serving`] holds what every transport shares: the live, hot-reloaded fact base, the
//!   clock, in-flight work and the one answer path (span, dispatch, cooldowns, metrics);
//! - [`transport`] carries invocations in and responses out: the CLI (`ask`, `chat`, the
//!   digest commands), the gateway (serenity) and the HTTP endpoint (axum). A transport never
//!   builds reply text;
//! - [`digest`] keeps subscriptions and the delivery log and posts the daily digest, paced by
//!   [`ratelimit`] under Discord's global limit, route buckets and 429s;
//! - [`config`] resolves the operator's settings; [`startup`] wires `serve` together and stops
//!   it; [`telemetry`] sets up logs and metrics.

pub mod config;
pub mod digest;
pub mod engine;
pub mod facts;
pub mod ratelimit;
pub mod serving;
pub mod startup;
pub mod telemetry;
pub mod transport;
