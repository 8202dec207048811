//! A local stand-in for Discord: REST and gateway on 127.0.0.1, port 0, speaking enough of
//! Discord's protocol for the real serenity client (inside the real `factdesk` binary) to run
//! against it. Every REST request and every gateway frame the bot sends is recorded for
//! assertions; faults (429, 5xx, 403, 404) can be injected per route; the gateway can drop the
//! socket, ask for a reconnect, or close with a chosen code.
//!
//! Rate limits, when asked for, behave like Discord's: a global limit per second (a bucket of
//! that many requests, refilled continuously) answered with `429 {"global": true}` when
//! exceeded, and per-route buckets (per route shape and major id, a fixed window) announced in
//! `X-RateLimit-*` headers and answered with a route 429 when used up. Interaction callbacks
//! are exempt, as on Discord.
//!
//! Sharding: `GET /gateway/bot` recommends [`StandIn::recommend_shards`] shards (1 unless a test
//! asks for more). A connection belongs to the shard it identifies as (`shard: [id, total]`)
//! or whose session it resumes; each shard has its own session, and a RESUME naming no known
//! session is refused (op 9), as Discord does. The helpers without a shard (`dispatch`,
//! `interaction`, `close`, …) talk to shard 0; the `_on` ones to a chosen shard.
//!
//! Payloads follow Discord's documentation and what serenity 0.12's models require to
//! deserialize (see shared/notes/serenity-0.12.md): a payload serenity cannot parse is dropped
//! silently, so the builders below send complete objects.

// Parts of the stand-in serve only some test modules (the digest's faults and messages).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governor::clock::Clock;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

pub const TOKEN: &str = "stand-in-token.abc123";
pub const APP_ID: &str = "1200000000000000001";
pub const GUILD_ID: &str = "1100000000000000001";
pub const CHANNEL_ID: &str = "1150000000000000001";
pub const USER_ID: &str = "1000000000000000001";
/// Discord's `MANAGE_GUILD` permission bit.
pub const MANAGE_GUILD: u64 = 1 << 5;

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The status the stand-in answered with.
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
    /// Answered with a global 429.
    pub global: bool,
}

impl Recorded {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} body is not JSON ({e}): {}",
                self.method,
                self.path,
                self.text()
            )
        })
    }
}

/// A failure to inject on a route.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `retry_after` seconds (body and `Retry-After` header, as Discord sends).
    RateLimited(f64),
    /// A global 429, as Discord sends it: no `code`, `"global": true`, `X-RateLimit-Global`.
    GlobalRateLimited(f64),
    /// Any other status with Discord's error body.
    Status(u16),
    /// Create the message, then never answer (the bot is killed while it waits).
    Hang,
    /// Create the message, then answer only after this long.
    Delay(Duration),
}

enum GatewayCommand {
    Text(String),
    Close(u16),
    Drop,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Frames the bot sent on the gateway, in order, across connections, with the shard of
    /// the connection (once it identified or resumed).
    frames: Vec<(Option<u64>, Value)>,
    faults: Vec<(String, String, VecDeque<Fault>)>,
    /// The connection of each shard: the latest that identified or resumed as it.
    gateway: HashMap<u64, mpsc::UnboundedSender<GatewayCommand>>,
    /// Each shard's session id, from its last READY.
    sessions: HashMap<u64, String>,
    /// Each shard's last sequence number sent (Discord numbers events per session).
    seqs: HashMap<u64, u64>,
    /// The shard count `GET /gateway/bot` recommends.
    shards: u64,
    connections: usize,
    /// Connections that identified or resumed as each shard.
    shard_connections: HashMap<u64, usize>,
    identify_close: Option<u16>,
    /// (channel, nonce) → message, for `enforce_nonce`.
    nonces: HashMap<(String, String), Value>,
    messages: Vec<Value>,
    /// Interaction token → the id of the message its response became (`GET …/@original`).
    originals: HashMap<String, String>,
    /// Per-route buckets, when on: how many requests per window.
    route_limit: Option<(u32, Duration)>,
    /// (route shape, major id) → requests counted and when the window resets.
    windows: HashMap<(String, String), (u32, std::time::Instant)>,
    /// How long every message post waits before it is answered.
    answer_after: Duration,
    /// When the last message post was answered with success.
    last_answered: Option<std::time::Instant>,
    /// Channel id → its type, for `GET /channels/{id}` (0, a text channel, unless set).
    channel_kinds: HashMap<String, u8>,
}

/// Discord's global limit, as the stand-in applies it.
type GlobalLimit = governor::DefaultDirectRateLimiter;

