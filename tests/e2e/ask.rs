//! `/ask` ranking: questions phrased as readers phrase them find the right facts, and
//! questions the fact base does not cover get an honest answer.

use factdesk::engine::Engine;

use crate::support::engine;

/// Ids of the facts `/ask` answers `question` with, best first.
fn answers(engine: &Engine, question: &str) -> Vec<String> {
    factdesk::engine::search::Index::build(&engine.facts().facts)
        .search(question, 3)
        .into_iter()
        .map(|h| engine.facts().facts[h.fact].id.clone())
        .collect()
}

#[test]
fn readers_words_find_the_right_fact_first() {
    let engine = engine();
    let cases = [
        ("drones?", "unmanned-aerial-systems"),
        ("which missile is the navy looking at", "barak"),
        ("is a deal expected", "no-major-contract"),
        ("when does the visit start", "visit-dates"),
        ("who is modi meeting", "leaders-talks"),
        (
            "how much is the defence cooperation worth",
            "cooperation-value",
        ),
        ("Iron Dome", "iron-dome"),
        ("what is mission sudarshan", "sudarshan-link"),
        ("anything on quantum computing?", "civil-topics"),
        ("terrorism", "leaders-rapport"),
        ("will they sign a memorandum", "mou-signing"),
        ("lasers", "laser-defence"),
    ];
    for (question, expected) in cases {
        let got = answers(&engine, question);
        assert_eq!(
            got.first().map(String::as_str),
            Some(expected),
            "{question:?} → {got:?}"
        );
    }
}

#[test]
fn related_facts_come_along() {
    let engine = engine();
    let got = answers(&engine, "is a deal expected");
    assert!(got.contains(&"no-new-deal".to_owned()), "{got:?}");
    let got = answers(&engine, "drones");
    assert!(got.contains(&"long-range-strike".to_owned()), "{got:?}");
}

#[test]
fn uncovered_questions_get_an_honest_answer() {
    let engine = engine();
    for question in [
        "what's the weather in Paris",
        "cricket score",
        "who won the election",
        "???",
        "",
    ] {
        assert!(
            answers(&engine, question).is_empty(),
            "{question:?} should not match"
        );
    }
    let text = crate::support::ask(
        &engine,
        "/ask question: cricket score",
        crate::support::CLOCKS[0].1,
    )
    .to_text();
    assert!(
        text.starts_with("My fact base does not cover “cricket score”."),
        "{text}"
    );
    assert!(text.contains("`/dates`"), "{text}");
}

#[test]
fn answers_carry_certainty_and_source() {
    let engine = engine();
    let text = crate::support::ask(
        &engine,
        "/ask will the mou be signed",
        crate::support::CLOCKS[0].1,
    )
    .to_text();
    assert!(
        text.contains("are expected to sign a Memorandum of Understanding"),
        "{text}"
    );
    assert!(
        text.contains(
            "(expected; source: India-Israel Strategic Partnership Set for Defence Focus)"
        ),
        "{text}"
    );
}
