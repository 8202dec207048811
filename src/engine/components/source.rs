//! The "Source" button under every answer that shows facts: pressing it shows, for each fact
//! (or update) the answer showed, the exact quote, its certainty and its source.
//!
//! The button carries its answer in its `custom_id`: `src:` and five characters per item —
//! three for which item (a hash of the fact's id) and two for what it said (a hash of its text,
//! quote, certainty and source). That fits 19 items in Discord's 100 characters (the seven
//! systems take 35), works after a restart and on any replica, and tells a fact that changed
//! since the answer (same id, other words) from one that is gone (no id matches).

use super::Component;
use crate::engine::language::{self, say};
use crate::engine::reply::{
    cut, Button, Embed, EmbedField, MAX_CUSTOM_ID, MAX_FIELD_NAME, MAX_LABEL,
};
use crate::engine::shown::Shown;
use crate::engine::status::Timeline;
use crate::engine::{CommandError, Context, Engine, Outcome, Reply};
use crate::facts::{FactBase, Locale};

pub const COMPONENT: Component = Component {
    prefix: "src",
    press,
};

const ID_CHARS: usize = 3;
const CONTENT_CHARS: usize = 2;
const ITEM_CHARS: usize = ID_CHARS + CONTENT_CHARS;
/// Marks a reference that could not carry every item of its answer.
const MORE: char = '+';
/// Items one `custom_id` carries: `src:` + items + the "more" mark.
pub const MAX_ITEMS: usize = (MAX_CUSTOM_ID - 4 - 1) / ITEM_CHARS;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The longest reference — `src:`, every item, the "more" mark — fits Discord's limit.
const _: () = assert!(4 + MAX_ITEMS * ITEM_CHARS < MAX_CUSTOM_ID);

/// FNV-1a over the parts, each followed by a 0 byte.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.as_bytes().iter().chain(&[0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `n` base-62 digits of `h`.
fn digits(mut h: u64, n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(char::from(BASE62[(h % 62) as usize]));
        h /= 62;
    }
}

/// What an item is (its identity) and what it says (its content), as hashes.
fn hashes(base: &FactBase, item: Shown) -> Option<(u64, u64)> {
    match item {
        Shown::Fact(i) => base.facts.get(i).map(|f| {
            (
                hash(&["fact", &f.id]),
                hash(&[&f.text, &f.quote, f.certainty.name(), &f.source]),
            )
        }),
        Shown::Update(i) => base.updates.get(i).map(|u| {
            // A withdrawal changes what the update says: a press then shows it as changed.
            let withdrawn = u
                .retracted
                .as_ref()
                .map(|r| format!("{} {}", r.time, r.reason))
                .unwrap_or_default();
            (
                hash(&["update", &u.id]),
                hash(&[&u.text, &u.quote, u.certainty.name(), &u.source, &withdrawn]),
            )
        }),
    }
}

fn code(base: &FactBase, item: Shown) -> Option<String> {
    let (id, content) = hashes(base, item)?;
    let mut out = String::with_capacity(ITEM_CHARS);
    digits(id, ID_CHARS, &mut out);
    digits(content, CONTENT_CHARS, &mut out);
    Some(out)
}

/// Every fact's and update's reference, computed once per fact base (a press compares a
/// button's references with all of them).
#[derive(Debug, Default)]
pub struct Codes {
    facts: Vec<String>,
    updates: Vec<String>,
}

impl Codes {
    pub fn build(base: &FactBase) -> Codes {
        let all = |items: Vec<Shown>| -> Vec<String> {
            items
                .into_iter()
                .map(|i| code(base, i).unwrap_or_default())
                .collect()
        };
        Codes {
            facts: all((0..base.facts.len()).map(Shown::Fact).collect()),
            updates: all((0..base.updates.len()).map(Shown::Update).collect()),
        }
    }

    fn get(&self, item: Shown) -> Option<&str> {
        match item {
            Shown::Fact(i) => self.facts.get(i),
            Shown::Update(i) => self.updates.get(i),
        }
        .map(String::as_str)
    }

