//! The reply engine: a fact base, an invocation and a clock in; a [`Response`] out.
//!
//! [`Engine::dispatch`] is the one dispatch point. Commands declared in `facts.toml` are
//! rendered from their templates (`commands/declared.rs`); the built-ins (`ask`, `sources`,
//! `help`) live one per file in `commands/`. The engine is pure: it never reads the system
//! clock, never touches a socket and never formats for a particular transport — transports
//! send [`Response::to_json`] as is.

mod clock;
pub mod commands;
mod invocation;
mod registry;
mod render;
mod reply;
pub mod search;
pub mod slash;

use std::collections::BTreeMap;

pub use clock::Moment;
pub use invocation::{Caller, Invocation, OptionValue};
pub use registry::{application_commands, fingerprint, fnv};
pub use render::date_range;
pub use reply::{cut, AutocompleteChoice, Embed, EmbedField, Footer, Reply, Response};

use crate::facts::{Diagnostic, FactBase, LoadError};
use render::Templates;
use search::Index;

/// A fact base compiled for answering: templates compiled, `/ask` index built.
pub struct Engine {
    base: FactBase,
    templates: Templates,
    index: Index,
    version: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.base.path)
            .field("facts", &self.base.facts.len())
            .finish()
    }
}

impl Engine {
    /// Compiles `base`; template errors come back with file:line:column.
    pub fn new(base: FactBase) -> Result<Engine, LoadError> {
        let templates = Templates::build(&base).map_err(|d| base.error(d))?;
        let index = Index::build(&base.facts);
        let version = registry::fnv(base.text.as_bytes());
        Ok(Engine {
            base,
            templates,
            index,
            version,
        })
    }

    /// Loads, validates and compiles the fact base at `path`.
    pub fn load(path: &std::path::Path) -> Result<Engine, LoadError> {
        Engine::new(crate::facts::load(path)?)
    }

    /// The fact base this engine answers from.
    pub fn facts(&self) -> &FactBase {
        &self.base
    }

    /// Answers one invocation. Never fails: a bad invocation gets an ephemeral explanation.
    pub fn dispatch(&self, inv: &Invocation) -> Response {
        if let Some(focused) = &inv.focused {
            return Response::Autocomplete(commands::autocomplete(self, inv, focused));
        }
        let mut reply = commands::run(self, inv);
        reply.fit();
        Response::Message(reply)
    }

