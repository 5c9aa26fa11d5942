//! Validation: submissions against the catalog's constraints, the regime's cross-indicator
//! rules and its calendar → accepted submissions, rejected files, compliance, diagnostics.
//!
//! Owns judgement, not reading: ingest has already turned files into `Submission`s. A file
//! with a blocking diagnostic is rejected whole and listed; nothing is dropped silently.

mod breakdown;
mod conditions;
mod lists;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalog::{Aggregation, Config, CrossRule, Indicator, InputColumn, Regime, ValueType};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::{split_key, Disagg};
use crate::model::{FileReport, Submission, Value};
use crate::period::Period;
use crate::schedule::vn_date;
use crate::text::fmt_vn;

/// Whether a unit's report came in on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    OnTime,
    Late,
    /// Sent, but every file was rejected.
    Rejected,
    /// Not sent and the deadline has passed.
    Missing,
    /// Not sent yet; the deadline has not passed.
    NotYetDue,
}

impl Timeliness {
    pub fn key(self) -> &'static str {
        match self {
            Timeliness::OnTime => "on_time",
            Timeliness::Late => "late",
            Timeliness::Rejected => "rejected",
            Timeliness::Missing => "missing",
            Timeliness::NotYetDue => "not_yet_due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Timeliness::OnTime => "đúng hạn",
            Timeliness::Late => "muộn",
            Timeliness::Rejected => "bị từ chối",
            Timeliness::Missing => "chưa gửi (quá hạn)",
            Timeliness::NotYetDue => "chưa gửi (chưa đến hạn)",
        }
    }
}

/// One reporting unit's standing in the batch.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceRow {
    pub unit_code: String,
    pub unit_name: String,
    pub level: String,
    pub file: Option<String>,
    pub received_at: Option<chrono::NaiveDateTime>,
    pub deadline: Option<NaiveDate>,
    pub status: Timeliness,
    pub diagnostics: usize,
}

/// A file that was not accepted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub file: String,
    pub unit_code: Option<String>,
    pub codes: Vec<String>,
}

/// The outcome of validation.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub accepted: Vec<Submission>,
    /// Accepted submissions' timeliness, by unit code.
    pub timeliness: BTreeMap<String, Timeliness>,
    pub rejected: Vec<Rejected>,
    /// The submissions of the rejected files, as read (for the units' result sheets).
    pub returned: Vec<Submission>,
    pub compliance: Vec<ComplianceRow>,
    pub diagnostics: Vec<Diagnostic>,
    pub files_read: usize,
}

impl Batch {
    pub fn blocking_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_blocking()).count()
    }

    /// The diagnostics grouped by code, each counted by the unit whose report it concerns
    /// ("Xã A (99001)"), or by its file when no unit is known.
    pub fn diagnostic_groups(&self, config: &Config) -> Vec<crate::diag::CodeGroup> {
        let mut unit_of: std::collections::HashMap<&str, &str> = self
            .accepted
            .iter()
            .map(|s| (s.file.as_str(), s.unit_code.as_str()))
            .collect();
        for r in &self.rejected {
            if let Some(u) = &r.unit_code {
                unit_of.insert(r.file.as_str(), u.as_str());
            }
        }
        let source = |d: &Diagnostic| {
            let file = d.location.file.as_str();
            match unit_of.get(file) {
                Some(code) => unit_label(config, code),
                None if file.is_empty() => match &d.unit {
                    Some(code) => unit_label(config, code),
                    None => "không gắn với tệp nào".to_string(),
                },
                None => file.to_string(),
            }
        };
        crate::diag::group_by_code(&self.diagnostics, &source)
    }

    pub fn count(&self, t: Timeliness) -> usize {
        self.compliance.iter().filter(|c| c.status == t).count()
    }

    /// The rejected files still standing: those of no known unit, and those of a unit with no
    /// accepted report (a file a unit replaced by a good one sent again is no longer a
    /// finding: the unit is counted among the accepted).
    pub fn rejections_standing(&self) -> usize {
        self.rejected
            .iter()
            .filter(|r| {
                r.unit_code
                    .as_deref()
                    .is_none_or(|u| !self.timeliness.contains_key(u))
            })
            .count()
    }
}

