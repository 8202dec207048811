//! Replies in the reader's language: which locale an answer follows, English where a locale
//! does not translate (and `check` warning about it), and `check` refusing a translation that
//! drops its hedge or changes a figure or a placeholder. What only the reader sees — a refusal
//! of a malformed option, a cooldown notice, `/digest` and `/alerts` settings — is in the
//! reader's language, on the real bot too. The Hindi golden replies are in `golden.rs`.

use std::process::Command;

use factdesk::engine::{application_commands, Invocation, OptionValue, Response};
use factdesk::transport::cli;
use serde_json::{json, Value};

use crate::digest::{setup, text_of, WAIT};
use crate::support::bot::Bot;
use crate::support::standin::{
    interaction_payload, StandIn, CHANNEL_ID, GUILD_ID, MANAGE_GUILD, USER_ID,
};
use crate::support::{ask_in, at, engine, facts_path, root, temp_facts, CLOCKS};

const NOW: &str = CLOCKS[1].1;

fn shipped() -> String {
    std::fs::read_to_string(facts_path()).expect("facts.toml")
}

/// The shipped fact base with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    let text = shipped();
    assert!(text.contains(from), "test edit `{from}` must apply");
    text.replacen(from, to, 1)
}

/// `path:line:column` of byte `at` in `text` (column in characters).
fn position(path: &std::path::Path, text: &str, at: usize) -> String {
    let (line, col) = factdesk::facts::line_col(text, at);
    format!("{}:{line}:{col}", path.display())
}

/// What `check` reports for `toml`, as plain text (file:line:column lines).
fn refused(toml: &str) -> (String, std::path::PathBuf, tempfile::TempDir) {
    let (dir, path) = temp_facts(toml);
    match cli::check(&path, None) {
        Ok(ok) => panic!("expected errors, got: {ok}"),
        Err(e) => (e.to_string(), path, dir),
    }
}

fn content(r: &Response) -> &str {
    &r.reply().expect("a message").content
}

fn is_hindi(text: &str) -> bool {
    text.contains("समझौता ज्ञापन")
}

