//! When scheduled rules fire: a 5-field cron `recurrence` or a one-off `start_time`.
//!
//! [`Cron`] reads the cron lines OneFlow reads (OneFlow uses the `parse-cron` gem's
//! `CronParser`): `minute hour day-of-month month day-of-week`, each field `*`, `*/step`, a
//! number, a range `a-b` or a stepped range `a-b/step`, or a comma-separated list of those;
//! month names `jan`–`dec` and day names `sun`–`sat` (case-insensitive); 0 or 7 for Sunday;
//! the shorthands `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
//! `@hourly`. When both day fields are restricted a day matches if **either** does (Vixie
//! cron); when one is `*` only the other counts. [`Cron::next_after`] is `CronParser#next`:
//! the first matching minute strictly after the given time.
//!
//! A hand-written parser rather than a crate: the cron crates read 6- or 7-field lines or
//! bring a date-time library along, while this needs only UTC arithmetic on simulated time
//! ([`civil_from_days`] is Howard Hinnant's algorithm). Times are UTC; OneFlow reads cron in
//! its server's local time, so set the scenario's epoch in the zone you mean.

use crate::expr::ParseError;
use orrery_engine::time::{Millis, SECOND};

/// A parsed 5-field cron line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    src: String,
    minutes: u64,
    hours: u32,
    /// Bit d for day of month d (1–31); empty when the field is `*` and day-of-week is not.
    mdays: u32,
    months: u16,
    /// Bit w for weekday w (0 = Sunday); empty when the field is `*` and day-of-month is not.
    wdays: u8,
}

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    /// Parses a cron line; errors name the field, its column and the fix.
    pub fn parse(src: &str) -> Result<Cron, ParseError> {
        let (line, shorthand) = match src.trim() {
            "@yearly" | "@annually" => ("0 0 1 1 *", true),
            "@monthly" => ("0 0 1 * *", true),
            "@weekly" => ("0 0 * * 0", true),
            "@daily" | "@midnight" => ("0 0 * * *", true),
            "@hourly" => ("0 * * * *", true),
            other => (other, false),
        };
        // Fields with their byte offsets in `src` (for the error column).
        let mut fields = Vec::new();
        let mut offset = 0;
        for part in line.split_ascii_whitespace() {
            let at = offset + line[offset..].find(part).unwrap_or(0);
            offset = at + part.len();
            fields.push((part, at));
        }
        let base = if shorthand {
            0
        } else {
            src.len() - src.trim_start().len()
        };
        if fields.len() != 5 {
            let msg = format!("a cron line has 5 fields, found {}", fields.len());
            return Err(ParseError::new(src, 0, msg).hint(
                "write `minute hour day-of-month month day-of-week`, e.g. `0 9 * * mon-fri`",
            ));
        }
        let mut sets = [0u64; 5];
        for (i, &(field, at)) in fields.iter().enumerate() {
            sets[i] = parse_field(src, base + at, field, i)?;
        }
        // Sunday is 0 or 7.
        let mut wdays = sets[4];
        if wdays & (1 << 7) != 0 {
            wdays = (wdays | 1) & 0x7f;
        }
        let (mstar, wstar) = (fields[2].0 == "*", fields[4].0 == "*");
        let (mut mdays, mut wdays) = (sets[2] as u32, wdays as u8);
        if !(mstar && wstar) {
            if mstar {
                mdays = 0;
            }
            if wstar {
                wdays = 0;
            }
        }
        let cron = Cron {
            src: src.to_owned(),
            minutes: sets[0],
            hours: sets[1] as u32,
            mdays,
            months: sets[3] as u16,
            wdays,
        };
        if cron.next_after(0).is_none() {
            return Err(
                ParseError::new(src, 0, "the line never matches a date".to_owned())
                    .hint("check the day of month against the month (there is no 30 February)"),
            );
        }
        Ok(cron)
    }

    /// The line as written.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The first matching minute strictly after `unix_s` (seconds since 1970-01-01 UTC), as
    /// `CronParser#next`; `None` if there is none within 400 years.
    pub fn next_after(&self, unix_s: i64) -> Option<i64> {
        // Start at the next whole minute after `unix_s`.
        let start = (unix_s.div_euclid(60) + 1) * 60;
        let first_day = start.div_euclid(86_400);
        let mut minute_of_day = start.rem_euclid(86_400) / 60;
        for day in first_day..first_day + 146_097 {
            let (_, m, d) = civil_from_days(day);
            let weekday = (day + 4).rem_euclid(7) as u32;
            let day_ok = self.months & (1 << m) != 0
                && (self.mdays & (1 << d) != 0 || self.wdays & (1 << weekday) != 0);
            if day_ok {
                for mod_ in minute_of_day..1440 {
                    let (h, mi) = (mod_ / 60, mod_ % 60);
                    if self.hours & (1 << h) != 0 && self.minutes & (1 << mi) != 0 {
                        return Some(day * 86_400 + mod_ * 60);
                    }
                }
            }
            minute_of_day = 0;
        }
        None
    }
}

