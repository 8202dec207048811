//! `/digest` — subscribe this channel to the daily digest, unsubscribe, see its status, or
//! preview it.
//!
//! All of `/digest` lives here: the checks (channel, permission, time, time zone), the calls to
//! the [`Subscriptions`] service the serving process offers, and the words of every reply.
//! Without the service (the CLI), `preview` still works and the others explain where
//! subscriptions are managed.

use std::sync::Arc;

use crate::engine::command::string_option;
use crate::engine::echo;
use crate::engine::language::{self, say};
use crate::engine::subscriptions::{
    Delivered, HistoryEntry, Mode, NewSubscription, Origin, Status, Subscriptions, Unsubscribed,
};
use crate::engine::timestamp::{marker, Style};
use crate::engine::{
    Action, Command, CommandError, Context, Embed, Engine, Outcome, OutcomeFuture, Reply,
    ServiceError,
};
use crate::facts::window::Position;
use crate::facts::{FactBase, Locale};

/// Discord's `MANAGE_GUILD` and `ADMINISTRATOR` permission bits.
pub const MANAGE_GUILD: u64 = 1 << 5;
pub const ADMINISTRATOR: u64 = 1 << 3;

const TIMEZONE_HELP: &str = "IANA time zone, e.g. Asia/Kolkata or Asia/Jerusalem";

/// `/digest subscribe · unsubscribe · status · preview`.
pub fn command() -> Command {
    Command::new(
        "digest",
        "The daily digest of the event in this channel",
        Action::Group,
    )
    .ephemeral()
    .subcommand(
        Command::new(
            "subscribe",
            "Post the daily digest here at a local time (Manage Server)",
            Action::RunAsync(subscribe),
        )
        .option(string_option(
            "time",
            "Local time to post, HH:MM (24-hour), e.g. 08:00",
            true,
        ))
        .option(string_option("timezone", TIMEZONE_HELP, true))
        .option(mode_option()),
    )
    .subcommand(Command::new(
        "unsubscribe",
        "Stop the daily digest in this channel (Manage Server)",
        Action::RunAsync(unsubscribe),
    ))
    .subcommand(Command::new(
        "status",
        "This channel's digest: schedule, last and next post",
        Action::RunAsync(status),
    ))
    .subcommand(
        Command::new(
            "preview",
            "Show today's digest (only you see it)",
            Action::RunAsync(preview),
        )
        .option(string_option("timezone", TIMEZONE_HELP, false)),
    )
}

/// `mode`: every day (the default), or only on days with new updates.
fn mode_option() -> crate::facts::OptionDef {
    let mut option = string_option(
        "mode",
        "daily (the default), or updates: only on days with new updates",
        false,
    );
    option.choices = crate::facts::Choices::Fixed(vec![
        crate::facts::Choice {
            name: "every day".into(),
            value: Mode::Daily.name().into(),
        },
        crate::facts::Choice {
            name: "only when there are updates".into(),
            value: Mode::Updates.name().into(),
        },
    ]);
    option
}

/// Parses "HH:MM" (24-hour; seconds are not accepted, a digest is per minute).
pub fn parse_time(text: &str) -> Option<jiff::civil::Time> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    jiff::civil::Time::new(h, m, 0, 0).ok()
}

/// Checks a time zone name against the tz database; a mistake is explained in `lang`.
fn check_zone(name: &str, lang: Option<&Locale>) -> Result<(), CommandError> {
    jiff::tz::TimeZone::get(name.trim())
        .map(|_| ())
        .map_err(|_| {
            let zone = echo::code(name);
            CommandError::user(say(lang, "digest_settings.bad_zone", &[("zone", &zone)]))
        })
}

/// Discord's permission bits the bot needs to post a digest or an alert in a channel: see
/// it, send in it, and embed (the digest is an embed).
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const SEND_MESSAGES: u64 = 1 << 11;
pub const EMBED_LINKS: u64 = 1 << 14;

