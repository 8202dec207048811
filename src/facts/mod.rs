//! The fact base: what the bot knows about one event, and where each piece of it comes from.
//!
//! [`load`] reads `facts.toml`, checks it against the schema (`schema.rs`) and the rules of
//! content and of Discord (`validate.rs`), and returns an immutable [`FactBase`] — or every
//! problem found, each with file, line and column (`diagnostic.rs`). This module knows nothing
//! about templates being rendered, transports or time passing; the engine builds on it.

mod diagnostic;
pub mod locale;
mod schema;
mod validate;
pub mod window;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use diagnostic::{line_col, Diagnostic, LoadError};
pub use locale::Locale;
pub use validate::generated_id as update_id;
pub use window::DigestWindow;

/// How sure the source is of a fact. Drives the hedge a reply must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    Scheduled,
    Expected,
    Likely,
    /// "may", "could": weaker than likely.
    Possible,
    Reported,
    UnderConsideration,
    Confirmed,
}

impl Certainty {
    /// Every certainty, in the order the docs list them.
    pub const ALL: [Certainty; 7] = [
        Certainty::Scheduled,
        Certainty::Expected,
        Certainty::Likely,
        Certainty::Possible,
        Certainty::Reported,
        Certainty::UnderConsideration,
        Certainty::Confirmed,
    ];

    /// The name used in `facts.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Certainty::Scheduled => "scheduled",
            Certainty::Expected => "expected",
            Certainty::Likely => "likely",
            Certainty::Possible => "possible",
            Certainty::Reported => "reported",
            Certainty::UnderConsideration => "under_consideration",
            Certainty::Confirmed => "confirmed",
        }
    }

    /// A short label readers see next to a fact.
    pub fn label(self) -> &'static str {
        match self {
            Certainty::Scheduled => "scheduled",
            Certainty::Expected => "expected",
            Certainty::Likely => "likely",
            Certainty::Possible => "possible",
            Certainty::Reported => "reported",
            Certainty::UnderConsideration => "under consideration",
            Certainty::Confirmed => "confirmed",
        }
    }

    /// Words of which a fact's text must contain at least one, so the hedge survives into every
    /// reply. `confirmed` needs none.
    pub fn hedge_words(self) -> &'static [&'static str] {
        match self {
            Certainty::Scheduled => &["scheduled", "planned", "plans", "aims", "set to"],
            Certainty::Expected => &["expected", "poised", "preparing"],
            Certainty::Likely => &["likely"],
            Certainty::Possible => &["may", "could", "might", "possible"],
            Certainty::Reported => &[
                "reported",
                "reports",
                "described",
                "seen as",
                "according to",
                "officials",
                "indications",
                "cited",
            ],
            Certainty::UnderConsideration => &[
                "considering",
                "evaluating",
                "under consideration",
                "exploring",
            ],
            Certainty::Confirmed => &[],
        }
    }

    /// Whether the source must say the hedge itself: for these certainties the quote has to
    /// contain one of the hedge words too, so the label cannot be stronger than the source.
    /// (`reported` facts are the source's own statements; `scheduled` ones are often phrased
    /// as plain future, "the two-day visit".)
    pub fn quote_must_hedge(self) -> bool {
        matches!(
            self,
            Certainty::Expected
                | Certainty::Likely
                | Certainty::Possible
                | Certainty::UnderConsideration
        )
    }

    /// Parses the `facts.toml` name.
    pub fn parse(name: &str) -> Option<Certainty> {
        Certainty::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The event the fact base is about.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    /// IANA name of the event's time zone, e.g. `Asia/Jerusalem`.
    pub time_zone_name: String,
    pub time_zone: jiff::tz::TimeZone,
    pub start: jiff::civil::Date,
    pub end: jiff::civil::Date,
    pub summary: String,
    /// Locale code → (IANA name, zone) of readers using that locale.
    pub reader_time_zones: BTreeMap<String, (String, jiff::tz::TimeZone)>,
    /// Locale code → the event's name and summary in that language.
    pub translations: BTreeMap<String, EventText>,
}

/// The event's name and summary in one language.
#[derive(Debug, Clone)]
pub struct EventText {
    pub name: String,
    pub summary: String,
}

/// Where facts come from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
}

/// One sentence the bot may say, with the quote it rests on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fact {
    pub id: String,
    pub title: String,
    pub text: String,
    pub source: String,
    pub quote: String,
    pub certainty: Certainty,
    pub topics: Vec<String>,
    pub aliases: Vec<String>,
    /// Locale code → the title and text in that language (the quote is never translated).
    pub translations: BTreeMap<String, FactText>,
}

/// A fact's title and text in one language.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FactText {
    pub title: String,
    pub text: String,
}

