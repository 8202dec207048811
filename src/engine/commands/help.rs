//! `/help` — every command with its description and options, from the same definitions that
//! are registered with Discord.

use crate::engine::command::{CommandKind, HIDE, MENTION};
use crate::engine::{Action, Command, Context, Outcome, Reply};

/// `/help`.
pub fn command() -> Command {
    Command::new(
        "help",
        "List the commands and what they answer",
        Action::Run(run),
    )
    .ephemeral()
}

/// How a command reads in a usage line: `/name opt:… [opt:…]`.
fn usage(path: &str, command: &Command) -> String {
    let options: String = command
        .options
        .iter()
        .filter(|o| !(command.shareable && (o.name == HIDE || o.name == MENTION)))
        .map(|o| {
            if o.required {
                format!(" {}:…", o.name)
            } else {
                format!(" [{}:…]", o.name)
            }
        })
        .collect();
    format!("\n`/{path}{options}` — {}", command.description)
}

fn run(ctx: &Context<'_>) -> Outcome {
    let mut out = format!(
        "I answer questions about **{}** from a sourced fact base.\n",
        ctx.facts().event.name
    );
    for c in ctx.engine.commands() {
        if c.kind == CommandKind::Message {
            out.push_str(&format!(
                "\n**{}** (in any message's Apps menu) — asks me about that message",
                c.name
            ));
            continue;
        }
        if c.subcommands.is_empty() {
            out.push_str(&usage(&c.name, c));
        }
        for s in &c.subcommands {
            out.push_str(&usage(&format!("{} {}", c.name, s.name), s));
        }
    }
    out.push_str(&format!(
        "\n\nAnswers that show facts have a **Source** button with the exact quotes. Public \
         answers also take `{HIDE}:true` (only you see it) or `{MENTION}:@someone` (points it at \
         them)."
    ));
    Ok(Reply::ephemeral(out))
}