/// Validates the reports of one batch.
pub fn validate(
    config: &Config,
    regime: &Regime,
    period: Period,
    as_of: NaiveDate,
    mut reports: Vec<FileReport>,
) -> Batch {
    let mut batch = Batch {
        files_read: reports.len(),
        ..Batch::default()
    };
    lists::join_sent_alone(regime, &mut reports);
    check_each(config, regime, &mut reports);
    let (candidates, rejected_units) = sort_out(reports, &mut batch);
    keep_latest(config, candidates, &mut batch);
    lists::check_present(config, regime, &batch.accepted, &mut batch.diagnostics);
    compliance(config, regime, (period, as_of), &rejected_units, &mut batch);
    count_per_file(&mut batch);
    sort_diagnostics(&mut batch.diagnostics);
    batch
}

/// A rejected unit's file and, when it could be read, when it came in.
type RejectedUnits = BTreeMap<String, (String, Option<chrono::NaiveDateTime>)>;

/// Each submission's own checks: its lists, its disaggregations, its figures and rules.
fn check_each(config: &Config, regime: &Regime, reports: &mut [FileReport]) {
    use rayon::prelude::*;
    // Each submission's own checks, on every core (each file's diagnostics stay its own, in
    // the same order), a few dozen files per task so that no core is left idle at the end.
    reports.par_iter_mut().with_max_len(32).for_each_init(
        breakdown::Identities::default,
        |identities, report| {
            for s in &mut report.submissions {
                lists::feed(config, regime, s, &mut report.diagnostics);
                breakdown::check(config, regime, s, identities, &mut report.diagnostics);
                check_submission(config, regime, s, &mut report.diagnostics);
            }
        },
    );
}

/// Files with a blocking diagnostic rejected whole (listed, their units remembered), the
/// others' submissions the candidates; every file's diagnostics kept.
fn sort_out(reports: Vec<FileReport>, batch: &mut Batch) -> (Vec<Submission>, RejectedUnits) {
    let mut candidates: Vec<Submission> = Vec::new();
    let mut rejected_units = RejectedUnits::new();
    for report in reports {
        if report.has_blocking() {
            let codes: Vec<String> = {
                let mut c: Vec<String> = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_blocking())
                    .map(|d| d.code.to_string())
                    .collect();
                c.dedup();
                c
            };
            if report.submissions.is_empty() {
                if let Some(u) = &report.unit_hint {
                    rejected_units.insert(u.clone(), (report.file.clone(), None));
                }
                batch.rejected.push(Rejected {
                    file: report.file.clone(),
                    unit_code: report.unit_hint.clone(),
                    codes: codes.clone(),
                });
            }
            for s in &report.submissions {
                rejected_units.insert(s.unit_code.clone(), (s.file.clone(), s.received_at));
                batch.rejected.push(Rejected {
                    file: s.file.clone(),
                    unit_code: Some(s.unit_code.clone()),
                    codes: codes.clone(),
                });
            }
            batch.returned.extend(report.submissions);
        } else {
            candidates.extend(report.submissions);
        }
        batch.diagnostics.extend(report.diagnostics);
    }
    (candidates, rejected_units)
}

/// Duplicates: the latest receipt of each unit is accepted (then the later file name), the
/// older ones noted.
fn keep_latest(config: &Config, mut candidates: Vec<Submission>, batch: &mut Batch) {
    candidates.sort_by(|a, b| {
        a.unit_code
            .cmp(&b.unit_code)
            .then(a.received_at.cmp(&b.received_at))
            .then(a.file.cmp(&b.file))
    });
    let mut by_unit: BTreeMap<String, Vec<Submission>> = BTreeMap::new();
    for s in candidates {
        by_unit.entry(s.unit_code.clone()).or_default().push(s);
    }
    for (unit, subs) in by_unit {
        // A list sent alone (danh-sach-<code>.csv: lists, no figures) joins the unit's report
        // rather than competing with it: its lists replace the form's.
        let (alone, mut subs): (Vec<Submission>, Vec<Submission>) =
            subs.into_iter().partition(lists::is_alone);
        let mut alone = alone;
        if subs.is_empty() {
            subs.push(alone.pop().expect("non-empty group"));
        }
        let mut winner = subs.pop().expect("non-empty group");
        for a in alone {
            winner.lists.extend(a.lists);
        }
        for older in subs {
            batch.diagnostics.push(Diagnostic::new(
                Code::DuplicateSubmission,
                Location::file(&older.file),
                format!(
                    "{} đã gửi bản mới hơn ({}, nhận {}); bản này (nhận {}) không được dùng.\nNếu bản này mới đúng, ghi lại thời điểm nhận trong nhan.csv.",
                    unit_label(config, &unit),
                    winner.file,
                    fmt_time(winner.received_at),
                    fmt_time(older.received_at)
                ),
            ));
        }
        batch.accepted.push(winner);
    }
}

