//! The reply engine: a fact base, an invocation and a clock in; a [`Response`] out.
//!
//! [`Engine::dispatch`] is the one dispatch point, for every transport. Every command —
//! declared in `facts.toml` or built in (`commands/`, one file each) — is one [`Command`]
//! (`command.rs`), walked by registration (`registry.rs`), slash-line parsing (`slash.rs`),
//! option checks, autocomplete and `/help`. Handlers get a [`Context`]: the engine, the
//! invocation (clock, locale, caller) and the [`Services`] the process offers (the digest's
//! subscriptions, behind the [`Subscriptions`] trait). The engine never reads the system clock,
//! never touches a socket, a runtime or a database, and never formats for a particular
//! transport — transports send [`Response::to_json`] as is.

pub mod alerts;
mod clock;
pub mod command;
pub mod commands;
pub mod components;
mod echo;
mod invocation;
pub mod language;
pub mod misses;
pub mod notices;
mod registry;
mod render;
mod reply;
pub mod search;
pub mod shown;
pub mod slash;
pub mod status;
pub mod subscriptions;
pub mod timestamp;

use std::collections::BTreeMap;

pub use clock::{Moment, Phase};
pub use command::{Action, Command, CommandError, Context, Outcome, OutcomeFuture, Services};
pub use invocation::{Caller, Invocation, OptionValue, TargetMessage};
pub use registry::{application_commands, fingerprint, fnv};
pub use render::date_range;
pub use reply::{cut, AutocompleteChoice, Button, Embed, EmbedField, Footer, Reply, Response};
pub use subscriptions::{ServiceError, Subscriptions};

use crate::facts::{Diagnostic, FactBase, LoadError, Locale};
use render::Templates;
use search::Index;

/// A fact base compiled for answering: commands listed, templates compiled, `/ask` index built.
pub struct Engine {
    base: FactBase,
    commands: Vec<Command>,
    templates: Templates,
    index: Index,
    version: String,
    source_codes: components::source::Codes,
    /// The fact base's warnings plus the engine's (built-in descriptions not translated).
    warnings: Vec<Diagnostic>,
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
    /// Compiles `base`; command and template errors come back with file:line:column.
    pub fn new(base: FactBase) -> Result<Engine, LoadError> {
        let mut commands = registry::build(&base).map_err(|d| base.error(d))?;
        let mut warnings = base.warnings.clone();
        warnings.extend(registry::localize(&mut commands, &base).map_err(|d| base.error(d))?);
        let templates = Templates::build(&base).map_err(|d| base.error(d))?;
        let index = Index::build(&base).map_err(|d| base.error(d))?;
        let version = registry::fnv(base.text.as_bytes());
        let source_codes = components::source::Codes::build(&base);
        Ok(Engine {
            source_codes,
            base,
            commands,
            templates,
            index,
            version,
            warnings,
        })
    }

    /// What `check` reports without failing: translations a shipped locale lacks (those
    /// readers get English there).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The shipped locale the answer to `inv` is written in; `None` for English. A public
    /// answer is read by the whole channel: it follows the server's locale (the reader's where
    /// there is no server, as in DMs). An ephemeral answer, an autocomplete list and a button
    /// press are read by the reader alone: they follow the reader's locale.
    pub fn language(&self, inv: &Invocation) -> Option<&Locale> {
        let private = inv.focused.is_some() || self.answers_ephemerally(inv);
        if private {
            return self.reader_language(inv);
        }
        let code = inv.guild_locale.as_deref().or(inv.locale.as_deref());
        crate::facts::locale::matching(&self.base.locales, code)
    }

    /// The shipped locale of the reader alone (`None`: English), whatever the answer would
    /// be: what a reply only the reader sees is written in — an error or refusal, an apology,
    /// a cooldown notice, even for a command whose answer would be public.
    pub fn reader_language(&self, inv: &Invocation) -> Option<&Locale> {
        crate::facts::locale::matching(&self.base.locales, inv.locale.as_deref())
    }