    fn all(&self) -> impl Iterator<Item = (Shown, &str)> {
        let facts = self
            .facts
            .iter()
            .enumerate()
            .map(|(i, c)| (Shown::Fact(i), c));
        let updates = self
            .updates
            .iter()
            .enumerate()
            .map(|(i, c)| (Shown::Update(i), c));
        facts.chain(updates).map(|(s, c)| (s, c.as_str()))
    }
}

/// The Source button, labelled in `lang`, for an answer that showed `shown`; `None` when it
/// showed no fact.
pub fn button(engine: &Engine, shown: &[Shown], lang: Option<&Locale>) -> Option<Button> {
    if shown.is_empty() {
        return None;
    }
    let mut custom_id = String::from("src:");
    for item in shown.iter().take(MAX_ITEMS) {
        custom_id.push_str(engine.source_codes().get(*item)?);
    }
    if shown.len() > MAX_ITEMS {
        custom_id.push(MORE);
    }
    Some(Button::Press {
        label: say(lang, "source.label", &[]),
        custom_id,
    })
}

/// Whether `button` is a Source button (the digest brings its own).
pub fn is_source(button: &Button) -> bool {
    matches!(button, Button::Press { custom_id, .. } if custom_id.starts_with("src:"))
}

/// What became of one item of the answer.
enum Found {
    Same(Shown),
    Changed(Shown),
    Gone,
}

fn find(codes: &Codes, code: &str) -> Found {
    let mut changed = None;
    for (item, now) in codes.all() {
        if now == code {
            return Found::Same(item);
        }
        if now.get(..ID_CHARS) == code.get(..ID_CHARS) && changed.is_none() {
            changed = Some(item);
        }
    }
    changed.map_or(Found::Gone, Found::Changed)
}

/// Splits a reference into item codes; `None` when it is not one this bot made.
fn parse(reference: &str) -> Option<(Vec<&str>, bool)> {
    let (items, more) = match reference.strip_suffix(MORE) {
        Some(items) => (items, true),
        None => (reference, false),
    };
    let valid = !items.is_empty()
        && items.len() % ITEM_CHARS == 0
        && items.bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid {
        return None;
    }
    let codes = (0..items.len())
        .step_by(ITEM_CHARS)
        .map(|i| &items[i..i + ITEM_CHARS])
        .collect();
    Some((codes, more))
}

