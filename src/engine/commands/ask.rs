//! `/ask question` — free text, answered with the best-ranked facts, or an honest "not covered".

use super::{BuiltIn, BuiltInOption};
use crate::engine::{cut, Engine, Invocation, Reply};
use crate::facts::OptionKind;

pub const COMMAND: BuiltIn = BuiltIn {
    name: "ask",
    description: "Ask a question about the event in your own words",
    options: &[BuiltInOption {
        name: "question",
        description: "Your question, e.g. \"is a defence deal expected?\"",
        kind: OptionKind::String,
        required: true,
    }],
    subcommands: &[],
    default_member_permissions: None,
    run,
};

/// At most this many facts in one answer.
const MAX_ANSWERS: usize = 3;
/// The question is echoed back, shortened to this many characters.
const ECHO: usize = 150;

fn run(engine: &Engine, inv: &Invocation) -> Reply {
    let question = inv.option_text("question").unwrap_or_default();
    let mut echo = question.trim().replace(['\n', '`'], " ");
    cut(&mut echo, ECHO);
    let base = engine.facts();
    let hits = engine.index().search(&question, MAX_ANSWERS);
    if hits.is_empty() {
        let suggestions: Vec<String> = base
            .commands
            .iter()
            .map(|c| format!("`/{}`", c.name))
            .collect();
        return Reply::public(format!(
            "My fact base does not cover “{echo}”. It only holds what its sources say about {}. \
             Try {} or `/help`.",
            base.event.name,
            suggestions.join(", ")
        ));
    }
    let mut out = format!("Here is what my sources say about “{echo}”:");
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
    Reply::public(out)
}