    /// Renders every command at three clock times (before, during and after the event), for
    /// every option value it offers and every reader locale, and reports any render error or
    /// reply that would exceed a Discord limit. `factdesk check` fails on any of these.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut out = commands::declared::lint(self);
        if let Some(src) = &self.base.digest_template {
            for (when, now) in self.sample_times() {
                let tz = &self.base.event.time_zone_name;
                // Render unfitted to see overflows: `render_digest` would cut them.
                let moment =
                    Moment::in_zone(&self.base.event, now, &self.base.event.time_zone, None);
                let all: Vec<minijinja::Value> = self
                    .base
                    .updates
                    .iter()
                    .map(|u| render::update_value(u, &self.base))
                    .collect();
                let extra = minijinja::context! { date => "Monday 1 January 2026", time_zone => tz, updates => all, since => None::<String> };
                match self.templates.render_with(
                    render::DIGEST_TEMPLATE,
                    minijinja::Value::from(()),
                    &moment,
                    None,
                    extra,
                ) {
                    Ok(content) => {
                        for problem in Reply::public(content).overflows() {
                            out.push(
                                Diagnostic::new(
                                    src.span.clone(),
                                    &src.field,
                                    format!("the digest {when}: {problem}"),
                                )
                                .help("shorten the template or select fewer facts"),
                            );
                        }
                    }
                    Err(e) => out.push(render::diagnostic(
                        &self.base,
                        src,
                        &e,
                        &format!(" (the digest {when})"),
                    )),
                }
            }
        }
        out
    }

    /// The clock samples `lint` renders at: ten days before, the first day, ten days after.
    pub fn sample_times(&self) -> [(&'static str, jiff::Timestamp); 3] {
        let ev = &self.base.event;
        let at = |date: jiff::civil::Date| {
            date.at(12, 0, 0, 0)
                .to_zoned(ev.time_zone.clone())
                .map(|z| z.timestamp())
                .unwrap_or_default()
        };
        let shift = |date: jiff::civil::Date, days: i64| {
            date.checked_add(jiff::Span::new().days(days))
                .unwrap_or(date)
        };
        [
            ("before the event", at(shift(ev.start, -10))),
            ("during the event", at(ev.start)),
            ("after the event", at(shift(ev.end, 10))),
        ]
    }

    /// The reader locales the fact base knows, plus "no locale".
    fn sample_locales(&self) -> Vec<Option<String>> {
        std::iter::once(None)
            .chain(self.base.event.reader_time_zones.keys().cloned().map(Some))
            .collect()
    }

    /// The moment `now` relative to the event, for `locale`.
    pub fn moment(&self, now: jiff::Timestamp, locale: Option<&str>) -> Moment {
        Moment::new(&self.base.event, now, locale)
    }

    fn templates(&self) -> &Templates {
        &self.templates
    }

    fn index(&self) -> &Index {
        &self.index
    }

    /// Names of every command (declared and built-in), for suggestions.
    pub fn command_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.base.commands.iter().map(|c| c.name.clone()).collect();
        names.extend(commands::BUILT_INS.iter().map(|b| b.name.to_owned()));
        names
    }

    /// Option names of `command` (declared or built-in), used to split a typed slash line.
    pub fn option_names(&self, command: &str) -> Vec<String> {
        if let Some(c) = self.base.command(command) {
            return c.options.iter().map(|o| o.name.clone()).collect();
        }
        commands::BUILT_INS
            .iter()
            .find(|b| b.name == command)
            .map(|b| {
                b.options
                    .iter()
                    .map(|o| o.name.to_owned())
                    .chain(
                        b.subcommands
                            .iter()
                            .flat_map(|s| s.options.iter().map(|o| o.name.to_owned())),
                    )
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Subcommand names of `command`, if it has any.
    pub fn subcommand_names(&self, command: &str) -> Vec<&'static str> {
        commands::BUILT_INS
            .iter()
            .find(|b| b.name == command)
            .map(|b| b.subcommands.iter().map(|s| s.name).collect())
            .unwrap_or_default()
    }

    /// The type of option `option` of `command`, for typing values typed on a command line.
    pub fn option_kind(&self, command: &str, option: &str) -> crate::facts::OptionKind {
        self.base
            .command(command)
            .and_then(|c| c.options.iter().find(|o| o.name == option))
            .map_or(crate::facts::OptionKind::String, |o| o.kind)
    }

    /// The daily digest as of `now` for a channel in time zone `zone`: where the event stands
    /// in that zone, the updates after `since` (all of them when `None`) up to `now`, and the
    /// key facts the `[digest]` template selects.
    pub fn render_digest(
        &self,
        now: jiff::Timestamp,
        zone: &str,
        since: Option<jiff::Timestamp>,
    ) -> Result<Reply, String> {
        if self.base.digest_template.is_none() {
            return Err(
                "This fact base has no [digest] template, so there is no digest to post.".into(),
            );
        }
        let tz = jiff::tz::TimeZone::get(zone)
            .map_err(|_| format!("`{zone}` is not an IANA time zone"))?;
        let moment = Moment::in_zone(&self.base.event, now, &tz, None);
        let updates: Vec<minijinja::Value> = self
            .base
            .updates
            .iter()
            .filter(|u| u.time <= now && since.is_none_or(|s| u.time > s))
            .map(|u| render::update_value(u, &self.base))
            .collect();
        let extra = minijinja::context! {
            date => now.to_zoned(tz.clone()).date().strftime(clock::DATE_FORMAT).to_string(),
            time_zone => zone,
            updates => updates,
            since => since.map(|s| s.to_zoned(tz.clone()).strftime("%-d %B %Y, %H:%M %Z").to_string()),
        };
        let content = self
            .templates
            .render_with(
                render::DIGEST_TEMPLATE,
                minijinja::Value::from(()),
                &moment,
                None,
                extra,
            )
            .map_err(|e| {
                tracing::error!(error = %e, "digest template failed to render");
                "The digest template could not be rendered; the fact base's editors need to fix it."
                    .to_owned()
            })?;
        let mut reply = Reply::public(content);
        reply.fit();
        Ok(reply)
    }

    /// A fingerprint of the fact base's text: changes whenever the file does.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether `name` is a command this engine answers (declared or built-in).
    pub fn knows_command(&self, name: &str) -> bool {
        self.base.command(name).is_some() || commands::BUILT_INS.iter().any(|b| b.name == name)
    }

    /// Counts of what the engine holds, for logs and metrics.
    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("facts", self.base.facts.len()),
            (
                "commands",
                self.base.commands.len() + commands::BUILT_INS.len(),
            ),
            ("sources", self.base.sources.len()),
            ("updates", self.base.updates.len()),
        ])
    }
}
