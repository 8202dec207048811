//! Turns the raw schema into a [`FactBase`], collecting every problem on the way.
//!
//! Rules come from two places: the one rule of content (every fact names a source and quotes it
//! verbatim, and its text keeps the source's hedge) and Discord's documented limits for
//! application commands (names, descriptions, option and choice counts). Each rule reports a
//! [`Diagnostic`] and validation goes on, so one run shows the editor everything to fix.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::schema::{
    RawChoice, RawCommand, RawDigest, RawEmbed, RawEvent, RawFact, RawFile, RawOption, RawQuestion,
    RawSource, RawSynonym, RawUpdate, Text,
};
use super::*;

mod translations;
mod updates;
pub use updates::generated_id;

/// Discord's limit on options per command and on choices per option.
const MAX_OPTIONS: usize = 25;
/// Longest fact text: it must fit an embed field value (1024) with room for a label.
const MAX_FACT_TEXT: usize = 1000;

/// Locales Discord accepts in `name_localizations` / `description_localizations`.
pub const DISCORD_LOCALES: [&str; 32] = [
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

struct Checker<'a> {
    diagnostics: Vec<Diagnostic>,
    /// What is reported without failing (an untranslated fact).
    warnings: Vec<Diagnostic>,
    base_dir: &'a Path,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(span, field, message));
    }

    fn warn(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Diagnostic::new(span, field, message));
    }

    fn error_help(
        &mut self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(span, field, message).help(help));
    }

    /// A required string that must not be blank.
    fn non_empty(&mut self, value: &Text, field: &str) -> String {
        let text = value.get_ref().trim();
        if text.is_empty() {
            self.error_help(
                value.span(),
                field,
                "is empty",
                "write the value between the quotes",
            );
        }
        text.to_owned()
    }

    /// An identifier such as a fact or source id: lowercase letters, digits, `-` and `_`.
    fn id(&mut self, value: &Text, field: &str) -> String {
        let id = value.get_ref();
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            self.error_help(
                value.span(),
                field,
                format!("`{id}` is not a valid id"),
                "use lowercase letters, digits, `-` and `_`, e.g. `visit-dates`",
            );
        }
        id.clone()
    }

    fn time_zone(&mut self, value: &Text, field: &str) -> Option<jiff::tz::TimeZone> {
        match jiff::tz::TimeZone::get(value.get_ref()) {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.error_help(
                    value.span(),
                    field,
                    format!("`{}` is not a known IANA time zone", value.get_ref()),
                    "use a name from the tz database, e.g. `Asia/Jerusalem` or `Asia/Kolkata`",
                );
                None
            }
        }
    }

    fn date(&mut self, value: &Text, field: &str) -> Option<jiff::civil::Date> {
        match value.get_ref().parse::<jiff::civil::Date>() {
            Ok(date) => Some(date),
            Err(e) => {
                self.error_help(
                    value.span(),
                    field,
                    format!("`{}` is not a valid date ({e})", value.get_ref()),
                    "write dates as YYYY-MM-DD, e.g. `2026-02-25`",
                );
                None
            }
        }
    }

    /// An update's time: RFC 3339 with its offset.
    fn time(&mut self, value: &Text, field: &str) -> Option<jiff::Timestamp> {
        match value.get_ref().parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.error_help(
                    value.span(),
                    field,
                    format!("`{}` is not a valid time ({e})", value.get_ref()),
                    "write an RFC 3339 time with its offset, e.g. `2026-02-25T09:30:00+02:00`",
                );
                None
            }
        }
    }

    /// Discord's rule for command and option names: 1–32 characters of letters, numbers, `-`
    /// and `_`, lowercase where the script has case.
    fn discord_name(&mut self, value: &Text, field: &str) -> String {
        let name = value.get_ref();
        let chars = name.chars().count();
        let valid_chars = name
            .chars()
            .all(|c| c == '-' || c == '_' || c.is_alphanumeric());
        if chars == 0 || chars > 32 || !valid_chars {
            self.error_help(
                value.span(),
                field,
                format!("`{name}` is not a valid Discord name"),
                "names are 1–32 characters: letters, numbers, `-` and `_`, no spaces",
            );
        } else if name.chars().any(|c| c.to_lowercase().next() != Some(c)) {
            self.error_help(
                value.span(),
                field,
                format!("`{name}` has uppercase letters"),
                format!(
                    "Discord requires lowercase names: `{}`",
                    name.to_lowercase()
                ),
            );
        }
        name.clone()
    }

    /// Discord's rule for descriptions: 1–100 characters.
    fn discord_description(&mut self, value: &Text, field: &str) -> String {
        let len = value.get_ref().chars().count();
        if len == 0 || len > 100 {
            self.error_help(
                value.span(),
                field,
                format!("description is {len} characters long"),
                "Discord accepts 1–100 characters",
            );
        }
        value.get_ref().clone()
    }

    fn localizations(
        &mut self,
        map: &BTreeMap<String, Text>,
        field: &str,
        is_name: bool,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (locale, value) in map {
            let field = format!("{field}.{locale}");
            if !DISCORD_LOCALES.contains(&locale.as_str()) {
                self.error_help(
                    value.span(),
                    &field,
                    format!("`{locale}` is not a locale Discord knows"),
                    format!("use one of {}", DISCORD_LOCALES.join(", ")),
                );
            }
            let text = if is_name {
                self.discord_name(value, &field)
            } else {
                self.discord_description(value, &field)
            };
            out.insert(locale.clone(), text);
        }
        out
    }

    fn certainty(&mut self, value: &Text, field: &str) -> Option<Certainty> {
        let parsed = Certainty::parse(value.get_ref());
        if parsed.is_none() {
            let names: Vec<_> = Certainty::ALL.iter().map(|c| c.name()).collect();
            self.error_help(
                value.span(),
                field,
                format!("`{}` is not a certainty", value.get_ref()),
                format!("use one of {}", names.join(", ")),
            );
        }
        parsed
    }

    /// The content rules shared by facts and updates: a known source, a verbatim quote, and a
    /// text that keeps the hedge of its certainty.
    fn sourced_text(
        &mut self,
        (text, quote, source, certainty): (&Text, &Text, &Text, Option<Certainty>),
        field: &str,
        sources: &HashMap<String, Option<String>>,
    ) {
        let body = self.non_empty(text, &format!("{field}.text"));
        if body.chars().count() > MAX_FACT_TEXT {
            self.error_help(
                text.span(),
                format!("{field}.text"),
                format!("text is {} characters long", body.chars().count()),
                format!("keep a fact to one plain sentence of at most {MAX_FACT_TEXT} characters"),
            );
        }
        self.non_empty(quote, &format!("{field}.quote"));
        self.quote_in_source(quote, source, field, sources);
        let Some(certainty) = certainty else { return };
        self.text_keeps_hedge(&body, text, certainty, field);
        self.quote_matches_certainty(text, quote, certainty, field);
    }

    /// Checks that `source` names a known source and, when its text is on file, that `quote`
    /// occurs in it.
    fn quote_in_source(
        &mut self,
        quote: &Text,
        source: &Text,
        field: &str,
        sources: &HashMap<String, Option<String>>,
    ) {
        match sources.get(source.get_ref()) {
            None => {
                // Sorted: the map's order changes from run to run, the message must not.
                let mut known: Vec<_> = sources.keys().map(String::as_str).collect();
                known.sort_unstable();
                self.error_help(
                    source.span(),
                    format!("{field}.source"),
                    format!("no source has the id `{}`", source.get_ref()),
                    format!(
                        "add a [[sources]] entry or use one of: {}",
                        known.join(", ")
                    ),
                );
            }
            Some(Some(source_text)) => {
                if !normalize(source_text).contains(&normalize(quote.get_ref())) {
                    self.error_help(
                        quote.span(),
                        format!("{field}.quote"),
                        format!("the quote does not occur in source `{}`", source.get_ref()),
                        "copy the words verbatim from the source text (spacing may differ)",
                    );
                }
            }
            Some(None) => {}
        }
    }

    /// Checks that the text (`body`, already trimmed) says one of its certainty's hedge words.
    fn text_keeps_hedge(&mut self, body: &str, text: &Text, certainty: Certainty, field: &str) {
        let lower = body.to_lowercase();
        let words = certainty.hedge_words();
        if !words.is_empty() && !words.iter().any(|w| contains_phrase(&lower, w)) {
            self.error_help(
                text.span(),
                format!("{field}.text"),
                format!("the text drops the hedge of a `{}` fact", certainty.name()),
                format!(
                    "say it as the source does, with one of: {}",
                    words.join(", ")
                ),
            );
        }
    }

    /// Checks that the quote backs the certainty: a hedged certainty quotes its hedge, and a
    /// confirmed fact's quote does not hedge.
    fn quote_matches_certainty(
        &mut self,
        text: &Text,
        quote: &Text,
        certainty: Certainty,
        field: &str,
    ) {
        let words = certainty.hedge_words();
        if certainty.quote_must_hedge() {
            let quote_lower = quote.get_ref().to_lowercase();
            if !words.iter().any(|w| contains_phrase(&quote_lower, w)) {
                self.error_help(
                    quote.span(),
                    format!("{field}.certainty"),
                    format!("marked `{}`, but the quote does not say so", certainty.name()),
                    format!(
                        "quote the words that carry the hedge ({}), or use the certainty the source states",
                        words.join(", ")
                    ),
                );
            }
        }
        if certainty == Certainty::Confirmed {
            let quote_lower = quote.get_ref().to_lowercase();
            let hedged = Certainty::ALL
                .iter()
                .flat_map(|c| c.hedge_words())
                .find(|w| contains_phrase(&quote_lower, w));
            if let Some(word) = hedged {
                self.error_help(
                    text.span(),
                    format!("{field}.certainty"),
                    format!("marked confirmed, but its quote hedges (\"{word}\")"),
                    "use the certainty the source states, e.g. expected or likely",
                );
            }
        }
    }
}

