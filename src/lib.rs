//! factdesk: an event-summary Discord bot that answers only from a sourced, hedged fact base.
//!
//! Data flows one way (see DESIGN.md):
//! - [`facts`] loads and validates `facts.toml` into an immutable [`facts::FactBase`];
//! - [`engine`] turns an [`engine::Invocation`] and the fact base into an [`engine::Response`]
//!   (templates, Discord limits, `/ask` ranking) — pure, no I/O;
//! - [`transport`] carries invocations in and responses out: the CLI (`ask`, `chat`), and later
//!   the gateway and HTTP endpoint. A transport never builds reply text.

pub mod config;
pub mod digest;
pub mod engine;
pub mod facts;
pub mod telemetry;
pub mod transport;
