//! A party's full mailing address, country included (16 CFR 1110.11 asks certificates
//! for the "full mailing address" of the certifier, the records custodian and the lab).
//!
//! Records give the street lines in `address` and the country as an ISO 3166-1 alpha-2
//! code in `country`. The lines printed are the record's, then the country's English name,
//! unless the last line already names that country (by code, name or a common alias).

/// A party's address as pages, certificates and JSON twins show it: the record's lines
/// and country code, the country's name, and the full mailing address. Flattened into
/// each party view, so they all say it the same way.
#[derive(serde::Serialize)]
pub struct Mailing<'a> {
    pub address: &'a [String],
    pub country: Option<&'a str>,
    /// The country's English name ("China"), when `country` is given.
    pub country_name: Option<&'static str>,
    /// `address`, then the country's name unless the last line already names it.
    pub mailing_address: Vec<String>,
}

impl<'a> Mailing<'a> {
    pub fn new(address: &'a [String], country: Option<&'a str>) -> Self {
        Mailing {
            address,
            country,
            country_name: country.and_then(country_name),
            mailing_address: mailing_lines(address, country),
        }
    }
}

/// The country's English name as written on an address: the ISO 3166-1 short name
/// (from `rust_iso3166`), except where that name is a formal or inverted one nobody writes
/// on an envelope ("United States of America", "Korea (Republic of)").
pub fn country_name(code: &str) -> Option<&'static str> {
    let postal = match code {
        "US" => "United States",
        "GB" => "United Kingdom",
        "KR" => "South Korea",
        "KP" => "North Korea",
        "TW" => "Taiwan",
        "VN" => "Vietnam",
        "NL" => "Netherlands",
        "RU" => "Russia",
        "LA" => "Laos",
        "SY" => "Syria",
        "BN" => "Brunei",
        "BO" => "Bolivia",
        "CD" => "Democratic Republic of the Congo",
        "IR" => "Iran",
        "MD" => "Moldova",
        "TZ" => "Tanzania",
        "VE" => "Venezuela",
        "FM" => "Micronesia",
        "PS" => "Palestine",
        "FK" => "Falkland Islands",
        "VG" => "British Virgin Islands",
        "VI" => "U.S. Virgin Islands",
        _ => return rust_iso3166::from_alpha2(code).map(|c| c.name),
    };
    Some(postal)
}

/// Other ways an address commonly ends for these countries (besides the code, the name
/// above and the ISO short name).
fn aliases(code: &str) -> &'static [&'static str] {
    match code {
        "US" => &["USA", "U.S.A.", "U.S.", "America"],
        "GB" => &[
            "UK",
            "U.K.",
            "Great Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
        ],
        "CN" => &[
            "PRC",
            "P.R.C.",
            "P.R. China",
            "PR China",
            "People's Republic of China",
            "Mainland China",
        ],
        "DE" => &["Deutschland", "Federal Republic of Germany"],
        "KR" => &["Korea", "Republic of Korea", "Korea, Republic of"],
        "TW" => &["Taiwan, R.O.C.", "Taiwan ROC", "Republic of China"],
        "HK" => &["Hong Kong SAR", "Hong Kong S.A.R.", "HKSAR"],
        "VN" => &["Viet Nam"],
        "NL" => &["The Netherlands", "Holland"],
        "AE" => &["UAE", "U.A.E."],
        _ => &[],
    }
}

/// Lower case, curly apostrophes made straight, runs of spaces as one, and final full
/// stops dropped (from the line and the names alike, so `U.S.A.` still meets `U.S.A.`).
fn normalise(s: &str) -> String {
    let s = s.replace(['\u{2019}', '\u{2018}'], "'");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.to_lowercase()
        .trim_end_matches('.')
        .trim_end()
        .to_string()
}