    /// Loads, validates and compiles the fact base at `path`.
    pub fn load(path: &std::path::Path) -> Result<Engine, LoadError> {
        Engine::new(crate::facts::load(path)?)
    }

    /// The fact base this engine answers from.
    pub fn facts(&self) -> &FactBase {
        &self.base
    }

    /// Every command, declared first, then the built-ins.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The command called `name`.
    pub fn command(&self, name: &str) -> Option<&Command> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// Answers one invocation with the services this process offers. Never fails: a reader's
    /// mistake gets an ephemeral explanation, our failure an ephemeral apology (and a log line).
    pub async fn dispatch(&self, inv: &Invocation, services: &Services) -> Response {
        let ctx = Context {
            engine: self,
            invocation: inv,
            services,
        };
        if let Some(custom_id) = &inv.component {
            return Response::Message(self.finish(components::press(&ctx, custom_id), inv));
        }
        let Some(command) = self.command(&inv.command) else {
            return match inv.focused {
                Some(_) => Response::Autocomplete(Vec::new()),
                None => Response::Message(Reply {
                    refused: true,
                    ..self.unknown_command(inv)
                }),
            };
        };
        if inv.focused.is_some() {
            return Response::Autocomplete(command::autocomplete(self, command, inv));
        }
        Response::Message(self.finish(run(command, &ctx).await, inv))
    }

    /// The reply to send for an outcome: a mistake or failure explained ephemerally, a
    /// Source button under an answer that showed facts, everything within Discord's limits.
    fn finish(&self, outcome: Outcome, inv: &Invocation) -> Reply {
        let mut reply = match outcome {
            Ok(mut reply) => {
                let lang = self.language(inv);
                let has_one = reply.buttons.iter().any(components::source::is_source);
                if let Some(button) = components::source::button(self, &reply.shown, lang) {
                    if !has_one {
                        reply.buttons.insert(0, button);
                    }
                }
                reply
            }
            Err(CommandError::User(message)) => Reply {
                refused: true,
                ..Reply::ephemeral(message)
            },
            Err(CommandError::Internal { reason, apology }) => {
                let what = inv.component.as_deref().unwrap_or(&inv.command);
                tracing::error!(command = %what, error = %reason, "command failed");
                Reply {
                    refused: true,
                    ..Reply::ephemeral(apology)
                }
            }
        };
        reply.fit();
        reply
    }

    /// Whether the answer to `inv` will be seen only by the asker: what a deferred response
    /// must say before the answer exists. Unknown commands are answered at once.
    pub fn answers_ephemerally(&self, inv: &Invocation) -> bool {
        inv.component.is_some()
            || matches!(inv.option(command::HIDE), Some(OptionValue::Boolean(true)))
            || self.command(&inv.command).is_some_and(|c| c.ephemeral)
    }

