//! Where "now" stands relative to the event, in the event's own calendar.
//!
//! The engine never reads the system clock: the instant comes in with the [`Invocation`], so
//! tests and `--now` pin it. Day arithmetic is done on civil dates in the event's time zone
//! (jiff), so "day 1" starts at midnight in Jerusalem, whatever the server's zone.
//!
//! [`Invocation`]: super::Invocation

use serde::Serialize;

use super::language;
use crate::facts::{Event, Locale};

/// Where a moment falls relative to the event. Templates see it as `now.phase`, the strings
/// "before", "during" and "after": the hedge footers test those strings, so a change here would
/// silently drop them (the golden replies at three clocks guard it).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Before,
    During,
    After,
}

/// The template-facing view of the clock (`now.*` in templates).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Moment {
    /// The instant itself (not shown to templates: they show days, and instants through
    /// `discord_time`). Which updates have been made by then depends on it.
    #[serde(skip)]
    pub at: jiff::Timestamp,
    /// Before, during or after the event.
    pub phase: Phase,
    /// Today's date in the event's time zone, e.g. `Wednesday 25 February 2026`.
    pub today: String,
    /// Whole days until the first day (0 once it has started).
    pub days_until_start: i64,
    /// 1-based day of the event while it runs (0 outside it).
    pub event_day: i64,
    /// Whole days since the last day (0 until it has ended).
    pub days_since_end: i64,
    /// Length of the event in days.
    pub length_days: i64,
    /// The reader's time zone (from their locale), if the fact base maps it.
    pub reader_time_zone: Option<String>,
    /// Today's date in the reader's time zone, if known.
    pub reader_today: Option<String>,
    /// The dates behind `today` and `reader_today`, to name them in another language.
    #[serde(skip)]
    dates: (jiff::civil::Date, Option<jiff::civil::Date>),
}

/// How dates read in replies.
pub const DATE_FORMAT: &str = "%A %-d %B %Y";

/// Days from `a` to `b` (positive when `b` is later).
fn days_between(a: jiff::civil::Date, b: jiff::civil::Date) -> i64 {
    // Civil dates have no DST: the difference in days is exact.
    i64::from(
        b.since((jiff::Unit::Day, a))
            .map_or(0, |span| span.get_days()),
    )
}

impl Moment {
    /// The moment `now` relative to `event`, for a reader with `locale`.
    pub fn new(event: &Event, now: jiff::Timestamp, locale: Option<&str>) -> Moment {
        Moment::in_zone(event, now, &event.time_zone, locale)
    }

    /// Like [`Moment::new`], with "today" taken in `zone` (a digest channel's time zone)
    /// instead of the event's.
    pub fn in_zone(
        event: &Event,
        now: jiff::Timestamp,
        zone: &jiff::tz::TimeZone,
        locale: Option<&str>,
    ) -> Moment {
        let today = now.to_zoned(zone.clone()).date();
        let length_days = days_between(event.start, event.end) + 1;
        let (phase, days_until_start, event_day, days_since_end) = if today < event.start {
            (Phase::Before, days_between(today, event.start), 0, 0)
        } else if today <= event.end {
            (Phase::During, 0, days_between(event.start, today) + 1, 0)
        } else {
            (Phase::After, 0, 0, days_between(event.end, today))
        };
        let reader = reader_zone(event, locale);
        let reader_date = reader.map(|(_, tz)| now.to_zoned(tz.clone()).date());
        Moment {
            at: now,
            phase,
            today: today.strftime(DATE_FORMAT).to_string(),
            days_until_start,
            event_day,
            days_since_end,
            length_days,
            reader_time_zone: reader.map(|(name, _)| name.clone()),
            reader_today: reader_date.map(|d| d.strftime(DATE_FORMAT).to_string()),
            dates: (today, reader_date),
        }
    }

    /// This moment with its dates written in `lang` (month and weekday names).
    pub fn in_language(mut self, lang: Option<&Locale>) -> Moment {
        if lang.is_some() {
            let (today, reader) = self.dates;
            self.today = language::date(today, lang);
            self.reader_today = reader.map(|d| language::date(d, lang));
        }
        self
    }
}

/// The reader's time zone (its name and the zone) when the fact base maps their locale, or
/// its language (`hi` for `hi-IN`).
pub fn reader_zone<'a>(
    event: &'a Event,
    locale: Option<&str>,
) -> Option<&'a (String, jiff::tz::TimeZone)> {
    let locale = locale?;
    event.reader_time_zones.get(locale).or_else(|| {
        locale
            .split('-')
            .next()
            .and_then(|lang| event.reader_time_zones.get(lang))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn event() -> Event {
        let tz = jiff::tz::TimeZone::get("Asia/Jerusalem").unwrap();
        let mut readers = BTreeMap::new();
        readers.insert(
            "hi".to_owned(),
            (
                "Asia/Kolkata".to_owned(),
                jiff::tz::TimeZone::get("Asia/Kolkata").unwrap(),
            ),
        );
        Event {
            name: "visit".into(),
            time_zone_name: "Asia/Jerusalem".into(),
            time_zone: tz,
            start: jiff::civil::date(2026, 2, 25),
            end: jiff::civil::date(2026, 2, 26),
            summary: String::new(),
            reader_time_zones: readers,
            translations: BTreeMap::new(),
        }
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn days_count_in_the_event_time_zone() {
        // 23:30 UTC on the 24th is already the 25th in Jerusalem (UTC+2): day 1, not "1 day to go".
        let m = Moment::new(&event(), at("2026-02-24T23:30:00Z"), None);
        assert_eq!((m.phase, m.event_day), (Phase::During, 1));
        let m = Moment::new(&event(), at("2026-02-24T21:30:00Z"), None);
        assert_eq!((m.phase, m.days_until_start), (Phase::Before, 1));
    }

    #[test]
    fn phases_before_during_after() {
        let m = Moment::new(&event(), at("2026-02-15T12:00:00Z"), None);
        assert_eq!(
            (m.phase, m.days_until_start, m.length_days),
            (Phase::Before, 10, 2)
        );
        let m = Moment::new(&event(), at("2026-02-26T12:00:00Z"), None);
        assert_eq!((m.phase, m.event_day), (Phase::During, 2));
        let m = Moment::new(&event(), at("2026-03-08T12:00:00Z"), None);
        assert_eq!((m.phase, m.days_since_end), (Phase::After, 10));
    }

    #[test]
    fn templates_see_the_phase_as_the_strings_they_test() {
        let names: Vec<String> = [Phase::Before, Phase::During, Phase::After]
            .iter()
            .map(|p| serde_json::to_string(p).unwrap())
            .collect();
        assert_eq!(names, [r#""before""#, r#""during""#, r#""after""#]);
    }

    #[test]
    fn reader_zone_follows_locale_language() {
        let m = Moment::new(&event(), at("2026-02-25T20:00:00Z"), Some("hi"));
        assert_eq!(m.reader_time_zone.as_deref(), Some("Asia/Kolkata"));
        // 20:00 UTC is 01:30 on the 26th in Kolkata but still the 25th in Jerusalem.
        assert_eq!(m.reader_today.as_deref(), Some("Thursday 26 February 2026"));
        assert_eq!(m.today, "Wednesday 25 February 2026");
        assert_eq!(
            Moment::new(&event(), at("2026-02-25T20:00:00Z"), Some("en-US")).reader_time_zone,
            None
        );
    }
}
