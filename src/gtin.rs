//! GS1 Global Trade Item Numbers: check digits and the 14-digit normal form.

use serde::Serialize;
use std::fmt;

/// A GTIN with a verified check digit, stored as GTIN-14 (left-padded with zeros, as GS1
/// asks databases to store it and as GS1 Digital Link URIs carry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtin([u8; 14]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("a GTIN has only digits, found {0:?}")]
    NotDigits(char),
    #[error("a GTIN has 8, 12, 13 or 14 digits, this has {0}")]
    Length(usize),
    #[error("check digit is {found}, the data digits call for {expected}")]
    CheckDigit { found: u8, expected: u8 },
}

/// The GS1 check digit for `data` (all digits but the check digit): weights 3, 1, 3, ...
/// from the rightmost data digit; the check digit brings the sum to a multiple of ten.
pub fn check_digit(data: &[u8]) -> u8 {
    let sum: u32 = data
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Gtin {
    pub fn parse(text: &str) -> Result<Gtin, GtinError> {
        let digits: Vec<u8> = text
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .map(|d| d as u8)
                    .ok_or(GtinError::NotDigits(c))
            })
            .collect::<Result<_, _>>()?;
        if ![8, 12, 13, 14].contains(&digits.len()) {
            return Err(GtinError::Length(digits.len()));
        }
        let (data, check) = digits.split_at(digits.len() - 1);
        let expected = check_digit(data);
        if check[0] != expected {
            return Err(GtinError::CheckDigit {
                found: check[0],
                expected,
            });
        }
        let mut out = [0u8; 14];
        out[14 - digits.len()..].copy_from_slice(&digits);
        Ok(Gtin(out))
    }

    /// The 14-digit form.
    pub fn as_gtin14(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Shorter forms this GTIN is also written as (GTIN-13, -12, -8), for lookups and
    /// redirects: every form whose dropped leading digits are zeros.
    pub fn short_forms(&self) -> Vec<String> {
        let full = self.as_gtin14();
        [13, 12, 8]
            .into_iter()
            .filter(|&n| full[..14 - n].bytes().all(|b| b == b'0'))
            .map(|n| full[14 - n..].to_string())
            .collect()
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_gtin14())
    }
}

impl Serialize for Gtin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_gtin14())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gs1_worked_example() {
        // gs1.org: 629104150021 → check digit 3.
        assert_eq!(check_digit(&[6, 2, 9, 1, 0, 4, 1, 5, 0, 0, 2, 1]), 3);
        let g = Gtin::parse("6291041500213").unwrap();
        assert_eq!(g.as_gtin14(), "06291041500213");
    }

    #[test]
    fn all_lengths_normalise_to_fourteen_digits() {
        assert_eq!(
            Gtin::parse("96385074").unwrap().as_gtin14(),
            "00000096385074"
        );
        assert_eq!(
            Gtin::parse("614141000036").unwrap().as_gtin14(),
            "00614141000036"
        );
        assert_eq!(
            Gtin::parse("10614141000033").unwrap().as_gtin14(),
            "10614141000033"
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            Gtin::parse("6291041500214"),
            Err(GtinError::CheckDigit {
                found: 4,
                expected: 3
            })
        );
        assert_eq!(Gtin::parse("12345"), Err(GtinError::Length(5)));
        assert_eq!(Gtin::parse("62910415002a3"), Err(GtinError::NotDigits('a')));
        assert_eq!(Gtin::parse(""), Err(GtinError::Length(0)));
    }

    #[test]
    fn short_forms_drop_only_leading_zeros() {
        let g = Gtin::parse("614141000036").unwrap();
        assert_eq!(g.short_forms(), vec!["0614141000036", "614141000036"]);
        let g = Gtin::parse("96385074").unwrap();
        assert_eq!(
            g.short_forms(),
            vec!["0000096385074", "000096385074", "96385074"]
        );
    }

    proptest! {
        #[test]
        fn appending_the_check_digit_always_validates(data in proptest::collection::vec(0u8..10, 13)) {
            for len in [7usize, 11, 12, 13] {
                let body = &data[..len];
                let mut s: String = body.iter().map(|d| char::from(b'0' + d)).collect();
                s.push(char::from(b'0' + check_digit(body)));
                let g = Gtin::parse(&s).unwrap();
                let g14 = g.as_gtin14();
                prop_assert_eq!(g14.trim_start_matches('0'), s.trim_start_matches('0'));
                prop_assert_eq!(g.as_gtin14().len(), 14);
            }
        }

        #[test]
        fn any_single_digit_error_is_caught(data in proptest::collection::vec(0u8..10, 12), pos in 0usize..13, delta in 1u8..10) {
            let mut digits = data.clone();
            digits.push(check_digit(&data));
            digits[pos] = (digits[pos] + delta) % 10;
            let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert!(Gtin::parse(&s).is_err());
        }

        #[test]
        fn padding_with_zeros_keeps_the_same_gtin(data in proptest::collection::vec(0u8..10, 11)) {
            let mut digits = data.clone();
            digits.push(check_digit(&data));
            let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert_eq!(Gtin::parse(&s).unwrap(), Gtin::parse(&format!("0{s}")).unwrap());
            prop_assert_eq!(Gtin::parse(&s).unwrap(), Gtin::parse(&format!("00{s}")).unwrap());
        }
    }
}
