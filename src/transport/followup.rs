//! Editing a deferred interaction response: when an answer waits on a service past
//! [`crate::serving::DEFER_AFTER`], the transport acknowledges with a deferred response and
//! then replaces it here, through the interaction webhook (`PATCH
//! /webhooks/{application_id}/{token}/messages/@original`). The interaction token authorises
//! the call (no bot token needed, so HTTP-only replicas can do it) and is valid for 15 minutes.
//! The same webhook tells the cooldowns which message an answer became (`GET …/@original`,
//! [`Locate`]), so a repeat can link to it.
//!
//! The URL holds the interaction token: errors are reported without it.

use std::time::Duration;

use crate::engine::Reply;
use crate::serving::cooldown::Locate;
use crate::serving::Reachable;

/// How long one edit may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts for a 5xx, a 429 or a network error.
const ATTEMPTS: u32 = 3;

/// Sends follow-ups to Discord (or a stand-in).
#[derive(Clone)]
pub struct FollowUp {
    client: reqwest::Client,
    api_base: String,
}

impl FollowUp {
    /// Follow-ups to `api_base` (`None`: Discord).
    pub fn new(api_base: Option<&str>) -> FollowUp {
        FollowUp {
            client: crate::ratelimit::discord_client(Some(TIMEOUT)),
            api_base: api_base
                .unwrap_or("https://discord.com")
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    /// The webhook URL of interaction `token`'s response (holds the token: never log it).
    fn original(&self, application_id: u64, token: &str) -> String {
        format!(
            "{}/api/v10/webhooks/{application_id}/{token}/messages/@original",
            self.api_base
        )
    }

    /// Replaces the deferred response of interaction `token` with `reply`.
    pub async fn edit_original(
        &self,
        application_id: u64,
        token: &str,
        reply: &Reply,
    ) -> Result<(), String> {
        let url = self.original(application_id, token);
        let body = reply.edit_json();
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let sent = self
                .client
                .patch(&url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("Discord answered {}", r.status());
                }
                Ok(r) => return Err(format!("Discord answered {}", r.status())),
                Err(e) => last = e.without_url().to_string(),
            }
            tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
        }
        Err(last)
    }
}

#[async_trait::async_trait]
impl Locate for FollowUp {
    /// One `GET …/messages/@original` (no retry: the reader is waiting; the caller bounds it).
    async fn message_id(&self, answered: &Reachable) -> Option<u64> {
        #[derive(serde::Deserialize)]
        struct Message {
            id: String,
        }
        let url = self.original(answered.application_id?, &answered.token);
        let found = match self.client.get(&url).send().await {
            Ok(r) if r.status().is_success() => r.bytes().await.ok(),
            Ok(r) => {
                tracing::debug!(
                    status = r.status().as_u16(),
                    "the first answer's message was not found"
                );
                None
            }
            Err(e) => {
                tracing::debug!(error = %e.without_url(), "could not look up the first answer's message");
                None
            }
        };
        serde_json::from_slice::<Message>(&found?)
            .ok()?
            .id
            .parse()
            .ok()
    }
}
