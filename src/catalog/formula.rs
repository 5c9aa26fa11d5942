//! Formulas of derived indicators over cells: `(TT02[tien_do=truoc_han] +
//! TT02[tien_do=dung_han]) / TT02 * 100`.
//!
//! Owns parsing and evaluation: numbers, cell references (`CODE` or `CODE[dim=opt;…]`), `+ - *
//! /`, unary minus and parentheses. A reference is relative to the cell being computed: its
//! disaggregation is merged over the target's, so the formula of `TT04[linh_vuc=ho_tich]` reads
//! `TT02[linh_vuc=ho_tich;tien_do=truoc_han]`. Division by zero, a missing operand or a result
//! that is not finite gives no value and says why; nothing here can panic on a formula.

use crate::model::Disagg;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    Number(f64),
    Ref { indicator: String, disagg: Disagg },
    Neg(Box<Formula>),
    Bin(Box<Formula>, Op, Box<Formula>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Why a formula gave no value for a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum NoValue {
    /// An operand cell has no value: (indicator, disaggregation).
    Missing(String, Disagg),
    /// A divisor was zero.
    DivisionByZero,
    /// The result overflowed.
    NotFinite,
}

impl NoValue {
    /// A Vietnamese note for reports and workbooks.
    pub fn note(&self) -> String {
        match self {
            NoValue::Missing(i, d) => {
                format!("chưa có số liệu của {}", crate::model::cell_key(i, d))
            }
            NoValue::DivisionByZero => "mẫu số bằng 0, không tính được".to_string(),
            NoValue::NotFinite => "kết quả vượt quá giới hạn số".to_string(),
        }
    }
}

/// The deepest nesting a formula may have (a guard against hostile config, not a real limit).
const MAX_DEPTH: usize = 64;

impl Formula {
    /// Parses a formula; the error says where it went wrong.
    pub fn parse(text: &str) -> Result<Formula, String> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
            depth: 0,
        };
        let f = p.expr()?;
        p.skip_ws();
        if p.pos < p.chars.len() {
            return Err(format!(
                "ký tự thừa \"{}\" ở vị trí {}",
                p.chars[p.pos],
                p.pos + 1
            ));
        }
        Ok(f)
    }

    /// Every cell the formula reads, as written (relative to the target cell).
    pub fn refs(&self) -> Vec<(&str, &Disagg)> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<(&'a str, &'a Disagg)>) {
        match self {
            Formula::Number(_) => {}
            Formula::Ref { indicator, disagg } => out.push((indicator, disagg)),
            Formula::Neg(f) => f.collect_refs(out),
            Formula::Bin(a, _, b) => {
                a.collect_refs(out);
                b.collect_refs(out);
            }
        }
    }

    /// The figures `eval` reads for `target`, in the order it reads them: (indicator, cell).
    /// Found once for a cell, then `eval_given` at every unit.
    pub fn refs_at(&self, target: &Disagg) -> Vec<(String, Disagg)> {
        self.refs()
            .into_iter()
            .map(|(code, d)| (code.to_string(), target.merged(d)))
            .collect()
    }

    /// `eval` with the figures already found: `figures[i]` is the figure of `refs[i]`
    /// (`refs` as `Formula::refs_at` gives them for the target). The same result as `eval`.
    pub fn eval_given(
        &self,
        refs: &[(String, Disagg)],
        figures: &[Option<f64>],
    ) -> Result<f64, NoValue> {
        let mut next = 0;
        self.walk(&mut |_, _| {
            let i = next;
            next += 1;
            figures
                .get(i)
                .copied()
                .flatten()
                .ok_or_else(|| match refs.get(i) {
                    Some((code, d)) => NoValue::Missing(code.clone(), d.clone()),
                    None => NoValue::Missing(String::new(), Disagg::default()),
                })
        })
    }

    /// The value for the cell with disaggregation `target`, reading operands with `get`.
    pub fn eval(
        &self,
        target: &Disagg,
        get: &dyn Fn(&str, &Disagg) -> Option<f64>,
    ) -> Result<f64, NoValue> {
        self.walk(&mut |indicator, disagg| {
            let d = target.merged(disagg);
            get(indicator, &d).ok_or_else(|| NoValue::Missing(indicator.to_string(), d))
        })
    }

    /// The formula's value with each reference's figure from `figure` (indicator, cell as
    /// written), references visited in the order `refs` lists them; the first failure stops.
    fn walk(
        &self,
        figure: &mut dyn FnMut(&str, &Disagg) -> Result<f64, NoValue>,
    ) -> Result<f64, NoValue> {
        let v = match self {
            Formula::Number(n) => *n,
            Formula::Ref { indicator, disagg } => figure(indicator, disagg)?,
            Formula::Neg(f) => -f.walk(figure)?,
            Formula::Bin(a, op, b) => {
                let (x, y) = (a.walk(figure)?, b.walk(figure)?);
                match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div if y == 0.0 => return Err(NoValue::DivisionByZero),
                    Op::Div => x / y,
                }
            }
        };
        if v.is_finite() {
            Ok(v)
        } else {
            Err(NoValue::NotFinite)
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn expr(&mut self) -> Result<Formula, String> {
        let mut left = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let right = self.term()?;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Formula::Bin(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Formula, String> {
        let mut left = self.factor()?;
        while let Some(c @ ('*' | '/' | '×' | ':')) = self.peek() {
            self.pos += 1;
            let right = self.factor()?;
            let op = if c == '*' || c == '×' {
                Op::Mul
            } else {
                Op::Div
            };
            left = Formula::Bin(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Formula, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("công thức lồng quá sâu".to_string());
        }
        let out = self.factor_inner();
        self.depth -= 1;
        out
    }

    fn factor_inner(&mut self) -> Result<Formula, String> {
        match self.peek() {
            None => Err("công thức kết thúc giữa chừng".to_string()),
            Some('-') => {
                self.pos += 1;
                Ok(Formula::Neg(Box::new(self.factor()?)))
            }
            Some('(') => {
                self.pos += 1;
                let f = self.expr()?;
                if self.peek() != Some(')') {
                    return Err(format!("thiếu dấu \")\" ở vị trí {}", self.pos + 1));
                }
                self.pos += 1;
                Ok(f)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    self.pos += 1;
                }
                let s: String = self.chars[start..self.pos].iter().collect();
                s.parse::<f64>()
                    .map(Formula::Number)
                    .map_err(|_| format!("\"{s}\" không phải là số"))
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                {
                    self.pos += 1;
                }
                let indicator: String = self.chars[start..self.pos].iter().collect();
                let mut disagg = Disagg::default();
                if self.chars.get(self.pos) == Some(&'[') {
                    let open = self.pos;
                    let Some(len) = self.chars[open..].iter().position(|c| *c == ']') else {
                        return Err(format!("thiếu dấu \"]\" sau {indicator}"));
                    };
                    let inner: String = self.chars[open + 1..open + len].iter().collect();
                    disagg = Disagg::parse(&inner)?;
                    self.pos = open + len + 1;
                }
                Ok(Formula::Ref { indicator, disagg })
            }
            Some(c) => Err(format!(
                "ký tự \"{c}\" không hợp lệ ở vị trí {}",
                self.pos + 1
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cells(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn eval_at(f: &str, target: &str, data: &BTreeMap<String, f64>) -> Result<f64, NoValue> {
        let f = Formula::parse(f).unwrap();
        let t = Disagg::parse(target).unwrap();
        f.eval(&t, &|i, d| data.get(&crate::model::cell_key(i, d)).copied())
    }

    const RATE: &str = "(TT02[tien_do=truoc_han] + TT02[tien_do=dung_han]) / TT02 * 100";

    #[test]
    fn eval_given_the_figures_found_once_is_eval() {
        // Every formula, at a total and a broken-down target, over data where each figure is
        // present, missing or zero: the same value or the same reason as `eval`.
        let formulas = [
            RATE,
            "A - B * 2",
            "-(A / B) + 1",
            "A / (B - B)",
            "1 / 0 + A",
            "A[gioi_tinh=nu] / A",
            "3",
        ];
        let keys = [
            "A",
            "B",
            "A[gioi_tinh=nu]",
            "TT02",
            "TT02[tien_do=truoc_han]",
        ];
        let choices = [None, Some(0.0), Some(7.5)];
        for f in formulas {
            let formula = Formula::parse(f).unwrap();
            for target in ["", "gioi_tinh=nu", "tien_do=dung_han"] {
                let t = Disagg::parse(target).unwrap();
                let refs = formula.refs_at(&t);
                for pick in 0..choices.len().pow(keys.len() as u32) {
                    let mut data = BTreeMap::new();
                    let mut p = pick;
                    for k in keys {
                        if let Some(v) = choices[p % choices.len()] {
                            data.insert(k.to_string(), v);
                        }
                        p /= choices.len();
                    }
                    let get =
                        |i: &str, d: &Disagg| data.get(&crate::model::cell_key(i, d)).copied();
                    let figures: Vec<Option<f64>> = refs.iter().map(|(i, d)| get(i, d)).collect();
                    assert_eq!(
                        formula.eval_given(&refs, &figures),
                        formula.eval(&t, &get),
                        "{f} at [{target}] over {data:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_on_time_rate_of_form_06a() {
        // Lâm Đồng, quý I/2020: 635.593 on time or early of 643.272 settled = 98,806...%.
        let data = cells(&[
            ("TT02", 643_272.0),
            ("TT02[tien_do=truoc_han]", 600_000.0),
            ("TT02[tien_do=dung_han]", 35_593.0),
        ]);
        let v = eval_at(RATE, "", &data).unwrap();
        assert_eq!((v * 100.0).round() / 100.0, 98.81);
    }

    #[test]
    fn references_are_relative_to_the_target_cell() {
        let data = cells(&[
            ("TT02[linh_vuc=ho_tich]", 200.0),
            ("TT02[linh_vuc=ho_tich;tien_do=truoc_han]", 150.0),
            ("TT02[linh_vuc=ho_tich;tien_do=dung_han]", 40.0),
        ]);
        // (150 + 40) / 200 × 100 = 95
        assert_eq!(eval_at(RATE, "linh_vuc=ho_tich", &data), Ok(95.0));
    }

    #[test]
    fn division_by_zero_and_missing_cells_give_no_value() {
        let data = cells(&[
            ("TT02", 0.0),
            ("TT02[tien_do=truoc_han]", 0.0),
            ("TT02[tien_do=dung_han]", 0.0),
        ]);
        assert_eq!(eval_at(RATE, "", &data), Err(NoValue::DivisionByZero));
        let missing = eval_at(RATE, "", &cells(&[("TT02", 5.0)]));
        assert!(matches!(missing, Err(NoValue::Missing(i, _)) if i == "TT02"));
    }

    #[test]
    fn precedence_and_unary_minus() {
        let none = BTreeMap::new();
        assert_eq!(eval_at("1 + 2 * 3", "", &none), Ok(7.0));
        assert_eq!(eval_at("(1 + 2) * 3", "", &none), Ok(9.0));
        assert_eq!(eval_at("-2 * -3 - 1", "", &none), Ok(5.0));
        assert_eq!(eval_at("10 / 4 / 5", "", &none), Ok(0.5));
    }

    #[test]
    fn malformed_formulas_say_what_is_wrong() {
        for bad in [
            "",
            "TT02 +",
            "(TT02",
            "TT02[tien_do]",
            "TT02[tien_do=a",
            "TT02 $ 3",
            "1..2",
        ] {
            assert!(Formula::parse(bad).is_err(), "{bad} should not parse");
        }
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        assert!(Formula::parse(&deep).is_err());
    }

    #[test]
    fn refs_lists_every_operand() {
        let f = Formula::parse(RATE).unwrap();
        let refs: Vec<String> = f
            .refs()
            .iter()
            .map(|(i, d)| crate::model::cell_key(i, d))
            .collect();
        assert_eq!(
            refs,
            ["TT02[tien_do=truoc_han]", "TT02[tien_do=dung_han]", "TT02"]
        );
    }
}
