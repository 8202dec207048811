//! The languages a fact base ships besides English, as editors declare them in
//! `[locales.<code>]`: the hedge words of each certainty in that language (so `check` can refuse
//! a translation that drops its hedge), the fixed words of replies, the names of months and
//! weekdays, and the descriptions of the built-in commands.
//!
//! This module holds the data and the list of fixed words with their English text; validation
//! is `validate/translations.rs`, and choosing a language for a reply is the engine's job. A
//! quote is never translated: it stays in its source's language.

use std::collections::HashMap;
use std::ops::Range;

use super::validate::DISCORD_LOCALES;
use super::Certainty;

/// The fixed words of replies, by key, with their English text. A translation of a key must use
/// exactly the `{placeholders}` its English text uses; a key a locale does not translate is
/// said in English.
pub const WORDS: &[(&str, &str)] = &[
    // What the bot posts in channels: digests and alerts.
    (
        "alert.header",
        "**{event}: what my sources say has changed** ({time})",
    ),
    ("alert.new", "• New: {text} ({certainty}; source: {source})"),
    (
        "alert.withdrawn",
        "• Correction: the update of {date} was withdrawn: {reason}",
    ),
    (
        "alert.recertified",
        "• Now {to} (was {from}): {text} (source: {source})",
    ),
    ("post.sources", "_Sources: {links}_"),
    (
        "post.sources_none",
        "_Sources: ask me `/sources` for the quotes behind every fact._",
    ),
    ("post.language", "Digests here are posted in {language}."),
    ("post.language_name", "English"),
    ("ask.intro", "Here is what my sources say about “{question}”:"),
    (
        "ask.intro_since",
        "Here is what my sources, written before the visit, say about “{question}”:",
    ),
    ("ask.fact", "• {text} ({certainty}; source: {source})"),
    ("ask.more", "…and {n} more: ask about one part at a time."),
    ("ask.unmentioned", "My sources don't mention {names}."),
    ("ask.list_or", "{init} or {last}"),
    (
        "ask.not_covered",
        "My fact base does not cover “{question}”. It only holds what its sources say about {event}. Try {commands} or `/help`.",
    ),
    (
        "ask.not_covered_names",
        "{unmentioned} They only cover {event}. Try {commands} or `/help`.",
    ),
    ("ask.about_message", "About [this message]({link}):"),
    ("certainty.scheduled", "scheduled"),
    ("certainty.expected", "expected"),
    ("certainty.likely", "likely"),
    ("certainty.possible", "possible"),
    ("certainty.reported", "reported"),
    ("certainty.under_consideration", "under consideration"),
    ("certainty.confirmed", "confirmed"),
    ("days.one", "1 day"),
    ("days.many", "{n} days"),
    (
        "help.intro",
        "I answer questions about **{event}** from a sourced fact base.",
    ),
    (
        "help.message_command",
        "**{name}** (in any message's Apps menu) — asks me about that message",
    ),
    (
        "help.outro",
        "Answers that show facts have a **Source** button with the exact quotes. Public answers also take `{hide}:true` (only you see it) or `{mention}:@someone` (points it at them).",
    ),
    ("source.label", "Source"),
    ("source.intro", "Where this answer comes from:"),
    ("source.title", "Sources"),
    ("source.changed", "Changed since this answer — now: {name}"),
    ("source.update", "Update of {date}"),
    (
        "source.superseded",
        "{certainty}; superseded by the update of {date}",
    ),
    ("source.withdrawn", "{certainty}; withdrawn on {date}: {reason}"),
    ("status.per", "per {source}"),
    ("status.before", "before the visit: {certainty}"),
    ("status.earlier", "{date}: {certainty}"),
    (
        "status.stale",
        "{certainty} before the visit; my sources do not say whether it happened",
    ),
    ("status.withdrawn", "an update of {date} was withdrawn"),
    (
        "source.changed_one",
        "One fact in that answer has changed since it was given: below is what my sources say now. Ask again for the current answer.",
    ),
    (
        "source.changed_many",
        "{n} facts in that answer have changed since it was given: below is what my sources say now. Ask again for the current answer.",
    ),
    (
        "source.gone_one",
        "One fact in that answer is no longer in my fact base (removed or corrected since). Ask again for the current answer.",
    ),
    (
        "source.gone_many",
        "{n} facts in that answer are no longer in my fact base (removed or corrected since). Ask again for the current answer.",
    ),
    (
        "source.more",
        "That answer showed more facts than one button can carry; here are the first. `/sources` lists every source.",
    ),
    (
        "sources.intro",
        "Every fact I give rests on a quote from one of these sources:",
    ),
    ("sources.facts_one", "{n} fact"),
    ("sources.facts_many", "{n} facts"),
    // Replies about the bot itself: errors, cooldowns, digest and alert settings.
    (
        "error.unknown_command",
        "I don't know the command {command}. Commands I answer: {commands}. Try `/help`.",
    ),
    (
        "error.unknown_command_guess",
        "I don't know the command {command}. Did you mean `/{guess}`? Commands I answer: {commands}. Try `/help`.",
    ),
    (
        "error.needs_subcommand",
        "`/{command}` needs a subcommand: {subcommands}.",
    ),
    (
        "error.no_subcommand",
        "`/{command}` has no subcommand {name}. Use one of: {subcommands}.",
    ),
    (
        "error.no_option",
        "`/{command}` has no option {name}; it takes options {options}.",
    ),
    (
        "error.no_option_none",
        "`/{command}` has no option {name}; it takes no options.",
    ),
    (
        "error.option_type",
        "Option `{option}` of `/{command}` takes a {kind}, not {value}.",
    ),
    (
        "error.option_missing",
        "`/{command}` needs the option `{option}` ({description}).",
    ),
    (
        "error.hide_and_mention",
        "`hide` and `mention` do not go together: a hidden answer cannot point at anyone. Use one of them.",
    ),
    (
        "error.type_command",
        "Type a command, e.g. `/dates` or `/ask question: is a deal expected`.",
    ),
    ("error.option_twice", "The option `{option}` is given twice."),
    (
        "error.not_understood",
        "I did not understand {text}: write options as name:value ({options}).",
    ),
    (
        "error.not_understood_none",
        "I did not understand {text}: `/{command}` takes no options.",
    ),
    (
        "error.typed_option",
        "The option `{option}` takes a {kind}, not {value}.",
    ),
    (
        "error.not_a_choice",
        "{value} is not a choice for `{option}`. Choose one of: {choices}.",
    ),
    (
        "error.not_a_choice_guess",
        "{value} is not a choice for `{option}`. Did you mean {guess}? Choose one of: {choices}.",
    ),
    (
        "error.no_facts_about",
        "I have no facts about {value}. Choose one of: {choices}.",
    ),
    (
        "error.no_facts_about_guess",
        "I have no facts about {value}. Did you mean {guess}? Choose one of: {choices}.",
    ),
    (
        "error.ask_on_message",
        "Use “Ask factdesk” from a message's Apps menu: it asks about that message.",
    ),
    (
        "error.message_no_text",
        "That message has no text I can ask about (an image or an embed only?). Try `/ask` with your question.",
    ),
    (
        "error.unknown_button",
        "I don't recognise that button: it may come from an older version of the bot. Ask again to get a fresh answer.",
    ),
    (
        "error.unreadable_source",
        "I cannot read that Source button: it may come from an older version of the bot. Ask again, or see `/sources`.",
    ),
    ("kind.string", "string"),
    ("kind.integer", "integer"),
    ("kind.number", "number"),
    ("kind.boolean", "boolean"),
    ("kind.user", "user"),
    ("kind.role", "role"),
    ("sorry.command", "Sorry, I could not answer `/{command}`."),
    ("sorry.declared", "Sorry, I could not answer that command."),
    (
        "sorry.template",
        "Sorry, I could not build the reply to `/{command}`. The bot's editors need to fix its template.",
    ),
    (
        "sorry.failed",
        "Sorry, I could not answer just now. Please try again.",
    ),
    (
        "sorry.needs_serve",
        "Sorry, that command needs the running bot (`factdesk serve`).",
    ),
    (
        "cooldown.repeat",
        "This was answered in this channel a moment ago: {link}",
    ),
    (
        "cooldown.repeat_above",
        "This was answered in this channel a moment ago — see the answer just above.",
    ),
    (
        "cooldown.slow_down",
        "That is more than I answer one member in a minute ({n} commands). You can ask again {when}.",
    ),
    ("settings.configured", "set in the bot's configuration"),
    (
        "settings.paused",
        "**Paused**: {reason}. Fix the cause, then subscribe again to resume.",
    ),
    (
        "settings.not_published",
        "**Not published to following servers**: {reason}. Grant me **Send Messages** and **Manage Messages** in this announcement channel; the next post is published again.",
    ),
    (
        "digest_settings.no_channel",
        "Digest subscriptions belong to a Discord channel: use `/digest` there, or list the channel in factdesk.toml.",
    ),
    (
        "digest_settings.manage_only",
        "Sorry — only members with the **Manage Server** permission can change this channel's digest. You can still use `/digest status` and `/digest preview`.",
    ),
    (
        "digest_settings.cannot_post",
        "I cannot post the digest in this channel: grant me **{permissions}** here (channel settings → Permissions), then subscribe again.",
    ),
    (
        "digest_settings.needs_serve",
        "Digest subscriptions need the running bot (`factdesk serve`) with its database.",
    ),
    (
        "digest_settings.unavailable",
        "Sorry — the digest's database is unavailable right now. Please try again later.",
    ),
    (
        "digest_settings.bad_time",
        "{time} is not a time of day. Use HH:MM on a 24-hour clock, e.g. `08:00` or `18:30`.",
    ),
    (
        "digest_settings.bad_zone",
        "{zone} is not a time zone I know. Use an IANA name such as `Asia/Kolkata`, `Asia/Jerusalem` or `Europe/London`.",
    ),
    (
        "digest_settings.subscribed",
        "Subscribed: this channel gets the {schedule}. {next}",
    ),
    ("digest_settings.next_due", "The next one is due {due}."),
    ("digest_settings.daily", "daily digest at {time} ({zone})"),
    (
        "digest_settings.updates",
        "digest at {time} ({zone}) on days with new updates",
    ),
    (
        "digest_settings.unsubscribed",
        "Unsubscribed: this channel will get no more daily digests.",
    ),
    (
        "digest_settings.not_subscribed",
        "This channel had no digest subscription.",
    ),
    (
        "digest_settings.configured",
        "This channel's digest is set in the bot's configuration file, so it cannot be stopped from Discord. Ask the bot's operator to remove it there.",
    ),
    (
        "digest_settings.none",
        "This channel has no daily digest. Someone with Manage Server can start one with `/digest subscribe time:08:00 timezone:Asia/Kolkata`.",
    ),
    (
        "digest_settings.status_daily",
        "Daily digest at {time} ({zone}){origin}.",
    ),
    (
        "digest_settings.status_updates",
        "Digest at {time} ({zone}) on days with new updates{origin}.",
    ),
    (
        "digest_settings.starts",
        "Digests start on {date} ({days} before the event): the first is due {due}.",
    ),
    (
        "digest_settings.stopped",
        "**No more digests**: they stopped after {date}, {days} after the event ended (the fact base's digest window). Nothing is posted here any more.",
    ),
    ("digest_settings.next", "Next digest: {due}."),
    (
        "digest_settings.next_updates",
        "Next digest: {due}, if there are new updates by then (on other days nothing is posted).",
    ),
    (
        "digest_settings.last",
        "Last delivered: the digest of {date} (message {message}).",
    ),
    (
        "digest_settings.last_as_of",
        "Last delivered: the digest of {date}, as of {time} (message {message}).",
    ),
    ("digest_settings.none_yet", "No digest delivered yet."),
    ("digest_settings.skipped", "Skipped {date}: {reason}."),
    ("digest_settings.history", "Delivery history (last {n})"),
    ("digest_settings.outcome_delivered", "delivered"),
    ("digest_settings.outcome_skipped", "skipped"),
    ("digest_settings.outcome_paused", "paused"),
    ("digest_settings.outcome_failed", "failed"),
    ("digest_settings.history_message", "message {message}"),
    ("digest_settings.history_attempts", "{n} attempts"),
    (
        "alert_settings.no_channel",
        "Alert subscriptions belong to a Discord channel: use `/alerts` there, or list the channel in factdesk.toml.",
    ),
    (
        "alert_settings.manage_only",
        "Sorry — only members with the **Manage Server** permission can change this channel's alerts. You can still use `/alerts status`.",
    ),
    (
        "alert_settings.cannot_post",
        "I cannot post alerts in this channel: grant me **{permissions}** here (channel settings → Permissions), then subscribe again.",
    ),
    (
        "alert_settings.needs_serve",
        "Alerts need the running bot (`factdesk serve`) with its database.",
    ),
    (
        "alert_settings.unavailable",
        "Sorry — the alerts' database is unavailable right now. Please try again later.",
    ),
    (
        "alert_settings.subscribed",
        "Subscribed: this channel gets an alert within a minute whenever the editors add an update, withdraw one or change a certainty.",
    ),
    (
        "alert_settings.subscribed_role",
        "Subscribed: this channel gets an alert, mentioning {role}, within a minute whenever the editors add an update, withdraw one or change a certainty.",
    ),
    (
        "alert_settings.unsubscribed",
        "Unsubscribed: this channel will get no more alerts.",
    ),
    (
        "alert_settings.not_subscribed",
        "This channel had no alert subscription.",
    ),
    (
        "alert_settings.configured",
        "This channel's alerts are set in the bot's configuration file, so they cannot be stopped from Discord. Ask the bot's operator to remove them there.",
    ),
    (
        "alert_settings.none",
        "This channel gets no alerts. Someone with Manage Server can start them with `/alerts subscribe` (optionally `role:@role` to mention a role).",
    ),
    ("alert_settings.on", "Alerts on{origin}."),
    ("alert_settings.on_role", "Alerts on, mentioning {role}{origin}."),
    (
        "alert_settings.announcement",
        "This is an announcement channel: each alert is published to the servers following it.",
    ),
    (
        "alert_settings.last",
        "Last alert: {time} (message {message}).",
    ),
    ("alert_settings.none_yet", "No alert posted yet."),
];

