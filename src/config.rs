//! The operator's configuration: an optional `factdesk.toml`, overridden key by key by the
//! environment and by command-line flags (flag > environment > file > default).
//!
//! [`KEYS`] is the one list of keys: each row names the file key, the environment variable,
//! the default, the kind of value and what the key does. Resolution walks that list, and the
//! README's configuration table is written from it (a test keeps the two in step). A value that
//! does not parse is a [`ConfigError`] naming where it came from — never a silent fallback to
//! the default — and every problem is reported at once.
//!
//! Secrets (the bot token, the public key, webhook URLs, the PostgreSQL URL) are never read
//! from this file — only from the environment or from a file path the config names — so the
//! file can be committed or
//! mounted from a ConfigMap. Problems in the file are shown like the fact base's:
//! file:line:column, the line, a caret — with any secret on the line masked (`redact`), since
//! reports end up in terminals and journals. This module reads; it starts nothing.

mod locales;
mod redact;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Deserialize;
use toml::Spanned;

use crate::digest::{
    AlertSubscription, Database, DatabaseUrl, Mode, Origin, Subscription, Webhook,
};
use crate::facts::{Diagnostic, LoadError};
use crate::telemetry::AccessLog;
pub use locales::PostLocales;

/// A value as written in the file. Its type is checked by the key's [`Kind`], not by serde, so
/// the file and the environment share one parser and one wording of each error.
type FileValue = Option<Spanned<toml::Value>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    facts: FileValue,
    state_dir: FileValue,
    http: FileValue,
    metrics: FileValue,
    api_base: FileValue,
    application_id: FileValue,
    register: FileValue,
    guild: FileValue,
    log_format: FileValue,
    shutdown_grace_seconds: FileValue,
    record_misses: FileValue,
    access_log: FileValue,
    cooldown_seconds: FileValue,
    user_rate_per_minute: FileValue,
    rate_limit: FileValue,
    ops_channel: FileValue,
    gateway: FileValue,
    database_url_file: FileValue,
    /// Present only to refuse it with a helpful message.
    token: FileValue,
    public_key: FileValue,
    database_url: FileValue,
    #[serde(default)]
    digest: RawDigest,
    #[serde(default)]
    alerts: RawAlerts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    #[serde(default)]
    subscriptions: Vec<RawAlertSubscription>,
}

/// A `[[alerts.subscriptions]]` entry: the channel, and optionally its server and the role
/// each alert mentions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertSubscription {
    channel: u64,
    guild: Option<u64>,
    role: Option<u64>,
    /// The language alerts are posted in (a shipped locale); English when left out.
    locale: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    enabled: FileValue,
    database: FileValue,
    claim_lease_seconds: FileValue,
    catch_up_hours: FileValue,
    #[serde(default)]
    subscriptions: Vec<Spanned<RawSubscription>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    channel: Spanned<u64>,
    guild: Option<u64>,
    time: Spanned<String>,
    time_zone: Spanned<String>,
    /// Name of an environment variable holding the webhook URL.
    webhook_url_env: Option<Spanned<String>>,
    /// Path of a file holding the webhook URL (a mounted secret).
    webhook_url_file: Option<Spanned<String>>,
    webhook_url: Option<Spanned<toml::Value>>,
    /// `daily` (the default) or `updates`: only on days with new updates.
    mode: Option<Spanned<String>>,
    /// The language digests are posted in (a shipped locale); English when left out.
    locale: Option<Spanned<String>>,
}

/// Values given on the command line or in the environment (clap merges the two); `None`
/// falls back to the file, then to the default.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub facts: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub http: Option<SocketAddr>,
    pub metrics: Option<SocketAddr>,
    pub api_base: Option<String>,
    pub application_id: Option<u64>,
    pub register: Option<bool>,
    pub guild: Option<u64>,
    pub gateway: Option<bool>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub facts: PathBuf,
    pub state_dir: PathBuf,
    pub http: Option<SocketAddr>,
    pub metrics: Option<SocketAddr>,
    /// `None` means Discord itself.
    pub api_base: Option<String>,
    pub application_id: Option<u64>,
    pub register: bool,
    pub guild: Option<u64>,
    pub log_json: bool,
    /// `RUST_LOG`, already checked; `None` means telemetry's default filter.
    pub log_filter: Option<String>,
    pub access_log: AccessLog,
    /// With a token, hold the gateway session (false: a digest worker, the token only posts).
    pub gateway: bool,
    pub digest_enabled: bool,
    /// Where the digest state is: SQLite (`digest.database`) or PostgreSQL (`DATABASE_URL`).
    pub database: Database,
    pub catch_up: Duration,
    pub subscriptions: Vec<Subscription>,
    /// The channels `[[alerts.subscriptions]]` lists.
    pub alert_subscriptions: Vec<AlertSubscription>,
    /// How long shutdown waits for work in flight before it stops it.
    pub shutdown_grace: Duration,
    /// Count the questions `/ask` could not answer (text only) for `factdesk misses`.
    pub record_misses: bool,
    /// A public answer repeated in a channel within this goes to the asker only (zero: off).
    pub cooldown: Duration,
    /// Commands one member may send a minute (zero: no limit).
    pub user_rate_per_minute: u32,
    /// Discord's global limit for the bot, in requests per second.
    pub rate_limit: std::num::NonZeroU32,
    /// The channel incident notices are posted to (with the bot token).
    pub ops_channel: Option<u64>,
    /// Where the configured channels' `locale` keys are, to check once the fact base is loaded.
    pub post_locales: PostLocales,
}

/// One configuration key: where its value may come from and what it must look like.
pub struct Key {
    /// The key in `factdesk.toml` (`digest.enabled` is `enabled` under `[digest]`); for a key
    /// read only from the environment, the name it is resolved under.
    pub name: &'static str,
    /// The environment variable that overrides the file.
    pub env: &'static str,
    /// What applies when nothing sets the key.
    pub default: Fallback,
    /// What a value must look like.
    pub kind: Kind,
    /// What the key does, for the README.
    pub about: &'static str,
    /// The command-line flag's value, if the key has a flag.
    flag: fn(&Overrides) -> Option<Value>,
    /// Where the key sits in the file; `None` for a key read only from the environment.
    file: Option<fn(&RawConfig) -> &FileValue>,
}

