//! `facts.toml` as a document to edit. toml_edit keeps every comment, blank line and key order
//! of what an edit does not touch, so the editors' file stays as they wrote it.

use std::ops::Range;

use toml_edit::{value, ArrayOfTables, DocumentMut, ImDocument, InlineTable, Item, Table};

/// A new entry's keys and values, in the order written; `None`s are left out.
pub type Entry<'a> = [(&'a str, Option<&'a str>)];

/// Appends an `[[array]]` entry holding `fields`: after the array's last entry, or at the end
/// of the file when it has none.
pub fn append(doc: &mut DocumentMut, array: &str, fields: &Entry<'_>) -> Result<(), String> {
    let item = doc
        .as_table_mut()
        .entry(array)
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let entries = item.as_array_of_tables_mut().ok_or_else(|| {
        format!("`{array}` in the fact base is not written as [[{array}]] tables; edit it by hand")
    })?;
    entries.push(table(fields));
    Ok(())
}

/// `fields` as the `[[array]]` entry [`append`] writes, for showing.
pub fn render(array: &str, fields: &Entry<'_>) -> String {
    let mut doc = DocumentMut::new();
    let mut entries = ArrayOfTables::new();
    entries.push(table(fields));
    doc.insert(array, Item::ArrayOfTables(entries));
    doc.to_string()
}

fn table(fields: &Entry<'_>) -> Table {
    let mut table = Table::new();
    for (key, v) in fields {
        if let Some(v) = v {
            table.insert(key, value(*v));
        }
    }
    table
}

/// Marks the `[[updates]]` entry at `index` (in file order) withdrawn at `time` for `reason`,
/// writing its `id` into it first if it had none (it was generated: alerts refer to it).
pub fn retract(
    doc: &mut DocumentMut,
    index: usize,
    id: &str,
    (time, reason): (&str, &str),
) -> Result<(), String> {
    let entry = doc
        .get_mut("updates")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|entries| entries.get_mut(index))
        .ok_or_else(|| format!("update `{id}` is not an [[updates]] entry of the file"))?;
    if !entry.contains_key("id") {
        entry.insert("id", value(id));
    }
    let mut retracted = InlineTable::new();
    retracted.insert("time", time.into());
    retracted.insert("reason", reason.into());
    entry.insert("retracted", value(retracted));
    Ok(())
}

/// Where the `id` of the `[[array]]` entry at `index` is written, for a warning's
/// file:line:column.
pub fn id_span(text: &str, array: &str, index: usize) -> Option<Range<usize>> {
    let doc = ImDocument::parse(text).ok()?;
    doc.get(array)?
        .as_array_of_tables()?
        .get(index)?
        .get("id")?
        .span()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# the fact base\n[event]\nname = \"E\"  # kept\n\n[[sources]]\nid = \"a\"\n\n# facts follow\n[[facts]]\nid = \"f\"\n";

    #[test]
    fn appending_keeps_everything_else_as_written() {
        let mut doc: DocumentMut = FILE.parse().expect("parses");
        append(&mut doc, "sources", &[("id", Some("b")), ("url", None)]).expect("appends");
        append(
            &mut doc,
            "updates",
            &[("id", Some("u\"1")), ("text", Some("T"))],
        )
        .expect("appends");
        assert_eq!(
            doc.to_string(),
            "# the fact base\n[event]\nname = \"E\"  # kept\n\n[[sources]]\nid = \"a\"\n\n[[sources]]\nid = \"b\"\n\n# facts follow\n[[facts]]\nid = \"f\"\n\n[[updates]]\nid = 'u\"1'\ntext = \"T\"\n"
        );
    }

    #[test]
    fn retracting_adds_the_id_and_the_withdrawal_to_that_entry_only() {
        let file = "[[updates]]\ntime = \"t\" # when\n\n[[updates]]\nid = \"b\"\n";
        let mut doc: DocumentMut = file.parse().expect("parses");
        retract(&mut doc, 0, "gen-id", ("t2", "wrong")).expect("retracts");
        assert_eq!(
            doc.to_string(),
            "[[updates]]\ntime = \"t\" # when\nid = \"gen-id\"\nretracted = { time = \"t2\", reason = \"wrong\" }\n\n[[updates]]\nid = \"b\"\n"
        );
        assert!(retract(&mut doc, 5, "x", ("t", "r")).is_err());
        // The value `"b"`, quotes included.
        assert_eq!(id_span(file, "updates", 1), Some(48..51));
    }
}
