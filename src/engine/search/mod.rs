//! `/ask`: free-text questions ranked over the facts.
//!
//! An inverted index is built once per fact base. Each fact's fields are weighted — title and
//! aliases (the words readers use) 3, topics 2, text 1, quote ½ — and a question is scored like
//! BM25F: per word, idf × a saturated, length-normalised sum of its field weights. Before
//! scoring, a question is cut into clauses (`words::clauses`), each clause's reader words are
//! mapped to the fact base's words by the editors' `[[synonyms]]`, and a word the fact base does
//! not have is corrected to a near one of its own vocabulary (`typo.rs`) — damped, so a
//! correction never outranks an exact hit. A clause's answer is "good" only when the best fact
//! covers a real share of the clause's information (by idf), so a question the facts do not
//! address gets an honest "not covered" instead of noise; and a clause that names something
//! salient (a name, a number, a role) that no fact mentions is answered "my sources don't
//! mention X", never with facts about something else.

mod typo;
pub mod words;

pub use typo::{could_start, nearest};

use std::collections::{HashMap, HashSet};

use crate::facts::{Diagnostic, FactBase};
use words::Word;

/// Share of the query's information the best fact must cover to count as an answer.
const MIN_COVERAGE: f32 = 0.34;
/// Below this coverage an answer is given but counted as low confidence.
const GOOD_COVERAGE: f32 = 0.6;
/// Facts scoring below this share of the best score are left out of the answer.
const RELATIVE_CUTOFF: f32 = 0.35;
/// A corrected word's share of an exact word's score and coverage.
const TYPO_SCORE: f32 = 0.5;
const TYPO_COVERAGE: f32 = 0.8;
/// BM25 term-frequency saturation and length normalisation of the text fields.
const K1: f32 = 1.2;
const B_TEXT: f32 = 0.5;
/// At most this many facts in a list answer.
const MAX_LIST: usize = 12;

/// Field weights: (title, aliases, topics, text, quote).
const W_TITLE: f32 = 3.0;
const W_ALIAS: f32 = 3.0;
const W_TOPIC: f32 = 2.0;
const W_TEXT: f32 = 1.0;
const W_QUOTE: f32 = 0.5;

/// Role words: "defence secretary" is salient when the fact base never says that pair.
const ROLES: &[&str] = &[
    "secretary",
    "minister",
    "president",
    "ambassador",
    "chief",
    "spokesperson",
    "spokesman",
    "governor",
    "mayor",
    "king",
    "queen",
    "ceo",
    "chairman",
    "chairperson",
    "director",
    "commander",
    "admiral",
    "general",
    "envoy",
    "advisor",
    "adviser",
    "mp",
    "mla",
    "senator",
];

/// Words that say what a number counts ("5 billion").
const UNITS: &[&str] = &[
    "billion",
    "million",
    "crore",
    "lakh",
    "thousand",
    "days",
    "day",
    "years",
    "year",
    "months",
    "percent",
    "dollars",
    "rupees",
    "usd",
    "inr",
    "km",
    "kilometres",
    "kilometers",
];

/// Phrases that address the bot instead of asking about the event.
const INSTRUCTIONS: &[&str] = &[
    "ignore your",
    "ignore all",
    "ignore previous",
    "ignore the above",
    "ignore the rules",
    "disregard",
    "forget your",
    "forget all",
    "forget previous",
    "pretend",
    "you are now",
    "act as",
    "roleplay",
    "role play",
    "system prompt",
    "jailbreak",
    "your instructions",
    "your rules",
    "previous instructions",
    "repeat after me",
    "developer mode",
];

#[derive(Clone, Copy)]
struct Posting {
    fact: u32,
    /// The BM25F-saturated weight of the word in this fact.
    weight: f32,
}

/// A ranked fact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the fact in the fact base.
    pub fact: usize,
    pub score: f32,
}

/// How well an answer covers the question: the hook for recording what readers did not get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Nothing answers it (or it was not a question about the event).
    NotCovered,
    /// Facts were found, but they cover only part of what was asked.
    Low,
    Good,
}