/// What a key is when nothing sets it.
#[derive(Debug, Clone, Copy)]
pub enum Fallback {
    /// This value, written as the environment variable would be.
    Value(&'static str),
    /// No value; the text says what happens instead.
    Unset(&'static str),
}

/// The kind of value a key takes: decides how text is parsed and what an error says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file or directory.
    Path,
    /// Any text (Discord's API base).
    Text,
    /// `host:port`.
    Address,
    /// A Discord id; the text names which, e.g. "a guild id".
    Id(&'static str),
    /// true/false, 1/0, yes/no, on/off, in any case.
    Bool,
    /// `text` or `json`.
    LogFormat,
    /// Hours from 0 to 48.
    Hours,
    /// Seconds from 0 to 300.
    Seconds,
    /// A tracing `EnvFilter` directive list.
    LogFilter,
    /// `info`, `debug` or `off`.
    AccessLog,
    /// A whole number from 0 to 600, per minute.
    PerMinute,
    /// Requests per second, a whole number from 1 to 10,000.
    Rate,
    /// A `postgres://` URL: a secret, never repeated in an error.
    DatabaseUrl,
    /// Seconds from 2 to 300 (a digest claim's lease).
    Lease,
}

/// Every key, in the README's order. Resolution and the README's table both come from here.
pub const KEYS: &[Key] = &[
    Key {
        name: "facts",
        env: "FACTDESK_FACTS",
        default: Fallback::Value("facts.toml"),
        kind: Kind::Path,
        about: "the fact base (reloaded on change)",
        flag: |o| o.facts.clone().map(Value::Path),
        file: Some(|c| &c.facts),
    },
    Key {
        name: "state_dir",
        env: "FACTDESK_STATE_DIR",
        default: Fallback::Value("state"),
        kind: Kind::Path,
        about: "digest database (SQLite) and registration fingerprint",
        flag: |o| o.state_dir.clone().map(Value::Path),
        file: Some(|c| &c.state_dir),
    },
    Key {
        name: "http",
        env: "FACTDESK_HTTP_ADDR",
        default: Fallback::Unset("off"),
        kind: Kind::Address,
        about: "serve the HTTP interactions endpoint here (needs `DISCORD_PUBLIC_KEY`)",
        flag: |o| o.http.map(Value::Address),
        file: Some(|c| &c.http),
    },
    Key {
        name: "metrics",
        env: "FACTDESK_METRICS_ADDR",
        default: Fallback::Unset("off"),
        kind: Kind::Address,
        about: "serve `/metrics` and `/healthz` here (the endpoint serves them too)",
        flag: |o| o.metrics.map(Value::Address),
        file: Some(|c| &c.metrics),
    },
    Key {
        name: "api_base",
        env: "DISCORD_API_BASE",
        default: Fallback::Unset("`https://discord.com`"),
        kind: Kind::Text,
        about: "Discord's API, or a stand-in's `http://127.0.0.1:PORT`; the gateway URL comes from `GET /api/v10/gateway` on it",
        flag: |o| o.api_base.clone().map(Value::Text),
        file: Some(|c| &c.api_base),
    },
    Key {
        name: "application_id",
        env: "DISCORD_APPLICATION_ID",
        default: Fallback::Unset("looked up with the token"),
        kind: Kind::Id("an application id"),
        about: "the application's id",
        flag: |o| o.application_id.map(Value::Id),
        file: Some(|c| &c.application_id),
    },
    Key {
        name: "register",
        env: "FACTDESK_REGISTER",
        default: Fallback::Value("false"),
        kind: Kind::Bool,
        about: "register commands at start when their definitions changed (and on reload)",
        flag: |o| o.register.map(Value::Flag),
        file: Some(|c| &c.register),
    },
    Key {
        name: "guild",
        env: "FACTDESK_GUILD",
        default: Fallback::Unset("global"),
        kind: Kind::Id("a guild id"),
        about: "register in this guild instead",
        flag: |o| o.guild.map(Value::Id),
        file: Some(|c| &c.guild),
    },
    Key {
        name: "log_format",
        env: "FACTDESK_LOG_FORMAT",
        default: Fallback::Value("text"),
        kind: Kind::LogFormat,
        about: "`json` for JSON lines",
        flag: |_| None,
        file: Some(|c| &c.log_format),
    },
    Key {
        name: "log_filter",
        env: "RUST_LOG",
        default: Fallback::Unset("`info` (dependencies `warn`)"),
        kind: Kind::LogFilter,
        about: "which log lines are written, e.g. `info,factdesk=debug` (tracing's `EnvFilter` syntax); serenity, hyper, reqwest, rustls and tungstenite stay at `warn` unless named",
        flag: |_| None,
        file: None,
    },
    Key {
        name: "access_log",
        env: "FACTDESK_ACCESS_LOG",
        default: Fallback::Value("info"),
        kind: Kind::AccessLog,
        about: "the line logged per answered interaction: `info`, `debug` (shown when `RUST_LOG` enables debug) or `off`; errors are logged regardless",
        flag: |_| None,
        file: Some(|c| &c.access_log),
    },
    Key {
        name: "gateway",
        env: "FACTDESK_GATEWAY",
        default: Fallback::Value("true"),
        kind: Kind::Bool,
        about: "with `DISCORD_TOKEN`, `serve` holds the gateway sessions (one per shard); `false` (or `serve --no-gateway`) makes a digest worker that uses the token only to post digests",
        flag: |o| o.gateway.map(Value::Flag),
        file: Some(|c| &c.gateway),
    },
    Key {
        name: "digest.enabled",
        env: "FACTDESK_DIGEST",
        default: Fallback::Value("true"),
        kind: Kind::Bool,
        about: "run the digest scheduler in `serve`",
        flag: |_| None,
        file: Some(|c| &c.digest.enabled),
    },
    Key {
        name: "digest.database",
        env: "FACTDESK_DIGEST_DB",
        default: Fallback::Unset("`<state_dir>/factdesk.db`"),
        kind: Kind::Path,
        about: "the SQLite file (when no PostgreSQL URL is set)",
        flag: |_| None,
        file: Some(|c| &c.digest.database),
    },
    Key {
        name: "database_url",
        env: "DATABASE_URL",
        default: Fallback::Unset("SQLite (`digest.database`)"),
        kind: Kind::DatabaseUrl,
        about: "PostgreSQL for the state database (subscriptions, delivery log and history, incidents, missed questions), shared by HTTP replicas and several digest workers: `postgres://user:password@host:5432/database`. A secret: only from the environment, never factdesk.toml. Needs a build with `--features postgres`",
        flag: |_| None,
        file: None,
    },
    Key {
        name: "database_url_file",
        env: "DATABASE_URL_FILE",
        default: Fallback::Unset("off"),
        kind: Kind::Path,
        about: "a file holding that URL (a mounted secret), instead of `DATABASE_URL`",
        flag: |_| None,
        file: Some(|c| &c.database_url_file),
    },
    Key {
        name: "digest.claim_lease_seconds",
        env: "FACTDESK_DIGEST_CLAIM_LEASE_SECONDS",
        default: Fallback::Value("10"),
        kind: Kind::Lease,
        about: "with PostgreSQL: how long a digest worker's claim on a day's digest lasts unless renewed (it renews every third of this while it runs); a dead worker's digests are taken over after it; 2–300",
        flag: |_| None,
        file: Some(|c| &c.digest.claim_lease_seconds),
    },
    Key {
        name: "digest.catch_up_hours",
        env: "FACTDESK_DIGEST_CATCH_UP_HOURS",
        default: Fallback::Value("6"),
        kind: Kind::Hours,
        about: "missed digests (yesterday's and today's) younger than this are sent on start; older ones are skipped and logged; 0–48",
        flag: |_| None,
        file: Some(|c| &c.digest.catch_up_hours),
    },
    Key {
        name: "rate_limit",
        env: "FACTDESK_RATE_LIMIT",
        default: Fallback::Value("50"),
        kind: Kind::Rate,
        about: "Discord's global limit for the bot token, in requests per second (50 unless Discord raised it for the bot); digest posts are paced under it instead of being answered 429. Processes that post for the same bot share it: give each its part; 1–10000",
        flag: |_| None,
        file: Some(|c| &c.rate_limit),
    },
    Key {
        name: "ops_channel",
        env: "FACTDESK_OPS_CHANNEL",
        default: Fallback::Unset("off (incidents are only logged)"),
        kind: Kind::Id("a channel id"),
        about: "a channel for the operator: when a digest subscription pauses (403/404) or its deliveries keep failing for an hour, one notice per incident is posted there with the bot token (recorded in the state database, so a restart or a second worker does not repeat it; a delivery that succeeds ends the incident)",
        flag: |_| None,
        file: Some(|c| &c.ops_channel),
    },
    Key {
        name: "shutdown_grace_seconds",
        env: "FACTDESK_SHUTDOWN_GRACE_SECONDS",
        default: Fallback::Value("10"),
        kind: Kind::Seconds,
        about: "on SIGTERM, how long work in flight (answers, digest posts) may finish before it is stopped; a digest post cut off is settled at the next start; 0–300",
        flag: |_| None,
        file: Some(|c| &c.shutdown_grace_seconds),
    },
    Key {
        name: "record_misses",
        env: "FACTDESK_RECORD_MISSES",
        default: Fallback::Value("true"),
        kind: Kind::Bool,
        about: "count the questions `/ask` could not answer, for `factdesk misses`: the question's normalised text (at most 200 characters) and a count, in the state database; never who asked or where",
        flag: |_| None,
        file: Some(|c| &c.record_misses),
    },
    Key {
        name: "cooldown_seconds",
        env: "FACTDESK_COOLDOWN_SECONDS",
        default: Fallback::Value("30"),
        kind: Kind::Seconds,
        about: "the same public answer asked for again in the same channel within this many seconds goes to the asker only, pointing at the first; 0 turns it off; 0–300",
        flag: |_| None,
        file: Some(|c| &c.cooldown_seconds),
    },
    Key {
        name: "user_rate_per_minute",
        env: "FACTDESK_USER_RATE_PER_MINUTE",
        default: Fallback::Value("10"),
        kind: Kind::PerMinute,
        about: "commands one member may send a minute (that many at once, then one every 60/n seconds); more are answered only to them, saying when they can ask again; 0 turns it off; 0–600",
        flag: |_| None,
        file: Some(|c| &c.user_rate_per_minute),
    },
];

impl Key {
    /// This key's row in the README's configuration table.
    pub fn readme_row(&self) -> String {
        let name = match self.file {
            Some(_) => format!("`{}`", self.name),
            None => "—".to_owned(),
        };
        let default = match self.default {
            Fallback::Value(v) => format!("`{v}`"),
            Fallback::Unset(what) => what.to_owned(),
        };
        format!("| {name} | `{}` | {default} | {} |", self.env, self.about)
    }
}

impl Kind {
    /// What a value of this kind is called in an error: "`x` is not {noun}".
    fn noun(self) -> &'static str {
        match self {
            Kind::Path => "a path",
            Kind::Text => "text",
            Kind::Address => "an address",
            Kind::Id(noun) => noun,
            Kind::Bool => "a boolean",
            Kind::LogFormat => "a log format",
            Kind::Hours => "a number of hours from 0 to 48",
            Kind::Seconds => "a number of seconds from 0 to 300",
            Kind::LogFilter => "a log filter",
            Kind::AccessLog => "an access log setting",
            Kind::PerMinute => "a whole number from 0 to 600",
            Kind::Rate => "a whole number of requests per second from 1 to 10000",
            Kind::DatabaseUrl => "a PostgreSQL URL",
            Kind::Lease => "a number of seconds from 2 to 300",
        }
    }

    /// The values accepted, as a help line says them.
    pub fn accepted(self) -> &'static str {
        match self {
            Kind::Path => "a path",
            Kind::Text => "any text",
            Kind::Address => "host:port, e.g. 0.0.0.0:8080",
            Kind::Id(_) => "a Discord id (digits)",
            Kind::Bool => "one of true/false, 1/0, yes/no, on/off (any case)",
            Kind::LogFormat => "text or json",
            Kind::Hours => "a number from 0 to 48",
            Kind::Seconds => "a number from 0 to 300",
            Kind::LogFilter => "a filter such as info or info,factdesk=debug",
            Kind::AccessLog => "info, debug or off",
            Kind::PerMinute => "a whole number from 0 to 600",
            Kind::Rate => "a whole number from 1 to 10000",
            Kind::DatabaseUrl => "postgres://user:password@host:5432/database",
            Kind::Lease => "a number from 2 to 300",
        }
    }

