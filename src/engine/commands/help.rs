//! `/help` — every command with its description and options, from the same definitions that
//! are registered with Discord.

use super::{BuiltIn, BUILT_INS};
use crate::engine::{Engine, Invocation, Reply};

pub const COMMAND: BuiltIn = BuiltIn {
    name: "help",
    description: "List the commands and what they answer",
    options: &[],
    subcommands: &[],
    default_member_permissions: None,
    run,
};

/// How an option reads in a usage line: `name:…`, or `[name:…]` when optional.
fn usage<'a>(options: impl Iterator<Item = (&'a str, bool)>) -> String {
    options
        .map(|(name, required)| {
            if required {
                format!(" {name}:…")
            } else {
                format!(" [{name}:…]")
            }
        })
        .collect()
}

fn run(engine: &Engine, _inv: &Invocation) -> Reply {
    let base = engine.facts();
    let mut out = format!(
        "I answer questions about **{}** from a sourced fact base.\n",
        base.event.name
    );
    for c in &base.commands {
        let options = usage(c.options.iter().map(|o| (o.name.as_str(), o.required)));
        out.push_str(&format!("\n`/{}{options}` — {}", c.name, c.description));
    }
    for b in BUILT_INS {
        if b.subcommands.is_empty() {
            let options = usage(b.options.iter().map(|o| (o.name, o.required)));
            out.push_str(&format!("\n`/{}{options}` — {}", b.name, b.description));
        }
        for s in b.subcommands {
            let options = usage(s.options.iter().map(|o| (o.name, o.required)));
            out.push_str(&format!(
                "\n`/{} {}{options}` — {}",
                b.name, s.name, s.description
            ));
        }
    }
    Reply::ephemeral(out)
}
