//! List annexes (danh sách) of a regime (`[[list]]`): forms with any number of rows and typed
//! columns — text, date, integer, decimal, an option of a dimension, a unit, yes/no.
//!
//! Owns what a list and its columns are, how a typed cell reads (`ListColumn::read`) into its
//! canonical text (a date as 2026-09-30, a number as 12.5, an option's or a unit's code, a
//! yes/no as `co`/`khong`) and how that prints (`ListColumn::display`). Reading the rows from
//! a sheet is `ingest::lists`; writing them, `render::lists`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::dimensions::Dimension;
use super::units::UnitTree;

/// A list annexed to a regime's form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    /// Its code: in `danh-sach-<code>.csv`, the outline's `lists.<code>`.
    pub code: String,
    pub title: String,
    /// The sheet of the blank form that holds it (default: the title, cut to Excel's 31
    /// characters).
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(rename = "column")]
    pub columns: Vec<ListColumn>,
    /// Figures the list feeds (`[[list.feed]]`): the number of its rows, or the sum of a
    /// number column, optionally by an option column.
    #[serde(default, rename = "feed")]
    pub feeds: Vec<Feed>,
}

/// A figure a list feeds: `indicator` is the number of rows (or the sum of column `sum`), by
/// the options of column `by` where given (`INDICATOR[dim=option]`, the option column's
/// dimension). A unit whose table has the figure is checked against the list (BC0412); one
/// whose table has not gets it from the list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    pub indicator: String,
    #[serde(default)]
    pub sum: Option<String>,
    #[serde(default)]
    pub by: Option<String>,
}

/// The type of a list's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListType {
    Text,
    Date,
    Integer,
    Decimal,
    /// An option of `dimension`, by its code or its name.
    Option,
    /// A unit of `units.toml`, by its code or its name.
    Unit,
    YesNo,
}

/// One column of a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListColumn {
    pub code: String,
    /// The header printed on the form and matched when reading.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ListType,
    #[serde(default)]
    pub required: bool,
    /// A text's longest length (default 500).
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// An option column's dimension.
    #[serde(default)]
    pub dimension: Option<String>,
    /// A date that must fall inside the period's data window (a warning where it does not).
    #[serde(default)]
    pub in_period: bool,
}

/// Why a typed cell is not a value of its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Bad {
    /// Not of the column's type: what was expected, in Vietnamese.
    Invalid(String),
    /// Outside the column's range.
    OutOfRange(String),
}

/// The lookups a list's cells read against.
pub struct Lookup<'a> {
    pub dimensions: &'a BTreeMap<String, Dimension>,
    pub units: &'a UnitTree,
}

/// A list's CSV file: among a run's outputs, and the name a list sent alone is known by.
pub fn file_name(code: &str) -> String {
    format!("danh-sach-{code}.csv")
}

impl ListSpec {
    /// The sheet's name on forms and in the workbook (at most 31 characters, none of
    /// `[]:*?/\`).
    pub fn sheet_name(&self) -> String {
        let name = self.sheet.clone().unwrap_or_else(|| self.title.clone());
        let clean: String = name
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
            .take(31)
            .collect();
        clean.trim().to_string()
    }

    /// The column's place by its code.
    pub fn column(&self, code: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.code == code)
    }
}

impl ListColumn {
    pub fn text_limit(&self) -> usize {
        self.max_length
            .unwrap_or(super::indicators::DEFAULT_TEXT_LENGTH)
    }

    /// A typed cell's canonical text (`typed` as the cell reads: trimmed text, a number, a
    /// date as `YYYY-MM-DD`; `number`, the cell's number where it is one or reads as one —
    /// the reader of the file knows how numbers are written).
    pub fn read(&self, typed: &str, number: Option<f64>, look: &Lookup<'_>) -> Result<String, Bad> {
        let t = crate::text::nfc(typed.trim());
        match self.kind {
            ListType::Text => {
                let n = t.chars().count();
                if n > self.text_limit() {
                    return Err(Bad::OutOfRange(format!(
                        "{n} ký tự, dài hơn {} ký tự cho phép",
                        self.text_limit()
                    )));
                }
                Ok(t)
            }
            ListType::Date => parse_date(&t)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .ok_or_else(|| Bad::Invalid("ngày dạng dd/mm/yyyy".into())),
            ListType::Integer | ListType::Decimal => self.read_number(number),
            ListType::Option => self.read_option(&t, look),
            ListType::Unit => read_unit(t, look),
            ListType::YesNo => match crate::text::fold(&t).as_str() {
                "co" | "x" | "1" | "yes" | "true" | "dat" => Ok("co".into()),
                "khong" | "0" | "no" | "false" | "chua dat" | "k" => Ok("khong".into()),
                _ => Err(Bad::Invalid("\"Có\" hoặc \"Không\"".into())),
            },
        }
    }