/// Refuses a channel where the bot cannot post (its `app_permissions`, which Discord sends
/// with every interaction), naming what to grant — at once, rather than a pause the next day;
/// `refusal` is the key of the words that say so (they fill in `{permissions}`). Without the
/// permissions (the command line) nothing is refused.
pub(crate) fn require_bot_can_post(ctx: &Context<'_>, refusal: &str) -> Result<(), CommandError> {
    let Some(granted) = ctx.invocation.caller.app_permissions else {
        return Ok(());
    };
    if granted & ADMINISTRATOR != 0 {
        return Ok(());
    }
    let missing: Vec<&str> = [
        (VIEW_CHANNEL, "View Channel"),
        (SEND_MESSAGES, "Send Messages"),
        (EMBED_LINKS, "Embed Links"),
    ]
    .into_iter()
    .filter(|(bit, _)| granted & bit == 0)
    .map(|(_, name)| name)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let permissions = missing.join("**, **");
    Err(CommandError::user(say(
        ctx.reader_language(),
        refusal,
        &[("permissions", &permissions)],
    )))
}

/// The channel the invocation came from; subscriptions belong to one. Without one, the
/// reader is told `refusal` (a fixed word's key).
pub(crate) fn channel(ctx: &Context<'_>, refusal: &str) -> Result<u64, CommandError> {
    ctx.invocation
        .caller
        .channel_id
        .ok_or_else(|| CommandError::user(say(ctx.reader_language(), refusal, &[])))
}

/// Refuses members without Manage Server (or Administrator), telling them `refusal`.
pub(crate) fn require_manage(ctx: &Context<'_>, refusal: &str) -> Result<(), CommandError> {
    let may = ctx
        .invocation
        .caller
        .permissions
        .is_some_and(|p| p & (MANAGE_GUILD | ADMINISTRATOR) != 0);
    if may {
        Ok(())
    } else {
        Err(CommandError::user(say(ctx.reader_language(), refusal, &[])))
    }
}

/// The subscription service, or the explanation that this process has none.
fn service<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Subscriptions>, CommandError> {
    ctx.services.subscriptions.as_ref().ok_or_else(|| {
        let lang = ctx.reader_language();
        CommandError::user(say(lang, "digest_settings.needs_serve", &[]))
    })
}

/// A failed service call: the reader gets an apology (in `lang`), the operator the reason.
fn unavailable(lang: Option<&Locale>) -> impl Fn(ServiceError) -> CommandError + '_ {
    move |e| CommandError::Internal {
        reason: e.to_string(),
        apology: say(lang, "digest_settings.unavailable", &[]),
    }
}

fn subscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "digest_settings.no_channel")?;
        require_manage(ctx, "digest_settings.manage_only")?;
        require_bot_can_post(ctx, "digest_settings.cannot_post")?;
        let (inv, lang) = (ctx.invocation, ctx.language());
        let time_text = inv.option_text("time").unwrap_or_default();
        let time = parse_time(&time_text).ok_or_else(|| {
            let time = echo::code(&time_text);
            CommandError::user(say(lang, "digest_settings.bad_time", &[("time", &time)]))
        })?;
        let zone = inv
            .option_text("timezone")
            .unwrap_or_default()
            .trim()
            .to_owned();
        check_zone(&zone, lang)?;
        let mode = inv
            .option_text("mode")
            .and_then(|m| Mode::parse(&m))
            .unwrap_or_default();
        let request = NewSubscription {
            channel,
            guild: inv.caller.guild_id,
            time,
            zone: zone.clone(),
            mode,
            at: ctx.now(),
            channel_kind: inv.caller.channel_kind,
            locale: inv.guild_locale.clone(),
        };
        let next = service(ctx)?
            .subscribe(request)
            .await
            .map_err(unavailable(lang))?;
        let schedule = schedule_words(time, &zone, mode, lang);
        let next = match window_line(ctx.facts(), time, &zone, next, lang) {
            (Some(line), _) => line,
            (None, next) => say(lang, "digest_settings.next_due", &[("due", &due(next))]),
        };
        Ok(Reply::ephemeral(say(
            lang,
            "digest_settings.subscribed",
            &[("schedule", &schedule), ("next", &next)],
        )))
    })
}

