//! Words of a question or a fact, as `/ask` compares them: Unicode word boundaries (so a Hindi
//! word keeps its virama and vowel signs), lowercase, English Snowball stems, the function words
//! of English and Hindi dropped, and a question cut into its clauses.
//!
//! Content words in other languages (`kab` = when, `समझौता` = MoU) are not here: editors own
//! them in `[[synonyms]]`. Only words that never carry a question's topic are listed here.

use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// Words too common to carry meaning in a question: English, romanized Hindi, Devanagari.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    // English
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "anything", "are", "as",
    "at", "be", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does",
    "doing", "done", "during", "else", "every", "for", "from", "get", "give", "going", "got",
    "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "just", "know", "let",
    "list", "me", "mention", "mentioned", "much", "my", "name", "named", "of", "on", "or", "other",
    "our", "please", "s", "say", "says", "so", "some", "tell", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "to", "up", "us", "was", "we",
    "were", "what", "whats", "where", "which", "whom", "why", "will", "with", "would", "you",
    "your", "story", "article", "any", "besides", "happen", "happened", "happening", "actually",
    "really", "accurate", "true", "correct", "right", "say", "said", "yet", "now", "being",
    // romanized Hindi
    "hai", "hain", "ho", "hoga", "hogi", "honge", "hua", "hui", "hue", "ka", "ke", "ki", "ko",
    "se", "me", "mein", "main", "par", "pe", "tha", "thi", "the", "bhi", "to", "toh", "ye", "yeh",
    "woh", "vo", "wo", "kya", "kyaa", "kaise", "kaisa", "liye", "lie", "raha", "rahe", "rahi",
    "wala", "wali", "wale", "gaya", "gayi", "gaye", "kar", "karna", "karenge", "karega", "batao",
    "bataiye", "bata", "bolo", "na", "nahi", "nahin", "aur", "sab", "sabhi", "saare", "kuch", "ek",
    "koi", "aap", "hum", "isme", "isne", "iska", "iske", "uska", "uske", "baare", "bare", "barey",
    "jayenge", "jaenge", "jaayenge", "jayega", "ja", "jaa", "aayenge", "aayega", "jaana", "aana",
    "बारे", "जाएंगे", "जायेंगे",
    // Devanagari
    "का", "के", "की", "है", "हैं", "क्या", "में", "से", "को", "और", "भी", "तो", "यह", "वह", "हो",
    "था", "थी", "पर", "लिए", "हुआ", "हुई", "गया", "कैसे", "बताओ", "बताइए", "एक", "कुछ",
    // … and the Devanagari of the romanized words above ("koi" = "कोई", "hoga" = "होगा")
    "होगा", "होगी", "होंगे", "हुए", "हुईं", "थे", "ये", "वो", "वे", "कैसा", "कैसी", "लिये",
    "रहा", "रहे", "रही", "वाला", "वाली", "वाले", "गई", "गयी", "गए", "गये", "कर", "करना",
    "करेंगे", "करेगा", "करेगी", "बता", "बताइये", "बताएँ", "बताएं", "बोलो", "ना", "नहीं", "नही",
    "सब", "सभी", "सारे", "कोई", "किसी", "आप", "हम", "इसमें", "इसने", "इसका", "इसके", "उसका",
    "उसके", "जाएगा", "जायेगा", "जाएँगे", "जा", "आएंगे", "आएँगे", "आएगा", "जाना", "आना", "मुझे",
];

/// Words that ask for every member of a group ("which systems", "all the topics").
const LIST_WORDS: &[&str] = &[
    "which",
    "many",
    "list",
    "all",
    "every",
    "named",
    "name",
    "else",
    "besides",
    "other",
    "others",
    "types",
    "kinds",
    "kaunse",
    "kaunsi",
    "kaunsa",
    "kaun",
    "sab",
    "sabhi",
    "saare",
    "konse",
    "konsi",
    "कौन",
    "कौनसे",
    "कौनसी",
    "सभी",
    "सब",
];

/// Words after "and"/"also" that start a new question ("… and what's the MoU about").
const QUESTION_STARTS: &[&str] = &[
    "when",
    "what",
    "whats",
    "who",
    "whos",
    "how",
    "is",
    "are",
    "will",
    "does",
    "do",
    "did",
    "which",
    "where",
    "why",
    "can",
    "has",
    "have",
    "was",
    "were",
    "tell",
    "kab",
    "kya",
    "kitne",
    "kitna",
    "kaun",
    "kaunsi",
    "kaunse",
    "kahan",
    "कब",
    "क्या",
    "कितने",
    "कितना",
    "कौन",
    "कौनसी",
    "कौनसे",
    "कहाँ",
    "कहां",
];

/// Conjunctions that join two questions.
const JOINERS: &[&str] = &["and", "also", "plus", "aur", "और"];

