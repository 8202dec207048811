//! The one command model: built-ins and the commands declared in `facts.toml` are the same
//! [`Command`] type, walked once each by registration (`registry.rs`), slash-line parsing
//! (`slash.rs`), option checks and autocomplete (here), and `/help`.
//!
//! A command is a name, a description, typed options, optional subcommands (themselves
//! commands) and an [`Action`]. Handlers get a [`Context`]: the engine (fact base, templates,
//! index), the invocation (clock, locale, caller) and the [`Services`] this process offers.
//! They return a [`Reply`] or a [`CommandError`] that separates the reader's mistake from our
//! failure. Nothing here knows a transport, a runtime or a database.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::echo;
use super::language::{self, say};
use super::reply::MAX_CHOICES;
use super::search;
use super::subscriptions::Subscriptions;
use super::{AutocompleteChoice, Engine, Invocation, Moment, OptionValue, Reply};
use crate::facts::{Choices, Fact, FactBase, Locale, OptionDef, OptionKind};

/// What a handler returns.
pub type Outcome = Result<Reply, CommandError>;

/// The future an async handler returns.
pub type OutcomeFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Why a command did not produce its reply.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The reader's mistake (a missing option, a bad time zone, no permission): the message is
    /// for them, shown only to them.
    #[error("{0}")]
    User(String),
    /// Our failure (a database down, a template that lint did not cover): `reason` is logged
    /// for the operator; the reader gets `apology`.
    #[error("{reason}")]
    Internal { reason: String, apology: String },
}

impl CommandError {
    /// A reader's mistake, explained to them.
    pub fn user(message: impl Into<String>) -> CommandError {
        CommandError::User(message.into())
    }
}

/// What a command does when invoked.
#[derive(Clone, Copy)]
pub enum Action {
    /// Has subcommands and no action of its own.
    Group,
    /// Renders the template of `facts.toml`'s command with this index.
    Template(usize),
    /// A built-in that answers from the engine alone.
    Run(fn(&Context<'_>) -> Outcome),
    /// A built-in that calls a service (and so may wait).
    RunAsync(for<'a> fn(&'a Context<'a>) -> OutcomeFuture<'a>),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Group => f.write_str("Group"),
            Action::Template(i) => write!(f, "Template({i})"),
            Action::Run(_) => f.write_str("Run"),
            Action::RunAsync(_) => f.write_str("RunAsync"),
        }
    }
}

/// How a reader invokes a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommandKind {
    /// Typed: `/name options…` (Discord's `CHAT_INPUT`, type 1).
    #[default]
    Slash,
    /// Picked from a message's Apps menu; runs on that message (Discord's `MESSAGE`, type 3).
    Message,
}

/// The built-in option that answers only the asker.
pub const HIDE: &str = "hide";
/// The built-in option that points a public answer at one user (and pings only them).
pub const MENTION: &str = "mention";

/// A slash command (or a subcommand of one), or a message command.
#[derive(Debug, Clone)]
pub struct Command {
    pub kind: CommandKind,
    pub name: String,
    pub description: String,
    pub name_localizations: BTreeMap<String, String>,
    pub description_localizations: BTreeMap<String, String>,
    pub options: Vec<OptionDef>,
    pub subcommands: Vec<Command>,
    /// Discord `default_member_permissions` (a permission bit set), when restricted.
    pub default_member_permissions: Option<u64>,
    /// Whether its answers are seen only by the asker (so a deferred response must be too).
    pub ephemeral: bool,
    /// Takes the `hide` and `mention` options (public fact commands and `/ask`).
    pub shareable: bool,
    pub action: Action,
}

impl Command {
    /// A built-in command with no options yet (builder style).
    pub fn new(name: &str, description: &str, action: Action) -> Command {
        Command {
            kind: CommandKind::Slash,
            name: name.to_owned(),
            description: description.to_owned(),
            name_localizations: BTreeMap::new(),
            description_localizations: BTreeMap::new(),
            options: Vec::new(),
            subcommands: Vec::new(),
            default_member_permissions: None,
            ephemeral: false,
            shareable: false,
            action,
        }
    }

    /// Adds the `hide` and `mention` options a reader uses to keep an answer to themselves or
    /// point it at someone (builder style). They come last: Discord wants required first.
    pub fn shareable(mut self) -> Command {
        self.shareable = true;
        self.options.push(OptionDef {
            kind: OptionKind::Boolean,
            ..string_option(HIDE, "Show the answer only to you", false)
        });
        self.options.push(OptionDef {
            kind: OptionKind::User,
            ..string_option(
                MENTION,
                "Point the answer at someone (pings only them)",
                false,
            )
        });
        self
    }

    /// Makes this a message command, run from a message's Apps menu (builder style).
    pub fn on_messages(mut self) -> Command {
        self.kind = CommandKind::Message;
        self
    }

    /// Marks the command's answers as seen only by the asker (builder style).
    pub fn ephemeral(mut self) -> Command {
        self.ephemeral = true;
        self
    }