/// How the stand-in's traffic went, counted without copying what was recorded.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Message posts received (bot and webhook), whatever was answered.
    pub posts: usize,
    /// Requests answered 429.
    pub rate_limited: usize,
    /// ... of which global.
    pub global_rate_limited: usize,
    /// Messages created (after nonce de-duplication).
    pub messages: usize,
    /// Channels with at least one message, and with more than one.
    pub channels: usize,
    pub duplicated: usize,
    /// The most message posts held at once (received, not yet answered).
    pub most_in_flight: usize,
    pub first_post: Option<std::time::Instant>,
    pub last_answered: Option<std::time::Instant>,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
    ids: AtomicU64,
    addr: Mutex<Option<SocketAddr>>,
    global: Mutex<Option<Arc<GlobalLimit>>>,
    /// Message posts received and not yet answered, and the most at once.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn next_id(&self) -> String {
        (1_400_000_000_000_000_000 + self.ids.fetch_add(1, Ordering::SeqCst)).to_string()
    }

    fn ws_url(&self) -> String {
        let addr = self
            .addr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .expect("bound before serving");
        format!("ws://{addr}/gateway")
    }
}

/// The running stand-in. Dropping it stops the server.
pub struct StandIn {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl StandIn {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start() -> StandIn {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                shards: 1,
                ..Inner::default()
            }),
            changed: Notify::new(),
            ids: AtomicU64::new(1),
            addr: Mutex::new(None),
            global: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/gateway", get(gateway))
            .fallback(rest)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stand-in");
        let addr = listener.local_addr().expect("local addr");
        *shared.addr.lock().expect("fresh lock") = Some(addr);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StandIn {
            addr,
            shared,
            server,
        }
    }

    /// The value for `DISCORD_API_BASE`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every REST request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Panics unless every REST request so far introduced itself as Discord asks bots to
    /// (`User-Agent: DiscordBot ($url, $version)`), and there was at least one.
    pub fn assert_user_agents(&self) {
        let requests = self.requests();
        assert!(!requests.is_empty(), "no REST requests were made");
        for r in requests {
            let agent = r.headers.get("user-agent").and_then(|v| v.to_str().ok());
            assert!(
                agent.is_some_and(|a| a.starts_with("DiscordBot (")),
                "{} {} came with user agent {agent:?}",
                r.method,
                r.path
            );
        }
    }

    /// Arrival times of interaction callbacks, by interaction id (no copies of bodies).
    pub fn callback_times(&self) -> HashMap<String, std::time::Instant> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter_map(|r| {
                r.path
                    .strip_prefix("/api/v10/interactions/")
                    .map(|rest| (rest.split('/').next().unwrap_or("").to_owned(), r.at))
            })
            .collect()
    }

    /// How many interaction callbacks arrived.
    pub fn callback_count(&self) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.path.starts_with("/api/v10/interactions/"))
            .count()
    }

    /// Waits until something changes (a request or a gateway frame), at most `timeout`.
    pub async fn changed(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.shared.changed.notified()).await;
    }

    /// Every gateway frame the bot sent so far.
    pub fn frames(&self) -> Vec<Value> {
        self.shared
            .lock()
            .frames
            .iter()
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// The gateway frames shard `shard`'s connections sent (from its IDENTIFY or RESUME on).
    pub fn frames_on(&self, shard: u64) -> Vec<Value> {
        self.shared
            .lock()
            .frames
            .iter()
            .filter(|(s, _)| *s == Some(shard))
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// Makes `GET /gateway/bot` recommend `shards` shards (start the bot after this).
    pub fn recommend_shards(&self, shards: u64) {
        self.shared.lock().shards = shards;
    }

    /// The `shard` field of every IDENTIFY so far (`[id, total]`), in order.
    pub fn identified_shards(&self) -> Vec<Value> {
        self.frames()
            .into_iter()
            .filter(|f| f["op"] == 2)
            .map(|f| f["d"]["shard"].clone())
            .collect()
    }

    /// The session shard `shard` was given by its last READY.
    pub fn session_of(&self, shard: u64) -> Option<String> {
        self.shared.lock().sessions.get(&shard).cloned()
    }

    /// Connections that identified or resumed as shard `shard`.
    pub fn connections_of(&self, shard: u64) -> usize {
        self.shared
            .lock()
            .shard_connections
            .get(&shard)
            .copied()
            .unwrap_or(0)
    }

    /// Messages created in channels or through webhooks (after nonce de-duplication).
    pub fn messages(&self) -> Vec<Value> {
        self.shared.lock().messages.clone()
    }

    /// Queues `faults` for requests whose method is `method` and path starts with `prefix`.
    pub fn fail(&self, method: &str, prefix: &str, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().faults.push((
            method.to_owned(),
            prefix.to_owned(),
            faults.into_iter().collect(),
        ));
    }

    /// Answers `429 {"global": true}` to requests beyond `per_second` a second (interaction
    /// callbacks aside), as Discord does for a bot past its global limit.
    pub fn limit_global(&self, per_second: u32) {
        let quota = governor::Quota::per_second(
            NonZeroU32::new(per_second).expect("a positive global limit"),
        );
        *self
            .shared
            .global
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Arc::new(governor::RateLimiter::direct(quota)));
    }

    /// Keeps a bucket of `limit` requests per `window` for each route and major id (channel,
    /// webhook), announced in `X-RateLimit-*` headers; beyond it, a route 429.
    pub fn limit_routes(&self, limit: u32, window: Duration) {
        self.shared.lock().route_limit = Some((limit, window));
    }

    /// Makes `channel` of Discord's channel type `kind` (5: announcement) for `GET
    /// /channels/{id}`.
    pub fn set_channel_kind(&self, channel: &str, kind: u8) {
        self.shared
            .lock()
            .channel_kinds
            .insert(channel.to_owned(), kind);
    }

    /// Answers every message post only after `delay` (the message is created at once).
    pub fn answer_posts_after(&self, delay: Duration) {
        self.shared.lock().answer_after = delay;
    }

    /// Counts of what happened so far (cheap: copies no request).
    pub fn tally(&self) -> Tally {
        let inner = self.shared.lock();
        let posts = inner
            .requests
            .iter()
            .filter(|r| is_post(&r.method, &r.path));
        let mut per_channel: HashMap<&str, usize> = HashMap::new();
        for m in &inner.messages {
            *per_channel
                .entry(m["channel"].as_str().unwrap_or(""))
                .or_default() += 1;
        }
        Tally {
            posts: posts.clone().count(),
            first_post: posts.map(|r| r.at).min(),
            rate_limited: inner.requests.iter().filter(|r| r.status == 429).count(),
            global_rate_limited: inner
                .requests
                .iter()
                .filter(|r| r.status == 429 && r.global)
                .count(),
            messages: inner.messages.len(),
            channels: per_channel.len(),
            duplicated: per_channel.values().filter(|n| **n > 1).count(),
            most_in_flight: self.shared.most_in_flight.load(Ordering::SeqCst),
            last_answered: inner.last_answered,
        }
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Closes the socket with `code` as soon as the bot identifies (e.g. 4004).
    pub fn close_on_identify(&self, code: u16) {
        self.shared.lock().identify_close = Some(code);
    }

    /// Waits until `found` returns something, or panics with `what` after `timeout`.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut found: impl FnMut(&StandIn) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            if let Some(v) = found(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                if let Some(v) = found(self) {
                    return v;
                }
                let seen: Vec<String> = self
                    .requests()
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect();
                let ops: Vec<String> = self.frames().iter().map(|f| f["op"].to_string()).collect();
                panic!("stand-in: gave up after {timeout:?} waiting for {what}; REST seen: {seen:?}; gateway ops from bot: {ops:?}");
            }
        }
    }

    /// Waits for a request matching `method` and a path starting with `prefix`, after `skip`
    /// earlier matches.
    pub async fn wait_request(
        &self,
        method: &str,
        prefix: &str,
        skip: usize,
        timeout: Duration,
    ) -> Recorded {
        self.wait_for(&format!("{method} {prefix}…"), timeout, |s| {
            s.requests()
                .into_iter()
                .filter(|r| r.method == method && r.path.starts_with(prefix))
                .nth(skip)
        })
        .await
    }

    /// Waits for the edit that replaces interaction `token`'s deferred response, and returns
    /// its body (what the reader finally sees).
    pub async fn wait_original_edit(&self, token: &str, timeout: Duration) -> Value {
        self.wait_request(
            "PATCH",
            &format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original"),
            0,
            timeout,
        )
        .await
        .json()
    }

    /// Waits until the bot has sent `count` frames with gateway opcode `op`.
    pub async fn wait_op(&self, op: u64, count: usize, timeout: Duration) -> Value {
        self.wait_for(&format!("gateway op {op} #{count}"), timeout, |s| {
            s.frames()
                .into_iter()
                .filter(|f| f["op"] == op)
                .nth(count - 1)
        })
        .await
    }

    /// Waits until shard `shard`'s connections have sent `count` frames with opcode `op`.
    pub async fn wait_op_on(&self, shard: u64, op: u64, count: usize, timeout: Duration) -> Value {
        let what = format!("gateway op {op} #{count} on shard {shard}");
        self.wait_for(&what, timeout, |s| {
            s.frames_on(shard)
                .into_iter()
                .filter(|f| f["op"] == op)
                .nth(count - 1)
        })
        .await
    }

    fn command(&self, shard: u64, cmd: GatewayCommand) {
        let tx = self.shared.lock().gateway.get(&shard).cloned();
        let tx = tx.unwrap_or_else(|| panic!("shard {shard} of the bot is not connected"));
        let _ = tx.send(cmd);
    }

    /// Sends a dispatch event to the connected bot (shard 0).
    pub fn dispatch(&self, event: &str, data: Value) {
        self.dispatch_on(0, event, data);
    }

    /// Sends a dispatch event on shard `shard`'s connection.
    pub fn dispatch_on(&self, shard: u64, event: &str, data: Value) {
        let s = next_seq(&mut self.shared.lock(), shard);
        self.command(
            shard,
            GatewayCommand::Text(json!({"op": 0, "s": s, "t": event, "d": data}).to_string()),
        );
    }

    /// Sends an INTERACTION_CREATE built like Discord's; returns (interaction id, token).
    /// `kind` 2 is a command, 4 autocomplete. `permissions` is the member's permission bits.
    pub fn interaction(
        &self,
        kind: u8,
        name: &str,
        options: Value,
        permissions: u64,
    ) -> (String, String) {
        self.interaction_on(0, kind, name, options, permissions)
    }

    /// Like [`StandIn::interaction`], on shard `shard`'s connection.
    pub fn interaction_on(
        &self,
        shard: u64,
        kind: u8,
        name: &str,
        options: Value,
        permissions: u64,
    ) -> (String, String) {
        let id = self.shared.next_id();
        let token = format!("interaction-token-{id}");
        self.dispatch_on(
            shard,
            "INTERACTION_CREATE",
            interaction_payload(&id, &token, kind, name, options, permissions),
        );
        (id, token)
    }

    /// Sends a press of the button `custom_id` under `message` (as the stand-in created it, or
    /// any message JSON); returns (interaction id, token).
    pub fn press(&self, custom_id: &str, message: Value) -> (String, String) {
        let id = self.shared.next_id();
        let token = format!("interaction-token-{id}");
        self.dispatch(
            "INTERACTION_CREATE",
            press_payload(&id, &token, custom_id, message),
        );
        (id, token)
    }

    /// Sends the message command `name` used on a message with id `target` and text
    /// `content`; returns (interaction id, token).
    pub fn message_command(&self, name: &str, target: &str, content: &str) -> (String, String) {
        let id = self.shared.next_id();
        let token = format!("interaction-token-{id}");
        self.dispatch(
            "INTERACTION_CREATE",
            message_command_payload(&id, &token, name, target, content),
        );
        (id, token)
    }

    /// Like [`StandIn::interaction`], asked by `user` in `channel` (ids as Discord writes them).
    pub fn interaction_in(
        &self,
        name: &str,
        options: Value,
        channel: &str,
        user: &str,
    ) -> (String, String) {
        let id = self.shared.next_id();
        let token = format!("interaction-token-{id}");
        let mut payload = interaction_payload(&id, &token, 2, name, options, 0);
        payload["channel_id"] = json!(channel);
        payload["channel"]["id"] = json!(channel);
        payload["member"]["user"]["id"] = json!(user);
        self.dispatch("INTERACTION_CREATE", payload);
        (id, token)
    }

    /// Records that interaction `token`'s response became message `message_id`, as Discord
    /// does when an HTTP endpoint answers (the stand-in never sees that answer). Gateway
    /// callbacks are recorded by themselves.
    pub fn set_original(&self, token: &str, message_id: &str) {
        self.shared
            .lock()
            .originals
            .insert(token.to_owned(), message_id.to_owned());
    }

    /// The message id interaction `token`'s response became, if it made one.
    pub fn original(&self, token: &str) -> Option<String> {
        self.shared.lock().originals.get(token).cloned()
    }

    /// Closes the gateway socket with `code` (4000 lets the bot resume).
    pub fn close(&self, code: u16) {
        self.close_on(0, code);
    }

    /// Closes shard `shard`'s socket with `code`.
    pub fn close_on(&self, shard: u64, code: u16) {
        self.command(shard, GatewayCommand::Close(code));
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_socket(&self) {
        self.command(0, GatewayCommand::Drop);
    }

    /// Asks the bot to reconnect (op 7).
    pub fn reconnect(&self) {
        self.command(
            0,
            GatewayCommand::Text(json!({"op": 7, "d": null}).to_string()),
        );
    }

    /// Number of websocket connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }
}

