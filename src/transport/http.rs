//! The HTTP interactions endpoint: Discord POSTs signed interactions to `/interactions`.
//!
//! Every request is verified (Ed25519 over `X-Signature-Timestamp` + raw body with the
//! application's public key) before its body is parsed; anything that fails is `401`, and
//! Discord sends bad signatures on purpose to check this. Timestamps more than five minutes
//! from now are refused (replay). Bodies over 64 KiB are refused with `413` without being read
//! whole. The endpoint is stateless, so replicas scale out behind any load balancer.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ed25519_dalek::{Signature, VerifyingKey};
use tracing::{debug, error, info, Instrument};

use super::followup::FollowUp;
use super::interaction::{self, Incoming, Reachable};
use crate::serving::{self, Answer, Answered, Served};
use crate::telemetry;

/// Discord's interaction payloads are small; anything larger is not an interaction.
pub const MAX_BODY: usize = 64 * 1024;
/// How far a request's timestamp may be from now.
const MAX_SKEW_SECS: u64 = 300;

/// Why a public key was not accepted at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("DISCORD_PUBLIC_KEY is not set; copy the application's public key (hex) from the Developer Portal (General Information)")]
    Missing,
    #[error("DISCORD_PUBLIC_KEY is not valid: {0}; it must be the 64 hex characters of the application's public key")]
    Invalid(String),
}

/// Parses the application's public key from hex.
pub fn public_key(hex_key: Option<&str>) -> Result<VerifyingKey, KeyError> {
    let hex_key = hex_key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(KeyError::Missing)?;
    let bytes = hex::decode(hex_key).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| KeyError::Invalid(format!("{} bytes instead of 32", b.len())))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Invalid(e.to_string()))
}

struct App {
    served: Arc<Served>,
    key: VerifyingKey,
    followup: FollowUp,
}

/// The endpoint's routes: `POST /interactions`, `GET /healthz`, `GET /metrics`. Answers that
/// wait on a service are deferred and edited in later through `followup`.
pub fn router(served: Arc<Served>, key: VerifyingKey, followup: FollowUp) -> Router {
    let app = Arc::new(App {
        served,
        key,
        followup,
    });
    Router::new()
        .route("/interactions", post(interactions))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// `/metrics` and `/healthz` alone, for `--metrics` when the endpoint itself is not served.
pub fn metrics_router(served: Arc<Served>) -> Router {
    let app = Arc::new(App {
        served,
        key: VerifyingKey::default(),
        followup: FollowUp::new(None),
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// Why a request was refused, for the debug log and the rejection metric.
fn reject(status: StatusCode, reason: &'static str) -> Response {
    debug!(
        status = status.as_u16(),
        reason, "rejected interaction request"
    );
    metrics::counter!("factdesk_http_rejections_total", "reason" => reason).increment(1);
    (status, reason).into_response()
}

/// Checks the signature headers against the body; `Err` carries the reason.
fn verify(
    key: &VerifyingKey,
    headers: &HeaderMap,
    body: &[u8],
    now: jiff::Timestamp,
) -> Result<(), &'static str> {
    let signature = headers
        .get("x-signature-ed25519")
        .ok_or("missing signature")?;
    let timestamp = headers
        .get("x-signature-timestamp")
        .ok_or("missing timestamp")?;
    let mut sig = [0u8; 64];
    hex::decode_to_slice(signature.as_bytes(), &mut sig).map_err(|_| "malformed signature")?;
    let sent: i64 = std::str::from_utf8(timestamp.as_bytes())
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or("malformed timestamp")?;
    // abs_diff: the timestamp is the sender's and may be any i64.
    if now.as_second().abs_diff(sent) > MAX_SKEW_SECS {
        return Err("stale timestamp");
    }
    let mut message = Vec::with_capacity(timestamp.len() + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.extend_from_slice(body);
    key.verify_strict(&message, &Signature::from_bytes(&sig))
        .map_err(|_| "bad signature")
}

fn json(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

async fn interactions(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    // Signatures are checked against the real clock even when replies use a pinned one.
    if let Err(reason) = verify(&app.key, &headers, &body, jiff::Timestamp::now()) {
        return reject(StatusCode::UNAUTHORIZED, reason);
    }
    let (invocation, reachable) = match interaction::from_json(&body, app.served.now()) {
        Ok(Incoming::Ping) => return json(crate::engine::Response::Pong.to_json()),
        Ok(Incoming::Invocation(inv, reachable)) => (inv, reachable),
        Err(e) => {
            debug!(error = %e, "signed but malformed interaction");
            return reject(StatusCode::BAD_REQUEST, "malformed interaction");
        }
    };
    let span = serving::span(&invocation, "http");
    match app
        .served
        .answer(&invocation)
        .instrument(span.clone())
        .await
    {
        Answered::Now(answer) => json(answer.response.to_json()),
        Answered::Later { deferred, answer } => {
            let followup = app.followup.clone();
            tokio::spawn(
                async move {
                    let answer = answer
                        .await
                        .unwrap_or_else(|e| serving::failed(&invocation, &e));
                    deliver_later(&followup, &reachable, answer).await;
                }
                .instrument(span),
            );
            json(deferred.to_json())
        }
    }
}

/// Edits a deferred response into the finished answer.
pub async fn deliver_later(followup: &FollowUp, to: &Reachable, answer: Answer) {
    let Some(reply) = answer.response.reply() else {
        return;
    };
    let Some(application_id) = to.application_id else {
        error!("a deferred interaction carried no application id; its answer is lost");
        return;
    };
    if let Err(e) = followup
        .edit_original(application_id, &to.token, reply)
        .await
    {
        crate::telemetry::record_callback_failure(&answer.label);
        error!(error = %e, "could not edit the deferred answer in");
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let engine = app.served.engine();
    // Serving the previous facts after a failed reload is healthy, but the operator should see
    // why the edit did not take.
    let reload = match app.served.reload_error() {
        Some(errors) => serde_json::json!({"ok": false, "errors": errors}),
        None => serde_json::json!({"ok": true}),
    };
    let body = serde_json::json!({
        "status": "ok",
        "facts": engine.summary(),
        "version": engine.version(),
        "reload": reload,
    });
    json(body.to_string())
}

async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        telemetry::metrics_handle().render(),
    )
        .into_response()
}

/// Binds `addr` (port 0 picks a free port) and reports the real address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves the endpoint on `listener` until `shutdown` resolves, then finishes requests in
/// flight (at most 10 s).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    info!("HTTP interactions endpoint listening on http://{local}/interactions");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = rx.await;
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => return result,
        () = shutdown => {}
    }
    let _ = tx.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }?;
    info!("HTTP endpoint closed");
    Ok(())
}
