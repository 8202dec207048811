//! `/alerts` — this channel hears, within a minute, when the fact base changes: new updates,
//! withdrawn ones, changed certainties (one message per reload). Subscribe (optionally with a
//! role to mention), unsubscribe, or see the status.
//!
//! All of `/alerts` lives here: the checks (channel, Manage Server, the bot's own permissions
//! in the channel), the calls to the [`Alerts`] service the serving process offers, and the
//! words of every reply. The alert message itself is rendered by [`crate::engine::alerts`].

use std::sync::Arc;

use super::digest::{channel, origin, publishing_failed, require_bot_can_post, require_manage};
use crate::engine::alerts::{AlertStatus, Alerts, NewAlertSubscription};
use crate::engine::command::string_option;
use crate::engine::language::say;
use crate::engine::subscriptions::Unsubscribed;
use crate::engine::timestamp::{marker, Style};
use crate::engine::{
    Action, Command, CommandError, Context, OptionValue, OutcomeFuture, Reply, ServiceError,
};
use crate::facts::{Locale, OptionKind};

/// `/alerts subscribe [role] · unsubscribe · status`.
pub fn command() -> Command {
    Command::new(
        "alerts",
        "Hear in this channel when the facts change",
        Action::Group,
    )
    .ephemeral()
    .subcommand(
        Command::new(
            "subscribe",
            "Post an alert here when updates come in or are withdrawn (Manage Server)",
            Action::RunAsync(subscribe),
        )
        .option(crate::facts::OptionDef {
            kind: OptionKind::Role,
            ..string_option("role", "A role to mention in each alert (optional)", false)
        }),
    )
    .subcommand(Command::new(
        "unsubscribe",
        "Stop the alerts in this channel (Manage Server)",
        Action::RunAsync(unsubscribe),
    ))
    .subcommand(Command::new(
        "status",
        "This channel's alerts: role, last alert, problems",
        Action::RunAsync(status),
    ))
}

/// The alert service, or the explanation that this process has none.
fn service<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Alerts>, CommandError> {
    ctx.services.alerts.as_ref().ok_or_else(|| {
        let lang = ctx.reader_language();
        CommandError::user(say(lang, "alert_settings.needs_serve", &[]))
    })
}

/// A failed service call: the reader gets an apology (in `lang`), the operator the reason.
fn unavailable(lang: Option<&Locale>) -> impl Fn(ServiceError) -> CommandError + '_ {
    move |e| CommandError::Internal {
        reason: e.to_string(),
        apology: say(lang, "alert_settings.unavailable", &[]),
    }
}

fn subscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "alert_settings.no_channel")?;
        require_manage(ctx, "alert_settings.manage_only")?;
        require_bot_can_post(ctx, "alert_settings.cannot_post")?;
        let (caller, lang) = (&ctx.invocation.caller, ctx.language());
        let role = match ctx.invocation.option("role") {
            Some(OptionValue::Role(id)) => Some(*id),
            _ => None,
        };
        let request = NewAlertSubscription {
            channel,
            guild: caller.guild_id,
            role,
            channel_kind: caller.channel_kind,
            locale: ctx.invocation.guild_locale.clone(),
        };
        service(ctx)?
            .subscribe(request)
            .await
            .map_err(unavailable(lang))?;
        Ok(Reply::ephemeral(match role {
            Some(r) => say(
                lang,
                "alert_settings.subscribed_role",
                &[("role", &format!("<@&{r}>"))],
            ),
            None => say(lang, "alert_settings.subscribed", &[]),
        }))
    })
}

fn unsubscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "alert_settings.no_channel")?;
        require_manage(ctx, "alert_settings.manage_only")?;
        let lang = ctx.language();
        let done = service(ctx)?
            .unsubscribe(channel)
            .await
            .map_err(unavailable(lang))?;
        let key = match done {
            Unsubscribed::Removed => "alert_settings.unsubscribed",
            Unsubscribed::NotSubscribed => "alert_settings.not_subscribed",
            Unsubscribed::Configured => "alert_settings.configured",
        };
        Ok(Reply::ephemeral(say(lang, key, &[])))
    })
}

