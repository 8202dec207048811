//! Golden replies: every command at three pinned clocks (before, during, after the visit).
//! Snapshots live in `tests/e2e/snapshots/`; review every change by eye.

use crate::support::{ask, engine, CLOCKS};

const LINES: [&str; 16] = [
    "/dates",
    "/about",
    "/systems",
    "/systems name:Arrow",
    "/systems name:barak",
    "/mou",
    "/defence",
    "/sudarshan",
    "/topics",
    "/sources",
    "/help",
    "/ask question: is a deal expected",
    "/ask drones?",
    "/ask what is the weather in Paris",
    "/digest preview",
    "/digest preview timezone:Asia/Kolkata",
];

#[test]
fn every_command_at_three_clocks() {
    let engine = engine();
    for (phase, now) in CLOCKS {
        let mut out = String::new();
        for line in LINES {
            out.push_str(&format!(
                "### {line}\n{}\n\n",
                ask(&engine, line, now).to_text()
            ));
        }
        insta::assert_snapshot!(format!("replies_{phase}"), out);
    }
}

#[test]
fn dates_knows_the_readers_time_zone() {
    let engine = engine();
    let inv = factdesk::engine::slash::parse(
        &engine,
        "/dates",
        crate::support::at("2026-02-25T21:00:00+00:00"),
        Some("hi"),
    )
    .expect("parses");
    let text = factdesk::transport::cli::answer(&engine, &inv).to_text();
    // 21:00 UTC: still day 1 in Jerusalem (23:00), already the 26th in Kolkata (02:30).
    assert!(text.contains("day 1 of 2"), "{text}");
    assert!(
        text.contains("In your time zone (Asia/Kolkata) it is Thursday 26 February 2026."),
        "{text}"
    );
}

#[test]
fn json_is_the_interaction_response() {
    let engine = engine();
    let json = ask(&engine, "/systems name:Iron Dome", CLOCKS[0].1).to_json();
    insta::assert_snapshot!("systems_iron_dome_json", json);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["type"], 4);
    assert_eq!(
        v["data"]["allowed_mentions"],
        serde_json::json!({"parse": []})
    );
}

#[test]
fn errors_are_ephemeral_and_polite() {
    let engine = engine();
    let now = CLOCKS[0].1;
    let unknown = ask(&engine, "/weather", now);
    let reply = unknown.reply().expect("message");
    assert!(reply.ephemeral);
    assert!(
        reply
            .content
            .starts_with("I don't know the command `/weather`."),
        "{}",
        reply.content
    );

    let bad = ask(&engine, "/systems name:Zeus", now);
    let reply = bad.reply().expect("message");
    assert!(reply.ephemeral);
    assert!(
        reply
            .content
            .contains("I have no facts about `Zeus`. Choose one of: Arrow,"),
        "{}",
        reply.content
    );

    let missing = factdesk::transport::cli::answer(
        &engine,
        &factdesk::engine::Invocation::new("ask", crate::support::at(now)),
    );
    assert!(missing
        .reply()
        .expect("message")
        .content
        .contains("needs the option `question`"));

    let wrong_type = factdesk::transport::cli::answer(
        &engine,
        &factdesk::engine::Invocation::new("systems", crate::support::at(now))
            .with_option("name", factdesk::engine::OptionValue::Integer(7)),
    );
    let reply = wrong_type.reply().expect("message");
    assert!(
        reply.ephemeral && reply.content.contains("takes a string, not `7`"),
        "{}",
        reply.content
    );

    let extra = ask(&engine, "/dates when:tomorrow", now);
    assert!(extra
        .reply()
        .expect("message")
        .content
        .contains("`/dates` has no option `when`"));
}

#[test]
fn autocomplete_offers_matching_systems() {
    let engine = engine();
    let mut inv = factdesk::engine::Invocation::new("systems", crate::support::at(CLOCKS[0].1))
        .with_option("name", factdesk::engine::OptionValue::String("dr".into()));
    inv.focused = Some("name".into());
    let json = factdesk::transport::cli::answer(&engine, &inv).to_json();
    assert_eq!(
        json,
        r#"{"type":8,"data":{"choices":[{"name":"Unmanned aerial systems (drones)","value":"unmanned-aerial-systems"}]}}"#
    );
    inv.options.clear();
    let all = factdesk::transport::cli::answer(&engine, &inv);
    let factdesk::engine::Response::Autocomplete(choices) = all else {
        panic!("autocomplete")
    };
    assert_eq!(choices.len(), 7);
    assert!(choices.len() <= 25);
}
