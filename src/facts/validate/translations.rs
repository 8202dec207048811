//! Translations: `[locales.<code>]` and the `translations.<code>` tables beside the event, each
//! fact, update and command.
//!
//! The one rule of content holds in every language: a translated fact or update must carry a
//! hedge word of its certainty in its own language (the locale ships that vocabulary), and
//! says the same figures as the English text. A translation for a locale the file does not
//! declare, or a fixed word with other placeholders than the English one, is an error. What a
//! locale leaves untranslated is said in English and only warned about, so a new fact can go
//! out before its translation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml::Spanned;

use super::super::locale::{discord_codes, english, placeholders, Described, WORDS};
use super::super::schema::{RawCommand, RawDigest, RawEvent, RawFact, RawLocale, RawUpdate, Text};
use super::super::{Certainty, CommandText, DigestText, EmbedDef, EventText, FactText, Locale};
use super::{contains_phrase, template, Checker, MAX_FACT_TEXT};

/// Checks `[locales]`: each key a Discord locale or language, its hedge words, fixed words,
/// month and weekday names and built-in descriptions. Fixed words a locale leaves out are one
/// warning per locale.
pub(super) fn check_locales(
    c: &mut Checker<'_>,
    raw: &BTreeMap<String, Spanned<RawLocale>>,
) -> Vec<Locale> {
    let mut out = Vec::new();
    for (code, table) in raw {
        let field = format!("locales.{code}");
        if discord_codes(code).is_empty() {
            c.error_help(
                table.span(),
                &field,
                format!("`{code}` is not a Discord locale or language"),
                "use a Discord locale (`hi`, `en-GB`, `pt-BR`) or its language (`es`, `zh`)",
            );
        }
        let r = table.get_ref();
        let locale = Locale {
            code: code.clone(),
            hedges: hedges(c, r, &field),
            words: words(c, r, &field),
            months: names(c, r.months.as_ref(), 12, &format!("{field}.months")),
            weekdays: names(c, r.weekdays.as_ref(), 7, &format!("{field}.weekdays")),
            descriptions: descriptions(c, r, &field),
            span: table.span(),
        };
        warn_missing_words(c, &locale, &field);
        out.push(locale);
    }
    out
}

/// `hedges`: certainty name → non-empty words, kept lowercase.
fn hedges(c: &mut Checker<'_>, r: &RawLocale, field: &str) -> HashMap<Certainty, Vec<String>> {
    let mut out = HashMap::new();
    for (name, list) in &r.hedges {
        let field = format!("{field}.hedges.{name}");
        let Some(certainty) = Certainty::parse(name) else {
            let names: Vec<_> = Certainty::ALL.iter().map(|c| c.name()).collect();
            c.error_help(
                list.span(),
                &field,
                format!("`{name}` is not a certainty"),
                format!("use one of {}", names.join(", ")),
            );
            continue;
        };
        if list.get_ref().is_empty() {
            c.error_help(
                list.span(),
                &field,
                "no hedge words",
                "list the words that carry this certainty in the language",
            );
        }
        let words = list
            .get_ref()
            .iter()
            .map(|w| c.non_empty(w, &field).to_lowercase())
            .collect();
        out.insert(certainty, words);
    }
    out
}

/// `words`: group → key → text; each key one of [`WORDS`], with the English placeholders.
fn words(c: &mut Checker<'_>, r: &RawLocale, field: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (group, table) in &r.words {
        for (key, value) in table {
            let key = format!("{group}.{key}");
            let field = format!("{field}.words.{key}");
            let Some(english) = english(&key) else {
                let known: Vec<&str> = WORDS
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| k.starts_with(&format!("{group}.")))
                    .collect();
                let help = if known.is_empty() {
                    let mut groups: Vec<&str> = WORDS
                        .iter()
                        .filter_map(|(k, _)| k.split('.').next())
                        .collect();
                    groups.dedup();
                    format!("the groups are {}", groups.join(", "))
                } else {
                    format!("`{group}` has {}", known.join(", "))
                };
                c.error_help(
                    value.span(),
                    &field,
                    format!("`{key}` is not a fixed word"),
                    help,
                );
                continue;
            };
            let text = c.non_empty(value, &field);
            let mut want = placeholders(english);
            let mut have = placeholders(&text);
            want.sort_unstable();
            have.sort_unstable();
            if want != have {
                let list = |names: &[&str]| {
                    let shown: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
                    if shown.is_empty() {
                        "none".to_owned()
                    } else {
                        shown.join(", ")
                    }
                };
                c.error_help(
                    value.span(),
                    &field,
                    format!(
                        "the translation's placeholders ({}) differ from the English ones ({})",
                        list(&have),
                        list(&want)
                    ),
                    format!("the English says: {english}"),
                );
            }
            out.insert(key, text);
        }
    }
    out
}

