//! `/sources` — where the facts come from, and how many facts rest on each source.

use super::BuiltIn;
use crate::engine::{Engine, Invocation, Reply};

pub const COMMAND: BuiltIn = BuiltIn {
    name: "sources",
    description: "Where my facts come from",
    options: &[],
    subcommands: &[],
    default_member_permissions: None,
    run,
};

fn run(engine: &Engine, _inv: &Invocation) -> Reply {
    let base = engine.facts();
    let mut out = String::from("Every fact I give rests on a quote from one of these sources:");
    for s in &base.sources {
        let count = base.facts.iter().filter(|f| f.source == s.id).count();
        let mut line = format!("\n• **{}**", s.title);
        if let Some(p) = &s.publisher {
            line.push_str(&format!(", {p}"));
        }
        if let Some(d) = &s.date {
            line.push_str(&format!(", {d}"));
        }
        if let Some(u) = &s.url {
            // Angle brackets stop Discord from unfurling a preview.
            line.push_str(&format!(" <{u}>"));
        }
        line.push_str(&format!(
            " — {count} fact{}",
            if count == 1 { "" } else { "s" }
        ));
        out.push_str(&line);
    }
    Reply::public(out)
}