/// One field as a bit set; `at` is the field's byte offset in `src`.
fn parse_field(src: &str, at: usize, field: &str, index: usize) -> Result<u64, ParseError> {
    let (name, lo, hi) = FIELDS[index];
    let names: &[&str] = match index {
        3 => &MONTHS,
        4 => &DAYS,
        _ => &[],
    };
    let first = if index == 3 { 1 } else { 0 };
    let value = |text: &str, off: usize| -> Result<u32, ParseError> {
        let lower = text.to_ascii_lowercase();
        let v = match names.iter().position(|n| *n == lower) {
            Some(i) => i as u32 + first,
            None => text.parse::<u32>().map_err(|_| {
                ParseError::new(src, off, format!("`{text}` is not a {name}")).hint(format!(
                    "write a number from {lo} to {hi}, `*`, a range `a-b` or a step `*/n`"
                ))
            })?,
        };
        if v < lo || v > hi {
            let msg = format!("{name} {v} is out of range {lo}-{hi}");
            return Err(ParseError::new(src, off, msg));
        }
        Ok(v)
    };
    let mut set = 0u64;
    let mut off = at;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step_at = off + r.len() + 1;
                let step = s.parse::<u32>().ok().filter(|&s| s > 0).ok_or_else(|| {
                    ParseError::new(src, step_at, format!("`{s}` is not a step"))
                        .hint("a step is a whole number of at least 1, as in `*/15`")
                })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (a, b) = if range == "*" {
            (lo, if index == 4 { 6 } else { hi })
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, off)?, value(b, off + a.len() + 1)?);
            if a > b {
                let msg = format!("the {name} range {a}-{b} runs backwards");
                return Err(ParseError::new(src, off, msg));
            }
            (a, b)
        } else if step != 1 {
            // `parse-cron` has no `a/n`: a step needs `*` or a range before it.
            let msg = format!("`{item}`: a step needs `*` or a range before it");
            return Err(ParseError::new(src, off, msg).hint(format!("write `{range}-{hi}/{step}`")));
        } else {
            let v = value(range, off)?;
            (v, v)
        };
        for v in (a..=b).step_by(step as usize) {
            set |= 1 << v;
        }
        off += item.len() + 1;
    }
    Ok(set)
}

/// Parses OneFlow's `start_time`: whole seconds since 1970-01-01 UTC (`"1704139200"`), or a
/// UTC date and time `YYYY-MM-DD HH:MM[:SS]` (also with `T` between and a trailing `Z`).
pub fn parse_start_time(s: &str) -> Result<i64, ParseError> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map_err(|_| ParseError::new(s, 0, format!("`{t}` is too large a time")));
    }
    let bad = || {
        ParseError::new(s, 0, format!("`{t}` is not a start time"))
            .hint("write seconds since 1970-01-01 UTC or `YYYY-MM-DD HH:MM:SS` (UTC)")
    };
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (date, time) = t.split_once([' ', 'T']).ok_or_else(bad)?;
    let num = |x: &str| x.parse::<i64>().ok();
    let d: Vec<_> = date.split('-').map(num).collect();
    let c: Vec<_> = time.split(':').map(num).collect();
    let (&[Some(y), Some(mo), Some(da)], 2..=3) = (&d[..], c.len()) else {
        return Err(bad());
    };
    let (Some(h), Some(mi), sec) = (c[0], c[1], c.get(2).copied().unwrap_or(Some(0))) else {
        return Err(bad());
    };
    let Some(sec) = sec else { return Err(bad()) };
    let days = days_from_civil(y, mo, da);
    let valid = (1..=12).contains(&mo)
        && civil_from_days(days) == (y, mo as u32, da as u32)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&sec);
    if !valid {
        return Err(bad());
    }
    Ok(days * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Maps simulated time to calendar time: simulated 0 is `unix_at_zero` seconds after
/// 1970-01-01 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch {
    /// Unix time (seconds, UTC) of simulated time 0.
    pub unix_at_zero: i64,
}

impl Epoch {
    /// The Unix time of simulated time `t`, whole seconds rounded down.
    pub fn unix(self, t: Millis) -> i64 {
        self.unix_at_zero + (t / SECOND) as i64
    }

    /// The simulated time of Unix time `unix_s`; 0 if it is before the run starts.
    pub fn millis(self, unix_s: i64) -> Millis {
        (unix_s - self.unix_at_zero).max(0) as Millis * SECOND
    }
}

