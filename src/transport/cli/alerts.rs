//! `factdesk alerts list`: the operator's view of the change alerts, through the same service
//! `serve` runs.

use crate::config::Settings;
use crate::engine::commands::alerts::status_reply;
use crate::engine::timestamp::readable;

use super::args::AlertsCommand;
use super::CliError;

/// Runs `factdesk alerts …` with the configuration file `file`.
pub fn run(file: Option<&std::path::PathBuf>, command: AlertsCommand) -> Result<String, CliError> {
    let AlertsCommand::List { common, discord } = command;
    let file = file.map(std::path::PathBuf::as_path);
    let s = super::settings(file, &common, &discord, crate::config::Overrides::default())?;
    let now = common.now.unwrap_or_else(jiff::Timestamp::now);
    super::runtime()?.block_on(list(&s, now))
}

/// Every alert channel: its role, the last alert, pauses and publishing problems (times in
/// UTC).
pub async fn list(s: &Settings, now: jiff::Timestamp) -> Result<String, CliError> {
    let service = super::digest::service(s).await?;
    let failed = |e: crate::digest::StoreError| CliError::Failed(e.to_string());
    let store = service.store();
    // Like the digest's: the configured ones are added, never removed, from a shell.
    store
        .sync_alert_config(&s.alert_subscriptions, false)
        .await
        .map_err(failed)?;
    let subs = store.alert_subscriptions().await.map_err(failed)?;
    if subs.is_empty() {
        return Ok("no alert subscriptions".into());
    }
    let mut out = Vec::new();
    for sub in subs {
        let status = service.alert_status(sub.channel_id).await.map_err(failed)?;
        let reply = status_reply(status.as_ref(), None);
        out.push(format!(
            "channel {}: {}",
            sub.channel_id,
            readable(&reply.content, &jiff::tz::TimeZone::UTC, now).replace('\n', "\n  ")
        ));
    }
    Ok(out.join("\n"))
}
