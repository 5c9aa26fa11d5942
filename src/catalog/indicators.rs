//! Indicators (chỉ tiêu) from `indicators/*.toml`.
//!
//! Owns what an indicator is: code, name, unit of measure, value type, how it aggregates up
//! the unit tree, and its constraints. Knows nothing about forms or files.

use serde::Deserialize;

/// The type of an indicator's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    Integer,
    Decimal,
    Percent,
    /// A yes/no answer (Có/Không, Đạt/Chưa đạt: `labels`), kept as 1 (yes) or 0 (no).
    #[serde(rename = "yes_no", alias = "yes-no")]
    YesNo,
    /// One answer from a list (`options`), kept as the option's place in the list (1, 2, …).
    Category,
    /// A year (năm được công nhận): a whole number printed without separators.
    Year,
    /// A short text (a note, a reason): kept as typed, at most `max_length` characters,
    /// shown in the table of units, never consolidated.
    Text,
}

/// How an indicator's values combine up the unit tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    Sum,
    Average,
    /// Weighted by the indicator named in `weight`.
    WeightedAverage,
    Min,
    Max,
    /// The value of the most recently received submission among the children.
    Last,
    /// Not aggregated: a parent has a value only if it reports one itself.
    None,
    /// Computed after aggregation from other indicators (see `derived`).
    Derived,
    /// The number of units below (and including) a unit whose answer to `of` is `answer`;
    /// without `of`, the number of units that reported (the built-in `DON_VI_BAO_CAO`).
    Count,
    /// The share (%) of the units that answered `of` whose answer is `answer`.
    Share,
}

/// A formula for a derived indicator, computed from aggregated components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DerivedOp {
    /// numerator / denominator × scale (tỷ lệ, cơ cấu).
    Ratio,
    /// (numerator / denominator − 1) × scale (tăng trưởng).
    Growth,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    pub op: DerivedOp,
    pub numerator: String,
    pub denominator: String,
    #[serde(default = "hundred")]
    pub scale: f64,
}

fn hundred() -> f64 {
    100.0
}

impl Derived {
    /// The derived value from its components, `None` when it is undefined (÷ 0, missing).
    pub fn compute(&self, numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
        let (n, d) = (numerator?, denominator?);
        if d == 0.0 {
            return None;
        }
        Some(match self.op {
            DerivedOp::Ratio => n / d * self.scale,
            DerivedOp::Growth => (n / d - 1.0) * self.scale,
        })
    }
}