    /// Parses text as the environment gives it; `Err` says what is wrong.
    fn parse(self, text: &str) -> Result<Value, String> {
        let value = match self {
            Kind::Path => Some(Value::Path(text.into())),
            Kind::Text => Some(Value::Text(text.to_owned())),
            Kind::Address => text.parse().ok().map(Value::Address),
            Kind::Id(_) => text.parse().ok().map(Value::Id),
            Kind::Bool => parse_bool(text).map(Value::Flag),
            Kind::LogFormat => ["text", "json"]
                .into_iter()
                .find(|format| text.eq_ignore_ascii_case(format))
                .map(|format| Value::Text(format.to_owned())),
            Kind::Hours => text.parse().ok().and_then(hours),
            Kind::Seconds => text.parse().ok().and_then(seconds),
            Kind::PerMinute => text.parse().ok().and_then(per_minute),
            Kind::Rate => text.parse().ok().and_then(rate),
            Kind::Lease => text.parse().ok().and_then(lease),
            Kind::DatabaseUrl => return DatabaseUrl::parse(text).map(Value::Database),
            Kind::AccessLog => [
                ("info", AccessLog::Info),
                ("debug", AccessLog::Debug),
                ("off", AccessLog::Off),
            ]
            .into_iter()
            .find(|(name, _)| text.eq_ignore_ascii_case(name))
            .map(|(_, level)| Value::AccessLog(level)),
            Kind::LogFilter => {
                return tracing_subscriber::EnvFilter::try_new(text)
                    .map(|_| Value::Text(text.to_owned()))
                    .map_err(|e| format!("`{text}` is not a log filter: {e}"));
            }
        };
        value.ok_or_else(|| format!("`{text}` is not {}", self.noun()))
    }

