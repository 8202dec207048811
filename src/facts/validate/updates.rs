//! The rules of `[[updates]]` beyond those they share with facts: ids (unique; generated from
//! the day and the source when not written), supersession (of a fact that exists, and — when
//! marked `confirmed` — with a quote that says it happened, not that it will) and retraction
//! (when, and why).

use std::collections::HashSet;

use super::super::schema::RawUpdate;
use super::{contains_phrase, Certainty, Checker, Fact, Retraction, Update};

/// Words for what has not happened yet. A `confirmed` supersession replaces a plan with what
/// happened, so its quote must state it: "will sign" confirms nothing.
const FUTURE: [&str; 4] = ["will", "would", "shall", "going to"];

/// The id an update without one gets: its day in the event's time zone and its source
/// (`2026-02-26-visit-article`), with `-2`, `-3`… when `taken` says the id is used.
pub fn generated_id(
    time: jiff::Timestamp,
    source: &str,
    zone: &jiff::tz::TimeZone,
    taken: impl Fn(&str) -> bool,
) -> String {
    let day = time.to_zoned(zone.clone()).date();
    let base = format!("{day}-{source}");
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .expect("an unbounded range of suffixes has a free one")
}

/// What an update adds to the shared content rules: its id as written (checked: valid, and
/// unique among the ids in `seen`), the fact it supersedes and its retraction.
pub(super) fn details(
    c: &mut Checker<'_>,
    u: &RawUpdate,
    field: &str,
    facts: &[Fact],
    seen: &mut HashSet<String>,
) -> (Option<String>, Option<String>, Option<Retraction>) {
    let id = u.id.as_ref().map(|v| {
        let id = c.id(v, &format!("{field}.id"));
        if !seen.insert(id.clone()) {
            c.error(
                v.span(),
                format!("{field}.id"),
                format!("an update with id `{id}` is already defined"),
            );
        }
        id
    });
    let supersedes = u.supersedes.as_ref().map(|v| {
        if !facts.iter().any(|f| &f.id == v.get_ref()) {
            c.error_help(
                v.span(),
                format!("{field}.supersedes"),
                format!("no fact has the id `{}`", v.get_ref()),
                "name the id of the [[facts]] entry this update replaces, e.g. `mou-signing`",
            );
        } else if Certainty::parse(u.certainty.get_ref()) == Some(Certainty::Confirmed) {
            confirmed_states_it(c, u, field);
        }
        v.get_ref().clone()
    });
    let retracted = u.retracted.as_ref().and_then(|r| {
        let r = r.get_ref();
        let reason = c.non_empty(&r.reason, &format!("{field}.retracted.reason"));
        let time = c.time(&r.time, &format!("{field}.retracted.time"))?;
        let made = u.time.get_ref().parse::<jiff::Timestamp>().ok();
        if made.is_some_and(|made| time < made) {
            c.error_help(
                r.time.span(),
                format!("{field}.retracted.time"),
                "the update is withdrawn before it was made",
                "a retraction's time is when editors withdrew it, after the update's own time",
            );
        }
        Some(Retraction { time, reason })
    });
    (id, supersedes, retracted)
}

/// A `confirmed` supersession's quote must say that it happened, not that it will.
fn confirmed_states_it(c: &mut Checker<'_>, u: &RawUpdate, field: &str) {
    let quote = u.quote.get_ref().to_lowercase();
    if let Some(word) = FUTURE.iter().find(|w| contains_phrase(&quote, w)) {
        c.error_help(
            u.quote.span(),
            format!("{field}.certainty"),
            format!("marked confirmed, but its quote speaks of what is to come (\"{word}\")"),
            "quote the words that say it happened, or use the certainty the source states",
        );
    }
}