/// Timeliness and compliance, per reporting unit.
fn compliance(
    config: &Config,
    regime: &Regime,
    (period, as_of): (Period, NaiveDate),
    rejected_units: &RejectedUnits,
    batch: &mut Batch,
) {
    let reporters = config.reporting_units(regime, regime.window(period).to);
    let accepted_index: BTreeMap<&str, usize> = batch
        .accepted
        .iter()
        .enumerate()
        .map(|(i, s)| (s.unit_code.as_str(), i))
        .collect();
    for u in &reporters {
        let deadline = regime.deadline(period, &u.level, &config.calendar);
        let sub = accepted_index
            .get(u.code.as_str())
            .map(|&i| &batch.accepted[i]);
        let (status, file, received) = match sub {
            Some(s) => {
                let late = matches!((s.received_at, deadline), (Some(t), Some(d)) if t.date() > d);
                if late {
                    let d = deadline.expect("late implies a deadline");
                    batch
                        .diagnostics
                        .push(late_diagnostic(config, &u.code, s, d));
                }
                let t = if late {
                    Timeliness::Late
                } else {
                    Timeliness::OnTime
                };
                batch.timeliness.insert(u.code.clone(), t);
                (t, Some(s.file.clone()), s.received_at)
            }
            None => {
                let passed = deadline.is_some_and(|d| d < as_of);
                if let Some((f, received)) = rejected_units.get(&u.code) {
                    (Timeliness::Rejected, Some(f.clone()), *received)
                } else if passed {
                    let missing = missing_diagnostic(config, &u.code, period, deadline);
                    batch.diagnostics.push(missing);
                    (Timeliness::Missing, None, None)
                } else {
                    (Timeliness::NotYetDue, None, None)
                }
            }
        };
        batch.compliance.push(ComplianceRow {
            unit_code: u.code.clone(),
            unit_name: u.name.clone(),
            level: u.level.clone(),
            file,
            received_at: received,
            deadline,
            status,
            diagnostics: usize::from(status == Timeliness::Missing),
        });
    }
}

/// A report received after its deadline `d` (BC0501): still consolidated, noted late.
fn late_diagnostic(config: &Config, unit: &str, s: &Submission, d: NaiveDate) -> Diagnostic {
    let days = config
        .calendar
        .working_days_between(d, s.received_at.expect("late").date());
    Diagnostic::new(
        Code::Late,
        Location::file(&s.file),
        format!(
            "{}: nhận ngày {} ({}), sau thời hạn {} (muộn {days} ngày làm việc).\nSố liệu vẫn được tổng hợp; đơn vị được ghi là gửi muộn.",
            unit_label(config, unit),
            s.received_at.map(|t| vn_date(t.date())).unwrap_or_default(),
            s.received_source.label(),
            vn_date(d)
        ),
    )
}

/// A unit that has not sent when its deadline has passed.
fn missing_diagnostic(
    config: &Config,
    unit: &str,
    period: Period,
    deadline: Option<NaiveDate>,
) -> Diagnostic {
    Diagnostic::new(
        Code::Missing,
        Location::default(),
        format!(
            "{} chưa gửi báo cáo kỳ {} ({}), thời hạn {} đã qua.\nĐôn đốc đơn vị gửi báo cáo.",
            unit_label(config, unit),
            period.code(),
            period.label(),
            deadline.map(vn_date).unwrap_or_default()
        ),
    )
    .of_unit(unit)
}

