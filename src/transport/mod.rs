//! Ways invocations arrive and replies leave. Each converts its input to an
//! [`crate::engine::Invocation`] and sends [`crate::engine::Response::to_json`] unchanged.

pub mod cli;
