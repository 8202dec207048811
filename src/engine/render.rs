//! Templates from the fact base, compiled once, rendered per invocation.
//!
//! Templates select facts (`fact("id")`, `topic("name")`) and never restate them, so a fact's
//! hedge travels with its text. The fact base is turned into template values once, at build
//! time; a render only adds the options and the clock — which also decides what a fact says
//! (superseded by an update, or a stale hedge once the event is over: `status.rs`). Undefined
//! variables are errors (strict mode), and every error is mapped back to file:line:column in
//! `facts.toml`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::clock::Moment;
use super::language;
use super::shown::{self, Shown};
use super::status;
use crate::facts::{Diagnostic, Event, Fact, FactBase, Locale, Source, TemplateSource};

/// Names a template may use besides the options: the context and our functions.
pub const GLOBALS: [&str; 14] = [
    "event",
    "facts",
    "updates",
    "sources",
    "options",
    "now",
    "locale",
    "fact",
    "topic",
    "source",
    "days",
    "range",
    "digest",
    "discord_time",
];

#[derive(Serialize)]
struct FactView<'a> {
    id: &'a str,
    title: &'a str,
    text: &'a str,
    quote: &'a str,
    certainty: &'static str,
    certainty_label: &'a str,
    topics: &'a [String],
    aliases: &'a [String],
    source: &'a Source,
    /// "sourced" here; "superseded" or "stale" when the render's moment changes it.
    status: &'static str,
}

#[derive(Serialize)]
struct EventView<'a> {
    name: &'a str,
    summary: &'a str,
    time_zone: &'a str,
    start: String,
    end: String,
    dates: String,
    /// Unix seconds when the first day begins (midnight in the event's zone): for
    /// `discord_time(event.starts_at, "R")`, never to show the day (`start` is the day).
    starts_at: i64,
    /// Unix seconds when the last day ends (the next midnight in the event's zone).
    ends_at: i64,
}

#[derive(Serialize)]
struct UpdateView<'a> {
    id: &'a str,
    /// The id of the fact it supersedes, if any.
    supersedes: Option<&'a str>,
    /// A Discord timestamp: each reader sees it in their own zone.
    time: String,
    /// The day in the event's zone, as a plain date.
    date: String,
    /// Unix seconds, for `discord_time(u.at, style)`.
    at: i64,
    text: &'a str,
    quote: &'a str,
    certainty: &'static str,
    certainty_label: &'static str,
    source: Option<&'a Source>,
}

/// The dates of an event for humans: `25–26 February 2026`.
pub fn date_range(start: jiff::civil::Date, end: jiff::civil::Date) -> String {
    if start == end {
        start.strftime("%-d %B %Y").to_string()
    } else if (start.year(), start.month()) == (end.year(), end.month()) {
        format!("{}–{}", start.day(), end.strftime("%-d %B %Y"))
    } else if start.year() == end.year() {
        format!(
            "{} – {}",
            start.strftime("%-d %B"),
            end.strftime("%-d %B %Y")
        )
    } else {
        format!(
            "{} – {}",
            start.strftime("%-d %B %Y"),
            end.strftime("%-d %B %Y")
        )
    }
}

/// The fields of a fact as templates see them.
const FACT_KEYS: &[&str] = &[
    "id",
    "title",
    "text",
    "quote",
    "certainty",
    "certainty_label",
    "topics",
    "aliases",
    "source",
    "status",
];

/// The fields of an update as templates see them.
const UPDATE_KEYS: &[&str] = &[
    "id",
    "supersedes",
    "time",
    "date",
    "text",
    "quote",
    "certainty",
    "certainty_label",
    "source",
];

/// Fact `index` as templates see it in `lang`: its title and text translated where the fact
/// base has them (else in English), its certainty label and any history in `lang`, its quote
/// as the source says it. Reading its words marks the same fact shown.
pub fn fact_value_in(index: usize, base: &FactBase, lang: Option<&Locale>) -> Value {
    let fact: &Fact = &base.facts[index];
    let source = base
        .source(&fact.source)
        .expect("validation resolved every fact's source");
    let label = language::label(lang, fact.certainty);
    let fields = Value::from_serialize(FactView {
        id: &fact.id,
        title: language::title(fact, lang),
        text: language::text(fact, lang),
        quote: &fact.quote,
        certainty: fact.certainty.name(),
        certainty_label: &label,
        topics: &fact.topics,
        aliases: &fact.aliases,
        source,
        status: status::Status::Sourced.name(),
    });
    status::fact_value(status::Timeline::of(base, index), fields, FACT_KEYS, lang)
}