/// One indicator of a catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    /// Vietnamese name, as printed on forms.
    pub name: String,
    /// Unit of measure (đơn vị tính): "tỷ đồng", "người", "%".
    pub unit: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    pub aggregation: Aggregation,
    /// The weight indicator of a weighted average.
    #[serde(default)]
    pub weight: Option<String>,
    #[serde(default)]
    pub derived: Option<Derived>,
    /// Code of the unit that owns the figure (cơ quan chủ trì số liệu).
    #[serde(default)]
    pub owner: Option<String>,
    /// Levels whose units report this indicator; empty means every reporting level.
    #[serde(default)]
    pub reported_by: Vec<String>,
    /// Only the owner reports it.
    #[serde(default)]
    pub owner_only: bool,
    /// The total this indicator is a "trong đó" part of.
    #[serde(default)]
    pub part_of: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Whether a reporting unit must fill it (default true).
    #[serde(default = "yes")]
    pub required: bool,
    /// A level (tồn, số hiện có), not a flow: its year-to-date is the latest value, not a sum.
    #[serde(default)]
    pub stock: bool,
    /// Whether a rise is good news (default true); the narrative uses it for wording.
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// Decimal places its figures are printed with (`decimals`, 0–6; default 0 for an integer,
    /// 2 for a decimal or a percentage): presentation only, figures are kept unrounded.
    #[serde(default, rename = "decimals")]
    pub decimal_places: Option<i64>,
    /// Whether its figures are checked against their history (BC0802; default true): off for
    /// a figure whose swings say nothing (one-off investments, disasters).
    #[serde(default = "yes")]
    pub outliers: bool,
    /// The disaggregations it is collected by, each a set of dimension codes: `[["nguon"],
    /// ["linh_vuc", "nguon"]]` (one-way by source, and lĩnh vực × source). Its total is
    /// always collected too.
    #[serde(default)]
    pub disaggregations: Vec<Vec<String>>,
    /// A derived indicator's formula over cells (instead of `derived`), e.g.
    /// `(TT02[tien_do=truoc_han] + TT02[tien_do=dung_han]) / TT02 * 100`.
    #[serde(default)]
    pub formula: Option<String>,
    /// A yes/no answer's two labels, yes first (default `["Có", "Không"]`).
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// A category answer's options: a dimension's code, or a list `[{ code, name }, …]`.
    #[serde(default)]
    pub options: Option<AnswerOptions>,
    /// A count's or a share's question (an answer indicator) and the answer counted (an
    /// option's code or label).
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub answer: Option<String>,
    /// A text's longest length in characters (default 500).
    #[serde(default)]
    pub max_length: Option<usize>,
    /// The answers of a yes/no or category indicator, in order (resolved when the catalog is
    /// loaded): a yes/no's are `co` (1) then `khong` (0); a category's option n is kept as n.
    #[serde(skip)]
    pub answers: Vec<super::dimensions::DimOption>,
    /// `formula`, parsed when the catalog is loaded.
    #[serde(skip)]
    pub parsed_formula: Option<super::formula::Formula>,
    /// The name normalized for matching a form's rows (`text::nfc`, `text::fold`), computed
    /// when the catalog is loaded rather than for every file.
    #[serde(skip)]
    pub name_nfc: String,
    #[serde(skip)]
    pub name_fold: String,
}

/// A category's options: a dimension's code, or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AnswerOptions {
    Dimension(String),
    List(Vec<super::dimensions::DimOption>),
}

/// The code of the built-in count of reporting units, usable in formulas and on forms.
pub const REPORTING_UNITS: &str = "DON_VI_BAO_CAO";

/// A text answer's default longest length, in characters.
pub const DEFAULT_TEXT_LENGTH: usize = 500;

/// The default labels of a yes/no answer.
pub const YES_NO: [&str; 2] = ["Có", "Không"];

/// How an answer typed in a cell was read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnswerReading {
    /// Exactly one of the labels (or codes).
    Exact(f64),
    /// Matched once case, diacritics and spaces were set aside, or a synonym ("1", "Đạt"
    /// for "Có"): the value and the label it was read as.
    Normalized(f64),
    /// Not one of the answers.
    Unknown,
}

/// Words read as yes or no whatever a yes/no's labels, folded.
const YES_WORDS: [&str; 6] = ["co", "dat", "yes", "x", "1", "true"];
const NO_WORDS: [&str; 6] = ["khong", "chua dat", "no", "k", "0", "false"];

/// The most decimal places an indicator may declare.
pub const MAX_DECIMALS: i64 = 6;

fn yes() -> bool {
    true
}

impl Indicator {
    /// The indicators this one is computed from: a weighted average's weight, a ratio's or
    /// growth's numerator and denominator, a formula's operands (each once, in that order).
    pub fn operands(&self) -> Vec<&str> {
        let mut out: Vec<&str> = match (&self.weight, &self.derived) {
            (Some(w), _) => vec![w],
            (_, Some(d)) => vec![&d.numerator, &d.denominator],
            _ => vec![],
        };
        if let Some(f) = &self.parsed_formula {
            out.extend(f.refs().into_iter().map(|(c, _)| c));
            out.dedup();
        }
        out
    }