    /// Adds an option (builder style).
    pub fn option(mut self, option: OptionDef) -> Command {
        self.options.push(option);
        self
    }

    /// Adds a subcommand (builder style); the command becomes a group.
    pub fn subcommand(mut self, sub: Command) -> Command {
        self.subcommands.push(sub);
        self
    }

    /// The subcommand called `name`.
    pub fn find_subcommand(&self, name: &str) -> Option<&Command> {
        self.subcommands.iter().find(|s| s.name == name)
    }

    /// The option called `name`.
    pub fn find_option(&self, name: &str) -> Option<&OptionDef> {
        self.options.iter().find(|o| o.name == name)
    }

    /// The command that answers `inv`: this one, or the subcommand it names. A mistake is
    /// explained in `lang` (the reader's).
    pub fn leaf(&self, inv: &Invocation, lang: Option<&Locale>) -> Result<&Command, CommandError> {
        if self.subcommands.is_empty() {
            return Ok(self);
        }
        let Some(sub) = &inv.subcommand else {
            let subs = self
                .subcommands
                .iter()
                .map(|s| format!("`/{} {}`", self.name, s.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CommandError::user(say(
                lang,
                "error.needs_subcommand",
                &[("command", &self.name), ("subcommands", &subs)],
            )));
        };
        self.find_subcommand(sub).ok_or_else(|| {
            let subs = self
                .subcommands
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            CommandError::user(say(
                lang,
                "error.no_subcommand",
                &[
                    ("command", &self.name),
                    ("name", &echo::code(sub)),
                    ("subcommands", &subs),
                ],
            ))
        })
    }

    /// Checks `inv`'s options against this (leaf) command: every option known, of its type,
    /// and every required one given. `shown` is how the command reads in messages; a mistake
    /// is explained in `lang` (the reader's).
    pub fn check_options(
        &self,
        shown: &str,
        inv: &Invocation,
        lang: Option<&Locale>,
    ) -> Result<(), CommandError> {
        for (name, value) in &inv.options {
            let Some(def) = self.find_option(name) else {
                let known = self
                    .options
                    .iter()
                    .map(|o| format!("`{}`", o.name))
                    .collect::<Vec<_>>();
                let name = echo::code(name);
                let mut args = vec![("command", shown), ("name", name.as_str())];
                let joined = known.join(", ");
                let key = if known.is_empty() {
                    "error.no_option_none"
                } else {
                    args.push(("options", &joined));
                    "error.no_option"
                };
                return Err(CommandError::user(say(lang, key, &args)));
            };
            if !kind_matches(def.kind, value) {
                return Err(CommandError::user(say(
                    lang,
                    "error.option_type",
                    &[
                        ("option", name),
                        ("command", shown),
                        ("kind", &kind_name(lang, def.kind)),
                        ("value", &echo::code(&value.to_string())),
                    ],
                )));
            }
        }
        match self
            .options
            .iter()
            .find(|o| o.required && inv.option(&o.name).is_none())
        {
            Some(missing) => Err(CommandError::user(say(
                lang,
                "error.option_missing",
                &[
                    ("command", shown),
                    ("option", &missing.name),
                    (
                        "description",
                        language::described(
                            &missing.description,
                            &missing.description_localizations,
                            lang,
                        ),
                    ),
                ],
            ))),
            None => Ok(()),
        }
    }

    /// Every option name of this command and its subcommands, sorted and unique (for
    /// splitting a typed line before the subcommand is known).
    pub fn all_option_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .options
            .iter()
            .chain(self.subcommands.iter().flat_map(|s| s.options.iter()))
            .map(|o| o.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// A string option of a built-in (builder helper).
pub fn string_option(name: &str, description: &str, required: bool) -> OptionDef {
    OptionDef {
        name: name.to_owned(),
        description: description.to_owned(),
        kind: OptionKind::String,
        required,
        choices: Choices::Free,
        autocomplete: false,
        name_localizations: BTreeMap::new(),
        description_localizations: BTreeMap::new(),
    }
}

/// Checks the `hide` and `mention` options of `inv` before a shareable command runs.
pub fn check_sharing(inv: &Invocation, lang: Option<&Locale>) -> Result<(), CommandError> {
    let hidden = matches!(inv.option(HIDE), Some(OptionValue::Boolean(true)));
    if hidden && inv.option(MENTION).is_some() {
        return Err(CommandError::user(say(lang, "error.hide_and_mention", &[])));
    }
    Ok(())
}

/// An option type as readers read it ("integer"), in `lang`.
pub fn kind_name(lang: Option<&Locale>, kind: OptionKind) -> String {
    say(lang, &format!("kind.{}", kind.name()), &[])
}

/// Applies `hide:true` (only the asker sees the answer) or `mention:@someone` (the answer
/// starts with their mention, and they are the only one it may ping) to `reply`.
pub fn share(reply: &mut Reply, inv: &Invocation) {
    if matches!(inv.option(HIDE), Some(OptionValue::Boolean(true))) {
        reply.ephemeral = true;
    }
    if let Some(OptionValue::User(id)) = inv.option(MENTION) {
        if !reply.ephemeral {
            reply.content = format!("<@{id}> {}", reply.content);
            reply.mention = Some(*id);
        }
    }
}

/// Whether `value` has the type `kind` asks for.
pub fn kind_matches(kind: OptionKind, value: &OptionValue) -> bool {
    matches!(
        (kind, value),
        (OptionKind::String, OptionValue::String(_))
            | (OptionKind::Integer, OptionValue::Integer(_))
            | (
                OptionKind::Number,
                OptionValue::Number(_) | OptionValue::Integer(_)
            )
            | (OptionKind::Boolean, OptionValue::Boolean(_))
            | (OptionKind::User, OptionValue::User(_))
            | (OptionKind::Role, OptionValue::Role(_))
    )
}

/// The facts an option with topic choices offers.
pub fn topic_facts<'a>(base: &'a FactBase, topic: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
    base.facts
        .iter()
        .filter(move |f| f.topics.iter().any(|t| t == topic))
}

/// The services a process offers handlers besides the fact base. The CLI offers none; `serve`
/// offers the digest's subscriptions.
#[derive(Clone, Default)]
pub struct Services {
    pub subscriptions: Option<Arc<dyn Subscriptions>>,
    /// Where `/ask` counts the questions it could not answer (`record_misses`).
    pub misses: Option<Arc<dyn super::misses::Misses>>,
    /// The change alerts' subscriptions (`/alerts`).
    pub alerts: Option<Arc<dyn super::alerts::Alerts>>,
}

/// What a handler sees.
pub struct Context<'a> {
    pub engine: &'a Engine,
    pub invocation: &'a Invocation,
    pub services: &'a Services,
}

impl Context<'_> {
    /// The fact base.
    pub fn facts(&self) -> &FactBase {
        self.engine.facts()
    }

