//! Calendar quarters (`2026-Q4`), the period every score is computed for.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// A calendar quarter in UTC, written `YYYY-QN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    /// 1 to 4.
    q: u8,
}

/// Why a quarter could not be read.
#[derive(Debug, thiserror::Error)]
#[error("expected a quarter such as 2026-Q4, got {0:?}")]
pub struct QuarterParseError(String);

impl Quarter {
    /// The quarter `q` (1–4) of `year`; `None` when `q` is out of range.
    pub fn new(year: i32, q: u8) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { year, q })
    }

    /// The quarter that contains `date`.
    pub fn containing(date: NaiveDate) -> Quarter {
        Quarter {
            year: date.year(),
            q: (date.month0() / 3 + 1) as u8,
        }
    }

    /// The quarter that contains the UNIX time `secs`.
    pub fn of_timestamp(secs: i64) -> Quarter {
        let date = DateTime::from_timestamp(secs, 0)
            .unwrap_or_default()
            .date_naive();
        Quarter::containing(date)
    }

    /// The current quarter.
    pub fn current() -> Quarter {
        Quarter::containing(Utc::now().date_naive())
    }

    /// First day of the quarter.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q) * 3 - 2, 1)
            .expect("valid quarter start")
    }

    /// Start of the quarter, 00:00 UTC, in UNIX seconds (inclusive).
    pub fn start(self) -> i64 {
        midnight_utc(self.first_day())
    }

    /// End of the quarter in UNIX seconds (exclusive): the start of the next one.
    pub fn end(self) -> i64 {
        self.next().start()
    }

    /// The quarter after this one.
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    /// The four quarters ending with this one, oldest first (a year of trend and scoring).
    pub fn last_four(self) -> [Quarter; 4] {
        let q3 = self.prev();
        let q2 = q3.prev();
        [q2.prev(), q2, q3, self]
    }

    /// The quarter before this one.
    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
}

/// 00:00 UTC of `date` in UNIX seconds.
pub fn midnight_utc(date: NaiveDate) -> i64 {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .timestamp()
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

impl FromStr for Quarter {
    type Err = QuarterParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || QuarterParseError(s.to_string());
        let (year, q) = s.trim().split_once(['-', ' ']).ok_or_else(err)?;
        let q = q.strip_prefix(['Q', 'q']).ok_or_else(err)?;
        let year: i32 = year.parse().map_err(|_| err())?;
        let q: u8 = q.parse().map_err(|_| err())?;
        if !(1970..=9999).contains(&year) {
            return Err(err());
        }
        Quarter::new(year, q).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let q: Quarter = "2026-Q4".parse().unwrap();
        assert_eq!(q.to_string(), "2026-Q4");
        assert_eq!("2026-q1".parse::<Quarter>().unwrap().to_string(), "2026-Q1");
        for bad in [
            "2026-Q5", "2026-Q0", "2026Q4", "Q4-2026", "", "abcd-Q1", "2026-Q",
        ] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_are_utc_and_half_open() {
        let q: Quarter = "2026-Q4".parse().unwrap();
        assert_eq!(q.first_day(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(q.start(), 1_790_812_800); // 2026-10-01T00:00:00Z
        assert_eq!(q.end(), 1_798_761_600); // 2027-01-01T00:00:00Z
        assert_eq!(Quarter::of_timestamp(q.end() - 1), q);
        assert_eq!(Quarter::of_timestamp(q.end()), q.next());
        assert_eq!(q.next().to_string(), "2027-Q1");
        assert_eq!(q.next().prev(), q);
        assert_eq!(
            "2026-Q1".parse::<Quarter>().unwrap().prev().to_string(),
            "2025-Q4"
        );
        let four = "2026-Q2".parse::<Quarter>().unwrap().last_four();
        let four: Vec<String> = four.iter().map(|q| q.to_string()).collect();
        assert_eq!(four, ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]);
    }

    #[test]
    fn containing_maps_months() {
        let d = |m| NaiveDate::from_ymd_opt(2025, m, 15).unwrap();
        let qs: Vec<String> = (1..=12)
            .map(|m| Quarter::containing(d(m)).to_string())
            .collect();
        assert_eq!(qs[0], "2025-Q1");
        assert_eq!(qs[2], "2025-Q1");
        assert_eq!(qs[3], "2025-Q2");
        assert_eq!(qs[8], "2025-Q3");
        assert_eq!(qs[11], "2025-Q4");
    }
}