    /// A yes/no or category question (its figures are answers, printed as labels).
    pub fn is_answer(&self) -> bool {
        matches!(self.value_type, ValueType::YesNo | ValueType::Category)
    }

    /// The value an answer is kept as, by its place in `answers`.
    pub fn answer_value(&self, index: usize) -> f64 {
        match self.value_type {
            ValueType::YesNo => (index == 0) as u8 as f64,
            _ => (index + 1) as f64,
        }
    }

    /// The place in `answers` of a value, when it is one of the answers.
    pub fn answer_index(&self, value: f64) -> Option<usize> {
        let i = match self.value_type {
            ValueType::YesNo if value == 1.0 => 0,
            ValueType::YesNo if value == 0.0 => 1,
            ValueType::Category if value.fract() == 0.0 && value >= 1.0 => value as usize - 1,
            _ => return None,
        };
        (i < self.answers.len()).then_some(i)
    }

    /// The label of an answer's value.
    pub fn answer_label(&self, value: f64) -> Option<&str> {
        self.answer_index(value)
            .map(|i| self.answers[i].name.as_str())
    }

    /// Reads an answer typed in a cell: one of the labels exactly, or a code, or once case,
    /// diacritics and spaces are set aside (with a yes/no's synonyms: "đạt", "x", "1").
    pub fn read_answer(&self, text: &str) -> AnswerReading {
        let t = crate::text::nfc(text.trim());
        if let Some(i) = self.answers.iter().position(|o| o.name == t) {
            return AnswerReading::Exact(self.answer_value(i));
        }
        let f = crate::text::fold(&t);
        let f = f.trim_end_matches('.');
        if let Some(i) = self
            .answers
            .iter()
            .position(|o| crate::text::fold(&o.name) == f || crate::text::fold(&o.code) == f)
        {
            return AnswerReading::Normalized(self.answer_value(i));
        }
        if self.value_type == ValueType::YesNo {
            if YES_WORDS.contains(&f) {
                return AnswerReading::Normalized(1.0);
            }
            if NO_WORDS.contains(&f) {
                return AnswerReading::Normalized(0.0);
            }
        }
        AnswerReading::Unknown
    }

    /// An answer given as an option's code or label (a count's `answer`, a rule's value).
    pub fn answer_named(&self, text: &str) -> Option<f64> {
        match self.read_answer(text) {
            AnswerReading::Exact(v) | AnswerReading::Normalized(v) => Some(v),
            AnswerReading::Unknown => None,
        }
    }

    /// A figure as printed in text: an answer's label, a year without separators, a number
    /// the vi-VN way with the indicator's decimals.
    pub fn display(&self, value: f64) -> String {
        if let Some(l) = self.answer_label(value) {
            return l.to_string();
        }
        match self.value_type {
            ValueType::Year if value.fract() == 0.0 && value.abs() < 1e6 => {
                format!("{}", value as i64)
            }
            _ => crate::text::fmt_vn(value, self.decimals()),
        }
    }

