//! `/ask question` — free text, answered with the best-ranked facts for each part of the
//! question, an honest "my sources don't mention X", or an honest "not covered".
//!
//! Every fact is quoted whole with its certainty label and source, so an answer to "was the MoU
//! signed?" carries the fact's own hedge ("expected to sign … (expected; …)") and never a "yes".

use crate::engine::command::string_option;
use crate::engine::search::{Answer, Confidence};
use crate::engine::status::{Current, Status, Timeline};
use crate::engine::{echo, Action, Command, CommandError, Context, Engine, Outcome, Phase, Reply};
use crate::facts::FactBase;

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
    .shareable()
}

/// The message command "Ask factdesk": `/ask` on the text of the message it is used on.
pub fn on_message() -> Command {
    Command::new(ASK_ON_MESSAGE, "", Action::Run(run_on_message)).on_messages()
}

/// The name of the message command, as readers see it in a message's Apps menu.
pub const ASK_ON_MESSAGE: &str = "Ask factdesk";

/// Longest message text asked about (a question, not an essay: the rest is ignored).
const MAX_MESSAGE_QUESTION: usize = 500;

fn run_on_message(ctx: &Context<'_>) -> Outcome {
    let inv = ctx.invocation;
    let target = inv.target.as_ref().ok_or_else(|| {
        CommandError::user(
            "Use “Ask factdesk” from a message's Apps menu: it asks about that message.",
        )
    })?;
    let text: String = target.content.chars().take(MAX_MESSAGE_QUESTION).collect();
    if text.trim().is_empty() {
        return Err(CommandError::user(
            "That message has no text I can ask about (an image or an embed only?). Try `/ask` with your question.",
        ));
    }
    let link = match (inv.caller.guild_id, inv.caller.channel_id) {
        (guild, Some(channel)) => format!(
            "https://discord.com/channels/{}/{channel}/{}",
            guild.map_or_else(|| "@me".to_owned(), |g| g.to_string()),
            target.id
        ),
        (_, None) => String::new(),
    };
    let mut reply = answer(ctx, &text)?;
    if !link.is_empty() {
        reply.content = format!("About [this message]({link}):\n{}", reply.content);
    }
    Ok(reply)
}

/// The facts `/ask` answers `question` with (indices into the fact base), in reply order;
/// empty when it cites none. The reply and `factdesk check`'s `[[questions]]` both use the
/// same selection, so what is checked is what readers get.
pub fn cited(engine: &Engine, question: &str) -> Vec<usize> {
    engine.index().answer(question, MAX_ANSWERS).facts()
}

/// At most this many facts for one part of a question (lists give all of a topic's).
const MAX_ANSWERS: usize = 3;
/// The question is echoed back, shortened to this many characters.
const ECHO: usize = 150;
/// Discord's limit on a message's content.
const MAX_CONTENT: usize = 2000;

fn run(ctx: &Context<'_>) -> Outcome {
    let question = ctx.invocation.option_text("question").unwrap_or_default();
    answer(ctx, &question)
}

/// The answer to `question`: the facts that answer it, each with its hedge and source.
fn answer(ctx: &Context<'_>, question: &str) -> Outcome {
    // The question is echoed in a public reply: shown as typed, never as links, markdown or
    // reversed text.
    let echo = echo::prose(question, ECHO);
    let base = ctx.facts();
    let answer = ctx.engine.index().answer(question, MAX_ANSWERS);
    let facts = answer.facts();
    let unmentioned = unmentioned(&answer);
    // The one place an answer is judged. `Confidence::NotCovered` (nothing, or only "my
    // sources don't mention …") and `Confidence::Low` (facts that cover part of what was
    // asked) are the questions readers did not get: counted (text only) for the editors.
    let confidence = answer.confidence();
    if confidence != Confidence::Good {
        if let Some(misses) = &ctx.services.misses {
            misses.record(crate::engine::misses::normalise(question));
        }
    }
    if confidence == Confidence::NotCovered && facts.is_empty() {
        return Ok(Reply::public(not_covered(base, &echo, &unmentioned)));
    }
    // Each fact as it stands now: superseded by an update, or a stale hedge once the visit is
    // over (`status.rs`), never a plan read as news.
    let phase = ctx.engine.moment(ctx.now(), None).phase;
    let timelines: Vec<Timeline> = facts.iter().map(|&i| Timeline::of(base, i)).collect();
    let now: Vec<Current<'_>> = timelines.iter().map(|t| t.at(ctx.now(), phase)).collect();
    // Once the visit has begun, pre-visit sources must not read as news of what happened.
    let mut out = unmentioned.map(|u| format!("{u}\n")).unwrap_or_default();
    if phase == Phase::Before || now.iter().any(|c| c.status == Status::Superseded) {
        out.push_str(&format!("Here is what my sources say about “{echo}”:"));
    } else {
        out.push_str(&format!(
            "Here is what my sources, written before the visit, say about “{echo}”:"
        ));
    }
    let mut left_out = 0;
    let mut shown = Vec::new();
    for current in &now {
        let line = line(current);
        // Whole facts only: a fact cut mid-sentence could lose its hedge.
        if left_out > 0 || out.chars().count() + line.chars().count() > MAX_CONTENT - 80 {
            left_out += 1;
        } else {
            out.push_str(&line);
            for item in &current.shown {
                if !shown.contains(item) {
                    shown.push(*item);
                }
            }
        }
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n…and {left_out} more: ask about one part at a time."
        ));
    }
    let mut reply = Reply::public(out);
    reply.shown = shown;
    Ok(reply)
}

/// One fact of an answer: "• <sentence> (<certainty, or the stale hedge's note>; source:
/// <title>; <history>)".
fn line(current: &Current<'_>) -> String {
    let said = current.said;
    let mut notes = current.notes.iter().map(String::as_str);
    let head = match current.status {
        Status::Stale => notes.next().unwrap_or(said.certainty.label()),
        Status::Sourced | Status::Superseded => said.certainty.label(),
    };
    let mut parts = vec![head.to_owned(), format!("source: {}", said.source.title)];
    parts.extend(notes.map(str::to_owned));
    format!("\n• {} ({})", said.text, parts.join("; "))
}

/// "My sources don't mention Japan." for what the question named that no fact mentions.
fn unmentioned(answer: &Answer) -> Option<String> {
    let names = answer.unmentioned();
    let names: Vec<String> = names.iter().map(|n| echo::prose(n, 40)).collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    Some(format!("My sources don't mention {list}."))
}

fn not_covered(base: &FactBase, echo: &str, unmentioned: &Option<String>) -> String {
    let suggestions: Vec<String> = base
        .commands
        .iter()
        .map(|c| format!("`/{}`", c.name))
        .collect();
    match unmentioned {
        Some(u) => format!(
            "{u} They only cover {}. Try {} or `/help`.",
            base.event.name,
            suggestions.join(", ")
        ),
        None => format!(
            "My fact base does not cover “{echo}”. It only holds what its sources say about {}. \
             Try {} or `/help`.",
            base.event.name,
            suggestions.join(", ")
        ),
    }
}
