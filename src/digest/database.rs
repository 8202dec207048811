//! Which database holds the digest state: the embedded SQLite file (the default), or a
//! PostgreSQL server shared by several processes (`DATABASE_URL`, cargo feature `postgres`).
//!
//! The URL is a secret — it usually holds a password — so [`DatabaseUrl`] never shows it:
//! its `Debug` and `Display` mask the password, and that masked form is what errors and logs
//! name. Nothing here connects until [`Database::open`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::store::{SqliteStore, Store, StoreError};

/// Where the digest state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file: one process writes it (one digest scheduler).
    Sqlite(PathBuf),
    /// A PostgreSQL server that HTTP replicas and several digest workers share. A worker's claim
    /// on a day's digest lasts `lease` unless renewed, so a dead worker's day is taken over.
    Postgres { url: DatabaseUrl, lease: Duration },
}

impl Database {
    /// Whether several processes share this database (so HTTP replicas may manage
    /// subscriptions, and several schedulers may run).
    pub fn shared(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }

    /// Opens the store (running pending migrations). A PostgreSQL URL in a binary built
    /// without the `postgres` feature is an error that says how to build one with it.
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        match self {
            Database::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path)?)),
            #[cfg(feature = "postgres")]
            Database::Postgres { url, lease } => Ok(Arc::new(
                super::store::postgres::PgStore::open(url, *lease).await?,
            )),
            #[cfg(not(feature = "postgres"))]
            Database::Postgres { url, .. } => Err(StoreError::NotBuilt {
                database: url.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            Database::Postgres { url, .. } => write!(f, "PostgreSQL {url}"),
        }
    }
}

/// A `postgres://` URL. Shown (by `Debug` and `Display`) with its password masked; only
/// [`DatabaseUrl::expose`] gives the real text, for the driver.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL if it is one (`postgres://` or `postgresql://`); the error never repeats it.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        let text = text.trim();
        let scheme = ["postgres://", "postgresql://"]
            .into_iter()
            .any(|s| text.len() > s.len() && text[..s.len()].eq_ignore_ascii_case(s));
        match scheme {
            true => Ok(DatabaseUrl(text.to_owned())),
            false => Err("this is not a PostgreSQL URL (postgres://user:password@host:5432/database); the value is not shown, since it may hold a password".into()),
        }
    }

    /// The URL itself, password included: for the database driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", redacted(&self.0))
    }
}

/// `url` with its password masked: the user-info's password (everything between the user's
/// `:` and the last `@`, so an unencoded `@` or `/` in a password is masked too) and any
/// `password=` parameter.
pub fn redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = match rest.rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{user}:***{}", &rest[at..]),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    let (head, query) = match rest.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (rest.as_str(), None),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let scheme = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    match query {
        Some(q) => format!("{scheme}{head}?{q}"),
        None => format!("{scheme}{head}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_wherever_they_sit() {
        for (url, shown) in [
            (
                "postgres://factdesk:s3cret@db:5432/factdesk",
                "postgres://factdesk:***@db:5432/factdesk",
            ),
            (
                "postgresql://u:p@ss/w@rd@db/factdesk?sslmode=disable",
                "postgresql://u:***@db/factdesk?sslmode=disable",
            ),
            (
                "postgres://db/factdesk?user=u&password=s3cret&application_name=x",
                "postgres://db/factdesk?user=u&password=***&application_name=x",
            ),
            ("postgres://u@db/factdesk", "postgres://u@db/factdesk"),
        ] {
            assert_eq!(redacted(url), shown);
            let parsed = DatabaseUrl::parse(url).expect("a postgres URL");
            assert_eq!(parsed.to_string(), shown);
            assert!(!format!("{parsed:?}").contains("s3cret"));
            assert_eq!(parsed.expose(), url);
        }
    }

    #[test]
    fn only_postgres_urls_are_accepted_and_a_refusal_never_repeats_the_value() {
        for bad in [
            "mysql://u:s3cret@db/x",
            "s3cret",
            "postgres://",
            "host=db password=s3cret",
        ] {
            let e = DatabaseUrl::parse(bad).expect_err(bad);
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("postgres://user:password@host"), "{e}");
        }
        assert!(DatabaseUrl::parse(" POSTGRES://db/x\n").is_ok());
    }
}