    /// A number cell: a number (whole for an integer column) within the column's bounds.
    fn read_number(&self, number: Option<f64>) -> Result<String, Bad> {
        let Some(v) = number else {
            return Err(Bad::Invalid("một số".into()));
        };
        if self.kind == ListType::Integer && v.fract() != 0.0 {
            return Err(Bad::Invalid("một số nguyên".into()));
        }
        let lo = self.min.unwrap_or(0.0);
        if v < lo || self.max.is_some_and(|hi| v > hi) {
            return Err(Bad::OutOfRange(match self.max {
                Some(hi) => format!(
                    "phải từ {} đến {}",
                    crate::text::fmt_vn(lo, 4),
                    crate::text::fmt_vn(hi, 4)
                ),
                None => format!("không được nhỏ hơn {}", crate::text::fmt_vn(lo, 4)),
            }));
        }
        Ok(format!("{v}"))
    }

    /// An option cell: an option of the column's dimension, by code or by name.
    fn read_option(&self, t: &str, look: &Lookup<'_>) -> Result<String, Bad> {
        let dim = self
            .dimension
            .as_deref()
            .and_then(|d| look.dimensions.get(d));
        let f = crate::text::fold(t);
        dim.and_then(|d| {
            d.options
                .iter()
                .find(|o| o.code == t || crate::text::fold(&o.name) == f)
        })
        .map(|o| o.code.clone())
        .ok_or_else(|| {
            Bad::Invalid(format!(
                "một trong: {}",
                dim.map(|d| d
                    .options
                    .iter()
                    .map(|o| format!("\"{}\"", o.name))
                    .collect::<Vec<_>>()
                    .join(", "))
                    .unwrap_or_default()
            ))
        })
    }

    /// A canonical value as printed: a date as dd/mm/yyyy, a number the vi-VN way, an option's
    /// or a unit's name, Có/Không.
    pub fn display(&self, value: &str, look: &Lookup<'_>) -> String {
        match self.kind {
            ListType::Text => value.to_string(),
            ListType::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_else(|_| value.to_string()),
            ListType::Integer | ListType::Decimal => value
                .parse::<f64>()
                .map(|v| crate::text::fmt_vn(v, 6))
                .unwrap_or_else(|_| value.to_string()),
            ListType::Option => self
                .dimension
                .as_deref()
                .and_then(|d| look.dimensions.get(d))
                .and_then(|d| d.option(value))
                .map(|o| o.name.clone())
                .unwrap_or_else(|| value.to_string()),
            ListType::Unit => look
                .units
                .get(value)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| value.to_string()),
            ListType::YesNo => if value == "co" { "Có" } else { "Không" }.to_string(),
        }
    }
}

/// A unit cell: a unit of the list, by code or by name.
fn read_unit(t: String, look: &Lookup<'_>) -> Result<String, Bad> {
    if look.units.get(&t).is_some() {
        return Ok(t);
    }
    let f = crate::text::fold(&t);
    look.units
        .iter()
        .find(|u| crate::text::fold(&u.name) == f)
        .map(|u| u.code.clone())
        .ok_or_else(|| Bad::Invalid("mã hoặc tên một đơn vị trong danh mục".into()))
}

/// A date typed as dd/mm/yyyy (or d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy) or yyyy-mm-dd.
pub fn parse_date(t: &str) -> Option<NaiveDate> {
    let t = t.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().or_else(|| {
        let parts: Vec<&str> = t.split(['/', '-', '.']).map(str::trim).collect();
        let [d, m, y] = parts[..] else { return None };
        let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse::<i32>().ok()?);
        if !(1900..=2100).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, d)
    })
}

/// What is wrong with a regime's lists: (key, message).
pub fn problems(
    lists: &[ListSpec],
    dimensions: &BTreeMap<String, Dimension>,
    indicators: &BTreeMap<String, super::Indicator>,
) -> Vec<(String, String)> {
    let mut check = ListCheck {
        dimensions,
        codes: std::collections::BTreeSet::new(),
        sheets: std::collections::BTreeSet::new(),
        out: feed_problems(lists, indicators),
    };
    for (i, l) in lists.iter().enumerate() {
        check.list(i, l);
    }
    check.out
}

