//! `/sources` — where the facts come from, and how many facts rest on each source.

use crate::engine::language::say;
use crate::engine::{Action, Command, Context, Outcome, Reply};

/// `/sources`.
pub fn command() -> Command {
    Command::new("sources", "Where my facts come from", Action::Run(run))
}

fn run(ctx: &Context<'_>) -> Outcome {
    let base = ctx.facts();
    let lang = ctx.language();
    let mut out = say(lang, "sources.intro", &[]);
    for s in &base.sources {
        let count = base.facts.iter().filter(|f| f.source == s.id).count();
        let mut line = format!("\n• **{}**", s.title);
        if let Some(p) = &s.publisher {
            line.push_str(&format!(", {p}"));
        }
        if let Some(d) = &s.date {
            line.push_str(&format!(", {d}"));
        }
        if let Some(u) = &s.url {
            // Angle brackets stop Discord from unfurling a preview.
            line.push_str(&format!(" <{u}>"));
        }
        let key = if count == 1 {
            "sources.facts_one"
        } else {
            "sources.facts_many"
        };
        line.push_str(&format!(
            " — {}",
            say(lang, key, &[("n", &count.to_string())])
        ));
        out.push_str(&line);
    }
    Ok(Reply::public(out))
}
