//! `/ask question` — free text, answered with the best-ranked facts for each part of the
//! question, an honest "my sources don't mention X", or an honest "not covered".
//!
//! Every fact is quoted whole with its certainty label and source, so an answer to "was the MoU
//! signed?" carries the fact's own hedge ("expected to sign … (expected; …)") and never a "yes".

use crate::engine::command::string_option;
use crate::engine::language::{self, say};
use crate::engine::search::{Answer, Confidence};
use crate::engine::shown::Shown;
use crate::engine::status::{Current, Status, Timeline};
use crate::engine::{
    echo, Action, Command, CommandError, Context, Embed, EmbedField, Engine, Outcome, Phase, Reply,
};
use crate::facts::{FactBase, Locale};

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
    let reader = ctx.reader_language();
    let target = inv
        .target
        .as_ref()
        .ok_or_else(|| CommandError::user(say(reader, "error.ask_on_message", &[])))?;
    let text: String = target.content.chars().take(MAX_MESSAGE_QUESTION).collect();
    if text.trim().is_empty() {
        return Err(CommandError::user(say(
            reader,
            "error.message_no_text",
            &[],
        )));
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
        let about = say(ctx.language(), "ask.about_message", &[("link", &link)]);
        reply.content = format!("{about}\n{}", reply.content);
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
    let lang = ctx.language();
    let answer = ctx.engine.index().answer(question, MAX_ANSWERS);
    let facts = answer.facts();
    let unmentioned = unmentioned(&answer, lang);
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
        return Ok(Reply::public(not_covered(base, &echo, &unmentioned, lang)));
    }
    // Each fact as it stands now: superseded by an update, or a stale hedge once the visit is
    // over (`status.rs`), never a plan read as news.
    let phase = ctx.engine.moment(ctx.now(), None).phase;
    let timelines: Vec<Timeline> = facts.iter().map(|&i| Timeline::of(base, i)).collect();
    let now: Vec<Current<'_>> = timelines
        .iter()
        .map(|t| t.at_in(ctx.now(), phase, lang))
        .collect();
    // Once the visit has begun, pre-visit sources must not read as news of what happened.
    let mut out = unmentioned.map(|u| format!("{u}\n")).unwrap_or_default();
    let intro = if phase == Phase::Before || now.iter().any(|c| c.status == Status::Superseded) {
        "ask.intro"
    } else {
        "ask.intro_since"
    };
    out.push_str(&say(lang, intro, &[("question", &echo)]));
    let mut left_out = 0;
    let mut shown = Vec::new();
    let mut lines = Vec::new();
    for current in &now {
        let line = line(current, lang);
        // Whole facts only: a fact cut mid-sentence could lose its hedge.
        if left_out > 0 || out.chars().count() + line.chars().count() > MAX_CONTENT - 80 {
            left_out += 1;
        } else {
            out.push_str(&line);
            lines.push((current.shown[0], line));
            for item in &current.shown {
                if !shown.contains(item) {
                    shown.push(*item);
                }
            }
        }
    }
    let embeds = as_fields(base, &mut out, &lines, lang);
    if left_out > 0 {
        let more = say(lang, "ask.more", &[("n", &left_out.to_string())]);
        out.push_str(&format!("\n{more}"));
    }
    let mut reply = Reply::public(out);
    reply.embeds = embeds;
    reply.shown = shown;
    Ok(reply)
}

/// Several facts read better as an embed, one field per fact under its title: moves `lines`
/// (the end of `out`) into one. A single fact stays in the content.
fn as_fields(
    base: &FactBase,
    out: &mut String,
    lines: &[(Shown, String)],
    lang: Option<&Locale>,
) -> Vec<Embed> {
    if lines.len() < 2 {
        return Vec::new();
    }
    out.truncate(out.len() - lines.iter().map(|(_, l)| l.len()).sum::<usize>());
    let fields = lines
        .iter()
        .map(|(item, line)| EmbedField {
            name: match item {
                Shown::Fact(i) => language::title(&base.facts[*i], lang).to_owned(),
                Shown::Update(_) => "—".to_owned(),
            },
            value: line.trim().trim_start_matches('•').trim().to_owned(),
            inline: false,
        })
        .collect();
    vec![Embed {
        fields,
        ..Embed::default()
    }]
}

/// One fact of an answer, in `lang`: "• <sentence> (<certainty, or the stale hedge's note;
/// the history>; source: <title>)".
fn line(current: &Current<'_>, lang: Option<&Locale>) -> String {
    let said = current.said;
    let label = language::label(lang, said.certainty);
    let mut notes: Vec<&str> = current.notes.iter().map(String::as_str).collect();
    if current.status != Status::Stale {
        notes.insert(0, &label);
    }
    let line = say(
        lang,
        "ask.fact",
        &[
            ("text", said.text_in(lang)),
            ("certainty", &notes.join("; ")),
            ("source", &said.source.title),
        ],
    );
    format!("\n{line}")
}

/// "My sources don't mention Japan." for what the question named that no fact mentions.
fn unmentioned(answer: &Answer, lang: Option<&Locale>) -> Option<String> {
    let names = answer.unmentioned();
    let names: Vec<String> = names.iter().map(|n| echo::prose(n, 40)).collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [init @ .., last] => say(
            lang,
            "ask.list_or",
            &[("init", &init.join(", ")), ("last", last)],
        ),
    };
    Some(say(lang, "ask.unmentioned", &[("names", &list)]))
}

fn not_covered(
    base: &FactBase,
    echo: &str,
    unmentioned: &Option<String>,
    lang: Option<&Locale>,
) -> String {
    let suggestions: Vec<String> = base
        .commands
        .iter()
        .map(|c| format!("`/{}`", c.name))
        .collect();
    let event = language::event_name(base, lang);
    let commands = suggestions.join(", ");
    match unmentioned {
        Some(u) => say(
            lang,
            "ask.not_covered_names",
            &[
                ("unmentioned", u),
                ("event", event),
                ("commands", &commands),
            ],
        ),
        None => say(
            lang,
            "ask.not_covered",
            &[
                ("question", echo),
                ("event", event),
                ("commands", &commands),
            ],
        ),
    }
}
