//! What a fact says at a given moment — one decision for every reply that shows it.
//!
//! A fact is said as its source said it (`sourced`); or replaced by the latest update that
//! supersedes it, with its history (`superseded`: "… signed on 26 February, per Reuters
//! (before the visit: expected)."); or — once the event is over — it is a plan or expectation
//! no update has settled, and is said as what it is (`stale`: "… (expected before the visit;
//! my sources do not say whether it happened)."). Templates read it through a fact's `text`,
//! `quote`, `certainty`, `source` and `status` ([`FactValue`]); `/ask`, the Source button and
//! `factdesk check`'s warnings call [`Timeline::at`].
//!
//! An update counts from its own time on; a retracted update never counts (a withdrawal holds
//! whenever it was made) and is mentioned instead — "an update of 26 February 2026 was
//! withdrawn" — so a reader who saw it learns of the correction. The only words added here are
//! the fixed words of that history, which restate the fact base's own dates and certainties.
//! (They say "the visit", as `/ask` does, because the one event so far is a visit.)

use std::cell::Cell;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

use std::collections::BTreeMap;

use super::clock::{Moment, Phase};
use super::language::{self, say};
use super::shown::{self, Shown};
use crate::facts::{Certainty, FactBase, Locale, Source};

/// Where a fact stands at a moment (templates see the name as `f.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// As its source said it.
    Sourced,
    /// Replaced by an update that supersedes it.
    Superseded,
    /// A plan or expectation from before the event that nothing has settled since it ended.
    Stale,
}

impl Status {
    /// The name templates compare `f.status` with.
    pub fn name(self) -> &'static str {
        match self {
            Status::Sourced => "sourced",
            Status::Superseded => "superseded",
            Status::Stale => "stale",
        }
    }
}

/// Whether `certainty` is a plan or an expectation: what goes stale once the event is over.
pub fn is_plan(certainty: Certainty) -> bool {
    matches!(
        certainty,
        Certainty::Scheduled
            | Certainty::Expected
            | Certainty::Likely
            | Certainty::Possible
            | Certainty::UnderConsideration
    )
}

/// A sentence with what it rests on: a fact's own, or an update's.
#[derive(Debug, Clone)]
pub struct Said {
    pub text: String,
    pub quote: String,
    pub certainty: Certainty,
    pub source: Source,
    /// The text in other languages, by locale code (the quote is never translated).
    pub translations: BTreeMap<String, String>,
}

impl Said {
    fn new(base: &FactBase, text: &str, quote: &str, certainty: Certainty, source: &str) -> Said {
        let source = base.source(source).cloned().unwrap_or_else(|| Source {
            id: source.to_owned(),
            title: source.to_owned(),
            publisher: None,
            date: None,
            url: None,
        });
        Said {
            text: text.to_owned(),
            quote: quote.to_owned(),
            certainty,
            source,
            translations: BTreeMap::new(),
        }
    }

    /// The same, with its translations.
    fn translated(mut self, translations: BTreeMap<String, String>) -> Said {
        self.translations = translations;
        self
    }

    /// The text in `lang`, or in English.
    pub fn text_in(&self, lang: Option<&Locale>) -> &str {
        lang.and_then(|l| self.translations.get(&l.code))
            .unwrap_or(&self.text)
    }

    /// Who says it, for "per …": the publisher, else the title in quotes.
    pub fn per(&self) -> String {
        match &self.source.publisher {
            Some(p) => p.clone(),
            None => format!("“{}”", self.source.title),
        }
    }
}

/// One update naming the fact in `supersedes`.
#[derive(Debug, Clone)]
struct Step {
    update: usize,
    time: jiff::Timestamp,
    /// Its day in the event's zone.
    day: jiff::civil::Date,
    withdrawn: bool,
    said: Said,
}

/// A fact and the updates that supersede it, oldest first.
#[derive(Debug, Clone)]
pub struct Timeline {
    fact: usize,
    said: Said,
    steps: Vec<Step>,
}

/// What a fact says at one moment.
#[derive(Debug)]
pub struct Current<'a> {
    pub status: Status,
    /// The sentence now said: the fact's, or the superseding update's.
    pub said: &'a Said,
    /// The history, the stale hedge's note and withdrawals, in reading order.
    pub notes: Vec<String>,
    /// What saying it shows, for the Source button: the fact first, then the updates named.
    pub shown: Vec<Shown>,
    /// The language the text and notes are in (`None`: English).
    pub lang: Option<Locale>,
}