    /// The polite answer to a command this fact base does not have (e.g. registered from an
    /// older fact base, or mistyped on the command line), in the reader's language.
    fn unknown_command(&self, inv: &Invocation) -> Reply {
        let slash = || {
            self.commands
                .iter()
                .filter(|c| c.kind == command::CommandKind::Slash)
        };
        let list = slash()
            .map(|c| format!("`/{}`", c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let command = echo::code(&format!("/{}", inv.command));
        let mut args = vec![("command", command.as_str()), ("commands", &list)];
        let guess = search::nearest(&inv.command, slash().map(|c| c.name.as_str()));
        let key = match guess {
            Some(guess) => {
                args.push(("guess", guess));
                "error.unknown_command_guess"
            }
            None => "error.unknown_command",
        };
        Reply::ephemeral(language::say(self.reader_language(inv), key, &args))
    }

    /// Renders every command at three clock times (before, during and after the event), for
    /// every option value it offers and every reader locale — and the digest and a change alert
    /// of every kind in English and every shipped locale — and reports any render error or
    /// reply that would exceed a Discord limit. `factdesk check` fails on any of these.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut out = commands::declared::lint(self);
        out.extend(self.lint_digest());
        out.extend(alerts::lint(self));
        out
    }

    /// Asks every `[[questions]]` entry and reports each miss: a listed fact `/ask` does not
    /// cite, or an answer where nothing should answer. `factdesk check` fails on these; a hot
    /// reload only warns, so an urgent correction is never blocked by ranking.
    pub fn check_questions(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, q) in self.base.questions.iter().enumerate() {
            let cited: Vec<&str> = commands::ask::cited(self, &q.ask)
                .into_iter()
                .map(|f| self.base.facts[f].id.as_str())
                .collect();
            let missing: Vec<&str> = q
                .answers
                .iter()
                .map(String::as_str)
                .filter(|id| !cited.contains(id))
                .collect();
            let message = match (q.answers.is_empty(), cited.is_empty()) {
                (true, false) => format!(
                    "`/ask {}` should not be covered, but is answered with {}",
                    q.ask,
                    cited.join(", ")
                ),
                (false, _) if !missing.is_empty() => format!(
                    "`/ask {}` does not cite {} (it cites {})",
                    q.ask,
                    missing.join(", "),
                    if cited.is_empty() {
                        "nothing".to_owned()
                    } else {
                        cited.join(", ")
                    }
                ),
                _ => continue,
            };
            out.push(
                Diagnostic::new(q.span.clone(), format!("questions[{i}]"), message).help(
                    "improve the facts' titles, aliases or the vocabulary, or correct the question",
                ),
            );
        }
        out
    }

    /// The digest rendered at the sample times in English and every shipped locale: render
    /// errors and overflows, each pointing at the template (or translation) at fault.
    fn lint_digest(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let langs = std::iter::once(None).chain(self.base.locales.iter().map(Some));
        for lang in langs {
            let code = lang.map(|l| l.code.as_str());
            let Some(src) = self.base.digest_template_in(code) else {
                return out;
            };
            let in_lang = code.map(|c| format!(", in `{c}`")).unwrap_or_default();
            for (when, now) in self.sample_times() {
                let tz = &self.base.event.time_zone_name;
                // Render unfitted to see overflows: `render_digest` would cut them.
                let moment =
                    Moment::in_zone(&self.base.event, now, &self.base.event.time_zone, None)
                        .in_language(lang);
                let all: Vec<minijinja::Value> = (0..self.base.updates.len())
                    .filter(|&i| self.base.updates[i].retracted.is_none())
                    .map(|i| render::update_value_in(i, &self.base, lang))
                    .collect();
                // The longest English date: a Wednesday in September.
                let date = language::date(jiff::civil::date(2026, 9, 30), lang);
                let extra = minijinja::context! { date => date, time_zone => tz, updates => all, since => None::<String> };
                match self.digest_reply(&moment, extra, lang) {
                    Ok(reply) => {
                        for problem in reply.overflows() {
                            out.push(
                                Diagnostic::new(
                                    src.span.clone(),
                                    &src.field,
                                    format!("the digest {when}{in_lang}: {problem}"),
                                )
                                .help("shorten the template or select fewer facts"),
                            );
                        }
                    }
                    Err((e, failed)) => out.push(render::diagnostic(
                        &self.base,
                        failed,
                        &e,
                        &format!(" (the digest {when}{in_lang})"),
                    )),
                }
            }
        }
        out
    }