/// Collapses runs of whitespace so a quote wrapped across lines still matches.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `phrase` occurs in `haystack` as whole words.
pub(crate) fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    haystack.match_indices(phrase).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + phrase.len()..].chars().next();
        !before.is_some_and(in_word) && !after.is_some_and(in_word)
    })
}

/// Whether `c` belongs to a word: a letter or digit, or a mark that joins letters in Indic
/// scripts (a virama or nukta is not "alphabetic", yet `सक्` is not the word `सक`).
fn in_word(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}'..='\u{0963}')
}

/// The most schema errors reported in one run.
const MAX_SCHEMA_ERRORS: usize = 20;

/// Every syntax or schema error, not only the first serde meets: after each error, the table
/// holding it (with its sub-tables) is blanked out — spaces, so offsets and line numbers stay —
/// and the file is read again.
fn schema_errors(text: &str, first: toml::de::Error) -> Vec<Diagnostic> {
    let diagnostic = |e: &toml::de::Error| {
        Diagnostic::new(e.span().unwrap_or(0..0), "toml", e.message().trim())
            .help("see the fact base reference in README.md for every key and its type")
    };
    let mut out = vec![diagnostic(&first)];
    let mut masked = text.to_owned();
    let mut error = first;
    while out.len() < MAX_SCHEMA_ERRORS {
        let Some(block) = error.span().and_then(|s| enclosing_table(&masked, s.start)) else {
            break;
        };
        let blank: String = masked[block.clone()]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        masked.replace_range(block, &blank);
        match toml::from_str::<RawFile>(&masked) {
            Ok(_) => break,
            Err(next) if next.span() == error.span() => break,
            // Blanking a required table makes serde miss it: an artefact, not the editor's.
            Err(next) if next.message().starts_with("missing field") => break,
            Err(next) => {
                out.push(diagnostic(&next));
                error = next;
            }
        }
    }
    out
}