    /// Reads a value from the file: TOML's own booleans and numbers where the kind is one,
    /// otherwise a string, read like the environment's text.
    fn read_toml(self, value: &toml::Value) -> Result<Value, String> {
        use toml::Value as Toml;
        if let Toml::String(text) = value {
            return self.parse(text);
        }
        let parsed = match (self, value) {
            (Kind::Bool, Toml::Boolean(b)) => Some(Value::Flag(*b)),
            (Kind::Id(_), Toml::Integer(i)) => u64::try_from(*i).ok().map(Value::Id),
            (Kind::Hours, Toml::Integer(i)) => hours(*i as f64),
            (Kind::Hours, Toml::Float(f)) => hours(*f),
            (Kind::Seconds, Toml::Integer(i)) => seconds(*i as f64),
            (Kind::Seconds, Toml::Float(f)) => seconds(*f),
            (Kind::PerMinute, Toml::Integer(i)) => u32::try_from(*i).ok().and_then(per_minute),
            (Kind::Rate, Toml::Integer(i)) => rate(*i),
            (Kind::Lease, Toml::Integer(i)) => lease(*i as f64),
            (Kind::Lease, Toml::Float(f)) => lease(*f),
            _ => None,
        };
        let shown = match value {
            Toml::Array(_) => "[…]".to_owned(),
            Toml::Table(_) => "{…}".to_owned(),
            Toml::Boolean(b) => b.to_string(),
            Toml::Integer(i) => i.to_string(),
            Toml::Float(f) => f.to_string(),
            Toml::Datetime(d) => d.to_string(),
            Toml::String(s) => s.clone(),
        };
        parsed.ok_or_else(|| format!("`{shown}` is not {}", self.noun()))
    }
}

/// A boolean as people write it in the environment: anything else is an error, not `false`.
fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The catch-up window: 0–48 hours (a missed digest older than two days is news no more).
fn seconds(s: f64) -> Option<Value> {
    (0.0..=300.0)
        .contains(&s)
        .then(|| Value::Duration(Duration::from_secs_f64(s)))
}

/// A rate per minute: 0–600 (ten a second is no longer a member typing).
fn per_minute(n: u32) -> Option<Value> {
    (n <= 600).then_some(Value::Count(n))
}

/// Requests per second: 1–10,000 (Discord's default is 50; larger bots are given more).
fn rate(n: i64) -> Option<Value> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= 10_000)
        .and_then(std::num::NonZeroU32::new)
        .map(Value::Rate)
}

/// A digest claim's lease: 2–300 seconds (renewed every third of it, so not shorter than a
/// few round trips to the database; not so long that a dead worker's digests wait long).
fn lease(s: f64) -> Option<Value> {
    (2.0..=300.0)
        .contains(&s)
        .then(|| Value::Duration(Duration::from_secs_f64(s)))
}

fn hours(h: f64) -> Option<Value> {
    (0.0..=48.0)
        .contains(&h)
        .then(|| Value::Duration(Duration::from_secs_f64(h * 3600.0)))
}

/// A parsed value; its variant follows from the key's [`Kind`].
#[derive(Debug, Clone)]
enum Value {
    Path(PathBuf),
    Address(SocketAddr),
    Text(String),
    Id(u64),
    Flag(bool),
    Duration(Duration),
    AccessLog(AccessLog),
    Count(u32),
    Rate(std::num::NonZeroU32),
    Database(DatabaseUrl),
}

impl Value {
    fn path(self) -> Option<PathBuf> {
        match self {
            Value::Path(v) => Some(v),
            _ => None,
        }
    }

    fn address(self) -> Option<SocketAddr> {
        match self {
            Value::Address(v) => Some(v),
            _ => None,
        }
    }

    fn text(self) -> Option<String> {
        match self {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }

    fn id(self) -> Option<u64> {
        match self {
            Value::Id(v) => Some(v),
            _ => None,
        }
    }

    fn flag(self) -> Option<bool> {
        match self {
            Value::Flag(v) => Some(v),
            _ => None,
        }
    }

    fn duration(self) -> Option<Duration> {
        match self {
            Value::Duration(v) => Some(v),
            _ => None,
        }
    }

    fn count(self) -> Option<u32> {
        match self {
            Value::Count(v) => Some(v),
            _ => None,
        }
    }

    fn access_log(self) -> Option<AccessLog> {
        match self {
            Value::AccessLog(v) => Some(v),
            _ => None,
        }
    }

    fn rate(self) -> Option<std::num::NonZeroU32> {
        match self {
            Value::Rate(v) => Some(v),
            _ => None,
        }
    }
}

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file named (or found in the working directory) could not be read.
    #[error(
        "{}: cannot read the configuration file: {source}; set --config (or FACTDESK_CONFIG) to an existing, readable file",
        .path.display()
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Values in the file or the environment are wrong; every one found is listed.
    #[error("{}", as_load_error(.file.as_deref(), .text, .diagnostics))]
    Invalid {
        /// The file read, if any (problems in the environment have no file).
        file: Option<PathBuf>,
        /// The file's text as reports show it: secrets masked, positions unchanged.
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ConfigError {
    /// Every problem found (empty when the file could not be read).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Invalid { diagnostics, .. } => diagnostics,
            ConfigError::Unreadable { .. } => &[],
        }
    }

    /// Writes the rustc-style report (the file's line, a caret, help) to `out`.
    pub fn render(&self, out: &mut dyn WriteColor) -> std::io::Result<()> {
        match self {
            ConfigError::Unreadable { .. } => writeln!(out, "error: {self}"),
            ConfigError::Invalid {
                file,
                text,
                diagnostics,
            } => as_load_error(file.as_deref(), text, diagnostics).render(out),
        }
    }
}

/// The fact base's report, borrowed so that both files' problems look alike.
fn as_load_error(file: Option<&Path>, text: &str, diagnostics: &[Diagnostic]) -> LoadError {
    LoadError::Invalid {
        path: file.map_or_else(|| PathBuf::from("the environment"), Path::to_owned),
        text: text.to_owned(),
        diagnostics: diagnostics.to_vec(),
    }
}

/// The config file to read: `path` if given (it must exist), else `factdesk.toml` in the
/// working directory if present.
pub fn locate(path: Option<&Path>) -> Option<PathBuf> {
    match path {
        Some(p) => Some(p.to_owned()),
        None => Some(PathBuf::from("factdesk.toml")).filter(|p| p.exists()),
    }
}

/// Loads and resolves the configuration from the file, the process's environment and `cli`.
pub fn load(path: Option<&Path>, cli: &Overrides) -> Result<Settings, ConfigError> {
    resolve(path, cli, &|name| std::env::var(name).ok())
}