/// Update `index` as templates see it in `lang` (see [`fact_value_in`]).
pub fn update_value_in(index: usize, base: &FactBase, lang: Option<&Locale>) -> Value {
    let value = update_value(index, base);
    let Some(lang) = lang else { return value };
    let u = &base.updates[index];
    let text = u.translations.get(&lang.code).unwrap_or(&u.text);
    shown::with_fields(
        &value,
        &[
            ("text", Value::from(text.as_str())),
            (
                "certainty_label",
                Value::from(language::label(Some(lang), u.certainty)),
            ),
        ],
    )
}

/// Update `index` of the fact base as templates see it, times in the event's time zone;
/// reading its words marks it shown.
pub fn update_value(index: usize, base: &FactBase) -> Value {
    let u = &base.updates[index];
    let zoned = u.time.to_zoned(base.event.time_zone.clone());
    let fields = Value::from_serialize(UpdateView {
        id: &u.id,
        supersedes: u.supersedes.as_deref(),
        time: super::timestamp::marker(u.time, super::timestamp::Style::ShortDateTime),
        date: zoned.date().to_string(),
        at: u.time.as_second(),
        text: &u.text,
        quote: &u.quote,
        certainty: u.certainty.name(),
        certainty_label: u.certainty.label(),
        source: base.source(&u.source),
    });
    shown::tracked(Shown::Update(index), fields, UPDATE_KEYS)
}

/// Compiled templates, in English and in every shipped locale.
pub struct Templates {
    english: Compiled,
    /// Locale code → its templates and values.
    translated: Vec<(String, Compiled)>,
}

/// The templates of one language plus the fact base as template values in that language.
pub struct Compiled {
    env: Environment<'static>,
    event: Value,
    facts: Value,
    updates: Value,
    sources: Value,
}

/// Where a template's text starts in the file: after the opening quotes, and after the newline
/// TOML trims from a multi-line string.
fn content_start(file: &str, span: &Range<usize>) -> usize {
    let raw = file.get(span.clone()).unwrap_or("");
    let mut at = span.start;
    if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        at += 3;
        let rest = &raw[3..];
        if rest.starts_with("\r\n") {
            at += 2;
        } else if rest.starts_with('\n') {
            at += 1;
        }
    } else {
        at += 1;
    }
    at
}

/// A template error as a diagnostic pointing into `facts.toml`.
pub fn diagnostic(base: &FactBase, src: &TemplateSource, err: &Error, context: &str) -> Diagnostic {
    let start = content_start(&base.text, &src.span);
    let span = match err.range() {
        Some(r) => (start + r.start).min(src.span.end)..(start + r.end).min(src.span.end),
        None => match err.line() {
            Some(line) => {
                let offset: usize = src
                    .text
                    .split_inclusive('\n')
                    .take(line.saturating_sub(1))
                    .map(str::len)
                    .sum();
                (start + offset).min(src.span.end)..(start + offset).min(src.span.end)
            }
            None => src.span.clone(),
        },
    };
    let detail = err.detail().map(|d| format!(": {d}")).unwrap_or_default();
    let message = format!("{}{detail}{context}", err.kind());
    let help = match err.kind() {
        ErrorKind::UndefinedError => "use a variable that exists: event, facts, updates, sources, options.<name>, now, locale; fact(\"id\"), topic(\"name\"), source(\"id\"), days(n), discord_time(seconds, style)",
        ErrorKind::SyntaxError => "check the template syntax ({{ … }} for values, {% … %} for tags)",
        _ => "see the template reference in README.md",
    };
    Diagnostic::new(span, &src.field, message).help(help)
}

/// The fact base indexed for the template functions: facts by id and by topic, sources by id.
struct Lookups {
    facts_by_id: Arc<HashMap<String, Value>>,
    facts_by_topic: Arc<HashMap<String, Vec<Value>>>,
    sources_by_id: Arc<HashMap<String, Value>>,
}