impl Current<'_> {
    /// The sentence as replies say it, with its notes: "…, per Reuters (before the visit:
    /// expected)." or "… (expected before the visit; my sources do not say whether it
    /// happened)."
    pub fn text(&self) -> String {
        let lang = self.lang.as_ref();
        let text = self.said.text_in(lang);
        let (body, end) = match text.char_indices().next_back() {
            Some((at, '.' | '!' | '?' | '…' | '।')) => text.split_at(at),
            _ => (text, ""),
        };
        let notes = self.notes.join("; ");
        match self.status {
            Status::Superseded => {
                let per = say(lang, "status.per", &[("source", &self.said.per())]);
                format!("{body}, {per} ({notes}){end}")
            }
            _ if notes.is_empty() => text.to_owned(),
            _ => format!("{body} ({notes}){end}"),
        }
    }

    /// The update now said in the fact's place, if any.
    pub fn update(&self) -> Option<usize> {
        match (self.status, self.shown.get(1)) {
            (Status::Superseded, Some(Shown::Update(j))) => Some(*j),
            _ => None,
        }
    }
}

impl Timeline {
    /// Fact `fact` of `base` and the updates that name it in `supersedes`.
    pub fn of(base: &FactBase, fact: usize) -> Timeline {
        let f = &base.facts[fact];
        let zone = &base.event.time_zone;
        let steps = base
            .updates
            .iter()
            .enumerate()
            .filter(|(_, u)| u.supersedes.as_deref() == Some(f.id.as_str()))
            .map(|(j, u)| Step {
                update: j,
                time: u.time,
                day: u.time.to_zoned(zone.clone()).date(),
                withdrawn: u.retracted.is_some(),
                said: Said::new(base, &u.text, &u.quote, u.certainty, &u.source)
                    .translated(u.translations.clone()),
            })
            .collect();
        let translations = f
            .translations
            .iter()
            .map(|(code, t)| (code.clone(), t.text.clone()))
            .collect();
        Timeline {
            fact,
            said: Said::new(base, &f.text, &f.quote, f.certainty, &f.source)
                .translated(translations),
            steps,
        }
    }

    /// Whether the fact says anything but its own sentence at this moment (cheap: no text).
    fn changes(&self, at: jiff::Timestamp, phase: Phase) -> bool {
        (phase == Phase::After && is_plan(self.said.certainty))
            || self.steps.iter().any(|s| s.time <= at)
    }

    /// What the fact says at `at` (in `phase` of the event), in English.
    pub fn at(&self, at: jiff::Timestamp, phase: Phase) -> Current<'_> {
        self.at_in(at, phase, None)
    }

    /// What the fact says at `at` (in `phase` of the event), its notes in `lang`.
    pub fn at_in(&self, at: jiff::Timestamp, phase: Phase, lang: Option<&Locale>) -> Current<'_> {
        let made: Vec<&Step> = self.steps.iter().filter(|s| s.time <= at).collect();
        let (withdrawn, live): (Vec<&Step>, Vec<&Step>) =
            made.into_iter().partition(|s| s.withdrawn);
        let day = |d: jiff::civil::Date| language::day(d, lang);
        let withdrawals = withdrawn
            .iter()
            .map(|s| say(lang, "status.withdrawn", &[("date", &day(s.day))]));
        let mut shown = vec![Shown::Fact(self.fact)];
        let (status, said, mut notes) = match live.split_last() {
            Some((now, earlier)) => {
                shown.push(Shown::Update(now.update));
                let mut notes: Vec<String> = earlier
                    .iter()
                    .rev()
                    .map(|s| {
                        let label = language::label(lang, s.said.certainty);
                        say(
                            lang,
                            "status.earlier",
                            &[("date", &day(s.day)), ("certainty", &label)],
                        )
                    })
                    .collect();
                let label = language::label(lang, self.said.certainty);
                notes.push(say(lang, "status.before", &[("certainty", &label)]));
                shown.extend(earlier.iter().rev().map(|s| Shown::Update(s.update)));
                (Status::Superseded, &now.said, notes)
            }
            None if phase == Phase::After && is_plan(self.said.certainty) => {
                let label = language::label(lang, self.said.certainty);
                let note = say(lang, "status.stale", &[("certainty", &label)]);
                (Status::Stale, &self.said, vec![note])
            }
            None => (Status::Sourced, &self.said, Vec::new()),
        };
        notes.extend(withdrawals);
        shown.extend(withdrawn.iter().map(|s| Shown::Update(s.update)));
        Current {
            status,
            said,
            notes,
            shown,
            lang: lang.cloned(),
        }
    }
}

