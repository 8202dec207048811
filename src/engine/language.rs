//! Replies in the reader's language: which shipped locale an answer is written in, and the
//! words that depend on it (fixed words, certainty labels, a fact's title and text, dates).
//!
//! The choice is made before rendering, from the invocation alone: a public answer is read by
//! the whole channel, so it follows the server's locale (`guild_locale`, or the reader's where
//! there is no server); an ephemeral one, an autocomplete list and a button press follow the
//! reader's. So do the replies only the reader sees of any command — a refusal, an apology, a
//! cooldown notice ([`super::Engine::reader_language`]). What the bot posts on its own
//! (digests, change alerts) has no reader: it follows the locale its channel's subscription
//! keeps — the server's when it subscribed, or the operator's (`Engine::post_language`).
//! Whatever a locale does not translate is said in English — a fact without a translation is
//! shown in English, never left out. Quotes are never translated.

use crate::facts::locale::{self, english};
use crate::facts::{Certainty, EventText, Fact, FactBase, Locale};

/// Says fixed word `key` in `lang` (English when there is no language or no translation), with
/// each `{name}` replaced by its value in `args`. Values are inserted as they are: a value
/// that happens to contain `{name}` is not filled in again.
pub fn say(lang: Option<&Locale>, key: &str, args: &[(&str, &str)]) -> String {
    let text = lang
        .and_then(|l| l.word(key))
        .or_else(|| english(key))
        .unwrap_or(key);
    fill(text, args)
}

/// `text` with `{name}` placeholders replaced from `args`; unknown ones are kept as written.
fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, v) = args.iter().find(|(k, _)| *k == name)?;
            Some((v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The certainty label readers see, in `lang`.
pub fn label(lang: Option<&Locale>, certainty: Certainty) -> String {
    say(lang, &format!("certainty.{}", certainty.name()), &[])
}

/// "1 day" / "n days", in `lang`.
pub fn days(lang: Option<&Locale>, n: i64) -> String {
    if n == 1 {
        say(lang, "days.one", &[])
    } else {
        say(lang, "days.many", &[("n", &n.to_string())])
    }
}

/// A fact's title in `lang`, or in English.
pub fn title<'a>(fact: &'a Fact, lang: Option<&Locale>) -> &'a str {
    lang.and_then(|l| fact.translations.get(&l.code))
        .map_or(&fact.title, |t| &t.title)
}

/// A fact's text in `lang`, or in English.
pub fn text<'a>(fact: &'a Fact, lang: Option<&Locale>) -> &'a str {
    lang.and_then(|l| fact.translations.get(&l.code))
        .map_or(&fact.text, |t| &t.text)
}

/// The event's name and summary in `lang`, when translated.
pub fn event<'a>(base: &'a FactBase, lang: Option<&Locale>) -> Option<&'a EventText> {
    lang.and_then(|l| base.event.translations.get(&l.code))
}

/// The event's name in `lang`, or in English.
pub fn event_name<'a>(base: &'a FactBase, lang: Option<&Locale>) -> &'a str {
    event(base, lang).map_or(&base.event.name, |t| &t.name)
}

/// The name of `date`'s month in `lang` (English `February` without names).
fn month(date: jiff::civil::Date, lang: Option<&Locale>) -> String {
    let names = lang.and_then(|l| l.months.as_ref());
    let index = usize::try_from(date.month() - 1).unwrap_or(0);
    match names.and_then(|n| n.get(index)) {
        Some(name) => name.clone(),
        None => date.strftime("%B").to_string(),
    }
}

/// `25 February 2026`, month named in `lang`.
pub fn day(date: jiff::civil::Date, lang: Option<&Locale>) -> String {
    format!("{} {} {}", date.day(), month(date, lang), date.year())
}

/// `Wednesday 25 February 2026` (see [`super::clock::DATE_FORMAT`]), names in `lang`.
pub fn date(date: jiff::civil::Date, lang: Option<&Locale>) -> String {
    let names = lang.and_then(|l| l.weekdays.as_ref());
    let index = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
    let weekday = match names.and_then(|n| n.get(index)) {
        Some(name) => name.clone(),
        None => date.strftime("%A").to_string(),
    };
    format!("{weekday} {}", day(date, lang))
}

/// The dates of an event (`25–26 February 2026`, as [`super::render::date_range`]), months
/// named in `lang`.
pub fn dates(start: jiff::civil::Date, end: jiff::civil::Date, lang: Option<&Locale>) -> String {
    if lang.is_none_or(|l| l.months.is_none()) {
        return super::render::date_range(start, end);
    }
    let day_month = |d: jiff::civil::Date| format!("{} {}", d.day(), month(d, lang));
    if start == end {
        day(start, lang)
    } else if (start.year(), start.month()) == (end.year(), end.month()) {
        format!("{}–{}", start.day(), day(end, lang))
    } else if start.year() == end.year() {
        format!("{} – {}", day_month(start), day(end, lang))
    } else {
        format!("{} – {}", day(start, lang), day(end, lang))
    }
}

/// Where to look up a command's description in `lang`: the Discord locale codes it stands for
/// (a registered command's `description_localizations` are keyed by these).
pub fn described<'a>(
    description: &'a str,
    localizations: &'a std::collections::BTreeMap<String, String>,
    lang: Option<&Locale>,
) -> &'a str {
    lang.and_then(|l| {
        locale::discord_codes(&l.code)
            .into_iter()
            .find_map(|code| localizations.get(code))
    })
    .map_or(description, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_once() {
        assert_eq!(
            fill(
                "about “{question}” in {event}",
                &[("question", "{event}"), ("event", "X")]
            ),
            "about “{event}” in X"
        );
        assert_eq!(fill("{n} of {m} {", &[("n", "1")]), "1 of {m} {");
        assert_eq!(say(None, "days.many", &[("n", "3")]), "3 days");
    }

    #[test]
    fn english_dates_read_as_before() {
        let d = jiff::civil::date(2026, 2, 25);
        assert_eq!(
            date(d, None),
            d.strftime(super::super::clock::DATE_FORMAT).to_string()
        );
        assert_eq!(day(d, None), "25 February 2026");
    }
}