/// The byte range of the table (header, keys and sub-tables) that contains `at`, if `at` is
/// inside one; `None` for top-level keys.
fn enclosing_table(text: &str, at: usize) -> Option<Range<usize>> {
    let header_name = |line: &str| {
        let line = line.trim_start();
        line.starts_with('[').then(|| {
            line.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
    };
    let mut offset = 0;
    let mut current: Option<(usize, String)> = None;
    let mut found: Option<(usize, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(name) = header_name(line) {
            if let Some((start, root)) = &found {
                // Sub-tables (`[[commands.options]]`) belong to the block; anything else ends it.
                if !name.starts_with(&format!("{root}.")) {
                    return Some(*start..offset);
                }
            } else {
                current = Some((offset, name));
            }
        }
        if found.is_none() && at < offset + line.len() {
            found = Some(current.clone()?);
        }
        offset += line.len();
    }
    found.map(|(start, _)| start..text.len())
}

fn template(value: &Text, field: String) -> TemplateSource {
    TemplateSource {
        text: value.get_ref().clone(),
        span: value.span(),
        field,
    }
}

/// Checks the parsed file table by table and builds the fact base, or returns every problem.
pub(super) fn validate(text: String, path: &Path) -> Result<FactBase, LoadError> {
    let raw: RawFile = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(e) => {
            let diagnostics = schema_errors(&text, e);
            return Err(LoadError::Invalid {
                path: path.into(),
                text,
                diagnostics,
            });
        }
    };
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let mut c = Checker {
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        base_dir,
    };

    // Diagnostics are reported in the order of these checks; tests and golden outputs rely on it.
    let locales = translations::check_locales(&mut c, &raw.locales);
    let event = check_event(&mut c, raw.event.get_ref(), &locales);
    let (sources, source_texts) = check_sources(&mut c, &raw.sources);
    let (facts, topics) = check_facts(&mut c, &raw.facts, &source_texts, &locales);
    let zone = event.as_ref().map(|e| &e.time_zone);
    let updates = check_updates(
        &mut c,
        &raw.updates,
        &source_texts,
        (&facts, zone),
        &locales,
    );
    let commands = check_commands(&mut c, &raw.commands, &topics, &locales);
    let (digest_template, digest_title) = check_digest(raw.digest.as_ref());
    let digest_translations = raw.digest.as_ref().map_or_else(BTreeMap::new, |d| {
        translations::digest(&mut c, d.get_ref(), &locales)
    });
    let digest_window = check_window(&mut c, raw.digest.as_ref());
    let synonyms = check_synonyms(&mut c, &raw.synonyms);
    let questions = check_questions(&mut c, &raw.questions, &facts);

    if !c.diagnostics.is_empty() {
        return Err(LoadError::Invalid {
            path: path.into(),
            text,
            diagnostics: c.diagnostics,
        });
    }
    let Some(event) = event else {
        unreachable!("a missing time zone or date always adds a diagnostic");
    };
    Ok(FactBase {
        path: path.into(),
        text,
        event,
        sources,
        facts,
        commands,
        updates,
        digest_template,
        digest_title,
        digest_window,
        digest_translations,
        synonyms,
        questions,
        locales,
        warnings: c.warnings,
    })
}

/// Checks the [[questions]] table: each has text, and either fact ids that exist or
/// `none = true` (nothing should answer it), not both.
fn check_questions(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawQuestion>],
    facts: &[Fact],
) -> Vec<Question> {
    let mut out = Vec::new();
    for (i, q) in raw.iter().enumerate() {
        let field = format!("questions[{i}]");
        let r = q.get_ref();
        if r.ask.get_ref().trim().is_empty() {
            c.error(
                r.ask.span(),
                format!("{field}.ask"),
                "the question is empty",
            );
        }
        for id in &r.answers {
            if !facts.iter().any(|f| &f.id == id.get_ref()) {
                c.error_help(
                    id.span(),
                    format!("{field}.answers"),
                    format!("no fact has the id `{}`", id.get_ref()),
                    "use the id of a [[facts]] entry",
                );
            }
        }
        if r.answers.is_empty() != r.none {
            c.error_help(
                q.span(),
                field,
                "a question needs either `answers` (fact ids) or `none = true`, not both",
                "list the facts that must answer it, or say that nothing should",
            );
        }
        out.push(Question {
            ask: r.ask.get_ref().trim().to_owned(),
            answers: r.answers.iter().map(|a| a.get_ref().clone()).collect(),
            span: q.span(),
        });
    }
    out
}

