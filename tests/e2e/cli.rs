//! The built binary, run as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::{facts_path, root, temp_facts};

fn factdesk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .current_dir(root())
        .env_remove("FACTDESK_FACTS")
        .output()
        .expect("run factdesk")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_accepts_the_shipped_fact_base() {
    let o = factdesk(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("facts.toml: ok — 30 facts"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_reports_errors_with_a_caret_and_exits_1() {
    let broken = std::fs::read_to_string(facts_path())
        .expect("facts")
        .replacen("certainty = \"scheduled\"", "certainty = \"certain\"", 1);
    let (_dir, path) = temp_facts(&broken);
    let o = factdesk(&["check", "--facts", path.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("`certain` is not a certainty"), "{err}");
    assert!(err.contains("facts.toml:42:13"), "{err}");
    assert!(err.contains("^^^^^^^^^"), "a caret under the value: {err}");
    assert!(
        err.contains("help: use one of scheduled, expected"),
        "{err}"
    );
    assert!(err.contains("error: 1 problem in"), "{err}");
}

#[test]
fn check_survives_garbage_and_missing_files() {
    let dir = tempfile::tempdir().expect("dir");
    let garbage = dir.path().join("garbage.toml");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 255, 10, 91, 91]).expect("write");
    let o = factdesk(&["check", "--facts", garbage.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));

    let o = factdesk(&["check", "--facts", "/nonexistent/facts.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/facts.toml: cannot read the fact base"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ask_prints_the_reply() {
    let o = factdesk(&["ask", "--now", "2026-02-20T10:00:00+02:00", "/dates"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Prime Minister Narendra Modi is scheduled to visit Israel on 25–26 February 2026. The visit is scheduled to last two days.\n\
         That is 5 days from today (Friday 20 February 2026, Israel time); the first day begins at midnight Israel time, in 5 days.\n\n\
         [1: Source]\n"
    );
}

#[test]
fn ask_writes_discord_timestamps_out_and_json_keeps_them() {
    // Midnight in Jerusalem on the 25th is 22:00 UTC on the 24th.
    let now = "2026-02-24T20:00:00+02:00";
    let json = stdout(&factdesk(&["ask", "--json", "--now", now, "/dates"]));
    assert!(
        json.contains("the first day begins at midnight Israel time, <t:1771970400:R>."),
        "{json}"
    );
    let text = stdout(&factdesk(&["ask", "--now", now, "/dates"]));
    assert!(
        text.contains("the first day begins at midnight Israel time, in 4 hours."),
        "{text}"
    );
    assert!(!text.contains("<t:"), "{text}");
}

#[test]
fn ask_json_prints_exactly_the_interaction_response() {
    let o = factdesk(&[
        "ask",
        "--json",
        "--now",
        "2026-02-25T09:00:00+02:00",
        "/systems name:Barak",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut expected = factdesk::engine::Reply::public(
        "**Barak (newer variant)** (under consideration)\nThe Indian Navy is evaluating a newer variant of the Barak missile system to further fortify the defence of naval assets.\n_As reported before the visit; my sources do not confirm what has happened since._",
    );
    // The Source button carries the one fact shown (its id is a hash: taken from the output).
    let printed: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let custom_id = printed["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("a Source button");
    assert!(
        custom_id.starts_with("src:") && custom_id.len() == 9,
        "{custom_id}"
    );
    expected.buttons.push(factdesk::engine::Button::Press {
        label: "Source".into(),
        custom_id: custom_id.into(),
    });
    let expected = factdesk::engine::Response::Message(expected).to_json();
    assert_eq!(stdout(&o), format!("{expected}\n"));
    // One fact shown: `src:` and one five-character reference.
}

#[test]
fn ask_rejects_a_bad_clock_and_a_bad_line() {
    let o = factdesk(&["ask", "--now", "yesterday", "/dates"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`yesterday` is not an RFC 3339 time"),
        "{}",
        stderr(&o)
    );

    let o = factdesk(&["ask", "/dates tomorrow please"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "I did not understand `tomorrow please`: write options as name:value (hide:… mention:…)."
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ask_answers_an_unknown_command_politely() {
    let o = factdesk(&["ask", "/weather"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("I don't know the command `/weather`"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("(only you can see this)"));
}

#[test]
fn chat_answers_each_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["chat", "--now", "2026-02-26T10:00:00+02:00"])
        .current_dir(root())
        .env("HOME", tempfile::tempdir().expect("home").path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chat");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"/dates\n/ask question: iron dome\n/nope\n")
        .expect("write");
    let o = child
        .wait_with_output()
        .expect("chat exits at end of input");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("day 2 of 2 of the scheduled visit"), "{out}");
    assert!(
        out.contains("Iron Dome is cited as part of Israel’s"),
        "{out}"
    );
    assert!(out.contains("I don't know the command `/nope`"), "{out}");
}

#[test]
fn flags_may_follow_the_slash_line_and_a_stray_word_shows_how_to_quote() {
    let after = factdesk(&[
        "ask",
        "/systems name:iron dome",
        "--facts",
        "facts.toml",
        "--now",
        "2026-02-25T09:00:00+02:00",
    ]);
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
    assert!(stdout(&after).contains("Iron Dome"), "{}", stdout(&after));
    assert!(!stdout(&after).contains("--facts"), "{}", stdout(&after));
    let before = factdesk(&[
        "ask",
        "--now",
        "2026-02-25T09:00:00+02:00",
        "--facts",
        "facts.toml",
        "/systems name:iron dome",
    ]);
    assert_eq!(stdout(&before), stdout(&after));

    let unquoted = factdesk(&["ask", "/systems", "name:Arrow"]);
    assert_eq!(unquoted.status.code(), Some(2), "{}", stdout(&unquoted));
    assert!(
        stderr(&unquoted).contains("factdesk ask '/systems name:Arrow'"),
        "{}",
        stderr(&unquoted)
    );
}

#[test]
fn invite_prints_the_oauth_url_with_the_permissions_the_features_need() {
    let run = |digest: &str| {
        Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .arg("invite")
            .current_dir(root())
            .env("DISCORD_APPLICATION_ID", "123456789012345678")
            .env("FACTDESK_DIGEST", digest)
            .env_remove("DISCORD_TOKEN")
            .output()
            .expect("run factdesk")
    };
    let with_digest = run("true");
    assert_eq!(
        with_digest.status.code(),
        Some(0),
        "{}",
        stderr(&with_digest)
    );
    // View Channels (1 << 10) + Send Messages (1 << 11): the digest is posted as the bot.
    assert_eq!(
        stdout(&with_digest),
        "https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=19456\n"
    );
    assert!(
        stderr(&with_digest).contains("digest"),
        "{}",
        stderr(&with_digest)
    );
    let without = run("false");
    assert!(
        stdout(&without).ends_with("&permissions=0\n"),
        "{}",
        stdout(&without)
    );
    let no_id = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .arg("invite")
        .current_dir(root())
        .env_remove("DISCORD_APPLICATION_ID")
        .env_remove("DISCORD_TOKEN")
        .output()
        .expect("run factdesk");
    assert_eq!(no_id.status.code(), Some(1));
    assert!(
        stderr(&no_id).contains("DISCORD_APPLICATION_ID"),
        "{}",
        stderr(&no_id)
    );
}
