//! The one integration-test binary (one crate to link, not one per file). Modules by area.

mod alerts;
mod ask;
mod cli;
mod cooldown;
mod digest;
mod digest_fanout;
mod digest_ops;
mod editor;
mod gateway;
mod golden;
mod http;
mod i18n;
mod loader;
mod native;
mod ops;
mod postgres;
mod posts_i18n;
mod shards;
mod support;