/// [`load`] with the environment given as a lookup, so tests need not change the process's.
pub fn resolve(
    path: Option<&Path>,
    cli: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let (file, text, raw) = read(path)?;
    let mut resolver = Resolver {
        env,
        raw: &raw,
        problems: Vec::new(),
        secrets: Vec::new(),
    };
    resolver.refuse_secrets();
    let values = KEYS
        .iter()
        .filter_map(|key| Some((key.name, resolver.resolve(key, cli)?)))
        .collect();
    let subscriptions = resolver.subscriptions();
    let database_url = resolver.database_url(&values);
    if !resolver.problems.is_empty() {
        return Err(ConfigError::Invalid {
            file,
            text: redact::shown(&text, &resolver.secrets, None),
            diagnostics: resolver.problems,
        });
    }
    let mut settings = settings(Resolved(values), subscriptions, database_url);
    settings.alert_subscriptions = raw
        .alerts
        .subscriptions
        .iter()
        .map(|a| AlertSubscription {
            channel_id: a.channel,
            guild_id: a.guild,
            role_id: a.role,
            origin: Origin::Config,
            paused: None,
            after: 0,
            locale: a.locale.as_ref().map(|l| l.get_ref().trim().to_owned()),
        })
        .collect();
    settings.post_locales = PostLocales {
        written: written_locales(&raw),
        text: redact::shown(&text, &[], None),
        file,
    };
    Ok(settings)
}

/// Every `locale` the configured channels name, with where it is written.
fn written_locales(raw: &RawConfig) -> Vec<locales::Written> {
    let digest = raw
        .digest
        .subscriptions
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let l = s.get_ref().locale.as_ref()?;
            Some((format!("digest.subscriptions[{i}].locale"), l))
        });
    let alerts = raw
        .alerts
        .subscriptions
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let l = a.locale.as_ref()?;
            Some((format!("alerts.subscriptions[{i}].locale"), l))
        });
    digest
        .chain(alerts)
        .map(|(field, l)| locales::Written {
            code: l.get_ref().trim().to_owned(),
            field,
            span: l.span(),
        })
        .collect()
}

/// The file (if any), its text and its contents; no file is an empty configuration.
fn read(path: Option<&Path>) -> Result<(Option<PathBuf>, String, RawConfig), ConfigError> {
    let Some(file) = locate(path) else {
        return Ok((None, String::new(), RawConfig::default()));
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(source) => return Err(ConfigError::Unreadable { path: file, source }),
    };
    match toml::from_str(&text) {
        Ok(raw) => Ok((Some(file), text, raw)),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let text = redact::shown(&text, &[], Some(&span));
            let d = Diagnostic::new(span, "toml", e.message().trim())
                .help("see the configuration table in README.md");
            Err(ConfigError::Invalid {
                file: Some(file),
                text,
                diagnostics: vec![d],
            })
        }
    }
}

/// Walks the keys and subscriptions, collecting every problem instead of stopping at one.
struct Resolver<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    raw: &'a RawConfig,
    problems: Vec<Diagnostic>,
    /// Where the file holds a secret it must not (masked in the report).
    secrets: Vec<Range<usize>>,
}

impl Resolver<'_> {
    /// An environment variable; empty means unset (`FOO=` in a unit file or compose file).
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    fn problem(
        &mut self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
        help: &str,
    ) {
        self.problems
            .push(Diagnostic::new(span, field, message).help(help));
    }

    /// One key: flag > environment > file > default. A value that does not parse is recorded
    /// as a problem (and resolves to nothing: the configuration is refused anyway).
    fn resolve(&mut self, key: &Key, cli: &Overrides) -> Option<Value> {
        if let Some(value) = (key.flag)(cli) {
            return Some(value);
        }
        if let Some(text) = self.var(key.env) {
            return match key.kind.parse(&text) {
                Ok(v) => Some(v),
                Err(message) => {
                    let help = format!("set {} to {}, or unset it", key.env, key.kind.accepted());
                    self.problems.push(Diagnostic {
                        span: None,
                        field: format!("environment variable {}", key.env),
                        message,
                        help: Some(help),
                    });
                    None
                }
            };
        }
        let raw = self.raw;
        if let Some(value) = key.file.and_then(|field| field(raw).as_ref()) {
            return match key.kind.read_toml(value.get_ref()) {
                Ok(v) => Some(v),
                Err(message) => {
                    let help = format!("write {}", key.kind.accepted());
                    self.problem(value.span(), key.name, message, &help);
                    None
                }
            };
        }
        match key.default {
            Fallback::Value(text) => Some(
                key.kind
                    .parse(text)
                    .expect("every default in KEYS parses (a test checks)"),
            ),
            Fallback::Unset(_) => None,
        }
    }

    fn refuse_secrets(&mut self) {
        let raw = self.raw;
        for (value, field, var) in [
            (&raw.token, "token", "DISCORD_TOKEN"),
            (&raw.public_key, "public_key", "DISCORD_PUBLIC_KEY"),
            (
                &raw.database_url,
                "database_url",
                "DATABASE_URL (or name a file holding it in database_url_file)",
            ),
        ] {
            if let Some(v) = value {
                self.secrets.push(v.span());
                let help = format!("remove it and set {var} in the environment");
                self.problem(
                    v.span(),
                    field,
                    "secrets are not read from the config file",
                    &help,
                );
            }
        }
    }

    /// Where a key's value came from in the file, unless the environment set it.
    fn file_span(&self, env: &str, value: &FileValue) -> Option<Range<usize>> {
        match self.var(env) {
            Some(_) => None,
            None => value.as_ref().map(Spanned::span),
        }
    }

    /// The PostgreSQL URL: `DATABASE_URL`, or the contents of the file `database_url_file`
    /// names — not both. `None`: SQLite. Neither the URL nor the file's contents are ever
    /// repeated in a problem, and a URL written where the SQLite file's path goes is refused.
    fn database_url(&mut self, values: &BTreeMap<&'static str, Value>) -> Option<DatabaseUrl> {
        if let Some(Value::Path(path)) = values.get("digest.database") {
            if path.to_string_lossy().contains("://") {
                let span = self.file_span("FACTDESK_DIGEST_DB", &self.raw.digest.database);
                self.secrets.extend(span.clone());
                self.problems.push(Diagnostic {
                    span,
                    field: "digest.database (FACTDESK_DIGEST_DB)".into(),
                    message: "this is a URL, not the SQLite file's path (it is not shown: it may hold a password)".into(),
                    help: Some("for PostgreSQL, set DATABASE_URL or DATABASE_URL_FILE instead".into()),
                });
            }
        }
        let url = match values.get("database_url") {
            Some(Value::Database(url)) => Some(url.clone()),
            _ => None,
        };
        let span = self.file_span("DATABASE_URL_FILE", &self.raw.database_url_file);
        let field = "database_url_file (DATABASE_URL_FILE)".to_owned();
        let problem = |message: String, help: &str| Diagnostic {
            span: span.clone(),
            field: field.clone(),
            message,
            help: Some(help.to_owned()),
        };
        let path = match (url, values.get("database_url_file")) {
            (url, None) => return url,
            (Some(_), Some(_)) => {
                let both = "DATABASE_URL and a file for it are both set".to_owned();
                self.problems.push(problem(both, "keep one of them"));
                return None;
            }
            (None, Some(Value::Path(path))) => path.clone(),
            (None, Some(_)) => return None,
        };
        let read = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|text| {
                DatabaseUrl::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            });
        match read {
            Ok(url) => Some(url),
            Err(message) => {
                let help = "write the PostgreSQL URL into that file (a mounted secret)";
                self.problems.push(problem(message, help));
                None
            }
        }
    }

    fn subscriptions(&mut self) -> Vec<Subscription> {
        let raw = self.raw;
        raw.digest
            .subscriptions
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                self.subscription(&format!("digest.subscriptions[{i}]"), s.get_ref())
            })
            .collect()
    }

    /// One `[[digest.subscriptions]]` entry; `None` when its time of day is unusable.
    fn subscription(&mut self, field: &str, s: &RawSubscription) -> Option<Subscription> {
        if let Some(v) = &s.webhook_url {
            self.secrets.push(v.span());
            self.problem(
                v.span(),
                format!("{field}.webhook_url"),
                "a webhook URL is a secret",
                "use webhook_url_env (a variable name) or webhook_url_file (a path)",
            );
        }
        let time = time_of_day(s.time.get_ref());
        if time.is_none() {
            self.problem(
                s.time.span(),
                format!("{field}.time"),
                format!("`{}` is not a time of day", s.time.get_ref()),
                "use HH:MM, e.g. 08:00",
            );
        }
        if jiff::tz::TimeZone::get(s.time_zone.get_ref()).is_err() {
            self.problem(
                s.time_zone.span(),
                format!("{field}.time_zone"),
                format!("`{}` is not a known IANA time zone", s.time_zone.get_ref()),
                "e.g. Asia/Kolkata",
            );
        }
        let webhook = self.webhook(field, s);
        let mode = match &s.mode {
            None => Some(Mode::Daily),
            Some(m) => {
                let mode = Mode::parse(m.get_ref());
                if mode.is_none() {
                    self.problem(
                        m.span(),
                        format!("{field}.mode"),
                        format!("`{}` is not a digest mode", m.get_ref()),
                        "use \"daily\" (every day) or \"updates\" (only on days with new updates)",
                    );
                }
                mode
            }
        };
        Some(configured(s, time?, webhook, mode?))
    }

    /// Where a subscription's webhook URL is (a variable or a file), checked to hold one now;
    /// the URL itself is read again when a digest is posted and never stored (nor repeated
    /// in a message when one was pasted in place of the name).
    fn webhook(&mut self, field: &str, s: &RawSubscription) -> Option<Webhook> {
        if let Some(var) = &s.webhook_url_env {
            if !redact::is_variable_name(var.get_ref()) {
                self.secrets.push(var.span());
                self.problem(
                    var.span(),
                    format!("{field}.webhook_url_env"),
                    "this is not the name of an environment variable (it is not shown: it may be the URL itself)",
                    "export the webhook URL as a variable, e.g. DIGEST_WEBHOOK, and write its name here",
                );
                return None;
            }
            let url = self.var(var.get_ref());
            if url.is_none() {
                self.problem(
                    var.span(),
                    format!("{field}.webhook_url_env"),
                    format!("the environment variable {} is not set", var.get_ref()),
                    "export it with the webhook URL",
                );
            }
            return url.map(|_| Webhook::Env(var.get_ref().clone()));
        }
        let path = s.webhook_url_file.as_ref()?;
        if path.get_ref().contains("://") {
            self.secrets.push(path.span());
            self.problem(
                path.span(),
                format!("{field}.webhook_url_file"),
                "this is a URL, not the path of a file (it is not shown: it may be the webhook URL itself)",
                "write the webhook URL into a file (a mounted secret) and its path here",
            );
            return None;
        }
        match std::fs::read_to_string(path.get_ref()) {
            // Absolute: the digest reads it again later, perhaps from another directory.
            Ok(_) => Some(Webhook::File(
                std::path::absolute(path.get_ref()).unwrap_or_else(|_| path.get_ref().into()),
            )),
            Err(e) => {
                self.problem(
                    path.span(),
                    format!("{field}.webhook_url_file"),
                    format!("cannot read {}: {e}", path.get_ref()),
                    "mount the secret at that path",
                );
                None
            }
        }
    }
}

