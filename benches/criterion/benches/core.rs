//! Core benchmarks: load + validate the shipped fact base, render each command, and `/ask`
//! over a synthetic fact base of 10,000 facts. Run with `cargo bench -p factdesk-bench`.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use factdesk::engine::{slash, Engine, Invocation, OptionValue};
use factdesk::transport::cli::answer;

fn now() -> jiff::Timestamp {
    "2026-02-25T10:00:00+02:00".parse().expect("valid time")
}

/// A fact base of `n` facts over a 4,000-word vocabulary, deterministic.
fn synthetic(n: usize) -> String {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let vocab: Vec<String> = (0..4000).map(|i| format!("w{i:x}word")).collect();
    let mut words = |k: usize| {
        (0..k)
            .map(|_| vocab[(next() % 4000) as usize].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::from(
        "[event]\nname = \"Synthetic\"\ntime_zone = \"UTC\"\nstart = \"2026-01-01\"\nend = \"2026-01-02\"\nsummary = \"s\"\n\n\
         [[sources]]\nid = \"s\"\ntitle = \"S\"\n\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "[[facts]]\nid = \"f{i}\"\ntitle = \"{}\"\ntext = \"It is reported that {}.\"\nsource = \"s\"\nquote = \"q\"\ncertainty = \"reported\"\ntopics = [\"t{}\"]\naliases = [\"{}\"]\n\n",
            words(3),
            words(20),
            i % 50,
            words(2)
        ));
    }
    out
}

fn benches(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../facts.toml");
    c.bench_function("load+validate facts.toml", |b| {
        b.iter(|| Engine::load(black_box(&path)).expect("loads"))
    });

    let engine = Engine::load(&path).expect("loads");
    let mut group = c.benchmark_group("reply");
    for line in [
        "/dates",
        "/about",
        "/systems",
        "/systems name:Arrow",
        "/mou",
        "/defence",
        "/sudarshan",
        "/topics",
        "/sources",
        "/help",
        "/ask question: is a deal expected",
    ] {
        let inv = slash::parse(&engine, line, now(), None).expect("parses");
        group.bench_function(line, |b| {
            b.iter(|| {
                let response = answer(&engine, black_box(&inv));
                black_box(response.to_json())
            })
        });
    }
    group.finish();

    // A press of the Source button under `/systems` (seven facts) and under `/mou`: decoded,
    // looked up, answered and serialised.
    let mut group = c.benchmark_group("press Source");
    for line in ["/systems", "/mou"] {
        let inv = slash::parse(&engine, line, now(), None).expect("parses");
        let custom_id = answer(&engine, &inv)
            .pressable()
            .into_iter()
            .next()
            .expect("a Source button");
        let press = Invocation::press(custom_id, now());
        group.bench_function(line, |b| {
            b.iter(|| black_box(answer(&engine, black_box(&press)).to_json()))
        });
    }
    group.finish();

    let text = synthetic(10_000);
    let base = factdesk::facts::parse_bytes(text.as_bytes(), Path::new("synthetic.toml"))
        .expect("synthetic base is valid");
    let big = Engine::new(base).expect("compiles");
    let question = big.facts().facts[1234].title.clone();
    let inv = Invocation::new("ask", now()).with_option(
        "question",
        OptionValue::String(format!("what about {question}?")),
    );
    c.bench_function("/ask over 10,000 facts", |b| {
        b.iter(|| black_box(answer(&big, black_box(&inv))))
    });
    // The slow path: a word the facts do not have is looked up by edit distance.
    // `wabcword` is a synthetic word without digits (numbers are never corrected).
    let typo = "what about wabcwrod?".to_owned();
    let inv = Invocation::new("ask", now()).with_option("question", OptionValue::String(typo));
    c.bench_function("/ask with a typo over 10,000 facts", |b| {
        b.iter(|| black_box(answer(&big, black_box(&inv))))
    });
}

criterion_group!(core, benches);
criterion_main!(core);
