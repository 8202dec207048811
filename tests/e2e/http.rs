//! The HTTP interactions endpoint over real HTTP on port 0, with a key pair made in the test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use factdesk::serving::Served;
use factdesk::transport::http::Limits;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::bot::Bot;
use crate::support::standin::{interaction_payload, StandIn};

const NOW: &str = "2026-02-25T10:00:00+02:00";

struct Endpoint {
    url: String,
    addr: SocketAddr,
    served: Arc<Served>,
    key: SigningKey,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn signing_key(seed: u8) -> SigningKey {
    // A fresh key per test run; the seed only keeps two keys in one test apart.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut bytes = [seed; 32];
    bytes[..16].copy_from_slice(&nanos.to_le_bytes());
    SigningKey::from_bytes(&bytes)
}

async fn endpoint() -> Endpoint {
    endpoint_with(Limits::default()).await
}

/// The endpoint served with `limits` (tests shorten the timeouts).
async fn endpoint_with(limits: Limits) -> Endpoint {
    let key = signing_key(1);
    let served = Served::new(
        crate::support::engine(),
        factdesk::serving::Clock::starting_at(crate::support::at(NOW)),
        factdesk::engine::Services::default(),
    );
    let app = factdesk::transport::http::router(
        served.clone(),
        key.verifying_key(),
        factdesk::transport::followup::FollowUp::new(None),
    );
    let (listener, addr) = factdesk::transport::http::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(factdesk::transport::http::serve_with(
        listener,
        app,
        limits,
        async move {
            let _ = stopped.await;
        },
    ));
    Endpoint {
        url: format!("http://{addr}"),
        addr,
        served,
        key,
        client: reqwest::Client::new(),
        stop: Some(stop),
        server,
    }
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Endpoint {
    /// POSTs `body` signed with `key` at `timestamp`.
    async fn post_signed_by(
        &self,
        key: &SigningKey,
        timestamp: &str,
        body: &[u8],
    ) -> reqwest::Response {
        let signature = crate::support::sign(key, timestamp, body);
        self.post_raw(Some(&signature), Some(timestamp), body.to_vec())
            .await
    }

    async fn post(&self, body: &Value) -> reqwest::Response {
        self.post_signed_by(
            &self.key,
            &now_secs().to_string(),
            body.to_string().as_bytes(),
        )
        .await
    }

    async fn post_raw(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/interactions", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            request = request.header("x-signature-ed25519", s);
        }
        if let Some(t) = timestamp {
            request = request.header("x-signature-timestamp", t);
        }
        request.send().await.expect("request reaches the endpoint")
    }

    async fn health(&self) -> Value {
        self.client
            .get(format!("{}/healthz", self.url))
            .send()
            .await
            .expect("healthz")
            .json()
            .await
            .expect("json")
    }

    /// A raw TCP connection, for what an HTTP client library would not send.
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.expect("connect")
    }

    /// Sends `bytes` on a new connection and returns what the server sent before it closed the
    /// connection; fails the test if it is still open after 3 s.
    async fn send_raw(&self, bytes: &[u8]) -> String {
        let mut stream = self.connect().await;
        stream.write_all(bytes).await.expect("write");
        read_until_closed(&mut stream, Duration::from_secs(3)).await
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server
            .await
            .expect("server task")
            .expect("server ends cleanly");
    }
}

fn command(name: &str, options: Value) -> Value {
    interaction_payload("1400000000000000009", "tok", 2, name, options, 0)
}

async fn status_and_text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