/// The answer to one clause of a question.
#[derive(Debug, Clone)]
pub struct Part {
    /// The clause as the reader wrote it.
    pub clause: String,
    /// Best first; a list answer in fact-base order.
    pub hits: Vec<Hit>,
    /// Names, numbers or roles the clause asks about that no fact mentions (as typed).
    pub unmentioned: Vec<String>,
    pub confidence: Confidence,
}

/// The answer to a whole question.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub parts: Vec<Part>,
    /// The question addressed the bot ("ignore your rules…") rather than the event.
    pub refused: bool,
}

impl Answer {
    /// The facts for all parts, in order of the parts, each once.
    pub fn facts(&self) -> Vec<usize> {
        let mut seen = HashSet::new();
        self.parts
            .iter()
            .flat_map(|p| &p.hits)
            .map(|h| h.fact)
            .filter(|f| seen.insert(*f))
            .collect()
    }

    /// Everything the question named that the sources do not mention, each once.
    pub fn unmentioned(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.parts
            .iter()
            .flat_map(|p| &p.unmentioned)
            .filter(|u| seen.insert(u.to_lowercase()))
            .cloned()
            .collect()
    }

    /// The weakest part's confidence: one unanswered part makes the whole answer incomplete.
    pub fn confidence(&self) -> Confidence {
        if self.refused {
            return Confidence::NotCovered;
        }
        let best = self.parts.iter().map(|p| p.confidence).max();
        let worst = self.parts.iter().map(|p| p.confidence).min();
        match (best, worst) {
            (Some(Confidence::NotCovered) | None, _) => Confidence::NotCovered,
            (_, Some(Confidence::Good)) => Confidence::Good,
            _ => Confidence::Low,
        }
    }
}

/// Editors' synonyms, keyed by the stems of the reader's phrase.
struct Synonyms {
    phrases: HashMap<Vec<String>, Vec<String>>,
    longest: usize,
}

/// The `/ask` index over one fact base.
pub struct Index {
    postings: HashMap<String, Vec<Posting>>,
    facts: usize,
    /// Each topic's stems and its facts, in fact-base order.
    topics: Vec<(Vec<String>, Vec<u32>)>,
    synonyms: Synonyms,
    /// Adjacent word pairs the facts use ("prime minister"), for role words.
    pairs: HashSet<(String, String)>,
    vocabulary: typo::Vocabulary,
}

/// A question word after synonyms and correction.
struct Term {
    stem: String,
    /// 1 for an exact word, less for a corrected one.
    score: f32,
    coverage: f32,
    /// This word's share of the reader's word it stands for (½ each for "deal contract").
    share: f32,
    /// Written as a plural ("systems") or through a synonym ("what else"): it can name a
    /// group to list, where "which day does the visit start" names none.
    group: bool,
}

