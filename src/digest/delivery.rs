//! Posting a digest to Discord: bot `POST /channels/{id}/messages` with a nonce Discord
//! enforces, or a webhook. Retries follow Discord's rules: 429 waits `retry_after`; 5xx and
//! network errors back off exponentially with jitter, a bounded number of times; 403 and 404
//! are permanent (the caller pauses the subscription).
//!
//! reqwest is used directly rather than serenity's `Http`: with serenity's rate limiter off (as
//! a stand-in requires) a 429's `retry_after` never reaches the caller.

use std::time::Duration;

use crate::engine::Reply;

/// At most this many attempts for 5xx / network errors.
const MAX_ATTEMPTS: u32 = 6;
/// At most this many 429s for one post.
const MAX_RATE_LIMITED: u32 = 20;
/// First backoff; doubles each attempt, ±50 % jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(200);
/// A `retry_after` longer than this is treated as a failure for now (the scheduler retries).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Where a digest goes.
#[derive(Clone)]
pub enum Target {
    /// The bot posts in a channel.
    Channel {
        api_base: String,
        token: String,
        channel_id: u64,
    },
    /// A webhook URL (the bot need not be in the server).
    Webhook { url: String },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the token nor the webhook URL (which holds a secret) is printed.
        match self {
            Target::Channel { channel_id, .. } => write!(f, "channel {channel_id}"),
            Target::Webhook { .. } => write!(f, "webhook"),
        }
    }
}

/// Why a post failed for good.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// 403 / 404: the bot lost access or the channel is gone; pause, do not retry.
    #[error("Discord answered {status}: {message}")]
    Permanent { status: u16, message: String },
    /// Retries exhausted (5xx, network, long rate limits) or another 4xx: not posted.
    #[error("{0}")]
    Failed(String),
    /// Sent off, but no answer came (a timeout or a dropped connection): it may have been
    /// posted. A webhook post is not retried then (it carries no nonce to de-duplicate it).
    #[error("{0}")]
    Unknown(String),
}

/// The message id Discord returned.
pub type MessageId = String;

fn jitter(d: Duration, seed: u32) -> Duration {
    // Cheap jitter from the clock's nanoseconds: enough to keep replicas from retrying in step.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let factor = 0.5 + f64::from((nanos ^ seed.wrapping_mul(2_654_435_761)) % 1000) / 1000.0;
    d.mul_f64(factor)
}

/// What one attempt's answer means for the post.
enum Outcome {
    /// 2xx with a message id: done.
    Posted(MessageId),
    /// 429: Discord asks us to wait this long.
    RetryAfter(Duration),
    /// 403 / 404: the bot lost access or the channel is gone.
    Permanent { status: u16, message: String },
    /// 5xx or a network error: back off and try again, while attempts last.
    Retry(String),
    /// Anything else: give up now.
    Failed(String),
}