/// The facts of `base` that are stale hedges at `moment`, each with the note replies add:
/// what `factdesk check` warns about.
pub fn stale_hedges(base: &FactBase, moment: &Moment) -> Vec<(usize, String)> {
    (0..base.facts.len())
        .filter_map(|i| {
            let timeline = Timeline::of(base, i);
            let current = timeline.at(moment.at, moment.phase);
            let note = current.notes.into_iter().next();
            (current.status == Status::Stale).then_some((i, note?))
        })
        .collect()
}

thread_local! {
    /// The moment of the render running on this thread (see [`during`]).
    static MOMENT: Cell<Option<(jiff::Timestamp, Phase)>> = const { Cell::new(None) };
}

/// Runs `render` with facts read as at `moment`. Template values cannot see the render's
/// context, so the moment is set for this thread while the (synchronous) render runs, as
/// [`shown::collect`] does; outside a render a fact reads as sourced.
pub fn during<R>(moment: &Moment, render: impl FnOnce() -> R) -> R {
    struct Restore(Option<(jiff::Timestamp, Phase)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            MOMENT.set(self.0);
        }
    }
    let _restore = Restore(MOMENT.replace(Some((moment.at, moment.phase))));
    render()
}

/// A fact as a template value: its fields as sourced, and what changes them over time.
#[derive(Debug)]
pub struct FactValue {
    timeline: Timeline,
    /// The plain map of the fact's fields as its source says it (`status` = "sourced"), its
    /// title, text and certainty label in `lang`.
    fields: Value,
    keys: &'static [&'static str],
    /// The language of the render (`None`: English).
    lang: Option<Locale>,
}

/// Wraps a fact's fields (`fields`, with names `keys`, in `lang`) so that templates read it as
/// at the render's moment, and reading its words marks what it showed.
pub fn fact_value(
    timeline: Timeline,
    fields: Value,
    keys: &'static [&'static str],
    lang: Option<&Locale>,
) -> Value {
    Value::from_object(FactValue {
        timeline,
        fields,
        keys,
        lang: lang.cloned(),
    })
}