/// Checks the [[synonyms]] table: every reader word and `means` non-empty, no reader word
/// given twice (which meaning would win?).
fn check_synonyms(c: &mut Checker<'_>, raw: &[Spanned<RawSynonym>]) -> Vec<Synonym> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let s = s.get_ref();
        let field = format!("synonyms[{i}]");
        let means = c.non_empty(&s.means, &format!("{field}.means"));
        let mut words = Vec::new();
        for w in &s.words {
            let word = c.non_empty(w, &format!("{field}.words")).to_lowercase();
            if !word.is_empty() && !seen.insert(word.clone()) {
                c.error(
                    w.span(),
                    format!("{field}.words"),
                    format!("`{word}` is already given a meaning by an earlier synonym"),
                );
            }
            words.push(word);
        }
        out.push(Synonym {
            words,
            means,
            span: s.means.span(),
            field: format!("{field}.means"),
        });
    }
    out
}

/// Checks the [event] table: name, summary, time zones and dates; `None` if a zone or date is
/// unusable (a diagnostic says why).
fn check_event(c: &mut Checker<'_>, ev: &RawEvent, locales: &[Locale]) -> Option<Event> {
    let name = c.non_empty(&ev.name, "event.name");
    let summary = c.non_empty(&ev.summary, "event.summary");
    let time_zone = c.time_zone(&ev.time_zone, "event.time_zone");
    let start = c.date(&ev.start, "event.start");
    let end = c.date(&ev.end, "event.end");
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            c.error_help(
                ev.end.span(),
                "event.end",
                format!("ends ({e}) before it starts ({s})"),
                "swap start and end",
            );
        }
    }
    let mut reader_time_zones = BTreeMap::new();
    for (locale, zone) in &ev.reader_time_zones {
        if let Some(tz) = c.time_zone(zone, &format!("event.reader_time_zones.{locale}")) {
            reader_time_zones.insert(locale.clone(), (zone.get_ref().clone(), tz));
        }
    }
    let translations = translations::event(c, ev, locales);
    Some(Event {
        name,
        time_zone_name: ev.time_zone.get_ref().clone(),
        time_zone: time_zone?,
        start: start?,
        end: end?,
        summary,
        reader_time_zones,
        translations,
    })
}