/// The source line: title, publisher, date.
fn source_line(base: &FactBase, id: &str) -> String {
    match base.source(id) {
        Some(s) => [
            Some(s.title.as_str()),
            s.publisher.as_deref(),
            s.date.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        None => id.to_owned(),
    }
}

/// The embed field for one item at `now`, in `lang`: what it is, its certainty — and, for a
/// fact, the update that supersedes it; for an update, the fact it supersedes and its
/// withdrawal — its quote (in the source's language) and source.
fn field(ctx: &Context<'_>, item: Shown, changed: bool, lang: Option<&Locale>) -> EmbedField {
    let base = ctx.facts();
    let day = |time: jiff::Timestamp| {
        language::day(time.to_zoned(base.event.time_zone.clone()).date(), lang)
    };
    let (what, quote, certainty, source) = match item {
        Shown::Fact(i) => {
            let f = &base.facts[i];
            let phase = ctx.engine.moment(ctx.now(), None).phase;
            let label = language::label(lang, f.certainty);
            let label = match Timeline::of(base, i).at(ctx.now(), phase).update() {
                Some(j) => say(
                    lang,
                    "source.superseded",
                    &[("certainty", &label), ("date", &day(base.updates[j].time))],
                ),
                None => label,
            };
            (
                language::title(f, lang).to_owned(),
                &f.quote,
                label,
                &f.source,
            )
        }
        Shown::Update(i) => {
            let u = &base.updates[i];
            let mut what = say(lang, "source.update", &[("date", &day(u.time))]);
            if let Some(fact) = u.supersedes.as_deref().and_then(|id| base.fact(id)) {
                what = format!("{what}: {}", language::title(fact, lang));
            }
            let label = language::label(lang, u.certainty);
            let label = match &u.retracted {
                Some(r) => say(
                    lang,
                    "source.withdrawn",
                    &[
                        ("certainty", &label),
                        ("date", &day(r.time)),
                        ("reason", &r.reason),
                    ],
                ),
                None => label,
            };
            (what, &u.quote, label, &u.source)
        }
    };
    let mut name = format!("{what} ({certainty})");
    if changed {
        name = say(lang, "source.changed", &[("name", &name)]);
    }
    cut(&mut name, MAX_FIELD_NAME);
    let mut quote = quote.replace('\n', " ");
    cut(&mut quote, 900);
    EmbedField {
        name,
        value: format!("> {quote}\n— {}", source_line(base, source)),
        inline: false,
    }
}

/// Link buttons to the distinct sources (with a URL) of `items`.
fn links(base: &FactBase, items: &[Shown]) -> Vec<Button> {
    let mut ids: Vec<&str> = Vec::new();
    for item in items {
        let id = match *item {
            Shown::Fact(i) => &base.facts[i].source,
            Shown::Update(i) => &base.updates[i].source,
        };
        if !ids.contains(&id.as_str()) {
            ids.push(id);
        }
    }
    ids.into_iter()
        .filter_map(|id| base.source(id))
        .filter_map(|s| {
            let url = s.url.clone()?;
            let mut label = s.title.clone();
            cut(&mut label, MAX_LABEL);
            Some(Button::Link { label, url })
        })
        .take(5)
        .collect()
}

/// For posts that cannot carry a Source button (webhooks): a line in `lang` linking the
/// sources of `shown`, or pointing to `/sources` when none has a URL.
pub fn webhook_line(engine: &Engine, shown: &[Shown], lang: Option<&Locale>) -> String {
    let links: Vec<String> = links(engine.facts(), shown)
        .into_iter()
        .filter_map(|b| match b {
            Button::Link { label, url } => Some(format!("[{label}](<{url}>)")),
            Button::Press { .. } => None,
        })
        .collect();
    if links.is_empty() {
        say(lang, "post.sources_none", &[])
    } else {
        say(lang, "post.sources", &[("links", &links.join(" · "))])
    }
}

/// Answers a press of a Source button with reference `reference`.
fn press(ctx: &Context<'_>, reference: &str) -> Outcome {
    let (codes, more) = parse(reference).ok_or_else(|| {
        CommandError::user(say(ctx.reader_language(), "error.unreadable_source", &[]))
    })?;
    let base = ctx.facts();
    let lang = ctx.language();
    let mut fields = Vec::new();
    let mut items = Vec::new();
    let (mut changed, mut gone) = (0, 0);
    for code in codes {
        match find(ctx.engine.source_codes(), code) {
            Found::Same(item) => {
                fields.push(field(ctx, item, false, lang));
                items.push(item);
            }
            Found::Changed(item) => {
                changed += 1;
                fields.push(field(ctx, item, true, lang));
                items.push(item);
            }
            Found::Gone => gone += 1,
        }
    }
    let mut notes = Vec::new();
    if changed > 0 {
        notes.push(count(lang, "source.changed", changed));
    }
    if gone > 0 {
        notes.push(count(lang, "source.gone", gone));
    }
    if more {
        notes.push(say(lang, "source.more", &[]));
    }
    let content = if notes.is_empty() {
        say(lang, "source.intro", &[])
    } else {
        notes.join("\n")
    };
    let mut reply = Reply::ephemeral(content);
    if !fields.is_empty() {
        reply.embeds.push(Embed {
            title: Some(say(lang, "source.title", &[])),
            fields,
            ..Embed::default()
        });
    }
    reply.buttons = links(base, &items);
    Ok(reply)
}

/// Fixed word `{key}_one` for one, `{key}_many` (with `{n}`) for more.
fn count(lang: Option<&Locale>, key: &str, n: usize) -> String {
    if n == 1 {
        say(lang, &format!("{key}_one"), &[])
    } else {
        say(lang, &format!("{key}_many"), &[("n", &n.to_string())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_fit_and_reject_what_we_did_not_make() {
        assert_eq!(MAX_ITEMS, 19);
        assert!(parse("").is_none());
        assert!(parse("abcd").is_none());
        assert!(parse("abc-e").is_none());
        assert!(parse("ab\u{e9}de").is_none());
        assert_eq!(parse("abcde+"), Some((vec!["abcde"], true)));
        assert_eq!(parse("abcdeFGHIJ"), Some((vec!["abcde", "FGHIJ"], false)));
    }
}