/// A dated entry editors append as the event unfolds.
#[derive(Debug, Clone)]
pub struct Update {
    /// Unique among updates: as written, or generated from the date and source
    /// (`2026-02-26-visit-article`, then `…-2`).
    pub id: String,
    pub time: jiff::Timestamp,
    pub text: String,
    pub source: String,
    pub quote: String,
    pub certainty: Certainty,
    /// Locale code → the text in that language.
    pub translations: BTreeMap<String, String>,
    /// The id of the fact it replaces in replies (while it is not retracted).
    pub supersedes: Option<String>,
    /// When and why editors withdrew it; replies no longer use it.
    pub retracted: Option<Retraction>,
    /// Its place among the file's `[[updates]]` entries (updates are kept oldest first).
    pub entry: usize,
}

/// An update's withdrawal.
#[derive(Debug, Clone)]
pub struct Retraction {
    pub time: jiff::Timestamp,
    pub reason: String,
}

/// A template with where it sits in the file, so errors inside it point into `facts.toml`.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub text: String,
    /// Byte span of the TOML string value holding the template.
    pub span: Range<usize>,
    /// Schema path, e.g. `commands[dates].template`.
    pub field: String,
}

/// The value type of a command option, as Discord knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
    Number,
    Boolean,
    /// A Discord user (the built-in `mention` option).
    User,
    /// A Discord role (`/alerts subscribe role`).
    Role,
}

impl OptionKind {
    /// Discord's `ApplicationCommandOptionType` number.
    pub fn discord_type(self) -> u8 {
        match self {
            OptionKind::String => 3,
            OptionKind::Integer => 4,
            OptionKind::Boolean => 5,
            OptionKind::User => 6,
            OptionKind::Role => 8,
            OptionKind::Number => 10,
        }
    }

    /// The name used in `facts.toml`.
    pub fn name(self) -> &'static str {
        match self {
            OptionKind::String => "string",
            OptionKind::Integer => "integer",
            OptionKind::Number => "number",
            OptionKind::Boolean => "boolean",
            OptionKind::User => "user",
            OptionKind::Role => "role",
        }
    }
}

/// A fixed value an option may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

/// Where an option's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choices {
    /// Any value of the option's type.
    Free,
    /// One of a fixed list.
    Fixed(Vec<Choice>),
    /// One of the facts with this topic (name = title, value = id).
    Topic(String),
}

/// One option of a declared command.
#[derive(Debug, Clone)]
pub struct OptionDef {
    pub name: String,
    pub description: String,
    pub kind: OptionKind,
    pub required: bool,
    pub choices: Choices,
    pub autocomplete: bool,
    pub name_localizations: BTreeMap<String, String>,
    pub description_localizations: BTreeMap<String, String>,
}

/// An embed whose parts are templates.
#[derive(Debug, Clone)]
pub struct EmbedDef {
    pub title: Option<TemplateSource>,
    pub description: Option<TemplateSource>,
    pub footer: Option<TemplateSource>,
    /// Renders the embed's fields: blocks separated by a blank line, each block a name line
    /// followed by the value's lines.
    pub fields: Option<TemplateSource>,
    pub color: Option<u32>,
}

/// A command declared in the fact base.
#[derive(Debug, Clone)]
pub struct CommandDef {
    pub name: String,
    pub description: String,
    pub options: Vec<OptionDef>,
    pub template: TemplateSource,
    pub embed: Option<EmbedDef>,
    pub ephemeral: bool,
    pub name_localizations: BTreeMap<String, String>,
    pub description_localizations: BTreeMap<String, String>,
    /// Locale code → the description, template and embed in that language.
    pub translations: BTreeMap<String, CommandText>,
    /// Byte span of the `name` value, for errors about the name.
    pub name_span: Range<usize>,
    /// Byte span of the whole `[[commands]]` table, for errors about the command as a whole.
    pub span: Range<usize>,
}

/// A declared command in one language: what readers see of it. Embed parts not translated
/// fall back to the English ones.
#[derive(Debug, Clone)]
pub struct CommandText {
    pub description: Option<String>,
    pub template: TemplateSource,
    pub embed_title: Option<TemplateSource>,
    pub embed_description: Option<TemplateSource>,
    pub embed_footer: Option<TemplateSource>,
    pub embed_fields: Option<TemplateSource>,
}

impl CommandDef {
    /// The reply template in language `code` (its translation, else the English one).
    pub fn template_in(&self, code: Option<&str>) -> &TemplateSource {
        code.and_then(|c| self.translations.get(c))
            .map_or(&self.template, |t| &t.template)
    }

    /// Embed part `part` (`title`, `description`, `footer` or `fields`) in language `code`: its
    /// translation, else the English part; `None` when the command's embed has no such part.
    pub fn embed_part_in(&self, code: Option<&str>, part: &str) -> Option<&TemplateSource> {
        let embed = self.embed.as_ref()?;
        let translated = code.and_then(|c| self.translations.get(c));
        let (english, translated) = match part {
            "title" => (
                &embed.title,
                translated.and_then(|t| t.embed_title.as_ref()),
            ),
            "description" => (
                &embed.description,
                translated.and_then(|t| t.embed_description.as_ref()),
            ),
            "footer" => (
                &embed.footer,
                translated.and_then(|t| t.embed_footer.as_ref()),
            ),
            "fields" => (
                &embed.fields,
                translated.and_then(|t| t.embed_fields.as_ref()),
            ),
            _ => return None,
        };
        english.as_ref().map(|e| translated.unwrap_or(e))
    }
}