/// Checks the [[sources]] table: unique ids, titles, readable source files, at least one
/// source. Returns the sources and, by id, the text used to verify quotes (if on file).
fn check_sources(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawSource>],
) -> (Vec<Source>, HashMap<String, Option<String>>) {
    let mut sources = Vec::new();
    let mut source_texts: HashMap<String, Option<String>> = HashMap::new();
    for (i, s) in raw.iter().enumerate() {
        let s = s.get_ref();
        let field = format!("sources[{i}]");
        let id = c.id(&s.id, &format!("{field}.id"));
        if source_texts.contains_key(&id) {
            c.error(
                s.id.span(),
                format!("{field}.id"),
                format!("a source with id `{id}` is already defined"),
            );
        }
        let file_text = s.file.as_ref().and_then(|f| read_source_file(c, f, &field));
        source_texts.insert(id.clone(), file_text);
        sources.push(Source {
            id,
            title: c.non_empty(&s.title, &format!("{field}.title")),
            publisher: s.publisher.as_ref().map(|v| v.get_ref().clone()),
            date: s.date.as_ref().map(|v| v.get_ref().clone()),
            url: s.url.as_ref().map(|v| v.get_ref().clone()),
        });
    }
    if raw.is_empty() {
        c.error_help(
            0..0,
            "sources",
            "the fact base has no [[sources]]",
            "every fact must name its source",
        );
    }
    (sources, source_texts)
}

/// Reads a source's local copy (`file`, relative to the fact base); `None` if it cannot.
fn read_source_file(c: &mut Checker<'_>, file: &Text, field: &str) -> Option<String> {
    let path = c.base_dir.join(file.get_ref());
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) => {
            c.error_help(
                file.span(),
                format!("{field}.file"),
                format!("cannot read {}: {e}", path.display()),
                "the path is relative to the fact base; remove `file` to skip quote checks",
            );
            None
        }
    }
}

/// Checks the [[facts]] table: unique ids, then each fact. Returns the facts and how many facts
/// carry each topic.
fn check_facts(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawFact>],
    source_texts: &HashMap<String, Option<String>>,
    locales: &[Locale],
) -> (Vec<Fact>, HashMap<String, usize>) {
    let mut facts = Vec::new();
    let mut fact_ids = HashSet::new();
    let mut topics: HashMap<String, usize> = HashMap::new();
    for (i, f) in raw.iter().enumerate() {
        let f = f.get_ref();
        let id = c.id(&f.id, &format!("facts[{i}].id"));
        if !fact_ids.insert(id.clone()) {
            c.error(
                f.id.span(),
                format!("facts[{i}].id"),
                format!("a fact with id `{id}` is already defined"),
            );
        }
        let fact = fact(c, f, id, source_texts, locales);
        for topic in &fact.topics {
            *topics.entry(topic.clone()).or_default() += 1;
        }
        facts.push(fact);
    }
    (facts, topics)
}

