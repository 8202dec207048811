//! When a subscription's digest is due, in its own time zone.
//!
//! A digest is due at the subscription's local time on each local date. Civil time is turned
//! into an instant with jiff's "compatible" rule, as calendars do: in a spring-forward gap
//! (02:30 that does not exist) the digest goes out after the gap, and in a fall-back fold
//! (01:30 twice) at the first of the two.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::store::Subscription;

/// The instant the digest for local `date` is due.
pub fn due_at(time: Time, zone: &TimeZone, date: Date) -> Option<Timestamp> {
    date.to_datetime(time)
        .to_zoned(zone.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// The subscription's zone, if its name is valid.
pub fn zone(sub: &Subscription) -> Option<TimeZone> {
    TimeZone::get(&sub.time_zone).ok()
}

/// The next due instant strictly after `now`, with its local date.
pub fn next_due(sub: &Subscription, now: Timestamp) -> Option<(Date, Timestamp)> {
    let zone = zone(sub)?;
    let today = now.to_zoned(zone.clone()).date();
    let mut date = today.yesterday().ok()?;
    for _ in 0..3 {
        let due = due_at(sub.local_time, &zone, date)?;
        if due > now {
            return Some((date, due));
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// Local dates whose digest is due at or before `now`: yesterday's and today's (earlier days
/// are beyond any catch-up window worth having).
pub fn due_dates(sub: &Subscription, now: Timestamp) -> Vec<(Date, Timestamp)> {
    let Some(zone) = zone(sub) else {
        return Vec::new();
    };
    let today = now.to_zoned(zone.clone()).date();
    [today.yesterday().ok(), Some(today)]
        .into_iter()
        .flatten()
        .filter_map(|d| due_at(sub.local_time, &zone, d).map(|t| (d, t)))
        .filter(|(_, t)| *t <= now && sub.active_from.is_none_or(|from| *t >= from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::store::Origin;

    fn sub(time: &str, zone: &str) -> Subscription {
        Subscription {
            channel_id: 1,
            guild_id: None,
            local_time: time.parse().unwrap(),
            time_zone: zone.into(),
            webhook: None,
            origin: Origin::Discord,
            mode: Default::default(),
            paused: None,
            active_from: None,
            locale: None,
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn next_due_is_in_the_subscriptions_zone() {
        let s = sub("08:00", "Asia/Kolkata");
        let (date, due) = next_due(&s, ts("2026-02-25T01:00:00Z")).unwrap();
        assert_eq!(
            (date.to_string(), due),
            ("2026-02-25".into(), ts("2026-02-25T02:30:00Z"))
        );
        let (date, _) = next_due(&s, ts("2026-02-25T02:30:00Z")).unwrap();
        assert_eq!(date.to_string(), "2026-02-26");
    }

    #[test]
    fn jerusalem_dst_moves_the_instant_not_the_local_time() {
        // Israel moves to summer time on Friday 27 March 2026 (02:00 → 03:00).
        let s = sub("08:00", "Asia/Jerusalem");
        let zone = TimeZone::get("Asia/Jerusalem").unwrap();
        assert_eq!(
            due_at(s.local_time, &zone, jiff::civil::date(2026, 3, 26)),
            Some(ts("2026-03-26T06:00:00Z"))
        );
        assert_eq!(
            due_at(s.local_time, &zone, jiff::civil::date(2026, 3, 27)),
            Some(ts("2026-03-27T05:00:00Z"))
        );
        // 02:30 does not exist that night: the digest goes out at 03:30 local.
        let gap = sub("02:30", "Asia/Jerusalem");
        assert_eq!(
            due_at(gap.local_time, &zone, jiff::civil::date(2026, 3, 27)),
            Some(ts("2026-03-27T00:30:00Z"))
        );
    }

    #[test]
    fn due_dates_include_yesterday_for_catch_up() {
        let s = sub("23:00", "UTC");
        let due = due_dates(&s, ts("2026-02-25T01:00:00Z"));
        assert_eq!(
            due.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>(),
            ["2026-02-24"]
        );
    }
}
