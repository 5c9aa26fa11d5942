//! Conditions of "if … then …" rules (`[[rule]] kind = "if"`): `NTM01 = Có`,
//! `NTM02 >= 19`, `NTM02 + NTM03 > NTM04 * 2`, `NTM05 không trống`.
//!
//! A condition compares two formulas (`crate::catalog::formula`) with `= != < <= > >=` (also
//! `<>`, `≠`, `≤`, `≥`), or says a cell is filled (`không trống`, `not empty`) or empty
//! (`trống`, `empty`). Where one side is a single cell of a yes/no or category question,
//! the other may be one of its answers, written as on the form (`Có`, `"Chưa đạt"`, matched
//! whatever the case and diacritics). Parsing checks every cell against the catalog, so a
//! rule that loads can always be evaluated; nothing here can panic.

use std::collections::BTreeMap;

use super::formula::Formula;
use super::Indicator;
use crate::model::Disagg;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, a: f64, b: f64) -> bool {
        // Figures are kept to 9 decimals: equal within that.
        let eq = (a - b).abs() < 1e-9;
        match self {
            Cmp::Eq => eq,
            Cmp::Ne => !eq,
            Cmp::Lt => a < b && !eq,
            Cmp::Le => a < b || eq,
            Cmp::Gt => a > b && !eq,
            Cmp::Ge => a > b || eq,
        }
    }

    /// The operator as printed in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "≠",
            Cmp::Lt => "<",
            Cmp::Le => "≤",
            Cmp::Gt => ">",
            Cmp::Ge => "≥",
        }
    }
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare {
        left: Formula,
        op: Cmp,
        right: Formula,
    },
    /// A cell is filled (`true`) or empty (`false`).
    Filled { cell: Formula, filled: bool },
    /// Always holds (an "if" rule without `when`).
    Always,
}

/// Operators, longest first (so that `>=` is not read as `>`).
const OPERATORS: [(&str, Cmp); 10] = [
    (">=", Cmp::Ge),
    ("<=", Cmp::Le),
    ("!=", Cmp::Ne),
    ("<>", Cmp::Ne),
    ("≥", Cmp::Ge),
    ("≤", Cmp::Le),
    ("≠", Cmp::Ne),
    ("=", Cmp::Eq),
    (">", Cmp::Gt),
    ("<", Cmp::Lt),
];

impl Condition {
    /// Parses a condition against the catalog; the error says what is wrong, in Vietnamese.
    pub fn parse(
        text: &str,
        indicators: &BTreeMap<String, Indicator>,
    ) -> Result<Condition, String> {
        let t = text.trim();
        let folded = crate::text::fold(t);
        for (suffix, filled) in [
            ("khong trong", true),
            ("not empty", true),
            ("trong", false),
            ("empty", false),
        ] {
            if let Some(head) = folded.strip_suffix(suffix) {
                if head.ends_with(' ') || head.is_empty() {
                    // The cell as written: the text before the suffix's words.
                    let words = suffix.split(' ').count();
                    let cell_text: Vec<&str> = t.split_whitespace().collect();
                    let cell_text = cell_text[..cell_text.len().saturating_sub(words)].join(" ");
                    let cell =
                        Formula::parse(&cell_text).map_err(|e| format!("\"{text}\": {e}"))?;
                    if !matches!(cell, Formula::Ref { .. }) {
                        return Err(format!(
                            "\"{text}\": \"trống\"/\"không trống\" nói về một ô (mã chỉ tiêu), không về một biểu thức"
                        ));
                    }
                    check_refs(&cell, indicators, text)?;
                    return Ok(Condition::Filled { cell, filled });
                }
            }
        }
        let Some((at, op_text, op)) = find_operator(t) else {
            return Err(format!(
                "\"{text}\" không có phép so sánh (=, ≠, <, ≤, >, ≥) hay \"trống\"/\"không trống\""
            ));
        };
        let (l, r) = (t[..at].trim(), t[at + op_text.len()..].trim());
        if l.is_empty() || r.is_empty() {
            return Err(format!(
                "\"{text}\": thiếu vế trái hoặc vế phải của \"{op_text}\""
            ));
        }
        let left = side(l, r, indicators, text)?;
        let right = side(r, l, indicators, text)?;
        for f in [&left, &right] {
            if let Some((c, _)) = f
                .refs()
                .into_iter()
                .find(|(c, _)| indicators.get(*c).is_some_and(Indicator::is_text))
            {
                return Err(format!("\"{text}\": {c} là ô chữ, không so sánh được; với ô chữ chỉ dùng \"{c} trống\" hoặc \"{c} không trống\""));
            }
        }
        Ok(Condition::Compare { left, op, right })
    }

    /// Every cell it reads, as (indicator, cell).
    pub fn refs(&self) -> Vec<(&str, &Disagg)> {
        match self {
            Condition::Compare { left, right, .. } => {
                let mut out = left.refs();
                out.extend(right.refs());
                out
            }
            Condition::Filled { cell, .. } => cell.refs(),
            Condition::Always => Vec::new(),
        }
    }

    /// Whether it holds with the figures `get` gives; `None` when a figure it compares is
    /// missing (it cannot be judged).
    pub fn holds(&self, get: &dyn Fn(&str, &Disagg) -> Option<f64>) -> Option<bool> {
        let none = Disagg::default();
        match self {
            Condition::Always => Some(true),
            Condition::Filled { cell, filled } => {
                let present = cell.eval(&none, get).is_ok();
                Some(present == *filled)
            }
            Condition::Compare { left, op, right } => {
                let a = left.eval(&none, get).ok()?;
                let b = right.eval(&none, get).ok()?;
                Some(op.holds(a, b))
            }
        }
    }
}

