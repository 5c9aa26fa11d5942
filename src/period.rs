//! Reporting periods (kỳ báo cáo): month, quarter, half-year, nine months, year.
//!
//! Owns parsing of period codes (ours and the DHIS2 forms), their canonical codes and their
//! Vietnamese labels. Knows nothing about cutoffs or deadlines: see `schedule`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The frequency (tần suất) of a report, i.e. the kind of its periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    /// tháng
    Monthly,
    /// quý
    Quarterly,
    /// 6 tháng
    HalfYearly,
    /// 9 tháng
    NineMonths,
    /// năm
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 5] = [
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::HalfYearly,
        Frequency::NineMonths,
        Frequency::Yearly,
    ];

    /// Every period of this frequency in `year`, in order.
    pub fn periods_of_year(self, year: i32) -> Vec<Period> {
        match self {
            Frequency::Monthly => (1..=12).map(|m| Period::Month { year, month: m }).collect(),
            Frequency::Quarterly => (1..=4)
                .map(|q| Period::Quarter { year, quarter: q })
                .collect(),
            Frequency::HalfYearly => (1..=2).map(|h| Period::Half { year, half: h }).collect(),
            Frequency::NineMonths => vec![Period::NineMonths { year }],
            Frequency::Yearly => vec![Period::Year { year }],
        }
    }

    /// Vietnamese name, as in a regime's "tần suất".
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Monthly => "hằng tháng",
            Frequency::Quarterly => "hằng quý",
            Frequency::HalfYearly => "6 tháng",
            Frequency::NineMonths => "9 tháng",
            Frequency::Yearly => "hằng năm",
        }
    }
}

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Month {
        year: i32,
        month: u32,
    },
    Quarter {
        year: i32,
        quarter: u32,
    },
    /// `half` is 1 (6 tháng đầu năm) or 2 (6 tháng cuối năm).
    Half {
        year: i32,
        half: u32,
    },
    NineMonths {
        year: i32,
    },
    Year {
        year: i32,
    },
}

/// Why a period code could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kỳ báo cáo \"{text}\" không hợp lệ: {reason}. Viết theo dạng 2026-10 (tháng), 2026-Q3 (quý), 2026-H1 hoặc 2026-H2 (6 tháng), 2026-9M (9 tháng), 2026 (năm); chấp nhận cả 202610, 2026Q3, 2026S1")]
pub struct PeriodError {
    pub text: String,
    pub reason: String,
}

