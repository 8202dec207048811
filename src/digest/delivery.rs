//! Posting a digest to Discord: bot `POST /channels/{id}/messages` with a nonce Discord
//! enforces, or a webhook. Every request waits for its turn from the
//! [`Pacer`](crate::ratelimit::Pacer) — Discord's global limit, the route's bucket, any 429's
//! pause — and reports the answer back to it. Retries follow Discord's rules: 429 waits
//! `retry_after` (the pacer holds the route, or every route for a global 429); 5xx and network
//! errors back off exponentially with jitter, a bounded number of times, without holding a
//! sender's slot; 403 and 404 are permanent (the caller pauses the subscription).
//!
//! reqwest is used directly rather than serenity's `Http`: with serenity's rate limiter off (as
//! a stand-in requires) a 429's `retry_after` never reaches the caller.

use std::time::Duration;

use crate::engine::Reply;
use crate::ratelimit::{RateLimited, Route, Slot};

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

impl Target {
    /// The route Discord limits posts to this target by: the channel's, or the webhook's.
    fn route(&self) -> Route {
        match self {
            Target::Channel { channel_id, .. } => {
                Route::new("POST /channels/{id}/messages", channel_id)
            }
            // By the webhook's id only: the rest of the URL is its token.
            Target::Webhook { url } => {
                let id = url
                    .split("/webhooks/")
                    .nth(1)
                    .and_then(|rest| rest.split(['/', '?']).next())
                    .unwrap_or_default();
                Route::new("POST /webhooks/{id}/{token}", id)
            }
        }
    }
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
    /// 429: Discord asks us (or, globally, every sender) to wait.
    RetryAfter(RateLimited),
    /// 403 / 404: the bot lost access or the channel is gone.
    Permanent { status: u16, message: String },
    /// 5xx or a network error: back off and try again, while attempts last.
    Retry(String),
    /// Anything else: give up now.
    Failed(String),
}

/// Posts `reply` to `target`, with `nonce` so a repeat of the same day's post is de-duplicated
/// by Discord (bot posts; webhooks do not support nonces). Each attempt waits for its turn in
/// `slot`.
pub async fn post(
    client: &reqwest::Client,
    slot: &mut Slot<'_>,
    target: &Target,
    reply: &Reply,
    nonce: &str,
) -> Result<MessageId, DeliveryError> {
    let body = reply.channel_message_json(nonce);
    let webhook = matches!(target, Target::Webhook { .. });
    exchange(slot, &target.route(), target, webhook, || {
        send(client, target, &body)
    })
    .await
}

/// Publishes the bot's message `message_id` in announcement channel `target` (`POST
/// /channels/{id}/messages/{id}/crosspost`), so servers following the channel receive it; with
/// the same retries as a post. Discord allows about 10 an hour per channel: one post per
/// digest or alert keeps under it. A webhook target is left alone.
pub async fn crosspost(
    client: &reqwest::Client,
    slot: &mut Slot<'_>,
    target: &Target,
    message_id: &str,
) -> Result<(), DeliveryError> {
    let Target::Channel {
        api_base,
        token,
        channel_id,
    } = target
    else {
        return Ok(());
    };
    let route = Route::new("POST /channels/{id}/messages/{id}/crosspost", channel_id);
    let url = format!(
        "{}/api/v10/channels/{channel_id}/messages/{message_id}/crosspost",
        api_base.trim_end_matches('/')
    );
    exchange(slot, &route, target, false, || {
        client
            .post(&url)
            .header("authorization", format!("Bot {token}"))
            .timeout(Duration::from_secs(15))
            .send()
    })
    .await
    .map(drop)
}

/// The type of `target`'s channel (`GET /channels/{id}`; 5: announcement), for a channel whose
/// subscription did not say (configured ones). `None` for a webhook.
pub async fn channel_kind(
    client: &reqwest::Client,
    slot: &mut Slot<'_>,
    target: &Target,
) -> Result<Option<u8>, String> {
    let Target::Channel {
        api_base,
        token,
        channel_id,
    } = target
    else {
        return Ok(None);
    };
    let url = format!(
        "{}/api/v10/channels/{channel_id}",
        api_base.trim_end_matches('/')
    );
    let route = Route::new("GET /channels/{id}", channel_id);
    let channel = get(client, slot, &route, url, token).await?;
    Ok(channel["type"].as_u64().and_then(|k| u8::try_from(k).ok()))
}