/// Each compliance row's count of diagnostics: its file's, besides its own "missing".
fn count_per_file(batch: &mut Batch) {
    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &batch.diagnostics {
        *per_file.entry(d.location.file.as_str()).or_default() += 1;
    }
    for row in &mut batch.compliance {
        if let Some(f) = &row.file {
            row.diagnostics += per_file.get(f.as_str()).copied().unwrap_or(0);
        }
    }
}

/// Diagnostics in file, sheet, cell and code order; those of no file last.
fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (
            a.location.file.is_empty(),
            &a.location.file,
            &a.location.sheet,
            cell_order(&a.location.cell),
            a.code,
        )
            .cmp(&(
                b.location.file.is_empty(),
                &b.location.file,
                &b.location.sheet,
                cell_order(&b.location.cell),
                b.code,
            ))
    });
}

/// Sorts "F14" after "F9" and "dòng 10" after "dòng 9".
fn cell_order(cell: &str) -> (u64, String) {
    let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
    let letters: String = cell.chars().filter(|c| !c.is_ascii_digit()).collect();
    (digits.parse().unwrap_or(0), letters)
}

fn unit_label(config: &Config, code: &str) -> String {
    config.units.label_of(code)
}

fn fmt_time(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "không rõ".to_string())
}

/// Type, range, required and cross-indicator checks of one submission.
pub fn check_submission(
    config: &Config,
    regime: &Regime,
    s: &Submission,
    diags: &mut Vec<Diagnostic>,
) {
    for ((code, _column), v) in &s.values {
        if let Some(ind) = config.indicator_of_key(code) {
            check_value(config, ind, code, v, diags);
        }
    }
    // A cell typed but not readable (not a number, not one of the answers) has its own
    // blocking diagnostic at its cell: it is not also called empty, and no rule reading it is
    // judged.
    if s.origin == crate::model::Origin::Form {
        required_missing(config, regime, s, diags);
    }
    check_rules(config, regime, s, diags);
}

/// The type and the bounds of one figure (BC0301 not an integer, below the minimum, above the
/// maximum).
fn check_value(
    config: &Config,
    ind: &Indicator,
    code: &str,
    v: &Value,
    diags: &mut Vec<Diagnostic>,
) {
    // The cell's description is made only for a diagnostic.
    let unit = if ind.unit.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", ind.unit)
    };
    let what = || match Disagg::parse(split_key(code).1) {
        Ok(d) if !d.is_total() => {
            format!("Chỉ tiêu {}{unit}", config.describe_cell(&ind.code, &d))
        }
        _ => format!("Chỉ tiêu {} \"{}\"{unit}", ind.code, ind.name),
    };
    // A year without a thousands separator.
    let fmt_vn = |v: f64, d: usize| {
        if ind.value_type == ValueType::Year {
            ind.display(v)
        } else {
            fmt_vn(v, d)
        }
    };
    if matches!(ind.value_type, ValueType::Integer | ValueType::Year) && v.value.fract() != 0.0 {
        diags.push(Diagnostic::new(
            Code::NotInteger,
            &v.location,
            format!(
                "{} phải là số nguyên, biểu ghi {}.\nSửa lại số rồi gửi lại.",
                what(),
                fmt_vn(v.value, 4)
            ),
        ));
    }
    if v.value < ind.lower_bound() {
        let msg = if ind.lower_bound() == 0.0 {
            format!(
                "{} không được âm: biểu ghi {}.\nKiểm tra lại số liệu rồi gửi lại.",
                what(),
                fmt_vn(v.value, 4)
            )
        } else {
            format!(
                "{} không được nhỏ hơn {}: biểu ghi {}.\nKiểm tra lại số liệu rồi gửi lại.",
                what(),
                fmt_vn(ind.lower_bound(), 4),
                fmt_vn(v.value, 4)
            )
        };
        diags.push(Diagnostic::new(Code::BelowMinimum, &v.location, msg));
    }
    if let Some(hi) = ind.upper_bound() {
        if v.value > hi {
            diags.push(Diagnostic::new(
                Code::AboveMaximum,
                &v.location,
                format!(
                    "{} phải từ {} đến {}: biểu ghi {}.\nKiểm tra lại số liệu (tỷ lệ phần trăm ghi 12,5 chứ không ghi 0,125 hay 1250) rồi gửi lại.",
                    what(), fmt_vn(ind.lower_bound(), 4), fmt_vn(hi, 4), fmt_vn(v.value, 4)
                ),
            ));
        }
    }
}

