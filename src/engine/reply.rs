//! What the bot sends back, and the exact JSON Discord receives for it.
//!
//! Every transport sends [`Response::to_json`] bytes unchanged, so `factdesk ask --json` shows
//! precisely what the gateway and HTTP endpoint send. Discord's message limits are enforced
//! here: [`Reply::fit`] cuts an overflow at a word boundary with "…" rather than letting
//! Discord reject the message, and [`Reply::overflows`] lets `check` catch it beforehand.

use serde::Serialize;

/// Message content limit.
pub const MAX_CONTENT: usize = 2000;
/// Embed limits.
pub const MAX_EMBED_TITLE: usize = 256;
pub const MAX_EMBED_DESCRIPTION: usize = 4096;
pub const MAX_EMBED_FIELDS: usize = 25;
pub const MAX_FIELD_NAME: usize = 256;
pub const MAX_FIELD_VALUE: usize = 1024;
pub const MAX_FOOTER: usize = 2048;
pub const MAX_EMBEDS_TOTAL: usize = 6000;
/// At most this many autocomplete choices.
pub const MAX_CHOICES: usize = 25;
/// Discord's `MessageFlags::EPHEMERAL`.
const EPHEMERAL: u64 = 1 << 6;

/// One embed field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// An embed footer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footer {
    pub text: String,
}

/// A rich embed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<EmbedField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<Footer>,
}

/// At most this many buttons in one action row, and rows in one message.
pub const MAX_BUTTONS_PER_ROW: usize = 5;
pub const MAX_ROWS: usize = 5;
/// A button's `custom_id` and label limits.
pub const MAX_CUSTOM_ID: usize = 100;
pub const MAX_LABEL: usize = 80;

/// A message button.
#[derive(Debug, Clone, PartialEq)]
pub enum Button {
    /// Pressing it sends a component interaction carrying `custom_id` back to the bot.
    Press { label: String, custom_id: String },
    /// Opens `url`; Discord sends the bot nothing.
    Link { label: String, url: String },
}

/// A message reply: content, embeds and buttons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub content: String,
    pub embeds: Vec<Embed>,
    /// Only the reader sees it (errors, refusals, `hide:true`).
    pub ephemeral: bool,
    /// Buttons, laid out in rows of five.
    pub buttons: Vec<Button>,
    /// The one user this reply may ping (`mention:@someone`); nobody else, ever.
    pub mention: Option<u64>,
    /// The one role this reply may ping (an alert channel's opt-in role); no other.
    pub role_mention: Option<u64>,
    /// The facts and updates the reply shows, for its Source button (not sent).
    pub shown: Vec<super::shown::Shown>,
    /// The reply explains a mistake or apologises for a failure (for metrics; not sent).
    pub refused: bool,
}

/// An autocomplete suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutocompleteChoice {
    pub name: String,
    pub value: String,
}

/// What the engine answers to an invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// `CHANNEL_MESSAGE_WITH_SOURCE` (type 4).
    Message(Reply),
    /// `APPLICATION_COMMAND_AUTOCOMPLETE_RESULT` (type 8).
    Autocomplete(Vec<AutocompleteChoice>),
    /// `PONG` (type 1), the answer to Discord's PING on the HTTP endpoint.
    Pong,
    /// `DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE` (type 5): the answer is coming (it waits on a
    /// service); the transport edits it in when ready. Ephemeral when the answer will be,
    /// because a deferred response's visibility cannot change later.
    Deferred { ephemeral: bool },
}

#[derive(Serialize)]
struct DeferredPayload {
    flags: u64,
}

#[derive(Serialize)]
struct AllowedMentions {
    parse: [&'static str; 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<[String; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<[String; 1]>,
}

#[derive(Serialize)]
struct ActionRow<'a> {
    #[serde(rename = "type")]
    kind: u8,
    components: Vec<ButtonPayload<'a>>,
}

#[derive(Serialize)]
struct ButtonPayload<'a> {
    #[serde(rename = "type")]
    kind: u8,
    style: u8,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