impl Index {
    /// Indexes the facts of `base`; a synonym whose meaning leads to no word of the facts is
    /// reported at its `means`.
    pub fn build(base: &FactBase) -> Result<Index, Vec<Diagnostic>> {
        let facts = &base.facts;
        let mut fields: Vec<HashMap<String, f32>> = Vec::with_capacity(facts.len());
        let (mut text_len, mut quote_len) = (0usize, 0usize);
        for f in facts {
            text_len += words::terms(&f.text).count();
            quote_len += words::terms(&f.quote).count();
        }
        let avg = |total: usize| (total as f32 / facts.len().max(1) as f32).max(1.0);
        let (avg_text, avg_quote) = (avg(text_len), avg(quote_len));
        let mut vocabulary = typo::Vocabulary::default();
        let mut pairs = HashSet::new();
        for f in facts {
            let mut tf: HashMap<String, f32> = HashMap::new();
            let short = [(f.title.as_str(), W_TITLE)]
                .into_iter()
                .chain(f.aliases.iter().map(|a| (a.as_str(), W_ALIAS)))
                .chain(f.topics.iter().map(|t| (t.as_str(), W_TOPIC)));
            for (text, weight) in short {
                // A word counts once per short field: repeating it in aliases does not buy rank.
                for term in words::terms(text).collect::<HashSet<_>>() {
                    *tf.entry(term).or_default() += weight;
                }
            }
            for (text, weight, avg) in [(&f.text, W_TEXT, avg_text), (&f.quote, W_QUOTE, avg_quote)]
            {
                let terms: Vec<String> = words::terms(text).collect();
                let norm = 1.0 - B_TEXT + B_TEXT * terms.len() as f32 / avg;
                for term in terms {
                    *tf.entry(term).or_default() += weight / norm;
                }
            }
            for text in [&f.title, &f.text].into_iter().chain(&f.aliases) {
                let ws = words::words(text);
                for w in &ws {
                    vocabulary.add(w);
                }
                for pair in ws.windows(2) {
                    pairs.insert((pair[0].raw.clone(), pair[1].raw.clone()));
                }
            }
            fields.push(tf);
        }
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        for (i, tf) in fields.into_iter().enumerate() {
            let fact = u32::try_from(i).expect("fewer than 4 billion facts");
            for (term, tf) in tf {
                let weight = tf * (K1 + 1.0) / (tf + K1);
                postings
                    .entry(term)
                    .or_default()
                    .push(Posting { fact, weight });
            }
        }
        let mut topics: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, f) in facts.iter().enumerate() {
            for t in &f.topics {
                topics.entry(t).or_default().push(i as u32);
            }
        }
        let mut topics: Vec<(Vec<String>, Vec<u32>)> = topics
            .into_iter()
            .map(|(name, facts)| (words::terms(name).collect(), facts))
            .collect();
        topics.sort();
        vocabulary.finish();
        let mut index = Index {
            postings,
            facts: facts.len(),
            topics,
            synonyms: Synonyms {
                phrases: HashMap::new(),
                longest: 0,
            },
            pairs,
            vocabulary,
        };
        index.synonyms = index.synonyms(base)?;
        Ok(index)
    }

    /// The editors' synonyms; every meaning must lead to words the facts have.
    fn synonyms(&self, base: &FactBase) -> Result<Synonyms, Vec<Diagnostic>> {
        let mut out = Synonyms {
            phrases: HashMap::new(),
            longest: 0,
        };
        let mut problems = Vec::new();
        for s in &base.synonyms {
            let means: Vec<String> = words::terms(&s.means).collect();
            let missing: Vec<&String> = means
                .iter()
                .filter(|m| !self.postings.contains_key(*m))
                .collect();
            if means.is_empty() || !missing.is_empty() {
                problems.push(
                    Diagnostic::new(
                        s.span.clone(),
                        &s.field,
                        format!("`{}` leads to no word the facts use", s.means),
                    )
                    .help(
                        "a synonym must mean words of the facts' titles, aliases, topics or text",
                    ),
                );
                continue;
            }
            for phrase in &s.words {
                let key: Vec<String> = words::words(phrase).into_iter().map(|w| w.stem).collect();
                out.longest = out.longest.max(key.len());
                out.phrases.insert(key, means.clone());
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.facts as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The facts that answer `question`, best first (at most `limit` per clause), each once;
    /// empty when nothing answers it well.
    pub fn search(&self, question: &str, limit: usize) -> Vec<Hit> {
        let answer = self.answer(question, limit);
        let mut seen = HashSet::new();
        answer
            .parts
            .into_iter()
            .flat_map(|p| p.hits)
            .filter(|h| seen.insert(h.fact))
            .collect()
    }

    /// Answers each clause of `question` with at most `limit` facts (a list with all of a
    /// topic's), or says what it names that the facts do not mention.
    pub fn answer(&self, question: &str, limit: usize) -> Answer {
        let lower = question.to_lowercase();
        if INSTRUCTIONS.iter().any(|i| lower.contains(i)) {
            return Answer {
                parts: Vec::new(),
                refused: true,
            };
        }
        let parts = words::clauses(question)
            .into_iter()
            .filter_map(|clause| self.answer_clause(clause, limit))
            .collect();
        Answer {
            parts,
            refused: false,
        }
    }

    fn answer_clause(&self, clause: String, limit: usize) -> Option<Part> {
        let ws = words::words(&clause);
        let (terms, unmentioned) = self.terms(&ws);
        if terms.is_empty() && unmentioned.is_empty() {
            return None;
        }
        let mut part = Part {
            clause,
            hits: Vec::new(),
            unmentioned,
            confidence: Confidence::NotCovered,
        };
        // A question about something the facts never mention is not answered with facts about
        // something else.
        if !part.unmentioned.is_empty() || self.facts == 0 {
            return Some(part);
        }
        if ws.iter().any(Word::is_list_word) {
            if let Some(list) = self.list(&terms) {
                part.hits = list;
                part.confidence = Confidence::Good;
                return Some(part);
            }
        }
        let (hits, coverage) = self.rank(&terms, limit);
        part.hits = hits;
        part.confidence = if part.hits.is_empty() {
            Confidence::NotCovered
        } else if coverage >= GOOD_COVERAGE {
            Confidence::Good
        } else {
            Confidence::Low
        };
        Some(part)
    }

    /// The clause's words after synonyms and correction, and the salient ones no fact mentions.
    fn terms(&self, ws: &[Word]) -> (Vec<Term>, Vec<String>) {
        let mut terms: Vec<Term> = Vec::new();
        let mut unmentioned = Vec::new();
        let mut i = 0;
        while i < ws.len() {
            if let Some((len, means)) = self.synonym(&ws[i..]) {
                // A reader's word is one piece of information however many words it means.
                let share = 1.0 / means.len() as f32;
                for m in means {
                    terms.push(Term {
                        stem: m.clone(),
                        score: share,
                        coverage: share,
                        share,
                        group: true,
                    });
                }
                i += len;
                continue;
            }
            let w = &ws[i];
            i += 1;
            if w.is_stopword() {
                continue;
            }
            if let Some(role) = self.unknown_role(ws, i - 1) {
                unmentioned.push(role);
            } else if self.postings.contains_key(&w.stem) {
                terms.push(Term {
                    stem: w.stem.clone(),
                    score: 1.0,
                    coverage: 1.0,
                    share: 1.0,
                    group: w.raw != w.stem && w.raw.ends_with('s'),
                });
            } else if let Some(stem) = self.vocabulary.correct(w) {
                terms.push(Term {
                    stem,
                    score: TYPO_SCORE,
                    coverage: TYPO_COVERAGE,
                    share: 1.0,
                    group: false,
                });
            } else if let Some(name) = salient(ws, i - 1) {
                // "Adani Group" after "Adani": one name, said once.
                match unmentioned.last_mut() {
                    Some(last) if name.starts_with(&format!("{last} ")) => *last = name,
                    _ => unmentioned.push(name),
                }
            } else {
                // An unknown word is as informative as the rarest possible one.
                terms.push(Term {
                    stem: w.stem.clone(),
                    score: 1.0,
                    coverage: 1.0,
                    share: 1.0,
                    group: false,
                });
            }
        }
        terms.sort_by(|a, b| a.stem.cmp(&b.stem).then(b.group.cmp(&a.group)));
        terms.dedup_by(|a, b| a.stem == b.stem);
        (terms, unmentioned)
    }

    /// "defence secretary" when word `at` is a role the facts never name with the word before
    /// it ("prime minister" they do).
    fn unknown_role(&self, ws: &[Word], at: usize) -> Option<String> {
        let w = &ws[at];
        if !ROLES.contains(&w.raw.as_str()) {
            return None;
        }
        let prev = at
            .checked_sub(1)
            .map(|p| &ws[p])
            .filter(|p| !p.is_stopword());
        match prev {
            Some(p) if self.pairs.contains(&(p.raw.clone(), w.raw.clone())) => None,
            Some(p) => Some(format!("{} {}", p.raw, w.raw)),
            None if self.postings.contains_key(&w.stem) => None,
            None => Some(w.raw.clone()),
        }
    }

    /// The longest synonym phrase at the start of `ws`: its length in words and its meaning.
    fn synonym(&self, ws: &[Word]) -> Option<(usize, &Vec<String>)> {
        let longest = self.synonyms.longest.min(ws.len());
        (1..=longest).rev().find_map(|n| {
            let key: Vec<String> = ws[..n].iter().map(|w| w.stem.clone()).collect();
            self.synonyms.phrases.get(&key).map(|m| (n, m))
        })
    }

    /// All facts of the most specific topic the clause names, if it names one.
    fn list(&self, terms: &[Term]) -> Option<Vec<Hit>> {
        let have: HashSet<&str> = terms
            .iter()
            .filter(|t| t.group)
            .map(|t| t.stem.as_str())
            .collect();
        self.topics
            .iter()
            .filter(|(name, _)| !name.is_empty() && name.iter().all(|t| have.contains(t.as_str())))
            .min_by_key(|(_, facts)| facts.len())
            .map(|(_, facts)| {
                facts
                    .iter()
                    .take(MAX_LIST)
                    .map(|&f| Hit {
                        fact: f as usize,
                        score: 1.0,
                    })
                    .collect()
            })
    }

    /// Ranks the facts for the clause's terms: the hits and the best hit's coverage.
    fn rank(&self, terms: &[Term], limit: usize) -> (Vec<Hit>, f32) {
        let mut scores: HashMap<u32, (f32, f32)> = HashMap::new();
        let mut total_info = 0.0;
        for term in terms {
            let Some(list) = self.postings.get(&term.stem) else {
                total_info += self.idf(0) * term.share;
                continue;
            };
            let idf = self.idf(list.len());
            total_info += idf * term.share;
            for p in list {
                let entry = scores.entry(p.fact).or_default();
                entry.0 += idf * p.weight * term.score;
                entry.1 += idf * term.coverage;
            }
        }
        if total_info == 0.0 {
            return (Vec::new(), 0.0);
        }
        // Each answer must itself cover enough of the question, not merely share a common word.
        let mut hits: Vec<(Hit, f32)> = scores
            .into_iter()
            .map(|(fact, (score, covered))| (fact, score, covered / total_info))
            .filter(|(_, _, coverage)| *coverage >= MIN_COVERAGE)
            .map(|(fact, score, coverage)| {
                let hit = Hit {
                    fact: fact as usize,
                    score,
                };
                (hit, coverage)
            })
            .collect();
        hits.sort_by(|a, b| {
            b.0.score
                .total_cmp(&a.0.score)
                .then(a.0.fact.cmp(&b.0.fact))
        });
        let best = hits.first().map_or(0.0, |h| h.0.score);
        let coverage = hits.first().map_or(0.0, |h| h.1);
        hits.retain(|h| h.0.score >= best * RELATIVE_CUTOFF);
        hits.truncate(limit);
        (hits.into_iter().map(|h| h.0).collect(), coverage)
    }
}

/// The salient phrase word `at` of `ws` names, if it is one the fact base should know: a name
/// (capitalised), a number (with the word after it: "5 billion") or a year.
fn salient(ws: &[Word], at: usize) -> Option<String> {
    let w = &ws[at];
    // The word before, when it can be the first half of a name ("Iron" of "Iron Beam").
    let before = at
        .checked_sub(1)
        .map(|p| &ws[p])
        .filter(|p| !p.is_stopword() && !p.is_number() && p.raw.chars().all(char::is_alphabetic));
    if w.is_number() {
        // "Barak 8" and "Arrow 3" (however they are typed) are models the sources do not
        // name; "5 billion" an amount.
        if let Some(name) = before.filter(|p| !UNITS.contains(&p.raw.as_str())) {
            return Some(format!("{} {}", capitalise(&name.raw), w.raw));
        }
        let unit = ws.get(at + 1).filter(|n| UNITS.contains(&n.raw.as_str()));
        return Some(match unit {
            Some(u) => format!("{} {}", w.raw, u.raw),
            None => w.raw.clone(),
        });
    }
    if w.capital && w.raw.chars().count() > 1 {
        // Two capitalised words in a row are one name: "Iron Beam", not "Beam".
        return Some(match before.filter(|p| p.capital) {
            Some(first) => format!("{} {}", capitalise(&first.raw), capitalise(&w.raw)),
            None => capitalise(&w.raw),
        });
    }
    None
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_the_weakest_part() {
        let part = |confidence| Part {
            clause: String::new(),
            hits: Vec::new(),
            unmentioned: Vec::new(),
            confidence,
        };
        let answer = Answer {
            parts: vec![part(Confidence::Good), part(Confidence::NotCovered)],
            refused: false,
        };
        assert_eq!(answer.confidence(), Confidence::Low);
        assert_eq!(Answer::default().confidence(), Confidence::NotCovered);
    }
}
