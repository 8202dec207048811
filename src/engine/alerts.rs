//! Change alerts, as the engine sees them: what changed between two versions of the fact base
//! (new updates, withdrawn ones, changed certainties), the words of the alert that tells a
//! channel, and the service trait `/alerts` calls (implemented over the state database by
//! `crate::digest`). Nothing here knows a runtime, a database or Discord's REST API.
//!
//! A fact base's *state* is one marker per update and fact (`u:ID=confirmed`,
//! `u:ID=withdrawn`, `f:ID=expected`); the *changes* between two states are markers too
//! (`added:ID`, `withdrawn:ID`, `certainty:u:ID:FROM:TO`), sorted, so the same edit always
//! gives the same changes and the same [`key`] — whichever process, whenever it restarts.

use std::collections::BTreeMap;

use super::components::source;
use super::language::{self, say};
use super::shown::Shown;
use super::subscriptions::{Origin, ServiceError, Unsubscribed};
use super::timestamp::{marker, Style};
use super::{cut, Engine, Reply};
use crate::facts::{Certainty, Diagnostic, FactBase, Locale};

/// The marker of a withdrawn update's state.
const WITHDRAWN: &str = "withdrawn";

/// The fact base's state as alerts compare it: one marker per update and fact, sorted.
pub fn state(base: &FactBase) -> Vec<String> {
    let updates = base.updates.iter().map(|u| {
        let now = match u.retracted {
            Some(_) => WITHDRAWN,
            None => u.certainty.name(),
        };
        format!("u:{}={now}", u.id)
    });
    let facts = base
        .facts
        .iter()
        .map(|f| format!("f:{}={}", f.id, f.certainty.name()));
    let mut all: Vec<String> = updates.chain(facts).collect();
    all.sort();
    all
}

/// The changes from state `old` to state `new`, sorted: an update added (`added:ID`), an
/// update withdrawn (`withdrawn:ID`), an update's or fact's certainty changed
/// (`certainty:u:ID:FROM:TO`, `certainty:f:ID:FROM:TO`). An update added already withdrawn
/// was never news; a new fact is not a change of what was said.
pub fn changes(old: &[String], new: &[String]) -> Vec<String> {
    let split = |list: &[String]| -> BTreeMap<String, String> {
        list.iter()
            .filter_map(|m| m.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let (old, new) = (split(old), split(new));
    let mut out = Vec::new();
    for (key, to) in &new {
        let Some((kind, id)) = key.split_once(':') else {
            continue;
        };
        let from = old.get(key).map(String::as_str);
        match (kind, from, to.as_str()) {
            (_, Some(from), to) if from == to => {}
            ("u", None | Some(WITHDRAWN), WITHDRAWN) => {}
            ("u", None | Some(WITHDRAWN), _) => out.push(format!("added:{id}")),
            ("u", Some(_), WITHDRAWN) => out.push(format!("withdrawn:{id}")),
            (_, Some(from), to) => out.push(format!("certainty:{kind}:{id}:{from}:{to}")),
            (_, None, _) => {}
        }
    }
    out.sort();
    out
}

/// The alert's key: the same for the same changes, on every process and after every restart.
pub fn key(changes: &[String]) -> String {
    super::fnv(changes.join("\n").as_bytes())
}

/// The alert about `changes` made at `at`, written in `lang` (the channel's language), as the
/// messages to post: one, or more only where Discord's 2,000 characters would be exceeded
/// (split between items). The first message starts with `role`'s mention, and may ping that
/// role and nothing else; each carries a Source button for the facts and updates it shows.
/// Changes the fact base no longer knows are left out; with none left, there is nothing to post.
pub fn render(
    engine: &Engine,
    changes: &[String],
    at: jiff::Timestamp,
    role: Option<u64>,
    lang: Option<&Locale>,
) -> Vec<Reply> {
    let base = engine.facts();
    let items: Vec<(String, Shown)> = changes.iter().filter_map(|c| item(base, c, lang)).collect();
    if items.is_empty() {
        return Vec::new();
    }
    let mention = role.map_or(String::new(), |r| format!("<@&{r}> "));
    let header = say(
        lang,
        "alert.header",
        &[
            ("event", language::event_name(base, lang)),
            ("time", &marker(at, Style::ShortDateTime)),
        ],
    );
    let mut parts: Vec<(String, Vec<Shown>)> = vec![(format!("{mention}{header}"), Vec::new())];
    for (mut line, shown) in items {
        cut(&mut line, super::reply::MAX_CONTENT / 2);
        let fits = parts.last().is_some_and(|(text, _)| {
            text.chars().count() + 1 + line.chars().count() <= super::reply::MAX_CONTENT
        });
        if !fits {
            parts.push((String::new(), Vec::new()));
        }
        if let Some((text, list)) = parts.last_mut() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&line);
            list.push(shown);
        }
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (content, shown))| {
            let mut reply = Reply::public(content);
            reply.role_mention = role.filter(|_| i == 0);
            reply.buttons.extend(source::button(engine, &shown, lang));
            reply.shown = shown;
            reply
        })
        .collect()
}