/// Buttons as Discord's action rows (type 1) of buttons (type 2): secondary (2) or link (5).
fn rows(buttons: &[Button]) -> Vec<ActionRow<'_>> {
    buttons
        .chunks(MAX_BUTTONS_PER_ROW)
        .take(MAX_ROWS)
        .map(|chunk| ActionRow {
            kind: 1,
            components: chunk
                .iter()
                .map(|b| match b {
                    Button::Press { label, custom_id } => ButtonPayload {
                        kind: 2,
                        style: 2,
                        label,
                        custom_id: Some(custom_id),
                        url: None,
                    },
                    Button::Link { label, url } => ButtonPayload {
                        kind: 2,
                        style: 5,
                        label,
                        custom_id: None,
                        url: Some(url),
                    },
                })
                .collect(),
        })
        .collect()
}

/// The message payload Discord expects in an interaction response or a create-message call.
#[derive(Serialize)]
pub struct MessagePayload<'a> {
    content: &'a str,
    #[serde(skip_serializing_if = "<[Embed]>::is_empty")]
    embeds: &'a [Embed],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<ActionRow<'a>>,
    /// No fact and no user input may ping @everyone or a role; only the user a reader named
    /// with `mention:`, or the role an alert channel opted into, may be pinged.
    allowed_mentions: AllowedMentions,
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<u64>,
    /// Set only for channel posts that must be sent at most once (the digest).
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enforce_nonce: Option<bool>,
}

#[derive(Serialize)]
struct ChoicesPayload<'a> {
    choices: &'a [AutocompleteChoice],
}

#[derive(Serialize)]
struct InteractionResponse<T> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

impl Reply {
    /// A reply only the reader sees.
    pub fn ephemeral(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            ephemeral: true,
            ..Self::default()
        }
    }

    /// The first line a reader sees: the content's, or (for an embed-only message) the first
    /// embed's title. Used to recognise a post of ours among a channel's messages.
    pub fn headline(&self) -> &str {
        match self.content.lines().next() {
            Some(line) if !line.trim().is_empty() => line,
            _ => self
                .embeds
                .first()
                .and_then(|e| e.title.as_deref())
                .unwrap_or_default(),
        }
    }

    /// A public reply.
    pub fn public(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            ..Self::default()
        }
    }

    /// The message body as Discord expects it, for interaction responses.
    pub fn payload(&self) -> MessagePayload<'_> {
        MessagePayload {
            content: &self.content,
            embeds: &self.embeds,
            components: rows(&self.buttons),
            allowed_mentions: AllowedMentions {
                parse: [],
                users: self.mention.map(|id| [id.to_string()]),
                roles: self.role_mention.map(|id| [id.to_string()]),
            },
            flags: self.ephemeral.then_some(EPHEMERAL),
            nonce: None,
            enforce_nonce: None,
        }
    }

    /// The body of a `POST /channels/{id}/messages` that Discord accepts at most once per
    /// `nonce` (within its dedup window).
    pub fn channel_message_json(&self, nonce: &str) -> String {
        let payload = MessagePayload {
            flags: None,
            nonce: Some(nonce),
            enforce_nonce: Some(true),
            ..self.payload()
        };
        serde_json::to_string(&payload).expect("a message payload always serializes")
    }

    /// The body of a `PATCH …/messages/@original` that replaces a deferred response with this
    /// reply (visibility was fixed by the deferral, so no flags).
    pub fn edit_json(&self) -> String {
        let payload = MessagePayload {
            flags: None,
            ..self.payload()
        };
        serde_json::to_string(&payload).expect("a message payload always serializes")
    }

    /// Every Discord limit this reply exceeds, as readable lines (empty when it fits).
    pub fn overflows(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |what: &str, text: &str, max: usize| {
            let len = text.chars().count();
            if len > max {
                out.push(format!("{what} is {len} characters, Discord allows {max}"));
            }
        };
        check("content", &self.content, MAX_CONTENT);
        for b in &self.buttons {
            match b {
                Button::Press { label, custom_id } => {
                    check("button label", label, MAX_LABEL);
                    check("button custom_id", custom_id, MAX_CUSTOM_ID);
                }
                Button::Link { label, .. } => check("button label", label, MAX_LABEL),
            }
        }
        for e in &self.embeds {
            check(
                "embed title",
                e.title.as_deref().unwrap_or(""),
                MAX_EMBED_TITLE,
            );
            check(
                "embed description",
                e.description.as_deref().unwrap_or(""),
                MAX_EMBED_DESCRIPTION,
            );
            check(
                "embed footer",
                e.footer.as_ref().map_or("", |f| &f.text),
                MAX_FOOTER,
            );
            for f in &e.fields {
                check("embed field name", &f.name, MAX_FIELD_NAME);
                check("embed field value", &f.value, MAX_FIELD_VALUE);
            }
        }
        for e in &self.embeds {
            if e.fields.len() > MAX_EMBED_FIELDS {
                out.push(format!(
                    "{} embed fields, Discord allows {MAX_EMBED_FIELDS}",
                    e.fields.len()
                ));
            }
        }
        let total = self.embeds_total();
        if total > MAX_EMBEDS_TOTAL {
            out.push(format!(
                "embeds total {total} characters, Discord allows {MAX_EMBEDS_TOTAL}"
            ));
        }
        if self.buttons.len() > MAX_BUTTONS_PER_ROW * MAX_ROWS {
            out.push(format!(
                "{} buttons, Discord allows {}",
                self.buttons.len(),
                MAX_BUTTONS_PER_ROW * MAX_ROWS
            ));
        }
        if self.content.trim().is_empty() && self.embeds.is_empty() {
            out.push("the reply is empty; Discord rejects an empty message".into());
        }
        out
    }

    fn embeds_total(&self) -> usize {
        let len = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
        self.embeds
            .iter()
            .map(|e| {
                len(&e.title)
                    + len(&e.description)
                    + e.footer.as_ref().map_or(0, |f| f.text.chars().count())
                    + e.fields
                        .iter()
                        .map(|f| f.name.chars().count() + f.value.chars().count())
                        .sum::<usize>()
            })
            .sum()
    }

    /// Cuts every part that exceeds a Discord limit at a word boundary, ending it with "…".
    pub fn fit(&mut self) {
        cut(&mut self.content, MAX_CONTENT);
        for e in &mut self.embeds {
            if let Some(t) = &mut e.title {
                cut(t, MAX_EMBED_TITLE);
            }
            if let Some(d) = &mut e.description {
                cut(d, MAX_EMBED_DESCRIPTION);
            }
            if let Some(f) = &mut e.footer {
                cut(&mut f.text, MAX_FOOTER);
            }
            e.fields.truncate(MAX_EMBED_FIELDS);
            for f in &mut e.fields {
                cut(&mut f.name, MAX_FIELD_NAME);
                cut(&mut f.value, MAX_FIELD_VALUE);
            }
        }
        // All embeds together: shorten descriptions from the last embed backwards.
        while self.embeds_total() > MAX_EMBEDS_TOTAL {
            let excess = self.embeds_total() - MAX_EMBEDS_TOTAL;
            let Some(d) = self
                .embeds
                .iter_mut()
                .rev()
                .find_map(|e| e.description.as_mut().filter(|d| !d.is_empty()))
            else {
                self.embeds.pop();
                continue;
            };
            let keep = d.chars().count().saturating_sub(excess);
            cut(d, keep);
        }
    }
}

