//! One test per kind of mistake an editor can make in `facts.toml`, each asserting the message
//! the editor sees (file:line:column, field, what is wrong, what would be right).

use factdesk::transport::cli;

use crate::support::{article, engine, temp_facts};

/// A small valid fact base the tests break one way at a time.
const BASE: &str = r#"[event]
name = "Test visit"
time_zone = "Asia/Jerusalem"
start = "2026-02-25"
end = "2026-02-26"
summary = "A visit."

[[sources]]
id = "visit-article"
title = "Article"
file = "tests/fixtures/visit-article.txt"

[[facts]]
id = "visit-dates"
title = "Dates"
text = "The prime minister is scheduled to visit Israel on 25–26 February 2026."
source = "visit-article"
quote = "Prime Minister Narendra Modi is scheduled to visit Israel on February 25–26, 2026"
certainty = "scheduled"
topics = ["dates"]

[[facts]]
id = "mou-signing"
title = "MoU"
text = "India and Israel are expected to sign an MoU."
source = "visit-article"
quote = "India and Israel are expected to sign a Memorandum of Understanding (MoU) on security cooperation"
certainty = "expected"
topics = ["mou"]

[[commands]]
name = "dates"
description = "When"
template = """
{{ fact("visit-dates").text }}
"""
"#;

/// The error `check` reports for `toml`, as plain text.
fn errors(toml: &str) -> String {
    let (_dir, path) = temp_facts(toml);
    match cli::check(&path, None) {
        Ok(summary) => panic!("expected errors, got: {summary}"),
        Err(e) => e.to_string(),
    }
}

fn broken(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "test edit `{from}` must apply");
    errors(&BASE.replacen(from, to, 1))
}

#[test]
fn the_base_fixture_is_valid() {
    let (_dir, path) = temp_facts(BASE);
    cli::check(&path, None).expect("BASE is valid");
}

#[test]
fn toml_syntax_error_points_at_line_and_column() {
    let e = broken("title = \"Dates\"", "title = \"Dates");
    assert!(
        e.contains("facts.toml:15:15: toml: invalid basic string"),
        "{e}"
    );
    assert!(e.contains("toml:"), "{e}");
}

#[test]
fn unknown_field_is_rejected_with_the_known_ones() {
    let e = broken("certainty = \"scheduled\"", "certainity = \"scheduled\"");
    assert!(e.contains("unknown field `certainity`"), "{e}");
    assert!(e.contains("certainty"), "{e}");
}

#[test]
fn unknown_certainty_lists_the_valid_ones() {
    let e = broken("certainty = \"scheduled\"", "certainty = \"sure\"");
    assert!(
        e.contains("facts.toml:19:13: facts[visit-dates].certainty: `sure` is not a certainty"),
        "{e}"
    );
    assert!(
        e.contains(
            "scheduled, expected, likely, possible, reported, under_consideration, confirmed"
        ),
        "{e}"
    );
}

#[test]
fn a_text_that_drops_the_hedge_is_rejected() {
    let e = broken(
        "India and Israel are expected to sign an MoU.",
        "India and Israel signed an MoU.",
    );
    assert!(
        e.contains("facts[mou-signing].text: the text drops the hedge of a `expected` fact"),
        "{e}"
    );
    assert!(e.contains("expected, poised, preparing"), "{e}");
}

#[test]
fn confirmed_is_refused_when_the_quote_hedges() {
    let e = broken(
        "text = \"India and Israel are expected to sign an MoU.\"\nsource = \"visit-article\"\nquote = \"India and Israel are expected to sign a Memorandum of Understanding (MoU) on security cooperation\"\ncertainty = \"expected\"",
        "text = \"India and Israel signed an MoU.\"\nsource = \"visit-article\"\nquote = \"India and Israel are expected to sign a Memorandum of Understanding (MoU) on security cooperation\"\ncertainty = \"confirmed\"",
    );
    assert!(
        e.contains("marked confirmed, but its quote hedges (\"expected\")"),
        "{e}"
    );
}