#[test]
fn a_public_answer_follows_the_server_and_a_private_one_the_reader() {
    let engine = engine();
    // A Hindi reader in an English server: the channel reads English…
    let public = ask_in(&engine, "/mou", NOW, Some("hi"), Some("en-US"));
    assert!(
        content(&public).starts_with("• Ahead of the visit"),
        "{public:?}"
    );
    assert!(public.to_json().contains(r#""label":"Source""#));
    // …while what only the reader sees is Hindi: `hide:true`, /help, a button press.
    let hidden = ask_in(&engine, "/mou hide:true", NOW, Some("hi"), Some("en-US"));
    assert!(hidden.reply().expect("message").ephemeral);
    assert!(is_hindi(content(&hidden)), "{hidden:?}");
    let help = ask_in(&engine, "/help", NOW, Some("hi"), Some("en-US"));
    assert!(content(&help).starts_with("मैं स्रोतों पर आधारित"), "{help:?}");
    let mut press = Invocation::press(public.pressable()[0].clone(), at(NOW));
    press.locale = Some("hi".into());
    press.guild_locale = Some("en-US".into());
    let source = cli::answer(&engine, &press);
    assert_eq!(content(&source), "यह जवाब कहाँ से आया है:");

    // An English reader in a Hindi server: the other way round.
    let public = ask_in(&engine, "/mou", NOW, Some("en-US"), Some("hi"));
    assert!(is_hindi(content(&public)), "{public:?}");
    assert!(public.to_json().contains(r#""label":"स्रोत""#));
    let hidden = ask_in(&engine, "/mou hide:true", NOW, Some("en-US"), Some("hi"));
    assert!(content(&hidden).starts_with("• Ahead of the visit"));
    let help = ask_in(&engine, "/help", NOW, Some("en-US"), Some("hi"));
    assert!(content(&help).starts_with("I answer questions about"));

    // In a DM there is no server locale: the reader's. A regional code finds its language;
    // a language without translations gets English.
    let dm = ask_in(&engine, "/mou", NOW, Some("hi-IN"), None);
    assert!(is_hindi(content(&dm)), "{dm:?}");
    let french = ask_in(&engine, "/mou", NOW, Some("fr"), Some("fr"));
    assert!(content(&french).starts_with("• Ahead of the visit"));
}

#[test]
fn autocomplete_names_facts_in_the_readers_language_and_matches_either() {
    let engine = engine();
    let suggest = |typed: &str| {
        let mut inv = Invocation::new("systems", at(NOW))
            .with_option("name", OptionValue::String(typed.into()));
        inv.focused = Some("name".into());
        inv.locale = Some("hi".into());
        inv.guild_locale = Some("en-US".into());
        match cli::answer(&engine, &inv) {
            Response::Autocomplete(choices) => choices,
            other => panic!("autocomplete, not {other:?}"),
        }
    };
    let english = suggest("iron");
    assert_eq!(english[0].name, "आयरन डोम (Iron Dome)");
    assert_eq!(english[0].value, "iron-dome");
    let hindi = suggest("आयरन");
    assert_eq!(hindi[0].value, "iron-dome");
    // A Hindi title typed as the option's value selects the fact.
    let chosen = ask_in(
        &engine,
        "/systems name:बराक (Barak), नया संस्करण",
        NOW,
        Some("hi"),
        Some("hi"),
    );
    assert!(content(&chosen).contains("मूल्यांकन कर रही है"), "{chosen:?}");
}

#[test]
fn registration_carries_the_hindi_descriptions() {
    let engine = engine();
    let commands = application_commands(&engine);
    let find = |name: &str| {
        commands
            .as_array()
            .expect("array")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .expect("registered")
    };
    let dates = find("dates");
    assert_eq!(
        dates["description_localizations"]["hi"],
        "यात्रा कब है, और आज वह किस स्थिति में है"
    );
    let ask = find("ask");
    assert_eq!(
        ask["description_localizations"]["hi"],
        "घटना के बारे में अपने शब्दों में सवाल पूछें"
    );
    let hide = ask["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["name"] == "hide")
        .expect("hide");
    assert_eq!(
        hide["description_localizations"]["hi"],
        "जवाब सिर्फ़ आपको दिखाएँ"
    );
    let digest = find("digest");
    assert_eq!(
        digest["options"][0]["options"][0]["description_localizations"]["hi"],
        "पोस्ट करने का स्थानीय समय, HH:MM (24 घंटे), जैसे 08:00"
    );
}

#[test]
fn the_shipped_fact_base_translates_everything_into_hindi() {
    let checked = cli::check(&facts_path(), None).expect("the shipped fact base passes");
    assert_eq!(checked.warnings, Vec::<String>::new());
    assert!(checked.summary.contains("(and in hi)"), "{checked}");
    let engine = engine();
    for fact in &engine.facts().facts {
        assert!(fact.translations.contains_key("hi"), "{}", fact.id);
    }
    for command in &engine.facts().commands {
        assert!(command.translations.contains_key("hi"), "{}", command.name);
    }
    assert!(engine.facts().digest_translations.contains_key("hi"));
}

#[test]
fn a_hindi_digest_that_fails_to_render_is_refused_with_its_place() {
    let broken = "**मुख्य तथ्य** {{ fact(\"visit-dats\").text }}";
    let toml = edited("**मुख्य तथ्य**", broken);
    let (e, path, _dir) = refused(&toml);
    let call = toml.find("fact(\"visit-dats\")").expect("edited");
    let at = position(&path, &toml, call);
    assert!(
        e.contains(&format!(
            "{at}: digest.translations.hi.template: undefined value: no fact has the id `visit-dats` (the digest before the event, in `hi`)"
        )),
        "{e}"
    );
    // The English digest is not at fault: only the translation is named.
    assert!(!e.contains(": digest.template:"), "{e}");
}

#[test]
fn a_fact_without_a_translation_is_said_in_english_and_check_warns() {
    let block = "[facts.translations.hi]\ntitle = \"ऐरो (Arrow)\"\n";
    let text = shipped();
    let start = text.find(block).expect("arrow's translation");
    let end = start + text[start..].find("\n\n").expect("end of the block") + 1;
    let toml = format!("{}{}", &text[..start], &text[end..]);
    let (_dir, path) = temp_facts(&toml);

    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["check", "--facts", path.to_str().expect("utf-8 path")])
        .current_dir(root())
        .output()
        .expect("run factdesk check");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail: {stderr}"
    );
    let id = toml.find("\"arrow\"\ntitle").expect("arrow's id");
    let at = position(&path, &toml, id);
    assert!(
        stderr.contains(&format!(
            "warning: {at}: facts[arrow].translations: no `hi` translation: `hi` readers get this fact in English"
        )),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("; 1 warning"));

    // Hindi readers get that one fact in English, with the Hindi words around it.
    let engine = factdesk::engine::Engine::load(&path).expect("loads");
    let arrow = ask_in(&engine, "/systems name:Arrow", NOW, Some("hi"), Some("hi"));
    assert!(
        content(&arrow).starts_with("**Arrow** (रिपोर्ट के अनुसार)\nArrow is cited as part of"),
        "{arrow:?}"
    );
    // The list is an embed, one field per system.
    let all = ask_in(&engine, "/systems", NOW, Some("hi"), Some("hi")).to_text();
    assert!(
        all.contains("\n\nArrow (रिपोर्ट के अनुसार)\nArrow is cited"),
        "{all}"
    );
    assert!(
        all.contains("\n\nआयरन डोम (Iron Dome) (रिपोर्ट के अनुसार)\n"),
        "{all}"
    );
}

#[test]
fn a_translation_that_drops_its_hedge_is_refused_with_its_place() {
    // "are expected to sign" said as "will sign".
    let hedged = "समझौता ज्ञापन (MoU) पर हस्ताक्षर किए जाने की उम्मीद है।";
    let bare = "समझौता ज्ञापन (MoU) पर हस्ताक्षर करेंगे।";
    let toml = edited(hedged, bare);
    let (e, path, _dir) = refused(&toml);
    // The place is the translated text's value: its opening quote.
    let edited_at = toml.find(bare).expect("edited");
    let value = toml[..edited_at].rfind("text = \"").expect("text") + "text = ".len();
    let at = position(&path, &toml, value);
    assert!(
        e.contains(&format!(
            "{at}: facts[mou-signing].translations.hi.text: the `hi` translation drops the hedge of its certainty (`expected`)"
        )),
        "{e}"
    );
    assert!(e.contains("with one of: उम्मीद, अपेक्षा"), "{e}");

    // The hedge of another certainty is no hedge: "may" said as "is expected".
    let (e, _, _dir) = refused(&edited(
        "सहयोगी कार्य में लेज़र-आधारित रक्षा प्रणालियाँ शामिल हो सकती हैं।",
        "सहयोगी कार्य में लेज़र-आधारित रक्षा प्रणालियाँ शामिल होने की उम्मीद है।",
    ));
    assert!(
        e.contains("facts[laser-defence].translations.hi.text: the `hi` translation drops the hedge of its certainty (`possible`)"),
        "{e}"
    );

    // Without the language's hedge words for a certainty, its translations cannot be checked.
    let (e, _, _dir) = refused(&edited(
        "likely = [\"संभावना\", \"संभवतः\", \"संभावित\"]\n",
        "",
    ));
    assert!(
        e.contains("facts[mou-scope].translations.hi.text: `hi` has no hedge words for `likely`"),
        "{e}"
    );
}

#[test]
fn check_refuses_other_figures_undeclared_locales_and_broken_fixed_words() {
    let (e, _, _dir) = refused(&edited("लगभग 10 अरब", "लगभग 20 अरब"));
    assert!(
        e.contains("facts[cooperation-value].translations.hi.text: the translation's figures (20) differ from the English text's (10)"),
        "{e}"
    );
    let (e, _, _dir) = refused(&edited(
        "[facts.translations.hi]\ntitle = \"यात्रा की अवधि\"",
        "[facts.translations.fr]\ntitle = \"Durée de la visite\"",
    ));
    assert!(
        e.contains(
            "facts[visit-length].translations.fr: no `[locales.fr]` declares the locale `fr`"
        ),
        "{e}"
    );
    let (e, _, _dir) = refused(&edited(
        "ask.more = \"…और {n} तथ्य",
        "ask.more = \"…और कुछ तथ्य",
    ));
    assert!(
        e.contains("locales.hi.words.ask.more: the translation's placeholders (none) differ from the English ones ({n})"),
        "{e}"
    );
    let (e, _, _dir) = refused(&edited("\nhide = \"जवाब", "\nhidden = \"जवाब"));
    assert!(
        e.contains("locales.hi.descriptions: `hidden` is not a built-in command or option"),
        "{e}"
    );
}

#[test]
fn option_mistakes_are_explained_in_the_readers_language() {
    let engine = engine();
    // A Hindi reader in an English server: the refusal is theirs alone, so it is Hindi…
    let typo = ask_in(
        &engine,
        "/systems name:Arow",
        NOW,
        Some("hi"),
        Some("en-US"),
    );
    assert!(typo.reply().expect("message").ephemeral);
    assert!(
        content(&typo).starts_with(
            "मेरे पास `Arow` के बारे में कोई तथ्य नहीं है। क्या आपका मतलब ऐरो (Arrow) था? इनमें से एक चुनें: "
        ),
        "{typo:?}"
    );
    // …and an English reader in a Hindi server gets English.
    let typo = ask_in(
        &engine,
        "/systems name:Arow",
        NOW,
        Some("en-US"),
        Some("hi"),
    );
    assert!(
        content(&typo)
            .starts_with("I have no facts about `Arow`. Did you mean Arrow? Choose one of: "),
        "{typo:?}"
    );

    // A value of the wrong type, as Discord could send it.
    let wrong = |locale: &str| {
        let mut inv =
            Invocation::new("mou", at(NOW)).with_option("hide", OptionValue::String("yes".into()));
        inv.locale = Some(locale.into());
        inv.guild_locale = Some("en-US".into());
        content(&cli::answer(&engine, &inv)).to_owned()
    };
    assert_eq!(
        wrong("hi"),
        "`/mou` का विकल्प `hide` बूलियन लेता है, `yes` नहीं।"
    );
    assert_eq!(
        wrong("en-US"),
        "Option `hide` of `/mou` takes a boolean, not `yes`."
    );

    // A missing option, described in the reader's language; an unknown command.
    let missing = ask_in(&engine, "/ask", NOW, Some("hi"), Some("en-US"));
    assert_eq!(
        content(&missing),
        "`/ask` को विकल्प `question` (आपका सवाल, जैसे \"क्या किसी रक्षा सौदे की उम्मीद है?\") चाहिए।"
    );
    let unknown = ask_in(&engine, "/dtaes", NOW, Some("hi"), Some("en-US"));
    assert!(
        content(&unknown).starts_with("मैं `/dtaes` कमांड नहीं जानता। क्या आपका मतलब `/dates` था?"),
        "{unknown:?}"
    );

    // The command line reads `--locale` as the reader's: a line it cannot read is told in Hindi.
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--locale", "hi", "/mou hide:maybe"])
        .current_dir(root())
        .output()
        .expect("run factdesk ask");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("विकल्प `hide` बूलियन लेता है, `maybe` नहीं।"),
        "{stderr}"
    );
}

#[test]
fn check_holds_every_shipped_hindi_word_to_its_english_placeholders() {
    let engine = engine();
    let hi = &engine.facts().locales[0];
    assert_eq!(hi.code, "hi");
    for (key, english) in factdesk::facts::locale::WORDS {
        let hindi = hi
            .word(key)
            .unwrap_or_else(|| panic!("`{key}` has no Hindi"));
        let sorted = |text: &'static str| {
            let mut names = factdesk::facts::locale::placeholders(text);
            names.sort_unstable();
            names
        };
        let mut have = factdesk::facts::locale::placeholders(hindi);
        have.sort_unstable();
        assert_eq!(have, sorted(english), "{key}: {hindi}");
    }
    // A reply about the bot itself whose translation lost a placeholder is refused.
    let (e, _, _dir) = refused(&edited(
        "आप {when} फिर से पूछ सकते हैं।",
        "आप जल्द ही फिर से पूछ सकते हैं।",
    ));
    assert!(
        e.contains("locales.hi.words.cooldown.slow_down: the translation's placeholders ({n}) differ from the English ones ({n}, {when})"),
        "{e}"
    );
}

/// Reader settings for an interaction sent on the gateway: the reader's and the server's
/// locale, the member's id and permission bits.
struct Reader<'a> {
    locale: &'a str,
    guild_locale: &'a str,
    user: &'a str,
    permissions: u64,
}