/// A required indicator left empty on a form (not one the unit typed but could not be read).
fn required_missing(config: &Config, regime: &Regime, s: &Submission, diags: &mut Vec<Diagnostic>) {
    let unreadable = |code: &str| s.unread.contains(code);
    if let Some(unit) = config.units.get(&s.unit_code) {
        for ind in config.rows_for_unit(regime, unit) {
            if ind.required
                && s.value(&ind.code, InputColumn::ThucHien).is_none()
                && s.text(&ind.code, InputColumn::ThucHien).is_none()
                && !unreadable(&ind.code)
            {
                // At the empty cell, where the form has one.
                let at = s
                    .empty
                    .get(&(ind.code.clone(), InputColumn::ThucHien))
                    .cloned()
                    .unwrap_or_else(|| Location::file(&s.file));
                diags.push(Diagnostic::new(
                    Code::RequiredMissing,
                    at,
                    format!(
                        "Chỉ tiêu {} \"{}\" bắt buộc nhưng để trống ở cột Thực hiện kỳ báo cáo.\nNhập số liệu; nếu số liệu bằng 0 thì ghi 0 (để trống là chưa báo cáo).",
                        ind.code, ind.name
                    ),
                ));
            }
        }
    }
}

/// The regime's cross-indicator rules, on the figures of the period and of the year to date.
/// A "trong đó" indicator (`part_of`) of a summed total is checked as a part-le-total rule
/// even when the regime does not write one.
fn check_rules(config: &Config, regime: &Regime, s: &Submission, diags: &mut Vec<Diagnostic>) {
    let unreadable = |code: &str| s.unread.contains(code);
    let implied = implied_parts(config, regime);
    for col in [InputColumn::ThucHien, InputColumn::LuyKe] {
        for rule in &regime.rule {
            match rule {
                CrossRule::PartLeTotal { part, total } => {
                    part_le_total(config, s, col, (part, total), diags)
                }
                CrossRule::SumEqTotal {
                    parts,
                    total,
                    tolerance,
                } => sum_eq_total(config, s, col, (parts, total, *tolerance), diags),
                CrossRule::If {
                    parsed: Some(p),
                    blocking,
                    when,
                    then,
                    message,
                } if col == InputColumn::ThucHien
                    && !p
                        .0
                        .refs()
                        .into_iter()
                        .chain(p.1.refs())
                        .any(|(c, _)| unreadable(c)) =>
                {
                    let rule = conditions::IfRule {
                        when: (when.as_deref().unwrap_or(""), &p.0),
                        then: (then, &p.1),
                        blocking: *blocking,
                        message: message.as_deref(),
                    };
                    diags.extend(conditions::check(config, &rule, s, col));
                }
                CrossRule::If { .. } => {}
                CrossRule::Breakdown { .. } => {} // breakdown::check
                CrossRule::CarryOver { .. } => {} // history::carry_over_warnings
            }
        }
        for &(part, total) in &implied {
            part_le_total(config, s, col, (part, total), diags);
        }
        for (part, total) in indicator_pairs(regime, &implied) {
            part_le_total_by_cell(config, regime, s, col, (part, total), diags);
        }
    }
}

/// The "trong đó" pairs of the regime's form that no part-le-total or sum-eq-total rule
/// already names: a part and its total, both summed (a rate's "trong đó" may well exceed the
/// whole).
fn implied_parts<'a>(config: &'a Config, regime: &'a Regime) -> Vec<(&'a str, &'a str)> {
    let summed = |i: &Indicator| i.aggregation == Aggregation::Sum;
    regime
        .form_codes()
        .filter_map(|c| config.indicators.get(c))
        .filter(|i| summed(i))
        .filter_map(|i| {
            let total = i.part_of.as_deref()?;
            let written = regime.rule.iter().any(|r| match r {
                CrossRule::PartLeTotal { part, total: t } => *part == i.code && t == total,
                CrossRule::SumEqTotal {
                    parts, total: t, ..
                } => t == total && parts.contains(&i.code),
                _ => false,
            });
            let t = config.indicators.get(total)?;
            (summed(t) && !written).then_some((i.code.as_str(), total))
        })
        .collect()
}