#[test]
fn a_quote_missing_from_the_source_is_rejected() {
    let e = broken("on security cooperation\"", "on nuclear cooperation\"");
    assert!(
        e.contains("facts[mou-signing].quote: the quote does not occur in source `visit-article`"),
        "{e}"
    );
}

#[test]
fn an_unknown_source_is_rejected() {
    let e = broken(
        "source = \"visit-article\"\nquote = \"India",
        "source = \"blog\"\nquote = \"India",
    );
    assert!(
        e.contains("facts[mou-signing].source: no source has the id `blog`"),
        "{e}"
    );
    assert!(e.contains("visit-article"), "{e}");
}

#[test]
fn a_missing_source_file_is_reported() {
    let e = broken(
        "file = \"tests/fixtures/visit-article.txt\"",
        "file = \"nowhere.txt\"",
    );
    assert!(
        e.contains("facts.toml:11:8: sources[0].file: cannot read"),
        "{e}"
    );
}

#[test]
fn duplicate_fact_ids_are_rejected() {
    let e = broken("id = \"mou-signing\"", "id = \"visit-dates\"");
    assert!(
        e.contains("a fact with id `visit-dates` is already defined"),
        "{e}"
    );
}

#[test]
fn discord_name_rules_apply_to_commands() {
    let e = broken("name = \"dates\"", "name = \"Dates\"");
    assert!(e.contains("`Dates` has uppercase letters"), "{e}");
    let e = broken("name = \"dates\"", "name = \"the dates\"");
    assert!(e.contains("`the dates` is not a valid Discord name"), "{e}");
    let e = broken(
        "description = \"When\"",
        &format!("description = \"{}\"", "w".repeat(101)),
    );
    assert!(e.contains("description is 101 characters long"), "{e}");
    assert!(e.contains("1–100"), "{e}");
}

#[test]
fn built_in_names_cannot_be_redeclared() {
    let e = broken("name = \"dates\"", "name = \"ask\"");
    assert!(e.contains("`/ask` is a built-in command"), "{e}");
}

#[test]
fn duplicate_command_names_are_rejected() {
    let twice = format!(
        "{BASE}\n[[commands]]\nname = \"dates\"\ndescription = \"Again\"\ntemplate = \"x\"\n"
    );
    let e = errors(&twice);
    assert!(
        e.contains("a command named `dates` is already defined"),
        "{e}"
    );
}

#[test]
fn option_rules_apply() {
    let options = "\n[[commands.options]]\nname = \"a\"\ndescription = \"A\"\n\n[[commands.options]]\nname = \"b\"\ndescription = \"B\"\nrequired = true\n";
    let e = errors(&format!("{BASE}{options}"));
    assert!(
        e.contains("a required option follows an optional one"),
        "{e}"
    );

    let choices: String = (0..26)
        .map(|i| format!("{{ name = \"c{i}\", value = \"c{i}\" }},"))
        .collect();
    let e = errors(&format!(
        "{BASE}\n[[commands.options]]\nname = \"a\"\ndescription = \"A\"\nchoices = [{choices}]\n"
    ));
    assert!(e.contains("26 choices"), "{e}");

    let e = errors(&format!("{BASE}\n[[commands.options]]\nname = \"a\"\ndescription = \"A\"\nchoices_topic = \"nope\"\n"));
    assert!(e.contains("no fact has the topic `nope`"), "{e}");

    let e = errors(&format!(
        "{BASE}\n[[commands.options]]\nname = \"a\"\ndescription = \"A\"\ntype = \"text\"\n"
    ));
    assert!(e.contains("`text` is not an option type"), "{e}");
}