/// An interaction as Discord sends it, complete enough for serenity's models.
pub fn interaction_payload(
    id: &str,
    token: &str,
    kind: u8,
    name: &str,
    options: Value,
    permissions: u64,
) -> Value {
    json!({
        "id": id,
        "application_id": APP_ID,
        "type": kind,
        "data": {"id": "1250000000000000001", "name": name, "type": 1, "options": options},
        "guild_id": GUILD_ID,
        "channel": {"id": CHANNEL_ID, "type": 0, "name": "general"},
        "channel_id": CHANNEL_ID,
        "member": {
            "user": {"id": USER_ID, "username": "reader", "discriminator": "0", "global_name": "Reader", "avatar": null},
            "nick": null, "avatar": null, "roles": [],
            "joined_at": "2025-01-01T00:00:00.000000+00:00", "premium_since": null,
            "deaf": false, "mute": false, "flags": 0, "pending": false,
            "permissions": permissions.to_string(), "communication_disabled_until": null
        },
        "token": token,
        "version": 1,
        "app_permissions": "2147483647",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": 26214400
    })
}

/// A message as Discord sends it inside interactions, complete enough for serenity's models.
pub fn message(id: &str, content: &str, author: Value) -> Value {
    json!({
        "id": id, "channel_id": CHANNEL_ID, "author": author, "content": content,
        "timestamp": "2026-02-25T08:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "flags": 0
    })
}