/// `HH:MM`, read as `/digest subscribe` reads it.
fn time_of_day(text: &str) -> Option<jiff::civil::Time> {
    crate::engine::commands::digest::parse_time(text)
}

/// A subscription listed in the file, as the digest keeps it.
fn configured(
    s: &RawSubscription,
    local_time: jiff::civil::Time,
    webhook: Option<Webhook>,
    mode: Mode,
) -> Subscription {
    Subscription {
        channel_id: *s.channel.get_ref(),
        guild_id: s.guild,
        local_time,
        time_zone: s.time_zone.get_ref().clone(),
        webhook,
        origin: Origin::Config,
        mode,
        paused: None,
        active_from: None,
        locale: s.locale.as_ref().map(|l| l.get_ref().trim().to_owned()),
    }
}

/// The values resolved for the keys of [`KEYS`] that have one, by name.
struct Resolved(BTreeMap<&'static str, Value>);

impl Resolved {
    /// The value of key `name`, as `pick` unwraps its kind.
    fn get<T>(&mut self, name: &str, pick: fn(Value) -> Option<T>) -> Option<T> {
        assert!(
            KEYS.iter().any(|key| key.name == name),
            "{name} is a key of KEYS"
        );
        let value = self.0.remove(name)?;
        Some(pick(value).expect("a key's kind decides its value's variant"))
    }
}

/// Settings from resolved values; keys with a default always have a value.
fn settings(
    mut v: Resolved,
    subscriptions: Vec<Subscription>,
    database_url: Option<DatabaseUrl>,
) -> Settings {
    const DEFAULTED: &str = "a key with a default always resolves";
    let state_dir = v.get("state_dir", Value::path).expect(DEFAULTED);
    let sqlite = v
        .get("digest.database", Value::path)
        .unwrap_or_else(|| state_dir.join("factdesk.db"));
    let lease = v
        .get("digest.claim_lease_seconds", Value::duration)
        .expect(DEFAULTED);
    Settings {
        facts: v.get("facts", Value::path).expect(DEFAULTED),
        database: match database_url {
            Some(url) => Database::Postgres { url, lease },
            None => Database::Sqlite(sqlite),
        },
        state_dir,
        http: v.get("http", Value::address),
        metrics: v.get("metrics", Value::address),
        api_base: v.get("api_base", Value::text),
        application_id: v.get("application_id", Value::id),
        register: v.get("register", Value::flag).expect(DEFAULTED),
        guild: v.get("guild", Value::id),
        log_json: v.get("log_format", Value::text).expect(DEFAULTED) == "json",
        log_filter: v.get("log_filter", Value::text),
        access_log: v.get("access_log", Value::access_log).expect(DEFAULTED),
        gateway: v.get("gateway", Value::flag).expect(DEFAULTED),
        digest_enabled: v.get("digest.enabled", Value::flag).expect(DEFAULTED),
        catch_up: v
            .get("digest.catch_up_hours", Value::duration)
            .expect(DEFAULTED),
        subscriptions,
        alert_subscriptions: Vec::new(),
        shutdown_grace: v
            .get("shutdown_grace_seconds", Value::duration)
            .expect(DEFAULTED),
        record_misses: v.get("record_misses", Value::flag).expect(DEFAULTED),
        cooldown: v.get("cooldown_seconds", Value::duration).expect(DEFAULTED),
        user_rate_per_minute: v
            .get("user_rate_per_minute", Value::count)
            .expect(DEFAULTED),
        rate_limit: v.get("rate_limit", Value::rate).expect(DEFAULTED),
        ops_channel: v.get("ops_channel", Value::id),
        post_locales: PostLocales::default(),
    }
}

impl Settings {
    /// What the digest service needs: where to post, as whom, how far to catch up, where the
    /// operator hears of trouble.
    pub fn digest(&self) -> crate::digest::Settings {
        crate::digest::Settings {
            api_base: self
                .api_base
                .clone()
                .unwrap_or_else(|| "https://discord.com".into()),
            token: token(),
            catch_up: self.catch_up,
            rate_limit: self.rate_limit,
            ops_channel: self.ops_channel,
        }
    }
}

/// The bot token from `DISCORD_TOKEN` (never from a file or a flag, so it does not show in
/// process listings or committed configuration).
pub fn token() -> Option<String> {
    std::env::var("DISCORD_TOKEN")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// What `factdesk config check` prints for a valid configuration.
pub fn describe(path: Option<&Path>, s: &Settings) -> String {
    format!(
        "{}: ok — facts {}, state {}, digest {} in {} ({} configured subscriptions)",
        locate(path).map_or(
            "no config file (defaults and environment)".to_owned(),
            |f| f.display().to_string()
        ),
        s.facts.display(),
        s.state_dir.display(),
        if s.digest_enabled { "on" } else { "off" },
        s.database,
        s.subscriptions.len()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use codespan_reporting::term::termcolor::NoColor;

    use super::*;

    /// An environment holding only `vars`.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    /// Resolves a config file holding `config` (an empty file is no configuration at all).
    fn resolve_with(
        config: &str,
        cli: &Overrides,
        vars: &[(&str, &str)],
    ) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("factdesk.toml");
        std::fs::write(&path, config).expect("write the config file");
        resolve(Some(&path), cli, &env(vars))
    }

    fn problems(config: &str, vars: &[(&str, &str)]) -> String {
        match resolve_with(config, &Overrides::default(), vars) {
            Ok(s) => panic!("expected problems, resolved {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        let none = Overrides::default();
        let s = resolve_with("", &none, &[]).expect("defaults");
        assert_eq!(s.state_dir, PathBuf::from("state"));
        assert_eq!(s.guild, None);
        assert_eq!(s.database, Database::Sqlite("state/factdesk.db".into()));

        let file = "state_dir = \"from-file\"\nguild = 1\n";
        let s = resolve_with(file, &none, &[]).expect("file");
        assert_eq!(s.state_dir, PathBuf::from("from-file"));
        assert_eq!(s.guild, Some(1));
        assert_eq!(s.database, Database::Sqlite("from-file/factdesk.db".into()));

        let vars = [("FACTDESK_STATE_DIR", "from-env"), ("FACTDESK_GUILD", "2")];
        let s = resolve_with(file, &none, &vars).expect("environment");
        assert_eq!(s.state_dir, PathBuf::from("from-env"));
        assert_eq!(s.guild, Some(2));

        let flags = Overrides {
            state_dir: Some("from-flag".into()),
            guild: Some(3),
            ..Overrides::default()
        };
        let s = resolve_with(file, &flags, &vars).expect("flags");
        assert_eq!(s.state_dir, PathBuf::from("from-flag"));
        assert_eq!(s.guild, Some(3));
    }

    #[test]
    fn the_environment_beats_the_file_for_keys_without_a_flag() {
        let none = Overrides::default();
        let file = "[digest]\nenabled = false\ncatch_up_hours = 2\n";
        let s = resolve_with(file, &none, &[]).expect("file");
        assert!(!s.digest_enabled);
        assert_eq!(s.catch_up, Duration::from_secs(2 * 3600));
        let vars = [
            ("FACTDESK_DIGEST", "on"),
            ("FACTDESK_DIGEST_CATCH_UP_HOURS", "0.5"),
        ];
        let s = resolve_with(file, &none, &vars).expect("environment");
        assert!(s.digest_enabled);
        assert_eq!(s.catch_up, Duration::from_secs(1800));
        // An empty variable is unset, not "false".
        let s = resolve_with(file, &none, &[("FACTDESK_DIGEST", " ")]).expect("empty");
        assert!(!s.digest_enabled);
    }

    #[test]
    fn an_unrecognised_boolean_names_the_variable_and_the_accepted_values() {
        let out = problems(
            "",
            &[("FACTDESK_DIGEST", "ture"), ("FACTDESK_REGISTER", "maybe")],
        );
        assert!(
            out.contains("environment variable FACTDESK_DIGEST: `ture` is not a boolean"),
            "{out}"
        );
        assert!(
            out.contains("environment variable FACTDESK_REGISTER: `maybe` is not a boolean"),
            "both problems at once: {out}"
        );
        assert!(
            out.contains(
                "set FACTDESK_DIGEST to one of true/false, 1/0, yes/no, on/off (any case)"
            ),
            "{out}"
        );
        let out = problems("register = \"maybe\"\n", &[]);
        assert!(
            out.contains(":1:12: register: `maybe` is not a boolean"),
            "{out}"
        );
    }

    #[test]
    fn booleans_are_read_in_any_case() {
        let none = Overrides::default();
        for (text, expected) in [
            ("YES", true),
            ("Off", false),
            ("0", false),
            ("1", true),
            ("TRUE", true),
            ("no", false),
        ] {
            let vars = [("FACTDESK_REGISTER", text), ("FACTDESK_DIGEST", text)];
            let s = resolve_with("", &none, &vars).expect(text);
            assert_eq!(s.register, expected, "FACTDESK_REGISTER={text}");
            assert_eq!(s.digest_enabled, expected, "FACTDESK_DIGEST={text}");
        }
    }

    #[test]
    fn bad_catch_up_hours_are_errors() {
        for text in ["abc", "49", "-1", "NaN", "inf"] {
            let out = problems("", &[("FACTDESK_DIGEST_CATCH_UP_HOURS", text)]);
            assert!(
                out.contains(&format!(
                    "environment variable FACTDESK_DIGEST_CATCH_UP_HOURS: `{text}` is not a number of hours from 0 to 48"
                )),
                "{out}"
            );
        }
        let out = problems("[digest]\ncatch_up_hours = 99\n", &[]);
        assert!(
            out.contains(":2:18: digest.catch_up_hours: `99` is not a number of hours"),
            "{out}"
        );
    }

    #[test]
    fn the_rate_limit_is_a_whole_number_from_1_to_10000() {
        let none = Overrides::default();
        let s = resolve_with("", &none, &[]).expect("default");
        assert_eq!(s.rate_limit.get(), 50);
        let s = resolve_with("rate_limit = 5\n", &none, &[]).expect("file");
        assert_eq!(s.rate_limit.get(), 5);
        let s = resolve_with(
            "rate_limit = 5\n",
            &none,
            &[("FACTDESK_RATE_LIMIT", "1200")],
        )
        .expect("environment");
        assert_eq!(s.rate_limit.get(), 1200);
        for text in ["0", "-5", "2.5", "10001", "fast"] {
            let out = problems("", &[("FACTDESK_RATE_LIMIT", text)]);
            assert!(
                out.contains(&format!("environment variable FACTDESK_RATE_LIMIT: `{text}` is not a whole number of requests per second from 1 to 10000")),
                "{out}"
            );
        }
        let out = problems("rate_limit = 0\n", &[]);
        assert!(
            out.contains(":1:14: rate_limit: `0` is not a whole number"),
            "{out}"
        );
    }

    #[test]
    fn an_invalid_rust_log_is_an_error_naming_it() {
        let out = problems("", &[("RUST_LOG", "info,[[[")]);
        assert!(
            out.contains("environment variable RUST_LOG: `info,[[[` is not a log filter"),
            "{out}"
        );
        let none = Overrides::default();
        let s = resolve_with("", &none, &[("RUST_LOG", "debug,serenity=warn")]).expect("valid");
        assert_eq!(s.log_filter.as_deref(), Some("debug,serenity=warn"));
        let s = resolve_with("", &none, &[("RUST_LOG", "")]).expect("empty");
        assert_eq!(s.log_filter, None, "an empty RUST_LOG means the default");
    }

    #[test]
    fn an_unreadable_config_file_names_the_config_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.toml");
        let e = resolve(Some(&missing), &Overrides::default(), &env(&[])).expect_err("missing");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: cannot read the configuration file",
                missing.display()
            )),
            "{text}"
        );
        assert!(text.contains("set --config (or FACTDESK_CONFIG)"), "{text}");
        assert!(
            !text.contains("--facts"),
            "not the fact base's message: {text}"
        );
    }

    #[test]
    fn problems_in_the_file_show_the_line_and_a_caret() {
        let e = resolve_with("http = \"nowhere\"\n", &Overrides::default(), &[])
            .expect_err("bad address");
        let mut out = NoColor::new(Vec::new());
        e.render(&mut out).expect("render");
        let out = String::from_utf8(out.into_inner()).expect("utf-8");
        assert!(out.contains("http = \"nowhere\""), "{out}");
        assert!(out.contains("^^^^^^^^^"), "{out}");
        assert!(
            out.contains("help: write host:port, e.g. 0.0.0.0:8080"),
            "{out}"
        );
        assert!(out.contains("error: 1 problem in"), "{out}");
    }

    #[test]
    fn database_url_selects_postgresql_from_the_environment_or_a_file() {
        let none = Overrides::default();
        let url = "postgres://factdesk:s3cret@db:5432/factdesk";
        let s = resolve_with("", &none, &[("DATABASE_URL", url)]).expect("env");
        let Database::Postgres { url: got, lease } = &s.database else {
            panic!("PostgreSQL: {:?}", s.database)
        };
        assert_eq!(got.expose(), url);
        assert_eq!(*lease, Duration::from_secs(10));
        let shown = format!("{s:?} {}", describe(None, &s));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://factdesk:***@db:5432/factdesk"),
            "{shown}"
        );

        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("database-url");
        std::fs::write(&secret, format!("{url}\n")).expect("write");
        let file = format!(
            "database_url_file = \"{}\"\n[digest]\nclaim_lease_seconds = 5\n",
            secret.display()
        );
        let s = resolve_with(&file, &none, &[]).expect("file");
        let Database::Postgres { url: got, lease } = &s.database else {
            panic!("PostgreSQL: {:?}", s.database)
        };
        assert_eq!((got.expose(), *lease), (url, Duration::from_secs(5)));
    }

    #[test]
    fn a_database_url_is_never_read_from_the_file_nor_shown_in_a_problem() {
        let out = problems(
            "database_url = \"postgres://factdesk:s3cret@db/factdesk\"\n",
            &[],
        );
        assert!(
            out.contains("database_url: secrets are not read from the config file"),
            "{out}"
        );
        assert!(out.contains("set DATABASE_URL"), "{out}");
        let e = resolve_with(
            "database_url = \"postgres://factdesk:s3cret@db/factdesk\"\n",
            &Overrides::default(),
            &[],
        )
        .expect_err("refused");
        let mut rendered = NoColor::new(Vec::new());
        e.render(&mut rendered).expect("render");
        let rendered = String::from_utf8(rendered.into_inner()).expect("utf-8");
        assert!(!rendered.contains("s3cret"), "{rendered}");

        for (config, vars) in [
            ("", vec![("DATABASE_URL", "mysql://u:s3cret@db/x")]),
            (
                "[digest]\ndatabase = \"postgres://u:s3cret@db/x\"\n",
                vec![],
            ),
            ("", vec![("FACTDESK_DIGEST_DB", "postgres://u:s3cret@db/x")]),
            (
                "",
                vec![
                    ("DATABASE_URL", "postgres://u:s3cret@db/x"),
                    ("DATABASE_URL_FILE", "/run/secrets/db"),
                ],
            ),
            ("", vec![("DATABASE_URL_FILE", "/nonexistent/s3cret-file")]),
            ("", vec![("FACTDESK_DIGEST_CLAIM_LEASE_SECONDS", "1")]),
        ] {
            let e = resolve_with(config, &Overrides::default(), &vars).expect_err(config);
            let mut rendered = NoColor::new(Vec::new());
            e.render(&mut rendered).expect("render");
            let rendered = String::from_utf8(rendered.into_inner()).expect("utf-8");
            let masked = rendered.replace("/nonexistent/s3cret-file", "the named file");
            assert!(!masked.contains("s3cret"), "{vars:?}: {rendered}");
        }
        let out = problems("", &[("DATABASE_URL", "mysql://u:s3cret@db/x")]);
        assert!(
            out.contains("environment variable DATABASE_URL: this is not a PostgreSQL URL"),
            "{out}"
        );
    }

    #[test]
    fn every_default_in_keys_parses() {
        for key in KEYS {
            if let Fallback::Value(text) = key.default {
                assert!(key.kind.parse(text).is_ok(), "{}: {text}", key.name);
            }
        }
    }

    #[test]
    fn the_readme_lists_every_key_as_keys_describes_it() {
        let readme = include_str!("../README.md");
        for key in KEYS {
            let row = key.readme_row();
            assert!(
                readme.lines().any(|line| line == row),
                "README.md's configuration table lacks this row (written from config::KEYS):\n{row}"
            );
        }
        assert!(
            readme.contains(Kind::Bool.accepted()),
            "README.md says which booleans are accepted"
        );
    }
}
