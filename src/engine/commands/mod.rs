//! The built-in commands, one file each, and the action of the commands declared in
//! `facts.toml` (`declared.rs`: options resolved, template rendered).
//!
//! Each built-in file has the same small shape: a `command()` that describes it (name,
//! description, options, subcommands — the one description registration, parsing, `/help` and
//! autocomplete walk) and its handlers, which take a [`Context`](super::Context) and return a
//! reply or a [`CommandError`](super::CommandError). Adding a built-in is one file here and one
//! line in [`BUILT_INS`].

pub mod alerts;
pub mod ask;
pub mod declared;
pub mod digest;
pub mod help;
pub mod sources;

use super::Command;

/// The built-in commands, after the declared ones in registration and `/help` order.
pub const BUILT_INS: &[fn() -> Command] = &[
    ask::command,
    ask::on_message,
    sources::command,
    help::command,
    digest::command,
    alerts::command,
];
