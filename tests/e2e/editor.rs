//! The editors' commands, run as editors run them: `source add`, `update add` (and
//! `--dry-run`), `update retract`, `update list`; what replies then say (supersession in `/mou`
//! and under its Source button, stale hedges after the event); `check`'s warnings; and that a
//! refused edit leaves every file byte-identical while an accepted one is written atomically.
//!
//! Every fact base here is a temporary copy of the shipped one; its added source is an
//! invented text marked as a test fixture, never news.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{facts_path, temp_facts, CLOCKS};

/// The invented source text the tests cite.
const WIRE: &str =
    "TEST FIXTURE — invented text, not news.\nIndia and Israel signed a Memorandum of \
                    Understanding on security cooperation on 26 February 2026, officials said.\n";
const QUOTE: &str =
    "India and Israel signed a Memorandum of Understanding on security cooperation on 26 February 2026";
const SIGNED: &str =
    "India and Israel signed the Memorandum of Understanding (MoU) on security cooperation on 26 February 2026.";
const AT: &str = "2026-02-26T15:00:00+02:00";
/// After the event (the golden tests' "after" clock).
const AFTER: &str = CLOCKS[2].1;

fn factdesk(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("FACTDESK_FACTS")
        .env_remove("FACTDESK_CONFIG")
        .output()
        .expect("run factdesk")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary copy of the shipped fact base, with the invented source's text at `wire.txt`.
fn fact_base() -> (tempfile::TempDir, PathBuf) {
    let shipped = std::fs::read_to_string(facts_path()).expect("shipped facts");
    let (dir, path) = temp_facts(&shipped);
    std::fs::write(dir.path().join("wire.txt"), WIRE).expect("write the fixture");
    (dir, path)
}

/// Every file under `dir` and its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("readable file");
                out.insert(path.strip_prefix(dir).expect("below dir").to_owned(), bytes);
            }
        }
    }
    out
}

/// Asserts that the files under `dir` are exactly `before`, byte for byte (no file added,
/// removed or changed), naming what differs rather than dumping bytes.
fn assert_unchanged(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let after = files(dir);
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&after), names(before), "the same files");
    for (path, bytes) in before {
        assert!(
            after[path] == *bytes,
            "{} changed ({} bytes, was {})",
            path.display(),
            after[path].len(),
            bytes.len()
        );
    }
}

fn source_add(dir: &Path, id: &str) -> Output {
    factdesk(
        dir,
        &[
            "source",
            "add",
            "--facts",
            "facts.toml",
            "--id",
            id,
            "--title",
            "TEST FIXTURE — invented",
            "--publisher",
            "Test Wire",
            "--date",
            "2026-02-26",
            "--file",
            "wire.txt",
        ],
    )
}

/// `update add` of the invented signing, superseding `mou-signing`, with `extra` flags.
fn add_signing(dir: &Path, extra: &[&str]) -> Output {
    add_update(dir, &[], extra)
}

