//! Typo tolerance over the fact base's own vocabulary: a word the facts do not have is
//! corrected to one they do, by optimal-string-alignment distance (a swap of two letters is one
//! edit: "slnig" → "sling"). Never for short words (Iran is one edit from iron) nor, freely, for
//! capitalised ones: a name is corrected only to a name the facts themselves write with a
//! capital, one edit away ("Isreal" → Israel, but "Japan" stays Japan and is reported unknown).

use std::collections::{HashMap, HashSet};

use super::words::Word;

/// Words of at most this many letters are never corrected.
const SHORT: usize = 4;

/// The words of the facts, by length in characters.
#[derive(Default)]
pub struct Vocabulary {
    by_len: HashMap<usize, Vec<(String, String)>>,
    /// Words the facts write with a capital letter (not only at a sentence's start).
    names: HashSet<String>,
    seen: HashSet<String>,
}

impl Vocabulary {
    /// Adds a word of a fact.
    pub fn add(&mut self, w: &Word) {
        if w.capital && !w.first {
            self.names.insert(w.raw.clone());
        }
        let len = w.raw.chars().count();
        if len <= SHORT || !w.raw.chars().all(char::is_alphabetic) || w.is_stopword() {
            return;
        }
        if self.seen.insert(w.raw.clone()) {
            self.by_len
                .entry(len)
                .or_default()
                .push((w.raw.clone(), w.stem.clone()));
        }
    }

    /// Sorts each length's words so ties resolve the same way on every load.
    pub fn finish(&mut self) {
        for list in self.by_len.values_mut() {
            list.sort();
        }
        self.seen = HashSet::new();
    }

    /// The stem of the fact-base word nearest to `w`, if one is near enough.
    pub fn correct(&self, w: &Word) -> Option<String> {
        let len = w.raw.chars().count();
        if len <= SHORT || !w.raw.chars().all(char::is_alphabetic) {
            return None;
        }
        // Names get one edit at most; long common words two.
        let max = if w.capital || len <= 7 { 1 } else { 2 };
        let mut best: Option<(usize, &(String, String))> = None;
        for l in len.saturating_sub(max)..=len + max {
            for cand in self.by_len.get(&l).into_iter().flatten() {
                if w.capital && !self.names.contains(&cand.0) {
                    continue;
                }
                let d = strsim::osa_distance(&w.raw, &cand.0);
                if d <= max && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, cand));
                }
            }
        }
        best.map(|(_, (_, stem))| stem.clone())
    }
}

/// Lowercase, without apostrophes: "David’s Sling" and "davids sling" compare equal.
fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| *c != '\'' && *c != '’')
        .collect()
}

/// How many edits a typed string of `len` characters may be from what was meant.
fn allowed(len: usize) -> usize {
    (len / 4).max(1)
}

/// The candidate nearest to `typed` ("dtes" → "dates"), if one is near enough: for "did you
/// mean …?" on an unknown command or choice.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = fold(typed);
    let len = typed.chars().count();
    if len < 2 {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&typed, &fold(c)), c))
        .filter(|(d, _)| *d <= allowed(len))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Whether what a reader has typed so far could be the start of `candidate`, typos allowed
/// ("iron dom", "davids slnig"): for autocomplete.
pub fn could_start(typed: &str, candidate: &str) -> bool {
    let typed = fold(typed);
    let candidate = fold(candidate);
    if typed.is_empty() || candidate.contains(&typed) {
        return true;
    }
    let len = typed.chars().count();
    if len < 3 {
        return false;
    }
    let prefix: String = candidate.chars().take(len).collect();
    strsim::osa_distance(&typed, &prefix) <= allowed(len)
        || strsim::osa_distance(&typed, &candidate) <= allowed(len)
}

#[cfg(test)]
mod tests {
    use super::super::words::words;
    use super::*;

    fn vocabulary(text: &str) -> Vocabulary {
        let mut v = Vocabulary::default();
        for w in words(text) {
            v.add(&w);
        }
        v.finish();
        v
    }

    fn correct(v: &Vocabulary, text: &str) -> Option<String> {
        let ws = words(text);
        v.correct(ws.last().expect("a word"))
    }

    #[test]
    fn near_misses_are_corrected() {
        let v = vocabulary("Iron Dome, David’s Sling and quantum computing with Israel");
        assert_eq!(correct(&v, "slnig").as_deref(), Some("sling"));
        assert_eq!(correct(&v, "quantm").as_deref(), Some("quantum"));
        assert_eq!(correct(&v, "visit Isreal").as_deref(), Some("israel"));
    }

    #[test]
    fn commands_and_choices_are_found_through_typos() {
        assert_eq!(nearest("dtes", ["dates", "about", "mou"]), Some("dates"));
        assert_eq!(nearest("weather", ["dates", "about", "mou"]), None);
        assert!(could_start("davids slnig", "David’s Sling"));
        assert!(could_start("iron dom", "Iron Dome"));
        assert!(could_start("arow", "Arrow"));
        assert!(!could_start("zeus", "Arrow"));
    }

    #[test]
    fn short_words_and_unknown_names_are_not() {
        let v = vocabulary("Iron Dome with Israel and the japans");
        assert_eq!(correct(&v, "iran"), None);
        assert_eq!(correct(&v, "visit Japan"), None);
        assert_eq!(correct(&v, "visit Japans"), None);
    }
}