/// The name a rule's message gives a cell key: the indicator's, or the cell's description.
fn cell_name(config: &Config, c: &str) -> String {
    match crate::model::parse_key(c) {
        // `X01 "Tên" (Phân tổ: Nhóm)` as `Tên (Phân tổ: Nhóm)`: the messages quote it.
        Ok((code, d)) if !d.is_total() => config
            .describe_cell(&code, &d)
            .split_once(' ')
            .map(|(_, rest)| rest.replacen('"', "", 2))
            .unwrap_or_default(),
        _ => config
            .indicator(c)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
    }
}

/// The part-and-total pairs of whole indicators: the regime's part-le-total rules between two
/// indicators, and the implied "trong đó" pairs.
fn indicator_pairs<'a>(
    regime: &'a Regime,
    implied: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let written = regime.rule.iter().filter_map(|r| match r {
        CrossRule::PartLeTotal { part, total } if !part.contains('[') && !total.contains('[') => {
            Some((part.as_str(), total.as_str()))
        }
        _ => None,
    });
    written.chain(implied.iter().copied()).collect()
}

/// A part larger than its total in a cell the two share (BC0405): "trong đó" holds in every
/// disaggregation, the deaths of each disease at most its cases, not only in the totals (a
/// matrix form may have no total cell at all). A pair of cells a rule names is left to it.
fn part_le_total_by_cell(
    config: &Config,
    regime: &Regime,
    s: &Submission,
    col: InputColumn,
    (part, total): (&str, &str),
    diags: &mut Vec<Diagnostic>,
) {
    // The part's cells are together in the sorted map, from "PART[" on (no key is "PART[").
    let from = crate::model::CellKey::from(format!("{part}["));
    let cells = s
        .values
        .range((from, col)..)
        .map(|((k, c), _)| (k, *c))
        .take_while(|(k, _)| k.starts_with(part) && k[part.len()..].starts_with('['));
    for (key, _) in cells.filter(|(_, c)| *c == col) {
        let disagg = &key[part.len()..];
        let whole = format!("{total}{disagg}");
        let named = regime.rule.iter().any(|r| {
            matches!(r, CrossRule::PartLeTotal { part: p, total: t } if p == key.as_str() && *t == whole)
        });
        if !named {
            part_le_total(config, s, col, (key, &whole), diags);
        }
    }
}

/// A part larger than its total (BC0405), at the part's cell.
fn part_le_total(
    config: &Config,
    s: &Submission,
    col: InputColumn,
    (part, total): (&str, &str),
    diags: &mut Vec<Diagnostic>,
) {
    let name = |c: &str| cell_name(config, c);
    let (Some(p), Some(t)) = (s.figure(part, col), s.figure(total, col)) else {
        return;
    };
    if p.value > t.value {
        diags.push(Diagnostic::new(
            Code::PartExceedsTotal,
            &p.location,
            format!(
                "{part} \"{}\" = {} lớn hơn tổng {total} \"{}\" = {} ({}, {}).\nKiểm tra lại hai số rồi gửi lại.",
                name(part), fmt_vn(p.value, 2), name(total), fmt_vn(t.value, 2), col_label(col), t.location.cited()
            ),
        ));
    }
}

/// Parts that do not add up to their total within the tolerance, at the total's cell.
fn sum_eq_total(
    config: &Config,
    s: &Submission,
    col: InputColumn,
    (parts, total, tolerance): (&[String], &str, f64),
    diags: &mut Vec<Diagnostic>,
) {
    let name = |c: &str| cell_name(config, c);
    let Some(t) = s.figure(total, col) else {
        return;
    };
    let vals: Option<Vec<f64>> = parts.iter().map(|p| s.value(p, col)).collect();
    let Some(vals) = vals else { return };
    let sum: f64 = vals.iter().sum();
    if (sum - t.value).abs() > tolerance {
        diags.push(Diagnostic::new(
            Code::PartsDoNotAddUp,
            &t.location,
            format!(
                "{} = {} nhưng {total} \"{}\" = {} (lệch {}; cho phép {}) ({}).\nKiểm tra lại các số rồi gửi lại.",
                parts.join(" + "), fmt_vn(sum, 2), name(total), fmt_vn(t.value, 2), fmt_vn((sum - t.value).abs(), 2), fmt_vn(tolerance, 2), col_label(col)
            ),
        ));
    }
}

