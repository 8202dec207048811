//! Which facts and updates a reply actually shows, so its Source button can cite exactly them.
//!
//! Templates select facts freely (`fact("id")`, `topic("name")`, an option resolved to a fact),
//! so the engine cannot know beforehand what a reply will say. Instead each fact and update is
//! a template value that notes when its words (`text`, `title` or `quote`) are read while a
//! reply is rendered. The note goes to a collector for the current thread, set up by
//! [`collect`] around one render: rendering is synchronous, so nothing else can run on the
//! thread in between.

use std::cell::RefCell;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

/// One thing a reply may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shown {
    /// `facts[i]` of the fact base.
    Fact(usize),
    /// `updates[i]` of the fact base.
    Update(usize),
}

thread_local! {
    static COLLECTOR: RefCell<Option<Vec<Shown>>> = const { RefCell::new(None) };
}

/// Runs `render` and returns what it showed, in the order first shown, each once.
pub fn collect<R>(render: impl FnOnce() -> R) -> (R, Vec<Shown>) {
    let outer = COLLECTOR.with(|c| c.replace(Some(Vec::new())));
    let result = render();
    let shown = COLLECTOR.with(|c| c.replace(outer)).unwrap_or_default();
    (result, shown)
}

/// Notes that `item` was shown (a no-op outside [`collect`]).
pub fn record(item: Shown) {
    COLLECTOR.with(|c| {
        if let Some(list) = c.borrow_mut().as_mut() {
            if !list.contains(&item) {
                list.push(item);
            }
        }
    });
}

/// A fact or update as a template value: a map whose reads of its words are recorded.
#[derive(Debug)]
pub struct Tracked {
    pub item: Shown,
    /// The plain map of the item's fields.
    pub fields: Value,
    /// The field names, for iteration and `tojson`.
    pub keys: &'static [&'static str],
}

/// Reading one of these fields puts the item's words in the reply.
const WORDS: [&str; 3] = ["text", "title", "quote"];

/// Whether reading field `key` of a fact or update puts its words in the reply.
pub fn is_word(key: &str) -> bool {
    WORDS.contains(&key)
}

impl Object for Tracked {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if key.as_str().is_some_and(|k| WORDS.contains(&k)) {
            record(self.item);
        }
        self.fields.get_item(key).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(self.keys)
    }
}

/// Wraps `fields` (a serialized view) so that reading its words records `item`.
pub fn tracked(item: Shown, fields: Value, keys: &'static [&'static str]) -> Value {
    Value::from_object(Tracked { item, fields, keys })
}

/// `value` with some fields replaced (a fact in another language): still the same item, so
/// reading its words records what the original would. A value that is not [`tracked`] comes
/// back unchanged.
pub fn with_fields(value: &Value, overrides: &[(&str, Value)]) -> Value {
    let Some(t) = value.downcast_object_ref::<Tracked>() else {
        return value.clone();
    };
    let fields = t.keys.iter().map(|&key| {
        let v = overrides.iter().find(|(k, _)| *k == key).map_or_else(
            || t.fields.get_attr(key).unwrap_or_default(),
            |(_, v)| v.clone(),
        );
        (key, v)
    });
    tracked(t.item, Value::from_iter(fields), t.keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_words_records_and_other_fields_do_not() {
        let fields = Value::from_iter([("text", "t"), ("id", "x")]);
        let v = tracked(Shown::Fact(3), fields, &["text", "id"]);
        let (_, none) = collect(|| v.get_attr("id").ok());
        assert!(none.is_empty());
        let (text, shown) = collect(|| v.get_attr("text").ok());
        assert_eq!(
            text.and_then(|t| t.as_str().map(str::to_owned)).as_deref(),
            Some("t")
        );
        assert_eq!(shown, vec![Shown::Fact(3)]);
        // Outside a collection nothing is kept.
        let _ = v.get_attr("text");
        let (_, after) = collect(|| ());
        assert!(after.is_empty());
    }

    #[test]
    fn a_value_with_other_words_records_the_same_item() {
        let fields = Value::from_iter([("text", "t"), ("id", "x")]);
        let v = tracked(Shown::Fact(3), fields, &["text", "id"]);
        let hindi = with_fields(&v, &[("text", Value::from("पाठ"))]);
        let (text, shown) = collect(|| hindi.get_attr("text").ok());
        assert_eq!(
            text.and_then(|t| t.as_str().map(str::to_owned)).as_deref(),
            Some("पाठ")
        );
        assert_eq!(shown, vec![Shown::Fact(3)]);
        let id = hindi.get_attr("id").ok();
        assert_eq!(
            id.and_then(|t| t.as_str().map(str::to_owned)).as_deref(),
            Some("x")
        );
    }
}