/// `/command` with `options`, sent on the gateway as interaction `id` by `reader` in
/// `channel`: the reply as the reader sees it (content, embed title and text) and its flags.
async fn asked_on_gateway(
    standin: &StandIn,
    id: &str,
    command: &str,
    options: Value,
    reader: &Reader<'_>,
) -> (String, Option<u64>) {
    let token = format!("interaction-token-{id}");
    let mut payload = interaction_payload(id, &token, 2, command, options, reader.permissions);
    payload["locale"] = json!(reader.locale);
    payload["guild_locale"] = json!(reader.guild_locale);
    payload["member"]["user"]["id"] = json!(reader.user);
    standin.dispatch("INTERACTION_CREATE", payload);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for(&format!("the /{command} callback"), WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await
        .json();
    if callback["type"] == 5 {
        // Deferred (the database was slow): the answer is edited in.
        let edited = standin.wait_original_edit(&token, WAIT).await;
        return (text_of(&edited), callback["data"]["flags"].as_u64());
    }
    (
        text_of(&callback["data"]),
        callback["data"]["flags"].as_u64(),
    )
}

fn sub(name: &str, options: Value) -> Value {
    json!([{"name": name, "type": 1, "options": options}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_and_alert_settings_answer_a_hindi_reader_in_hindi() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[], "");
    let args = [
        "--config",
        &config,
        "serve",
        "--now",
        "2026-02-24T12:00:00Z",
    ];
    let _bot = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 1, WAIT).await;
    let hindi = |permissions| Reader {
        locale: "hi",
        guild_locale: "en-US",
        user: USER_ID,
        permissions,
    };
    let english = Reader {
        locale: "en-US",
        guild_locale: "hi",
        user: USER_ID,
        permissions: 0,
    };
    let time = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]);

    let (refused, flags) = asked_on_gateway(
        &standin,
        "1400000000000000801",
        "digest",
        sub("subscribe", time.clone()),
        &hindi(0),
    )
    .await;
    assert_eq!(flags, Some(64), "{refused}");
    assert_eq!(
        refused,
        "माफ़ कीजिए — इस चैनल का सार केवल **Manage Server** अनुमति वाले सदस्य बदल सकते हैं। आप फिर भी `/digest status` और `/digest preview` का इस्तेमाल कर सकते हैं।"
    );
    let (ok, _) = asked_on_gateway(
        &standin,
        "1400000000000000802",
        "digest",
        sub("subscribe", time),
        &hindi(MANAGE_GUILD),
    )
    .await;
    assert_eq!(
        ok,
        "सदस्यता ली गई: इस चैनल को 08:00 (Asia/Kolkata) पर दैनिक सार मिलेगा। अगला सार <t:1771986600:F> (<t:1771986600:R>) पर निर्धारित है।"
    );
    let (status, _) = asked_on_gateway(
        &standin,
        "1400000000000000803",
        "digest",
        sub("status", json!([])),
        &hindi(0),
    )
    .await;
    assert_eq!(
        status,
        "08:00 (Asia/Kolkata) पर दैनिक सार।\nअगला सार: <t:1771986600:F> (<t:1771986600:R>)।\nअभी तक कोई सार नहीं पहुँचा।\nयहाँ सार English में पोस्ट किए जाते हैं।",
        "subscribed from an English server: its posts are in English, named as English names itself"
    );
    let (status, _) = asked_on_gateway(
        &standin,
        "1400000000000000804",
        "digest",
        sub("status", json!([])),
        &english,
    )
    .await;
    assert!(
        status.starts_with("Daily digest at 08:00 (Asia/Kolkata).\nNext digest: "),
        "an English reader in a Hindi server: {status}"
    );

    let (none, _) = asked_on_gateway(
        &standin,
        "1400000000000000805",
        "alerts",
        sub("status", json!([])),
        &hindi(0),
    )
    .await;
    assert!(none.starts_with("इस चैनल को कोई सूचना नहीं मिलती।"), "{none}");
    let role = json!([{"name": "role", "type": 8, "value": "1500000000000000001"}]);
    let (ok, _) = asked_on_gateway(
        &standin,
        "1400000000000000806",
        "alerts",
        sub("subscribe", role),
        &hindi(MANAGE_GUILD),
    )
    .await;
    assert!(
        ok.starts_with("सदस्यता ली गई: जब भी संपादक कोई अपडेट जोड़ेंगे"),
        "{ok}"
    );
    assert!(ok.contains("<@&1500000000000000001> के उल्लेख के साथ"), "{ok}");
    let (status, _) = asked_on_gateway(
        &standin,
        "1400000000000000807",
        "alerts",
        sub("status", json!([])),
        &hindi(0),
    )
    .await;
    assert_eq!(
        status,
        "सूचनाएँ चालू हैं, <@&1500000000000000001> के उल्लेख के साथ।\nअभी तक कोई सूचना पोस्ट नहीं हुई।"
    );

    // A malformed option of a public command: the refusal is the reader's alone, in Hindi.
    let (wrong, flags) = asked_on_gateway(
        &standin,
        "1400000000000000808",
        "mou",
        json!([{"name": "hide", "type": 3, "value": "yes"}]),
        &hindi(0),
    )
    .await;
    assert_eq!(flags, Some(64), "{wrong}");
    assert_eq!(wrong, "`/mou` का विकल्प `hide` बूलियन लेता है, `yes` नहीं।");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldown_notices_are_in_the_askers_language() {
    let standin = StandIn::start().await;
    let state = tempfile::tempdir().expect("state");
    let dir = state.path().to_str().expect("utf-8");
    let _bot = Bot::start(
        &standin,
        &["serve", "--now", NOW, "--state-dir", dir],
        &[
            ("FACTDESK_COOLDOWN_SECONDS", "300"),
            ("FACTDESK_USER_RATE_PER_MINUTE", "3"),
        ],
    );
    standin.wait_op(2, 1, WAIT).await;
    let member = |user, locale| Reader {
        locale,
        guild_locale: "en-US",
        user,
        permissions: 0,
    };
    let first = member("1000000000000000201", "en-US");
    let (answer, flags) =
        asked_on_gateway(&standin, "1400000000000000901", "mou", json!([]), &first).await;
    assert_eq!(flags, None, "public, in the server's English: {answer}");
    // A Hindi member asks the same (`/mou` reads alike in every reader's time zone): the
    // answer stays as the channel read it, the pointer is theirs.
    let second = member("1000000000000000202", "hi");
    let (again, flags) =
        asked_on_gateway(&standin, "1400000000000000902", "mou", json!([]), &second).await;
    assert_eq!(flags, Some(64), "{again}");
    let message = standin
        .original("interaction-token-1400000000000000901")
        .expect("the first answer made a message");
    let link = format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{message}");
    assert_eq!(
        again,
        format!("इसका जवाब इस चैनल में अभी-अभी दिया गया था: {link}\n\n{answer}")
    );

    // A Hindi member over the rate is told in Hindi when to come back.
    let fast = member("1000000000000000203", "hi");
    let mut last = (String::new(), None);
    for (n, name) in ["about", "dates", "defence", "topics"]
        .into_iter()
        .enumerate()
    {
        let id = format!("14000000000000009{}", 10 + n);
        last = asked_on_gateway(&standin, &id, name, json!([]), &fast).await;
    }
    let (refused, flags) = last;
    assert_eq!(flags, Some(64), "{refused}");
    assert!(
        refused.starts_with("मैं एक सदस्य को एक मिनट में इससे ज़्यादा जवाब नहीं देता (3 कमांड)। आप <t:"),
        "{refused}"
    );
    assert!(refused.ends_with(":R> फिर से पूछ सकते हैं।"), "{refused}");
}