impl Period {
    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. }
            | Period::Quarter { year, .. }
            | Period::Half { year, .. }
            | Period::NineMonths { year }
            | Period::Year { year } => year,
        }
    }

    pub fn frequency(self) -> Frequency {
        match self {
            Period::Month { .. } => Frequency::Monthly,
            Period::Quarter { .. } => Frequency::Quarterly,
            Period::Half { .. } => Frequency::HalfYearly,
            Period::NineMonths { .. } => Frequency::NineMonths,
            Period::Year { .. } => Frequency::Yearly,
        }
    }

    /// First and last calendar month (1–12) the period covers.
    pub fn month_span(self) -> (u32, u32) {
        match self {
            Period::Month { month, .. } => (month, month),
            Period::Quarter { quarter, .. } => (quarter * 3 - 2, quarter * 3),
            Period::Half { half, .. } => (half * 6 - 5, half * 6),
            Period::NineMonths { .. } => (1, 9),
            Period::Year { .. } => (1, 12),
        }
    }

    /// The period of frequency `f` that covers this one and ends in the same month (Q1 for
    /// March, the year for December), if there is one.
    pub fn coinciding(self, f: Frequency) -> Option<Period> {
        let (first, last) = self.month_span();
        f.periods_of_year(self.year()).into_iter().find(|q| {
            let (qf, ql) = q.month_span();
            ql == last && qf <= first && *q != self
        })
    }

    /// Canonical code: `2026-10`, `2026-Q3`, `2026-H1`, `2026-9M`, `2026`.
    pub fn code(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Period::Half { year, half } => format!("{year}-H{half}"),
            Period::NineMonths { year } => format!("{year}-9M"),
            Period::Year { year } => format!("{year}"),
        }
    }

    /// SDMX `TIME_PERIOD`: the SDMX reporting periods `2026-M10`, `2026-Q3`, `2026-S1` and
    /// the Gregorian year `2026`. SDMX has no 9-month reporting period: the 9 months are the
    /// time range from 1 January, `2026-01-01/P9M`.
    pub fn sdmx(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-M{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Period::Half { year, half } => format!("{year}-S{half}"),
            Period::NineMonths { .. } => self.time_range(),
            Period::Year { year } => format!("{year}"),
        }
    }

    /// DHIS2 period identifier: `202610`, `2026Q3`, `2026S1`, `2026`. DHIS2 has no period type
    /// for 9 months: `None`.
    pub fn dhis2(self) -> Option<String> {
        match self {
            Period::Month { year, month } => Some(format!("{year}{month:02}")),
            Period::Quarter { year, quarter } => Some(format!("{year}Q{quarter}")),
            Period::Half { year, half } => Some(format!("{year}S{half}")),
            Period::NineMonths { .. } => None,
            Period::Year { year } => Some(format!("{year}")),
        }
    }

    /// The period as an SDMX time range (first day and length), the form ADX uses:
    /// `2026-10-01/P1M`, `2026-07-01/P3M`, `2026-01-01/P6M`, `2026-01-01/P9M`, `2026-01-01/P1Y`.
    pub fn time_range(self) -> String {
        let (first, last) = self.month_span();
        let length = match self {
            Period::Year { .. } => "P1Y".to_string(),
            _ => format!("P{}M", last - first + 1),
        };
        format!("{}-{first:02}-01/{length}", self.year())
    }

    /// Vietnamese label: "Tháng 10 năm 2026", "Quý III năm 2026", "6 tháng đầu năm 2026".
    pub fn label(self) -> String {
        match self {
            Period::Month { year, month } => format!("Tháng {month} năm {year}"),
            Period::Quarter { year, quarter } => {
                format!("Quý {} năm {year}", roman(quarter))
            }
            Period::Half { year, half: 1 } => format!("6 tháng đầu năm {year}"),
            Period::Half { year, .. } => format!("6 tháng cuối năm {year}"),
            Period::NineMonths { year } => format!("9 tháng năm {year}"),
            Period::Year { year } => format!("Năm {year}"),
        }
    }

    /// Short label used in column headers: "tháng 10/2026", "quý III/2026", "năm 2026".
    pub fn short_label(self) -> String {
        match self {
            Period::Month { year, month } => format!("tháng {month}/{year}"),
            Period::Quarter { year, quarter } => format!("quý {}/{year}", roman(quarter)),
            Period::Half { year, half: 1 } => format!("6 tháng đầu năm {year}"),
            Period::Half { year, .. } => format!("6 tháng cuối năm {year}"),
            Period::NineMonths { year } => format!("9 tháng năm {year}"),
            Period::Year { year } => format!("năm {year}"),
        }
    }

    /// Reads a period from its Vietnamese label, anywhere in a line of text: "Tháng 10 năm
    /// 2026", "Quý III năm 2026", "6 tháng đầu năm 2026", "9 tháng năm 2026", "Năm 2026".
    pub fn from_label(text: &str) -> Option<Period> {
        let f = crate::text::fold(text);
        let words: Vec<&str> = f
            .split(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '.')
            .filter(|w| !w.is_empty())
            .collect();
        let year_after = |i: usize| -> Option<i32> {
            if words.get(i)? == &"nam" {
                let y: i32 = words.get(i + 1)?.parse().ok()?;
                (1900..=2999).contains(&y).then_some(y)
            } else {
                None
            }
        };
        for i in 0..words.len() {
            match words[i] {
                "thang" => {
                    if let Some(m) = words.get(i + 1).and_then(|w| w.parse::<u32>().ok()) {
                        if (1..=12).contains(&m) {
                            if let Some(year) = year_after(i + 2) {
                                return Some(Period::Month { year, month: m });
                            }
                        }
                    }
                }
                "quy" => {
                    let q = words.get(i + 1).and_then(|w| match *w {
                        "i" | "1" => Some(1),
                        "ii" | "2" => Some(2),
                        "iii" | "3" => Some(3),
                        "iv" | "4" => Some(4),
                        _ => None,
                    });
                    if let (Some(quarter), Some(year)) = (q, year_after(i + 2)) {
                        return Some(Period::Quarter { year, quarter });
                    }
                }
                "6" if words.get(i + 1) == Some(&"thang") => {
                    let half = match words.get(i + 2) {
                        Some(&"dau") => 1,
                        Some(&"cuoi") => 2,
                        _ => continue,
                    };
                    if let Some(year) = year_after(i + 3) {
                        return Some(Period::Half { year, half });
                    }
                }
                "9" if words.get(i + 1) == Some(&"thang") => {
                    if let Some(year) = year_after(i + 2) {
                        return Some(Period::NineMonths { year });
                    }
                }
                "nam" if i == 0 || words[i - 1] == "bao" || words[i - 1] == "cao" => {
                    if let Some(year) = year_after(i) {
                        return Some(Period::Year { year });
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The period before this one, of the same kind (tháng trước, quý trước, ...).
    pub fn previous(self) -> Period {
        match self {
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            Period::Half { year, half: 1 } => Period::Half {
                year: year - 1,
                half: 2,
            },
            Period::Half { year, .. } => Period::Half { year, half: 1 },
            Period::NineMonths { year } => Period::NineMonths { year: year - 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
        }
    }

    /// How the previous period is named in a sentence: "tháng trước", "quý trước", "cùng kỳ".
    pub fn previous_name(self) -> &'static str {
        match self {
            Period::Month { .. } => "tháng trước",
            Period::Quarter { .. } => "quý trước",
            Period::Half { .. } => "6 tháng trước",
            Period::NineMonths { .. } | Period::Year { .. } => "năm trước",
        }
    }

    /// The same period one year earlier (cùng kỳ năm trước).
    pub fn same_period_last_year(self) -> Period {
        match self {
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year: year - 1,
                quarter,
            },
            Period::Half { year, half } => Period::Half {
                year: year - 1,
                half,
            },
            Period::NineMonths { year } => Period::NineMonths { year: year - 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
        }
    }
}

/// Roman numerals for small numbers (quarters, groups in STT columns).
pub fn roman(n: u32) -> String {
    const TABLE: [(u32, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut n = n;
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| PeriodError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim().to_ascii_uppercase();
        if t.len() < 4 || !t.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            return Err(err("phải bắt đầu bằng năm 4 chữ số"));
        }
        let year: i32 = t[..4].parse().map_err(|_| err("năm không hợp lệ"))?;
        if !(1900..=2999).contains(&year) {
            return Err(err("năm phải từ 1900 đến 2999"));
        }
        let rest = &t[4..];
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        let number = |s: &str, lo: u32, hi: u32, what: &str| -> Result<u32, PeriodError> {
            let n: u32 = s
                .parse()
                .map_err(|_| err(&format!("{what} không phải là số")))?;
            if (lo..=hi).contains(&n) {
                Ok(n)
            } else {
                Err(err(&format!("{what} phải từ {lo} đến {hi}")))
            }
        };
        if rest.is_empty() {
            return Ok(Period::Year { year });
        }
        if rest == "9M" {
            return Ok(Period::NineMonths { year });
        }
        if let Some(q) = rest.strip_prefix('Q') {
            let quarter = number(q, 1, 4, "quý")?;
            return Ok(Period::Quarter { year, quarter });
        }
        if let Some(h) = rest.strip_prefix('H').or_else(|| rest.strip_prefix('S')) {
            let half = number(h, 1, 2, "nửa năm")?;
            return Ok(Period::Half { year, half });
        }
        if rest.len() <= 2 && rest.bytes().all(|b| b.is_ascii_digit()) {
            let month = number(rest, 1, 12, "tháng")?;
            return Ok(Period::Month { year, month });
        }
        Err(err("không nhận ra loại kỳ"))
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn parses_every_period_kind_in_our_codes() {
        assert_eq!(
            p("2026-10"),
            Period::Month {
                year: 2026,
                month: 10
            }
        );
        assert_eq!(
            p("2026-Q3"),
            Period::Quarter {
                year: 2026,
                quarter: 3
            }
        );
        assert_eq!(
            p("2026-H1"),
            Period::Half {
                year: 2026,
                half: 1
            }
        );
        assert_eq!(
            p("2026-H2"),
            Period::Half {
                year: 2026,
                half: 2
            }
        );
        assert_eq!(p("2026-9M"), Period::NineMonths { year: 2026 });
        assert_eq!(p("2026"), Period::Year { year: 2026 });
    }

    #[test]
    fn parses_dhis2_period_forms() {
        assert_eq!(
            p("202610"),
            Period::Month {
                year: 2026,
                month: 10
            }
        );
        assert_eq!(p("202601"), p("2026-01"));
        assert_eq!(p("2026Q3"), p("2026-Q3"));
        assert_eq!(p("2026S1"), p("2026-H1"));
        assert_eq!(p("2026S2"), p("2026-H2"));
    }

    #[test]
    fn prints_canonical_codes() {
        for code in [
            "2026-10", "2026-01", "2026-Q3", "2026-H1", "2026-9M", "2026",
        ] {
            assert_eq!(p(code).code(), code);
        }
    }

    #[test]
    fn prints_vietnamese_labels() {
        assert_eq!(p("2026-10").label(), "Tháng 10 năm 2026");
        assert_eq!(p("2026-Q3").label(), "Quý III năm 2026");
        assert_eq!(p("2026-Q4").label(), "Quý IV năm 2026");
        assert_eq!(p("2026-H1").label(), "6 tháng đầu năm 2026");
        assert_eq!(p("2026-H2").label(), "6 tháng cuối năm 2026");
        assert_eq!(p("2026-9M").label(), "9 tháng năm 2026");
        assert_eq!(p("2026").label(), "Năm 2026");
    }

    #[test]
    fn rejects_bad_period_text_with_a_reason() {
        for bad in [
            "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-H3", "26-10", "", "2026-X",
            "2026-1-1", "abcd",
        ] {
            let e = bad.parse::<Period>().unwrap_err();
            assert_eq!(e.text, bad);
            assert!(e.to_string().contains("không hợp lệ"), "{e}");
        }
        assert!("2026-13"
            .parse::<Period>()
            .unwrap_err()
            .reason
            .contains("tháng phải từ 1 đến 12"));
        assert!("2026-Q5"
            .parse::<Period>()
            .unwrap_err()
            .reason
            .contains("quý phải từ 1 đến 4"));
    }

    #[test]
    fn exchange_period_forms() {
        // (code, SDMX TIME_PERIOD, DHIS2 period, ADX time range), written out by hand.
        let cases = [
            ("2026-10", "2026-M10", Some("202610"), "2026-10-01/P1M"),
            ("2026-02", "2026-M02", Some("202602"), "2026-02-01/P1M"),
            ("2026-Q3", "2026-Q3", Some("2026Q3"), "2026-07-01/P3M"),
            ("2026-Q1", "2026-Q1", Some("2026Q1"), "2026-01-01/P3M"),
            ("2026-H1", "2026-S1", Some("2026S1"), "2026-01-01/P6M"),
            ("2026-H2", "2026-S2", Some("2026S2"), "2026-07-01/P6M"),
            ("2026-9M", "2026-01-01/P9M", None, "2026-01-01/P9M"),
            ("2026", "2026", Some("2026"), "2026-01-01/P1Y"),
        ];
        for (code, sdmx, dhis2, range) in cases {
            assert_eq!(p(code).sdmx(), sdmx, "{code}");
            assert_eq!(p(code).dhis2().as_deref(), dhis2, "{code}");
            assert_eq!(p(code).time_range(), range, "{code}");
        }
    }

    #[test]
    fn labels_read_back_into_periods() {
        for code in [
            "2026-10", "2026-Q3", "2026-H1", "2026-H2", "2026-9M", "2026",
        ] {
            assert_eq!(
                Period::from_label(&p(code).label()),
                Some(p(code)),
                "{code}"
            );
        }
        assert_eq!(
            Period::from_label("Kỳ báo cáo: THÁNG 9 NĂM 2026"),
            Some(p("2026-09"))
        );
        assert_eq!(Period::from_label("Quý 3 năm 2026"), Some(p("2026-Q3")));
        assert_eq!(Period::from_label("Đơn vị báo cáo: Xã Phước An"), None);
    }

    #[test]
    fn previous_periods_cross_year_boundaries() {
        assert_eq!(p("2026-01").previous(), p("2025-12"));
        assert_eq!(p("2026-10").previous(), p("2026-09"));
        assert_eq!(p("2026-Q1").previous(), p("2025-Q4"));
        assert_eq!(p("2026-H1").previous(), p("2025-H2"));
        assert_eq!(p("2026-H2").previous(), p("2026-H1"));
        assert_eq!(p("2026").previous(), p("2025"));
    }

    #[test]
    fn month_spans_follow_the_period_kind() {
        assert_eq!(p("2026-Q3").month_span(), (7, 9));
        assert_eq!(p("2026-H2").month_span(), (7, 12));
        assert_eq!(p("2026-9M").month_span(), (1, 9));
        assert_eq!(p("2026").month_span(), (1, 12));
    }

    #[test]
    fn a_year_has_twelve_months_four_quarters_two_halves() {
        assert_eq!(Frequency::Monthly.periods_of_year(2026).len(), 12);
        assert_eq!(Frequency::Quarterly.periods_of_year(2026).len(), 4);
        assert_eq!(Frequency::HalfYearly.periods_of_year(2026).len(), 2);
        assert_eq!(Frequency::NineMonths.periods_of_year(2026).len(), 1);
        assert_eq!(Frequency::Yearly.periods_of_year(2026).len(), 1);
    }

    #[test]
    fn roman_numerals_for_groups() {
        assert_eq!(roman(1), "I");
        assert_eq!(roman(4), "IV");
        assert_eq!(roman(9), "IX");
        assert_eq!(roman(14), "XIV");
    }
    #[test]
    fn a_month_coincides_with_the_quarter_half_and_year_it_ends() {
        assert_eq!(
            p("2026-03").coinciding(Frequency::Quarterly),
            Some(p("2026-Q1"))
        );
        assert_eq!(
            p("2026-06").coinciding(Frequency::HalfYearly),
            Some(p("2026-H1"))
        );
        assert_eq!(p("2026-12").coinciding(Frequency::Yearly), Some(p("2026")));
        assert_eq!(
            p("2026-09").coinciding(Frequency::NineMonths),
            Some(p("2026-9M"))
        );
        assert_eq!(p("2026-Q4").coinciding(Frequency::Yearly), Some(p("2026")));
        assert_eq!(p("2026-11").coinciding(Frequency::Yearly), None);
        assert_eq!(p("2026-05").coinciding(Frequency::Quarterly), None);
        // Q3 ends in September, but the first half does not cover it.
        assert_eq!(p("2026-Q3").coinciding(Frequency::HalfYearly), None);
        assert_eq!(p("2026").coinciding(Frequency::Yearly), None);
    }
}