fn unsubscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "digest_settings.no_channel")?;
        require_manage(ctx, "digest_settings.manage_only")?;
        let lang = ctx.language();
        let done = service(ctx)?
            .unsubscribe(channel)
            .await
            .map_err(unavailable(lang))?;
        let key = match done {
            Unsubscribed::Removed => "digest_settings.unsubscribed",
            Unsubscribed::NotSubscribed => "digest_settings.not_subscribed",
            Unsubscribed::Configured => "digest_settings.configured",
        };
        Ok(Reply::ephemeral(say(lang, key, &[])))
    })
}

fn status<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "digest_settings.no_channel")?;
        let lang = ctx.language();
        let status = service(ctx)?
            .status(channel, ctx.now())
            .await
            .map_err(unavailable(lang))?;
        let mut reply = status_reply(status.as_ref(), ctx.facts(), lang);
        if let Some(line) = status.as_ref().and_then(|s| posted_in(ctx.engine, s, lang)) {
            reply.content = format!("{}\n{line}", reply.content);
        }
        Ok(reply)
    })
}

/// The line saying, in `lang`, which language the channel's digests are posted in (the
/// language's own name) — when the fact base ships a language besides English.
pub fn posted_in(engine: &Engine, status: &Status, lang: Option<&Locale>) -> Option<String> {
    if engine.facts().locales.is_empty() {
        return None;
    }
    let posts = engine.post_language(status.locale.as_deref());
    let name = language::say(posts, "post.language_name", &[]);
    Some(language::say(lang, "post.language", &[("language", &name)]))
}

fn preview<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let zone = ctx
            .invocation
            .option_text("timezone")
            .map(|z| z.trim().to_owned());
        let subscriptions = ctx.services.subscriptions.as_deref();
        let channel = ctx.invocation.caller.channel_id;
        // Only the reader sees a preview: it is written in their language.
        let mut reply = render(
            ctx.engine,
            subscriptions,
            channel,
            zone.as_deref(),
            ctx.language(),
            ctx.now(),
        )
        .await?;
        reply.ephemeral = true;
        Ok(reply)
    })
}

/// Today's digest as of `now`, written in `lang`: in `channel`'s zone with the updates since its
/// last digest when it is subscribed, in `zone` when given, else in the event's zone. What
/// `/digest preview` shows and `factdesk digest preview` prints; a mistake or failure is
/// explained in `lang` too.
pub async fn render(
    engine: &Engine,
    subscriptions: Option<&dyn Subscriptions>,
    channel: Option<u64>,
    zone: Option<&str>,
    lang: Option<&Locale>,
    now: jiff::Timestamp,
) -> Outcome {
    if let Some(z) = zone {
        check_zone(z, lang)?;
    }
    let basis = match (subscriptions, channel) {
        (Some(service), Some(channel)) => service
            .preview_basis(channel)
            .await
            .map_err(unavailable(lang))?,
        _ => Default::default(),
    };
    let zone = zone.map(str::to_owned).or(basis.zone);
    let zone = zone
        .as_deref()
        .unwrap_or(&engine.facts().event.time_zone_name);
    engine.render_digest(now, zone, basis.since, lang)
}

/// When a digest is due, as Discord shows it to each reader (their zone, their language):
/// `Thursday, 26 February 2026 02:30 (in 2 days)` for a reader in London.
fn due(at: jiff::Timestamp) -> String {
    format!(
        "{} ({})",
        marker(at, Style::LongDateTime),
        marker(at, Style::Relative)
    )
}