fn col_label(c: InputColumn) -> &'static str {
    match c {
        InputColumn::KeHoach => "cột kế hoạch năm",
        InputColumn::ThucHien => "cột thực hiện kỳ báo cáo",
        InputColumn::LuyKe => "cột lũy kế",
        InputColumn::KyTruoc => "cột thực hiện kỳ trước",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_file_a_unit_replaced_by_a_good_one_no_longer_stands() {
        let rejected = |file: &str, unit: Option<&str>| Rejected {
            file: file.to_string(),
            unit_code: unit.map(str::to_string),
            codes: vec!["BC0405".to_string()],
        };
        let batch = Batch {
            // 99003 sent a wrong file, then a good one (accepted); 99004's only file was
            // rejected; x.xlsx is nobody's.
            timeliness: [("99003".to_string(), Timeliness::Late)].into(),
            rejected: vec![
                rejected("99003-a.xlsx", Some("99003")),
                rejected("99004-a.xlsx", Some("99004")),
                rejected("x.xlsx", None),
            ],
            ..Batch::default()
        };
        assert_eq!(batch.rejected.len(), 3);
        assert_eq!(batch.rejections_standing(), 2);
    }

    fn config() -> Config {
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")).unwrap()
    }

    #[test]
    fn a_summed_trong_do_part_is_checked_unless_a_rule_already_names_it() {
        let mut config = config();
        let mut regime = config.regime("ktxh").unwrap().clone();
        // The samples' ktxh names every "trong đó": NN02 and NN03 in NN02 + NN03 = NN01; DL02,
        // NS02, LD02, HC02 and HC04 in part-le-total rules.
        assert!(implied_parts(&config, &regime).is_empty());
        regime.rule.retain(|r| {
            !matches!(r, CrossRule::PartLeTotal { part, .. } if part == "DL02")
                && !matches!(r, CrossRule::SumEqTotal { total, .. } if total == "NN01")
        });
        assert_eq!(
            implied_parts(&config, &regime),
            [("NN02", "NN01"), ("NN03", "NN01"), ("DL02", "DL01")]
        );
        // An averaged total (a rate) has no part that must stay below it.
        config.indicators.get_mut("NN01").unwrap().aggregation = Aggregation::Average;
        assert_eq!(implied_parts(&config, &regime), [("DL02", "DL01")]);
    }

    #[test]
    fn a_part_above_its_total_in_one_disaggregation_is_told_there_once() {
        // DL02 (international visitors) is "trong đó" DL01 (all visitors); the samples' rule
        // names the totals. By nationality group: a 12 of 10 is wrong, b 4 of 5 is right.
        let config = config();
        let mut regime = config.regime("ktxh").unwrap().clone();
        let figure = |v: f64| Value {
            value: v,
            location: Default::default(),
        };
        let values = [
            ("DL01[nhom=a]", 10.0),
            ("DL02[nhom=a]", 12.0),
            ("DL01[nhom=b]", 5.0),
            ("DL02[nhom=b]", 4.0),
        ]
        .into_iter()
        .map(|(k, v)| {
            (
                (crate::model::CellKey::from(k), InputColumn::ThucHien),
                figure(v),
            )
        })
        .collect();
        let s = Submission::of_figures("ktxh", "2026-10".parse().unwrap(), "99001".into(), values);
        let told = |regime: &Regime| {
            let mut diags = Vec::new();
            check_rules(&config, regime, &s, &mut diags);
            diags
                .into_iter()
                .map(|d| d.message.lines().next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            told(&regime),
            ["DL02[nhom=a] \"Khách du lịch quốc tế (nhom: a)\" = 12 lớn hơn tổng DL01[nhom=a] \"Tổng lượt khách du lịch (nhom: a)\" = 10 (cột thực hiện kỳ báo cáo, ô không rõ)."]
        );
        // A rule naming the pair of cells: said once, by it.
        regime.rule.push(CrossRule::PartLeTotal {
            part: "DL02[nhom=a]".into(),
            total: "DL01[nhom=a]".into(),
        });
        assert_eq!(told(&regime).len(), 1);
    }
}