/// Checks one fact: certainty, the content rules, topics, aliases and title.
fn fact(
    c: &mut Checker<'_>,
    f: &RawFact,
    id: String,
    source_texts: &HashMap<String, Option<String>>,
    locales: &[Locale],
) -> Fact {
    let field = format!("facts[{}]", f.id.get_ref());
    let certainty = c.certainty(&f.certainty, &format!("{field}.certainty"));
    c.sourced_text(
        (&f.text, &f.quote, &f.source, certainty),
        &field,
        source_texts,
    );
    let topics: Vec<_> = f
        .topics
        .iter()
        .map(|t| c.id(t, &format!("{field}.topics")))
        .collect();
    let aliases: Vec<_> = f
        .aliases
        .iter()
        .map(|a| c.non_empty(a, &format!("{field}.aliases")))
        .collect();
    if f.title.get_ref().chars().count() > 100 {
        c.error_help(
            f.title.span(),
            format!("{field}.title"),
            format!(
                "title is {} characters long",
                f.title.get_ref().chars().count()
            ),
            "titles become Discord choice names: at most 100 characters",
        );
    }
    let translations = translations::fact(c, f, &field, certainty, locales);
    Fact {
        id,
        title: c.non_empty(&f.title, &format!("{field}.title")),
        text: f.text.get_ref().trim().to_owned(),
        source: f.source.get_ref().clone(),
        quote: f.quote.get_ref().clone(),
        certainty: certainty.unwrap_or(Certainty::Reported),
        topics,
        aliases,
        translations,
    }
}

/// Checks the [[updates]] table: each update's certainty, content rules, time, id,
/// supersession and retraction (`updates.rs`). Returns the valid updates, oldest first, each
/// with its id (generated in the event's zone where none is written).
fn check_updates(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawUpdate>],
    source_texts: &HashMap<String, Option<String>>,
    (facts, zone): (&[Fact], Option<&jiff::tz::TimeZone>),
    locales: &[Locale],
) -> Vec<Update> {
    let mut updates = Vec::new();
    let mut ids = HashSet::new();
    for (i, u) in raw.iter().enumerate() {
        let u = u.get_ref();
        let field = format!("updates[{i}]");
        let certainty = c.certainty(&u.certainty, &format!("{field}.certainty"));
        c.sourced_text(
            (&u.text, &u.quote, &u.source, certainty),
            &field,
            source_texts,
        );
        let time = c.time(&u.time, &format!("{field}.time"));
        let translations = translations::update(c, u, &field, certainty, locales);
        let (id, supersedes, retracted) = updates::details(c, u, &field, facts, &mut ids);
        if let (Some(time), Some(certainty)) = (time, certainty) {
            updates.push(Update {
                id: id.unwrap_or_default(),
                time,
                text: u.text.get_ref().trim().to_owned(),
                source: u.source.get_ref().clone(),
                quote: u.quote.get_ref().clone(),
                certainty,
                translations,
                supersedes,
                retracted,
                entry: i,
            });
        }
    }
    updates::assign_ids(&mut updates, zone.unwrap_or(&jiff::tz::TimeZone::UTC));
    updates.sort_by_key(|u| u.time);
    updates
}

/// Checks the [[commands]] table: each command, then its name against the names before it.
/// (Names the engine's built-ins take, and the total with them, are checked by the engine's
/// command list, which knows the built-ins.)
fn check_commands(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawCommand>],
    topics: &HashMap<String, usize>,
    locales: &[Locale],
) -> Vec<CommandDef> {
    let mut commands = Vec::new();
    let mut command_names = HashSet::new();
    for (i, cmd) in raw.iter().enumerate() {
        let span = cmd.span();
        let command = command(c, cmd.get_ref(), (span, i), topics, locales);
        if !command_names.insert(command.name.clone()) {
            c.error(
                cmd.get_ref().name.span(),
                format!("commands[{i}].name"),
                format!("a command named `{}` is already defined", command.name),
            );
        }
        commands.push(command);
    }
    commands
}

/// Takes the [digest] table's template; it is compiled, and so checked, with the others.
fn check_digest(
    raw: Option<&Spanned<RawDigest>>,
) -> (Option<TemplateSource>, Option<TemplateSource>) {
    let Some(d) = raw.map(Spanned::get_ref) else {
        return (None, None);
    };
    (
        Some(template(&d.template, "digest.template".into())),
        d.title.as_ref().map(|t| template(t, "digest.title".into())),
    )
}

/// Checks `[digest] window`: whole numbers of days from 0 to ten years on each side.
fn check_window(c: &mut Checker<'_>, raw: Option<&Spanned<RawDigest>>) -> DigestWindow {
    let Some(window) = raw.and_then(|d| d.get_ref().window.as_ref()) else {
        return DigestWindow::default();
    };
    let mut days = |value: &Option<Spanned<i64>>, key: &str| {
        let value = value.as_ref()?;
        match u16::try_from(*value.get_ref()) {
            Ok(n) if i64::from(n) <= window::MAX_DAYS => Some(n),
            _ => {
                c.error_help(
                    value.span(),
                    format!("digest.window.{key}"),
                    format!("{} is not a number of days from 0 to {}", value.get_ref(), window::MAX_DAYS),
                    "e.g. `window = { before_days = 14, after_days = 30 }`; leave a side out for no bound",
                );
                None
            }
        }
    };
    let w = window.get_ref();
    DigestWindow {
        before_days: days(&w.before_days, "before_days"),
        after_days: days(&w.after_days, "after_days"),
    }
}

