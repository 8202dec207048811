//! The on-disk shape of `facts.toml`, exactly as an editor writes it.
//!
//! Every struct denies unknown fields so a typo (`certainity = …`) is an error, not a silently
//! ignored line. Values are kept as [`Spanned`] strings so the validator can point at the exact
//! line and column of a bad value; nothing here interprets a value — that is `validate.rs`'s job.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A spanned string: the value plus its byte range in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub event: Spanned<RawEvent>,
    #[serde(default)]
    pub sources: Vec<Spanned<RawSource>>,
    #[serde(default)]
    pub facts: Vec<Spanned<RawFact>>,
    #[serde(default)]
    pub commands: Vec<Spanned<RawCommand>>,
    #[serde(default)]
    pub updates: Vec<Spanned<RawUpdate>>,
    pub digest: Option<Spanned<RawDigest>>,
    /// Reader words and phrases for `/ask`, each leading to words the facts use.
    #[serde(default)]
    pub synonyms: Vec<Spanned<RawSynonym>>,
    #[serde(default)]
    pub questions: Vec<Spanned<RawQuestion>>,
    /// Languages shipped besides English, by translation key (`hi`, `en-GB`, `es`).
    #[serde(default)]
    pub locales: BTreeMap<String, Spanned<RawLocale>>,
}

/// `[locales.<code>]`: what a language needs besides the translations beside each fact.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocale {
    /// Certainty name → the words that carry its hedge in this language.
    #[serde(default)]
    pub hedges: BTreeMap<String, Spanned<Vec<Text>>>,
    /// Group → key → the fixed word's translation (`ask.intro`, `certainty.expected`).
    #[serde(default)]
    pub words: BTreeMap<String, BTreeMap<String, Text>>,
    /// January to December.
    pub months: Option<Spanned<Vec<Text>>>,
    /// Monday to Sunday.
    pub weekdays: Option<Spanned<Vec<Text>>>,
    /// Built-in command or option path (`ask`, `digest subscribe time`, `hide`) → description.
    #[serde(default)]
    pub descriptions: BTreeMap<String, Text>,
}

/// `[event.translations.<code>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventText {
    pub name: Text,
    pub summary: Text,
}

/// `[facts.translations.<code>]`: no quote — a quote stays in its source's language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFactText {
    pub title: Text,
    pub text: Text,
}

/// `[updates.translations.<code>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpdateText {
    pub text: Text,
}

/// `[commands.translations.<code>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommandText {
    pub description: Option<Text>,
    pub template: Text,
    pub embed: Option<Spanned<RawEmbedText>>,
}

/// The embed parts of a command translation (the colour is not translated).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmbedText {
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub footer: Option<Text>,
    pub fields: Option<Text>,
}

/// A question as readers type it, and what `/ask` must answer it with; `factdesk check` asks
/// each one and fails on a miss.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub ask: Text,
    /// Fact ids the answer must include.
    #[serde(default)]
    pub answers: Vec<Text>,
    /// True when nothing in the fact base should answer it ("not covered").
    #[serde(default)]
    pub none: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSynonym {
    /// What readers type: words or phrases, in any script (`pact`, `kitne din`, `समझौता`).
    pub words: Vec<Text>,
    /// The fact base's own words they stand for (`mou`, `length`).
    pub means: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub name: Text,
    pub time_zone: Text,
    pub start: Text,
    pub end: Text,
    pub summary: Text,
    /// Locale code → IANA time zone of readers using that locale (`hi = "Asia/Kolkata"`).
    #[serde(default)]
    pub reader_time_zones: BTreeMap<String, Text>,
    #[serde(default)]
    pub translations: BTreeMap<String, Spanned<RawEventText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: Text,
    pub title: Text,
    pub publisher: Option<Text>,
    pub date: Option<Text>,
    pub url: Option<Text>,
    /// Local copy of the source text, relative to the fact base, used to verify quotes.
    pub file: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFact {
    pub id: Text,
    pub title: Text,
    pub text: Text,
    pub source: Text,
    pub quote: Text,
    pub certainty: Text,
    #[serde(default)]
    pub topics: Vec<Text>,
    #[serde(default)]
    pub aliases: Vec<Text>,
    #[serde(default)]
    pub translations: BTreeMap<String, Spanned<RawFactText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpdate {
    /// What alerts and supersessions call it; generated from time and source when absent.
    pub id: Option<Text>,
    pub time: Text,
    pub text: Text,
    pub source: Text,
    pub quote: Text,
    pub certainty: Text,
    #[serde(default)]
    pub translations: BTreeMap<String, Spanned<RawUpdateText>>,
    /// The id of the fact this update replaces in replies.
    pub supersedes: Option<Text>,
    /// Set when editors withdraw the update: it stays on file, replies stop using it.
    pub retracted: Option<Spanned<RawRetraction>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetraction {
    pub time: Text,
    pub reason: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommand {
    pub name: Text,
    pub description: Text,
    pub template: Text,
    pub embed: Option<Spanned<RawEmbed>>,
    #[serde(default)]
    pub ephemeral: bool,
    #[serde(default)]
    pub options: Vec<Spanned<RawOption>>,
    #[serde(default)]
    pub name_localizations: BTreeMap<String, Text>,
    #[serde(default)]
    pub description_localizations: BTreeMap<String, Text>,
    #[serde(default)]
    pub translations: BTreeMap<String, Spanned<RawCommandText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmbed {
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub footer: Option<Text>,
    /// Rendered into fields: blocks separated by a blank line, each a name line and a value.
    pub fields: Option<Text>,
    pub color: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub name: Text,
    pub description: Text,
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub choices: Vec<Spanned<RawChoice>>,
    /// Offer the facts with this topic as the option's values (name = title, value = id).
    pub choices_topic: Option<Text>,
    /// Offer the values through autocomplete instead of a fixed choice list.
    #[serde(default)]
    pub autocomplete: bool,
    #[serde(default)]
    pub name_localizations: BTreeMap<String, Text>,
    #[serde(default)]
    pub description_localizations: BTreeMap<String, Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub name: Text,
    pub value: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    pub template: Text,
    /// When set, the digest is an embed: this is its title and `template` its description.
    pub title: Option<Text>,
    /// The days around the event in which digests are posted.
    pub window: Option<Spanned<RawWindow>>,
    /// Locale code → the digest in that language (`[digest.translations.<code>]`).
    #[serde(default)]
    pub translations: BTreeMap<String, Spanned<RawDigestText>>,
}

/// `[digest.translations.<code>]`: the digest's templates in that language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigestText {
    pub template: Text,
    /// Only where the English digest has a title (an embed).
    pub title: Option<Text>,
}

/// `[digest] window = { before_days = N, after_days = M }`: from N days before the event's start
/// to M days after its end; a side left out has no bound.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub before_days: Option<Spanned<i64>>,
    pub after_days: Option<Spanned<i64>>,
}