/// A validated, immutable fact base.
#[derive(Debug, Clone)]
pub struct FactBase {
    /// Where it was loaded from (used in error messages).
    pub path: PathBuf,
    /// The file's text, kept so later stages (template compilation) can report file:line:col.
    pub text: String,
    pub event: Event,
    pub sources: Vec<Source>,
    pub facts: Vec<Fact>,
    pub commands: Vec<CommandDef>,
    pub updates: Vec<Update>,
    /// The digest template, if the fact base defines one.
    pub digest_template: Option<TemplateSource>,
    /// The digest embed's title template: when set, the digest is posted as an embed.
    pub digest_title: Option<TemplateSource>,
    /// The days around the event in which digests are posted (`[digest] window`).
    pub digest_window: DigestWindow,
    /// Locale code → the digest's templates in that language (`[digest.translations.<code>]`).
    pub digest_translations: BTreeMap<String, DigestText>,
    /// The editors' `/ask` vocabulary: reader words and phrases → the fact base's words.
    pub synonyms: Vec<Synonym>,
    /// Questions `/ask` must answer as written (see [`Question`]).
    pub questions: Vec<Question>,
    /// The languages shipped besides English (`[locales.<code>]`), in file order.
    pub locales: Vec<Locale>,
    /// What `check` reports without failing: a fact, update or command a shipped locale does
    /// not translate (readers of that locale get it in English), fixed words said in English.
    pub warnings: Vec<Diagnostic>,
}

/// An expected question: `/ask ask` must cite every fact in `answers`, or, when `answers` is
/// empty, say that its sources do not cover it.
#[derive(Debug, Clone)]
pub struct Question {
    pub ask: String,
    pub answers: Vec<String>,
    /// Byte span of the `[[questions]]` entry, for reporting a miss.
    pub span: Range<usize>,
}

/// One `[[synonyms]]` entry. Whether `means` leads to words the facts use is checked when the
/// `/ask` index is built (it needs the index's tokenizer), with `span` for the report.
#[derive(Debug, Clone)]
pub struct Synonym {
    pub words: Vec<String>,
    pub means: String,
    /// Where `means` is written, and its schema path (`synonyms[3].means`).
    pub span: Range<usize>,
    pub field: String,
}

/// The digest in one language: its template, and its title where the English digest has one
/// (an untranslated title falls back to the English one).
#[derive(Debug, Clone)]
pub struct DigestText {
    pub template: TemplateSource,
    pub title: Option<TemplateSource>,
}

impl FactBase {
    /// The digest template in language `code` (its translation, else the English one).
    pub fn digest_template_in(&self, code: Option<&str>) -> Option<&TemplateSource> {
        let english = self.digest_template.as_ref()?;
        Some(
            code.and_then(|c| self.digest_translations.get(c))
                .map_or(english, |t| &t.template),
        )
    }

    /// The digest's title template in language `code` (its translation, else the English one);
    /// `None` when the digest has no title.
    pub fn digest_title_in(&self, code: Option<&str>) -> Option<&TemplateSource> {
        let english = self.digest_title.as_ref()?;
        Some(
            code.and_then(|c| self.digest_translations.get(c))
                .and_then(|t| t.title.as_ref())
                .unwrap_or(english),
        )
    }

    /// The fact with this id.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The declared command with this name.
    pub fn command(&self, name: &str) -> Option<&CommandDef> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// Builds a [`LoadError`] pointing into this fact base's file.
    pub fn error(&self, diagnostics: Vec<Diagnostic>) -> LoadError {
        LoadError::Invalid {
            path: self.path.clone(),
            text: self.text.clone(),
            diagnostics,
        }
    }
}

/// Reads and validates the fact base at `path`. Source files named by `[[sources]].file` are
/// resolved relative to the fact base's directory.
pub fn load(path: &Path) -> Result<FactBase, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.into(),
        source,
    })?;
    parse_bytes(&bytes, path)
}

/// Validates a fact base held in memory; `path` is used for messages and to find source files.
pub fn parse_bytes(bytes: &[u8], path: &Path) -> Result<FactBase, LoadError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = e.valid_up_to();
            let diagnostic =
                Diagnostic::new(at..at + 1, "file", "the file is not valid UTF-8 text").help(
                    "facts.toml must be UTF-8 text; was a binary file saved under this name?",
                );
            return Err(LoadError::Invalid {
                path: path.into(),
                text,
                diagnostics: vec![diagnostic],
            });
        }
    };
    validate::validate(text, path)
}
