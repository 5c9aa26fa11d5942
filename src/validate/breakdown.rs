//! Breakdown identities of one submission (phân tổ): the total of an exhaustive breakdown
//! equals the sum of its options; a partial list ("trong đó", "chủ yếu") adds up to no more
//! than its total; a total left empty is computed from its complete parts.
//!
//! Works per indicator, per column and per breakdown: for a cross `linh_vuc × nguon`, each
//! lĩnh vực's row adds up over the sources to that lĩnh vực's total (where the indicator is
//! also collected by lĩnh vực alone). Severity is a warning unless a `[[rule]] kind =
//! "breakdown"` of the regime makes it blocking (real data break stated identities).

use std::collections::BTreeSet;

use crate::catalog::{
    identities as identities_of, Config, CrossRule, Dimension, InputColumn, Regime,
};
use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::model::{cell_key, indicator_of, Disagg};
use crate::model::{CellKey, Submission, Value};
use crate::text::fmt_vn;

/// One identity: a total cell and the cells of one dimension's options beside it.
struct Identity<'a> {
    code: &'a str,
    dim: &'a Dimension,
    rest: Disagg,
    /// The total's cell and each option's name and cell, by their numbers in `Cells`.
    total: u32,
    parts: Vec<(&'a str, u32)>,
}

/// The cells the identities of a batch name, numbered in the order they are first named.
#[derive(Default)]
struct Cells {
    keys: Vec<CellKey>,
    numbers: std::collections::HashMap<CellKey, u32, foldhash::fast::RandomState>,
}

impl Cells {
    fn number(&mut self, key: &str) -> u32 {
        if let Some(&n) = self.numbers.get(key) {
            return n;
        }
        let n = self.keys.len() as u32;
        self.keys.push(CellKey::from(key));
        self.numbers.insert(CellKey::from(key), n);
        n
    }
}

/// The identities of indicator `code`: for each breakdown and each dimension in it, the
/// total over the others (only where that total is itself a cell of the indicator).
fn identities<'a>(config: &'a Config, code: &'a str, cells: &mut Cells) -> Vec<Identity<'a>> {
    let Some(ind) = config.indicator(code) else {
        return Vec::new();
    };
    let dimension = |d: &str| config.dimension(d);
    let mut out: Vec<Identity<'a>> = identities_of(&ind.disaggregations, &dimension)
        .into_iter()
        .map(|(dim, r)| Identity {
            code,
            dim,
            parts: dim
                .options
                .iter()
                .map(|o| {
                    let key = cell_key(code, &r.with(&dim.code, &o.code));
                    (o.name.as_str(), cells.number(&key))
                })
                .collect(),
            total: cells.number(&cell_key(code, &r)),
            rest: r,
        })
        .collect();
    // Smaller totals first, so that a total computed from its parts can feed a larger one.
    out.sort_by_key(|i| std::cmp::Reverse(i.rest.0.len()));
    out
}

/// The severity and tolerance the regime sets for an identity.
fn rule_for(regime: &Regime, code: &str, dim: &str) -> (Severity, f64) {
    for r in &regime.rule {
        if let CrossRule::Breakdown {
            indicator,
            dimension,
            blocking,
            tolerance,
        } = r
        {
            if indicator == code && dimension.as_deref().is_none_or(|d| d == dim) {
                let sev = if *blocking {
                    Severity::Blocking
                } else {
                    Severity::Warning
                };
                return (sev, *tolerance);
            }
        }
    }
    (Severity::Warning, 0.5)
}

/// The identities of each indicator, worked out once for a whole batch (they depend on the
/// catalog alone), and the cells they name.
#[derive(Default)]
pub struct Identities<'a> {
    by_code: std::collections::HashMap<String, Vec<Identity<'a>>>,
    cells: Cells,
    /// The cells a matrix form prints (by cell number and column); `None` until the first
    /// submission, empty for a form of indicator rows (which prints every total).
    printed: Option<Printed>,
}

/// Which totals the regime's form has a cell for: a total the form does not ask for is
/// computed from its parts without a word to the unit.
enum Printed {
    /// A form of indicator rows: every indicator's total has its row.
    Totals,
    /// A matrix form: the keys of its body cells, by column (`InputColumn as usize`).
    Cells([std::collections::HashSet<CellKey>; COLUMNS]),
}

impl Printed {
    fn of(config: &Config, regime: &Regime) -> Printed {
        match config.layouts.get(&regime.id) {
            None => Printed::Totals,
            Some(layout) => {
                let mut cells: [std::collections::HashSet<CellKey>; COLUMNS] = Default::default();
                for (_, _, b) in layout.cells() {
                    cells[b.column as usize].insert(b.key.clone());
                }
                Printed::Cells(cells)
            }
        }
    }