/// Gives every update without a written id its generated one, in file order, never one
/// written elsewhere in the file.
pub(super) fn assign_ids(updates: &mut [Update], zone: &jiff::tz::TimeZone) {
    let mut taken: HashSet<String> = updates
        .iter()
        .filter(|u| !u.id.is_empty())
        .map(|u| u.id.clone())
        .collect();
    for u in updates.iter_mut().filter(|u| u.id.is_empty()) {
        u.id = generated_id(u.time, &u.source, zone, |id| taken.contains(id));
        taken.insert(u.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::facts::{parse_bytes, FactBase, LoadError};

    const BASE: &str = r#"[event]
name = "Visit"
time_zone = "Asia/Jerusalem"
start = "2026-02-25"
end = "2026-02-26"
summary = "A visit."

[[sources]]
id = "wire"
title = "TEST FIXTURE — invented"

[[facts]]
id = "mou"
title = "MoU"
text = "India and Israel are expected to sign an MoU."
source = "wire"
quote = "are expected to sign"
certainty = "expected"
"#;

    /// An update of `wire` at `time` (Jerusalem), with `extra` TOML lines.
    fn update(time: &str, extra: &str) -> String {
        format!(
            "\n[[updates]]\ntime = \"{time}\"\nsource = \"wire\"\nquote = \"India and Israel signed the MoU\"\ncertainty = \"confirmed\"\ntext = \"India and Israel signed the MoU.\"\n{extra}"
        )
    }

    fn load(updates: &[String]) -> Result<FactBase, LoadError> {
        parse_bytes(
            format!("{BASE}{}", updates.concat()).as_bytes(),
            Path::new("facts.toml"),
        )
    }

    fn errors(updates: &[String]) -> String {
        match load(updates) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn ids_are_generated_from_day_and_source_around_written_ones() {
        let base = load(&[
            // 23:30 UTC is already the 26th in Jerusalem.
            update("2026-02-25T23:30:00+00:00", ""),
            update("2026-02-26T10:00:00+02:00", "id = \"2026-02-26-wire-2\""),
            update("2026-02-26T11:00:00+02:00", ""),
        ])
        .expect("loads");
        let ids: Vec<&str> = base.updates.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            ids,
            ["2026-02-26-wire", "2026-02-26-wire-2", "2026-02-26-wire-3"]
        );
        assert_eq!(base.updates[2].entry, 2);
    }

    #[test]
    fn ids_supersessions_and_retractions_are_checked() {
        let twice = errors(&[
            update("2026-02-26T10:00:00+02:00", "id = \"a\""),
            update("2026-02-26T11:00:00+02:00", "id = \"a\""),
        ]);
        assert!(
            twice.contains("updates[1].id: an update with id `a` is already defined"),
            "{twice}"
        );
        let unknown = errors(&[update("2026-02-26T10:00:00+02:00", "supersedes = \"mo\"")]);
        assert!(
            unknown.contains("facts.toml:26:14: updates[0].supersedes: no fact has the id `mo`"),
            "{unknown}"
        );
        let early = errors(&[update(
            "2026-02-26T10:00:00+02:00",
            "retracted = { time = \"2026-02-25T10:00:00+02:00\", reason = \"wrong\" }",
        )]);
        assert!(
            early.contains("updates[0].retracted.time: the update is withdrawn before it was made"),
            "{early}"
        );
        let no_reason = errors(&[update(
            "2026-02-26T10:00:00+02:00",
            "retracted = { time = \"2026-02-27T10:00:00+02:00\", reason = \" \" }",
        )]);
        assert!(
            no_reason.contains("updates[0].retracted.reason: is empty"),
            "{no_reason}"
        );
    }

    #[test]
    fn a_confirmed_supersession_must_quote_what_happened() {
        let future = format!(
            "{BASE}{}",
            update("2026-02-26T10:00:00+02:00", "supersedes = \"mou\"")
        )
        .replace(
            "India and Israel signed the MoU\"",
            "India and Israel will sign the MoU\"",
        );
        let Err(e) = parse_bytes(future.as_bytes(), Path::new("facts.toml")) else {
            panic!("a confirmed supersession quoting the future must be refused");
        };
        assert!(
            e.to_string().contains(
                "updates[0].certainty: marked confirmed, but its quote speaks of what is to come (\"will\")"
            ),
            "{e}"
        );
        // Without `supersedes` the update is held to the rules facts are held to only.
        let plain = future.replace("supersedes = \"mou\"", "");
        assert!(parse_bytes(plain.as_bytes(), Path::new("facts.toml")).is_ok());
    }
}
