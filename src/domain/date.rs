//! Calendar dates (`YYYY-MM-DD`, UTC) and today's date, for support windows.

use super::Invalid;

/// The environment variable that fixes today's date (`YYYY-MM-DD`) — for tests only, so that
/// support-window checks do not change with the machine clock.
pub const TODAY_VAR: &str = "EKSVEND_TODAY";

/// A calendar date; ordered as dates are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Today in UTC, or the date in [`TODAY_VAR`] when it is set and valid (tests only).
    #[must_use]
    pub fn today() -> Date {
        if let Some(d) = std::env::var(TODAY_VAR)
            .ok()
            .and_then(|v| Date::try_from(v.as_str()).ok())
        {
            return d;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<&str> for Date {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let bad = || Invalid::new("expected a date YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, Invalid> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if day == 0 || day > days_in_month {
            return Err(bad());
        }
        Ok(Date {
            year,
            month: u8::try_from(month).map_err(|_| bad())?,
            day: u8::try_from(day).map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_order_and_count_from_the_epoch() {
        let d = |s: &str| Date::try_from(s);
        assert!(d("2026-02-29").is_err());
        assert!(d("2024-02-29").is_ok());
        assert!(d("2026-13-01").is_err());
        assert!(d("2026-1-01").is_err());
        assert!(d("+026-01-01").is_err());
        assert!(d("2026-12-01").unwrap() < d("2027-01-01").unwrap());
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_423).to_string(), "2025-12-01");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
    }
}