/// Whether `line` (an address's last line) already names the country `code`: the whole
/// line, its part after the last comma, or (for names of three letters or more) its last
/// words is the code, the name or an alias, compared without regard to case.
pub fn names_country(line: &str, code: &str) -> bool {
    let line = normalise(line);
    let after_comma = line.rsplit(',').next().unwrap_or("").trim().to_string();
    let mut names: Vec<&str> = vec![code];
    names.extend(country_name(code));
    names.extend(rust_iso3166::from_alpha2(code).map(|c| c.name));
    names.extend(aliases(code));
    names.iter().any(|name| {
        let name = normalise(name);
        line == name
            || after_comma == name
            || (name.chars().count() >= 3
                && line
                    .strip_suffix(name.as_str())
                    .is_some_and(|rest| rest.ends_with(' ')))
    })
}

/// The full mailing address: the record's lines, then the country's name unless the last
/// line already names it. A party without `country` keeps its lines as written.
pub fn mailing_lines(address: &[String], country: Option<&str>) -> Vec<String> {
    let mut lines = address.to_vec();
    if let Some(code) = country
        && let Some(name) = country_name(code)
        && !address.last().is_some_and(|l| names_country(l, code))
    {
        lines.push(name.to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names() {
        assert_eq!(country_name("CN"), Some("China"));
        assert_eq!(country_name("US"), Some("United States"));
        assert_eq!(country_name("GB"), Some("United Kingdom"));
        assert_eq!(country_name("DE"), Some("Germany"));
        assert_eq!(country_name("IN"), Some("India"));
        assert_eq!(country_name("XX"), None);
    }

    #[test]
    fn the_country_follows_the_lines_unless_they_end_with_it() {
        let street = ["1 Example Road", "Ningbo 315000"];
        let mut with = street.to_vec();
        with.push("China");
        assert_eq!(mailing_lines(&lines(&street), Some("CN")), lines(&with));
        for last in [
            "China",
            "CHINA",
            "CN",
            "cn",
            "People's Republic of China",
            "People\u{2019}s Republic of China",
            "P.R. China",
            "PRC",
            "China.",
        ] {
            let mut given = street.to_vec();
            given.push(last);
            assert_eq!(
                mailing_lines(&lines(&given), Some("CN")),
                lines(&given),
                "{last}"
            );
        }
        // Within the last line, after a comma or as its last words.
        for given in [
            &["1 Example Road", "Ningbo 315000, China"][..],
            &["1 Example Road", "Ningbo 315000 China"],
        ] {
            assert_eq!(mailing_lines(&lines(given), Some("CN")), lines(given));
        }
        for (last, code) in [
            ("USA", "US"),
            ("U.S.A.", "US"),
            ("United States of America", "US"),
            ("United States", "US"),
            ("Portland, OR 97201, USA", "US"),
            ("UK", "GB"),
            ("England", "GB"),
            ("United Kingdom", "GB"),
            ("Germany", "DE"),
            ("Deutschland", "DE"),
        ] {
            let given = ["1 Example Road", last];
            assert_eq!(
                mailing_lines(&lines(&given), Some(code)),
                lines(&given),
                "{last}"
            );
        }
        // A two-letter code is not matched inside a line: `ON` in a Canadian postcode line
        // is no country.
        assert_eq!(
            mailing_lines(&lines(&["Toronto, ON M5V 0X0"]), Some("CA")),
            lines(&["Toronto, ON M5V 0X0", "Canada"])
        );
        // A word that merely ends like the name does not count.
        assert_eq!(
            mailing_lines(&lines(&["Indochina Street"]), Some("CN")),
            lines(&["Indochina Street", "China"])
        );
        assert_eq!(
            mailing_lines(
                &lines(&["100 Example Street", "Portland, OR 97201"]),
                Some("US")
            ),
            lines(&["100 Example Street", "Portland, OR 97201", "United States"])
        );
        // No address: the country alone. No country: the lines as written.
        assert_eq!(mailing_lines(&[], Some("IN")), lines(&["India"]));
        assert_eq!(mailing_lines(&lines(&street), None), lines(&street));
    }
}