/// One change as a line of the alert in `lang` (texts translated where the fact base has
/// them, else in English), with what it shows.
fn item(base: &FactBase, change: &str, lang: Option<&Locale>) -> Option<(String, Shown)> {
    let per = |id: &str| {
        base.source(id).map_or(id.to_owned(), |s| {
            s.publisher.clone().unwrap_or_else(|| s.title.clone())
        })
    };
    let label = |name: &str| {
        Certainty::parse(name).map_or(name.replace('_', " "), |c| language::label(lang, c))
    };
    let update = |id: &str| base.updates.iter().position(|u| u.id == id);
    let update_text = |i: usize| {
        let u = &base.updates[i];
        lang.and_then(|l| u.translations.get(&l.code))
            .unwrap_or(&u.text)
            .as_str()
    };
    if let Some(id) = change.strip_prefix("added:") {
        let i = update(id)?;
        let u = &base.updates[i];
        let args = [
            ("text", update_text(i)),
            ("certainty", &label(u.certainty.name())),
            ("source", &per(&u.source)),
        ];
        return Some((say(lang, "alert.new", &args), Shown::Update(i)));
    }
    if let Some(id) = change.strip_prefix("withdrawn:") {
        let i = update(id)?;
        let u = &base.updates[i];
        // The reason is the editors' note, in the fact base's own language.
        let reason = u.retracted.as_ref().map_or("", |r| r.reason.as_str());
        let day = u.time.to_zoned(base.event.time_zone.clone()).date();
        let args = [("date", &*language::day(day, lang)), ("reason", reason)];
        return Some((say(lang, "alert.withdrawn", &args), Shown::Update(i)));
    }
    let rest = change.strip_prefix("certainty:")?;
    let mut parts = rest.splitn(4, ':');
    let (kind, id, from, to) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let (text, source, shown) = match kind {
        "u" => {
            let i = update(id)?;
            (update_text(i), &base.updates[i].source, Shown::Update(i))
        }
        _ => {
            let i = base.facts.iter().position(|f| f.id == id)?;
            let f = &base.facts[i];
            (language::text(f, lang), &f.source, Shown::Fact(i))
        }
    };
    let args = [
        ("to", &*label(to)),
        ("from", &label(from)),
        ("text", text),
        ("source", &per(source)),
    ];
    Some((say(lang, "alert.recertified", &args), shown))
}

/// `check`'s look at alerts: one of every kind of change (each update added or withdrawn, each
/// fact's certainty changed) rendered at the sample times in English and every shipped locale,
/// with a role to mention; a message over Discord's limits is reported at the locale (or the
/// event, in English) whose words made it so.
pub fn lint(engine: &Engine) -> Vec<Diagnostic> {
    let base = engine.facts();
    let mut changes: Vec<String> = base
        .updates
        .iter()
        .map(|u| match u.retracted {
            Some(_) => format!("withdrawn:{}", u.id),
            None => format!("added:{}", u.id),
        })
        .collect();
    // The longest label as the certainty it had: the longest line of its kind.
    changes.extend(base.facts.iter().map(|f| {
        format!(
            "certainty:f:{}:under_consideration:{}",
            f.id,
            f.certainty.name()
        )
    }));
    let mut out = Vec::new();
    let langs = std::iter::once(None).chain(base.locales.iter().map(Some));
    for lang in langs {
        let (span, field) = match lang {
            Some(l) => (Some(l.span.clone()), format!("locales.{}.words", l.code)),
            None => (None, "event.name".to_owned()),
        };
        for (when, at) in engine.sample_times() {
            for reply in render(engine, &changes, at, Some(u64::MAX), lang) {
                for problem in reply.overflows() {
                    out.push(Diagnostic {
                        span: span.clone(),
                        field: field.clone(),
                        message: format!("a change alert {when}: {problem}"),
                        help: Some(
                            "shorten the alert's words (`alert.*`) or the event's name".to_owned(),
                        ),
                    });
                }
            }
        }
    }
    out.dedup_by(|a, b| a.field == b.field && a.message == b.message);
    out
}