/// `update add` of the invented signing with some of its flags `changed` (`None` leaves the
/// flag out), and `extra` flags.
fn add_update(dir: &Path, changed: &[(&str, Option<&str>)], extra: &[&str]) -> Output {
    let mut flags = vec![
        ("--source", Some("test-wire")),
        ("--quote", Some(QUOTE)),
        ("--certainty", Some("confirmed")),
        ("--text", Some(SIGNED)),
        ("--supersedes", Some("mou-signing")),
        ("--time", Some(AT)),
    ];
    for &(flag, value) in changed {
        match flags.iter_mut().find(|(f, _)| *f == flag) {
            Some(slot) => slot.1 = value,
            None => flags.push((flag, value)),
        }
    }
    let mut args = vec!["update", "add", "--facts", "facts.toml"];
    for (flag, value) in flags {
        if let Some(value) = value {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    factdesk(dir, &args)
}

/// A fact base with the invented source added and the signing update on file.
fn signed() -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = fact_base();
    let o = source_add(dir.path(), "test-wire");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = add_signing(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (dir, path)
}

fn ask(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["ask", "--facts", "facts.toml"];
    all.extend_from_slice(args);
    let o = factdesk(dir, &all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn source_add_copies_the_text_and_appends_its_entry_keeping_the_file() {
    let (dir, path) = fact_base();
    let before = std::fs::read_to_string(&path).expect("facts");
    let o = source_add(dir.path(), "test-wire");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sources/test-wire.txt")).expect("copied"),
        WIRE
    );
    let after = std::fs::read_to_string(&path).expect("facts");
    let entry = "[[sources]]\nid = \"test-wire\"\ntitle = \"TEST FIXTURE — invented\"\npublisher = \"Test Wire\"\ndate = \"2026-02-26\"\nfile = \"sources/test-wire.txt\"\n\n";
    assert!(after.contains(entry), "{after}");
    // Nothing else changed: every comment and blank line is where it was.
    assert_eq!(after.replacen(entry, "", 1), before);
    let o = factdesk(dir.path(), &["check", "--facts", "facts.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 sources"), "{}", stdout(&o));
}

#[test]
fn a_refused_source_add_leaves_every_file_as_it_was() {
    let (dir, _path) = fact_base();
    let before = files(dir.path());
    // An id the fact base already has: the loader refuses the edited text, with its position.
    let o = source_add(dir.path(), "visit-article");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the edit was refused"), "{err}");
    assert!(
        err.contains("a source with id `visit-article` is already defined"),
        "{err}"
    );
    // The new entry's id, three lines below the existing source's last line in the edited text.
    let original = std::fs::read_to_string(dir.path().join("facts.toml")).expect("facts");
    let line = 4 + original
        .lines()
        .position(|l| l == "file = \"tests/fixtures/visit-article.txt\"")
        .expect("the article's entry");
    assert!(
        err.contains(&format!("facts.toml:{line}:6")),
        "file:line:column: {err}"
    );
    // The source file written for the check was removed again.
    assert_unchanged(dir.path(), &before);
    assert!(!dir.path().join("sources").exists());
    // An id that is not a file name, and a text that is already there.
    let o = source_add(dir.path(), "../escape");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not a valid source id"),
        "{}",
        stderr(&o)
    );
    std::fs::create_dir(dir.path().join("sources")).expect("mkdir");
    std::fs::write(dir.path().join("sources/test-wire.txt"), "other").expect("write");
    let before = files(dir.path());
    let o = source_add(dir.path(), "test-wire");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_unchanged(dir.path(), &before);
}

#[test]
fn update_add_appends_an_entry_that_check_passes_and_replies_show() {
    let (dir, path) = fact_base();
    assert_eq!(source_add(dir.path(), "test-wire").status.code(), Some(0));
    let before = std::fs::read_to_string(&path).expect("facts");
    let o = add_signing(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("added update `2026-02-26-test-wire`"),
        "{}",
        stdout(&o)
    );
    let after = std::fs::read_to_string(&path).expect("facts");
    let appended = after
        .strip_prefix(&before)
        .expect("the file is kept and appended to");
    assert_eq!(
        appended,
        format!(
            "\n[[updates]]\nid = \"2026-02-26-test-wire\"\ntime = \"{AT}\"\nsource = \"test-wire\"\ncertainty = \"confirmed\"\ntext = \"{SIGNED}\"\nquote = \"{QUOTE}\"\nsupersedes = \"mou-signing\"\n"
        )
    );
    let o = factdesk(dir.path(), &["check", "--facts", "facts.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Before its time the update is not news; from it on, /mou gives it with its history.
    let early = ask(dir.path(), &["--now", "2026-02-26T09:00:00+02:00", "/mou"]);
    assert!(
        early.contains("are expected to sign a Memorandum"),
        "{early}"
    );
    let mou = ask(dir.path(), &["--now", AFTER, "/mou"]);
    assert!(
        mou.contains(
            "• India and Israel signed the Memorandum of Understanding (MoU) on security cooperation on 26 February 2026, per Test Wire (before the visit: expected)."
        ),
        "{mou}"
    );
    assert!(!mou.contains("are expected to sign"), "{mou}");
    // Without --id, a second update of the same day and source gets a suffix.
    let o = add_signing(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("added update `2026-02-26-test-wire-2`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_refused_update_add_leaves_every_file_byte_identical() {
    let (dir, _path) = signed();
    let before = files(dir.path());
    // A quote that is not in the source, and a fact that does not exist.
    let o = add_update(
        dir.path(),
        &[
            (
                "--quote",
                Some("India and Israel signed a defence contract"),
            ),
            (
                "--text",
                Some("India and Israel signed a defence contract."),
            ),
            ("--supersedes", Some("no-such-fact")),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        err.contains("updates[1].quote: the quote does not occur in source `test-wire`"),
        "{err}"
    );
    assert!(
        err.contains("updates[1].supersedes: no fact has the id `no-such-fact`"),
        "{err}"
    );
    // Positions in the edited text: the new entry follows the file's last line and a blank
    // one (`[[updates]]`, id, time, source, certainty, text, then the quote).
    let lines = String::from_utf8_lossy(&before[Path::new("facts.toml")])
        .lines()
        .count();
    assert!(
        err.contains(&format!("facts.toml:{}:9", lines + 8)),
        "the quote's line and column: {err}"
    );
    // The hedge its certainty needs, checked as for facts.
    let o = add_update(
        dir.path(),
        &[("--certainty", Some("expected")), ("--supersedes", None)],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the text drops the hedge of a `expected` fact"),
        "{}",
        stderr(&o)
    );
    // Discord's limits: replacing a system's sentence with a long one would take `/systems`
    // past 2,000 characters.
    let long = format!("TEST FIXTURE: {}signed.", "invented words ".repeat(64));
    let o = add_update(
        dir.path(),
        &[
            ("--text", Some(&long)),
            ("--supersedes", Some("laser-defence")),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`/systems` (after the event): embed field value is"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("Discord allows 1024"), "{}", stderr(&o));
    // Not one byte changed, and no temp file is left.
    assert_unchanged(dir.path(), &before);
}

#[test]
fn dry_run_shows_the_entry_and_the_replies_and_changes_nothing() {
    let (dir, _path) = fact_base();
    assert_eq!(source_add(dir.path(), "test-wire").status.code(), Some(0));
    let before = files(dir.path());
    let o = add_signing(dir.path(), &["--dry-run", "--now", AFTER]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("[[updates]]\nid = \"2026-02-26-test-wire\""),
        "{out}"
    );
    assert!(out.contains("`/mou` would read"), "{out}");
    assert!(out.contains("The digest would read"), "{out}");
    assert!(
        out.contains("per Test Wire (before the visit: expected)"),
        "{out}"
    );
    // And the change alert the reload would post.
    let alert = out
        .split("The change alert would read")
        .nth(1)
        .expect("the alert");
    assert!(
        alert.contains("what my sources say has changed") && alert.contains(SIGNED),
        "{alert}"
    );
    assert!(out.contains("Nothing was written (--dry-run)."), "{out}");
    assert_unchanged(dir.path(), &before);
    // A refused edit is refused with --dry-run too.
    let o = add_signing(dir.path(), &["--dry-run", "--id", "Not An Id"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not a valid id"), "{}", stderr(&o));
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_supersession_shows_in_mou_and_under_its_source_button() {
    let (dir, _path) = signed();
    let json = ask(dir.path(), &["--now", AFTER, "--json", "/mou"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let custom_id = v["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("a Source button")
        .to_owned();
    let pressed = ask(dir.path(), &["--now", AFTER, "--component", &custom_id]);
    // Both quotes: the fact's, marked superseded, and the update's.
    assert!(
        pressed.contains(
            "MoU on security cooperation (expected; superseded by the update of 26 February 2026)"
        ),
        "{pressed}"
    );
    assert!(
        pressed.contains("> Ahead of the visit, India and Israel are expected to sign"),
        "{pressed}"
    );
    assert!(
        pressed.contains("Update of 26 February 2026: MoU on security cooperation (confirmed)"),
        "{pressed}"
    );
    assert!(pressed.contains(&format!("> {QUOTE}")), "{pressed}");
    assert!(
        pressed.contains("TEST FIXTURE — invented, Test Wire"),
        "{pressed}"
    );
    // /ask gives the current status too.
    let asked = ask(dir.path(), &["--now", AFTER, "/ask was the mou signed"]);
    assert!(
        asked.contains(&format!(
            "{SIGNED} (confirmed; before the visit: expected; source: TEST FIXTURE — invented)"
        )),
        "{asked}"
    );
}

#[test]
fn retract_withdraws_an_update_without_deleting_it() {
    let (dir, path) = signed();
    let pressed_before = {
        let json = ask(dir.path(), &["--now", AFTER, "--json", "/mou"]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        v["data"]["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("a Source button")
            .to_owned()
    };
    let o = factdesk(
        dir.path(),
        &[
            "update",
            "retract",
            "--facts",
            "facts.toml",
            "2026-02-26-test-wire",
            "--reason",
            "TEST FIXTURE: the wire corrected its report",
            "--time",
            "2026-02-27T09:00:00+02:00",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&path).expect("facts");
    assert!(text.contains(SIGNED), "kept on file");
    assert!(
        text.contains("retracted = { time = \"2026-02-27T09:00:00+02:00\", reason = \"TEST FIXTURE: the wire corrected its report\" }"),
        "{text}"
    );
    let mou = ask(dir.path(), &["--now", AFTER, "/mou"]);
    assert!(!mou.contains("per Test Wire"), "{mou}");
    assert!(
        mou.contains("(expected before the visit; my sources do not say whether it happened; an update of 26 February 2026 was withdrawn)."),
        "{mou}"
    );
    // The old answer's Source button shows the withdrawal as a change.
    let pressed = ask(
        dir.path(),
        &["--now", AFTER, "--component", &pressed_before],
    );
    assert!(
        pressed
            .contains("withdrawn on 27 February 2026: TEST FIXTURE: the wire corrected its report"),
        "{pressed}"
    );
    assert!(pressed.contains("Changed since this answer"), "{pressed}");
    // Listed as withdrawn; a second retraction and an unknown id are refused.
    let list = factdesk(dir.path(), &["update", "list", "--facts", "facts.toml"]);
    assert!(
        stdout(&list).contains("withdrawn 2026-02-27T09:00:00+02:00 (TEST FIXTURE: the wire corrected its report); supersedes mou-signing"),
        "{}",
        stdout(&list)
    );
    let before = files(dir.path());
    for id in ["2026-02-26-test-wire", "no-such-update"] {
        let o = factdesk(
            dir.path(),
            &[
                "update",
                "retract",
                "--facts",
                "facts.toml",
                id,
                "--reason",
                "again",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{id}");
    }
    assert_unchanged(dir.path(), &before);
}

#[test]
fn update_list_shows_id_time_certainty_status_and_text() {
    let (dir, _path) = signed();
    let o = factdesk(
        dir.path(),
        &["update", "list", "--facts", "facts.toml", "--now", AFTER],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim_end(),
        format!("2026-02-26-test-wire  {AT}  confirmed  live; supersedes mou-signing  {SIGNED}")
    );
    let o = factdesk(
        dir.path(),
        &[
            "update",
            "list",
            "--facts",
            "facts.toml",
            "--now",
            "2026-02-20T10:00:00+02:00",
        ],
    );
    assert!(stdout(&o).contains("not yet made"), "{}", stdout(&o));
}

#[test]
fn after_the_event_each_unsettled_plan_says_so_and_check_warns() {
    let (dir, path) = signed();
    let systems = ask(dir.path(), &["--now", AFTER, "/systems name:barak"]);
    assert!(
        systems.contains("naval assets (under consideration before the visit; my sources do not say whether it happened)."),
        "{systems}"
    );
    // Every fact shown has its own wording: the generic footer is gone.
    assert!(
        !systems.contains("As reported before the visit"),
        "{systems}"
    );
    let during = ask(dir.path(), &["--now", CLOCKS[1].1, "/systems name:barak"]);
    assert!(
        !during.contains("my sources do not say whether"),
        "{during}"
    );

    let o = factdesk(
        dir.path(),
        &["check", "--facts", "facts.toml", "--now", AFTER],
    );
    assert_eq!(o.status.code(), Some(0), "warnings only: {}", stderr(&o));
    // Warnings go to stderr, the summary to stdout.
    let out = stderr(&o);
    let text = std::fs::read_to_string(&path).expect("facts");
    let line = 1 + text
        .lines()
        .position(|l| l == "id = \"barak\"")
        .expect("the barak fact");
    assert!(
        out.contains(&format!("facts.toml:{line}:6: facts[barak]: stale hedge: replies add \"(under consideration before the visit; my sources do not say whether it happened)\"")),
        "{out}"
    );
    // The superseded MoU is settled; reported facts never go stale.
    assert!(!out.contains("facts[mou-signing]"), "{out}");
    assert!(!out.contains("facts[cooperation-value]"), "{out}");
    let o = factdesk(
        dir.path(),
        &["check", "--facts", "facts.toml", "--now", CLOCKS[1].1],
    );
    // During the event nothing is stale (the one warning left: the invented update has no
    // Hindi translation).
    assert!(!stderr(&o).contains("stale hedge"), "{}", stderr(&o));
}

#[test]
fn a_reader_never_sees_half_an_edit() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let (dir, path) = fact_base();
    assert_eq!(source_add(dir.path(), "test-wire").status.code(), Some(0));
    let mut versions = vec![std::fs::read(&path).expect("facts")];
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                if let Ok(bytes) = std::fs::read(&path) {
                    if seen.last() != Some(&bytes) {
                        seen.push(bytes);
                    }
                }
            }
            seen
        })
    };
    for n in 0..3 {
        let id = format!("edit-{n}");
        let o = add_signing(dir.path(), &["--id", &id]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        versions.push(std::fs::read(&path).expect("facts"));
    }
    done.store(true, Ordering::Relaxed);
    let seen = reader.join().expect("reader");
    assert!(!seen.is_empty());
    for bytes in &seen {
        assert!(
            versions.contains(bytes),
            "a reader saw a file that is neither the old nor a new version ({} bytes)",
            bytes.len()
        );
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "temp files left behind: {names:?}");
}
