//! Answers that feel native to Discord, end to end against the stand-in: the Source button
//! (pressed on the gateway and the HTTP endpoint, after a restart and after the fact base
//! changed), "Ask factdesk" on a message, and the `hide` and `mention` options.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{
    bot_user, message, message_command_payload, press_payload, StandIn, CHANNEL_ID, GUILD_ID,
};

const NOW: &str = "2026-02-25T10:00:00+02:00";
const WAIT: Duration = Duration::from_secs(20);
/// Another member of the server, whom a reader points an answer at.
const FRIEND: &str = "1000000000000000002";

/// What `factdesk ask --json --now NOW --facts FACTS <args>` prints, minus the newline.
fn ask_json(facts: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--json", "--now", NOW, "--facts"])
        .arg(facts)
        .args(args)
        .current_dir(crate::support::root())
        .output()
        .expect("run factdesk ask");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .expect("utf-8")
        .trim_end()
        .to_owned()
}

/// `serve` on the gateway with the fact base at `facts`, once it sent the stand-in's
/// `identifies`-th IDENTIFY (1 for the first bot, 2 after one restart, …).
async fn gateway_bot_nth(standin: &StandIn, facts: &Path, identifies: usize) -> Bot {
    let facts = facts.to_str().expect("utf-8");
    let bot = Bot::start(standin, &["serve", "--now", NOW, "--facts", facts], &[]);
    standin.wait_op(2, identifies, WAIT).await;
    bot
}

async fn gateway_bot(standin: &StandIn, facts: &Path) -> Bot {
    gateway_bot_nth(standin, facts, 1).await
}

