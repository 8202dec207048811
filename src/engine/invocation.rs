//! What a reader asked for, independent of how it arrived (CLI line, gateway event, HTTP POST).

use std::fmt;

/// A typed option value, as Discord sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    /// A Discord user id (a `user` option).
    User(u64),
    /// A Discord role id (a `role` option).
    Role(u64),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::String(s) => f.write_str(s),
            OptionValue::Integer(i) => write!(f, "{i}"),
            OptionValue::Number(n) => write!(f, "{n}"),
            OptionValue::Boolean(b) => write!(f, "{b}"),
            OptionValue::User(id) => write!(f, "<@{id}>"),
            OptionValue::Role(id) => write!(f, "<@&{id}>"),
        }
    }
}

/// Who asked and where; transports fill what they know. Used by commands that depend on
/// permissions or the channel (`/digest`), never by fact replies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Caller {
    pub guild_id: Option<u64>,
    pub channel_id: Option<u64>,
    pub user_id: Option<u64>,
    /// The member's resolved permissions bit set, when Discord sent it.
    pub permissions: Option<u64>,
    /// The bot's own permissions in the channel (`app_permissions`), when Discord sent them.
    pub app_permissions: Option<u64>,
    /// The channel's type (0 text, 5 announcement, …), when Discord sent it.
    pub channel_kind: Option<u8>,
}

/// The message a message context-menu command was used on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetMessage {
    pub id: u64,
    /// Its text (Discord includes it for the target of a message command).
    pub content: String,
}

/// One command invocation (or autocomplete request, button press or message command), ready
/// for [`super::Engine::dispatch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// Command name without the slash.
    pub command: String,
    /// Subcommand name, for commands that have them (`/digest subscribe`).
    pub subcommand: Option<String>,
    /// Options in the order given.
    pub options: Vec<(String, OptionValue)>,
    /// For autocomplete: the option being typed. `None` for a normal invocation.
    pub focused: Option<String>,
    /// The reader's Discord locale (`en-US`, `hi`, …), if known.
    pub locale: Option<String>,
    /// The server's locale, for answers the whole channel reads.
    pub guild_locale: Option<String>,
    /// For a button press: the button's `custom_id` (`command` is then empty).
    pub component: Option<String>,
    /// For a message context-menu command: the message it was used on.
    pub target: Option<TargetMessage>,
    /// The clock: every time-dependent phrase is computed from this instant.
    pub now: jiff::Timestamp,
    pub caller: Caller,
    /// Discord's id of the interaction, for logs (none on the command line).
    pub id: Option<u64>,
}

impl Invocation {
    /// A plain invocation of `command` at `now`, with no options.
    pub fn new(command: impl Into<String>, now: jiff::Timestamp) -> Self {
        Self {
            command: command.into(),
            subcommand: None,
            options: Vec::new(),
            focused: None,
            locale: None,
            guild_locale: None,
            component: None,
            target: None,
            now,
            caller: Caller::default(),
            id: None,
        }
    }

    /// A press of the button with `custom_id` at `now`.
    pub fn press(custom_id: impl Into<String>, now: jiff::Timestamp) -> Self {
        let mut inv = Self::new("", now);
        inv.component = Some(custom_id.into());
        inv
    }

    /// Adds an option (builder style).
    pub fn with_option(mut self, name: impl Into<String>, value: OptionValue) -> Self {
        self.options.push((name.into(), value));
        self
    }

    /// The value of option `name`, if given.
    pub fn option(&self, name: &str) -> Option<&OptionValue> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of option `name` as text, if given.
    pub fn option_text(&self, name: &str) -> Option<String> {
        self.option(name).map(ToString::to_string)
    }
}