/// How a date and time read in the operator's reports (logs, skip reasons): `Thursday 26
/// February 2026, 08:00 IST`.
pub fn when(at: jiff::Timestamp, zone: &str) -> String {
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => at
            .to_zoned(tz)
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// "daily digest at 08:00 (Asia/Kolkata)", or "digest at … on days with new updates", in
/// `lang`.
fn schedule_words(
    time: jiff::civil::Time,
    zone: &str,
    mode: Mode,
    lang: Option<&Locale>,
) -> String {
    let key = match mode {
        Mode::Daily => "digest_settings.daily",
        Mode::Updates => "digest_settings.updates",
    };
    let time = time.strftime("%H:%M").to_string();
    say(lang, key, &[("time", &time), ("zone", zone)])
}

/// What the fact base's digest window means for a digest otherwise due `next`: a line (in
/// `lang`) saying when digests start (and the first one due) or that they have stopped; else
/// `next` as it is.
fn window_line(
    facts: &FactBase,
    time: jiff::civil::Time,
    zone: &str,
    next: jiff::Timestamp,
    lang: Option<&Locale>,
) -> (Option<String>, jiff::Timestamp) {
    let window = facts.digest_window;
    let event = &facts.event;
    match window.position(event, next) {
        Position::Inside => (None, next),
        Position::Before { opens, first_day } => {
            let first = first_due_from(time, zone, opens).unwrap_or(opens);
            let days = language::days(lang, window.before_days.unwrap_or_default().into());
            let line = say(
                lang,
                "digest_settings.starts",
                &[
                    ("date", &language::day(first_day, lang)),
                    ("days", &days),
                    ("due", &due(first)),
                ],
            );
            (Some(line), first)
        }
        Position::After { last_day, .. } => {
            let days = language::days(lang, window.after_days.unwrap_or_default().into());
            let line = say(
                lang,
                "digest_settings.stopped",
                &[("date", &language::day(last_day, lang)), ("days", &days)],
            );
            (Some(line), next)
        }
    }
}

/// The first instant at or after `from` when a digest at local `time` in `zone` is due.
fn first_due_from(
    time: jiff::civil::Time,
    zone: &str,
    from: jiff::Timestamp,
) -> Option<jiff::Timestamp> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let mut date = from.to_zoned(tz.clone()).date();
    for _ in 0..3 {
        let due = date
            .to_datetime(time)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp();
        if due >= from {
            return Some(due);
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// The reply to `/digest status` (and each line of `factdesk digest list`), with what the fact
/// base's digest window means for it, in `lang`.
pub fn status_reply(status: Option<&Status>, facts: &FactBase, lang: Option<&Locale>) -> Reply {
    let Some(s) = status else {
        return Reply::ephemeral(say(lang, "digest_settings.none", &[]));
    };
    let key = match s.mode {
        Mode::Daily => "digest_settings.status_daily",
        Mode::Updates => "digest_settings.status_updates",
    };
    let time = s.time.strftime("%H:%M").to_string();
    let origin = origin(s.origin, lang);
    let mut out = say(
        lang,
        key,
        &[("time", &time), ("zone", &s.zone), ("origin", &origin)],
    );
    let mut line = |text: String| {
        out.push('\n');
        out.push_str(&text);
    };
    match (&s.paused, s.next) {
        (Some(reason), _) => line(say(lang, "settings.paused", &[("reason", reason)])),
        (None, Some(next)) => match window_line(facts, s.time, &s.zone, next, lang) {
            (Some(text), _) => line(text),
            (None, next) => {
                let key = match s.mode {
                    Mode::Updates => "digest_settings.next_updates",
                    Mode::Daily => "digest_settings.next",
                };
                line(say(lang, key, &[("due", &due(next))]));
            }
        },
        (None, None) => {}
    }
    match &s.last {
        Some(last) => line(last_delivered(last, lang)),
        None => line(say(lang, "digest_settings.none_yet", &[])),
    }
    for (date, reason) in &s.skipped {
        line(say(
            lang,
            "digest_settings.skipped",
            &[("date", date), ("reason", reason)],
        ));
    }
    if let Some(why) = &s.publishing {
        line(publishing_failed(why, lang));
    }
    let mut reply = Reply::ephemeral(out);
    reply.embeds.extend(history_embed(&s.history, lang));
    reply.fit();
    reply
}

/// " (set in the bot's configuration)" for a subscription the operator made, in `lang`.
pub(crate) fn origin(origin: Origin, lang: Option<&Locale>) -> String {
    match origin {
        Origin::Config => format!(" ({})", say(lang, "settings.configured", &[])),
        Origin::Discord => String::new(),
    }
}

/// "Last delivered: the digest of …", in `lang`.
fn last_delivered(last: &Delivered, lang: Option<&Locale>) -> String {
    let mut args = vec![
        ("date", last.date.as_str()),
        ("message", last.message_id.as_str()),
    ];
    let as_of = last.as_of.map(|at| marker(at, Style::ShortDateTime));
    match &as_of {
        Some(time) => {
            args.push(("time", time));
            say(lang, "digest_settings.last_as_of", &args)
        }
        None => say(lang, "digest_settings.last", &args),
    }
}

/// The delivery history, newest first, as an embed (30 lines fit its 4,096 characters): one
/// line per day's outcome, with the message, the attempts and the reason where there are some,
/// in `lang` (the reasons are our own words, as recorded).
fn history_embed(history: &[HistoryEntry], lang: Option<&Locale>) -> Option<Embed> {
    if history.is_empty() {
        return None;
    }
    let lines: Vec<String> = history
        .iter()
        .map(|h| {
            let outcome = format!("digest_settings.outcome_{}", h.outcome.name());
            let mut line = format!("• {} {}", h.date, say(lang, &outcome, &[]));
            if let Some(id) = &h.message_id {
                let message = say(lang, "digest_settings.history_message", &[("message", id)]);
                line.push_str(&format!(" · {message}"));
            }
            if h.attempts > 1 {
                let n = h.attempts.to_string();
                let attempts = say(lang, "digest_settings.history_attempts", &[("n", &n)]);
                line.push_str(&format!(" · {attempts}"));
            }
            if let Some(detail) = &h.detail {
                // Our own words (a skip's reason, Discord's error): cut, not escaped.
                let mut detail = detail.replace('\n', " ");
                crate::engine::cut(&mut detail, 90);
                line.push_str(&format!(" · {detail}"));
            }
            line.push_str(&format!(" · {}", marker(h.at, Style::ShortDateTime)));
            line
        })
        .collect();
    let n = history.len().to_string();
    Some(Embed {
        title: Some(say(lang, "digest_settings.history", &[("n", &n)])),
        description: Some(lines.join("\n")),
        ..Embed::default()
    })
}

/// What status says when publishing a post in an announcement channel failed, in `lang`.
pub fn publishing_failed(why: &str, lang: Option<&Locale>) -> String {
    say(lang, "settings.not_published", &[("reason", why)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::subscriptions::DeliveryOutcome;

    fn engine() -> Engine {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/facts.toml");
        Engine::load(std::path::Path::new(path)).expect("the shipped facts.toml loads")
    }

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("a timestamp")
    }

    /// A configured subscription on update days, delivered once, skipped once, with a failed
    /// publishing; its next digest inside the window, or (`next`) after it.
    fn status(next: &str) -> Status {
        Status {
            time: jiff::civil::time(8, 0, 0, 0),
            zone: "Asia/Kolkata".into(),
            origin: Origin::Config,
            mode: Mode::Updates,
            paused: None,
            next: Some(at(next)),
            last: Some(Delivered {
                date: "2026-02-25".into(),
                message_id: "42".into(),
                as_of: Some(at("2026-02-25T02:30:00Z")),
            }),
            skipped: vec![("2026-02-24".into(), "missed by more than an hour".into())],
            publishing: Some("Discord answered 403".into()),
            history: vec![HistoryEntry {
                at: at("2026-02-25T02:30:05Z"),
                date: jiff::civil::date(2026, 2, 25),
                outcome: DeliveryOutcome::Delivered,
                message_id: Some("42".into()),
                detail: None,
                attempts: 2,
            }],
            locale: None,
        }
    }

    #[test]
    fn status_reads_in_the_readers_language() {
        let engine = engine();
        let hi = crate::facts::locale::matching(&engine.facts().locales, Some("hi"));
        assert!(hi.is_some(), "the shipped fact base ships hi");
        let s = status("2026-02-26T02:30:00Z");
        let english = status_reply(Some(&s), engine.facts(), None);
        assert_eq!(
            english.content,
            "Digest at 08:00 (Asia/Kolkata) on days with new updates (set in the bot's configuration).\n\
             Next digest: <t:1772073000:F> (<t:1772073000:R>), if there are new updates by then (on other days nothing is posted).\n\
             Last delivered: the digest of 2026-02-25, as of <t:1771986600:f> (message 42).\n\
             Skipped 2026-02-24: missed by more than an hour.\n\
             **Not published to following servers**: Discord answered 403. Grant me **Send Messages** and **Manage Messages** in this announcement channel; the next post is published again."
        );
        assert_eq!(
            english.embeds[0].title.as_deref(),
            Some("Delivery history (last 1)")
        );
        let hindi = status_reply(Some(&s), engine.facts(), hi);
        assert_eq!(
            hindi.content,
            "नए अपडेट वाले दिनों में 08:00 (Asia/Kolkata) पर सार (बॉट के कॉन्फ़िगरेशन में तय)।\n\
             अगला सार: <t:1772073000:F> (<t:1772073000:R>), अगर तब तक नए अपडेट हों (बाकी दिनों में कुछ पोस्ट नहीं किया जाता)।\n\
             पिछली बार पहुँचा: 2026-02-25 का सार, <t:1771986600:f> की स्थिति के अनुसार (संदेश 42)।\n\
             2026-02-24 छोड़ा गया: missed by more than an hour।\n\
             **फ़ॉलो करने वाले सर्वरों पर प्रकाशित नहीं हुआ**: Discord answered 403। इस घोषणा चैनल में मुझे **Send Messages** और **Manage Messages** की अनुमति दें; अगली पोस्ट फिर से प्रकाशित होगी।"
        );
        let history = &hindi.embeds[0];
        assert_eq!(history.title.as_deref(), Some("डिलीवरी इतिहास (पिछली 1)"));
        assert_eq!(
            history.description.as_deref(),
            Some("• 2026-02-25 पहुँचा · संदेश 42 · 2 प्रयास · <t:1771986605:f>")
        );
    }

    #[test]
    fn the_digest_window_is_told_in_the_readers_language() {
        let engine = engine();
        let hi = crate::facts::locale::matching(&engine.facts().locales, Some("hi"));
        // Due after the window's last day (28 March 2026): no more digests.
        let s = status("2026-04-02T02:30:00Z");
        let english = status_reply(Some(&s), engine.facts(), None).content;
        assert!(
            english.contains("\n**No more digests**: they stopped after 28 March 2026, 30 days after the event ended"),
            "{english}"
        );
        let hindi = status_reply(Some(&s), engine.facts(), hi).content;
        assert!(
            hindi.contains("\n**अब कोई सार नहीं**: सार 28 मार्च 2026 के बाद बंद हो गए, जो घटना समाप्त होने के 30 दिन बाद था"),
            "{hindi}"
        );
        assert_eq!(
            status_reply(None, engine.facts(), hi).content,
            "इस चैनल में कोई दैनिक सार नहीं है। Manage Server अनुमति वाला कोई सदस्य इसे `/digest subscribe time:08:00 timezone:Asia/Kolkata` से शुरू कर सकता है।"
        );
    }
}
