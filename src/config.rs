//! The operator's configuration: an optional `factdesk.toml`, overridden key by key by the
//! environment and by command-line flags (flag > environment > file > default).
//!
//! Secrets (the bot token, the public key, webhook URLs) are never read from this file — only
//! from the environment or from a file path the config names — so the file can be committed or
//! mounted from a ConfigMap. Errors are reported like the fact base's: file:line:column.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::digest::{Origin, Subscription};
use crate::facts::{Diagnostic, LoadError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    facts: Option<Spanned<String>>,
    state_dir: Option<Spanned<String>>,
    http: Option<Spanned<String>>,
    metrics: Option<Spanned<String>>,
    api_base: Option<Spanned<String>>,
    application_id: Option<Spanned<u64>>,
    register: Option<bool>,
    guild: Option<Spanned<u64>>,
    log_format: Option<Spanned<String>>,
    /// Present only to refuse it with a helpful message.
    token: Option<Spanned<toml::Value>>,
    public_key: Option<Spanned<toml::Value>>,
    #[serde(default)]
    digest: RawDigest,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    enabled: Option<bool>,
    database: Option<Spanned<String>>,
    catch_up_hours: Option<Spanned<f64>>,
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
    pub digest_enabled: bool,
    pub digest_database: PathBuf,
    pub catch_up: Duration,
    pub subscriptions: Vec<Subscription>,
}

/// Every key, its environment variable and default — the README's table comes from this list.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("facts", "FACTDESK_FACTS", "facts.toml"),
    ("state_dir", "FACTDESK_STATE_DIR", "state"),
    ("http", "FACTDESK_HTTP_ADDR", "(off)"),
    (
        "metrics",
        "FACTDESK_METRICS_ADDR",
        "(off; /metrics is also on the HTTP endpoint)",
    ),
    ("api_base", "DISCORD_API_BASE", "https://discord.com"),
    (
        "application_id",
        "DISCORD_APPLICATION_ID",
        "(looked up with the token)",
    ),
    ("register", "FACTDESK_REGISTER", "false"),
    ("guild", "FACTDESK_GUILD", "(global commands)"),
    ("log_format", "FACTDESK_LOG_FORMAT", "text"),
    ("digest.enabled", "FACTDESK_DIGEST", "true"),
    (
        "digest.database",
        "FACTDESK_DIGEST_DB",
        "<state_dir>/factdesk.db",
    ),
    (
        "digest.catch_up_hours",
        "FACTDESK_DIGEST_CATCH_UP_HOURS",
        "6",
    ),
];

