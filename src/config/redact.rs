//! The configuration file as its error reports show it: with secrets masked.
//!
//! A report shows the offending line with a caret, and reports go to a terminal, CI logs and
//! the journal. A secret written in the file — the refused `token`, `public_key` or
//! `webhook_url`, an unknown key such as `bot_token`, or a line TOML cannot read — must not
//! travel with it. Values are masked character by character with `*` (as many as the value has
//! bytes), so every span and caret still points where it did; keys stay readable.

use std::ops::Range;

/// Parts of a key's name that say its value is (or may hold) a secret.
const SECRET_WORDS: [&str; 9] = [
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "private",
    "key",
    "webhook",
    "auth",
];

/// `text` with the values masked that a report must not show: the bytes of every range in
/// `secrets` (refused secrets), every value of a key whose name looks secret, and every value
/// on the lines `unreadable` touches (a syntax error or an unknown key: what it holds is
/// unknown, so none of it is shown).
pub fn shown(text: &str, secrets: &[Range<usize>], unreadable: Option<&Range<usize>>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let span = at..at + line.len();
        at = span.end;
        // An empty range (TOML's error position) touches the line it sits on.
        let touched = unreadable.is_some_and(|u| {
            u.start < span.end && (u.end > span.start || (u.is_empty() && u.start >= span.start))
        });
        let value_from = match line.find('=') {
            Some(eq) if touched || looks_secret(&line[..eq]) => Some(eq + 1),
            // Nothing TOML could read as a key here: a stray value, or the inside of a string.
            None if touched && !line.trim_start().starts_with('[') => Some(0),
            _ => None,
        };
        for (i, c) in line.char_indices() {
            let masked = value_from.is_some_and(|from| i >= from)
                || secrets.iter().any(|s| s.contains(&(span.start + i)));
            if masked && !c.is_whitespace() && c != '"' && c != '\'' {
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// Whether a key (as written before `=`: maybe dotted, quoted or commented out) names a secret.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// Whether `name` can be an environment variable's name (letters, digits and `_`, not starting
/// with a digit) — and so is safe to repeat in a message, unlike a URL pasted in its place.
pub fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_keys_lose_their_values_and_keep_their_places() {
        let text = "http = \"0.0.0.0:8080\"\nbot_token = \"abc.def\"\n  [digest]\n  webhook_url_env = \"X\" # note\n";
        let out = shown(text, &[], None);
        assert_eq!(
            out,
            "http = \"0.0.0.0:8080\"\nbot_token = \"*******\"\n  [digest]\n  webhook_url_env = \"*\" * ****\n"
        );
        assert_eq!(out.len(), text.len());
    }

    #[test]
    fn refused_secrets_are_masked_even_across_lines() {
        let text = "facts = \"f.toml\"\napi = \"\"\"\nline one\n\"\"\"\n";
        let value = text.find("\"\"\"").expect("value")..text.len() - 1;
        assert_eq!(
            shown(text, &[value], None),
            "facts = \"f.toml\"\napi = \"\"\"\n**** ***\n\"\"\"\n"
        );
    }

    #[test]
    fn lines_toml_could_not_read_show_no_value() {
        let text = "facts = \"f.toml\"\nhttp = nowhere\nMTk4NjIy.Cl2\n[digest\n";
        let at = |needle: &str| {
            let start = text.find(needle).expect("needle");
            start..start + 1
        };
        assert_eq!(
            shown(text, &[], Some(&at("nowhere"))),
            "facts = \"f.toml\"\nhttp = *******\nMTk4NjIy.Cl2\n[digest\n"
        );
        assert_eq!(
            shown(text, &[], Some(&at("MTk4"))),
            "facts = \"f.toml\"\nhttp = nowhere\n************\n[digest\n"
        );
        assert_eq!(shown(text, &[], Some(&at("[digest"))), text);
        let position = text.find("nowhere").expect("value");
        assert_eq!(
            shown(text, &[], Some(&(position..position))),
            "facts = \"f.toml\"\nhttp = *******\nMTk4NjIy.Cl2\n[digest\n"
        );
    }

    #[test]
    fn variable_names_are_told_from_urls() {
        assert!(is_variable_name("DIGEST_WEBHOOK_1"));
        assert!(!is_variable_name("https://discord.com/api/webhooks/1/abc"));
        assert!(!is_variable_name("1ABC"));
        assert!(!is_variable_name(""));
    }
}
