//! The HTTP interactions endpoint: Discord POSTs signed interactions to `/interactions`.
//!
//! Every request is verified (Ed25519 over `X-Signature-Timestamp` + raw body with the
//! application's public key) before its body is parsed; anything that fails is `401`, and
//! Discord sends bad signatures on purpose to check this. Timestamps more than five minutes
//! from now are refused (replay). Bodies over 64 KiB are refused with `413` without being read
//! whole. The endpoint is stateless, so replicas scale out behind any load balancer.
//!
//! The endpoint faces the internet, so [`serve`] bounds what one client can hold (see
//! [`Limits`]): time to send headers (and to sit idle between requests), time to send the
//! body, and the number of open connections. `/healthz` here is public too: it never shows a
//! file path (the operator's log has the full reload errors).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ed25519_dalek::{Signature, VerifyingKey};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body as _;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn, Instrument};

use super::followup::FollowUp;
use super::interaction::{self, Incoming, Reachable};
use crate::serving::{self, Answer, Answered, Served};
use crate::telemetry;

/// Discord's interaction payloads are small; anything larger is not an interaction.
pub const MAX_BODY: usize = 64 * 1024;
/// How far a request's timestamp may be from now.
const MAX_SKEW_SECS: u64 = 300;
/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// The pause after a failed accept: the usual cause (no file descriptors left) lasts until a
/// connection closes, and retrying at once would spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What one client may hold of the endpoint. [`Limits::default`] is production's; tests
/// shorten the timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers, counted from the moment the connection opens or the
    /// previous response went out — so it is also the keep-alive idle timeout (hyper restarts
    /// its header timer when a connection goes idle). Past it the connection is closed.
    pub header_read: Duration,
    /// Time to send the whole body once the headers are in; past it, `408` and close.
    pub body_read: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// On shutdown, how long requests in flight may finish (`shutdown_grace_seconds`).
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // Discord sends a whole request at once; 10 s is generous for any real client.
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
            // Discord needs a handful. Below the usual 1024 open-file limit, so a flood meets
            // this limit (and waits) before the process runs out of descriptors.
            max_connections: 512,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Why a public key was not accepted at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("DISCORD_PUBLIC_KEY is not set; copy the application's public key (hex) from the Developer Portal (General Information)")]
    Missing,
    #[error("DISCORD_PUBLIC_KEY is not valid: {0}; it must be the 64 hex characters of the application's public key")]
    Invalid(String),
    /// All zeros, the identity point or another small-order point: no genuine signature can
    /// match it, so the endpoint would refuse every request.
    #[error("DISCORD_PUBLIC_KEY is a weak key (all zeros or another small-order point) that no request would verify against; copy the application's public key (hex) from the Developer Portal (General Information)")]
    Weak,
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
    let key = VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Invalid(e.to_string()))?;
    match key.is_weak() {
        true => Err(KeyError::Weak),
        false => Ok(key),
    }
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
        .answer(&invocation, Some(&reachable))
        .instrument(span.clone())
        .await
    {
        Answered::Now(answer) => json(answer.response.to_json()),
        Answered::Later { deferred, answer } => {
            let followup = app.followup.clone();
            let engine = app.served.engine();
            tokio::spawn(
                async move {
                    let answer = answer
                        .await
                        .unwrap_or_else(|e| serving::failed(&engine, &invocation, &e));
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
    // why the edit did not take. The errors here carry no file path: this route is public.
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
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `app` on `listener` with the production [`Limits`] until `shutdown` resolves, then
/// finishes requests in flight (at most 10 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, Limits::default(), shutdown).await
}

/// [`serve`] with the given limits.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    info!("HTTP interactions endpoint listening on http://{local}/interactions");
    let (stop, stopped) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    // Failed accepts in the current burst: the first is logged, the rest only counted.
    let mut failures = 0u64;
    loop {
        // A free slot before accepting: over the limit, connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, _)) => {
                if failures > 0 {
                    info!(failed_accepts = failures, "accepting connections again");
                    failures = 0;
                }
                let connection = connection(stream, app.clone(), limits, stopped.clone(), slot);
                connections.spawn(connection);
            }
            // The client gave up before we took the connection: nothing is wrong here.
            Err(e) if is_connection_error(&e) => debug!(error = %e, "accept: client left"),
            Err(e) => {
                if failures == 0 {
                    error!(error = %e, "accept failed; retrying every {ACCEPT_BACKOFF:?} and logging once when it works again (out of file descriptors? raise the open-file limit, e.g. LimitNOFILE)");
                }
                failures += 1;
                metrics::counter!("factdesk_http_accept_errors_total").increment(1);
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    () = &mut shutdown => break,
                }
            }
        }
        while connections.try_join_next().is_some() {}
    }
    // Refuse new connections, tell open ones to finish their request and close, then wait.
    drop(listener);
    let _ = stop.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        warn!(
            open = connections.len(),
            "requests still in flight after {:?}; closing their connections", limits.shutdown_grace
        );
    }
    info!("HTTP endpoint closed");
    Ok(())
}

/// Errors of one connection that the client caused; the listener itself is fine.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Serves one connection until the client closes it, a timeout closes it, or `stopped` says
/// to finish the request in flight and close. Holds `_slot` for as long as it is open.
async fn connection(
    stream: TcpStream,
    app: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let service =
        hyper::service::service_fn(move |request| respond(app.clone(), request, limits.body_read));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = async { let _ = stopped.wait_for(|stop| *stop).await; } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Timeouts and clients that vanish mid-request end up here; neither is our failure.
        debug!(error = %e, "connection closed");
    }
}

/// Reads the body within the limits, then hands the request to the router.
async fn respond(
    app: Router,
    request: Request<hyper::body::Incoming>,
    within: Duration,
) -> Result<Response, Infallible> {
    let (parts, body) = request.into_parts();
    match read_body(body, within).await {
        Ok(body) => {
            let request = Request::from_parts(parts, Body::from(body));
            hyper::service::Service::call(&TowerToHyperService::new(app), request).await
        }
        Err(refusal) => Ok(refusal),
    }
}

/// The whole body, or the refusal: `413` when it is, or says it is, over [`MAX_BODY`], `408`
/// when it has not arrived within `within`. A refusal closes the connection: the unread rest
/// of the body would otherwise be taken for the next request.
async fn read_body(body: hyper::body::Incoming, within: Duration) -> Result<Bytes, Response> {
    // A declared Content-Length is known before any of the body: no need to wait for it.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large"));
    }
    match tokio::time::timeout(within, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large"))
        }
        Ok(Err(_)) => Err(refuse(StatusCode::BAD_REQUEST, "broken body")),
        Err(_) => Err(refuse(StatusCode::REQUEST_TIMEOUT, "body timeout")),
    }
}

/// [`reject`], and close the connection after the answer.
fn refuse(status: StatusCode, reason: &'static str) -> Response {
    let mut response = reject(status, reason);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