impl Object for FactValue {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let current = MOMENT
            .get()
            .filter(|&(at, phase)| self.timeline.changes(at, phase))
            .map(|(at, phase)| self.timeline.at_in(at, phase, self.lang.as_ref()));
        let Some(current) = current else {
            if shown::is_word(name) {
                shown::record(Shown::Fact(self.timeline.fact));
            }
            return self.fields.get_item(key).ok().filter(|v| !v.is_undefined());
        };
        if shown::is_word(name) {
            current.shown.iter().copied().for_each(shown::record);
        }
        let said = current.said;
        Some(match name {
            "text" => Value::from(current.text()),
            "quote" => Value::from(said.quote.clone()),
            "certainty" => Value::from(said.certainty.name()),
            "certainty_label" => Value::from(language::label(self.lang.as_ref(), said.certainty)),
            "status" => Value::from(current.status.name()),
            "source" => Value::from_serialize(&said.source),
            _ => return self.fields.get_item(key).ok().filter(|v| !v.is_undefined()),
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fact base with an expected MoU, a reported fact, and `updates` (TOML) appended.
    fn base(updates: &str) -> FactBase {
        let toml = format!(
            r#"[event]
name = "Visit"
time_zone = "Asia/Jerusalem"
start = "2026-02-25"
end = "2026-02-26"
summary = "A visit."

[[sources]]
id = "article"
title = "Article"

[[sources]]
id = "wire"
title = "TEST FIXTURE — invented"
publisher = "Test Wire"

[[facts]]
id = "mou"
title = "MoU"
text = "India and Israel are expected to sign an MoU."
source = "article"
quote = "are expected to sign"
certainty = "expected"

[[facts]]
id = "value"
title = "Value"
text = "Cooperation is reported to be worth USD 10 billion."
source = "article"
quote = "valued at about USD 10 billion"
certainty = "reported"
{updates}"#
        );
        crate::facts::parse_bytes(toml.as_bytes(), std::path::Path::new("facts.toml"))
            .unwrap_or_else(|e| panic!("the test fact base loads: {e}"))
    }

    const SIGNED: &str = r#"
[[updates]]
id = "signed"
time = "2026-02-26T15:00:00+02:00"
source = "wire"
quote = "India and Israel signed the MoU"
certainty = "confirmed"
text = "India and Israel signed the MoU on 26 February."
supersedes = "mou"
"#;

    fn at(time: &str) -> jiff::Timestamp {
        time.parse().expect("a valid test time")
    }

    #[test]
    fn a_live_update_replaces_the_fact_with_its_history() {
        let base = base(SIGNED);
        let mou = Timeline::of(&base, 0);
        let now = mou.at(at("2026-02-26T16:00:00+02:00"), Phase::During);
        assert_eq!(now.status, Status::Superseded);
        assert_eq!(
            now.text(),
            "India and Israel signed the MoU on 26 February, per Test Wire (before the visit: expected)."
        );
        assert_eq!(now.said.certainty, Certainty::Confirmed);
        assert_eq!(now.shown, [Shown::Fact(0), Shown::Update(0)]);
        assert_eq!(now.update(), Some(0));
        // Before it was made, the fact is as its source said it.
        let before = mou.at(at("2026-02-26T14:00:00+02:00"), Phase::During);
        assert_eq!(before.status, Status::Sourced);
        assert_eq!(
            before.text(),
            "India and Israel are expected to sign an MoU."
        );
        assert_eq!(before.shown, [Shown::Fact(0)]);
    }

    #[test]
    fn after_the_event_an_unsettled_plan_says_so_and_a_report_does_not() {
        let base = base("");
        let after = at("2026-03-10T10:00:00+02:00");
        let mou = Timeline::of(&base, 0);
        let stale = mou.at(after, Phase::After);
        assert_eq!(stale.status, Status::Stale);
        assert_eq!(
            stale.text(),
            "India and Israel are expected to sign an MoU (expected before the visit; my sources do not say whether it happened)."
        );
        assert_eq!(mou.at(after, Phase::During).status, Status::Sourced);
        let value = Timeline::of(&base, 1);
        let value = value.at(after, Phase::After);
        assert_eq!(value.status, Status::Sourced);
        assert_eq!(value.text(), base.facts[1].text);
        let moment = Moment::new(&base.event, after, None);
        assert_eq!(stale_hedges(&base, &moment).len(), 1);
    }

    #[test]
    fn a_retracted_update_no_longer_supersedes_and_is_mentioned() {
        let retracted = format!(
            "{SIGNED}retracted = {{ time = \"2026-02-27T09:00:00+02:00\", reason = \"wrong\" }}\n"
        );
        let base = base(&retracted);
        let mou = Timeline::of(&base, 0);
        let now = mou.at(at("2026-03-10T10:00:00+02:00"), Phase::After);
        assert_eq!(now.status, Status::Stale);
        assert_eq!(
            now.text(),
            "India and Israel are expected to sign an MoU (expected before the visit; my sources do not say whether it happened; an update of 26 February 2026 was withdrawn)."
        );
        assert_eq!(now.shown, [Shown::Fact(0), Shown::Update(0)]);
    }

    #[test]
    fn the_latest_of_several_updates_is_said_with_the_earlier_ones_in_its_history() {
        let reported = r#"
[[updates]]
id = "reported"
time = "2026-02-26T09:00:00+02:00"
source = "wire"
quote = "officials said the MoU was signed"
certainty = "reported"
text = "Officials said the MoU was signed."
supersedes = "mou"
"#;
        let base = base(&format!("{reported}{SIGNED}"));
        let mou = Timeline::of(&base, 0);
        let now = mou.at(at("2026-03-10T10:00:00+02:00"), Phase::After);
        assert_eq!(
            now.text(),
            "India and Israel signed the MoU on 26 February, per Test Wire (26 February 2026: reported; before the visit: expected)."
        );
        // Updates are kept oldest first: `reported` is 0, `signed` 1.
        assert_eq!(
            now.shown,
            [Shown::Fact(0), Shown::Update(1), Shown::Update(0)]
        );
    }

    #[test]
    fn templates_read_the_fact_as_at_the_render_and_record_both_items() {
        let base = base(SIGNED);
        let value = crate::engine::render::fact_value_in(0, &base, None);
        let text = |v: &Value| v.get_attr("text").ok().map(|t| t.to_string());
        // Outside a render: as sourced.
        assert_eq!(text(&value).as_deref(), Some(base.facts[0].text.as_str()));
        let moment = Moment::new(&base.event, at("2026-03-10T10:00:00+02:00"), None);
        let ((read, status), shown) = shown::collect(|| {
            during(&moment, || {
                (
                    text(&value),
                    value.get_attr("status").ok().map(|s| s.to_string()),
                )
            })
        });
        assert!(read.is_some_and(|t| t.contains("per Test Wire")));
        assert_eq!(status.as_deref(), Some("superseded"));
        assert_eq!(shown, [Shown::Fact(0), Shown::Update(0)]);
    }
}
