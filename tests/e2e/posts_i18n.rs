//! What the bot posts on its own, in the language of the server that reads it: a channel
//! subscribed from a Hindi server gets its digest and its alerts in Hindi while an English
//! server's channel gets English in the same run; a configured channel's `locale`; `/digest
//! preview` in the reader's language and `/digest status` naming the channel's; and `check` and
//! `serve` refusing a `locale` the fact base does not ship, with the file's line and column.

use std::path::Path;

use serde_json::{json, Value};

use crate::alerts::{self, QUOTE, SIGNED};
use crate::digest::{posts, setup, text_of, WAIT};
use crate::support::bot::Bot;
use crate::support::standin::{interaction_payload, StandIn, GUILD_ID, MANAGE_GUILD};
use crate::support::{engine, facts_path, run_with_config};

/// A channel of a server whose locale is `hi`, and that server.
const HINDI: &str = "2400000000000000001";
const HINDI_GUILD: &str = "2410000000000000001";
/// A channel of the stand-in's server, whose locale is `en-US`.
const ENGLISH: &str = "2400000000000000002";

/// A fact's Hindi text, as facts.toml translates it.
fn hindi_text(id: &str) -> String {
    let engine = engine();
    let fact = engine.facts().fact(id).expect("a shipped fact");
    fact.translations["hi"].text.clone()
}

/// The fact's English text.
fn english_text(id: &str) -> String {
    engine()
        .facts()
        .fact(id)
        .expect("a shipped fact")
        .text
        .clone()
}

/// Where a member with Manage Server asks: a channel, its server and the server's locale, and
/// the member's own locale.
struct Place<'a> {
    channel: &'a str,
    guild: &'a str,
    guild_locale: &'a str,
    locale: &'a str,
}

/// Sends `/<command> <sub> options` from `place` with interaction `id`; the reply's text.
async fn command(
    standin: &StandIn,
    id: &str,
    place: &Place<'_>,
    (command, sub, options): (&str, &str, Value),
) -> String {
    let token = format!("interaction-token-{id}");
    let subcommand = json!([{"name": sub, "type": 1, "options": options}]);
    let mut payload = interaction_payload(id, &token, 2, command, subcommand, MANAGE_GUILD);
    payload["channel_id"] = json!(place.channel);
    payload["channel"]["id"] = json!(place.channel);
    payload["guild_id"] = json!(place.guild);
    payload["guild_locale"] = json!(place.guild_locale);
    payload["locale"] = json!(place.locale);
    standin.dispatch("INTERACTION_CREATE", payload);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for(&format!("the /{command} {sub} callback"), WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await
        .json();
    if callback["type"] == 5 {
        return text_of(&standin.wait_original_edit(&token, WAIT).await);
    }
    text_of(&callback["data"])
}

/// The label of a posted message's first button.
fn button(body: &Value) -> &str {
    body["components"][0]["components"][0]["label"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hindi_servers_channel_gets_the_digest_in_hindi_and_an_english_ones_in_english() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[], "");
    let serve = |now: &str| {
        Bot::start(
            &standin,
            &["--config", config.as_str(), "serve", "--now", now],
            &[],
        )
    };
    let mut bot = serve("2026-02-24T12:00:00Z");
    standin.wait_op(2, 1, WAIT).await;
    let hindi = Place {
        channel: HINDI,
        guild: HINDI_GUILD,
        guild_locale: "hi",
        locale: "en-US",
    };
    let english = Place {
        channel: ENGLISH,
        guild: GUILD_ID,
        guild_locale: "en-US",
        locale: "hi",
    };
    let at_eight = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]);
    for (id, place) in [
        ("1400000000000000801", &hindi),
        ("1400000000000000802", &english),
    ] {
        let subscribed = command(
            &standin,
            id,
            place,
            ("digest", "subscribe", at_eight.clone()),
        )
        .await;
        assert!(subscribed.contains("08:00 (Asia/Kolkata)"), "{subscribed}");
    }
    // Status names the channel's language, in the reader's; a preview is the reader's too.
    let status = command(
        &standin,
        "1400000000000000803",
        &hindi,
        ("digest", "status", json!([])),
    )
    .await;
    assert!(
        status.contains("Digests here are posted in हिंदी."),
        "{status}"
    );
    let status = command(
        &standin,
        "1400000000000000804",
        &english,
        ("digest", "status", json!([])),
    )
    .await;
    assert!(
        status.contains("यहाँ सार English में पोस्ट किए जाते हैं।"),
        "{status}"
    );
    let preview = command(
        &standin,
        "1400000000000000805",
        &english,
        ("digest", "preview", json!([])),
    )
    .await;
    assert!(
        preview.contains("दैनिक सार, मंगलवार 24 फ़रवरी 2026"),
        "{preview}"
    );
    bot.terminate();
    bot.wait_exit(WAIT).await;

    // The next morning, 08:00 in Kolkata: each channel gets its digest once, in its language.
    let _bot = serve("2026-02-25T02:29:58Z");
    let (hindi_post, english_post) = standin
        .wait_for("a digest in each channel", WAIT, |s| {
            let (h, e) = (posts(s, HINDI), posts(s, ENGLISH));
            (h.len() == 1 && e.len() == 1).then(|| (h[0].clone(), e[0].clone()))
        })
        .await;
    let text = text_of(&hindi_post);
    assert!(text.contains("दैनिक सार, बुधवार 25 फ़रवरी 2026"), "{text}");
    assert!(text.contains("**मुख्य तथ्य**"), "{text}");
    assert!(text.contains(&hindi_text("mou-signing")), "{text}");
    assert!(!text.contains(&english_text("mou-signing")), "{text}");
    assert_eq!(button(&hindi_post), "स्रोत");
    let text = text_of(&english_post);
    assert!(
        text.contains("daily digest, Wednesday 25 February 2026"),
        "{text}"
    );
    assert!(text.contains("**Key facts**"), "{text}");
    assert!(text.contains(&english_text("mou-signing")), "{text}");
    assert_eq!(button(&english_post), "Source");
    assert_eq!(
        posts(&standin, HINDI).len() + posts(&standin, ENGLISH).len(),
        2
    );
}