/// A button press (type 3) on `message`, as Discord sends it.
pub fn press_payload(id: &str, token: &str, custom_id: &str, message: Value) -> Value {
    let mut payload = interaction_payload(id, token, 3, "", json!([]), 0);
    payload["data"] = json!({"custom_id": custom_id, "component_type": 2});
    payload["message"] = message;
    payload
}

/// A message command (type 2, data type 3) on message `target` with text `content`.
pub fn message_command_payload(
    id: &str,
    token: &str,
    name: &str,
    target: &str,
    content: &str,
) -> Value {
    let mut payload = interaction_payload(id, token, 2, name, json!([]), 0);
    let author = json!({"id": "1300000000000000077", "username": "someone", "discriminator": "0", "global_name": "Someone", "avatar": null});
    payload["data"] = json!({
        "id": "1250000000000000002", "name": name, "type": 3, "target_id": target,
        "resolved": {"messages": {target: message(target, content, author)}}
    });
    payload
}

/// The bot's own user.
pub fn bot_user() -> Value {
    user()
}

fn user() -> Value {
    json!({"id": APP_ID, "username": "factdesk", "discriminator": "0", "global_name": null, "avatar": null, "bot": true})
}

async fn gateway(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| session(shared, socket))
}

async fn session(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Handed to the shard this connection identifies or resumes as; a later connection of the
    // same shard replaces it, which ends this one.
    let mut tx = Some(tx);
    let mut shard = None;
    shared.lock().connections += 1;
    shared.changed.notify_waiters();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if socket.send(Message::Text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) => {
                        // Keep reading so the close handshake completes.
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    None | Some(Err(_)) => break,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                let reply = answer_frame(&shared, frame, &mut shard, &mut tx);
                shared.changed.notify_waiters();
                let sent = match reply {
                    Some(FrameReply::Send(v)) => socket.send(Message::Text(v.to_string())).await,
                    Some(FrameReply::Close(code)) => {
                        let close = CloseFrame { code, reason: "Authentication failed.".into() };
                        let _ = socket.send(Message::Close(Some(close))).await;
                        Ok(())
                    }
                    None => Ok(()),
                };
                if sent.is_err() {
                    break;
                }
            }
            cmd = rx.recv() => match cmd {
                Some(GatewayCommand::Text(t)) => {
                    if socket.send(Message::Text(t)).await.is_err() {
                        break;
                    }
                }
                Some(GatewayCommand::Close(code)) => {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: "stand-in closed".into() }))).await;
                }
                Some(GatewayCommand::Drop) | None => break,
            }
        }
    }
}

