//! Questions readers asked that `/ask` could not answer well, so editors know what to add.
//!
//! The engine only says *that* a question missed ([`Misses::record`]); the serving process
//! keeps the count (in the state database: the normalised text and how often, never who asked
//! or where). Recording never delays an answer: implementations queue it.

/// Longest question text kept.
pub const MAX_TEXT: usize = 200;

/// Where missed questions are counted.
pub trait Misses: Send + Sync {
    /// Counts `question` (already [`normalise`]d) as missed. Must not block.
    fn record(&self, question: String);
}

/// The form a question is counted under: lower case, spaces collapsed, at most
/// [`MAX_TEXT`] characters — so "When is it?" and "when  is it?" count together.
pub fn normalise(question: &str) -> String {
    let mut out = String::new();
    for word in question.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(
            word.chars()
                .flat_map(char::to_lowercase)
                .filter(|c| !c.is_control()),
        );
    }
    match out.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => out[..cut].to_owned(),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_count_together_whatever_their_case_and_spacing() {
        assert_eq!(normalise("  When IS\tit?\n"), "when is it?");
        assert_eq!(normalise(&"x".repeat(500)).chars().count(), MAX_TEXT);
    }
}