/// The checks of a regime's lists (`problems`): the list codes and sheet names seen so far,
/// and the problems found.
struct ListCheck<'a> {
    dimensions: &'a BTreeMap<String, Dimension>,
    codes: std::collections::BTreeSet<String>,
    /// Sheet names, folded.
    sheets: std::collections::BTreeSet<String>,
    out: Vec<(String, String)>,
}

impl ListCheck<'_> {
    /// The `i`-th list: its code and sheet name, then its columns.
    fn list(&mut self, i: usize, l: &ListSpec) {
        let key = format!("[[list]] thứ {} ({})", i + 1, l.code);
        self.names(&key, l);
        if l.columns.is_empty() {
            self.out.push((
                key.clone(),
                "danh sách chưa có cột nào ([[list.column]])".into(),
            ));
        }
        let mut cols = std::collections::BTreeSet::new();
        for (j, c) in l.columns.iter().enumerate() {
            self.column(&key, j, c, &mut cols);
        }
    }

    /// The list's code (a file name, not used twice) and sheet name (no sheet of the form or
    /// of the workbook, not used twice).
    fn names(&mut self, key: &str, l: &ListSpec) {
        let out = &mut self.out;
        if l.code.is_empty()
            || !l
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push((format!("{key}.code"), "mã danh sách chỉ gồm chữ không dấu, số và dấu _ (dùng trong tên tệp danh-sach-<mã>.csv)".into()));
        }
        if !self.codes.insert(l.code.clone()) {
            out.push((
                format!("{key}.code"),
                format!("mã danh sách \"{}\" trùng", l.code),
            ));
        }
        const RESERVED: [&str; 7] = [
            "Biểu số liệu",
            "Biểu tổng hợp",
            "Theo đơn vị",
            "Danh sách đơn vị",
            "Tuân thủ",
            "Chẩn đoán",
            "_baocao",
        ];
        if RESERVED
            .iter()
            .any(|r| crate::text::fold(r) == crate::text::fold(&l.sheet_name()))
        {
            out.push((format!("{key}.sheet"), format!("tên trang \"{}\" trùng tên một trang của biểu hoặc của tong-hop.xlsx: đặt sheet = \"…\" khác", l.sheet_name())));
        }
        if !self.sheets.insert(crate::text::fold(&l.sheet_name())) {
            out.push((
                format!("{key}.sheet"),
                format!(
                    "tên trang \"{}\" trùng với danh sách khác: đặt sheet = \"…\" khác",
                    l.sheet_name()
                ),
            ));
        }
    }

    /// The `j`-th column of list `key`: a code not used twice nor reserved, and fields that
    /// go with its type (`cols`: the codes of the list's columns so far).
    fn column(
        &mut self,
        key: &str,
        j: usize,
        c: &ListColumn,
        cols: &mut std::collections::BTreeSet<String>,
    ) {
        let out = &mut self.out;
        let ck = format!("{key}, cột thứ {} ({})", j + 1, c.code);
        if !cols.insert(c.code.clone())
            || matches!(c.code.as_str(), "unit_code" | "unit_name" | "stt")
        {
            out.push((
                ck.clone(),
                format!(
                    "mã cột \"{}\" trùng hoặc là tên dành riêng (unit_code, unit_name, stt)",
                    c.code
                ),
            ));
        }
        match (c.kind, &c.dimension) {
            (ListType::Option, None) => out.push((
                ck.clone(),
                "cột type = \"option\" cần dimension = \"mã phân tổ\"".into(),
            )),
            (ListType::Option, Some(d)) if !self.dimensions.contains_key(d) => out.push((
                ck.clone(),
                format!("phân tổ \"{d}\" không có trong danh mục ([[dimension]])"),
            )),
            (k, Some(_)) if k != ListType::Option => out.push((
                ck.clone(),
                "dimension chỉ dùng với type = \"option\"".into(),
            )),
            _ => {}
        }
        if c.in_period && c.kind != ListType::Date {
            out.push((ck.clone(), "in_period chỉ dùng với type = \"date\"".into()));
        }
        if (c.min.is_some() || c.max.is_some())
            && !matches!(c.kind, ListType::Integer | ListType::Decimal)
        {
            out.push((
                ck.clone(),
                "min/max chỉ dùng với cột số (integer, decimal)".into(),
            ));
        }
        if c.max_length.is_some() && c.kind != ListType::Text {
            out.push((ck.clone(), "max_length chỉ dùng với type = \"text\"".into()));
        }
    }
}

