//! The command line's arguments (clap): one definition serves parsing, `--help` and the
//! README's table. `src/main.rs` parses them and maps results to exit codes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "factdesk",
    version,
    about = "An event-summary Discord bot that answers from a sourced fact base"
)]
pub struct Cli {
    /// The configuration file (default: factdesk.toml in the working directory, if present).
    #[arg(long, global = true, env = "FACTDESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the facts are, and the clock.
#[derive(clap::Args, Clone, Default)]
pub struct Common {
    /// The fact base to load [default: facts.toml].
    #[arg(long, env = "FACTDESK_FACTS")]
    pub facts: Option<PathBuf>,
    /// Pin the clock (RFC 3339, e.g. 2026-02-25T10:00:00+02:00); default: now. `serve` starts
    /// its clock there and lets it run.
    #[arg(long, value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
}

/// Where Discord is and who the bot is, for the commands that talk to Discord or keep state.
/// The token is read only from the environment (`DISCORD_TOKEN`), never from a flag, so it
/// does not show in process listings.
#[derive(clap::Args, Clone, Default)]
pub struct Discord {
    /// Discord's API base; set to http://127.0.0.1:PORT to use a local stand-in.
    #[arg(long, env = "DISCORD_API_BASE")]
    pub api_base: Option<String>,
    /// The application id (looked up with the token when not given).
    #[arg(long, env = "DISCORD_APPLICATION_ID")]
    pub application_id: Option<u64>,
    /// Where state is kept: the digest database and the registration fingerprint [default: state].
    #[arg(long, env = "FACTDESK_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Register in this guild instead of globally (guild commands update instantly).
    #[arg(long, env = "FACTDESK_GUILD")]
    pub guild: Option<u64>,
}

/// Who reads the replies of `ask` and `chat`, and how they are printed.
#[derive(clap::Args, Clone, Default)]
pub struct Reader {
    /// The Discord locale (e.g. en-US, hi) of the reader and of the server: the reply's
    /// language where facts.toml ships it, and the reader's time zone.
    #[arg(long)]
    pub locale: Option<String>,
    /// Print the exact interaction-response JSON Discord would receive.
    #[arg(long)]
    pub json: bool,
}

/// What `ask` answers: a slash line, a button press or a message's "Ask factdesk".
#[derive(Args)]
#[group(skip)]
pub struct Asked {
    /// The command as typed in Discord, as one quoted argument: '/systems name:Arrow'.
    pub line: Option<String>,
    /// Press the button with this custom_id (as printed by --json) instead.
    #[arg(long, value_name = "CUSTOM_ID", conflicts_with_all = ["line", "message"])]
    pub component: Option<String>,
    /// Use "Ask factdesk" from the Apps menu of a message with this text instead.
    #[arg(long, value_name = "TEXT", conflicts_with = "line")]
    pub message: Option<String>,
    /// Words after the line (refused, with how to quote).
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate the fact base; exit 0 when valid, 1 with every problem when not. A valid one
    /// also gets a warning for each stale hedge at --now (a plan the event's end left unsettled).
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Print the bot's reply to one slash command, e.g. `factdesk ask '/systems name:Arrow'`.
    Ask {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
        #[command(flatten)]
        asked: Asked,
    },
    /// Type slash commands interactively (with history).
    Chat {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
    },
    /// Run the bot: the gateway (with DISCORD_TOKEN), the HTTP endpoint (--http) and the
    /// digest scheduler, until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
        /// Serve the HTTP interactions endpoint on this address (needs DISCORD_PUBLIC_KEY).
        #[arg(long, env = "FACTDESK_HTTP_ADDR")]
        http: Option<SocketAddr>,
        /// Serve /metrics and /healthz on this address (also when only the gateway runs).
        #[arg(long, env = "FACTDESK_METRICS_ADDR")]
        metrics: Option<SocketAddr>,
        /// Register the commands at start-up, only when they changed since the last time.
        #[arg(long)]
        register: bool,
        /// Do not run the digest scheduler in this process.
        #[arg(long)]
        no_digest: bool,
        /// Hold no gateway session even with DISCORD_TOKEN: a digest worker, posting only.
        #[arg(long)]
        no_gateway: bool,
    },
    /// Overwrite the application's commands with the fact base's (one bulk request).
    Register {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
    },
    /// Print the URL that adds the bot to a server, with the scopes and permissions it needs.
    Invite {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
    },
    /// The questions `/ask` could not answer, most asked first, so editors know what to add.
    Misses {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
        /// Only questions last asked on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<jiff::civil::Date>,
    },
    /// Remove what the state database keeps about a server: its digest subscriptions, delivery
    /// log, history and incidents.
    Forget {
        #[command(flatten)]
        common: Common,
        /// Where state is kept [default: state].
        #[arg(long, env = "FACTDESK_STATE_DIR")]
        state_dir: Option<PathBuf>,
        /// The server (guild) id.
        #[arg(long, value_name = "ID")]
        guild: u64,
    },
    /// The daily digest: preview it, list subscriptions, or send a day's digest now (exactly once).
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// Change alerts: list the channels that get them.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
    /// The configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Editors: add a source; its text is copied to sources/ID.txt beside the fact base.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Editors: add, retract and list the dated updates of the fact base.
    Update {
        #[command(subcommand)]
        command: UpdateCommand,
    },
}

