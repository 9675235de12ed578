//! Record dates: `2026-03` (year and month, enough for a date of manufacture under
//! 16 CFR 1110.11) and `2026-03-11`.

use serde::Serialize;
use std::fmt;
use time::{Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordDate {
    Month { year: i32, month: Month },
    Day(Date),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected a date as YYYY-MM or YYYY-MM-DD, found {0:?}")]
    Shape(String),
    #[error("{0:?} is not a calendar date")]
    NotInCalendar(String),
    #[error("expected a full date as YYYY-MM-DD, found {0:?}")]
    NeedsDay(String),
}

fn number(part: &str, len: usize) -> Option<u32> {
    (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
        .then(|| part.parse().ok())
        .flatten()
}

impl RecordDate {
    pub fn parse(text: &str) -> Result<RecordDate, DateError> {
        let shape = || DateError::Shape(text.to_string());
        let parts: Vec<&str> = text.split('-').collect();
        let (year, month) = match parts.as_slice() {
            [y, m] | [y, m, _] => (
                number(y, 4).ok_or_else(shape)?,
                number(m, 2).ok_or_else(shape)?,
            ),
            _ => return Err(shape()),
        };
        let not_in_calendar = || DateError::NotInCalendar(text.to_string());
        let month = u8::try_from(month)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or_else(not_in_calendar)?;
        let year = i32::try_from(year).map_err(|_| shape())?;
        match parts.get(2) {
            None => Ok(RecordDate::Month { year, month }),
            Some(d) => {
                let day = number(d, 2).ok_or_else(shape)?;
                let day = u8::try_from(day).map_err(|_| not_in_calendar())?;
                Date::from_calendar_date(year, month, day)
                    .map(RecordDate::Day)
                    .map_err(|_| not_in_calendar())
            }
        }
    }

    /// A date that must name the day (a test date, `as_of`).
    pub fn parse_day(text: &str) -> Result<Date, DateError> {
        match RecordDate::parse(text)? {
            RecordDate::Day(d) => Ok(d),
            RecordDate::Month { .. } => Err(DateError::NeedsDay(text.to_string())),
        }
    }

    /// The first day the date covers (the 1st of a month given as `2026-03`).
    pub fn first_day(&self) -> Date {
        match *self {
            RecordDate::Month { year, month } => {
                Date::from_calendar_date(year, month, 1).expect("every month has a 1st")
            }
            RecordDate::Day(d) => d,
        }
    }

    /// Human form: "March 2026" or "11 March 2026".
    pub fn display(&self) -> String {
        match *self {
            RecordDate::Month { year, month } => format!("{month} {year}"),
            RecordDate::Day(d) => format!("{} {} {}", d.day(), d.month(), d.year()),
        }
    }
}

impl fmt::Display for RecordDate {
    /// ISO form: `2026-03` or `2026-03-11`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RecordDate::Month { year, month } => write!(f, "{year:04}-{:02}", u8::from(month)),
            RecordDate::Day(d) => write!(f, "{}", iso(d)),
        }
    }
}

impl Serialize for RecordDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `2026-03-11`.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_month_and_day_precision() {
        assert_eq!(
            RecordDate::parse("2026-03").unwrap(),
            RecordDate::Month {
                year: 2026,
                month: Month::March
            }
        );
        let d = RecordDate::parse("2026-03-11").unwrap();
        assert_eq!(d.to_string(), "2026-03-11");
        assert_eq!(d.display(), "11 March 2026");
        assert_eq!(
            RecordDate::parse("2026-03").unwrap().display(),
            "March 2026"
        );
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        assert!(matches!(
            RecordDate::parse("2026-02-30"),
            Err(DateError::NotInCalendar(_))
        ));
        assert!(matches!(
            RecordDate::parse("2026-13"),
            Err(DateError::NotInCalendar(_))
        ));
        assert!(matches!(
            RecordDate::parse("2026-00"),
            Err(DateError::NotInCalendar(_))
        ));
        assert!(RecordDate::parse("2024-02-29").is_ok());
        assert!(matches!(
            RecordDate::parse("2023-02-29"),
            Err(DateError::NotInCalendar(_))
        ));
        for bad in [
            "2026",
            "26-03",
            "2026-3",
            "2026-03-1",
            "2026/03/11",
            "",
            "2026-03-11-01",
            "March 2026",
        ] {
            assert!(
                matches!(RecordDate::parse(bad), Err(DateError::Shape(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_day_date_must_name_the_day() {
        assert!(matches!(
            RecordDate::parse_day("2026-03"),
            Err(DateError::NeedsDay(_))
        ));
        assert_eq!(
            iso(RecordDate::parse_day("2026-03-11").unwrap()),
            "2026-03-11"
        );
    }
}