/// Checks one declared command: name, description, template, options, embed and localizations.
fn command(
    c: &mut Checker<'_>,
    cmd: &RawCommand,
    (span, i): (Range<usize>, usize),
    topics: &HashMap<String, usize>,
    locales: &[Locale],
) -> CommandDef {
    let name = c.discord_name(&cmd.name, &format!("commands[{i}].name"));
    let field = format!("commands[{name}]");
    let description = c.discord_description(&cmd.description, &format!("{field}.description"));
    if cmd.template.get_ref().trim().is_empty() {
        c.error_help(
            cmd.template.span(),
            format!("{field}.template"),
            "the template is empty",
            "write the reply text",
        );
    }
    let options = command_options(c, cmd, &field, topics);
    let embed = cmd.embed.as_ref().map(|e| embed(c, e.get_ref(), &field));
    let translations = translations::command(c, cmd, &field, embed.as_ref(), locales);
    CommandDef {
        template: template(&cmd.template, format!("{field}.template")),
        name_localizations: c.localizations(
            &cmd.name_localizations,
            &format!("{field}.name_localizations"),
            true,
        ),
        description_localizations: c.localizations(
            &cmd.description_localizations,
            &format!("{field}.description_localizations"),
            false,
        ),
        name,
        description,
        options,
        embed,
        translations,
        ephemeral: cmd.ephemeral,
        name_span: cmd.name.span(),
        span,
    }
}

/// Checks a command's options: their count, each option, unique names, required ones first.
fn command_options(
    c: &mut Checker<'_>,
    cmd: &RawCommand,
    field: &str,
    topics: &HashMap<String, usize>,
) -> Vec<OptionDef> {
    if cmd.options.len() > MAX_OPTIONS {
        c.error_help(
            cmd.options[MAX_OPTIONS].span(),
            format!("{field}.options"),
            format!("{} options", cmd.options.len()),
            format!("Discord allows at most {MAX_OPTIONS} options per command"),
        );
    }
    let mut options = Vec::new();
    let mut seen_optional = false;
    let mut option_names = HashSet::new();
    for (j, o) in cmd.options.iter().enumerate() {
        let option = option(c, o.get_ref(), &format!("{field}.options[{j}]"), topics);
        if !option_names.insert(option.name.clone()) {
            c.error(
                o.get_ref().name.span(),
                format!("{field}.options[{j}].name"),
                format!("option `{}` is declared twice", option.name),
            );
        }
        if option.required && seen_optional {
            c.error_help(
                o.span(),
                format!("{field}.options[{j}].required"),
                "a required option follows an optional one",
                "Discord requires required options first: move this option up",
            );
        }
        seen_optional |= !option.required;
        options.push(option);
    }
    options
}

/// Checks a command's embed: its colour is RGB; its texts are templates, compiled later.
fn embed(c: &mut Checker<'_>, e: &RawEmbed, field: &str) -> EmbedDef {
    let color = e
        .color
        .as_ref()
        .and_then(|v| match u32::try_from(*v.get_ref()) {
            Ok(color) if color <= 0xFF_FFFF => Some(color),
            _ => {
                c.error_help(
                    v.span(),
                    format!("{field}.embed.color"),
                    "not an RGB colour",
                    "use 0x000000–0xFFFFFF",
                );
                None
            }
        });
    EmbedDef {
        title: e
            .title
            .as_ref()
            .map(|t| template(t, format!("{field}.embed.title"))),
        description: e
            .description
            .as_ref()
            .map(|t| template(t, format!("{field}.embed.description"))),
        footer: e
            .footer
            .as_ref()
            .map(|t| template(t, format!("{field}.embed.footer"))),
        fields: e
            .fields
            .as_ref()
            .map(|t| template(t, format!("{field}.embed.fields"))),
        color,
    }
}

