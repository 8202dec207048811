//! Start-up's requests to Discord's REST API — `GET /gateway` (is Discord there?), `GET
//! /gateway/bot` (how many shards), the application-id lookup and command registration — made
//! so that a moment of trouble on Discord's side does not end start-up:
//! - a 429 is waited out: its `retry_after`, at most [`MAX_RETRY_AFTER`] (asking for longer is
//!   a failure saying how long), at most [`MAX_RATE_LIMITED`] times for one request;
//! - a 5xx or a failed connection is tried again after 1, 2 and 4 s, then reported;
//! - any other 4xx fails at once (401 as the token), and so does a request with no answer
//!   within [`REQUEST_TIMEOUT`] (it has waited long enough).
//!
//! serenity cannot do this against a stand-in: with its rate limiter off it reports a 429 as a
//! failure without its `retry_after` (shared/notes/serenity-0.12.md), so these go through
//! reqwest. The token travels only in the `Authorization` header; no error or log line holds it.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::Value;
use tracing::warn;

use crate::ratelimit::RateLimited;

/// How long one request may take; one without an answer by then is not tried again.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest 429 start-up waits out; Discord asking for longer is reported as a failure.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How many 429s one start-up request waits out before it gives up.
pub const MAX_RATE_LIMITED: u32 = 5;
/// The waits before trying again after a 5xx or a failed connection (7 s in all).
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// Why a start-up request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// 401: Discord does not know the token.
    Unauthorized,
    /// A 429 asking for a longer wait than start-up takes.
    WaitTooLong(Duration),
    /// Anything else, in words: the status and Discord's message, or the network error.
    Failed(String),
}

/// How one attempt went.
enum Attempt {
    Answered(Value),
    RateLimited(RateLimited),
    /// Worth trying again shortly: a 5xx or a failed connection.
    Transient(String),
    Refused(Failure),
}

/// Makes start-up's requests to Discord (or a stand-in) with the bot token.
pub struct StartupApi {
    client: reqwest::Client,
    /// e.g. `https://discord.com`, without a trailing slash.
    base: String,
    token: String,
}

impl std::fmt::Debug for StartupApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("StartupApi")
            .field("base", &self.base)
            .finish()
    }
}

impl StartupApi {
    /// Requests to `base` (e.g. `https://discord.com`) as the bot `token`.
    pub fn new(base: &str, token: &str) -> StartupApi {
        StartupApi {
            client: crate::ratelimit::discord_client(None),
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    /// `method /api/v10{path}` with `body` as JSON, through 429s and brief outages (see the
    /// module's doc); the answer's JSON (`null` for an empty one).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let request = format!("{method} /api/v10{path}");
        let (mut limited, mut failed) = (0, 0);
        loop {
            let wait = match self.attempt(&method, path, body).await {
                Attempt::Answered(json) => return Ok(json),
                Attempt::Refused(failure) => return Err(failure),
                Attempt::RateLimited(asked) => {
                    crate::telemetry::record_rate_limited(asked.global);
                    limited += 1;
                    if asked.retry_after > MAX_RETRY_AFTER {
                        return Err(Failure::WaitTooLong(asked.retry_after));
                    }
                    if limited > MAX_RATE_LIMITED {
                        return Err(Failure::Failed(format!(
                            "Discord answered 429 (rate limited) {limited} times in a row"
                        )));
                    }
                    warn!(%request, retry_after_s = asked.retry_after.as_secs_f64(), global = asked.global, "Discord rate limited start-up; waiting, then trying again");
                    asked.retry_after
                }
                Attempt::Transient(reason) => {
                    let Some(&wait) = BACKOFF.get(failed) else {
                        let tries = BACKOFF.len() + 1;
                        return Err(Failure::Failed(format!("{reason} ({tries} tries)")));
                    };
                    failed += 1;
                    warn!(%request, %reason, retry_in_s = wait.as_secs(), "a start-up request to Discord failed; trying again shortly");
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, method: &Method, path: &str, body: Option<&Value>) -> Attempt {
        let url = format!("{}/api/v10{path}", self.base);
        let mut request = self
            .client
            .request(method.clone(), url)
            .header(AUTHORIZATION, format!("Bot {}", self.token))
            .timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let answer = match request.send().await {
            Ok(response) => {
                let (status, headers) = (response.status(), response.headers().clone());
                response.text().await.map(|text| (status, headers, text))
            }
            Err(e) => Err(e),
        };
        let (status, headers, text) = match answer {
            Ok(answer) => answer,
            Err(e) if e.is_timeout() => {
                let waited = REQUEST_TIMEOUT.as_secs();
                return Attempt::Refused(Failure::Failed(format!("no answer within {waited} s")));
            }
            Err(e) => return Attempt::Transient(described(e)),
        };
        match status.as_u16() {
            200..=299 if text.trim().is_empty() => Attempt::Answered(Value::Null),
            200..=299 => match serde_json::from_str(&text) {
                Ok(json) => Attempt::Answered(json),
                Err(e) => Attempt::Refused(Failure::Failed(format!(
                    "answered {status} with a body that is not JSON ({e})"
                ))),
            },
            429 => Attempt::RateLimited(RateLimited::read(&headers, &text)),
            401 => Attempt::Refused(Failure::Unauthorized),
            500..=599 => Attempt::Transient(said(status, &text)),
            _ => Attempt::Refused(Failure::Failed(said(status, &text))),
        }
    }
}

/// "answered 400 Bad Request: Invalid Form Body {errors…}", from Discord's error body
/// (`{code, message, errors}`) as far as there is one.
fn said(status: reqwest::StatusCode, body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap_or_default();
    let mut said = format!("answered {status}");
    if let Some(message) = json["message"].as_str() {
        said.push_str(": ");
        said.push_str(message);
    }
    if !json["errors"].is_null() {
        // Which field Discord refused (a registration's command or option), cut short.
        let errors: String = json["errors"].to_string().chars().take(400).collect();
        said.push(' ');
        said.push_str(&errors);
    }
    said
}

/// A network error with its causes ("error sending request: … Connection refused"), without
/// the URL.
fn described(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
