//! `/ask question` — free text, answered with the best-ranked facts, or an honest "not covered".

use crate::engine::command::string_option;
use crate::engine::{cut, Action, Command, Context, Outcome, Phase, Reply};

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
    let mut echo = question.trim().replace(['\n', '\r'], " ");
    cut(&mut echo, ECHO);
    // The question is echoed in a public reply: its markdown (masked links, headings, spoilers)
    // is shown as typed, not rendered.
    let echo = escape_markdown(&echo);
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

/// Backslash-escapes Discord markdown so user text shows literally.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Mid-line, only inline markdown matters (headings and lists need a line start).
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '(' | ')' | '<'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_markdown;

    #[test]
    fn markdown_in_questions_is_shown_literally() {
        assert_eq!(
            escape_markdown("[click](http://x) **now** long-range"),
            "\\[click\\]\\(http://x\\) \\*\\*now\\*\\* long-range"
        );
    }
}
