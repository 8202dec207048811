//! Errors in a fact base, written for the editor who made them.
//!
//! A [`Diagnostic`] names the field, says what is wrong and what would be right, and carries
//! the byte span of the offending value. [`LoadError`] collects every diagnostic of one file so
//! the editor sees all mistakes at once. Rendering uses codespan-reporting (the same look as
//! rustc: the line, a caret under the value); the plain `Display` form is one
//! `path:line:column: field: message` line per problem, for logs and tests.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::WriteColor};

/// One problem in a fact base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range of the offending text in the file, when known.
    pub span: Option<Range<usize>>,
    /// Where in the schema, e.g. `facts[3].certainty` or `commands[dates].template`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at `span` in `field`.
    pub fn new(span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            span: Some(span),
            field: field.into(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint saying what would be right.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// One line: `path:line:column: field: message (help: …)`, for a file with `text`.
    pub fn line(&self, path: &std::path::Path, text: &str) -> String {
        let mut out = String::new();
        // A problem with no place in the file (an environment variable) has no position.
        if let Some(s) = &self.span {
            let (line, col) = line_col(text, s.start);
            out.push_str(&format!("{}:{line}:{col}: ", path.display()));
        }
        out.push_str(&format!("{}: {}", self.field, self.message));
        if let Some(help) = &self.help {
            out.push_str(&format!(" (help: {help})"));
        }
        out
    }
}

/// Why a fact base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read at all.
    #[error(
        "{path}: cannot read the fact base: {source}; check the path (--facts) and its permissions"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read but has problems; every one found is listed.
    #[error("{}", Plain(self))]
    Invalid {
        path: PathBuf,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

struct Plain<'a>(&'a LoadError);

impl fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LoadError::Invalid {
            path,
            text,
            diagnostics,
        } = self.0
        else {
            return Ok(());
        };
        for (i, d) in diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&d.line(path, text))?;
        }
        Ok(())
    }
}

impl LoadError {
    /// The diagnostics of an invalid file (empty for an I/O error).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid { diagnostics, .. } => diagnostics,
            LoadError::Io { .. } => &[],
        }
    }

    /// Every problem as `line L, column C: field: message`, with no file path in it — neither
    /// the fact base's nor one under its directory (a source file is named as the fact base
    /// names it): what a public endpoint may show. The log keeps the full form.
    pub fn public_summary(&self) -> String {
        let (path, text, diagnostics) = match self {
            LoadError::Io { source, .. } => return format!("cannot read the fact base: {source}"),
            LoadError::Invalid {
                path,
                text,
                diagnostics,
            } => (path, text, diagnostics),
        };
        // Messages name files resolved against the fact base's directory.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(|d| d.join("").display().to_string());
        let lines: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                let message = match &dir {
                    Some(dir) => d.message.replace(dir.as_str(), ""),
                    None => d.message.clone(),
                };
                match &d.span {
                    Some(s) => {
                        let (line, col) = line_col(text, s.start);
                        format!("line {line}, column {col}: {}: {message}", d.field)
                    }
                    None => format!("{}: {message}", d.field),
                }
            })
            .collect();
        lines.join("\n")
    }

    /// Writes the rustc-style report (source line, caret, help) to `out`.
    pub fn render(&self, out: &mut dyn WriteColor) -> std::io::Result<()> {
        let LoadError::Invalid {
            path,
            text,
            diagnostics,
        } = self
        else {
            return writeln!(out, "error: {self}");
        };
        let file = SimpleFile::new(path.display().to_string(), text.as_str());
        let config = term::Config::default();
        for d in diagnostics {
            let mut cs = CsDiagnostic::error().with_message(format!("{}: {}", d.field, d.message));
            if let Some(span) = &d.span {
                let span = clamp(span, text);
                cs = cs.with_labels(vec![Label::primary((), span).with_message(&d.message)]);
            }
            if let Some(help) = &d.help {
                cs = cs.with_notes(vec![format!("help: {help}")]);
            }
            term::emit(out, &config, &file, &cs).map_err(std::io::Error::other)?;
        }
        writeln!(
            out,
            "error: {} problem{} in {}",
            diagnostics.len(),
            if diagnostics.len() == 1 { "" } else { "s" },
            path.display()
        )
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(text, at.min(text.len()));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn clamp(span: &Range<usize>, text: &str) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_col(text, 0), (1, 1));
        let x = text.find('x').unwrap();
        assert_eq!(line_col(text, x), (2, 9));
    }

    #[test]
    fn the_public_summary_names_no_path() {
        let text = "file = \"a.txt\"\ncertainty = \"sure\"\n";
        let error = LoadError::Invalid {
            path: PathBuf::from("/srv/factdesk/facts.toml"),
            text: text.into(),
            diagnostics: vec![
                Diagnostic::new(
                    7..14,
                    "sources[0].file",
                    "cannot read /srv/factdesk/a.txt: gone",
                ),
                Diagnostic::new(27..33, "facts[x].certainty", "`sure` is not a certainty")
                    .help("use one of scheduled, expected"),
            ],
        };
        assert_eq!(
            error.public_summary(),
            "line 1, column 8: sources[0].file: cannot read a.txt: gone\n\
             line 2, column 13: facts[x].certainty: `sure` is not a certainty"
        );
        assert!(error.to_string().contains("/srv/factdesk/facts.toml:2:13"));
    }
}