    fn asks(&self, key: &CellKey, column: InputColumn) -> bool {
        match self {
            Printed::Totals => !key.contains('['),
            Printed::Cells(cells) => cells[column as usize].contains(key),
        }
    }
}

/// Checks every breakdown identity of `s`, completing totals left empty.
pub fn check<'a>(
    config: &'a Config,
    regime: &Regime,
    s: &mut Submission,
    known: &mut Identities<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    // The indicators with a disaggregated figure, in code order (one text per indicator).
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for (k, _) in s.values.keys().filter(|(k, _)| k.contains('[')) {
        let code = indicator_of(k);
        if !codes.contains(code) {
            codes.insert(code.to_string());
        }
    }
    if codes.is_empty() {
        return;
    }
    let Identities {
        by_code,
        cells,
        printed,
    } = known;
    let printed = printed.get_or_insert_with(|| Printed::of(config, regime));
    for code in &codes {
        if !by_code.contains_key(code) {
            let known: &'a str = config.indicator(code).map_or("", |i| i.code.as_str());
            by_code.insert(code.clone(), identities(config, known, cells));
        }
    }
    // The submission's figures of the cells the identities name, by (cell number, column):
    // one hash of each figure's key, not a search of the map for each part of each identity
    // (a nation's quarter on a matrix form is millions of them). A column the form has no
    // figure in has no identity to check (a matrix form fills one or two of them).
    let mut figures = vec![None; cells.keys.len() * COLUMNS];
    let mut filled = [false; COLUMNS];
    for ((key, column), v) in &s.values {
        filled[*column as usize] = true;
        if let Some(&n) = cells.numbers.get(key) {
            figures[n as usize * COLUMNS + *column as usize] = Some(v.value);
        }
    }
    let mut sheet = Figures {
        keys: &cells.keys,
        figures,
    };
    for code in &codes {
        for id in &by_code[code] {
            for column in InputColumn::ALL.into_iter().filter(|c| filled[*c as usize]) {
                check_one(config, regime, s, &mut sheet, (id, printed), column, diags);
            }
        }
    }
}

/// The four columns, numbered as `InputColumn as usize`.
const COLUMNS: usize = InputColumn::ALL.len();

/// One submission's figures of the identities' cells (`check`).
struct Figures<'k> {
    keys: &'k [CellKey],
    figures: Vec<Option<f64>>,
}

impl Figures<'_> {
    fn get(&self, cell: u32, column: InputColumn) -> Option<f64> {
        self.figures[cell as usize * COLUMNS + column as usize]
    }

    /// Where a figure was read (for a diagnostic).
    fn location(&self, s: &Submission, cell: u32, column: InputColumn) -> Location {
        s.values
            .get(&(self.keys[cell as usize].clone(), column))
            .map(|v| v.location.location())
            .unwrap_or_default()
    }
}

/// A breakdown's parts present on a submission, as (option name, cell, figure).
struct Present<'a> {
    parts: Vec<(&'a str, u32, f64)>,
    sum: f64,
    /// Every option has a figure.
    complete: bool,
}

