//! Cooldowns on both transports against the stand-in: the same public answer asked for again in
//! a channel goes to the second asker only, pointing at the first (a link when its message is
//! found, else "just above"); another channel, or the same channel after the window, is public;
//! a member over their rate is told when to come back; `/metrics` counts both; the CLI's `ask`
//! and `chat` are untouched.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{interaction_payload, StandIn, APP_ID, CHANNEL_ID, GUILD_ID};

const NOW: &str = "2026-02-25T10:00:00+02:00";
const WAIT: Duration = Duration::from_secs(20);
const OTHER_CHANNEL: &str = "1150000000000000002";
const POINTER: &str = "This was answered in this channel a moment ago";

/// A member's id (distinct per `n`).
fn member(n: u64) -> String {
    (1_000_000_000_000_000_100 + n).to_string()
}

/// The content and flags of an interaction response.
fn seen(response: &Value) -> (String, Option<u64>) {
    let content = response["data"]["content"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    (content, response["data"]["flags"].as_u64())
}

/// The unix seconds of the first `<t:…:R>` in `text`.
fn relative_marker(text: &str) -> i64 {
    let from = text.find("<t:").expect("a Discord timestamp") + 3;
    let end = text[from..].find(":R>").expect("a relative one") + from;
    text[from..end].parse().expect("seconds")
}

/// What `/metrics` at `base` says about `series` (0 when absent).
async fn metric(base: &str, series: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A member over the limit of 3 a minute: the fourth command is refused, saying when (real
/// time, at most 21 s on), and the first three were answered publicly.
fn assert_refused_fourth(answers: &[(String, Option<u64>)]) {
    for (content, flags) in &answers[..3] {
        assert_eq!(*flags, None, "within the limit: {content}");
    }
    let (content, flags) = &answers[3];
    assert_eq!(*flags, Some(64), "{content}");
    assert!(
        content.starts_with(
            "That is more than I answer one member in a minute (3 commands). You can ask again <t:"
        ),
        "{content}"
    );
    let again = relative_marker(content) - jiff::Timestamp::now().as_second();
    assert!(
        (0..=22).contains(&again),
        "ask again in {again} s: {content}"
    );
}

/// `/name` asked on the gateway by `user` in `channel`: the callback body and the token.
async fn ask_gateway(standin: &StandIn, name: &str, channel: &str, user: &str) -> (Value, String) {
    let (id, token) = standin.interaction_in(name, json!([]), channel, user);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for(&format!("the callback for /{name}"), WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await;
    (callback.json(), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_gateway_a_repeat_goes_to_the_asker_with_a_link_and_a_spammer_waits() {
    let standin = StandIn::start().await;
    let state = tempfile::tempdir().expect("state");
    let bot = Bot::start(
        &standin,
        &[
            "serve",
            "--now",
            NOW,
            "--metrics",
            "127.0.0.1:0",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        // The default window (30 s); three commands a minute.
        &[
            ("FACTDESK_COOLDOWN_SECONDS", ""),
            ("FACTDESK_USER_RATE_PER_MINUTE", "3"),
        ],
    );
    let base = bot.wait_for_url(WAIT).await.replace("/interactions", "");
    standin.wait_op(2, 1, WAIT).await;

    let (first, token) = ask_gateway(&standin, "dates", CHANNEL_ID, &member(1)).await;
    let (answer, flags) = seen(&first);
    assert_eq!(flags, None, "the first answer is public: {answer}");
    let message = standin
        .original(&token)
        .expect("the callback made a message");

    let (again, _) = ask_gateway(&standin, "dates", CHANNEL_ID, &member(2)).await;
    let (content, flags) = seen(&again);
    assert_eq!(
        flags,
        Some(64),
        "the repeat goes to the asker only: {content}"
    );
    let link = format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{message}");
    assert_eq!(content, format!("{POINTER}: {link}\n\n{answer}"));
    assert!(standin.requests().iter().any(|r| r.method == "GET"
        && r.path == format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original")));

    let (elsewhere, _) = ask_gateway(&standin, "dates", OTHER_CHANNEL, &member(2)).await;
    assert_eq!(seen(&elsewhere), (answer, None), "another channel: public");

    let mut answers = Vec::new();
    for name in ["about", "mou", "defence", "topics"] {
        let (response, _) = ask_gateway(&standin, name, CHANNEL_ID, &member(3)).await;
        answers.push(seen(&response));
    }
    assert_refused_fourth(&answers);

    let repeats = r#"factdesk_throttled_total{reason="repeat"}"#;
    assert_eq!(metric(&base, repeats).await, 1.0);
    let limited = r#"factdesk_throttled_total{reason="user_rate"}"#;
    assert_eq!(metric(&base, limited).await, 1.0);
    let refused = r#"factdesk_interactions_total{command="topics",outcome="throttled"}"#;
    assert_eq!(metric(&base, refused).await, 1.0);
}

/// A signed interaction for the HTTP endpoint: `/name` by `user` in `channel`.
struct Asker {
    url: String,
    key: ed25519_dalek::SigningKey,
    ids: AtomicU64,
}

impl Asker {
    /// The response's content and flags, and the interaction's token.
    async fn ask(&self, name: &str, channel: &str, user: &str) -> ((String, Option<u64>), String) {
        let id = (1_500_000_000_000_000_000 + self.ids.fetch_add(1, Ordering::SeqCst)).to_string();
        let token = format!("http-token-{id}");
        let mut body = interaction_payload(&id, &token, 2, name, json!([]), 0);
        body["channel_id"] = json!(channel);
        body["channel"]["id"] = json!(channel);
        body["member"]["user"]["id"] = json!(user);
        let (status, text) = crate::support::signed_post(&self.url, &self.key, &body).await;
        assert_eq!(status, 200, "{text}");
        let response: Value = serde_json::from_str(&text).expect("JSON");
        (seen(&response), token)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_http_endpoint_a_repeat_points_above_or_links_until_the_window_ends() {
    let standin = StandIn::start().await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[13; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let bot = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0", "--now", NOW],
        &[
            ("DISCORD_TOKEN", ""),
            ("DISCORD_PUBLIC_KEY", &public),
            // Long enough that the asks inside it fit even on a loaded machine.
            ("FACTDESK_COOLDOWN_SECONDS", "5"),
            ("FACTDESK_USER_RATE_PER_MINUTE", "3"),
        ],
    );
    let url = bot.wait_for_url(WAIT).await;
    let asker = Asker {
        url: url.clone(),
        key,
        ids: AtomicU64::new(1),
    };

    let ((answer, flags), first) = asker.ask("mou", CHANNEL_ID, &member(1)).await;
    let answered = Instant::now();
    assert_eq!(flags, None, "{answer}");
    // Discord has not said which message the answer became: the repeat points "just above".
    let ((content, flags), _) = asker.ask("mou", CHANNEL_ID, &member(2)).await;
    assert_eq!(flags, Some(64), "{content}");
    assert_eq!(
        content,
        format!("{POINTER} — see the answer just above.\n\n{answer}")
    );
    let looked = format!("/api/v10/webhooks/{APP_ID}/{first}/messages/@original");
    assert!(standin
        .requests()
        .iter()
        .any(|r| r.path == looked && r.status == 404));
    let (elsewhere, _) = asker.ask("mou", OTHER_CHANNEL, &member(2)).await;
    assert_eq!(elsewhere, (answer.clone(), None), "another channel: public");

    // After the window, the same answer is public again, and opens a window of its own.
    tokio::time::sleep(
        (answered + Duration::from_millis(5300)).saturating_duration_since(Instant::now()),
    )
    .await;
    let ((later, flags), token) = asker.ask("mou", CHANNEL_ID, &member(3)).await;
    assert_eq!(
        (later.as_str(), flags),
        (answer.as_str(), None),
        "the window has ended"
    );
    standin.set_original(&token, "1400000000000009999");
    let ((content, flags), _) = asker.ask("mou", CHANNEL_ID, &member(4)).await;
    assert_eq!(flags, Some(64), "{content}");
    let link = format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/1400000000000009999");
    assert!(
        content.starts_with(&format!("{POINTER}: {link}\n\n")),
        "{content}"
    );

    let mut answers = Vec::new();
    for name in ["about", "sources", "defence", "topics"] {
        answers.push(asker.ask(name, CHANNEL_ID, &member(5)).await.0);
    }
    assert_refused_fourth(&answers);

    let base = url.replace("/interactions", "");
    let repeats = r#"factdesk_throttled_total{reason="repeat"}"#;
    assert_eq!(metric(&base, repeats).await, 2.0);
    let limited = r#"factdesk_throttled_total{reason="user_rate"}"#;
    assert_eq!(metric(&base, limited).await, 1.0);
}

#[test]
fn the_command_line_answers_every_time_whatever_the_cooldown_settings() {
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str], input: Option<&[u8]>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .args(args)
            .current_dir(crate::support::root())
            .env("HOME", home.path())
            .env("FACTDESK_COOLDOWN_SECONDS", "300")
            .env("FACTDESK_USER_RATE_PER_MINUTE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run factdesk");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.unwrap_or_default()).expect("write");
        drop(stdin);
        let o = child.wait_with_output().expect("exits");
        assert_eq!(o.status.code(), Some(0));
        String::from_utf8(o.stdout).expect("utf-8")
    };
    let once = run(&["ask", "--now", NOW, "/dates"], None);
    assert_eq!(run(&["ask", "--now", NOW, "/dates"], None), once);
    let chat = run(&["chat", "--now", NOW], Some(b"/dates\n/dates\n/dates\n"));
    assert_eq!(chat.matches(once.trim_end()).count(), 3, "{chat}");
    for refusal in [POINTER, "only you can see this", "ask again"] {
        assert!(!chat.contains(refusal), "{chat}");
    }
}