/// `(year, month 1–12, day 1–31)` of a day counted from 1970-01-01 (Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days from 1970-01-01 to the date `(y, m, d)` (Hinnant's algorithm; m 1–12).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a UTC date and time, via the start-time parser.
    fn at(s: &str) -> i64 {
        parse_start_time(s).unwrap()
    }

    fn next(line: &str, from: &str) -> i64 {
        Cron::parse(line).unwrap().next_after(at(from)).unwrap()
    }

    #[test]
    fn calendar_round_trips_and_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // 2000-03-01 is day 11017; 2024-02-29 is day 19782 (a Thursday).
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!((19_782 + 4) % 7, 4);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m.into(), d.into()), z);
        }
        assert_eq!(at("2024-01-01 00:00:00"), 1_704_067_200);
        assert_eq!(at("2024-01-01T12:30Z"), 1_704_067_200 + 12 * 3600 + 1800);
        assert_eq!(at(" 1704067200 "), 1_704_067_200);
        assert!(parse_start_time("2023-02-29 00:00").is_err());
        assert!(parse_start_time("2024-01-01").is_err());
        assert!(parse_start_time("tomorrow").unwrap_err().hint.is_some());
    }

    #[test]
    fn next_occurrences() {
        // 2024-01-05 is a Friday.
        assert_eq!(
            next("0 9 * * mon-fri", "2024-01-05 09:00:00"),
            at("2024-01-08 09:00")
        );
        assert_eq!(
            next("0 9 * * 1-5", "2024-01-05 08:59:59"),
            at("2024-01-05 09:00")
        );
        assert_eq!(
            next("*/15 * * * *", "2024-01-01 10:07"),
            at("2024-01-01 10:15")
        );
        assert_eq!(
            next("*/15 * * * *", "2024-01-01 10:59:30"),
            at("2024-01-01 11:00")
        );
        assert_eq!(
            next("30 18 * * *", "2024-12-31 19:00"),
            at("2025-01-01 18:30")
        );
        assert_eq!(
            next("0 0 29 2 *", "2024-03-01 00:00"),
            at("2028-02-29 00:00")
        );
        assert_eq!(next("@hourly", "2024-01-01 10:00"), at("2024-01-01 11:00"));
        assert_eq!(next("@weekly", "2024-01-01 10:00"), at("2024-01-07 00:00"));
        assert_eq!(
            next("0 0 * * 7", "2024-01-01 10:00"),
            at("2024-01-07 00:00")
        );
        assert_eq!(
            next("0 12 * jun,DEC *", "2024-01-01 00:00"),
            at("2024-06-01 12:00")
        );
        assert_eq!(
            next("5,10-12/2 3 * * *", "2024-01-01 03:06"),
            at("2024-01-01 03:10")
        );
        assert_eq!(
            next("5,10-12/2 3 * * *", "2024-01-01 03:10"),
            at("2024-01-01 03:12")
        );
        // Both day fields restricted: either matches. The 13th of Jan 2024 is a Saturday, the
        // first Friday after the 1st is the 5th.
        assert_eq!(
            next("0 0 13 * fri", "2024-01-01 00:00"),
            at("2024-01-05 00:00")
        );
        assert_eq!(
            next("0 0 13 * fri", "2024-01-12 00:00"),
            at("2024-01-13 00:00")
        );
        // Only day of month restricted: weekdays do not count.
        assert_eq!(
            next("0 0 13 * *", "2024-01-01 00:00"),
            at("2024-01-13 00:00")
        );
    }

    #[test]
    fn bad_lines_are_located() {
        let e = Cron::parse("0 9 * *").unwrap_err();
        assert_eq!(e.message, "a cron line has 5 fields, found 4");
        let e = Cron::parse("0 25 * * *").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (3, "hour 25 is out of range 0-23")
        );
        let e = Cron::parse("0 9 * * mon-fry").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (13, "`fry` is not a day of week")
        );
        let e = Cron::parse("*/0 * * * *").unwrap_err();
        assert_eq!(e.column, 3);
        let e = Cron::parse("0 9 5/2 * *").unwrap_err();
        assert_eq!(e.column, 5);
        assert_eq!(e.hint.as_deref(), Some("write `5-31/2`"));
        assert_eq!(Cron::parse("0 9 * * 5-1").unwrap_err().column, 9);
        assert!(Cron::parse("0 0 30 2 *").is_err());
    }

    #[test]
    fn epoch_maps_simulated_time() {
        let e = Epoch {
            unix_at_zero: 1_704_067_200,
        };
        assert_eq!(e.unix(90_500), 1_704_067_290);
        assert_eq!(e.millis(1_704_067_290), 90_000);
        assert_eq!(e.millis(0), 0);
    }
}