/// Editing the fact base's sources. Like every edit, refused — nothing written, exit 1 with
/// every problem — unless the edited fact base passes `factdesk check`.
#[derive(Subcommand)]
pub enum SourceCommand {
    /// Copy a source's text to sources/ID.txt beside the fact base and append its [[sources]]
    /// entry (comments and layout kept; written atomically).
    Add {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        source: NewSource,
    },
}

/// A source to add.
#[derive(Args)]
pub struct NewSource {
    /// Its id: lowercase letters, digits, `-` and `_` (also the name of its text file).
    #[arg(long)]
    pub id: String,
    /// Its title, as published.
    #[arg(long)]
    pub title: String,
    /// A UTF-8 text file with the source's words: quotes are checked against it.
    #[arg(long)]
    pub file: PathBuf,
    /// Who published it (replies say "per PUBLISHER").
    #[arg(long)]
    pub publisher: Option<String>,
    /// When it was published.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<jiff::civil::Date>,
    /// Where it can be read.
    #[arg(long)]
    pub url: Option<String>,
}

/// Editing the fact base's updates. Like every edit, refused — nothing written, exit 1 with
/// every problem at file:line:column — unless the edited fact base passes `factdesk check`.
#[derive(Subcommand)]
pub enum UpdateCommand {
    /// Append an [[updates]] entry (comments and layout kept; written atomically).
    Add {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        update: NewUpdate,
        /// Print the entry and how the replies it changes would read; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Withdraw an update without deleting it: replies stop using it and say it was withdrawn.
    Retract {
        #[command(flatten)]
        common: Common,
        /// The update's id (see `factdesk update list`).
        id: String,
        /// Why it is withdrawn (shown with its quote under the Source button).
        #[arg(long)]
        reason: String,
        /// When it was withdrawn (RFC 3339) [default: now].
        #[arg(long, value_parser = parse_time)]
        time: Option<String>,
    },
    /// Every update: id, time, certainty, status and text.
    List {
        #[command(flatten)]
        common: Common,
    },
}

/// An update to add.
#[derive(Args)]
pub struct NewUpdate {
    /// The id of the [[sources]] entry it rests on.
    #[arg(long)]
    pub source: String,
    /// The words it rests on, verbatim from the source.
    #[arg(long)]
    pub quote: String,
    /// How sure the source is: scheduled, expected, likely, possible, reported,
    /// under_consideration or confirmed.
    #[arg(long)]
    pub certainty: String,
    /// One plain sentence the bot may say, keeping the hedge of its certainty.
    #[arg(long)]
    pub text: String,
    /// Its id [default: its day and source, e.g. 2026-02-26-visit-article].
    #[arg(long)]
    pub id: Option<String>,
    /// The id of the fact it replaces in replies (which then give its history).
    #[arg(long, value_name = "FACT_ID")]
    pub supersedes: Option<String>,
    /// When it was made (RFC 3339) [default: now].
    #[arg(long, value_parser = parse_time)]
    pub time: Option<String>,
}

impl SourceCommand {
    /// Where the fact base is.
    pub fn common(&self) -> &Common {
        match self {
            SourceCommand::Add { common, .. } => common,
        }
    }
}

impl UpdateCommand {
    /// Where the fact base is, and the clock.
    pub fn common(&self) -> &Common {
        match self {
            UpdateCommand::Add { common, .. }
            | UpdateCommand::Retract { common, .. }
            | UpdateCommand::List { common } => common,
        }
    }
}

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Every alert channel: role, last alert, pauses, publishing problems.
    List {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
    },
}

#[derive(Subcommand)]
pub enum DigestCommand {
    /// Print the digest as it would be posted now.
    Preview {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
        /// Use this channel's subscription (time zone, updates since its last digest).
        #[arg(long)]
        channel: Option<u64>,
        /// The time zone to render in (default: the channel's, else the event's).
        #[arg(long)]
        timezone: Option<String>,
    },
    /// Every subscription: schedule, next digest, last delivery, pauses and skips.
    List {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
    },
    /// Claim and post a channel's digest for a day through the exactly-once path.
    SendNow {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        discord: Discord,
        #[arg(long)]
        channel: u64,
        /// The channel's local date (default: today there).
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Post again even if the day was delivered.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file; exit 0 or 1 with file:line:column errors.
    Check,
}

/// Reads an RFC 3339 instant for `--now`.
pub fn parse_now(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        format!(
            "`{text}` is not an RFC 3339 time with an offset ({e}); e.g. 2026-02-25T10:00:00+02:00"
        )
    })
}

/// Checks an RFC 3339 time written into the fact base, and keeps it as typed (its offset too).
pub fn parse_time(text: &str) -> Result<String, String> {
    parse_now(text).map(|_| text.to_owned())
}