    /// The clock samples `lint` renders at: ten days before, the first day, and ten days after
    /// — or after the last update, if later, so every update is rendered as it supersedes.
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
            (
                "after the event",
                self.base
                    .updates
                    .iter()
                    .map(|u| u.time)
                    .fold(at(shift(ev.end, 10)), jiff::Timestamp::max),
            ),
        ]
    }

    /// The locales the fact base knows — with a reader time zone or shipped — plus "no
    /// locale".
    fn sample_locales(&self) -> Vec<Option<String>> {
        let mut codes: Vec<String> = self.base.event.reader_time_zones.keys().cloned().collect();
        for l in &self.base.locales {
            if !codes.contains(&l.code) {
                codes.push(l.code.clone());
            }
        }
        std::iter::once(None)
            .chain(codes.into_iter().map(Some))
            .collect()
    }

    /// The time zone a reader with `locale` reads times in: theirs when the fact base maps
    /// their locale (`reader_time_zones`), else the event's. Terminals show Discord timestamps
    /// in it.
    pub fn reader_zone(&self, locale: Option<&str>) -> &jiff::tz::TimeZone {
        clock::reader_zone(&self.base.event, locale)
            .map_or(&self.base.event.time_zone, |(_, tz)| tz)
    }

    /// The facts that are stale hedges at `now` (plans and expectations no update settled,
    /// once the event is over), each with the note replies add: what `factdesk check` warns
    /// editors about.
    pub fn stale_hedges(&self, now: jiff::Timestamp) -> Vec<(usize, String)> {
        status::stale_hedges(&self.base, &self.moment(now, None))
    }

    /// The moment `now` relative to the event, for `locale`.
    pub fn moment(&self, now: jiff::Timestamp, locale: Option<&str>) -> Moment {
        Moment::new(&self.base.event, now, locale)
    }

    fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The Source button's reference of every fact and update.
    pub fn source_codes(&self) -> &components::source::Codes {
        &self.source_codes
    }

    /// The `/ask` index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The shipped locale a channel's posts are written in, from the locale its subscription
    /// keeps (the server's when it subscribed, or the operator's); `None`: English.
    pub fn post_language(&self, code: Option<&str>) -> Option<&Locale> {
        crate::facts::locale::matching(&self.base.locales, code)
    }

    /// The daily digest as of `now` for a channel in time zone `zone`, written in `lang`: where
    /// the event stands in that zone, the updates after `since` (all of them when `None`) up to
    /// `now`, and the key facts the `[digest]` template (or its translation) selects.
    pub fn render_digest(
        &self,
        now: jiff::Timestamp,
        zone: &str,
        since: Option<jiff::Timestamp>,
        lang: Option<&Locale>,
    ) -> Outcome {
        if self.base.digest_template.is_none() {
            return Err(CommandError::user(
                "This fact base has no [digest] template, so there is no digest to post.",
            ));
        }
        let tz = jiff::tz::TimeZone::get(zone).map_err(|_| {
            CommandError::user(format!("{} is not an IANA time zone", echo::code(zone)))
        })?;
        let moment = Moment::in_zone(&self.base.event, now, &tz, None).in_language(lang);
        let updates: Vec<minijinja::Value> = self
            .new_updates(since, now)
            .map(|i| render::update_value_in(i, &self.base, lang))
            .collect();
        let extra = minijinja::context! {
            date => language::date(now.to_zoned(tz.clone()).date(), lang),
            time_zone => zone,
            updates => updates,
            since => since.map(|s| timestamp::marker(s, timestamp::Style::ShortDateTime)),
        };
        let (reply, shown) = shown::collect(|| self.digest_reply(&moment, extra, lang));
        let mut reply = reply.map_err(|(e, _)| CommandError::Internal {
            reason: format!("the digest template failed to render: {e}"),
            apology:
                "The digest template could not be rendered; the fact base's editors need to fix it."
                    .to_owned(),
        })?;
        reply
            .buttons
            .extend(components::source::button(self, &shown, lang));
        reply.shown = shown;
        reply.fit();
        Ok(reply)
    }

    /// The updates a digest reading as of `until` lists as new after `since` (its last digest's
    /// cover): live ones made in between, by index.
    pub fn new_updates(
        &self,
        since: Option<jiff::Timestamp>,
        until: jiff::Timestamp,
    ) -> impl Iterator<Item = usize> + '_ {
        self.base
            .updates
            .iter()
            .enumerate()
            .filter(move |(_, u)| {
                u.retracted.is_none() && u.time <= until && since.is_none_or(|s| u.time > s)
            })
            .map(|(i, _)| i)
    }

    /// The digest in `lang` as a reply (unfitted): its text as the content, or — when
    /// `[digest]` has a `title` — an embed with that title and the text as its description. A
    /// render error comes with the template that failed.
    fn digest_reply(
        &self,
        moment: &Moment,
        extra: minijinja::Value,
        lang: Option<&Locale>,
    ) -> Result<Reply, (minijinja::Error, &crate::facts::TemplateSource)> {
        let nothing = minijinja::Value::from(());
        let t = self.templates.get(lang);
        let code = lang.map(|l| l.code.as_str());
        let text_src = self
            .base
            .digest_template_in(code)
            .expect("render_digest and lint_digest check that the digest exists");
        let text = t
            .render_with(
                render::DIGEST_TEMPLATE,
                nothing.clone(),
                moment,
                code,
                extra.clone(),
            )
            .map_err(|e| (e, text_src))?;
        let Some(title_src) = self.base.digest_title_in(code) else {
            return Ok(Reply::public(text));
        };
        let title = t
            .render_with(render::DIGEST_TITLE, nothing, moment, code, extra)
            .map_err(|e| (e, title_src))?;
        let mut reply = Reply::public("");
        reply.embeds.push(Embed {
            title: Some(title).filter(|t| !t.is_empty()),
            description: Some(text),
            ..Embed::default()
        });
        Ok(reply)
    }

    /// Makes `reply` (written in `lang`) fit for a webhook post, which cannot carry buttons
    /// that send presses: the Source button becomes a line with links to the sources (or a
    /// pointer to `/sources` when they have no URL).
    pub fn for_webhook(&self, reply: &mut Reply, lang: Option<&Locale>) {
        let had_source = reply
            .buttons
            .iter()
            .any(|b| matches!(b, Button::Press { .. }));
        reply.buttons.retain(|b| matches!(b, Button::Link { .. }));
        if had_source {
            let line = components::source::webhook_line(self, &reply.shown, lang);
            reply.content = format!("{}\n\n{line}", reply.content).trim().to_owned();
            reply.fit();
        }
    }

    /// A fingerprint of the fact base's text: changes whenever the file does.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Counts of what the engine holds, for logs and metrics.
    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("facts", self.base.facts.len()),
            ("commands", self.commands.len()),
            ("sources", self.base.sources.len()),
            ("updates", self.base.updates.len()),
        ])
    }
}

/// Runs `command` (or the subcommand the invocation names) after checking its options.
async fn run(command: &Command, ctx: &Context<'_>) -> Outcome {
    let lang = ctx.reader_language();
    let leaf = command.leaf(ctx.invocation, lang)?;
    let shown = if std::ptr::eq(leaf, command) {
        command.name.clone()
    } else {
        format!("{} {}", command.name, leaf.name)
    };
    leaf.check_options(&shown, ctx.invocation, lang)?;
    if leaf.shareable {
        command::check_sharing(ctx.invocation, lang)?;
    }
    let mut reply = match leaf.action {
        Action::Run(handler) => handler(ctx),
        Action::RunAsync(handler) => handler(ctx).await,
        Action::Template(index) => commands::declared::run(ctx, index),
        Action::Group => Err(CommandError::Internal {
            reason: format!("`/{shown}` is a group without subcommands"),
            apology: language::say(lang, "sorry.command", &[("command", &shown)]),
        }),
    }?;
    if leaf.shareable {
        command::share(&mut reply, ctx.invocation);
    }
    Ok(reply)
}
