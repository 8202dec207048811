//! Golden replies: every command at three pinned clocks (before, during, after the visit).
//! Snapshots live in `tests/e2e/snapshots/`; review every change by eye.

use crate::support::{ask, ask_in, at, engine, CLOCKS};

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
            // As `factdesk ask` prints it: Discord timestamps written out in the event's zone.
            let text = ask(&engine, line, now).to_text_in(engine.reader_zone(None), at(now));
            out.push_str(&format!("### {line}\n{text}\n\n"));
        }
        insta::assert_snapshot!(format!("replies_{phase}"), out);
    }
}

/// The Hindi replies at the three clocks: what a server whose locale is `hi` reads (public
/// answers follow the server's locale, ephemeral ones the reader's; here both are `hi`), and
/// what the Source button under `/mou` shows a Hindi reader. Quotes stay in English; `/digest
/// preview` is the Hindi digest (its translation in facts.toml), as a Hindi server's channel
/// gets it.
#[test]
fn hindi_replies_at_three_clocks() {
    let engine = engine();
    for (phase, now) in CLOCKS {
        let mut out = String::new();
        for line in LINES {
            let text = ask_in(&engine, line, now, Some("hi"), Some("hi")).to_text();
            out.push_str(&format!("### {line}\n{text}\n\n"));
        }
        let mou = ask_in(&engine, "/mou", now, Some("hi"), Some("hi"));
        let press = mou.pressable().into_iter().next().expect("a Source button");
        let mut inv = factdesk::engine::Invocation::press(press, crate::support::at(now));
        inv.locale = Some("hi".into());
        let source = factdesk::transport::cli::answer(&engine, &inv).to_text();
        out.push_str(&format!("### Source of /mou\n{source}\n"));
        insta::assert_snapshot!(format!("replies_hi_{phase}"), out);
    }
}

#[test]
fn dates_knows_the_readers_time_zone() {
    let engine = engine();
    let mut inv = factdesk::engine::slash::parse(
        &engine,
        "/dates",
        crate::support::at("2026-02-25T21:00:00+00:00"),
        Some("hi"),
    )
    .expect("parses");
    // A Hindi reader in an English server: the channel reads English, the time zone is the
    // reader's.
    inv.guild_locale = Some("en-US".into());
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
}

#[test]
fn autocomplete_offers_at_most_25_choices_prefix_matches_first() {
    // 30 facts under one topic: more than Discord accepts in one autocomplete answer.
    let mut toml = String::from(
        "[event]\nname = \"Test\"\ntime_zone = \"UTC\"\nstart = \"2026-01-01\"\nend = \"2026-01-02\"\nsummary = \"s\"\n\n\
         [[sources]]\nid = \"s\"\ntitle = \"S (test fixture)\"\n\n\
         [[commands]]\nname = \"item\"\ndescription = \"An item\"\ntemplate = \"{{ options.name.text }}\"\n\
         [[commands.options]]\nname = \"name\"\ndescription = \"Which\"\nrequired = true\nchoices_topic = \"t\"\nautocomplete = true\n\n",
    );
    for i in 0..30 {
        let title = if i == 0 {
            "Zeta item".to_owned()
        } else {
            format!("Item {i}")
        };
        toml.push_str(&format!(
            "[[facts]]\nid = \"f{i}\"\ntitle = \"{title}\"\ntext = \"It is reported that item {i} exists.\"\nsource = \"s\"\nquote = \"q\"\ncertainty = \"reported\"\ntopics = [\"t\"]\n\n"
        ));
    }
    let (_dir, path) = crate::support::temp_facts(&toml);
    let engine = factdesk::engine::Engine::load(&path).expect("the test fact base loads");
    let suggest = |typed: &str| {
        let mut inv = factdesk::engine::Invocation::new("item", crate::support::at(CLOCKS[0].1))
            .with_option("name", factdesk::engine::OptionValue::String(typed.into()));
        inv.focused = Some("name".into());
        match factdesk::transport::cli::answer(&engine, &inv) {
            factdesk::engine::Response::Autocomplete(choices) => choices,
            other => panic!("autocomplete, not {other:?}"),
        }
    };
    assert_eq!(suggest("").len(), 25, "all 30 match; Discord takes 25");
    // "z" is only in "Zeta item" (listed first, so ordering below is tested, not inherited).
    let z = suggest("z");
    assert_eq!(z.first().map(|c| c.name.as_str()), Some("Zeta item"));
    // A title that starts with the typed text comes before one that merely contains it.
    let e = suggest("ite");
    assert_eq!(e.len(), 25);
    assert!(
        e.iter().take(25).all(|c| c.name.starts_with("Item")),
        "{e:?}"
    );
}