impl Lookups {
    /// Turns every fact (in `lang`) and source into a template value once and indexes them.
    fn new(base: &FactBase, lang: Option<&Locale>) -> Lookups {
        let by_id: HashMap<String, Value> = base
            .facts
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.clone(), fact_value_in(i, base, lang)))
            .collect();
        let mut by_topic: HashMap<String, Vec<Value>> = HashMap::new();
        for f in &base.facts {
            for t in &f.topics {
                by_topic
                    .entry(t.clone())
                    .or_default()
                    .push(by_id[&f.id].clone());
            }
        }
        let sources_by_id: HashMap<String, Value> = base
            .sources
            .iter()
            .map(|s| (s.id.clone(), Value::from_serialize(s)))
            .collect();
        Lookups {
            facts_by_id: Arc::new(by_id),
            facts_by_topic: Arc::new(by_topic),
            sources_by_id: Arc::new(sources_by_id),
        }
    }
}

/// A template environment with our settings: strict undefined variables, Jinja whitespace
/// control on, no trailing newline.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(false);
    env
}

/// Registers the functions templates use to select facts and sources: `fact`, `topic`,
/// `source`, plus `days` (in `lang`) and `discord_time` (also a filter).
fn register_functions(env: &mut Environment<'static>, lookups: &Lookups, lang: Option<&Locale>) {
    let ids = Arc::clone(&lookups.facts_by_id);
    env.add_function("fact", move |id: &str| {
        ids.get(id).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::UndefinedError,
                format!("no fact has the id `{id}`"),
            )
        })
    });
    let topics = Arc::clone(&lookups.facts_by_topic);
    env.add_function("topic", move |name: &str| {
        topics
            .get(name)
            .map(|v| Value::from(v.clone()))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UndefinedError,
                    format!("no fact has the topic `{name}`"),
                )
            })
    });
    let srcs = Arc::clone(&lookups.sources_by_id);
    env.add_function("source", move |id: &str| {
        srcs.get(id).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::UndefinedError,
                format!("no source has the id `{id}`"),
            )
        })
    });
    env.add_function("discord_time", super::timestamp::template_function);
    env.add_filter("discord_time", super::timestamp::template_function);
    let lang = lang.cloned();
    env.add_function("days", move |n: i64| language::days(lang.as_ref(), n));
}

/// Adds every template of the fact base in `lang` to `env`; a diagnostic for each that does
/// not compile or uses a variable outside [`GLOBALS`].
fn add_templates(
    env: &mut Environment<'static>,
    base: &FactBase,
    lang: Option<&Locale>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (name, src) in template_sources(base, lang.map(|l| l.code.as_str())) {
        if let Err(e) = env.add_template_owned(name.clone(), src.text.clone()) {
            diagnostics.push(diagnostic(base, src, &e, ""));
            continue;
        }
        let tmpl = env
            .get_template(&name)
            .expect("the template was just added");
        for var in tmpl.undeclared_variables(false) {
            if !GLOBALS.contains(&var.as_str()) {
                diagnostics.push(
                    Diagnostic::new(
                        src.span.clone(),
                        &src.field,
                        format!("unknown variable `{var}`"),
                    )
                    .help(format!("templates may use: {}", GLOBALS.join(", "))),
                );
            }
        }
    }
    diagnostics
}

/// The event as templates see it in `lang`, dates written out for humans.
fn event_value(ev: &Event, lang: Option<&Locale>) -> Value {
    let translated = lang.and_then(|l| ev.translations.get(&l.code));
    Value::from_serialize(EventView {
        name: translated.map_or(&ev.name, |t| &t.name),
        summary: translated.map_or(&ev.summary, |t| &t.summary),
        time_zone: &ev.time_zone_name,
        start: language::day(ev.start, lang),
        end: language::day(ev.end, lang),
        dates: language::dates(ev.start, ev.end, lang),
        starts_at: day_begins(ev.start, &ev.time_zone),
        ends_at: day_begins(ev.end.tomorrow().unwrap_or(ev.end), &ev.time_zone),
    })
}

/// Unix seconds when `day` begins in `zone` (its first instant, past any DST gap).
fn day_begins(day: jiff::civil::Date, zone: &jiff::tz::TimeZone) -> i64 {
    day.to_zoned(zone.clone())
        .map_or(0, |z| z.timestamp().as_second())
}

