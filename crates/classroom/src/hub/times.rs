//! Times as the hub's pages show them: to the second, never the
//! nanoseconds `OffsetDateTime` prints. Wall times (a solve, a visit, a hit
//! on the attacker site) are UTC and show the time of day; the lab clock,
//! which a student moves by hours or days, shows its date too.

use time::OffsetDateTime;

/// `14:03:27`: a wall time of today's class, to the second.
pub fn time_of_day(at: OffsetDateTime) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

/// `2025-01-31 14:03:27`: the lab clock, to the second.
pub fn date_and_time(at: OffsetDateTime) -> String {
    format!("{} {}", at.date(), time_of_day(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Date, Month, Time};

    fn at(hour: u8, minute: u8, second: u8, nanosecond: u32) -> OffsetDateTime {
        let date = Date::from_calendar_date(2025, Month::January, 31).unwrap();
        let time = Time::from_hms_nano(hour, minute, second, nanosecond).unwrap();
        date.with_time(time).assume_utc()
    }

    #[test]
    fn a_time_shows_to_the_second() {
        assert_eq!(time_of_day(at(14, 3, 27, 987_654_321)), "14:03:27");
        assert_eq!(time_of_day(at(0, 0, 0, 0)), "00:00:00");
    }

    #[test]
    fn the_lab_clock_shows_its_date() {
        assert_eq!(date_and_time(at(9, 5, 1, 1)), "2025-01-31 09:05:01");
    }
}
