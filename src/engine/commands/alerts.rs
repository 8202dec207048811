//! `/alerts` — this channel hears, within a minute, when the fact base changes: new updates,
//! withdrawn ones, changed certainties (one message per reload). Subscribe (optionally with a
//! role to mention), unsubscribe, or see the status.
//!
//! All of `/alerts` lives here: the checks (channel, Manage Server, the bot's own permissions
//! in the channel), the calls to the [`Alerts`] service the serving process offers, and the
//! words of every reply. The alert message itself is rendered by [`crate::engine::alerts`].

use std::sync::Arc;

use super::digest::{channel, publishing_failed, require_bot_can_post, require_manage};
use crate::engine::alerts::{AlertStatus, Alerts, NewAlertSubscription};
use crate::engine::command::string_option;
use crate::engine::subscriptions::{Origin, Unsubscribed};
use crate::engine::timestamp::{marker, Style};
use crate::engine::{
    Action, Command, CommandError, Context, OptionValue, OutcomeFuture, Reply, ServiceError,
};
use crate::facts::OptionKind;

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
        CommandError::user("Alerts need the running bot (`factdesk serve`) with its database.")
    })
}

/// A failed service call: the reader gets an apology, the operator the reason.
fn unavailable(e: ServiceError) -> CommandError {
    CommandError::Internal {
        reason: e.to_string(),
        apology: "Sorry — the alerts' database is unavailable right now. Please try again later."
            .into(),
    }
}

fn subscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        require_manage(ctx)?;
        require_bot_can_post(ctx, "alerts")?;
        let caller = &ctx.invocation.caller;
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
            .map_err(unavailable)?;
        let mention = role.map_or(String::new(), |r| format!(", mentioning <@&{r}>"));
        Ok(Reply::ephemeral(format!(
            "Subscribed: this channel gets an alert{mention} within a minute whenever the editors add an update, withdraw one or change a certainty."
        )))
    })
}

fn unsubscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        require_manage(ctx)?;
        let done = service(ctx)?
            .unsubscribe(channel)
            .await
            .map_err(unavailable)?;
        Ok(Reply::ephemeral(match done {
            Unsubscribed::Removed => "Unsubscribed: this channel will get no more alerts.",
            Unsubscribed::NotSubscribed => "This channel had no alert subscription.",
            Unsubscribed::Configured => "This channel's alerts are set in the bot's configuration file, so they cannot be stopped from Discord. Ask the bot's operator to remove them there.",
        }))
    })
}

fn status<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        let status = service(ctx)?.status(channel).await.map_err(unavailable)?;
        Ok(status_reply(status.as_ref()))
    })
}

/// The reply to `/alerts status` (and each line of `factdesk alerts list`).
pub fn status_reply(status: Option<&AlertStatus>) -> Reply {
    let Some(s) = status else {
        return Reply::ephemeral("This channel gets no alerts. Someone with Manage Server can start them with `/alerts subscribe` (optionally `role:@role` to mention a role).");
    };
    let origin = match s.origin {
        Origin::Config => " (set in the bot's configuration)",
        Origin::Discord => "",
    };
    let role = s
        .role
        .map_or(String::new(), |r| format!(", mentioning <@&{r}>"));
    let mut out = format!("Alerts on{role}{origin}.");
    if s.announcement {
        out.push_str(" This is an announcement channel: each alert is published to the servers following it.");
    }
    if let Some(reason) = &s.paused {
        out.push_str(&format!(
            "\n**Paused**: {reason}. Fix the cause, then subscribe again to resume."
        ));
    }
    match &s.last {
        Some((at, message)) => out.push_str(&format!(
            "\nLast alert: {} (message {message}).",
            marker(*at, Style::ShortDateTime)
        )),
        None => out.push_str("\nNo alert posted yet."),
    }
    if let Some(why) = &s.publishing {
        out.push_str(&format!("\n{}", publishing_failed(why)));
    }
    Reply::ephemeral(out)
}