/// The next sequence number of shard `shard`'s session.
fn next_seq(inner: &mut Inner, shard: u64) -> u64 {
    let seq = inner.seqs.entry(shard).or_default();
    *seq += 1;
    *seq
}

/// What the stand-in answers a frame from the bot with.
enum FrameReply {
    Send(Value),
    Close(u16),
}

/// The session shard `id` gets from an IDENTIFY (shard 0's keeps the name single-shard tests
/// know).
fn session_name(id: u64) -> String {
    match id {
        0 => "stand-in-session".to_owned(),
        n => format!("stand-in-session-{n}"),
    }
}

/// Records `frame` from a connection and decides the answer: HEARTBEAT_ACK, READY for an
/// IDENTIFY (the connection becomes that shard's), RESUMED for a RESUME of a known session
/// (the connection becomes its shard's) or INVALID_SESSION for an unknown one. Recording and
/// taking over the shard happen under one lock, so a test that saw the frame can use the shard.
fn answer_frame(
    shared: &Shared,
    frame: Value,
    shard: &mut Option<u64>,
    tx: &mut Option<mpsc::UnboundedSender<GatewayCommand>>,
) -> Option<FrameReply> {
    let mut inner = shared.lock();
    let mut take_over = |inner: &mut Inner, id: u64| {
        *shard = Some(id);
        if let Some(tx) = tx.take() {
            inner.gateway.insert(id, tx);
            *inner.shard_connections.entry(id).or_default() += 1;
        }
    };
    let reply = match frame["op"].as_u64() {
        Some(1) => Some(FrameReply::Send(json!({"op": 11}))),
        Some(2) => match inner.identify_close {
            Some(code) => Some(FrameReply::Close(code)),
            None => {
                let id = frame["d"]["shard"][0].as_u64().unwrap_or(0);
                let total = frame["d"]["shard"][1].as_u64().unwrap_or(1);
                let session = session_name(id);
                inner.sessions.insert(id, session.clone());
                inner.seqs.insert(id, 0);
                take_over(&mut inner, id);
                let s = next_seq(&mut inner, id);
                Some(FrameReply::Send(
                    json!({"op": 0, "s": s, "t": "READY", "d": {
                        "v": 10, "user": user(), "guilds": [{"id": GUILD_ID, "unavailable": true}],
                        "session_id": session, "resume_gateway_url": shared.ws_url(),
                        "shard": [id, total], "application": {"id": APP_ID, "flags": 0}
                    }}),
                ))
            }
        },
        Some(6) => {
            let session = frame["d"]["session_id"].as_str().unwrap_or("");
            let known = inner.sessions.iter().find(|(_, s)| *s == session);
            match known.map(|(id, _)| *id) {
                Some(id) => {
                    take_over(&mut inner, id);
                    let s = next_seq(&mut inner, id);
                    Some(FrameReply::Send(
                        json!({"op": 0, "s": s, "t": "RESUMED", "d": {}}),
                    ))
                }
                None => Some(FrameReply::Send(json!({"op": 9, "d": false}))),
            }
        }
        _ => None,
    };
    inner.frames.push((*shard, frame));
    reply
}