#[test]
fn user_text_is_echoed_without_links_markdown_or_direction_tricks() {
    use factdesk::engine::{Invocation, OptionValue, Reply};
    let engine = engine();
    let now = crate::support::at(CLOCKS[0].1);
    let reply = |inv: Invocation| -> Reply {
        factdesk::transport::cli::answer(&engine, &inv)
            .reply()
            .expect("message")
            .clone()
    };
    let text = |s: &str| OptionValue::String(s.to_owned());

    // Public: a bare URL is shown as code (no preview, no link); an RTL override and a line
    // separator are gone; markdown is shown as typed.
    let ask = reply(Invocation::new("ask", now).with_option(
        "question",
        text("https://evil.example/x \u{202E}gnirts\u{2028}zzyzx **[x](http://evil.example/y)**"),
    ));
    assert!(!ask.ephemeral);
    assert!(
        ask.content.starts_with(
            "My fact base does not cover “`https://evil.example/x` gnirts zzyzx \
             `**[x](http://evil.example/y)**`”. It only holds"
        ),
        "{}",
        ask.content
    );

    // Ephemeral errors: a backtick cannot end the code span and start a masked link.
    let systems = reply(
        Invocation::new("systems", now)
            .with_option("name", text("Zeus`[x](http://evil.example)`\u{202E}")),
    );
    assert!(systems.ephemeral);
    assert!(
        systems.content.starts_with(
            "I have no facts about `Zeusˋ[x](http://evil.example)ˋ`. Choose one of: Arrow,"
        ),
        "{}",
        systems.content
    );
    let unknown = reply(Invocation::new("we`[x](http://evil.example)`ather", now));
    assert!(
        unknown.content.starts_with(
            "I don't know the command `/weˋ[x](http://evil.example)ˋather`. Commands I answer:"
        ),
        "{}",
        unknown.content
    );
    let mut preview = Invocation::new("digest", now)
        .with_option("timezone", text("`[x](http://evil.example)`\u{2066}\n"));
    preview.subcommand = Some("preview".to_owned());
    let zone = reply(preview);
    assert!(
        zone.content
            .starts_with("`ˋ[x](http://evil.example)ˋ` is not a time zone I know."),
        "{}",
        zone.content
    );
    // A long value is cut, not echoed whole.
    let long = reply(Invocation::new("systems", now).with_option("name", text(&"z".repeat(1500))));
    assert!(
        long.content
            .starts_with(&format!("I have no facts about `{}…`.", "z".repeat(99))),
        "{}",
        long.content
    );
}

#[test]
fn typos_in_commands_choices_and_autocomplete_get_a_guess() {
    let engine = engine();
    let now = CLOCKS[0].1;
    let text = ask(&engine, "/dtes", now).to_text();
    assert!(
        text.starts_with("I don't know the command `/dtes`. Did you mean `/dates`?"),
        "{text}"
    );
    let text = ask(&engine, "/systems name:Arow", now).to_text();
    assert!(
        text.contains("I have no facts about `Arow`. Did you mean Arrow?"),
        "{text}"
    );
    for (typed, want) in [
        ("davids slnig", "David’s Sling"),
        ("iron dom", "Iron Dome"),
        ("barrak", "Barak (newer variant)"),
    ] {
        let mut inv = factdesk::engine::Invocation::new("systems", crate::support::at(now))
            .with_option("name", factdesk::engine::OptionValue::String(typed.into()));
        inv.focused = Some("name".into());
        let json: serde_json::Value =
            serde_json::from_str(&factdesk::transport::cli::answer(&engine, &inv).to_json())
                .expect("JSON");
        let names: Vec<&str> = json["data"]["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names.first(), Some(&want), "{typed:?} → {names:?}");
    }
}