#[test]
fn the_hindi_digest_lists_new_updates_in_hindi_with_their_hedge() {
    let facts = std::fs::read_to_string(facts_path()).expect("facts");
    let update = r#"
[[updates]]
time = "2026-02-25T09:00:00+02:00"
text = "No major defence contract is currently expected to be signed during this visit."
source = "visit-article"
quote = "no major defence contract is currently expected to be signed during this visit"
certainty = "expected"
[updates.translations.hi]
text = "फ़िलहाल इस यात्रा के दौरान किसी बड़े रक्षा अनुबंध पर हस्ताक्षर होने की उम्मीद नहीं है।"
"#;
    let (_dir, path) = crate::support::temp_facts(&format!("{facts}{update}"));
    let engine = factdesk::engine::Engine::load(&path).expect("loads");
    let hi = engine.post_language(Some("hi"));
    assert!(hi.is_some(), "`hi` is shipped");
    let digest = |since: Option<&str>| {
        let since = since.map(crate::support::at);
        let now = crate::support::at("2026-02-25T12:00:00+02:00");
        engine
            .render_digest(now, "Asia/Jerusalem", since, hi)
            .expect("renders")
            .embeds[0]
            .description
            .clone()
            .unwrap_or_default()
    };
    let first = digest(None);
    assert!(first.contains("**शुरुआत से नया:**"), "{first}");
    assert!(
        first.contains("• <t:1772002800:f> — फ़िलहाल इस यात्रा के दौरान किसी बड़े रक्षा अनुबंध पर हस्ताक्षर होने की उम्मीद नहीं है। (अपेक्षित)"),
        "{first}"
    );
    let next = digest(Some("2026-02-24T12:00:00+02:00"));
    assert!(next.contains("**पिछले सार के बाद से नया:**"), "{next}");
    let none = digest(Some("2026-02-25T10:00:00+02:00"));
    assert!(
        none.contains("पिछले सार के बाद से कोई नया अपडेट नहीं है।"),
        "{none}"
    );
}

