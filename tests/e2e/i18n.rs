//! Replies in the reader's language: which locale an answer follows, English where a locale
//! does not translate (and `check` warning about it), and `check` refusing a translation that
//! drops its hedge or changes a figure. The Hindi golden replies are in `golden.rs`.

use std::process::Command;

use factdesk::engine::{application_commands, Invocation, OptionValue, Response};
use factdesk::transport::cli;

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
