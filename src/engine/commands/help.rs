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

fn run(engine: &Engine, _inv: &Invocation) -> Reply {
    let base = engine.facts();
    let mut out = format!(
        "I answer questions about **{}** from a sourced fact base.\n",
        base.event.name
    );
    for c in &base.commands {
        let options: String = c
            .options
            .iter()
            .map(|o| {
                if o.required {
                    format!(" {}:…", o.name)
                } else {
                    format!(" [{}:…]", o.name)
                }
            })
            .collect();
        out.push_str(&format!("\n`/{}{options}` — {}", c.name, c.description));
    }
    for b in BUILT_INS {
        let options: String = b.options.iter().map(|o| format!(" {}:…", o.name)).collect();
        if b.subcommands.is_empty() {
            out.push_str(&format!("\n`/{}{options}` — {}", b.name, b.description));
        }
        for s in b.subcommands {
            let options: String = s.options.iter().map(|o| format!(" {}:…", o.name)).collect();
            out.push_str(&format!(
                "\n`/{} {}{options}` — {}",
                b.name, s.name, s.description
            ));
        }
    }
    Reply::ephemeral(out)
}
