//! The digest window (`[digest] window` in facts.toml): the days around the event in which
//! digests are posted. An event is over some weeks after it ends; a digest that goes on posting
//! "no updates yet" for months is noise. Outside the window the scheduler owes no digest and
//! `/digest status` says why.
//!
//! Pure dates and instants: what a subscription does about it is the digest's business.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::Event;

/// From `before_days` days before the event's first day to `after_days` days after its last,
/// whole days in the event's time zone; a side left out has no bound. A fact base without a
/// window posts digests as long as a channel is subscribed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestWindow {
    pub before_days: Option<u16>,
    pub after_days: Option<u16>,
}

/// Where an instant falls relative to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Before the window: it opens at this instant (midnight of its first day).
    Before {
        opens: Timestamp,
        first_day: Date,
    },
    Inside,
    /// After the window: it closed at this instant (the midnight after its last day).
    After {
        closed: Timestamp,
        last_day: Date,
    },
}

/// The most days a window may reach on either side (ten years).
pub const MAX_DAYS: i64 = 3650;

impl DigestWindow {
    /// The window's first day, if it has a start.
    pub fn first_day(&self, event: &Event) -> Option<Date> {
        let days = self.before_days?;
        event.start.checked_sub(i64::from(days).days()).ok()
    }

    /// The window's last day, if it has an end.
    pub fn last_day(&self, event: &Event) -> Option<Date> {
        let days = self.after_days?;
        event.end.checked_add(i64::from(days).days()).ok()
    }

    /// Where `at` falls: a digest due then is owed only `Inside`.
    pub fn position(&self, event: &Event, at: Timestamp) -> Position {
        let midnight = |d: Date| {
            d.to_zoned(event.time_zone.clone())
                .ok()
                .map(|z| z.timestamp())
        };
        if let Some(first_day) = self.first_day(event) {
            if let Some(opens) = midnight(first_day).filter(|opens| at < *opens) {
                return Position::Before { opens, first_day };
            }
        }
        if let Some(last_day) = self.last_day(event) {
            let closed = last_day.tomorrow().ok().and_then(midnight);
            if let Some(closed) = closed.filter(|closed| at >= *closed) {
                return Position::After { closed, last_day };
            }
        }
        Position::Inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            name: "visit".into(),
            time_zone_name: "Asia/Jerusalem".into(),
            time_zone: jiff::tz::TimeZone::get("Asia/Jerusalem").expect("zone"),
            start: jiff::civil::date(2026, 2, 25),
            end: jiff::civil::date(2026, 2, 26),
            summary: String::new(),
            reader_time_zones: Default::default(),
            translations: Default::default(),
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("instant")
    }

    #[test]
    fn whole_days_in_the_events_zone() {
        let w = DigestWindow {
            before_days: Some(14),
            after_days: Some(30),
        };
        let e = event();
        // 11 February 00:00 in Jerusalem (UTC+2) is 10 February 22:00 UTC.
        assert_eq!(
            w.position(&e, at("2026-02-10T21:59:59Z")),
            Position::Before {
                opens: at("2026-02-10T22:00:00Z"),
                first_day: jiff::civil::date(2026, 2, 11)
            }
        );
        assert_eq!(w.position(&e, at("2026-02-10T22:00:00Z")), Position::Inside);
        // The last day is 28 March; Israel is on summer time (UTC+3) by then.
        assert_eq!(w.position(&e, at("2026-03-28T20:59:59Z")), Position::Inside);
        assert_eq!(
            w.position(&e, at("2026-03-28T21:00:00Z")),
            Position::After {
                closed: at("2026-03-28T21:00:00Z"),
                last_day: jiff::civil::date(2026, 3, 28)
            }
        );
    }

    #[test]
    fn a_side_left_out_has_no_bound() {
        let e = event();
        let open = DigestWindow::default();
        assert_eq!(
            open.position(&e, at("2020-01-01T00:00:00Z")),
            Position::Inside
        );
        assert_eq!(
            open.position(&e, at("2036-01-01T00:00:00Z")),
            Position::Inside
        );
        let ends = DigestWindow {
            before_days: None,
            after_days: Some(0),
        };
        assert_eq!(
            ends.position(&e, at("2020-01-01T00:00:00Z")),
            Position::Inside
        );
        assert!(matches!(
            ends.position(&e, at("2026-02-26T22:00:00Z")),
            Position::After { .. }
        ));
    }
}
