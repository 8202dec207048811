//! The command table: built-ins (one file each) and the commands declared in `facts.toml`.
//!
//! [`BUILT_INS`] describes each built-in once; the same description serves `/help`,
//! registration with Discord and the slash-line parser.

pub mod ask;
pub mod declared;
pub mod digest;
pub mod help;
pub mod sources;

use super::{AutocompleteChoice, Engine, Invocation, Reply};
use crate::facts::OptionKind;

/// An option of a built-in command.
#[derive(Debug)]
pub struct BuiltInOption {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: OptionKind,
    pub required: bool,
}

/// A subcommand of a built-in command.
#[derive(Debug)]
pub struct SubCommand {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [BuiltInOption],
}

/// A command the engine provides itself.
#[derive(Debug)]
pub struct BuiltIn {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [BuiltInOption],
    pub subcommands: &'static [SubCommand],
    /// Discord `default_member_permissions` (a permission bit set), when the command is
    /// restricted.
    pub default_member_permissions: Option<u64>,
    pub run: fn(&Engine, &Invocation) -> Reply,
}

/// The built-in commands.
pub static BUILT_INS: &[BuiltIn] = &[
    ask::COMMAND,
    sources::COMMAND,
    help::COMMAND,
    digest::COMMAND,
];

/// Runs a non-autocomplete invocation.
pub fn run(engine: &Engine, inv: &Invocation) -> Reply {
    if let Some(def) = engine.facts().command(&inv.command) {
        return declared::run(engine, def, inv);
    }
    match BUILT_INS.iter().find(|b| b.name == inv.command) {
        Some(b) => match check_built_in_options(b, inv) {
            Ok(()) => (b.run)(engine, inv),
            Err(reply) => reply,
        },
        None => unknown_command(engine, &inv.command),
    }
}

/// The polite answer to a command this fact base does not have (e.g. registered from an older
/// fact base, or mistyped on the command line).
pub fn unknown_command(engine: &Engine, name: &str) -> Reply {
    let list = engine
        .command_names()
        .iter()
        .map(|n| format!("`/{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Reply::ephemeral(format!(
        "I don't know the command `/{name}`. Commands I answer: {list}. Try `/help`."
    ))
}

fn check_built_in_options(b: &BuiltIn, inv: &Invocation) -> Result<(), Reply> {
    let options: Vec<&BuiltInOption> = match &inv.subcommand {
        Some(sub) => match b.subcommands.iter().find(|s| s.name == sub) {
            Some(s) => s.options.iter().collect(),
            None => {
                let subs = b
                    .subcommands
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Reply::ephemeral(format!(
                    "`/{}` has no subcommand `{sub}`. Use one of: {subs}.",
                    b.name
                )));
            }
        },
        None if !b.subcommands.is_empty() => {
            let subs = b
                .subcommands
                .iter()
                .map(|s| format!("`/{} {}`", b.name, s.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Reply::ephemeral(format!(
                "`/{}` needs a subcommand: {subs}.",
                b.name
            )));
        }
        None => b.options.iter().collect(),
    };
    for (name, value) in &inv.options {
        let Some(def) = options.iter().find(|o| o.name == name) else {
            return Err(Reply::ephemeral(format!(
                "`/{}` has no option `{name}`.",
                b.name
            )));
        };
        if !declared::kind_matches(def.kind, value) {
            return Err(Reply::ephemeral(format!(
                "Option `{name}` of `/{}` takes a {}, not `{value}`.",
                b.name,
                def.kind.name()
            )));
        }
    }
    if let Some(missing) = options
        .iter()
        .find(|o| o.required && inv.option(o.name).is_none())
    {
        return Err(Reply::ephemeral(format!(
            "`/{}` needs the option `{}` ({}).",
            b.name, missing.name, missing.description
        )));
    }
    Ok(())
}

/// Suggestions for the option being typed.
pub fn autocomplete(engine: &Engine, inv: &Invocation, focused: &str) -> Vec<AutocompleteChoice> {
    match engine.facts().command(&inv.command) {
        Some(def) => declared::autocomplete(engine, def, inv, focused),
        None => Vec::new(),
    }
}