    /// The answers of a yes/no (its labels) or a category (its options, resolved from a
    /// dimension by the catalog).
    pub fn resolve_answers(&mut self, dimension: Option<&super::dimensions::Dimension>) {
        self.answers = match self.value_type {
            ValueType::YesNo => {
                let labels = self.labels.clone().unwrap_or_default();
                let label = |i: usize| {
                    labels
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| YES_NO[i].to_string())
                };
                vec![
                    super::dimensions::DimOption {
                        code: "co".into(),
                        name: label(0),
                    },
                    super::dimensions::DimOption {
                        code: "khong".into(),
                        name: label(1),
                    },
                ]
            }
            ValueType::Category => match &self.options {
                Some(AnswerOptions::List(l)) => l.clone(),
                Some(AnswerOptions::Dimension(_)) => {
                    dimension.map(|d| d.options.clone()).unwrap_or_default()
                }
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
    }

    /// The built-in count of reporting units (`DON_VI_BAO_CAO`).
    pub fn reporting_units() -> Indicator {
        Indicator {
            code: REPORTING_UNITS.into(),
            name: "Số đơn vị báo cáo".into(),
            unit: "đơn vị".into(),
            value_type: ValueType::Integer,
            aggregation: Aggregation::Count,
            weight: None,
            derived: None,
            owner: None,
            reported_by: Vec::new(),
            owner_only: false,
            part_of: None,
            min: None,
            max: None,
            required: false,
            stock: true,
            higher_is_better: true,
            decimal_places: None,
            outliers: false,
            disaggregations: Vec::new(),
            labels: None,
            options: None,
            of: None,
            answer: None,
            max_length: None,
            answers: Vec::new(),
            formula: None,
            parsed_formula: None,
            name_nfc: String::new(),
            name_fold: String::new(),
        }
        .with_normalized_names()
    }

    /// Whether consolidation computes its figures from the units' answers (counts, shares).
    pub fn is_counted(&self) -> bool {
        matches!(self.aggregation, Aggregation::Count | Aggregation::Share)
    }

    /// Fills `name_nfc` and `name_fold` from the name (the catalog does it when it loads).
    pub fn with_normalized_names(mut self) -> Indicator {
        self.name_nfc = crate::text::nfc(&self.name);
        self.name_fold = crate::text::fold(&self.name);
        self
    }

    /// The lowest allowed value: `min`, else 0 (figures are non-negative unless declared).
    pub fn lower_bound(&self) -> f64 {
        self.min.unwrap_or(match self.value_type {
            ValueType::Year => 1900.0,
            _ => 0.0,
        })
    }

    /// The highest allowed value: `max`, else 100 for percentages, else none.
    pub fn upper_bound(&self) -> Option<f64> {
        self.max.or(match self.value_type {
            ValueType::Percent => Some(100.0),
            ValueType::Year => Some(2100.0),
            ValueType::YesNo => Some(1.0),
            ValueType::Category => Some(self.answers.len().max(1) as f64),
            _ => None,
        })
    }

    /// A figure that adds up over time (year-to-date is a sum).
    pub fn is_flow(&self) -> bool {
        self.aggregation == Aggregation::Sum && self.value_type != ValueType::Percent && !self.stock
    }

    pub fn is_derived(&self) -> bool {
        self.aggregation == Aggregation::Derived
    }

    /// Computed by consolidation, never typed by a reporting unit: a derived indicator, a
    /// count or a share of answers.
    pub fn is_computed(&self) -> bool {
        self.is_derived() || self.is_counted()
    }

    /// Decimal places for display: `decimals` where declared (and valid), else 0 for an
    /// integer, a year or an answer, 2 for a decimal, a percentage, or an average of whole
    /// numbers (17,45 tiêu chí per xã is not 17).
    pub fn decimals(&self) -> usize {
        match self.decimal_places {
            Some(d @ 0..=MAX_DECIMALS) => d as usize,
            _ => match self.value_type {
                ValueType::Integer
                    if matches!(
                        self.aggregation,
                        Aggregation::Average | Aggregation::WeightedAverage
                    ) =>
                {
                    2
                }
                ValueType::Integer
                | ValueType::Year
                | ValueType::YesNo
                | ValueType::Category
                | ValueType::Text => 0,
                ValueType::Decimal | ValueType::Percent => 2,
            },
        }
    }

    /// A text's longest length in characters.
    pub fn text_limit(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_TEXT_LENGTH)
    }

    pub fn is_text(&self) -> bool {
        self.value_type == ValueType::Text
    }