/// The body of the callback for interaction (`id`, `token`).
async fn callback(standin: &StandIn, (id, token): (String, String)) -> Value {
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    standin
        .wait_for("the interaction callback", WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await
        .json()
}

/// What a reader sees of a response's message: its content, then its embeds' fields.
fn text_of(response: &Value) -> String {
    let mut out = response["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for embed in response["data"]["embeds"].as_array().into_iter().flatten() {
        for field in embed["fields"].as_array().into_iter().flatten() {
            let (name, value) = (field["name"].as_str(), field["value"].as_str());
            out.push_str(&format!(
                "\n{}\n{}",
                name.unwrap_or(""),
                value.unwrap_or("")
            ));
        }
    }
    out
}

/// The custom_id of the first button of a response.
fn source_id(response: &Value) -> String {
    let button = &response["data"]["components"][0]["components"][0];
    assert_eq!(button["label"], "Source", "{response}");
    let id = button["custom_id"]
        .as_str()
        .expect("a custom_id")
        .to_owned();
    assert!(id.starts_with("src:") && id.len() <= 100, "{id}");
    id
}

/// The quotes a Source answer shows, one per embed field.
fn quotes(response: &Value) -> Vec<String> {
    response["data"]["embeds"][0]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["value"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_button_survives_a_restart_and_says_what_changed() {
    let standin = StandIn::start().await;
    let (_dir, facts) = crate::support::temp_facts(
        &std::fs::read_to_string(crate::support::facts_path()).expect("facts.toml"),
    );
    let mut bot = gateway_bot(&standin, &facts).await;

    let mou = callback(&standin, standin.interaction(2, "mou", json!([]), 0)).await;
    let custom_id = source_id(&mou);
    // Four MoU facts, five characters each.
    assert_eq!(custom_id.len(), 4 + 4 * 5, "{custom_id}");
    let posted = message("1300000000000000100", "", bot_user());
    let pressed = callback(&standin, standin.press(&custom_id, posted.clone())).await;
    assert_eq!(pressed["type"], 4);
    assert_eq!(
        pressed["data"]["flags"], 64,
        "only the presser sees sources"
    );
    let shown = quotes(&pressed);
    assert_eq!(shown.len(), 4, "{pressed}");
    assert!(
        shown[0].starts_with(
            "> Ahead of the visit, India and Israel are expected to sign a Memorandum of Understanding"
        ) && shown[0].ends_with("— India-Israel Strategic Partnership Set for Defence Focus"),
        "{}",
        shown[0]
    );
    // The same bytes the CLI prints for that press.
    let cli: Value =
        serde_json::from_str(&ask_json(&facts, &["--component", &custom_id])).expect("json");
    assert_eq!(pressed, cli);

    // After a restart the same button gives the same answer: nothing was kept in memory.
    bot.terminate();
    bot.wait_exit(WAIT).await;
    let mut bot = gateway_bot_nth(&standin, &facts, 2).await;
    let again = callback(&standin, standin.press(&custom_id, posted.clone())).await;
    assert_eq!(again, pressed);

    // An editor rewords one MoU fact and removes another; the old button says so.
    bot.terminate();
    bot.wait_exit(WAIT).await;
    let text = std::fs::read_to_string(&facts).expect("read");
    // The expected questions name the facts: drop them (each ends at a blank line).
    let mut parts = text.split("\n[[questions]]\n");
    let mut text = parts.next().expect("text").to_owned();
    for question in parts {
        text.push_str(question.split_once("\n\n").map_or("", |(_, rest)| rest));
        text.push('\n');
    }
    let edited = text
        .replace(
            "text = \"The article reports that the MoU will formalise enhanced strategic cooperation.\"",
            "text = \"The MoU is reported to formalise enhanced strategic cooperation.\"",
        );
    assert_ne!(edited, text, "the fact to reword is in facts.toml");
    assert!(!edited.contains("[[questions]]") && edited.contains("[locales.hi]"));
    let start = edited.find("id = \"mou-scope\"").expect("mou-scope");
    let block_start = edited[..start].rfind("[[facts]]").expect("its table");
    let block_end = block_start + 9 + edited[block_start + 9..].find("[[").expect("next table");
    let edited = format!("{}{}", &edited[..block_start], &edited[block_end..]);
    std::fs::write(&facts, edited).expect("write");
    let _bot = gateway_bot_nth(&standin, &facts, 3).await;
    let after = callback(&standin, standin.press(&custom_id, posted)).await;
    let content = after["data"]["content"].as_str().expect("content");
    assert!(
        content.contains("One fact in that answer has changed since it was given")
            && content.contains("One fact in that answer is no longer in my fact base"),
        "{content}"
    );
    let fields = after["data"]["embeds"][0]["fields"]
        .as_array()
        .expect("fields");
    assert_eq!(fields.len(), 3, "{after}");
    assert!(fields.iter().any(|f| f["name"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Changed since this answer")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_factdesk_on_a_message_answers_with_a_link_to_it() {
    let standin = StandIn::start().await;
    let _bot = gateway_bot(&standin, &crate::support::facts_path()).await;
    let target = "1300000000000000555";
    let answer = callback(
        &standin,
        standin.message_command(
            "Ask factdesk",
            target,
            "Is Modi going to sign a big defence deal?",
        ),
    )
    .await;
    let content = text_of(&answer);
    assert!(
        content.starts_with(&format!(
            "About [this message](https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{target}):\n"
        )),
        "{content}"
    );
    assert!(
        content.contains("No major defence contract is currently expected"),
        "{content}"
    );
    assert!(answer["data"].get("flags").is_none(), "public: {answer}");
    source_id(&answer);
    // The same answer as the CLI's --message, apart from the link the CLI cannot know.
    let cli: Value = serde_json::from_str(&ask_json(
        &crate::support::facts_path(),
        &["--message", "Is Modi going to sign a big defence deal?"],
    ))
    .expect("json");
    assert!(content.ends_with(&text_of(&cli)), "{content}");

    // A message without text gets a polite ephemeral answer.
    let empty = callback(
        &standin,
        standin.message_command("Ask factdesk", target, ""),
    )
    .await;
    assert_eq!(empty["data"]["flags"], 64);
    assert!(empty["data"]["content"]
        .as_str()
        .is_some_and(|c| c.contains("no text I can ask about")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hide_answers_only_the_asker_and_mention_pings_only_that_user() {
    let standin = StandIn::start().await;
    let _bot = gateway_bot(&standin, &crate::support::facts_path()).await;

    let hidden = callback(
        &standin,
        standin.interaction(
            2,
            "ask",
            json!([{"name": "question", "type": 3, "value": "drones?"}, {"name": "hide", "type": 5, "value": true}]),
            0,
        ),
    )
    .await;
    assert_eq!(hidden["data"]["flags"], 64, "{hidden}");
    assert!(text_of(&hidden).contains("unmanned aerial systems (drones)"));
    source_id(&hidden);

    // A question full of pings, pointed at a friend: only the friend may be pinged.
    let pointed = callback(
        &standin,
        standin.interaction(
            2,
            "ask",
            json!([
                {"name": "question", "type": 3, "value": "@everyone <@&1400000000000000001> <@1000000000000000003> drones?"},
                {"name": "mention", "type": 6, "value": FRIEND}
            ]),
            0,
        ),
    )
    .await;
    assert_eq!(
        pointed["data"]["allowed_mentions"],
        json!({"parse": [], "users": [FRIEND]})
    );
    let content = pointed["data"]["content"].as_str().expect("content");
    assert!(content.starts_with(&format!("<@{FRIEND}> ")), "{content}");
    assert!(pointed["data"].get("flags").is_none(), "public: {pointed}");

    let mou = callback(
        &standin,
        standin.interaction(
            2,
            "mou",
            json!([{"name": "mention", "type": 6, "value": FRIEND}]),
            0,
        ),
    )
    .await;
    assert_eq!(mou["data"]["allowed_mentions"]["users"], json!([FRIEND]));

    // Both at once cannot be honoured: the asker is told, privately.
    let both = callback(
        &standin,
        standin.interaction(
            2,
            "mou",
            json!([{"name": "hide", "type": 5, "value": true}, {"name": "mention", "type": 6, "value": FRIEND}]),
            0,
        ),
    )
    .await;
    assert_eq!(both["data"]["flags"], 64);
    assert!(both["data"].get("components").is_none());
    assert_eq!(both["data"]["allowed_mentions"], json!({"parse": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_endpoint_answers_presses_and_message_commands_signed_only() {
    let standin = StandIn::start().await; // only for Bot's environment; no token → no gateway
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let bot = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0", "--now", NOW],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &public)],
    );
    let url = bot.wait_for_url(WAIT).await;
    let facts = crate::support::facts_path();
    let ask = crate::support::standin::interaction_payload(
        "1400000000000000001",
        "t",
        2,
        "ask",
        json!([{"name": "question", "type": 3, "value": "will they sign an MoU?"}]),
        0,
    );
    let (status, body) = crate::support::signed_post(&url, &key, &ask).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    let custom_id = source_id(&answer);

    let press = press_payload(
        "1400000000000000002",
        "t",
        &custom_id,
        message("1300000000000000100", "", bot_user()),
    );
    let (status, body) = crate::support::signed_post(&url, &key, &press).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, ask_json(&facts, &["--component", &custom_id]));
    let pressed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(pressed["data"]["flags"], 64);
    assert!(quotes(&pressed)
        .iter()
        .any(|q| q.contains("expected to sign a Memorandum of Understanding")));

    // A press signed with another key is refused like any forged request.
    let forger = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let (status, _) = crate::support::signed_post(&url, &forger, &press).await;
    assert_eq!(status, 401);

    let on_message = message_command_payload(
        "1400000000000000003",
        "t",
        "Ask factdesk",
        "1300000000000000556",
        "what is mission sudarshan",
    );
    let (status, body) = crate::support::signed_post(&url, &key, &on_message).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    let content = text_of(&answer);
    assert!(
        content.starts_with(&format!(
            "About [this message](https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/1300000000000000556)"
        )) && content.contains("Mission Sudarshan"),
        "{content}"
    );
}

#[test]
fn a_button_that_is_not_ours_gets_a_polite_answer() {
    let facts = crate::support::facts_path();
    for custom_id in ["src:", "src:abc", "src:ab$de", "nope:1", "", "src:zzzzz"] {
        let out: Value =
            serde_json::from_str(&ask_json(&facts, &["--component", custom_id])).expect("json");
        assert_eq!(out["data"]["flags"], 64, "{custom_id}: {out}");
        let content = out["data"]["content"].as_str().expect("content");
        assert!(
            content.contains("older version") || content.contains("no longer in my fact base"),
            "{custom_id}: {content}"
        );
    }
}