fn discord_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"code": 0, "message": message}))).into_response()
}

async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let post = is_post(method.as_str(), &path);
    let _held = post.then(|| InFlight::enter(&shared));
    let (mut response, hold) = match limits(&shared, method.as_str(), &path) {
        Ok(limit_headers) => {
            let (mut response, hold) = answer(&shared, &method, &path, &query, &headers, &body);
            response.headers_mut().extend(limit_headers);
            (response, hold)
        }
        Err(limited) => (*limited, None),
    };
    let status = response.status().as_u16();
    let global = response.headers_mut().contains_key("x-ratelimit-global");
    let delay = {
        let mut inner = shared.lock();
        inner.requests.push(Recorded {
            method: method.to_string(),
            path,
            query,
            headers,
            body: body.to_vec(),
            status,
            at: std::time::Instant::now(),
            global,
        });
        inner.answer_after
    };
    shared.changed.notify_waiters();
    match hold {
        Some(Fault::Hang) => std::future::pending::<()>().await,
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    if post && (200..300).contains(&status) {
        tokio::time::sleep(delay).await;
        shared.lock().last_answered = Some(std::time::Instant::now());
        shared.changed.notify_waiters();
    }
    response
}

/// A message post: to a channel as the bot, or through a webhook.
fn is_post(method: &str, path: &str) -> bool {
    method == "POST"
        && ((path.starts_with("/api/v10/channels/") && path.ends_with("/messages"))
            || path.starts_with("/api/v10/webhooks/"))
}

/// Counts a message post in flight while it lives.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn enter(shared: &Arc<Shared>) -> InFlight {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A 429 as Discord sends it: `retry_after` in the body and the `Retry-After` header.
fn too_many(after: f64, global: bool) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({"message": "You are being rate limited.", "retry_after": after, "global": global})),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        "retry-after",
        format!("{}", after.ceil() as u64)
            .parse()
            .expect("number header"),
    );
    if global {
        h.insert("x-ratelimit-global", "true".parse().expect("static header"));
        h.insert(
            "x-ratelimit-scope",
            "global".parse().expect("static header"),
        );
    }
    r
}

/// Applies the global limit and the route's bucket to a request: the route's `X-RateLimit-*`
/// headers for its answer, or the 429 that answers it instead.
fn limits(shared: &Shared, method: &str, path: &str) -> Result<HeaderMap, Box<Response>> {
    let Some(route) = path.strip_prefix("/api/v10") else {
        return Ok(HeaderMap::new());
    };
    // Interaction responses are not bound by the global limit (Discord's documentation).
    let exempt = route.starts_with("/interactions/")
        || (method == "PATCH" && route.starts_with("/webhooks/"));
    let global = shared
        .global
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if let (Some(limiter), false) = (global, exempt) {
        if let Err(not_until) = limiter.check() {
            let wait = not_until.wait_time_from(limiter.clock().now());
            return Err(Box::new(too_many(wait.as_secs_f64().max(0.001), true)));
        }
    }
    let mut inner = shared.lock();
    match inner.route_limit.filter(|_| !exempt) {
        Some((limit, window)) => route_bucket(&mut inner, method, route, limit, window),
        None => Ok(static_limit_headers()),
    }
}