/// A channel's alert subscription as `/alerts status` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertStatus {
    /// The role each alert mentions, if any.
    pub role: Option<u64>,
    pub origin: Origin,
    /// Why alerts are paused (403/404 from Discord), if they are.
    pub paused: Option<String>,
    /// The last alert delivered: when it was made and its (last) message id.
    pub last: Option<(jiff::Timestamp, String)>,
    /// Why the last publishing (crosspost) in this announcement channel failed, if it did.
    pub publishing: Option<String>,
    /// Whether the channel is an announcement channel whose posts are published.
    pub announcement: bool,
}

/// An alert subscription a reader asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertSubscription {
    pub channel: u64,
    pub guild: Option<u64>,
    pub role: Option<u64>,
    /// The channel's type, as the interaction said (5: announcement).
    pub channel_kind: Option<u8>,
    /// The server's locale (`guild_locale`): the alerts are written in that language.
    pub locale: Option<String>,
}

/// Alert subscriptions, as `/alerts` uses them.
#[async_trait::async_trait]
pub trait Alerts: Send + Sync {
    /// Saves (or replaces) a channel's alert subscription: alerts made from now on go there.
    async fn subscribe(&self, request: NewAlertSubscription) -> Result<(), ServiceError>;
    async fn unsubscribe(&self, channel: u64) -> Result<Unsubscribed, ServiceError>;
    async fn status(&self, channel: u64) -> Result<Option<AlertStatus>, ServiceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn changes_list_new_withdrawn_and_recertified_items_once() {
        let old = marks(&["f:mou=expected", "u:a=reported", "u:b=reported"]);
        let new = marks(&[
            "f:mou=confirmed",
            "u:a=withdrawn",
            "u:b=reported",
            "u:c=confirmed",
            "u:d=withdrawn",
        ]);
        assert_eq!(
            changes(&old, &new),
            [
                "added:c",
                "certainty:f:mou:expected:confirmed",
                "withdrawn:a"
            ]
        );
        assert!(changes(&new, &new).is_empty());
        assert_eq!(key(&changes(&old, &new)), key(&changes(&old, &new)));
        assert_ne!(key(&["added:c".into()]), key(&["added:d".into()]));
    }

    #[test]
    fn the_shipped_fact_base_renders_a_certainty_change_with_its_source() {
        let engine = Engine::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/facts.toml"
        )))
        .expect("facts.toml loads");
        let fact = &engine.facts().facts[0];
        let change = format!("certainty:f:{}:expected:{}", fact.id, fact.certainty.name());
        let at: jiff::Timestamp = "2026-02-26T10:00:00Z".parse().expect("instant");
        let replies = render(
            &engine,
            &[change, "added:unknown".into()],
            at,
            Some(42),
            None,
        );
        assert_eq!(replies.len(), 1);
        let reply = &replies[0];
        assert!(reply.content.starts_with("<@&42> **"), "{}", reply.content);
        assert!(reply.content.contains(&fact.text), "{}", reply.content);
        assert_eq!(reply.role_mention, Some(42));
        assert_eq!(reply.buttons.len(), 1, "a Source button");
        assert!(render(&engine, &["added:unknown".into()], at, None, None).is_empty());
    }

    #[test]
    fn an_alert_in_hindi_says_the_fact_and_both_certainties_in_hindi() {
        let engine = Engine::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/facts.toml"
        )))
        .expect("facts.toml loads");
        let at: jiff::Timestamp = "2026-02-26T10:00:00Z".parse().expect("instant");
        let change = ["certainty:f:mou-signing:expected:likely".to_owned()];
        let hindi = render(
            &engine,
            &change,
            at,
            None,
            engine.post_language(Some("hi-IN")),
        );
        let fact = engine.facts().fact("mou-signing").expect("a shipped fact");
        let content = &hindi[0].content;
        assert!(
            content.starts_with(
                "**प्रधानमंत्री नरेंद्र मोदी की इज़राइल यात्रा: मेरे स्रोत जो कहते हैं, वह बदल गया है** (<t:"
            ),
            "{content}"
        );
        let line = format!(
            "• अब संभावित (पहले अपेक्षित): {} (स्रोत: ",
            fact.translations["hi"].text
        );
        assert!(content.contains(&line), "{content}");
        // A server whose language is not shipped reads English.
        let english = render(&engine, &change, at, None, engine.post_language(Some("fr")));
        let line = format!("• Now likely (was expected): {} (source: ", fact.text);
        assert!(english[0].content.contains(&line), "{}", english[0].content);
    }
}