#[test]
fn template_syntax_error_points_into_the_file() {
    let e = broken(
        "{{ fact(\"visit-dates\").text }}",
        "{{ fact(\"visit-dates\").text }\n{% if %}",
    );
    // The template body starts on line 35; the stray `}` is at column 29.
    assert!(e.contains("facts.toml:35:29:"), "{e}");
    assert!(e.contains("commands[dates].template: syntax error"), "{e}");
}

#[test]
fn template_unknown_variable_is_rejected() {
    let e = broken("{{ fact(\"visit-dates\").text }}", "{{ weather }}");
    assert!(
        e.contains("commands[dates].template: unknown variable `weather`"),
        "{e}"
    );
}

#[test]
fn template_unknown_fact_or_option_is_caught_by_rendering() {
    let e = broken("fact(\"visit-dates\")", "fact(\"visit-date\")");
    assert!(e.contains("no fact has the id `visit-date`"), "{e}");
    assert!(e.contains("facts.toml:35:4:"), "{e}");
    let e = broken("{{ fact(\"visit-dates\").text }}", "{{ options.name }}");
    assert!(e.contains("undefined value"), "{e}");
}

#[test]
fn discord_time_marks_instants_and_refuses_a_day_or_an_unknown_style() {
    let template =
        "{{ discord_time(event.starts_at, \"R\") }} {{ event.ends_at|discord_time(\"D\") }}";
    let (_dir, path) = temp_facts(&BASE.replacen("{{ fact(\"visit-dates\").text }}", template, 1));
    let engine = factdesk::serving::build(&path).expect("valid");
    let reply = crate::support::ask(&engine, "/dates", "2026-02-20T10:00:00+02:00");
    // Midnight in Jerusalem opening the 25th, and closing the 26th (22:00 UTC the day before).
    assert_eq!(
        reply.reply().expect("message").content,
        "<t:1771970400:R> <t:1772143200:D>"
    );

    let e = broken(
        "{{ fact(\"visit-dates\").text }}",
        "{{ discord_time(event.start) }}",
    );
    assert!(e.contains("facts.toml:35:"), "{e}");
    assert!(
        e.contains("a calendar day such as event.start stays a date"),
        "{e}"
    );
    let e = broken(
        "{{ fact(\"visit-dates\").text }}",
        "{{ discord_time(event.starts_at, \"x\") }}",
    );
    assert!(
        e.contains("`x` is not a style; use t, T, d, D, f, F or R"),
        "{e}"
    );
}

#[test]
fn a_reply_over_discords_limit_fails_check() {
    let e = broken(
        "{{ fact(\"visit-dates\").text }}",
        "{% for i in range(60) %}{{ fact(\"visit-dates\").text }} {% endfor %}",
    );
    assert!(e.contains("content is"), "{e}");
    assert!(e.contains("Discord allows 2000"), "{e}");
}

#[test]
fn dates_and_time_zones_are_validated() {
    let e = broken(
        "time_zone = \"Asia/Jerusalem\"",
        "time_zone = \"Asia/Atlantis\"",
    );
    assert!(
        e.contains(
            "facts.toml:3:13: event.time_zone: `Asia/Atlantis` is not a known IANA time zone"
        ),
        "{e}"
    );
    let e = broken("start = \"2026-02-25\"", "start = \"2026-02-30\"");
    assert!(
        e.contains("event.start: `2026-02-30` is not a valid date"),
        "{e}"
    );
    let e = broken("end = \"2026-02-26\"", "end = \"2026-02-20\"");
    assert!(
        e.contains("event.end: ends (2026-02-20) before it starts (2026-02-25)"),
        "{e}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let toml = BASE
        .replacen("certainty = \"scheduled\"", "certainty = \"sure\"", 1)
        .replacen(
            "time_zone = \"Asia/Jerusalem\"",
            "time_zone = \"Mars/Olympus\"",
            1,
        )
        .replacen("name = \"dates\"", "name = \"Dates\"", 1);
    let e = errors(&toml);
    assert_eq!(e.lines().count(), 3, "{e}");
    assert!(
        e.contains("Mars/Olympus") && e.contains("`sure`") && e.contains("`Dates`"),
        "{e}"
    );
}

#[test]
fn binary_garbage_is_an_error_not_a_panic() {
    let mut bytes = b"[event]\nname = \"".to_vec();
    bytes.extend([0xff, 0xfe, 0x00, 0x9f]);
    let e = factdesk::facts::parse_bytes(&bytes, std::path::Path::new("facts.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("facts.toml:2:9: file: the file is not valid UTF-8 text"),
        "{e}"
    );
}

#[test]
fn random_corruptions_never_panic() {
    // Deterministic xorshift: flip, delete and duplicate bytes of the shipped fact base.
    let original = std::fs::read(crate::support::facts_path()).expect("facts.toml");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, bytes[at]),
            }
        }
        let path = crate::support::facts_path();
        if let Ok(base) = factdesk::facts::parse_bytes(&bytes, &path) {
            if let Ok(engine) = factdesk::engine::Engine::new(base) {
                let _ = engine.lint();
            }
        }
    }
}

