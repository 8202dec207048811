//! `/ask question` — free text, answered with the best-ranked facts, or an honest "not covered".

use crate::engine::command::string_option;
use crate::engine::{echo, Action, Command, Context, Outcome, Phase, Reply};

/// `/ask question`.
pub fn command() -> Command {
    Command::new(
        "ask",
        "Ask a question about the event in your own words",
        Action::Run(run),
    )
    .option(string_option(
        "question",
        "Your question, e.g. \"is a defence deal expected?\"",
        true,
    ))
}

/// At most this many facts in one answer.
const MAX_ANSWERS: usize = 3;
/// The question is echoed back, shortened to this many characters.
const ECHO: usize = 150;

fn run(ctx: &Context<'_>) -> Outcome {
    let question = ctx.invocation.option_text("question").unwrap_or_default();
    // The question is echoed in a public reply: shown as typed, never as links, markdown or
    // reversed text.
    let echo = echo::prose(&question, ECHO);
    let base = ctx.facts();
    let hits = ctx.engine.index().search(&question, MAX_ANSWERS);
    if hits.is_empty() {
        let suggestions: Vec<String> = base
            .commands
            .iter()
            .map(|c| format!("`/{}`", c.name))
            .collect();
        return Ok(Reply::public(format!(
            "My fact base does not cover “{echo}”. It only holds what its sources say about {}. \
             Try {} or `/help`.",
            base.event.name,
            suggestions.join(", ")
        )));
    }
    // Once the visit has begun, pre-visit sources must not read as news of what happened.
    let mut out = if ctx.engine.moment(ctx.now(), None).phase == Phase::Before {
        format!("Here is what my sources say about “{echo}”:")
    } else {
        format!("Here is what my sources, written before the visit, say about “{echo}”:")
    };
    for hit in hits {
        let fact = &base.facts[hit.fact];
        let source = base
            .source(&fact.source)
            .map_or(fact.source.as_str(), |s| s.title.as_str());
        out.push_str(&format!(
            "\n• {} ({}; source: {source})",
            fact.text,
            fact.certainty.label()
        ));
    }
    Ok(Reply::public(out))
}
