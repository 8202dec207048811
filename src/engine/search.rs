//! `/ask`: free-text questions ranked over the facts.
//!
//! An inverted index is built once per fact base. Each fact contributes its title and aliases
//! (the words readers use, weight 3), its topics (2) and its text (1). A query is scored like
//! BM25 without length normalisation: the sum over its words of idf × field weight. A match is
//! "good" only when the best fact covers a real share of the query's information (by idf), so
//! a question the facts do not address gets an honest "not covered" instead of noise.

use std::collections::HashMap;

use crate::facts::Fact;

/// Words too common to carry meaning in a question.
const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "are", "as", "at", "be", "been", "by", "can", "could", "did",
    "do", "does", "for", "from", "going", "has", "have", "how", "i", "in", "into", "is", "it",
    "its", "me", "much", "of", "on", "or", "s", "so", "tell", "than", "that", "the", "their",
    "them", "there", "these", "they", "this", "to", "was", "we", "were", "what", "whats", "where",
    "which", "whom", "why", "will", "with", "would", "you", "your", "anything", "know", "get",
    "at", "any", "some",
];

/// Share of the query's information the best fact must cover to count as an answer.
const MIN_COVERAGE: f32 = 0.34;
/// Facts scoring below this share of the best score are left out of the answer.
const RELATIVE_CUTOFF: f32 = 0.35;

/// Lowercases, splits on anything but letters and digits, drops stopwords and crudely stems
/// (plural `s`, `ing`, `ed`), identically for facts and questions.
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_lowercase()))
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
}

fn stem(word: &str) -> String {
    let n = word.chars().count();
    for (suffix, min) in [("ing", 6), ("ed", 5), ("s", 4)] {
        if n >= min && word.ends_with(suffix) && !word.ends_with("ss") {
            return word[..word.len() - suffix.len()].to_owned();
        }
    }
    word.to_owned()
}

#[derive(Clone, Copy)]
struct Posting {
    fact: u32,
    weight: f32,
}

/// The `/ask` index over one fact base.
pub struct Index {
    postings: HashMap<String, Vec<Posting>>,
    facts: usize,
}

/// A ranked fact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the fact in the fact base.
    pub fact: usize,
    pub score: f32,
}

impl Index {
    /// Indexes `facts`.
    pub fn build(facts: &[Fact]) -> Index {
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        for (i, f) in facts.iter().enumerate() {
            let mut weights: HashMap<String, f32> = HashMap::new();
            let fields = [(f.title.as_str(), 3.0)]
                .into_iter()
                .chain(f.aliases.iter().map(|a| (a.as_str(), 3.0)))
                .chain(f.topics.iter().map(|t| (t.as_str(), 2.0)))
                .chain([(f.text.as_str(), 1.0)]);
            for (text, weight) in fields {
                for token in tokenize(text) {
                    let w = weights.entry(token).or_default();
                    // A word counts once per field kind: repeating it does not buy rank.
                    *w = w.max(weight);
                }
            }
            let fact = u32::try_from(i).expect("fewer than 4 billion facts");
            for (token, weight) in weights {
                postings
                    .entry(token)
                    .or_default()
                    .push(Posting { fact, weight });
            }
        }
        Index {
            postings,
            facts: facts.len(),
        }
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.facts as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The facts that answer `question`, best first (at most `limit`); empty when nothing
    /// answers it well.
    pub fn search(&self, question: &str, limit: usize) -> Vec<Hit> {
        let mut words: Vec<String> = tokenize(question).collect();
        words.sort();
        words.dedup();
        if words.is_empty() || self.facts == 0 {
            return Vec::new();
        }
        let mut scores: HashMap<u32, (f32, f32)> = HashMap::new();
        let mut total_info = 0.0;
        for word in &words {
            let Some(list) = self.postings.get(word) else {
                // An unknown word is as informative as the rarest possible one.
                total_info += self.idf(0);
                continue;
            };
            let idf = self.idf(list.len());
            total_info += idf;
            for p in list {
                let entry = scores.entry(p.fact).or_default();
                entry.0 += idf * p.weight;
                entry.1 += idf;
            }
        }
        // Each answer must itself cover enough of the question, not merely share a common word.
        let mut hits: Vec<Hit> = scores
            .into_iter()
            .filter(|(_, (_, covered))| covered / total_info >= MIN_COVERAGE)
            .map(|(fact, (score, _))| Hit {
                fact: fact as usize,
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.fact.cmp(&b.fact)));
        let best = hits.first().map_or(0.0, |h| h.score);
        hits.retain(|h| h.score >= best * RELATIVE_CUTOFF);
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stemmed_and_stopwords_dropped() {
        let t: Vec<_> = tokenize("Which missiles is the Navy evaluating? Drones!").collect();
        assert_eq!(t, ["missile", "navy", "evaluat", "drone"]);
    }
}