fn status<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx, "alert_settings.no_channel")?;
        let lang = ctx.language();
        let status = service(ctx)?
            .status(channel)
            .await
            .map_err(unavailable(lang))?;
        Ok(status_reply(status.as_ref(), lang))
    })
}

/// The reply to `/alerts status` (and each line of `factdesk alerts list`), in `lang`.
pub fn status_reply(status: Option<&AlertStatus>, lang: Option<&Locale>) -> Reply {
    let Some(s) = status else {
        return Reply::ephemeral(say(lang, "alert_settings.none", &[]));
    };
    let origin = origin(s.origin, lang);
    let mut out = match s.role {
        Some(r) => say(
            lang,
            "alert_settings.on_role",
            &[("role", &format!("<@&{r}>")), ("origin", &origin)],
        ),
        None => say(lang, "alert_settings.on", &[("origin", &origin)]),
    };
    if s.announcement {
        out.push(' ');
        out.push_str(&say(lang, "alert_settings.announcement", &[]));
    }
    if let Some(reason) = &s.paused {
        out.push('\n');
        out.push_str(&say(lang, "settings.paused", &[("reason", reason)]));
    }
    out.push('\n');
    out.push_str(&match &s.last {
        Some((at, message)) => {
            let time = marker(*at, Style::ShortDateTime);
            say(
                lang,
                "alert_settings.last",
                &[("time", &time), ("message", message)],
            )
        }
        None => say(lang, "alert_settings.none_yet", &[]),
    });
    if let Some(why) = &s.publishing {
        out.push('\n');
        out.push_str(&publishing_failed(why, lang));
    }
    Reply::ephemeral(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::subscriptions::Origin;

    #[test]
    fn status_reads_in_the_readers_language() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/facts.toml");
        let engine = crate::engine::Engine::load(std::path::Path::new(path)).expect("loads");
        let hi = crate::facts::locale::matching(&engine.facts().locales, Some("hi"));
        let s = AlertStatus {
            role: Some(7),
            origin: Origin::Config,
            paused: Some("Discord answered 404: Unknown Channel".into()),
            last: Some((
                "2026-02-26T13:00:00Z".parse().expect("timestamp"),
                "99".into(),
            )),
            publishing: None,
            announcement: true,
        };
        assert_eq!(
            status_reply(Some(&s), None).content,
            "Alerts on, mentioning <@&7> (set in the bot's configuration). This is an announcement channel: each alert is published to the servers following it.\n\
             **Paused**: Discord answered 404: Unknown Channel. Fix the cause, then subscribe again to resume.\n\
             Last alert: <t:1772110800:f> (message 99)."
        );
        assert_eq!(
            status_reply(Some(&s), hi).content,
            "सूचनाएँ चालू हैं, <@&7> के उल्लेख के साथ (बॉट के कॉन्फ़िगरेशन में तय)। यह एक घोषणा चैनल है: हर सूचना इसे फ़ॉलो करने वाले सर्वरों पर प्रकाशित होती है।\n\
             **रुका हुआ**: Discord answered 404: Unknown Channel। कारण ठीक करें, फिर दोबारा शुरू करने के लिए फिर से सदस्यता लें।\n\
             पिछली सूचना: <t:1772110800:f> (संदेश 99)।"
        );
        assert_eq!(
            status_reply(None, hi).content,
            "इस चैनल को कोई सूचना नहीं मिलती। Manage Server अनुमति वाला कोई सदस्य इन्हें `/alerts subscribe` से शुरू कर सकता है (किसी रोल का उल्लेख करने के लिए, वैकल्पिक रूप से `role:@role` के साथ)।"
        );
    }
}