/// facts.toml with the invented signing as an update, translated into Hindi — one write, as
/// an editor saves it, so the reload that makes the alert sees the translation too.
fn add_translated_update(facts: &Path) {
    let text = std::fs::read_to_string(facts).expect("facts");
    let entry = format!(
        "\n[[updates]]\nid = \"test-signing\"\ntime = \"2026-02-26T15:00:00+02:00\"\ntext = \"{SIGNED}\"\nsource = \"test-wire\"\nquote = \"{QUOTE}\"\ncertainty = \"confirmed\"\nsupersedes = \"mou-signing\"\n[updates.translations.hi]\ntext = \"{}\"\n",
        SIGNED_HI
    );
    let next = facts.with_extension("next");
    std::fs::write(&next, text + &entry).expect("write");
    std::fs::rename(&next, facts).expect("replace facts.toml");
}

/// The invented signing in Hindi (a test fixture, like the English).
const SIGNED_HI: &str =
    "भारत और इज़राइल ने 26 फ़रवरी 2026 को सुरक्षा सहयोग पर समझौता ज्ञापन (MoU) पर हस्ताक्षर किए।";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_posted_in_the_language_of_each_channel() {
    let standin = StandIn::start().await;
    // LOUD is configured in Hindi, QUIET in English (no `locale`); HINDI subscribes from a
    // Hindi server.
    let (loud, quiet) = ("2300000000000000001", "2300000000000000002");
    let hindi_config = format!("[[alerts.subscriptions]]\nchannel = {loud}\nlocale = \"hi\"\n");
    let (_dir, facts, config) = alerts::setup(&[(quiet, None)], &hindi_config);
    let _bot = alerts::serve_ready(&standin, &config, &facts).await;
    standin.wait_op(2, 1, WAIT).await;
    let hindi = Place {
        channel: HINDI,
        guild: HINDI_GUILD,
        guild_locale: "hi",
        locale: "en-US",
    };
    let subscribed = command(
        &standin,
        "1400000000000000811",
        &hindi,
        ("alerts", "subscribe", json!([])),
    )
    .await;
    assert!(subscribed.starts_with("Subscribed"), "{subscribed}");
    add_translated_update(&facts);
    let alerts = standin
        .wait_for("an alert in each channel", WAIT, |s| {
            let all = [posts(s, loud), posts(s, HINDI), posts(s, quiet)];
            all.iter()
                .all(|p| p.len() == 1)
                .then(|| all.map(|p| p[0].clone()))
        })
        .await;
    for hindi_post in &alerts[..2] {
        let content = hindi_post["content"].as_str().expect("content");
        assert!(
            content.starts_with(
                "**प्रधानमंत्री नरेंद्र मोदी की इज़राइल यात्रा: मेरे स्रोत जो कहते हैं, वह बदल गया है**"
            ),
            "{content}"
        );
        assert!(
            content.contains(&format!("• नया: {SIGNED_HI} (पुष्ट; स्रोत: Test Wire)")),
            "{content}"
        );
        assert_eq!(button(hindi_post), "स्रोत");
    }
    let content = alerts[2]["content"].as_str().expect("content");
    assert!(
        content.contains("what my sources say has changed"),
        "{content}"
    );
    assert!(
        content.contains(&format!("• New: {SIGNED} (confirmed; source: Test Wire)")),
        "{content}"
    );
    assert_eq!(button(&alerts[2]), "Source");
}