/// Shortens `text` to at most `max` characters, at a word boundary, ending with "…".
pub fn cut(text: &mut String, max: usize) {
    if text.chars().count() <= max {
        return;
    }
    if max == 0 {
        text.clear();
        return;
    }
    // Room for the ellipsis.
    let limit = text
        .char_indices()
        .nth(max - 1)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..limit];
    let at = head
        .rfind(char::is_whitespace)
        .filter(|&i| i > limit / 2)
        .unwrap_or(limit);
    let kept = head[..at].trim_end().to_owned();
    *text = kept + "…";
}

impl Response {
    /// The interaction response JSON, byte for byte what every transport sends.
    pub fn to_json(&self) -> String {
        let json = match self {
            Response::Message(reply) => serde_json::to_string(&InteractionResponse {
                kind: 4,
                data: Some(reply.payload()),
            }),
            Response::Autocomplete(choices) => serde_json::to_string(&InteractionResponse {
                kind: 8,
                data: Some(ChoicesPayload { choices }),
            }),
            Response::Pong => serde_json::to_string(&InteractionResponse::<()> {
                kind: 1,
                data: None,
            }),
            Response::Deferred { ephemeral } => serde_json::to_string(&InteractionResponse {
                kind: 5,
                data: ephemeral.then_some(DeferredPayload { flags: EPHEMERAL }),
            }),
        };
        json.expect("interaction responses are plain data and always serialize")
    }