/// The English text of fixed word `key`.
pub fn english(key: &str) -> Option<&'static str> {
    // A map, not a scan: an answer looks up several of these, and there are over a hundred.
    static BY_KEY: std::sync::OnceLock<HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    BY_KEY
        .get_or_init(|| WORDS.iter().copied().collect())
        .get(key)
        .copied()
}

/// The `{placeholder}` names in `text`, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// Whether `s` can be a placeholder name: lowercase letters and `_`.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// The Discord locale codes a translation key stands for: the code itself (`hi`, `en-GB`), or
/// every Discord locale of that language (`es` → `es-ES`, `es-419`).
pub fn discord_codes(key: &str) -> Vec<&'static str> {
    DISCORD_LOCALES
        .iter()
        .copied()
        .filter(|code| *code == key || code.split('-').next() == Some(key))
        .collect()
}

/// A language the fact base ships, from `[locales.<code>]`.
#[derive(Debug, Clone)]
pub struct Locale {
    /// The translation key: a Discord locale (`hi`, `en-GB`) or a language (`es`).
    pub code: String,
    /// Per certainty, words of which a translated text must contain one (lowercase).
    pub hedges: HashMap<Certainty, Vec<String>>,
    /// Fixed words of replies by key (see [`WORDS`]).
    pub words: HashMap<String, String>,
    /// January to December, when given.
    pub months: Option<Vec<String>>,
    /// Monday to Sunday, when given.
    pub weekdays: Option<Vec<String>>,
    /// Descriptions of the built-in commands and options (`ask`, `digest subscribe time`,
    /// `hide`), for registration and `/help`; the engine checks the keys.
    pub descriptions: Vec<Described>,
    /// Byte span of the `[locales.<code>]` table.
    pub span: Range<usize>,
}