#[test]
fn every_shipped_quote_occurs_verbatim_in_the_article() {
    let article = article();
    let engine = engine();
    for fact in &engine.facts().facts {
        assert!(
            article.contains(&fact.quote),
            "quote of `{}` is not verbatim in the article: {}",
            fact.id,
            fact.quote
        );
    }
}

#[test]
fn nothing_expected_is_rendered_as_done() {
    // Every fact's text keeps a hedge word of its certainty; and no reply says "signed" except
    // inside a hedged phrase ("expected to be signed", "expected to sign").
    let engine = engine();
    for fact in &engine.facts().facts {
        let words = fact.certainty.hedge_words();
        let lower = fact.text.to_lowercase();
        assert!(
            words.is_empty() || words.iter().any(|w| lower.contains(w)),
            "`{}` lost its hedge: {}",
            fact.id,
            fact.text
        );
    }
    for (_, now) in crate::support::CLOCKS {
        for c in engine.commands().iter().map(|c| &c.name) {
            let line = if c == "ask" {
                "/ask question: has the mou been signed".to_owned()
            } else {
                format!("/{c}")
            };
            let text = crate::support::ask(&engine, &line, now).to_text();
            // The reader's own question is echoed in “…”; only the bot's sentences count.
            let said: String = text
                .split('“')
                .map(|part| part.split_once('”').map_or(part, |(_, after)| after))
                .collect();
            for sentence in said.split(['.', '\n']) {
                let s = sentence.to_lowercase();
                if s.contains("signed") || s.contains(" sign ") {
                    assert!(
                        s.contains("expected") || s.contains("likely"),
                        "unhedged in /{c}: {sentence}"
                    );
                }
            }
        }
    }
}

#[test]
fn localised_names_and_descriptions_reach_registration() {
    let localised = BASE.replacen(
        "description = \"When\"",
        "description = \"When\"\nname_localizations = { hi = \"तारीख\" }\ndescription_localizations = { hi = \"कब\" }",
        1,
    );
    let (_dir, path) = temp_facts(&localised);
    let engine = factdesk::engine::Engine::load(&path).expect("valid");
    let commands = factdesk::engine::application_commands(&engine);
    let dates = commands
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["name"] == "dates")
        .expect("dates");
    assert_eq!(dates["name_localizations"]["hi"], "तारीख");
    assert_eq!(dates["description_localizations"]["hi"], "कब");

    let e = errors(&BASE.replacen(
        "description = \"When\"",
        "description = \"When\"\nname_localizations = { xx = \"x\" }",
        1,
    ));
    assert!(e.contains("`xx` is not a locale Discord knows"), "{e}");
}

