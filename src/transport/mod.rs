//! Ways invocations arrive and replies leave: the command line, the gateway (serenity) and the
//! HTTP interactions endpoint (axum). Each converts its input to an
//! [`crate::engine::Invocation`], answers it through [`crate::serving::Served::answer`] (or,
//! on the command line, [`cli::answer`]) and sends [`crate::engine::Response::to_json`]
//! unchanged. A transport never builds reply text.

pub mod cli;
pub mod followup;
pub mod gateway;
pub mod http;
pub mod interaction;
pub mod startup_api;