/// One request to Discord, attempted until it succeeds (the message id it answered), fails
/// for good, or — for a `webhook`, which carries no nonce — may have been sent. 429s, 5xx and
/// network errors are retried as the module's doc says.
async fn exchange<F>(
    slot: &mut Slot<'_>,
    route: &Route,
    target: &Target,
    webhook: bool,
    attempt_once: impl Fn() -> F,
) -> Result<MessageId, DeliveryError>
where
    F: std::future::Future<Output = Result<reqwest::Response, reqwest::Error>>,
{
    let mut attempt = 0;
    let mut rate_limited = 0;
    loop {
        slot.ready(route).await;
        attempt += 1;
        let outcome = match attempt_once().await {
            // A webhook post that may have been sent is not repeated: it has no nonce.
            Err(e) if !e.is_connect() && webhook => {
                return Err(DeliveryError::Unknown(format!(
                    "network error: {}",
                    e.without_url()
                )));
            }
            // Without the URL: a webhook URL carries its token.
            Err(e) => Outcome::Retry(format!("network error: {}", e.without_url())),
            Ok(response) => classify(slot, route, response).await,
        };
        match outcome {
            Outcome::Posted(id) => return Ok(id),
            Outcome::Permanent { status, message } => {
                return Err(DeliveryError::Permanent { status, message });
            }
            Outcome::Failed(why) => return Err(DeliveryError::Failed(why)),
            Outcome::RetryAfter(limited) => {
                let after = limited.retry_after;
                if after > MAX_RETRY_AFTER {
                    return Err(DeliveryError::Failed(format!("rate limited for {after:?}")));
                }
                tracing::warn!(
                    ?target,
                    retry_after_s = after.as_secs_f64(),
                    global = limited.global,
                    "rate limited; waiting"
                );
                // A 429 is Discord asking us to wait, not a failure: it does not use up
                // an attempt, but a bound of its own still applies. The pacer now holds the
                // route (or every route): the next `ready` waits it out.
                attempt -= 1;
                rate_limited += 1;
                if rate_limited > MAX_RATE_LIMITED {
                    return Err(DeliveryError::Failed("rate limited too many times".into()));
                }
            }
            Outcome::Retry(why) => {
                let wait = backoff(attempt);
                if attempt >= MAX_ATTEMPTS {
                    return Err(DeliveryError::Failed(format!(
                        "{why}; gave up after {attempt} attempts"
                    )));
                }
                tracing::warn!(?target, attempt, backoff_ms = wait.as_millis() as u64, reason = %why, "request failed; retrying");
                slot.idle(wait).await;
            }
        }
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
        .body(body.to_owned())
        .timeout(Duration::from_secs(15))
        .send()
        .await
}

/// Reads Discord's answer (and tells the pacer what it said about the route): success, wait
/// and retry, permanent, retry, or failed.
async fn classify(slot: &Slot<'_>, route: &Route, response: reqwest::Response) -> Outcome {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    if let Some(limited) = slot.answered(route, status, &headers, &text) {
        return Outcome::RetryAfter(limited);
    }
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match status {
        200..=299 => match json["id"].as_str() {
            Some(id) => Outcome::Posted(id.to_owned()),
            None => Outcome::Failed(format!("Discord answered {status} without a message id")),
        },
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
    slot: &mut Slot<'_>,
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
    let me = get(
        client,
        slot,
        &Route::new("GET /users/@me", ""),
        format!("{base}/api/v10/users/@me"),
        token,
    )
    .await?;
    // Discord ids are snowflakes: milliseconds since 2015 shifted left 22 bits.
    let after = (since.as_millisecond() - 1_420_070_400_000).max(0) << 22;
    let messages = get(
        client,
        slot,
        &Route::new("GET /channels/{id}/messages", channel_id),
        format!("{base}/api/v10/channels/{channel_id}/messages?limit=100&after={after}"),
        token,
    )
    .await?;
    let ours = messages
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["author"]["id"] == me["id"] && headline(m) == title);
    Ok(ours.and_then(|m| m["id"].as_str()).map(str::to_owned))
}

/// One paced GET as the bot: its JSON, or why not (a 429 is reported, not waited out: the
/// caller settles the digest later).
async fn get(
    client: &reqwest::Client,
    slot: &mut Slot<'_>,
    route: &Route,
    url: String,
    token: &str,
) -> Result<serde_json::Value, String> {
    let failed = |e: reqwest::Error| e.without_url().to_string();
    slot.ready(route).await;
    let response = client
        .get(url)
        .header("authorization", format!("Bot {token}"))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .map_err(failed)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.map_err(failed)?;
    if let Some(limited) = slot.answered(route, status, &headers, &text) {
        return Err(format!(
            "Discord asked to wait {:.1} s",
            limited.retry_after.as_secs_f64()
        ));
    }
    if !(200..300).contains(&status) {
        return Err(format!("Discord answered {status}"));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}