/// The first comparison operator outside `[…]` (a cell's options have `=` in it):
/// (byte position, as written, operator).
fn find_operator(t: &str) -> Option<(usize, &'static str, Cmp)> {
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, c) in t.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            _ if depth == 0 && !quoted => {
                if let Some((s, op)) = OPERATORS.iter().find(|(s, _)| t[i..].starts_with(s)) {
                    return Some((i, s, *op));
                }
            }
            _ => {}
        }
    }
    None
}

/// One side of a comparison: a formula, or an answer of the question on the other side.
fn side(
    this: &str,
    other: &str,
    indicators: &BTreeMap<String, Indicator>,
    text: &str,
) -> Result<Formula, String> {
    let question = Formula::parse(other).ok().and_then(|f| match f {
        Formula::Ref { indicator, disagg } if disagg.is_total() => indicators
            .get(&indicator)
            .filter(|i| i.is_answer())
            .cloned(),
        _ => None,
    });
    if let Some(q) = question {
        let answer = this.trim().trim_matches('"').trim();
        if let Some(v) = q.answer_named(answer) {
            return Ok(Formula::Number(v));
        }
        if Formula::parse(this).is_err() || !indicators.contains_key(this.trim()) {
            return Err(format!(
                "\"{text}\": \"{answer}\" không phải câu trả lời của {}; chọn một trong: {}",
                q.code,
                q.answers
                    .iter()
                    .map(|o| format!("\"{}\"", o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let f = Formula::parse(this).map_err(|e| format!("\"{text}\", vế \"{}\": {e}", this.trim()))?;
    check_refs(&f, indicators, text)?;
    Ok(f)
}

/// Every cell of a formula names a known indicator.
fn check_refs(
    f: &Formula,
    indicators: &BTreeMap<String, Indicator>,
    text: &str,
) -> Result<(), String> {
    for (c, _) in f.refs() {
        if !indicators.contains_key(c) {
            return Err(format!(
                "\"{text}\": chỉ tiêu \"{c}\" không có trong danh mục"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> BTreeMap<String, Indicator> {
        let toml = r#"
[[indicator]]
code = "Q"
name = "Xã đạt chuẩn"
unit = ""
type = "yes_no"
labels = ["Đạt", "Chưa đạt"]
aggregation = "none"

[[indicator]]
code = "N"
name = "Số tiêu chí đạt"
unit = "tiêu chí"
type = "integer"
aggregation = "average"

[[indicator]]
code = "Y"
name = "Năm công nhận"
unit = ""
type = "year"
aggregation = "none"

[[indicator]]
code = "T"
name = "Ghi chú"
unit = ""
type = "text"
aggregation = "none"
"#;
        let file: super::super::indicators::IndicatorFile = toml::from_str(toml).unwrap();
        file.indicator
            .into_iter()
            .map(|mut i| {
                i.resolve_answers(None);
                (i.code.clone(), i)
            })
            .collect()
    }

    fn figures<'a>(v: &'a [(&'a str, f64)]) -> impl Fn(&str, &Disagg) -> Option<f64> + 'a {
        move |c, _| v.iter().find(|(k, _)| *k == c).map(|(_, x)| *x)
    }

    #[test]
    fn an_answer_on_either_side_is_its_value_whatever_the_case_and_diacritics() {
        let c = catalog();
        let a = Condition::parse("Q = Đạt", &c).unwrap();
        let b = Condition::parse("\"chua dat\" = Q", &c).unwrap();
        // Đạt is kept as 1, Chưa đạt as 0.
        assert_eq!(a.holds(&figures(&[("Q", 1.0)])), Some(true));
        assert_eq!(a.holds(&figures(&[("Q", 0.0)])), Some(false));
        assert_eq!(b.holds(&figures(&[("Q", 0.0)])), Some(true));
        assert_eq!(a.holds(&figures(&[])), None);
        let e = Condition::parse("Q = Có lẽ", &c).unwrap_err();
        assert!(e.contains("\"Đạt\", \"Chưa đạt\""), "{e}");
    }

    #[test]
    fn comparisons_and_filled_cells() {
        let c = catalog();
        let ge = Condition::parse("N >= 19", &c).unwrap();
        assert_eq!(ge.holds(&figures(&[("N", 19.0)])), Some(true));
        assert_eq!(ge.holds(&figures(&[("N", 15.0)])), Some(false));
        let ne = Condition::parse("N * 2 ≠ Y - 1990", &c).unwrap();
        // 15 × 2 = 30 and 2020 − 1990 = 30: equal, so ≠ does not hold.
        assert_eq!(
            ne.holds(&figures(&[("N", 15.0), ("Y", 2020.0)])),
            Some(false)
        );
        let filled = Condition::parse("Y không trống", &c).unwrap();
        assert_eq!(filled.holds(&figures(&[("Y", 2019.0)])), Some(true));
        assert_eq!(filled.holds(&figures(&[])), Some(false));
        let empty = Condition::parse("Y trống", &c).unwrap();
        assert_eq!(empty.holds(&figures(&[])), Some(true));
        assert!(Condition::parse("N 19", &c).is_err());
        assert!(Condition::parse("Z > 1", &c).unwrap_err().contains("\"Z\""));
        assert!(Condition::parse("N + 1 không trống", &c).is_err());
        // A text is only filled or empty.
        assert!(Condition::parse("T không trống", &c).is_ok());
        let e = Condition::parse("T = 1", &c).unwrap_err();
        assert!(e.contains("T là ô chữ"), "{e}");
    }
}
