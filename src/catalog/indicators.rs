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
    /// The breakdowns it is collected by, each a set of dimension codes: `[["nguon"],
    /// ["linh_vuc", "nguon"]]` (one-way by source, and lĩnh vực × source). Its total is
    /// always collected too.
    #[serde(default)]
    pub disaggregations: Vec<Vec<String>>,
    /// A derived indicator's formula over cells (instead of `derived`), e.g.
    /// `(TT02[tien_do=truoc_han] + TT02[tien_do=dung_han]) / TT02 * 100`.
    #[serde(default)]
    pub formula: Option<String>,
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

    /// Fills `name_nfc` and `name_fold` from the name (the catalog does it when it loads).
    pub fn with_normalized_names(mut self) -> Indicator {
        self.name_nfc = crate::text::nfc(&self.name);
        self.name_fold = crate::text::fold(&self.name);
        self
    }

    /// The lowest allowed value: `min`, else 0 (figures are non-negative unless declared).
    pub fn lower_bound(&self) -> f64 {
        self.min.unwrap_or(0.0)
    }

    /// The highest allowed value: `max`, else 100 for percentages, else none.
    pub fn upper_bound(&self) -> Option<f64> {
        self.max.or(match self.value_type {
            ValueType::Percent => Some(100.0),
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

    /// Decimal places for display: `decimals` where declared (and valid), else 0 for an
    /// integer, 2 for a decimal or a percentage.
    pub fn decimals(&self) -> usize {
        match self.decimal_places {
            Some(d @ 0..=MAX_DECIMALS) => d as usize,
            _ => match self.value_type {
                ValueType::Integer => 0,
                ValueType::Decimal | ValueType::Percent => 2,
            },
        }
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
