//! Discord timestamps: `<t:UNIX:STYLE>` in a message shows every reader the instant in their
//! own time zone and language. Replies mark instants this way — the next and last digest,
//! update times, when the first day begins — while calendar days of the event stay dates in
//! the event's zone: a day turned into a midnight timestamp shows the wrong day abroad.
//!
//! A terminal has no Discord client to read the markers: [`readable`] writes them out in a
//! zone, so `factdesk ask` prints dates and times while `--json` shows exactly what Discord
//! gets. Templates make markers with `discord_time(seconds, style)` ([`template_function`]).

use jiff::tz::TimeZone;
use jiff::Timestamp;
use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

/// How Discord shows a timestamp (the letter after the seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `t`: 16:20
    ShortTime,
    /// `T`: 16:20:30
    LongTime,
    /// `d`: 20/04/2021
    ShortDate,
    /// `D`: 20 April 2021
    LongDate,
    /// `f` (Discord's default): 20 April 2021 16:20
    ShortDateTime,
    /// `F`: Tuesday, 20 April 2021 16:20
    LongDateTime,
    /// `R`: in 2 months, 3 days ago
    Relative,
}

/// Every style, by its letter.
const STYLES: [(char, Style); 7] = [
    ('t', Style::ShortTime),
    ('T', Style::LongTime),
    ('d', Style::ShortDate),
    ('D', Style::LongDate),
    ('f', Style::ShortDateTime),
    ('F', Style::LongDateTime),
    ('R', Style::Relative),
];

impl Style {
    /// The style a letter names (`"R"`), if any.
    pub fn from_letter(letter: &str) -> Option<Style> {
        let mut chars = letter.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        STYLES.iter().find(|(l, _)| *l == c).map(|(_, s)| *s)
    }

    fn letter(self) -> char {
        STYLES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or('f', |(l, _)| *l)
    }

    /// How a terminal writes this style out (English, with the zone's abbreviation).
    fn format(self) -> &'static str {
        match self {
            Style::ShortTime => "%H:%M %Z",
            Style::LongTime => "%H:%M:%S %Z",
            Style::ShortDate => "%-d %b %Y",
            Style::LongDate => "%-d %B %Y",
            Style::ShortDateTime | Style::Relative => "%-d %B %Y, %H:%M %Z",
            Style::LongDateTime => "%A %-d %B %Y, %H:%M %Z",
        }
    }
}

/// The marker Discord shows as `at` in `style`.
pub fn marker(at: Timestamp, style: Style) -> String {
    format!("<t:{}:{}>", at.as_second(), style.letter())
}