#[tokio::test]
async fn ping_gets_pong_and_commands_get_the_engines_json() {
    let ep = endpoint().await;
    let (status, body) = status_and_text(
        ep.post(&json!({"type": 1, "id": "1", "application_id": "2", "token": "t", "version": 1}))
            .await,
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"type":1}"#));

    let r = ep.post(&command("dates", json!([]))).await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let (status, body) = status_and_text(r).await;
    assert_eq!(status, 200);
    let engine = crate::support::engine();
    assert_eq!(body, crate::support::ask(&engine, "/dates", NOW).to_json());

    let (status, body) = status_and_text(
        ep.post(&command(
            "systems",
            json!([{"name": "name", "type": 3, "value": "barak"}]),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        crate::support::ask(&engine, "/systems name:barak", NOW).to_json()
    );

    let auto = interaction_payload(
        "1400000000000000010",
        "tok",
        4,
        "systems",
        json!([{"name": "name", "type": 3, "value": "dr", "focused": true}]),
        0,
    );
    let (status, body) = status_and_text(ep.post(&auto).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"type":8,"data":{"choices":[{"name":"Unmanned aerial systems (drones)","value":"unmanned-aerial-systems"}]}}"#
    );
    ep.stop().await;
}

#[tokio::test]
async fn a_wrong_option_type_gets_a_polite_ephemeral_reply() {
    let ep = endpoint().await;
    let (status, body) = status_and_text(
        ep.post(&command(
            "systems",
            json!([{"name": "name", "type": 4, "value": 7}]),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["flags"], 64);
    assert!(
        v["data"]["content"]
            .as_str()
            .expect("content")
            .contains("takes a string, not `7`"),
        "{body}"
    );
    let (status, body) = status_and_text(
        ep.post(&command(
            "ask",
            json!([{"name": "question", "type": 3, "value": {"nested": true}}]),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    ep.stop().await;
}

#[tokio::test]
async fn every_forgery_is_401() {
    let ep = endpoint().await;
    let body = command("dates", json!([])).to_string();
    let ts = now_secs().to_string();
    let good = crate::support::sign(&ep.key, &ts, body.as_bytes());

    let cases: Vec<(&str, reqwest::Response)> = vec![
        (
            "missing signature",
            ep.post_raw(None, Some(&ts), body.clone().into_bytes())
                .await,
        ),
        (
            "missing timestamp",
            ep.post_raw(Some(&good), None, body.clone().into_bytes())
                .await,
        ),
        (
            "non-hex signature",
            ep.post_raw(Some(&"zz".repeat(64)), Some(&ts), body.clone().into_bytes())
                .await,
        ),
        (
            "short signature",
            ep.post_raw(Some(&good[..100]), Some(&ts), body.clone().into_bytes())
                .await,
        ),
        (
            "another key",
            ep.post_signed_by(&signing_key(2), &ts, body.as_bytes())
                .await,
        ),
        (
            "another timestamp",
            ep.post_raw(
                Some(&good),
                Some(&(now_secs() - 1).to_string()),
                body.clone().into_bytes(),
            )
            .await,
        ),
        (
            "another body",
            ep.post_raw(
                Some(&good),
                Some(&ts),
                body.replace("dates", "mou").into_bytes(),
            )
            .await,
        ),
        (
            "stale timestamp",
            ep.post_signed_by(&ep.key, &(now_secs() - 301).to_string(), body.as_bytes())
                .await,
        ),
        (
            "future timestamp",
            ep.post_signed_by(&ep.key, &(now_secs() + 301).to_string(), body.as_bytes())
                .await,
        ),
        (
            "non-numeric timestamp",
            ep.post_signed_by(&ep.key, "yesterday", body.as_bytes())
                .await,
        ),
    ];
    for (what, response) in cases {
        assert_eq!(response.status().as_u16(), 401, "{what}");
    }
    // The genuine request still works after all that.
    assert_eq!(
        ep.post_raw(Some(&good), Some(&ts), body.into_bytes())
            .await
            .status()
            .as_u16(),
        200
    );
    ep.stop().await;
}

#[tokio::test]
async fn malformed_oversized_and_misrouted_requests() {
    let ep = endpoint().await;
    let ts = now_secs().to_string();
    let (status, _) = status_and_text(ep.post_signed_by(&ep.key, &ts, b"{not json").await).await;
    assert_eq!(status, 400, "signed but malformed JSON");
    let (status, _) = status_and_text(ep.post(&json!({"type": 3, "data": {}})).await).await;
    assert_eq!(status, 400, "unknown interaction type");
    let (status, _) = status_and_text(ep.post(&json!({"type": 2, "data": {}})).await).await;
    assert_eq!(status, 400, "no command name");

    let big = vec![b' '; 70 * 1024];
    let (status, _) = status_and_text(ep.post_signed_by(&ep.key, &ts, &big).await).await;
    assert_eq!(status, 413);

    let get = ep
        .client
        .get(format!("{}/interactions", ep.url))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status().as_u16(), 405);
    ep.stop().await;
}

#[tokio::test]
async fn health_and_metrics() {
    let ep = endpoint().await;
    ep.post(&command("dates", json!([]))).await;
    ep.post(&command("nonsense", json!([]))).await;
    let health = ep
        .client
        .get(format!("{}/healthz", ep.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    let v: Value = health.json().await.expect("json");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["facts"]["facts"], 30);
    assert_eq!(v["version"].as_str().map(str::len), Some(16));

    let metrics = ep
        .client
        .get(format!("{}/metrics", ep.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"factdesk_interactions_total{command="dates",outcome="answered"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"factdesk_interactions_total{command="unknown",outcome="refused"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("factdesk_interaction_duration_seconds_bucket"),
        "{metrics}"
    );
    ep.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_http_and_refuses_a_bad_key() {
    let standin = StandIn::start().await; // only for Bot's environment; no token → no gateway
    let mut bad = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0"],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", "abc")],
    );
    assert_eq!(bad.wait_exit(Duration::from_secs(10)).await.code(), Some(1));
    assert!(
        bad.log().contains("error: DISCORD_PUBLIC_KEY is not valid"),
        "{}",
        bad.log()
    );

    let key = signing_key(3);
    let public = hex::encode(key.verifying_key().to_bytes());
    let mut bot = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0"],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &public)],
    );
    let url = bot.wait_for_url(Duration::from_secs(20)).await;
    let (status, body) = crate::support::signed_post(&url, &key, &json!({"type": 1})).await;
    assert_eq!((status, body.as_str()), (200, r#"{"type":1}"#));
    bot.terminate();
    assert_eq!(
        bot.wait_exit(Duration::from_secs(15)).await.code(),
        Some(0),
        "{}",
        bot.log()
    );
    assert!(!bot.log().contains(&public), "the public key is not logged");
}

/// Test limits: short timeouts, so a test waits fractions of a second, not the production 10 s.
fn quick() -> Limits {
    Limits {
        header_read: Duration::from_millis(300),
        body_read: Duration::from_millis(300),
        ..Limits::default()
    }
}

/// Reads until the server closes the connection and returns what it sent; fails the test if
/// the connection is still open after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let mut received = Vec::new();
    let reading = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let open = tokio::time::timeout(within, reading).await.is_err();
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(
        !open,
        "the server kept the connection open for {within:?}; it sent: {text:?}"
    );
    text
}

#[tokio::test]
async fn a_slow_header_is_cut_off_at_the_header_timeout() {
    let ep = endpoint_with(quick()).await;
    let (mut reader, mut writer) = ep.connect().await.into_split();
    // Slowloris: the header comes a byte at a time and never ends. The timeout counts the whole
    // header, not the gaps between bytes, so steady dripping does not keep the connection.
    let dripping = async move {
        let _ = writer
            .write_all(b"POST /interactions HTTP/1.1\r\nHost: a\r\n")
            .await;
        for b in b"X-Slow: 1\r\n".iter().cycle() {
            if writer.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let started = Instant::now();
    let closed = async {
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::select! {
        () = dripping => {}
        r = tokio::time::timeout(Duration::from_secs(3), closed) => {
            assert!(r.is_ok(), "a header that never ends kept its connection open");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    ep.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let ep = endpoint_with(quick()).await;
    let sent = ep
        .send_raw(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    assert!(sent.starts_with("HTTP/1.1 200"), "answered first: {sent}");
    ep.stop().await;
}

#[tokio::test]
async fn a_huge_declared_length_is_refused_at_once() {
    // The body timeout stays long: the refusal must come from the declared length.
    let ep = endpoint_with(Limits {
        body_read: Duration::from_secs(30),
        ..quick()
    })
    .await;
    let sent = ep
        .send_raw(b"POST /interactions HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n")
        .await;
    assert!(sent.starts_with("HTTP/1.1 413"), "{sent}");
    ep.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_a_closed_connection() {
    let ep = endpoint_with(quick()).await;
    // 100 bytes declared, 10 sent.
    let sent = ep
        .send_raw(
            b"POST /interactions HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{\"type\": 1",
        )
        .await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    ep.stop().await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    // Long timeouts: the two idle connections must hold their slots for the whole test.
    let ep = endpoint_with(Limits {
        max_connections: 2,
        ..Limits::default()
    })
    .await;
    let first = ep.connect().await;
    let _second = ep.connect().await;
    let mut third = ep.connect().await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the third connection was served while two held both slots: {early:?}"
    );
    drop(first);
    let sent = read_until_closed(&mut third, Duration::from_secs(3)).await;
    assert!(
        sent.starts_with("HTTP/1.1 200"),
        "served once a slot is free: {sent}"
    );
    ep.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_file_descriptors_is_logged_once_and_served_after() {
    // Enough files to start and listen, not enough for the connections below.
    const FILES: u32 = 64;
    let standin = StandIn::start().await;
    let key = signing_key(4);
    let public = hex::encode(key.verifying_key().to_bytes());
    let bot = Bot::start_with_open_files(
        FILES,
        &standin,
        &["serve", "--http", "127.0.0.1:0", "--no-digest"],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &public)],
    );
    let url = bot.wait_for_url(Duration::from_secs(20)).await;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/interactions")
        .to_owned();
    // The kernel completes these handshakes; the server runs out of descriptors accepting them.
    let mut clients = Vec::new();
    for _ in 0..2 * FILES {
        clients.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    const EMFILE: &str = "Too many open files";
    bot.wait_for_line(EMFILE, Duration::from_secs(10)).await;
    // Hold the burst past a second: every retry in it fails, and none may log again or spin.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Counted before the clients go: once they do, the backlog of their dead connections is
    // accepted faster than the server notices them close, which may start a second burst.
    let during_burst = bot.log();
    drop(clients);
    assert_eq!(
        during_burst.matches(EMFILE).count(),
        1,
        "one line per burst, not one per failed accept:\n{during_burst}"
    );
    assert!(
        !during_burst.contains("accepting connections again"),
        "no descriptor came free while the clients held theirs:\n{during_burst}"
    );
    let line = bot
        .wait_for_line("accepting connections again", Duration::from_secs(10))
        .await;
    let failed: u32 = line
        .split("failed_accepts=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the line counts the failures: {line}"));
    assert!(
        (1..=50).contains(&failed),
        "backs off between retries instead of spinning: {line}"
    );
    let (status, body) = crate::support::signed_post(&url, &key, &json!({"type": 1})).await;
    assert_eq!((status, body.as_str()), (200, r#"{"type":1}"#));
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_closes_idle_connections() {
    let mut ep = endpoint().await;
    let mut idle = ep.connect().await;
    let mut busy = ep.connect().await;
    let body = br#"{"type":1}"#;
    let ts = now_secs().to_string();
    let head = format!(
        "POST /interactions HTTP/1.1\r\nHost: a\r\nX-Signature-Ed25519: {}\r\n\
         X-Signature-Timestamp: {ts}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        crate::support::sign(&ep.key, &ts, body),
        body.len()
    );
    busy.write_all(head.as_bytes()).await.expect("write");
    // hyper sends 100 Continue when the body is first read: the request is in flight.
    let mut buf = [0u8; 256];
    let n = busy.read(&mut buf).await.expect("read");
    let sent = String::from_utf8_lossy(&buf[..n]);
    assert!(sent.starts_with("HTTP/1.1 100"), "{sent}");

    let _ = ep.stop.take().expect("running").send(());
    assert_eq!(
        read_until_closed(&mut idle, Duration::from_secs(3)).await,
        "",
        "an idle connection is closed at once"
    );
    busy.write_all(body).await.expect("write body");
    let sent = read_until_closed(&mut busy, Duration::from_secs(3)).await;
    assert!(
        sent.starts_with("HTTP/1.1 200") && sent.ends_with(r#"{"type":1}"#),
        "{sent}"
    );
    tokio::time::timeout(Duration::from_secs(3), &mut ep.server)
        .await
        .expect("the server stops once the request is answered")
        .expect("server task")
        .expect("server ends cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_public_keys_are_refused_at_start_up() {
    let zero = "00".repeat(32);
    let identity = format!("01{}", "00".repeat(31));
    for weak in [&zero, &identity] {
        let error = factdesk::transport::http::public_key(Some(weak))
            .expect_err("a weak key is refused")
            .to_string();
        assert!(
            error.contains("DISCORD_PUBLIC_KEY") && error.contains("Developer Portal"),
            "{error}"
        );
    }
    let standin = StandIn::start().await;
    let mut bot = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0", "--no-digest"],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &zero)],
    );
    assert_eq!(
        bot.wait_exit(Duration::from_secs(10)).await.code(),
        Some(1),
        "{}",
        bot.log()
    );
    assert!(
        bot.log()
            .contains("error: DISCORD_PUBLIC_KEY is a weak key"),
        "{}",
        bot.log()
    );
}

#[tokio::test]
async fn healthz_shows_a_failed_reload_without_file_paths() {
    let ep = endpoint().await;
    let shipped = std::fs::read_to_string(crate::support::facts_path()).expect("facts");
    let broken = shipped.replacen("certainty = \"scheduled\"", "certainty = \"sure\"", 1);
    let (dir, path) = crate::support::temp_facts(&broken);
    // A source file that cannot be read: its error names the resolved path.
    std::fs::remove_file(dir.path().join("tests/fixtures/visit-article.txt")).expect("remove");
    let private = dir.path().display().to_string();

    factdesk::serving::reload::reload(&path, &ep.served, "test").await;
    let health = ep.health().await;
    assert_eq!(health["reload"]["ok"], false);
    let errors = health["reload"]["errors"].as_str().expect("errors");
    assert!(errors.contains("`sure` is not a certainty"), "{health}");
    assert!(errors.contains("cannot read"), "{health}");
    let text = health.to_string();
    assert!(
        !text.contains(&private),
        "no path on the public endpoint: {text}"
    );
    assert!(!text.contains("facts.toml"), "{text}");

    // A fact base that cannot be read at all.
    factdesk::serving::reload::reload(&dir.path().join("gone.toml"), &ep.served, "test").await;
    let text = ep.health().await.to_string();
    assert!(text.contains("cannot read the fact base"), "{text}");
    assert!(
        !text.contains(&private),
        "no path on the public endpoint: {text}"
    );
    ep.stop().await;
}

/// Discord sends the reader's `locale` and the server's `guild_locale`: a public answer is in
/// the server's language, a hidden one in the reader's.
#[tokio::test]
async fn public_answers_follow_guild_locale_and_hidden_ones_locale() {
    let ep = endpoint().await;
    let engine = crate::support::engine();
    let mut body = command("mou", json!([]));
    body["locale"] = json!("en-US");
    body["guild_locale"] = json!("hi");
    let (status, text) = status_and_text(ep.post(&body).await).await;
    assert_eq!(status, 200);
    let hindi = crate::support::ask_in(&engine, "/mou", NOW, Some("en-US"), Some("hi"));
    assert_eq!(text, hindi.to_json());
    assert!(text.contains("समझौता ज्ञापन"), "{text}");

    let mut body = command("mou", json!([{"name": "hide", "type": 5, "value": true}]));
    body["locale"] = json!("hi");
    body["guild_locale"] = json!("en-US");
    let (_, text) = status_and_text(ep.post(&body).await).await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["data"]["flags"], 64);
    assert!(text.contains("समझौता ज्ञापन"), "{text}");

    body["locale"] = json!("en-US");
    let (_, text) = status_and_text(ep.post(&body).await).await;
    assert!(text.contains("Ahead of the visit"), "{text}");
    ep.stop().await;
}
