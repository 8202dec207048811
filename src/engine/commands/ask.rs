//! `/ask question` — free text, answered with the best-ranked facts, or an honest "not covered".

use crate::engine::command::string_option;
use crate::engine::{echo, Action, Command, Context, Engine, Outcome, Phase, Reply};

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

/// The facts `/ask` answers `question` with (indices into the fact base), best first; empty
/// when its sources do not cover it. The reply and `factdesk check`'s `[[questions]]` both use
/// this, so what is checked is what readers get.
pub fn cited(engine: &Engine, question: &str) -> Vec<usize> {
    engine
        .index()
        .search(question, MAX_ANSWERS)
        .into_iter()
        .map(|hit| hit.fact)
        .collect()
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
    let hits = cited(ctx.engine, &question);
    if hits.is_empty() {
        // Counted (text only) so editors see what readers asked and did not get.
        if let Some(misses) = &ctx.services.misses {
            misses.record(crate::engine::misses::normalise(&question));
        }
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
        let fact = &base.facts[hit];
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