/// One translated description of a built-in command or option.
#[derive(Debug, Clone)]
pub struct Described {
    pub key: String,
    pub text: String,
    pub span: Range<usize>,
}

impl Locale {
    /// The translation of fixed word `key`, if this locale has one.
    pub fn word(&self, key: &str) -> Option<&str> {
        self.words.get(key).map(String::as_str)
    }

    /// The hedge words of `certainty` in this language (empty when none are given).
    pub fn hedges(&self, certainty: Certainty) -> &[String] {
        self.hedges.get(&certainty).map_or(&[], Vec::as_slice)
    }

    /// The translated description of built-in `key`, if given.
    pub fn description(&self, key: &str) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|d| d.key == key)
            .map(|d| d.text.as_str())
    }
}

/// The locale of `locales` a Discord locale code asks for: the same code (`en-GB`), else its
/// language (`en-GB` → `en`, `hi-IN` → `hi`). `None`: answer in English.
pub fn matching<'a>(locales: &'a [Locale], code: Option<&str>) -> Option<&'a Locale> {
    let code = code?.trim();
    let same = |key: &str| locales.iter().find(|l| l.code.eq_ignore_ascii_case(key));
    same(code).or_else(|| same(code.split('-').next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(code: &str) -> Locale {
        Locale {
            code: code.to_owned(),
            hedges: HashMap::new(),
            words: HashMap::new(),
            months: None,
            weekdays: None,
            descriptions: Vec::new(),
            span: 0..0,
        }
    }

    #[test]
    fn a_locale_matches_its_code_then_its_language() {
        let locales = [locale("hi"), locale("en-GB"), locale("es")];
        let code = |c: Option<&str>| matching(&locales, c).map(|l| l.code.as_str());
        assert_eq!(code(Some("hi")), Some("hi"));
        assert_eq!(code(Some("hi-IN")), Some("hi"));
        assert_eq!(code(Some("en-GB")), Some("en-GB"));
        assert_eq!(code(Some("es-419")), Some("es"));
        assert_eq!(code(Some("en-US")), None, "no `en`: English as written");
        assert_eq!(code(Some("fr")), None);
        assert_eq!(code(None), None);
    }

    #[test]
    fn placeholders_and_discord_codes() {
        assert_eq!(
            placeholders("{n} facts in {x_y}; {Not} {} {"),
            vec!["n", "x_y"]
        );
        assert_eq!(discord_codes("hi"), vec!["hi"]);
        assert_eq!(discord_codes("es"), vec!["es-ES", "es-419"]);
        assert_eq!(discord_codes("en-GB"), vec!["en-GB"]);
        assert!(discord_codes("xx").is_empty());
    }

    #[test]
    fn the_readme_lists_every_fixed_word_with_its_english() {
        let readme = include_str!("../../README.md");
        for (key, text) in WORDS {
            let row = format!("| `{key}` | {} |", text.replace('|', "\\|"));
            assert!(readme.contains(&row), "README.md lacks the row {row}");
        }
    }

    #[test]
    fn every_option_kind_is_a_word() {
        use super::super::OptionKind as K;
        for kind in [
            K::String,
            K::Integer,
            K::Number,
            K::Boolean,
            K::User,
            K::Role,
        ] {
            let key = format!("kind.{}", kind.name());
            assert_eq!(english(&key), Some(kind.name()), "{key}");
        }
    }

    #[test]
    fn every_certainty_label_is_a_word() {
        for c in Certainty::ALL {
            let key = format!("certainty.{}", c.name());
            assert_eq!(english(&key), Some(c.label()), "{key}");
        }
    }
}