/// Checks one option: name, description, type, choices, autocomplete and localizations.
fn option(
    c: &mut Checker<'_>,
    o: &RawOption,
    field: &str,
    topics: &HashMap<String, usize>,
) -> OptionDef {
    let name = c.discord_name(&o.name, &format!("{field}.name"));
    let description = c.discord_description(&o.description, &format!("{field}.description"));
    let kind = option_kind(c, o, field);
    let choices = match (&o.choices[..], &o.choices_topic) {
        ([], None) => Choices::Free,
        ([], Some(topic)) => topic_choices(c, o, topic, kind, field, topics),
        (list, topic) => fixed_choices(c, list, topic.as_ref(), field),
    };
    if o.autocomplete && kind == OptionKind::Boolean {
        c.error(
            o.name.span(),
            format!("{field}.autocomplete"),
            "boolean options cannot autocomplete",
        );
    }
    OptionDef {
        name_localizations: c.localizations(
            &o.name_localizations,
            &format!("{field}.name_localizations"),
            true,
        ),
        description_localizations: c.localizations(
            &o.description_localizations,
            &format!("{field}.description_localizations"),
            false,
        ),
        name,
        description,
        kind,
        required: o.required,
        choices,
        autocomplete: o.autocomplete,
    }
}

/// Checks an option's `type`: string (the default), integer, number or boolean.
fn option_kind(c: &mut Checker<'_>, o: &RawOption, field: &str) -> OptionKind {
    match o.kind.as_ref().map(|k| (k, k.get_ref().as_str())) {
        None | Some((_, "string")) => OptionKind::String,
        Some((_, "integer")) => OptionKind::Integer,
        Some((_, "number")) => OptionKind::Number,
        Some((_, "boolean")) => OptionKind::Boolean,
        Some((k, other)) => {
            c.error_help(
                k.span(),
                format!("{field}.type"),
                format!("`{other}` is not an option type"),
                "use string, integer, number or boolean",
            );
            OptionKind::String
        }
    }
}

/// Checks `choices_topic`: a topic some fact has, with few enough facts for Discord's choice
/// list unless the option autocompletes, on a string option.
fn topic_choices(
    c: &mut Checker<'_>,
    o: &RawOption,
    topic: &Text,
    kind: OptionKind,
    field: &str,
    topics: &HashMap<String, usize>,
) -> Choices {
    match topics.get(topic.get_ref()) {
        None => c.error_help(
            topic.span(),
            format!("{field}.choices_topic"),
            format!("no fact has the topic `{}`", topic.get_ref()),
            "name a topic listed in some fact's `topics`",
        ),
        Some(&n) if n > MAX_OPTIONS && !o.autocomplete => c.error_help(
            topic.span(),
            format!("{field}.choices_topic"),
            format!(
                "topic `{}` has {n} facts, more than Discord's {MAX_OPTIONS} choices",
                topic.get_ref()
            ),
            "set `autocomplete = true` to offer them through autocomplete",
        ),
        Some(_) => {}
    }
    if kind != OptionKind::String {
        c.error(
            topic.span(),
            format!("{field}.choices_topic"),
            "topic choices need `type = \"string\"`",
        );
    }
    Choices::Topic(topic.get_ref().clone())
}

/// Checks a fixed `choices` list: not alongside `choices_topic`, within Discord's count, and
/// each choice.
fn fixed_choices(
    c: &mut Checker<'_>,
    list: &[Spanned<RawChoice>],
    topic: Option<&Text>,
    field: &str,
) -> Choices {
    if let Some(topic) = topic {
        c.error_help(
            topic.span(),
            format!("{field}.choices_topic"),
            "both `choices` and `choices_topic` are set",
            "keep one of them",
        );
    }
    if list.len() > MAX_OPTIONS {
        c.error_help(
            list[MAX_OPTIONS].span(),
            format!("{field}.choices"),
            format!("{} choices", list.len()),
            format!("Discord allows at most {MAX_OPTIONS}; use autocomplete for more"),
        );
    }
    Choices::Fixed(list.iter().map(|ch| choice(c, ch, field)).collect())
}

/// Checks one fixed choice: its name and value are 1–100 characters.
fn choice(c: &mut Checker<'_>, ch: &Spanned<RawChoice>, field: &str) -> Choice {
    let ch = ch.get_ref();
    for (v, what) in [(&ch.name, "name"), (&ch.value, "value")] {
        let len = v.get_ref().chars().count();
        if len == 0 || len > 100 {
            c.error_help(
                v.span(),
                format!("{field}.choices.{what}"),
                format!("choice {what} is {len} characters"),
                "Discord accepts 1–100",
            );
        }
    }
    Choice {
        name: ch.name.get_ref().clone(),
        value: ch.value.get_ref().clone(),
    }
}
