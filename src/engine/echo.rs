//! User text in replies: whatever a reader typed and a reply repeats — a value an error
//! message quotes, the question `/ask` answers — is shown as typed and can do nothing else. No
//! link preview, no masked link, no markdown, no text direction flipped for the rest of the
//! message, no line break, and no more than a sentence's worth of it.
//!
//! Two ways to repeat it: [`code`] for a value in a (usually ephemeral) message, [`prose`] for
//! words inside a public sentence. Every reply that repeats user input goes through one of them.

use super::reply::cut;

/// The longest value [`code`] repeats, in characters.
const MAX_CODE: usize = 100;

/// `text` as inline code, `` `like this` ``: control, line-breaking and direction-changing
/// characters removed (line breaks become spaces), backticks — which would end the code span
/// and let the rest render as markdown, such as a masked link — replaced by `ˋ` (U+02CB), and
/// cut to 100 characters. Inside code, Discord renders no markdown, link or mention:
/// ``Zeus`[x](http://evil.example)` `` is shown as `` `Zeusˋ[x](http://evil.example)ˋ` ``.
pub fn code(text: &str) -> String {
    let mut shown: String = plain(text)
        .chars()
        .map(|c| if c == '`' { 'ˋ' } else { c })
        .collect();
    cut(&mut shown, MAX_CODE);
    format!("`{shown}`")
}

/// `text` for a public sentence: plain (as [`code`] makes it), trimmed, cut to `max`
/// characters, its markdown escaped so it shows as typed, and each word Discord would turn into
/// a link — and preview — shown as [`code`] instead.
pub fn prose(text: &str, max: usize) -> String {
    let mut shown = plain(text).trim().to_owned();
    cut(&mut shown, max);
    shown
        .split(' ')
        .map(|word| match is_link(word) {
            true => code(word),
            false => escape_markdown(word),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` without the characters that break a line, change the text's direction or hide
/// (C0/C1 controls, bidi embeddings, overrides and isolates, zero-width spaces); those that
/// separate words or lines become a space.
fn plain(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some(' '),
            '\u{61C}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' => None,
            '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Whether Discord would make `word` a link (and preview it): a URL, a `www.` address or an
/// invite.
fn is_link(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    word.contains("://") || word.starts_with("www.") || word.contains("discord.gg/")
}

/// Backslash-escapes Discord markdown so text shows literally. Mid-line, only inline markdown
/// matters (headings and lists need a line start, and [`plain`] leaves no line breaks).
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '(' | ')' | '<'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_cannot_be_broken_out_of() {
        assert_eq!(code("a`b``c"), "`aˋbˋˋc`");
        assert_eq!(code("x\u{202E}y\u{2066}z\u{200F}"), "`xyz`");
        assert_eq!(
            code("one\ntwo\u{2028}three\rfour\u{0}"),
            "`one two three four`"
        );
        let long = code(&"word ".repeat(50));
        assert!(long.chars().count() <= MAX_CODE + 2, "{long}");
        assert!(long.ends_with("word…`"), "{long}");
    }

    #[test]
    fn prose_shows_markdown_and_links_as_typed() {
        assert_eq!(
            prose("[click](http://x) **now** long-range", 150),
            "`[click](http://x)` \\*\\*now\\*\\* long-range"
        );
        assert_eq!(
            prose(
                " see www.evil.example and discord.gg/abc\u{202E} <@1> ",
                150
            ),
            "see `www.evil.example` and `discord.gg/abc` \\<@1>"
        );
        assert_eq!(prose("a\u{2029}b", 150), "a b");
    }
}