/// `months` (12) or `weekdays` (7): that many non-empty names.
fn names(
    c: &mut Checker<'_>,
    raw: Option<&Spanned<Vec<Text>>>,
    count: usize,
    field: &str,
) -> Option<Vec<String>> {
    let raw = raw?;
    if raw.get_ref().len() != count {
        c.error_help(
            raw.span(),
            field,
            format!("{} names, not {count}", raw.get_ref().len()),
            "months from January, weekdays from Monday",
        );
        return None;
    }
    Some(
        raw.get_ref()
            .iter()
            .map(|n| c.non_empty(n, field))
            .collect(),
    )
}

/// `descriptions`: Discord's 1–100 characters (which keys exist, the engine knows).
fn descriptions(c: &mut Checker<'_>, r: &RawLocale, field: &str) -> Vec<Described> {
    r.descriptions
        .iter()
        .map(|(key, value)| Described {
            key: key.clone(),
            text: c.discord_description(value, &format!("{field}.descriptions.{key}")),
            span: value.span(),
        })
        .collect()
}

/// One warning naming the fixed words (and month or weekday names) said in English.
fn warn_missing_words(c: &mut Checker<'_>, locale: &Locale, field: &str) {
    let mut missing: Vec<&str> = WORDS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| locale.word(k).is_none())
        .collect();
    if locale.months.is_none() {
        missing.push("months");
    }
    if locale.weekdays.is_none() {
        missing.push("weekdays");
    }
    if !missing.is_empty() {
        c.warn(
            locale.span.clone(),
            field,
            format!(
                "{} fixed words are said in English to `{}` readers: {}",
                missing.len(),
                locale.code,
                missing.join(", ")
            ),
        );
    }
}

/// The declared locale `code`, or an error at `span`.
fn declared<'a>(
    c: &mut Checker<'_>,
    locales: &'a [Locale],
    code: &str,
    span: std::ops::Range<usize>,
    field: &str,
) -> Option<&'a Locale> {
    let found = locales.iter().find(|l| l.code == code);
    if found.is_none() {
        c.error_help(
            span,
            field,
            format!("no `[locales.{code}]` declares the locale `{code}`"),
            format!(
                "add `[locales.{code}]` with the language's hedge words, or use a declared locale"
            ),
        );
    }
    found
}

/// Warns once per shipped locale that `what` does not translate.
fn warn_untranslated<T>(
    c: &mut Checker<'_>,
    locales: &[Locale],
    translations: &BTreeMap<String, Spanned<T>>,
    at: &Text,
    field: &str,
    what: &str,
) {
    for l in locales {
        if !translations.contains_key(&l.code) {
            c.warn(
                at.span(),
                format!("{field}.translations"),
                format!(
                    "no `{}` translation: `{}` readers get {what} in English",
                    l.code, l.code
                ),
            );
        }
    }
}

/// A translated text of a `certainty` fact or update: non-empty, short enough, with a hedge
/// word of its certainty in its language and the English text's figures.
fn sourced(
    c: &mut Checker<'_>,
    locale: &Locale,
    certainty: Option<Certainty>,
    (text, english): (&Text, &str),
    field: &str,
) -> String {
    let body = c.non_empty(text, field);
    if body.chars().count() > MAX_FACT_TEXT {
        c.error_help(
            text.span(),
            field,
            format!("text is {} characters long", body.chars().count()),
            format!("keep a fact to one plain sentence of at most {MAX_FACT_TEXT} characters"),
        );
    }
    if let Some(certainty) = certainty {
        keeps_hedge(c, locale, certainty, text, field);
    }
    same_figures(c, english, text, field);
    body
}

/// A translated text says a hedge word of its certainty in its own language.
fn keeps_hedge(
    c: &mut Checker<'_>,
    locale: &Locale,
    certainty: Certainty,
    text: &Text,
    field: &str,
) {
    if certainty == Certainty::Confirmed {
        return;
    }
    let words = locale.hedges(certainty);
    if words.is_empty() {
        c.error_help(
            text.span(),
            field,
            format!(
                "`{}` has no hedge words for `{}`, so this translation cannot be checked",
                locale.code,
                certainty.name()
            ),
            format!(
                "add `{} = [...]` under [locales.{}.hedges]",
                certainty.name(),
                locale.code
            ),
        );
        return;
    }
    let lower = text.get_ref().to_lowercase();
    if !words.iter().any(|w| contains_phrase(&lower, w)) {
        c.error_help(
            text.span(),
            field,
            format!(
                "the `{}` translation drops the hedge of its certainty (`{}`)",
                locale.code,
                certainty.name()
            ),
            format!(
                "say it as the English does, with one of: {}",
                words.join(", ")
            ),
        );
    }
}