/// Posts `reply` to `target`, with `nonce` so a repeat of the same day's post is de-duplicated
/// by Discord (bot posts; webhooks do not support nonces).
pub async fn post(
    client: &reqwest::Client,
    target: &Target,
    reply: &Reply,
    nonce: &str,
) -> Result<MessageId, DeliveryError> {
    let body = reply.channel_message_json(nonce);
    let mut attempt = 0;
    let mut rate_limited = 0;
    loop {
        attempt += 1;
        let outcome = match send(client, target, &body).await {
            // A webhook post that may have been sent is not repeated: it has no nonce.
            Err(e) if !e.is_connect() && matches!(target, Target::Webhook { .. }) => {
                return Err(DeliveryError::Unknown(format!(
                    "network error: {}",
                    e.without_url()
                )));
            }
            // Without the URL: a webhook URL carries its token.
            Err(e) => Outcome::Retry(format!("network error: {}", e.without_url())),
            Ok(response) => classify(response).await,
        };
        let wait = match outcome {
            Outcome::Posted(id) => return Ok(id),
            Outcome::Permanent { status, message } => {
                return Err(DeliveryError::Permanent { status, message });
            }
            Outcome::Failed(why) => return Err(DeliveryError::Failed(why)),
            Outcome::RetryAfter(after) => {
                if after > MAX_RETRY_AFTER {
                    return Err(DeliveryError::Failed(format!("rate limited for {after:?}")));
                }
                tracing::warn!(
                    ?target,
                    retry_after_s = after.as_secs_f64(),
                    "rate limited; waiting"
                );
                // A 429 is Discord asking us to wait, not a failure: it does not use up
                // an attempt, but a bound of its own still applies.
                attempt -= 1;
                rate_limited += 1;
                if rate_limited > MAX_RATE_LIMITED {
                    return Err(DeliveryError::Failed("rate limited too many times".into()));
                }
                after
            }
            Outcome::Retry(why) => {
                let wait = backoff(attempt);
                if attempt >= MAX_ATTEMPTS {
                    return Err(DeliveryError::Failed(format!(
                        "{why}; gave up after {attempt} attempts"
                    )));
                }
                tracing::warn!(?target, attempt, backoff_ms = wait.as_millis() as u64, reason = %why, "post failed; retrying");
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Sends one attempt: to the channel's messages endpoint as the bot, or to the webhook with
/// `wait=true` so Discord returns the message.
async fn send(
    client: &reqwest::Client,
    target: &Target,
    body: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    let request = match target {
        Target::Channel {
            api_base,
            token,
            channel_id,
        } => client
            .post(format!(
                "{}/api/v10/channels/{channel_id}/messages",
                api_base.trim_end_matches('/')
            ))
            .header("authorization", format!("Bot {token}")),
        Target::Webhook { url } => {
            let sep = if url.contains('?') { '&' } else { '?' };
            client.post(format!("{url}{sep}wait=true"))
        }
    };
    request
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!(
                "DiscordBot (https://github.com/factdesk, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ),
        )
        .body(body.to_owned())
        .timeout(Duration::from_secs(15))
        .send()
        .await
}

/// Reads Discord's answer: success, retry after a wait, permanent, retry, or failed.
async fn classify(response: reqwest::Response) -> Outcome {
    let status = response.status().as_u16();
    let header_wait = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite());
    let text = response.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match status {
        200..=299 => match json["id"].as_str() {
            Some(id) => Outcome::Posted(id.to_owned()),
            None => Outcome::Failed(format!("Discord answered {status} without a message id")),
        },
        429 => Outcome::RetryAfter(retry_after(&json, header_wait)),
        403 | 404 => {
            let message = json["message"].as_str().unwrap_or(&text).to_owned();
            Outcome::Permanent { status, message }
        }
        500..=599 => Outcome::Retry(format!("Discord answered {status}")),
        _ => {
            let message = json["message"].as_str().unwrap_or(&text).to_owned();
            Outcome::Failed(format!("Discord answered {status}: {message}"))
        }
    }
}

/// How long a 429 asks us to wait: the body's `retry_after`, else the `Retry-After` header,
/// else one second; at most an hour.
fn retry_after(json: &serde_json::Value, header_wait: Option<f64>) -> Duration {
    let after = json["retry_after"]
        .as_f64()
        .filter(|v| v.is_finite())
        .or(header_wait)
        .unwrap_or(1.0);
    Duration::from_secs_f64(after.clamp(0.0, 3600.0))
}

/// How long to back off before attempt `attempt + 1`: doubling from [`BASE_BACKOFF`], jittered.
fn backoff(attempt: u32) -> Duration {
    jitter(BASE_BACKOFF * 2u32.pow(attempt - 1), attempt)
}

/// Searches `target`'s channel for a message the bot posted since `since` whose first line is
/// `title` (a digest's title names its date): the post of an unconfirmed digest, if it arrived.
/// A posted message's first line as [`crate::engine::Reply::headline`] reads it: the
/// content's, or the first embed's title.
fn headline(message: &serde_json::Value) -> &str {
    match message["content"].as_str().and_then(|c| c.lines().next()) {
        Some(line) if !line.trim().is_empty() => line,
        _ => message["embeds"][0]["title"].as_str().unwrap_or_default(),
    }
}

pub async fn find_own(
    client: &reqwest::Client,
    target: &Target,
    since: jiff::Timestamp,
    title: &str,
) -> Result<Option<MessageId>, String> {
    let Target::Channel {
        api_base,
        token,
        channel_id,
    } = target
    else {
        return Ok(None);
    };
    let base = api_base.trim_end_matches('/');
    let get = |url: String| async move {
        let failed = |e: reqwest::Error| e.without_url().to_string();
        let response = client
            .get(url)
            .header("authorization", format!("Bot {token}"))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(failed)?;
        if !response.status().is_success() {
            return Err(format!("Discord answered {}", response.status()));
        }
        let text = response.text().await.map_err(failed)?;
        serde_json::from_str::<serde_json::Value>(&text).map_err(|e| e.to_string())
    };
    let me = get(format!("{base}/api/v10/users/@me")).await?;
    // Discord ids are snowflakes: milliseconds since 2015 shifted left 22 bits.
    let after = (since.as_millisecond() - 1_420_070_400_000).max(0) << 22;
    let messages = get(format!(
        "{base}/api/v10/channels/{channel_id}/messages?limit=100&after={after}"
    ))
    .await?;
    let ours = messages
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["author"]["id"] == me["id"] && headline(m) == title);
    Ok(ours.and_then(|m| m["id"].as_str()).map(str::to_owned))
}