/// The headers the stand-in sends when it keeps no route buckets.
fn static_limit_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-limit", "5"),
        ("x-ratelimit-remaining", "4"),
        ("x-ratelimit-reset-after", "1.000"),
        ("x-ratelimit-bucket", "stand-in-bucket"),
    ] {
        h.insert(name, value.parse().expect("static header"));
    }
    h
}

/// Counts a request against its route's bucket (`limit` per `window`, per route shape and
/// major id): the `X-RateLimit-*` headers, or a route 429 when the bucket is used up.
fn route_bucket(
    inner: &mut Inner,
    method: &str,
    route: &str,
    limit: u32,
    window: Duration,
) -> Result<HeaderMap, Box<Response>> {
    // The route's shape (ids left out) and its major id, as Discord keys its buckets.
    let mut major = None;
    let shape: Vec<&str> = route
        .split('/')
        .map(
            |part| match part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
                true => {
                    major.get_or_insert(part);
                    "{id}"
                }
                false => part,
            },
        )
        .collect();
    let shape = format!("{method} {}", shape.join("/"));
    let key = (shape.clone(), major.unwrap_or("").to_owned());
    let now = std::time::Instant::now();
    let entry = inner.windows.entry(key).or_insert((0, now + window));
    if entry.1 <= now {
        *entry = (0, now + window);
    }
    let reset_after = entry.1.saturating_duration_since(now).as_secs_f64();
    let used_up = entry.0 >= limit;
    if !used_up {
        entry.0 += 1;
    }
    let remaining = limit - entry.0;
    let bucket = format!("{:x}", bucket_hash(&shape));
    let mut h = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
        ("x-ratelimit-bucket", bucket),
    ] {
        h.insert(name, value.parse().expect("a header value"));
    }
    if used_up {
        let mut r = too_many(reset_after, false);
        r.headers_mut().extend(h);
        r.headers_mut()
            .insert("x-ratelimit-scope", "user".parse().expect("static header"));
        return Err(Box::new(r));
    }
    Ok(h)
}

/// A stable name for a route's bucket.
fn bucket_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, Option<Fault>) {
    let Some(route) = path.strip_prefix("/api/v10") else {
        return (discord_error(StatusCode::NOT_FOUND, "404: Not Found"), None);
    };
    let open = route.starts_with("/interactions/")
        || route.starts_with("/webhooks/")
        || route == "/gateway";
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if !open && auth != Some(&format!("Bot {TOKEN}")) {
        return (
            discord_error(StatusCode::UNAUTHORIZED, "401: Unauthorized"),
            None,
        );
    }
    let fault = {
        let mut inner = shared.lock();
        inner
            .faults
            .iter_mut()
            .find(|(m, p, q)| {
                m == method.as_str() && route.starts_with(p.as_str()) && !q.is_empty()
            })
            .and_then(|(_, _, q)| q.pop_front())
    };
    match fault {
        Some(Fault::RateLimited(after)) => return (too_many(after, false), None),
        Some(Fault::GlobalRateLimited(after)) => return (too_many(after, true), None),
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                discord_error(status, &format!("{code}: stand-in fault")),
                None,
            );
        }
        hold @ Some(Fault::Hang | Fault::Delay(_)) => {
            return (route_answer(shared, method, route, query, body), hold)
        }
        None => {}
    }
    (route_answer(shared, method, route, query, body), None)
}

