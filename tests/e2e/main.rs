//! The one integration-test binary (one crate to link, not one per file). Modules by area.

mod ask;
mod cli;
mod digest;
mod digest_fanout;
mod gateway;
mod golden;
mod http;
mod loader;
mod ops;
mod support;