/// One word of a question as the reader wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Lowercase, apostrophes and possessive `'s` removed.
    pub raw: String,
    /// Its Snowball stem (the raw word for scripts the stemmer does not know).
    pub stem: String,
    /// Written with a capital letter: a name the fact base must know, never "corrected" freely.
    pub capital: bool,
    /// The first word of its clause (a capital there says nothing).
    pub first: bool,
}

impl Word {
    /// A function word that says nothing about the topic.
    pub fn is_stopword(&self) -> bool {
        // A set, not a scan: every word of every fact is checked when the index is built.
        static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
        SET.get_or_init(|| STOPWORDS.iter().copied().collect())
            .contains(self.raw.as_str())
    }

    /// A word asking for all members of a group.
    pub fn is_list_word(&self) -> bool {
        LIST_WORDS.contains(&self.raw.as_str())
    }

    /// Contains a digit: a year, an amount, a count.
    pub fn is_number(&self) -> bool {
        self.raw.chars().any(|c| c.is_ascii_digit())
    }
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The stem `/ask` indexes `word` (lowercase) under.
pub fn stem(word: &str) -> String {
    if word.is_ascii() {
        stemmer().stem(word).into_owned()
    } else {
        word.to_owned()
    }
}

/// The words of `text` by Unicode word boundaries, stopwords included.
pub fn words(text: &str) -> Vec<Word> {
    text.unicode_words()
        .enumerate()
        .filter_map(|(i, w)| {
            let capital = w.chars().next().is_some_and(char::is_uppercase);
            let lower = w.to_lowercase();
            let lower = lower
                .strip_suffix("'s")
                .or_else(|| lower.strip_suffix("’s"))
                .unwrap_or(&lower);
            let raw: String = lower.chars().filter(|c| *c != '\'' && *c != '’').collect();
            (!raw.is_empty()).then(|| Word {
                stem: stem(&raw),
                raw,
                capital,
                first: i == 0,
            })
        })
        .collect()
}

/// The stems of `text` without stopwords: what a fact is indexed under.
pub fn terms(text: &str) -> impl Iterator<Item = String> {
    words(text)
        .into_iter()
        .filter(|w| !w.is_stopword())
        .map(|w| w.stem)
}

/// Cuts a question into its clauses: at `?`, `;`, `!`, a sentence's full stop, and at "and",
/// "also" or "aur" when a new question starts after it ("when does it start and what's the MoU
/// about"). "Modi and Netanyahu" stays one clause.
pub fn clauses(question: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in question
        .split(['?', ';', '!', '\n', '।'])
        .flat_map(|s| s.split(". "))
    {
        let tokens: Vec<&str> = sentence.split_whitespace().collect();
        let mut current: Vec<&str> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let lower = tokens[i].to_lowercase();
            let next = tokens.get(i + 1).map(|t| normalise(t));
            let starts = next
                .as_deref()
                .is_some_and(|n| QUESTION_STARTS.contains(&n));
            if JOINERS.contains(&lower.as_str()) && (starts || lower == "aur" || lower == "और")
            {
                push_clause(&mut out, &mut current);
                i += 1;
                continue;
            }
            current.push(tokens[i]);
            i += 1;
        }
        push_clause(&mut out, &mut current);
    }
    out
}

fn normalise(token: &str) -> String {
    token
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn push_clause(out: &mut Vec<String>, current: &mut Vec<&str>) {
    let clause = current.join(" ");
    current.clear();
    let clause = clause.trim().trim_end_matches(['.', ',']).trim();
    if !clause.is_empty() {
        out.push(clause.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_stopwords() {
        let t: Vec<_> = terms("Which missiles is the Navy evaluating? Drones!").collect();
        assert_eq!(t, ["missil", "navi", "evalu", "drone"]);
    }

    #[test]
    fn devanagari_words_stay_whole() {
        let w: Vec<_> = words("मोदी की इज़राइल यात्रा कब है")
            .into_iter()
            .map(|w| w.raw)
            .collect();
        assert_eq!(w, ["मोदी", "की", "इज़राइल", "यात्रा", "कब", "है"]);
    }

    #[test]
    fn possessives_and_capitals() {
        let w = words("David’s Sling and India's navy");
        assert_eq!(w[0].raw, "david");
        assert!(w[0].capital && w[0].first);
        assert_eq!(w[3].raw, "india");
        assert!(!w[4].capital);
    }

    #[test]
    fn questions_split_at_clause_boundaries() {
        assert_eq!(
            clauses("when does it start and what's the MoU about"),
            ["when does it start", "what's the MoU about"]
        );
        assert_eq!(
            clauses("Modi and Netanyahu talks?"),
            ["Modi and Netanyahu talks"]
        );
        assert_eq!(
            clauses("visit kab hai aur kitne din ka hai; drones?"),
            ["visit kab hai", "kitne din ka hai", "drones"]
        );
    }
}