#[test]
fn schema_errors_in_several_tables_are_all_reported() {
    let toml = BASE
        .replacen("certainty = \"scheduled\"", "certainity = \"scheduled\"", 1)
        .replacen("topics = [\"mou\"]", "topics = \"mou\"", 1)
        .replacen("description = \"When\"", "describe = \"When\"", 1);
    let e = errors(&toml);
    assert_eq!(e.lines().count(), 3, "{e}");
    assert!(
        e.contains("facts.toml:19:1: toml: unknown field `certainity`"),
        "{e}"
    );
    assert!(
        e.contains("facts.toml:29:6: toml: invalid type: string \"mou\", expected a sequence"),
        "{e}"
    );
    assert!(e.contains("unknown field `describe`"), "{e}");
}

#[test]
fn a_certainty_the_quote_does_not_state_is_rejected() {
    let e = broken(
        "quote = \"India and Israel are expected to sign a Memorandum of Understanding (MoU) on security cooperation\"",
        "quote = \"a Memorandum of Understanding (MoU) on security cooperation\"",
    );
    assert!(
        e.contains(
            "facts[mou-signing].certainty: marked `expected`, but the quote does not say so"
        ),
        "{e}"
    );
}

#[test]
fn fact_titles_fit_discord_choice_names() {
    let e = broken(
        "title = \"Dates\"",
        &format!("title = \"{}\"", "d".repeat(101)),
    );
    assert!(
        e.contains("facts[visit-dates].title: title is 101 characters long"),
        "{e}"
    );
}

#[test]
fn synonyms_must_lead_to_words_of_the_facts() {
    let e = errors(&format!(
        "{BASE}\n[[synonyms]]\nwords = [\"pact\"]\nmeans = \"mou\"\n\n[[synonyms]]\nwords = [\"kab\"]\nmeans = \"weather\"\n"
    ));
    assert!(
        e.contains("facts.toml:44:9: synonyms[1].means: `weather` leads to no word the facts use"),
        "{e}"
    );
    assert!(!e.contains("synonyms[0]"), "{e}");
    let e = errors(&format!(
        "{BASE}\n[[synonyms]]\nwords = [\"pact\", \"Pact\"]\nmeans = \"mou\"\n"
    ));
    assert!(
        e.contains("synonyms[0].words: `pact` is already given a meaning"),
        "{e}"
    );
}

#[test]
fn expected_questions_are_asked_and_a_miss_fails_check_with_its_line() {
    // Answered as listed: check passes.
    let fine = format!(
        "{BASE}\n[[questions]]\nask = \"what are the dates of the visit\"\nanswers = [\"visit-dates\"]\n\n[[questions]]\nask = \"who won the cricket world cup\"\nnone = true\n"
    );
    let (_dir, path) = temp_facts(&fine);
    let summary = cli::check(&path, None).expect("the questions are answered as listed");
    assert!(
        summary.summary.contains("2 expected questions"),
        "{summary}"
    );
    // A question answered with another fact, and one that should not be covered: both reported.
    let lines_before = BASE.lines().count();
    let e = errors(&format!(
        "{BASE}\n[[questions]]\nask = \"what are the dates of the visit\"\nanswers = [\"mou-signing\"]\n\n[[questions]]\nask = \"what are the dates of the visit\"\nnone = true\n"
    ));
    assert!(
        e.contains(&format!("facts.toml:{}:1: questions[0]", lines_before + 2)),
        "{e}"
    );
    assert!(
        e.contains("does not cite mou-signing (it cites visit-dates"),
        "{e}"
    );
    assert!(
        e.contains("should not be covered, but is answered with visit-dates"),
        "{e}"
    );
    // Malformed entries are schema errors.
    let e = errors(&format!(
        "{BASE}\n[[questions]]\nask = \"when\"\nanswers = [\"no-such-fact\"]\n"
    ));
    assert!(e.contains("no fact has the id `no-such-fact`"), "{e}");
    let e = errors(&format!("{BASE}\n[[questions]]\nask = \"when\"\n"));
    assert!(e.contains("needs either `answers`"), "{e}");
}