impl Present<'_> {
    /// "Nam F10 = 12, Nữ F11 = 8": each part with where it was read (for a diagnostic).
    fn listed(&self, s: &Submission, sheet: &Figures<'_>, column: InputColumn) -> String {
        self.parts
            .iter()
            .map(|&(n, cell, v)| {
                let at = sheet.location(s, cell, column);
                let at = match at.is_computed() {
                    true => format!("({})", at.cited()),
                    false => at.cell.to_string(),
                };
                format!("{n} {at} = {}", fmt_vn(v, 2))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One identity of one column: a total left empty is computed from a complete exhaustive
/// breakdown; a total typed is checked against its parts.
fn check_one(
    config: &Config,
    regime: &Regime,
    s: &mut Submission,
    sheet: &mut Figures<'_>,
    (id, printed): (&Identity<'_>, &Printed),
    column: InputColumn,
    diags: &mut Vec<Diagnostic>,
) {
    let parts: Vec<(&str, u32, f64)> = id
        .parts
        .iter()
        .filter_map(|&(name, cell)| sheet.get(cell, column).map(|v| (name, cell, v)))
        .collect();
    if parts.is_empty() {
        return;
    }
    let present = Present {
        sum: parts.iter().map(|(.., v)| v).sum(),
        complete: parts.len() == id.parts.len(),
        parts,
    };
    match sheet.get(id.total, column) {
        None if id.dim.exhaustive && present.complete => {
            let at = (id, printed);
            computed_total(config, s, sheet, at, column, &present, diags)
        }
        None => {}
        Some(total) => {
            let at = (id, printed);
            let check = (column, total);
            if let Some(d) = total_against_parts(config, regime, s, sheet, at, check, &present) {
                diags.push(d);
            }
        }
    }
}

/// The total of a complete exhaustive breakdown the unit left empty: the sum of its parts,
/// put in the submission. A total the form asks for is said (BC0409 warning); one the form
/// has no cell for is simply computed.
fn computed_total(
    config: &Config,
    s: &mut Submission,
    sheet: &mut Figures<'_>,
    (id, printed): (&Identity<'_>, &Printed),
    column: InputColumn,
    present: &Present<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let sum = present.sum;
    if printed.asks(&sheet.keys[id.total as usize], column) {
        let first = sheet.location(s, present.parts[0].1, column);
        let mut d = Diagnostic::new(
            Code::TotalComputed,
            first,
            format!(
                "Tổng số {} ({}) để trống; đã lấy tổng theo {} ({}) = {}.\nNếu tổng số khác, nhập tổng số vào biểu rồi gửi lại.",
                config.describe_cell(id.code, &id.rest), col_name(column), id.dim.name, present.listed(s, sheet, column), fmt_vn(sum, 2)
            ),
        );
        d.severity = Severity::Warning;
        diags.push(d);
    }
    let value = round(sum);
    let parts: Vec<Location> = present
        .parts
        .iter()
        .map(|&(_, cell, _)| sheet.location(s, cell, column))
        .collect();
    s.values.insert(
        (sheet.keys[id.total as usize].clone(), column),
        Value {
            value,
            location: Location::computed(&parts).into(),
        },
    );
    sheet.figures[id.total as usize * COLUMNS + column as usize] = Some(value);
}

/// A typed total against its parts: an exhaustive breakdown that does not add up to it
/// (BC0407), or parts larger than it (BC0408), by the regime's breakdown rule.
fn total_against_parts(
    config: &Config,
    regime: &Regime,
    s: &Submission,
    sheet: &Figures<'_>,
    (id, printed): (&Identity<'_>, &Printed),
    (column, total): (InputColumn, f64),
    present: &Present<'_>,
) -> Option<Diagnostic> {
    let (severity, tolerance) = rule_for(regime, id.code, &id.dim.code);
    let (sum, complete) = (present.sum, present.complete);
    let gap = sum - total;
    // Parts the form asks for and the unit left empty: with the total typed, an exhaustive
    // breakdown is checked as if they were 0 (the province's table would not add up).
    // Looked for only when they could turn a gap into a mismatch.
    let blank: Vec<&str> = match id.dim.exhaustive && !complete && gap.abs() > tolerance {
        true => id
            .parts
            .iter()
            .filter(|&&(_, cell)| sheet.get(cell, column).is_none())
            .filter(|&&(_, cell)| printed.asks(&sheet.keys[cell as usize], column))
            .map(|&(name, _)| name)
            .collect(),
        false => Vec::new(),
    };
    let complete = complete || present.parts.len() + blank.len() == id.parts.len();
    let code = if id.dim.exhaustive && complete && gap.abs() > tolerance {
        Code::BreakdownMismatch
    } else if gap > tolerance {
        Code::BreakdownExceedsTotal
    } else {
        return None;
    };
    let at = sheet.location(s, id.total, column);
    // The diagnostic points at the total the unit typed, or, when baocao computed it, at the
    // first of the parts the message lists (the figures the unit typed).
    let point = match at.is_computed() {
        true => sheet.location(s, present.parts[0].1, column),
        false => at.clone(),
    };
    let blanks = match blank.as_slice() {
        [] => String::new(),
        names => format!("; để trống: {}", names.join(", ")),
    };
    let what = config.describe_cell(id.code, &id.rest);
    let listed = present.listed(s, sheet, column);
    let message = if code == Code::BreakdownMismatch {
        format!(
            "Tổng số {} ({}, {}) = {} nhưng cộng theo {} ({}{blanks}) = {} (lệch {}).\nSửa tổng số hoặc các số phân tổ cho khớp rồi gửi lại{}.",
            what, col_name(column), at.cited(), fmt_vn(total, 2), id.dim.name, listed, fmt_vn(sum, 2), fmt_vn(gap.abs(), 2),
            if blank.is_empty() { "" } else { " (ô bằng 0 thì ghi 0, không để trống)" }
        )
    } else {
        format!(
            "Các số theo {} của {} ({}: {}) cộng lại = {}, lớn hơn tổng số {} ({}).\nSố \"trong đó\" không được lớn hơn tổng số; kiểm tra lại rồi gửi lại.",
            id.dim.name, what, col_name(column), listed, fmt_vn(sum, 2), fmt_vn(total, 2), at.cited()
        )
    };
    let mut d = Diagnostic::new(code, point, message);
    d.severity = severity;
    Some(d)
}

fn col_name(c: InputColumn) -> &'static str {
    match c {
        InputColumn::KeHoach => "kế hoạch năm",
        InputColumn::ThucHien => "thực hiện kỳ báo cáo",
        InputColumn::LuyKe => "lũy kế",
        InputColumn::KyTruoc => "thực hiện kỳ trước",
    }
}

fn round(v: f64) -> f64 {
    (v * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;
    use crate::model::{Origin, ReceiptSource};

    fn config() -> Config {
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")).unwrap()
    }

    /// Identities of a form that asks for none of the cells.
    fn not_asked() -> Identities<'static> {
        Identities {
            printed: Some(Printed::Cells(Default::default())),
            ..Identities::default()
        }
    }

    fn codes(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.code.as_str()).collect()
    }

    fn submission(figures: &[(String, f64)]) -> Submission {
        Submission {
            file: "f.xlsx".into(),
            path: "f.xlsx".into(),
            regime: "tthc".into(),
            period: "2026-Q3".parse().unwrap(),
            unit_code: "99011".into(),
            received_at: None,
            received_source: ReceiptSource::Unknown,
            origin: Origin::Form,
            values: figures
                .iter()
                .enumerate()
                .map(|(i, (key, v))| {
                    let value = Value {
                        value: *v,
                        location: Location::cell("f.xlsx", "Biểu", format!("C{}", i + 1)).into(),
                    };
                    ((CellKey::from(key.as_str()), InputColumn::ThucHien), value)
                })
                .collect(),
            texts: Default::default(),
            lists: Default::default(),
            empty: Default::default(),
            unread: Default::default(),
        }
    }

    #[test]
    fn a_total_computed_from_its_parts_is_checked_against_the_larger_total() {
        let config = config();
        let regime = config.regime("tthc").unwrap();
        let fields: Vec<String> = config
            .dimension("linh_vuc")
            .unwrap()
            .options
            .iter()
            .map(|o| o.code.clone())
            .collect();
        // Every lĩnh vực's total is 10 but đất đai's, left empty: its three sources (4 + 5 +
        // 6) give it 15. The grand total says 100, but the lĩnh vực add up to 10 × 9 + 15.
        let mut figures = vec![("TT01".to_string(), 100.0)];
        for f in &fields {
            if f == "dat_dai" {
                for (source, v) in [("truc_tuyen", 4.0), ("truc_tiep", 5.0), ("ky_truoc", 6.0)] {
                    figures.push((format!("TT01[linh_vuc=dat_dai;nguon={source}]"), v));
                }
            } else {
                figures.push((format!("TT01[linh_vuc={f}]"), 10.0));
            }
        }
        let mut s = submission(&figures);
        let mut diags = Vec::new();
        check(
            &config,
            regime,
            &mut s,
            &mut Identities::default(),
            &mut diags,
        );
        assert_eq!(codes(&diags), ["BC0409", "BC0407"], "{diags:#?}");
        assert_eq!(
            s.value("TT01[linh_vuc=dat_dai]", InputColumn::ThucHien),
            Some(15.0)
        );
        // The computed total points at its first part; the mismatch at the grand total.
        assert_eq!(diags[0].location.cell, "C4");
        assert_eq!(diags[1].location.cell, "C1");
        let expected = 10.0 * (fields.len() - 1) as f64 + 15.0;
        assert!(
            diags[1].message.contains(&format!(
                "= {} (lệch {})",
                fmt_vn(expected, 2),
                fmt_vn(expected - 100.0, 2)
            )),
            "{}",
            diags[1].message
        );
        // Once the total agrees, nothing is said but the computed total.
        figures[0].1 = expected;
        let mut s = submission(&figures);
        let mut diags = Vec::new();
        check(
            &config,
            regime,
            &mut s,
            &mut Identities::default(),
            &mut diags,
        );
        assert_eq!(codes(&diags), ["BC0409"], "{diags:#?}");
        // A total the form has no cell for is computed without a word.
        let mut s = submission(&figures);
        let mut diags = Vec::new();
        let mut known = not_asked();
        check(&config, regime, &mut s, &mut known, &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(
            s.value("TT01[linh_vuc=dat_dai]", InputColumn::ThucHien),
            Some(15.0)
        );
    }

    #[test]
    fn a_part_left_empty_on_the_form_counts_as_0_against_the_typed_total() {
        let config = config();
        let regime = config.regime("tthc").unwrap();
        // Total 16; trực tuyến 12, trực tiếp 3, từ kỳ trước left empty (its cell is on the
        // form): 12 + 3 + 0 = 15, off by 1: the province's table would not add up.
        let figures = |total: f64| {
            submission(&[
                ("TT01".into(), total),
                ("TT01[nguon=truc_tuyen]".into(), 12.0),
                ("TT01[nguon=truc_tiep]".into(), 3.0),
            ])
        };
        let mut diags = Vec::new();
        let mut known = Identities::default();
        check(&config, regime, &mut figures(16.0), &mut known, &mut diags);
        assert_eq!(codes(&diags), ["BC0407"], "{diags:#?}");
        assert!(
            diags[0].message.contains(
                "(Trực tuyến C2 = 12, Trực tiếp, dịch vụ bưu chính công ích C3 = 3; để trống: Từ kỳ trước chuyển qua) = 15 (lệch 1)"
            ),
            "{}",
            diags[0].message
        );
        assert!(diags[0].message.contains("ô bằng 0 thì ghi 0"));
        // When the typed parts make the total, the empty one is 0 and nothing is said.
        let mut diags = Vec::new();
        check(&config, regime, &mut figures(15.0), &mut known, &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
    }

    #[test]
    fn a_computed_total_is_cited_by_the_cells_it_was_computed_from() {
        let config = config();
        let regime = config.regime("tthc").unwrap();
        // The grand total left empty. The lĩnh vực C4:C13 (hộ tịch 10, the others 0) give it
        // 10 (the breakdown by lĩnh vực is checked first, as declared); the sources C1 + C2 + C3
        // = 4 + 5 + 6 = 15 then disagree with it, and the message quotes where the 10 came
        // from, pointing at a real cell.
        let mut figures = vec![
            ("TT01[nguon=truc_tuyen]".to_string(), 4.0),
            ("TT01[nguon=truc_tiep]".to_string(), 5.0),
            ("TT01[nguon=ky_truoc]".to_string(), 6.0),
        ];
        for f in &config.dimension("linh_vuc").unwrap().options {
            let v = if f.code == "ho_tich" { 10.0 } else { 0.0 };
            figures.push((format!("TT01[linh_vuc={}]", f.code), v));
        }
        let mut s = submission(&figures);
        let mut diags = Vec::new();
        check(
            &config,
            regime,
            &mut s,
            &mut Identities::default(),
            &mut diags,
        );
        assert_eq!(codes(&diags), ["BC0409", "BC0407"], "{diags:#?}");
        assert!(
            diags[1]
                .message
                .contains("(thực hiện kỳ báo cáo, tính từ các ô C4:C13) = 10 nhưng cộng theo"),
            "{}",
            diags[1].message
        );
        assert!(!diags[1].location.cell.starts_with('='), "{diags:#?}");
        assert_eq!(diags[1].location.cell, "C1");
    }

    #[test]
    fn parts_above_a_partial_total_and_a_total_off_by_more_than_the_tolerance_are_told() {
        let config = config();
        let regime = config.regime("tthc").unwrap();
        // The three sources of TT01 (exhaustive): 4 + 5 + 6 = 15 against a total of 15.4
        // (within the tolerance of 0.5), then 16 (off by 1).
        let sources = |total: f64| {
            submission(&[
                ("TT01".into(), total),
                ("TT01[nguon=ky_truoc]".into(), 6.0),
                ("TT01[nguon=truc_tiep]".into(), 5.0),
                ("TT01[nguon=truc_tuyen]".into(), 4.0),
            ])
        };
        let mut known = Identities::default();
        let mut diags = Vec::new();
        check(&config, regime, &mut sources(15.4), &mut known, &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        check(&config, regime, &mut sources(16.0), &mut known, &mut diags);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code.as_str(), "BC0407");
        assert_eq!(diags[0].location.cell, "C1");
        // Two of three sources, adding up to more than the total, the third not on the form:
        // exceeds, not mismatch.
        let mut s = submission(&[
            ("TT01".into(), 8.0),
            ("TT01[nguon=truc_tiep]".into(), 5.0),
            ("TT01[nguon=truc_tuyen]".into(), 4.0),
        ]);
        let mut diags = Vec::new();
        check(&config, regime, &mut s, &mut not_asked(), &mut diags);
        assert_eq!(codes(&diags), ["BC0408"], "{diags:#?}");
        assert!(
            diags[0].message.contains("Trực tuyến C3 = 4"),
            "{}",
            diags[0].message
        );
    }
}
