//! `update add --dry-run`: how the replies an update changes would read once it is made —
//! every declared command that would then show the fact it supersedes, the digest and the
//! change alert — as
//! the engine would answer them (`factdesk ask`), from the edited fact base, which is not
//! written.

use crate::engine::shown::Shown;
use crate::engine::{Engine, Invocation, OptionValue, Response};
use crate::facts::Choices;

/// The entry (as written) of update `id` of `engine`'s fact base, and the replies it changes
/// as at its time, or `now` if later.
pub fn update(engine: &Engine, id: &str, entry: &str, now: jiff::Timestamp) -> String {
    let base = engine.facts();
    let mut out = format!("Would append to {}:\n\n{entry}", base.path.display());
    let Some(update) = base.updates.iter().find(|u| u.id == id) else {
        return out;
    };
    let at = now.max(update.time);
    let zone = engine.reader_zone(None);
    let when = at.to_zoned(zone.clone()).strftime("%-d %B %Y %H:%M %Z");
    let fact = update
        .supersedes
        .as_deref()
        .and_then(|f| base.facts.iter().position(|x| x.id == f));
    for (line, response) in fact.map(|i| showing(engine, i, at)).unwrap_or_default() {
        let text = response.to_text_in(zone, at);
        out.push_str(&format!("\n`{line}` would read ({when}):\n{text}\n"));
    }
    if let Ok(digest) = engine.render_digest(at, &base.event.time_zone_name, None, None) {
        let text = Response::Message(digest).to_text_in(zone, at);
        out.push_str(&format!("\nThe digest would read ({when}):\n{text}\n"));
    }
    // The change alert the reload would post in every alert channel (without a role mention).
    let alert = crate::engine::alerts::render(engine, &[format!("added:{id}")], at, None, None);
    for message in alert {
        let text = Response::Message(message).to_text_in(zone, at);
        out.push_str(&format!(
            "\nThe change alert would read ({when}):\n{text}\n"
        ));
    }
    out.push_str("\nNothing was written (--dry-run).");
    out
}

/// The declared commands (with no options, or the fact chosen for an option offering its
/// topic) whose reply at `at` shows fact `fact`, with that reply.
fn showing(engine: &Engine, fact: usize, at: jiff::Timestamp) -> Vec<(String, Response)> {
    let f = &engine.facts().facts[fact];
    let mut asked = Vec::new();
    for def in &engine.facts().commands {
        if def.options.iter().all(|o| !o.required) {
            asked.push((format!("/{}", def.name), Invocation::new(&def.name, at)));
        }
        for option in &def.options {
            if matches!(&option.choices, Choices::Topic(t) if f.topics.contains(t)) {
                let value = OptionValue::String(f.id.clone());
                let inv = Invocation::new(&def.name, at).with_option(&option.name, value);
                asked.push((format!("/{} {}:{}", def.name, option.name, f.id), inv));
            }
        }
    }
    asked
        .into_iter()
        .map(|(line, inv)| (line, super::super::answer(engine, &inv)))
        .filter(|(_, response)| {
            response
                .reply()
                .is_some_and(|r| r.shown.contains(&Shown::Fact(fact)))
        })
        .collect()
}