/// The numbers in `text` (digits of any script read as ASCII), as a set.
fn figures(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        match ch.to_digit(10).or_else(|| devanagari_digit(ch)) {
            Some(d) => current.push(char::from_digit(d, 10).unwrap_or('0')),
            None if !current.is_empty() => {
                out.insert(std::mem::take(&mut current));
            }
            None => {}
        }
    }
    out
}

fn devanagari_digit(ch: char) -> Option<u32> {
    ('\u{0966}'..='\u{096F}')
        .contains(&ch)
        .then(|| ch as u32 - 0x0966)
}

/// A translation says no figure the English does not, and drops none.
fn same_figures(c: &mut Checker<'_>, english: &str, text: &Text, field: &str) {
    let (want, have) = (figures(english), figures(text.get_ref()));
    if want != have {
        let list = |s: &BTreeSet<String>| {
            if s.is_empty() {
                "none".to_owned()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        c.error_help(
            text.span(),
            field,
            format!(
                "the translation's figures ({}) differ from the English text's ({})",
                list(&have),
                list(&want)
            ),
            "a translation says what the English says: the same numbers, dates and amounts",
        );
    }
}

/// A fact's translations: title and text per declared locale, hedged and with the English
/// figures. Locales without one get a warning.
pub(super) fn fact(
    c: &mut Checker<'_>,
    f: &RawFact,
    field: &str,
    certainty: Option<Certainty>,
    locales: &[Locale],
) -> BTreeMap<String, FactText> {
    let mut out = BTreeMap::new();
    for (code, t) in &f.translations {
        let field = format!("{field}.translations.{code}");
        let Some(locale) = declared(c, locales, code, t.span(), &field) else {
            continue;
        };
        let t = t.get_ref();
        let title = c.non_empty(&t.title, &format!("{field}.title"));
        if title.chars().count() > 100 {
            c.error_help(
                t.title.span(),
                format!("{field}.title"),
                format!("title is {} characters long", title.chars().count()),
                "titles become Discord choice names: at most 100 characters",
            );
        }
        same_figures(c, f.title.get_ref(), &t.title, &format!("{field}.title"));
        let english = f.text.get_ref().as_str();
        let text = sourced(
            c,
            locale,
            certainty,
            (&t.text, english),
            &format!("{field}.text"),
        );
        out.insert(code.clone(), FactText { title, text });
    }
    warn_untranslated(c, locales, &f.translations, &f.id, field, "this fact");
    out
}

/// An update's translated texts, under the same rules as a fact's.
pub(super) fn update(
    c: &mut Checker<'_>,
    u: &RawUpdate,
    field: &str,
    certainty: Option<Certainty>,
    locales: &[Locale],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (code, t) in &u.translations {
        let field = format!("{field}.translations.{code}");
        let Some(locale) = declared(c, locales, code, t.span(), &field) else {
            continue;
        };
        let english = u.text.get_ref().as_str();
        let text = sourced(
            c,
            locale,
            certainty,
            (&t.get_ref().text, english),
            &format!("{field}.text"),
        );
        out.insert(code.clone(), text);
    }
    warn_untranslated(c, locales, &u.translations, &u.time, field, "this update");
    out
}

/// The event's translated name and summary.
pub(super) fn event(
    c: &mut Checker<'_>,
    ev: &RawEvent,
    locales: &[Locale],
) -> BTreeMap<String, EventText> {
    let mut out = BTreeMap::new();
    for (code, t) in &ev.translations {
        let field = format!("event.translations.{code}");
        if declared(c, locales, code, t.span(), &field).is_none() {
            continue;
        }
        let t = t.get_ref();
        same_figures(
            c,
            ev.summary.get_ref(),
            &t.summary,
            &format!("{field}.summary"),
        );
        out.insert(
            code.clone(),
            EventText {
                name: c.non_empty(&t.name, &format!("{field}.name")),
                summary: c.non_empty(&t.summary, &format!("{field}.summary")),
            },
        );
    }
    warn_untranslated(
        c,
        locales,
        &ev.translations,
        &ev.name,
        "event",
        "the event's name and summary",
    );
    out
}

/// A command's translations: description (Discord's limits), template and embed parts (only
/// parts the English embed has).
pub(super) fn command(
    c: &mut Checker<'_>,
    cmd: &RawCommand,
    field: &str,
    embed: Option<&EmbedDef>,
    locales: &[Locale],
) -> BTreeMap<String, CommandText> {
    let mut out = BTreeMap::new();
    for (code, t) in &cmd.translations {
        let field = format!("{field}.translations.{code}");
        if declared(c, locales, code, t.span(), &field).is_none() {
            continue;
        }
        let t = t.get_ref();
        let description = t
            .description
            .as_ref()
            .map(|d| c.discord_description(d, &format!("{field}.description")));
        if t.template.get_ref().trim().is_empty() {
            c.error_help(
                t.template.span(),
                format!("{field}.template"),
                "the template is empty",
                "write the reply text",
            );
        }
        let mut text = CommandText {
            description,
            template: template(&t.template, format!("{field}.template")),
            embed_title: None,
            embed_description: None,
            embed_footer: None,
            embed_fields: None,
        };
        if let Some(e) = &t.embed {
            let e = e.get_ref();
            let part = |c: &mut Checker<'_>, raw: &Option<Text>, english: bool, name: &str| {
                let raw = raw.as_ref()?;
                let field = format!("{field}.embed.{name}");
                if !english {
                    c.error_help(
                        raw.span(),
                        &field,
                        format!("the English command has no embed {name} to translate"),
                        "add it to the command's `embed` first",
                    );
                }
                Some(template(raw, field))
            };
            let has = |p: fn(&EmbedDef) -> bool| embed.is_some_and(p);
            text.embed_title = part(c, &e.title, has(|e| e.title.is_some()), "title");
            text.embed_description = part(
                c,
                &e.description,
                has(|e| e.description.is_some()),
                "description",
            );
            text.embed_footer = part(c, &e.footer, has(|e| e.footer.is_some()), "footer");
            text.embed_fields = part(c, &e.fields, has(|e| e.fields.is_some()), "fields");
        }
        out.insert(code.clone(), text);
    }
    warn_untranslated(
        c,
        locales,
        &cmd.translations,
        &cmd.name,
        field,
        "its replies",
    );
    out
}

/// The digest's translations (`[digest.translations.<code>]`): a template, and a title only
/// where the English digest has one. Locales without one get a warning: their servers' channels
/// get the English digest's words around the translated facts.
pub(super) fn digest(
    c: &mut Checker<'_>,
    d: &RawDigest,
    locales: &[Locale],
) -> BTreeMap<String, DigestText> {
    let mut out = BTreeMap::new();
    for (code, t) in &d.translations {
        let field = format!("digest.translations.{code}");
        if declared(c, locales, code, t.span(), &field).is_none() {
            continue;
        }
        let t = t.get_ref();
        if t.template.get_ref().trim().is_empty() {
            c.error_help(
                t.template.span(),
                format!("{field}.template"),
                "the template is empty",
                "write the digest's text",
            );
        }
        let title = t.title.as_ref().map(|title| {
            if d.title.is_none() {
                c.error_help(
                    title.span(),
                    format!("{field}.title"),
                    "the English digest has no title to translate",
                    "add `title` to `[digest]` first (the digest is then an embed)",
                );
            }
            template(title, format!("{field}.title"))
        });
        let text = DigestText {
            template: template(&t.template, format!("{field}.template")),
            title,
        };
        out.insert(code.clone(), text);
    }
    warn_untranslated(
        c,
        locales,
        &d.translations,
        &d.template,
        "digest",
        "the digest's own words",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_every_script_as_numbers() {
        let set = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
        assert_eq!(
            figures("on 25–26 February 2026"),
            set(&["25", "26", "2026"])
        );
        assert_eq!(figures("लगभग १० अरब"), set(&["10"]));
        assert_eq!(figures("two days"), set(&[]));
    }

    #[test]
    fn hedge_words_match_whole_devanagari_words() {
        assert!(contains_phrase("हस्ताक्षर की उम्मीद है।", "उम्मीद"));
        assert!(contains_phrase("शामिल हो सकती हैं", "हो सकती"));
        // Inside a longer word — after a vowel sign or before a virama — is not the word.
        assert!(!contains_phrase("यह तयशुदा है", "तय"));
        assert!(!contains_phrase("सकते", "सक"));
        assert!(!contains_phrase("तय्", "तय"));
        assert!(!contains_phrase("संभावना", "संभाव"));
    }
}
