//! `/help` — every command with its description and options, from the same definitions that
//! are registered with Discord.

use crate::engine::command::{CommandKind, HIDE, MENTION};
use crate::engine::language::{self, say};
use crate::engine::{Action, Command, Context, Outcome, Reply};
use crate::facts::Locale;

/// `/help`.
pub fn command() -> Command {
    Command::new(
        "help",
        "List the commands and what they answer",
        Action::Run(run),
    )
    .ephemeral()
}

/// How a command reads in a usage line: `/name opt:… [opt:…]`, described in `lang`.
fn usage(path: &str, command: &Command, lang: Option<&Locale>) -> String {
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
    let description = language::described(
        &command.description,
        &command.description_localizations,
        lang,
    );
    format!("\n`/{path}{options}` — {description}")
}

fn run(ctx: &Context<'_>) -> Outcome {
    let lang = ctx.language();
    let event = language::event_name(ctx.facts(), lang);
    let mut out = say(lang, "help.intro", &[("event", event)]);
    out.push('\n');
    for c in ctx.engine.commands() {
        if c.kind == CommandKind::Message {
            let line = say(lang, "help.message_command", &[("name", &c.name)]);
            out.push_str(&format!("\n{line}"));
            continue;
        }
        if c.subcommands.is_empty() {
            out.push_str(&usage(&c.name, c, lang));
        }
        for s in &c.subcommands {
            out.push_str(&usage(&format!("{} {}", c.name, s.name), s, lang));
        }
    }
    let outro = say(lang, "help.outro", &[("hide", HIDE), ("mention", MENTION)]);
    out.push_str(&format!("\n\n{outro}"));
    Ok(Reply::ephemeral(out))
}