    /// Whether its figures are whole numbers (integers, years, answers).
    pub fn is_whole(&self) -> bool {
        matches!(
            self.value_type,
            ValueType::Integer | ValueType::Year | ValueType::YesNo | ValueType::Category
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorFile {
    #[serde(default)]
    pub dimension: Vec<super::dimensions::Dimension>,
    #[serde(default)]
    pub indicator: Vec<Indicator>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_numerator_over_denominator_times_scale() {
        let d = Derived {
            op: DerivedOp::Ratio,
            numerator: "a".into(),
            denominator: "b".into(),
            scale: 100.0,
        };
        assert_eq!(d.compute(Some(25.0), Some(200.0)), Some(12.5));
        assert_eq!(d.compute(Some(25.0), Some(0.0)), None);
        assert_eq!(d.compute(None, Some(2.0)), None);
    }

    fn question(toml: &str) -> Indicator {
        let file: IndicatorFile = toml::from_str(toml).unwrap();
        let mut i = file.indicator.into_iter().next().unwrap();
        i.resolve_answers(None);
        i
    }

    #[test]
    fn answers_are_read_whatever_the_case_diacritics_and_synonyms_with_a_note() {
        let q = question(
            "[[indicator]]\ncode = \"Q\"\nname = \"Tiêu chí\"\nunit = \"\"\ntype = \"yes_no\"\nlabels = [\"Đạt\", \"Chưa đạt\"]\naggregation = \"none\"\n",
        );
        assert_eq!(q.read_answer("Đạt"), AnswerReading::Exact(1.0));
        assert_eq!(q.read_answer(" Chưa đạt "), AnswerReading::Exact(0.0));
        for typed in ["đạt", "DAT", "ĐẠT", "dat.", "x", "1", "có"] {
            assert_eq!(
                q.read_answer(typed),
                AnswerReading::Normalized(1.0),
                "{typed}"
            );
        }
        for typed in ["chua dat", "CHƯA  ĐẠT", "0", "không"] {
            assert_eq!(
                q.read_answer(typed),
                AnswerReading::Normalized(0.0),
                "{typed}"
            );
        }
        assert_eq!(q.read_answer("Đạt một phần"), AnswerReading::Unknown);
        assert_eq!(q.answer_label(1.0), Some("Đạt"));
        assert_eq!(q.answer_label(0.5), None);
        let c = question(
            "[[indicator]]\ncode = \"C\"\nname = \"Mức\"\nunit = \"\"\ntype = \"category\"\noptions = [{ code = \"a\", name = \"Đạt chuẩn\" }, { code = \"b\", name = \"Nâng cao\" }]\naggregation = \"none\"\n",
        );
        // A category's option n is kept as n.
        assert_eq!(c.read_answer("Nâng cao"), AnswerReading::Exact(2.0));
        assert_eq!(c.read_answer("nang cao"), AnswerReading::Normalized(2.0));
        assert_eq!(c.read_answer("b"), AnswerReading::Normalized(2.0));
        assert_eq!(c.read_answer("1"), AnswerReading::Unknown);
        assert_eq!(c.display(1.0), "Đạt chuẩn");
    }

    #[test]
    fn years_print_without_separators_and_averages_of_whole_numbers_with_decimals() {
        let y = question("[[indicator]]\ncode = \"Y\"\nname = \"Năm\"\nunit = \"\"\ntype = \"year\"\naggregation = \"none\"\n");
        assert_eq!(y.display(2015.0), "2015");
        assert_eq!((y.lower_bound(), y.upper_bound()), (1900.0, Some(2100.0)));
        let n = question("[[indicator]]\ncode = \"N\"\nname = \"Số tiêu chí\"\nunit = \"\"\ntype = \"integer\"\naggregation = \"average\"\n");
        assert_eq!(n.display(17.45), "17,45");
    }

    #[test]
    fn growth_is_index_minus_one() {
        let d = Derived {
            op: DerivedOp::Growth,
            numerator: "a".into(),
            denominator: "b".into(),
            scale: 100.0,
        };
        assert_eq!(
            d.compute(Some(113.0), Some(100.0))
                .map(|v| (v * 1e9).round() / 1e9),
            Some(13.0)
        );
    }
}