    /// The reply, when this is a message.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Response::Message(r) => Some(r),
            _ => None,
        }
    }

    /// The `custom_id`s of the reply's buttons that send a press, in order (`chat` numbers
    /// them from 1).
    pub fn pressable(&self) -> Vec<String> {
        self.reply()
            .map(|r| {
                r.buttons
                    .iter()
                    .filter_map(|b| match b {
                        Button::Press { custom_id, .. } => Some(custom_id.clone()),
                        Button::Link { .. } => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// [`Response::to_text`] for a reader at a terminal: Discord timestamps (`<t:…>`), which
    /// only a Discord client can show, written out as dates and times in `zone`, relative ones
    /// counted from `now`. What `factdesk ask` prints (`--json` keeps the markers).
    pub fn to_text_in(&self, zone: &jiff::tz::TimeZone, now: jiff::Timestamp) -> String {
        super::timestamp::readable(&self.to_text(), zone, now)
    }

    /// Plain text for a terminal: content, then each embed's parts, then the buttons. Discord timestamps stay
    /// markers; [`Response::to_text_in`] writes them out.
    pub fn to_text(&self) -> String {
        match self {
            Response::Message(r) => {
                let mut out = r.content.clone();
                for e in &r.embeds {
                    for p in [&e.title, &e.description].into_iter().flatten() {
                        out.push_str("\n\n");
                        out.push_str(p);
                    }
                    for f in &e.fields {
                        out.push_str(&format!("\n\n{}\n{}", f.name, f.value));
                    }
                    if let Some(f) = &e.footer {
                        out.push_str(&format!("\n\n— {}", f.text));
                    }
                }
                // An embed-only message has no content to come first.
                let mut out = out.trim_start_matches('\n').to_owned();
                let mut pressable = 0;
                let buttons: Vec<String> = r
                    .buttons
                    .iter()
                    .map(|b| match b {
                        Button::Press { label, .. } => {
                            pressable += 1;
                            format!("[{pressable}: {label}]")
                        }
                        Button::Link { label, url } => format!("[{label}: {url}]"),
                    })
                    .collect();
                if !buttons.is_empty() {
                    out.push_str("\n\n");
                    out.push_str(&buttons.join(" "));
                }
                if r.ephemeral {
                    out.push_str("\n\n(only you can see this)");
                }
                out
            }
            Response::Autocomplete(choices) => choices
                .iter()
                .map(|c| format!("{} ({})", c.name, c.value))
                .collect::<Vec<_>>()
                .join("\n"),
            Response::Pong => "pong".into(),
            Response::Deferred { .. } => "(the answer is on its way)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_stops_at_a_word_boundary_with_an_ellipsis() {
        let mut s = "the quick brown fox jumps".to_owned();
        cut(&mut s, 12);
        assert_eq!(s, "the quick…");
        assert!(s.chars().count() <= 12);
    }

    #[test]
    fn cut_leaves_short_text_alone_and_handles_multibyte() {
        let mut s = "déjà vu".to_owned();
        cut(&mut s, 7);
        assert_eq!(s, "déjà vu");
        let mut long = "é".repeat(3000);
        cut(&mut long, MAX_CONTENT);
        assert_eq!(long.chars().count(), MAX_CONTENT);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn fit_brings_every_part_within_limits() {
        let word = "word ";
        let mut reply = Reply::public(word.repeat(1000));
        reply.embeds = vec![
            Embed {
                description: Some(word.repeat(1000)),
                ..Embed::default()
            },
            Embed {
                description: Some(word.repeat(1000)),
                ..Embed::default()
            },
        ];
        assert!(!reply.overflows().is_empty());
        reply.fit();
        assert_eq!(reply.overflows(), Vec::<String>::new());
        assert!(reply.content.ends_with("word…"));
    }

    #[test]
    fn every_message_forbids_mentions() {
        let json = Response::Message(Reply::public("@everyone hi")).to_json();
        assert_eq!(
            json,
            r#"{"type":4,"data":{"content":"@everyone hi","allowed_mentions":{"parse":[]}}}"#
        );
        let eph = Response::Message(Reply::ephemeral("x")).to_json();
        assert!(eph.contains(r#""flags":64"#));
        assert!(Reply::public("x")
            .channel_message_json("n1")
            .contains(r#""allowed_mentions":{"parse":[]}"#));
        let alert = Reply {
            role_mention: Some(7),
            ..Reply::public("<@&7> @everyone")
        };
        assert!(alert
            .channel_message_json("n1")
            .contains(r#""allowed_mentions":{"parse":[],"roles":["7"]}"#));
    }
}