/// `text` with every Discord timestamp written out for a terminal: dates and times in `zone`,
/// relative ones ("in 3 days") counted from `now`. Anything that is not a whole marker is
/// left as it is.
pub fn readable(text: &str, zone: &TimeZone, now: Timestamp) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<t:") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match parse(rest) {
            Some((instant, style, len)) => {
                out.push_str(&write_out(instant, style, zone, now));
                rest = &rest[len..];
            }
            None => {
                out.push_str("<t:");
                rest = &rest[3..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The marker at the start of `text`: its instant, style and length in bytes.
fn parse(text: &str) -> Option<(Timestamp, Style, usize)> {
    let body = text.strip_prefix("<t:")?;
    let end = body.find('>')?;
    let (seconds, style) = match body[..end].split_once(':') {
        Some((seconds, letter)) => (seconds, Style::from_letter(letter)?),
        None => (&body[..end], Style::ShortDateTime),
    };
    let instant = Timestamp::from_second(seconds.parse().ok()?).ok()?;
    Some((instant, style, 3 + end + 1))
}

fn write_out(at: Timestamp, style: Style, zone: &TimeZone, now: Timestamp) -> String {
    match style {
        Style::Relative => relative(at, now),
        other => at
            .to_zoned(zone.clone())
            .strftime(other.format())
            .to_string(),
    }
}

/// "in 5 days", "3 hours ago": rounded as Discord's clients round them.
fn relative(at: Timestamp, now: Timestamp) -> String {
    let seconds = at.as_second() - now.as_second();
    let s = seconds.unsigned_abs() as f64;
    let round = |unit: f64| (s / unit).round() as u64;
    let amount = match s {
        s if s < 45.0 => "a few seconds".to_owned(),
        s if s < 90.0 => "a minute".to_owned(),
        s if s < 45.0 * 60.0 => format!("{} minutes", round(60.0)),
        s if s < 90.0 * 60.0 => "an hour".to_owned(),
        s if s < 22.0 * 3600.0 => format!("{} hours", round(3600.0)),
        s if s < 36.0 * 3600.0 => "a day".to_owned(),
        s if s < 26.0 * 86400.0 => format!("{} days", round(86400.0)),
        s if s < 45.0 * 86400.0 => "a month".to_owned(),
        s if s < 320.0 * 86400.0 => format!("{} months", round(30.0 * 86400.0)),
        s if s < 548.0 * 86400.0 => "a year".to_owned(),
        _ => format!("{} years", round(365.0 * 86400.0)),
    };
    match seconds < 0 {
        true => format!("{amount} ago"),
        false => format!("in {amount}"),
    }
}

/// The template helper `discord_time(seconds, style)` (also a filter: `seconds|discord_time`):
/// a marker for unix seconds (such as `event.starts_at` or an update's `at`) or an RFC 3339
/// instant, in style `t`, `T`, `d`, `D`, `f` (the default), `F` or `R`. A calendar day is
/// refused: it stays a date.
pub fn template_function(at: Value, style: Option<&str>) -> Result<String, Error> {
    let style = match style {
        None => Style::ShortDateTime,
        Some(letter) => Style::from_letter(letter).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("discord_time: `{letter}` is not a style; use t, T, d, D, f, F or R"),
            )
        })?,
    };
    let instant = match at.as_str() {
        Some(text) => text.parse::<Timestamp>().ok(),
        None => i64::try_from(at.clone())
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok()),
    };
    let instant = instant.ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("discord_time: `{at}` is not an instant; give unix seconds (event.starts_at, an update's at) — a calendar day such as event.start stays a date"),
        )
    })?;
    Ok(marker(instant, style))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a test instant")
    }

    #[test]
    fn markers_read_in_the_zone_given() {
        let kolkata = TimeZone::get("Asia/Kolkata").expect("tzdb");
        let now = at("2026-02-20T08:00:00Z");
        let next = at("2026-02-25T02:30:00Z");
        let text = format!(
            "Next digest: {} ({}).",
            marker(next, Style::LongDateTime),
            marker(next, Style::Relative)
        );
        assert_eq!(text, "Next digest: <t:1771986600:F> (<t:1771986600:R>).");
        assert_eq!(
            readable(&text, &kolkata, now),
            "Next digest: Wednesday 25 February 2026, 08:00 IST (in 5 days)."
        );
        assert_eq!(
            readable(
                "<t:1771986600> <t:1771986600:t> <t:1771986600:D>",
                &TimeZone::UTC,
                now
            ),
            "25 February 2026, 02:30 UTC 02:30 UTC 25 February 2026"
        );
    }

    #[test]
    fn anything_but_a_whole_marker_is_left_alone() {
        let utc = TimeZone::UTC;
        let now = at("2026-02-20T08:00:00Z");
        for text in ["<t:", "<t:12", "<t:abc:R>", "<t:1771986600:Q>", "a <t:x> b"] {
            assert_eq!(readable(text, &utc, now), text);
        }
        assert_eq!(
            readable("<t:<t:0:d>>", &utc, now),
            "<t:1 Jan 1970>",
            "a broken marker before a whole one"
        );
    }

    #[test]
    fn relative_times_round_like_discord() {
        let now = at("2026-02-20T12:00:00Z");
        let cases = [
            ("2026-02-20T12:00:30Z", "in a few seconds"),
            ("2026-02-20T12:20:00Z", "in 20 minutes"),
            ("2026-02-20T21:00:00Z", "in 9 hours"),
            ("2026-02-21T12:00:00Z", "in a day"),
            ("2026-02-25T02:00:00Z", "in 5 days"),
            ("2026-02-19T12:00:00Z", "a day ago"),
            ("2026-01-01T12:00:00Z", "2 months ago"),
        ];
        for (then, said) in cases {
            assert_eq!(relative(at(then), now), said, "{then}");
        }
    }

    #[test]
    fn the_template_helper_takes_seconds_or_an_instant_and_refuses_a_day() {
        let seconds = Value::from(1771970400_i64);
        assert_eq!(
            template_function(seconds.clone(), Some("R")).expect("marker"),
            "<t:1771970400:R>"
        );
        assert_eq!(
            template_function(seconds.clone(), None).expect("marker"),
            "<t:1771970400:f>"
        );
        assert_eq!(
            template_function(Value::from("2026-02-25T00:00:00+02:00"), Some("t")).expect("marker"),
            "<t:1771970400:t>"
        );
        let day = template_function(Value::from("25 February 2026"), None).expect_err("a day");
        assert!(day.to_string().contains("stays a date"), "{day}");
        let style = template_function(seconds, Some("x")).expect_err("no style x");
        assert!(
            style.to_string().contains("use t, T, d, D, f, F or R"),
            "{style}"
        );
    }
}