/// An environment variable parsed as `T`; a value that does not parse is a problem, not a
/// silent fallback to the default.
fn env_parse<T: std::str::FromStr>(
    var: &str,
    expected: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<T> {
    let value = env(var)?;
    match value.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            problems.push(Diagnostic {
                span: None,
                field: format!("environment variable {var}"),
                message: format!("`{value}` is not {expected}"),
                help: Some(format!("set {var} to {expected}, or unset it")),
            });
            None
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The config file to read: `path` if given (it must exist), else `factdesk.toml` in the
/// working directory if present.
pub fn locate(path: Option<&Path>) -> Option<PathBuf> {
    match path {
        Some(p) => Some(p.to_owned()),
        None => Some(PathBuf::from("factdesk.toml")).filter(|p| p.exists()),
    }
}

/// Loads and resolves the configuration.
pub fn load(path: Option<&Path>, cli: &Overrides) -> Result<Settings, LoadError> {
    let (raw, text, file) = match locate(path) {
        Some(file) => {
            let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Io {
                path: file.clone(),
                source,
            })?;
            match toml::from_str::<RawConfig>(&text) {
                Ok(raw) => (raw, text, file),
                Err(e) => {
                    let d = Diagnostic::new(e.span().unwrap_or(0..0), "toml", e.message().trim())
                        .help("see the configuration table in README.md");
                    return Err(LoadError::Invalid {
                        path: file,
                        text,
                        diagnostics: vec![d],
                    });
                }
            }
        }
        None => (
            RawConfig::default(),
            String::new(),
            PathBuf::from("factdesk.toml"),
        ),
    };
    let mut problems = Vec::new();
    let mut error = |span: std::ops::Range<usize>, field: &str, message: String, help: &str| {
        problems.push(Diagnostic::new(span, field, message).help(help));
    };
    for (value, field, var) in [
        (&raw.token, "token", "DISCORD_TOKEN"),
        (&raw.public_key, "public_key", "DISCORD_PUBLIC_KEY"),
    ] {
        if let Some(v) = value {
            error(
                v.span(),
                field,
                "secrets are not read from the config file".into(),
                &format!("remove it and set {var} in the environment"),
            );
        }
    }
    let mut env_problems = Vec::new();
    let text_of = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
    let mut addr = |cli: Option<SocketAddr>,
                    var: &str,
                    v: &Option<Spanned<String>>,
                    field: &str|
     -> Option<SocketAddr> {
        if cli.is_some() {
            return cli;
        }
        if env(var).is_some() {
            return env_parse(var, "an address (host:port)", &mut env_problems);
        }
        let v = v.as_ref()?;
        match v.get_ref().parse() {
            Ok(a) => Some(a),
            Err(_) => {
                error(
                    v.span(),
                    field,
                    format!("`{}` is not an address", v.get_ref()),
                    "write host:port, e.g. 0.0.0.0:8080",
                );
                None
            }
        }
    };
    let http = addr(cli.http, "FACTDESK_HTTP_ADDR", &raw.http, "http");
    let metrics = addr(
        cli.metrics,
        "FACTDESK_METRICS_ADDR",
        &raw.metrics,
        "metrics",
    );
    let log_json = match env("FACTDESK_LOG_FORMAT").or_else(|| text_of(&raw.log_format)) {
        None => false,
        Some(f) if f.eq_ignore_ascii_case("json") => true,
        Some(f) if f.eq_ignore_ascii_case("text") => false,
        Some(other) => {
            let span = raw.log_format.as_ref().map_or(0..0, Spanned::span);
            error(
                span,
                "log_format",
                format!("`{other}` is not a log format"),
                "use text or json",
            );
            false
        }
    };
    let state_dir = cli
        .state_dir
        .clone()
        .or_else(|| env("FACTDESK_STATE_DIR").map(PathBuf::from))
        .or_else(|| text_of(&raw.state_dir).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("state"));
    let catch_up_hours = match env("FACTDESK_DIGEST_CATCH_UP_HOURS") {
        Some(_) => env_parse(
            "FACTDESK_DIGEST_CATCH_UP_HOURS",
            "a number of hours",
            &mut env_problems,
        )
        .unwrap_or(6.0),
        None => raw
            .digest
            .catch_up_hours
            .as_ref()
            .map_or(6.0, |v| *v.get_ref()),
    };
    if !(0.0..=48.0).contains(&catch_up_hours) {
        let span = raw
            .digest
            .catch_up_hours
            .as_ref()
            .map_or(0..0, Spanned::span);
        error(
            span,
            "digest.catch_up_hours",
            format!("{catch_up_hours} hours"),
            "use 0–48",
        );
    }
    let mut subscriptions = Vec::new();
    for (i, s) in raw.digest.subscriptions.iter().enumerate() {
        let field = format!("digest.subscriptions[{i}]");
        let s = s.get_ref();
        if let Some(v) = &s.webhook_url {
            error(
                v.span(),
                &format!("{field}.webhook_url"),
                "a webhook URL is a secret".into(),
                "use webhook_url_env (a variable name) or webhook_url_file (a path)",
            );
        }
        let time = crate::engine::commands::digest::parse_time(s.time.get_ref());
        if time.is_none() {
            error(
                s.time.span(),
                &format!("{field}.time"),
                format!("`{}` is not a time of day", s.time.get_ref()),
                "use HH:MM, e.g. 08:00",
            );
        }
        if jiff::tz::TimeZone::get(s.time_zone.get_ref()).is_err() {
            error(
                s.time_zone.span(),
                &format!("{field}.time_zone"),
                format!("`{}` is not a known IANA time zone", s.time_zone.get_ref()),
                "e.g. Asia/Kolkata",
            );
        }
        let webhook_url = match (&s.webhook_url_env, &s.webhook_url_file) {
            (Some(var), _) => {
                let url = env(var.get_ref());
                if url.is_none() {
                    error(
                        var.span(),
                        &format!("{field}.webhook_url_env"),
                        format!("the environment variable {} is not set", var.get_ref()),
                        "export it with the webhook URL",
                    );
                }
                url
            }
            (None, Some(path)) => match std::fs::read_to_string(path.get_ref()) {
                Ok(url) => Some(url.trim().to_owned()),
                Err(e) => {
                    error(
                        path.span(),
                        &format!("{field}.webhook_url_file"),
                        format!("cannot read {}: {e}", path.get_ref()),
                        "mount the secret at that path",
                    );
                    None
                }
            },
            (None, None) => None,
        };
        if let Some(time) = time {
            subscriptions.push(Subscription {
                channel_id: *s.channel.get_ref(),
                guild_id: s.guild,
                local_time: time,
                time_zone: s.time_zone.get_ref().clone(),
                webhook_url,
                origin: Origin::Config,
                paused: None,
                active_from: None,
            });
        }
    }
    let application_id = cli
        .application_id
        .or_else(|| {
            env_parse(
                "DISCORD_APPLICATION_ID",
                "an application id",
                &mut env_problems,
            )
        })
        .or_else(|| raw.application_id.as_ref().map(|v| *v.get_ref()));
    let guild = cli
        .guild
        .or_else(|| env_parse("FACTDESK_GUILD", "a guild id", &mut env_problems))
        .or_else(|| raw.guild.as_ref().map(|v| *v.get_ref()));
    problems.extend(env_problems);
    if !problems.is_empty() {
        return Err(LoadError::Invalid {
            path: file,
            text,
            diagnostics: problems,
        });
    }
    let bool_env = |var: &str| {
        env(var).map(|v| matches!(v.to_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    };
    Ok(Settings {
        facts: cli
            .facts
            .clone()
            .or_else(|| env("FACTDESK_FACTS").map(PathBuf::from))
            .or_else(|| text_of(&raw.facts).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("facts.toml")),
        digest_database: env("FACTDESK_DIGEST_DB")
            .map(PathBuf::from)
            .or_else(|| text_of(&raw.digest.database).map(PathBuf::from))
            .unwrap_or_else(|| state_dir.join("factdesk.db")),
        state_dir,
        http,
        metrics,
        api_base: cli
            .api_base
            .clone()
            .or_else(|| env("DISCORD_API_BASE"))
            .or_else(|| text_of(&raw.api_base)),
        application_id,
        register: cli
            .register
            .or_else(|| bool_env("FACTDESK_REGISTER"))
            .or(raw.register)
            .unwrap_or(false),
        guild,
        log_json,
        digest_enabled: bool_env("FACTDESK_DIGEST")
            .or(raw.digest.enabled)
            .unwrap_or(true),
        catch_up: Duration::from_secs_f64(catch_up_hours.clamp(0.0, 48.0) * 3600.0),
        subscriptions,
    })
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
        "{}: ok — facts {}, state {}, digest {} ({} configured subscriptions)",
        locate(path).map_or(
            "no config file (defaults and environment)".to_owned(),
            |f| f.display().to_string()
        ),
        s.facts.display(),
        s.state_dir.display(),
        if s.digest_enabled { "on" } else { "off" },
        s.subscriptions.len()
    )
}