/// A configuration with `subscriptions` (`[[digest.subscriptions]]` bodies) beside a state dir.
fn config_with(dir: &Path, subscriptions: &[&str]) -> String {
    let mut text = format!("state_dir = \"{}\"\n", dir.join("state").display());
    for s in subscriptions {
        text.push_str(&format!("[[digest.subscriptions]]\n{s}"));
    }
    let path = dir.join("factdesk.toml");
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_channel_with_locale_hi_gets_hindi_by_the_bot_and_by_webhook() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let webhook = format!(
        "{}/api/v10/webhooks/3300000000000000001/webhook-token",
        standin.base()
    );
    let zone = "time = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n";
    let config = config_with(
        dir.path(),
        &[
            &format!("channel = {HINDI}\n{zone}locale = \"hi\"\n"),
            &format!("channel = {ENGLISH}\n{zone}locale = \"hi-IN\"\nwebhook_url_env = \"NEWSROOM_WEBHOOK\"\n"),
        ],
    );
    let env = [("NEWSROOM_WEBHOOK", webhook.as_str())];
    for channel in [HINDI, ENGLISH] {
        let args = [
            "digest",
            "send-now",
            "--channel",
            channel,
            "--now",
            "2026-02-25T03:00:00Z",
        ];
        let (code, out) = run_with_config(&standin, &config, &args, &env);
        assert_eq!(code, 0, "{out}");
    }
    let bot_post = &posts(&standin, HINDI)[0];
    let text = text_of(bot_post);
    assert!(text.contains("**मुख्य तथ्य**"), "{text}");
    assert!(text.contains(&hindi_text("no-major-contract")), "{text}");
    assert_eq!(button(bot_post), "स्रोत");
    // A webhook cannot carry the Source button: the line that replaces it is Hindi too.
    let hooked = &posts(&standin, "webhook-3300000000000000001")[0];
    assert!(hooked.get("components").is_none(), "{hooked}");
    let content = hooked["content"].as_str().unwrap_or("");
    assert!(
        content.ends_with("_स्रोत: हर तथ्य के पीछे के उद्धरणों के लिए मुझसे `/sources` पूछें।_"),
        "{hooked}"
    );
    assert!(
        text_of(hooked).contains(&hindi_text("cooperation-value")),
        "{hooked}"
    );
    // The operator's list says which language each channel is posted in.
    let (code, out) = run_with_config(
        &standin,
        &config,
        &["digest", "list", "--now", "2026-02-25T03:00:00Z"],
        &env,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.matches("Digests here are posted in हिंदी.").count(),
        2,
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locale_the_fact_base_does_not_ship_is_refused_with_its_line_by_check_and_serve() {
    let standin = StandIn::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let zone = "time = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n";
    let config = config_with(
        dir.path(),
        &[
            &format!("channel = {HINDI}\n{zone}locale = \"en-GB\"\n"),
            &format!("channel = {ENGLISH}\n{zone}locale = \"xx\"\n"),
        ],
    );
    std::fs::write(
        &config,
        std::fs::read_to_string(&config).expect("config")
            + "[[alerts.subscriptions]]\nchannel = 2400000000000000003\nlocale = \"fr\"\n",
    )
    .expect("write config");
    let facts = facts_path();
    let facts = facts.to_str().expect("utf-8");
    // Line 11 is `locale = "xx"` of the second subscription; line 14 the alert channel's.
    let expected = [
        "factdesk.toml:11:10",
        "digest.subscriptions[1].locale: `xx` is not a language this fact base ships",
        "factdesk.toml:14:10",
        "alerts.subscriptions[0].locale: `fr` is not a language this fact base ships",
        "the fact base ships `hi` besides English",
    ];
    let (code, out) = run_with_config(&standin, &config, &["check", "--facts", facts], &[]);
    assert_eq!(code, 1, "{out}");
    for line in expected {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
    assert!(!out.contains("en-GB"), "English is always shipped: {out}");
    let mut bot = Bot::start(
        &standin,
        &["--config", &config, "serve", "--facts", facts],
        &[],
    );
    let status = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(1), "{}", bot.log());
    for line in expected {
        bot.wait_for_line(line, WAIT).await;
    }
    assert!(
        !dir.path().join("state/factdesk.db").exists(),
        "refused before the subscriptions were saved"
    );
}