/// What is wrong with the figures the lists feed.
fn feed_problems(
    lists: &[ListSpec],
    indicators: &BTreeMap<String, super::Indicator>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, l) in lists.iter().enumerate() {
        for (j, f) in l.feeds.iter().enumerate() {
            let key = format!("[[list]] thứ {} ({}), feed thứ {}", i + 1, l.code, j + 1);
            match indicators.get(&f.indicator) {
                None => out.push((key.clone(), format!("chỉ tiêu \"{}\" không có trong danh mục", f.indicator))),
                Some(ind) if ind.is_computed() || ind.is_answer() || ind.is_text() => out.push((key.clone(), format!("chỉ tiêu \"{}\" là chỉ tiêu tính toán, câu trả lời hoặc ô chữ: danh sách chỉ đếm hoặc cộng vào chỉ tiêu số", f.indicator))),
                Some(ind) => {
                    if let Some(by) = &f.by {
                        match l.columns.iter().find(|c| c.code == *by) {
                            Some(c) if c.kind == ListType::Option => {
                                let dim = c.dimension.as_deref().unwrap_or_default();
                                if !ind.disaggregations.iter().any(|s| s.len() == 1 && s[0] == dim) {
                                    out.push((key.clone(), format!("chỉ tiêu \"{}\" không được phân tổ theo \"{dim}\" (disaggregations = [[\"{dim}\"]]) nên không nhận được số theo cột \"{by}\"", f.indicator)));
                                }
                            }
                            _ => out.push((key.clone(), format!("by = \"{by}\" phải là mã một cột type = \"option\" của danh sách"))),
                        }
                    }
                }
            }
            if let Some(sum) = &f.sum {
                if !l.columns.iter().any(|c| {
                    c.code == *sum && matches!(c.kind, ListType::Integer | ListType::Decimal)
                }) {
                    out.push((key, format!("sum = \"{sum}\" phải là mã một cột số (integer, decimal) của danh sách")));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: ListType) -> ListColumn {
        ListColumn {
            code: "c".into(),
            name: "Cột".into(),
            kind,
            required: false,
            max_length: Some(10),
            min: None,
            max: None,
            dimension: Some("lv".into()),
            in_period: false,
        }
    }

    #[test]
    fn cells_read_to_their_canonical_text_and_print_back() {
        let dims: BTreeMap<String, Dimension> = [(
            "lv".to_string(),
            Dimension {
                code: "lv".into(),
                name: "Lĩnh vực".into(),
                exhaustive: true,
                options: vec![super::super::DimOption {
                    code: "ho_tich".into(),
                    name: "Hộ tịch".into(),
                }],
                options_file: None,
            },
        )]
        .into();
        let units = UnitTree::default();
        let look = Lookup {
            dimensions: &dims,
            units: &units,
        };
        let date = column(ListType::Date);
        assert_eq!(date.read("5/9/2026", None, &look).unwrap(), "2026-09-05");
        assert_eq!(date.read("2026-09-05", None, &look).unwrap(), "2026-09-05");
        assert_eq!(date.display("2026-09-05", &look), "05/09/2026");
        assert!(date.read("31/02/2026", None, &look).is_err());
        let option = column(ListType::Option);
        assert_eq!(option.read("ho tich", None, &look).unwrap(), "ho_tich");
        assert_eq!(option.display("ho_tich", &look), "Hộ tịch");
        assert!(
            matches!(option.read("Đất đai", None, &look), Err(Bad::Invalid(m)) if m.contains("\"Hộ tịch\""))
        );
        let mut n = column(ListType::Integer);
        n.min = Some(1.0);
        assert_eq!(n.read("1.234", Some(1234.0), &look).unwrap(), "1234");
        assert!(matches!(
            n.read("0", Some(0.0), &look),
            Err(Bad::OutOfRange(_))
        ));
        assert!(matches!(
            n.read("2,5", Some(2.5), &look),
            Err(Bad::Invalid(_))
        ));
        let text = column(ListType::Text);
        assert!(matches!(
            text.read("mười một ký", None, &look),
            Err(Bad::OutOfRange(_))
        ));
    }
}
