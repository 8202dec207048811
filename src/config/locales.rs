//! The languages configured channels are posted in: `locale = "hi"` in a
//! `[[digest.subscriptions]]` or `[[alerts.subscriptions]]` entry.
//!
//! Which languages exist is the fact base's to say, and the configuration is read before the
//! fact base: so resolving the file only notes where each `locale` is written, and
//! [`PostLocales::check`] holds them to the shipped locales once the fact base is loaded
//! (`factdesk check`, `serve` at start-up) — reporting an unknown one like the file's other
//! problems, file:line:column with a caret. English, the fact base's own language, is always
//! there. This module reads; it stores nothing.

use std::ops::Range;
use std::path::PathBuf;

use super::ConfigError;
use crate::facts::{locale, Diagnostic, Locale};

/// Where the configured channels' `locale` keys are written.
#[derive(Clone, Default)]
pub struct PostLocales {
    /// The file read (the report names it).
    pub(super) file: Option<PathBuf>,
    /// Its text as reports show it (secrets masked, positions unchanged).
    pub(super) text: String,
    pub(super) written: Vec<Written>,
}

/// One `locale = "…"`: its value, the entry it belongs to, where it is.
#[derive(Clone)]
pub(super) struct Written {
    pub code: String,
    pub field: String,
    pub span: Range<usize>,
}

impl std::fmt::Debug for PostLocales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.written.iter().map(|w| (&w.field, &w.code)))
            .finish()
    }
}

/// Whether `code` is English (`en`, `en-US`, `en-GB`): what a fact base says itself.
fn english(code: &str) -> bool {
    code.split('-').next() == Some("en")
}

impl PostLocales {
    /// Every configured `locale` that names neither a locale of `shipped` (the fact base's
    /// `[locales.<code>]`, matched as Discord's locales are: `hi-IN` finds `hi`) nor English.
    pub fn check(&self, shipped: &[Locale]) -> Result<(), ConfigError> {
        let codes: Vec<String> = shipped.iter().map(|l| format!("`{}`", l.code)).collect();
        let help = match codes.as_slice() {
            [] => "the fact base ships no language besides English: leave `locale` out".to_owned(),
            codes => format!(
                "the fact base ships {} besides English: write one of them, or leave `locale` out for English",
                codes.join(", ")
            ),
        };
        let diagnostics: Vec<Diagnostic> = self
            .written
            .iter()
            .filter(|w| !english(&w.code) && locale::matching(shipped, Some(&w.code)).is_none())
            .map(|w| {
                Diagnostic::new(
                    w.span.clone(),
                    &w.field,
                    format!("`{}` is not a language this fact base ships", w.code),
                )
                .help(help.clone())
            })
            .collect();
        if diagnostics.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            file: self.file.clone(),
            text: self.text.clone(),
            diagnostics,
        })
    }
}