impl Templates {
    /// Compiles every template of the fact base in English and in every shipped locale, or
    /// reports every one that does not compile.
    pub fn build(base: &FactBase) -> Result<Templates, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        let english = Compiled::build(base, None, &mut diagnostics);
        let translated = base
            .locales
            .iter()
            .map(|l| {
                (
                    l.code.clone(),
                    Compiled::build(base, Some(l), &mut diagnostics),
                )
            })
            .collect();
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        Ok(Templates {
            english,
            translated,
        })
    }

    /// The templates of `lang` (English for `None`).
    pub fn get(&self, lang: Option<&Locale>) -> &Compiled {
        lang.and_then(|l| self.translated.iter().find(|(code, _)| *code == l.code))
            .map_or(&self.english, |(_, c)| c)
    }
}

impl Compiled {
    /// Compiles the templates of `lang` (translations where given, else the English ones);
    /// problems go to `diagnostics`.
    fn build(
        base: &FactBase,
        lang: Option<&Locale>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Compiled {
        let mut env = environment();
        let lookups = Lookups::new(base, lang);
        register_functions(&mut env, &lookups, lang);
        diagnostics.extend(add_templates(&mut env, base, lang));

        let facts = Value::from(
            base.facts
                .iter()
                .map(|f| lookups.facts_by_id[&f.id].clone())
                .collect::<Vec<_>>(),
        );
        // A retracted update is withdrawn: no reply lists it.
        let updates = Value::from(
            (0..base.updates.len())
                .filter(|&i| base.updates[i].retracted.is_none())
                .map(|i| update_value_in(i, base, lang))
                .collect::<Vec<_>>(),
        );
        let sources = Value::from(
            base.sources
                .iter()
                .map(|s| lookups.sources_by_id[&s.id].clone())
                .collect::<Vec<_>>(),
        );
        Compiled {
            env,
            event: event_value(&base.event, lang),
            facts,
            updates,
            sources,
        }
    }

    /// Renders template `name` with these options, clock and locale. Output is trimmed and
    /// runs of blank lines are collapsed, so template layout does not leak into replies.
    pub fn render(
        &self,
        name: &str,
        options: Value,
        now: &Moment,
        locale: Option<&str>,
    ) -> Result<String, Error> {
        self.render_with(name, options, now, locale, Value::UNDEFINED)
    }

    /// Like [`Compiled::render`] with extra values under `extra` (the digest's own data).
    pub fn render_with(
        &self,
        name: &str,
        options: Value,
        now: &Moment,
        locale: Option<&str>,
        extra: Value,
    ) -> Result<String, Error> {
        let tmpl = self.env.get_template(name)?;
        let ctx = minijinja::context! {
            event => &self.event,
            facts => &self.facts,
            updates => &self.updates,
            sources => &self.sources,
            options => options,
            now => Value::from_serialize(now),
            locale => locale.unwrap_or("en-US"),
            digest => extra,
        };
        let out = status::during(now, || tmpl.render(ctx))?;
        Ok(tidy(&out))
    }
}

/// Every template of the fact base in language `code` (translations where given, else
/// English) with the name it is registered under.
pub fn template_sources<'a>(
    base: &'a FactBase,
    code: Option<&str>,
) -> Vec<(String, &'a TemplateSource)> {
    let mut out = Vec::new();
    for c in &base.commands {
        out.push((c.name.clone(), c.template_in(code)));
        for part in ["title", "description", "footer", "fields"] {
            if let Some(src) = c.embed_part_in(code, part) {
                out.push((format!("{}:{part}", c.name), src));
            }
        }
    }
    if let Some(d) = base.digest_template_in(code) {
        out.push((DIGEST_TEMPLATE.to_owned(), d));
    }
    if let Some(t) = base.digest_title_in(code) {
        out.push((DIGEST_TITLE.to_owned(), t));
    }
    out
}

/// The name the digest template is registered under (not a valid command name, so no clash).
pub const DIGEST_TEMPLATE: &str = "@digest";
/// The name the digest's title template is registered under.
pub const DIGEST_TITLE: &str = "@digest:title";

/// Trims lines' trailing spaces, collapses 3+ newlines to 2, trims the ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}