    /// The clock: the instant this invocation is answered at.
    pub fn now(&self) -> jiff::Timestamp {
        self.invocation.now
    }

    /// The reader's Discord locale, if known.
    pub fn locale(&self) -> Option<&str> {
        self.invocation.locale.as_deref()
    }

    /// The shipped locale the answer is written in (`None`: English); see
    /// [`Engine::language`].
    pub fn language(&self) -> Option<&crate::facts::Locale> {
        self.engine.language(self.invocation)
    }

    /// The reader's own shipped locale (`None`: English): what errors, refusals and apologies
    /// are written in; see [`Engine::reader_language`].
    pub fn reader_language(&self) -> Option<&crate::facts::Locale> {
        self.engine.reader_language(self.invocation)
    }

    /// Where now stands relative to the event, for this reader.
    pub fn moment(&self) -> Moment {
        self.engine.moment(self.now(), self.locale())
    }
}

/// Suggestions for the focused option of `command`: choices whose name, value or alias contains
/// what the reader typed, or nearly (typos allowed), names that start with it first, at most 25.
/// Facts are named in the reader's language; their English titles match too.
pub fn autocomplete(
    engine: &Engine,
    command: &Command,
    inv: &Invocation,
) -> Vec<AutocompleteChoice> {
    let leaf = command.leaf(inv, None).unwrap_or(command);
    let Some(option) = inv.focused.as_deref().and_then(|f| leaf.find_option(f)) else {
        return Vec::new();
    };
    let typed = inv
        .option_text(&option.name)
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let lang = engine.language(inv);
    let all: Vec<(AutocompleteChoice, Vec<&str>)> = match &option.choices {
        Choices::Free => Vec::new(),
        Choices::Fixed(list) => list
            .iter()
            .map(|c| {
                let choice = AutocompleteChoice {
                    name: c.name.clone(),
                    value: c.value.clone(),
                };
                (choice, Vec::new())
            })
            .collect(),
        Choices::Topic(topic) => topic_facts(engine.facts(), topic)
            .map(|f| {
                let choice = AutocompleteChoice {
                    name: super::language::title(f, lang).to_owned(),
                    value: f.id.clone(),
                };
                let words = std::iter::once(f.title.as_str())
                    .chain(f.aliases.iter().map(String::as_str))
                    .collect();
                (choice, words)
            })
            .collect(),
    };
    // Readers misspell what they are looking for ("davids slnig", "iron dom"): a near miss of
    // a name, value or alias matches too.
    let matches = |c: &AutocompleteChoice, aliases: &[&str]| {
        search::could_start(&typed, &c.name)
            || search::could_start(&typed, &c.value)
            || aliases.iter().any(|a| search::could_start(&typed, a))
    };
    let (mut first, rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .filter(|(c, aliases)| matches(c, aliases))
        .map(|(c, _)| c)
        .partition(|c| c.name.to_lowercase().starts_with(&typed));
    first.extend(rest);
    first.truncate(MAX_CHOICES);
    first
}