fn route_answer(
    shared: &Shared,
    method: &Method,
    route: &str,
    query: &str,
    body: &[u8],
) -> Response {
    let json_body = || serde_json::from_slice::<Value>(body).ok();
    let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => axum::Json(json!({"url": shared.ws_url()})).into_response(),
        ("GET", ["gateway", "bot"]) => axum::Json(json!({
            "url": shared.ws_url(), "shards": shared.lock().shards,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        }))
        .into_response(),
        ("GET", ["users", "@me"]) => axum::Json(user()).into_response(),
        ("GET", ["oauth2", "applications", "@me"]) => axum::Json(json!({
            "id": APP_ID, "name": "factdesk", "icon": null, "description": "", "bot_public": false,
            "bot_require_code_grant": false, "verify_key": "00", "flags": 0
        }))
        .into_response(),
        ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let Some(Value::Array(list)) = json_body() else {
                return discord_error(StatusCode::BAD_REQUEST, "400: expected an array of commands");
            };
            let echoed: Vec<Value> = list
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(shared.next_id());
                    c["application_id"] = json!(APP_ID);
                    c["version"] = json!(shared.next_id());
                    c
                })
                .collect();
            axum::Json(Value::Array(echoed)).into_response()
        }
        ("POST", ["interactions", _, token, "callback"]) => {
            let kind = json_body().and_then(|b| b["type"].as_u64());
            let valid = matches!(kind, Some(1 | 4 | 5 | 6 | 7 | 8 | 9));
            if matches!(kind, Some(4 | 5)) {
                // A message (or the "thinking…" one a deferred answer is edited into).
                let id = shared.next_id();
                shared.lock().originals.insert((*token).to_owned(), id);
            }
            if valid {
                StatusCode::NO_CONTENT.into_response()
            } else {
                (StatusCode::BAD_REQUEST, axum::Json(json!({"code": 50035, "message": "Invalid Form Body"}))).into_response()
            }
        }
        ("POST", ["channels", channel, "messages"]) => {
            let Some(b) = json_body() else {
                return discord_error(StatusCode::BAD_REQUEST, "400: body is not JSON");
            };
            let message = create_message(shared, channel, &b);
            axum::Json(message).into_response()
        }
        ("POST", ["webhooks", id, _token]) => {
            let Some(b) = json_body() else {
                return discord_error(StatusCode::BAD_REQUEST, "400: body is not JSON");
            };
            let message = create_message(shared, &format!("webhook-{id}"), &b);
            if query.split('&').any(|kv| kv == "wait=true") {
                axum::Json(message).into_response()
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
        ("GET", ["channels", channel]) => {
            let kind = shared.lock().channel_kinds.get(*channel).copied().unwrap_or(0);
            axum::Json(json!({"id": channel, "type": kind, "guild_id": GUILD_ID, "name": "news"}))
                .into_response()
        }
        ("POST", ["channels", channel, "messages", message, "crosspost"]) => {
            // Publishing: the message comes back, as Discord returns it.
            let found = shared
                .lock()
                .messages
                .iter()
                .find(|m| m["channel"] == *channel && m["message"]["id"] == *message)
                .map(|m| m["message"].clone());
            match found {
                Some(m) => axum::Json(m).into_response(),
                None => (StatusCode::NOT_FOUND, axum::Json(json!({"code": 10008, "message": "Unknown Message"}))).into_response(),
            }
        }
        ("GET", ["channels", channel, "messages"]) => {
            // Newest first, as Discord lists them (`after` is ignored: the stand-in is small).
            let listed: Vec<Value> = shared
                .lock()
                .messages
                .iter()
                .rev()
                .filter(|m| m["channel"] == *channel)
                .map(|m| m["message"].clone())
                .collect();
            axum::Json(Value::Array(listed)).into_response()
        }
        ("GET", ["webhooks", _app, token, "messages", "@original"]) => {
            match shared.lock().originals.get(*token) {
                Some(id) => axum::Json(json!({"id": id, "channel_id": CHANNEL_ID, "author": user()}))
                    .into_response(),
                None => (StatusCode::NOT_FOUND, axum::Json(json!({"code": 10008, "message": "Unknown Message"}))).into_response(),
            }
        }
        ("PATCH", ["webhooks", _app, _token, "messages", "@original"]) => {
            // Editing a deferred interaction response in: the edited message comes back.
            let Some(b) = json_body() else {
                return discord_error(StatusCode::BAD_REQUEST, "400: body is not JSON");
            };
            let mut message = json!({"id": shared.next_id(), "channel_id": CHANNEL_ID, "author": user()});
            message["content"] = b["content"].clone();
            axum::Json(message).into_response()
        }
        _ => discord_error(StatusCode::NOT_FOUND, "404: Not Found"),
    }
}

/// Creates a message, or returns the earlier one when `enforce_nonce` repeats a nonce.
fn create_message(shared: &Shared, channel: &str, body: &Value) -> Value {
    let nonce = body["nonce"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| body["nonce"].as_u64().map(|n| n.to_string()));
    let enforce = body["enforce_nonce"].as_bool().unwrap_or(false);
    let mut inner = shared.lock();
    if let (Some(n), true) = (&nonce, enforce) {
        if let Some(existing) = inner.nonces.get(&(channel.to_owned(), n.clone())) {
            return existing.clone();
        }
    }
    let message = json!({
        "id": shared.next_id(), "channel_id": channel.trim_start_matches("webhook-").parse::<u64>().map_or(CHANNEL_ID.to_owned(), |c| c.to_string()),
        "author": user(), "content": body["content"].as_str().unwrap_or(""),
        "timestamp": "2026-02-25T08:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": body.get("embeds").cloned().unwrap_or(json!([])), "pinned": false, "type": 0,
        "nonce": nonce, "flags": 0
    });
    if let (Some(n), true) = (nonce, enforce) {
        inner
            .nonces
            .insert((channel.to_owned(), n), message.clone());
    }
    inner
        .messages
        .push(json!({"channel": channel, "message": message.clone(), "body": body.clone()}));
    message
}
