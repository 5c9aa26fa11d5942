//! Lists before the checks: a list a unit sent alone (`danh-sach-<code>.csv`) joins the unit's
//! form in place of the form's own list, and the figures every list feeds are computed from
//! the rows the unit's report ends up with.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::lists::{ListSpec, Lookup};
use crate::catalog::{Config, Regime};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::{FileReport, ListTable, Origin, Submission};

/// Whether a submission is lists only (a list sent alone).
pub fn is_alone(s: &Submission) -> bool {
    s.values.is_empty() && s.texts.is_empty() && !s.lists.is_empty()
}

/// Joins each list a unit sent alone, in a file without a blocking fault, to the unit's
/// report of figures (every file that has one, so that whichever wins has it): the list
/// replaces the form's, and what the form's list was faulted for goes with it. A unit that
/// sent only lists keeps them as its report. Files are taken in their order, so a later
/// file's list replaces an earlier one's.
pub fn join_sent_alone(regime: &Regime, reports: &mut [FileReport]) {
    let with_figures: BTreeSet<String> = reports
        .iter()
        .flat_map(|r| &r.submissions)
        .filter(|s| !is_alone(s))
        .map(|s| s.unit_code.clone())
        .collect();
    let mut alone: Vec<Submission> = Vec::new();
    for r in reports.iter_mut().filter(|r| !r.has_blocking()) {
        let (joining, staying) = std::mem::take(&mut r.submissions)
            .into_iter()
            .partition(|s| is_alone(s) && with_figures.contains(&s.unit_code));
        r.submissions = staying;
        alone.extend::<Vec<Submission>>(joining);
    }
    for a in alone {
        for r in reports.iter_mut() {
            let mut replaced: Vec<(&ListSpec, Option<Box<ListTable>>)> = Vec::new();
            for s in r
                .submissions
                .iter_mut()
                .filter(|s| s.unit_code == a.unit_code && !is_alone(s))
            {
                for (code, table) in &a.lists {
                    let old = s.lists.insert(code.clone(), table.clone());
                    if let Some(spec) = regime.lists.iter().find(|l| &l.code == code) {
                        replaced.push((spec, old));
                    }
                }
            }
            r.diagnostics.retain(|d| {
                !replaced
                    .iter()
                    .any(|(spec, old)| about(d, spec, old.as_deref()))
            });
        }
    }
}

/// Whether a diagnostic of a form is about its list `spec` (`old`, where the form had it):
/// the list not found, or a fault at a cell of the list (on its sheet, at or below its header).
fn about(d: &Diagnostic, spec: &ListSpec, old: Option<&ListTable>) -> bool {
    match (d.code, old) {
        (Code::ListNotFound, None) => d.location.sheet == spec.sheet_name(),
        (
            Code::ListInvalid
            | Code::ListRequiredMissing
            | Code::ListDateOutsidePeriod
            | Code::ListColumnMissing
            | Code::TextTooLong,
            Some(old),
        ) => d.location.sheet == old.at.sheet && row(&d.location.cell) >= row(&old.at.cell),
        _ => false,
    }
}

/// The row number of a cell reference (`E12` → 12).
fn row(cell: &str) -> u64 {
    super::cell_order(cell).0
}

/// What an accepted report lacks of the regime's lists: a unit that sent only lists (BC0216),
/// a report in the exchange format without a list the regime annexes (BC0214; a form without
/// it was told when read).
pub fn check_present(
    config: &Config,
    regime: &Regime,
    accepted: &[Submission],
    diags: &mut Vec<Diagnostic>,
) {
    let unit = |code: &str| super::unit_label(config, code);
    for s in accepted {
        if is_alone(s) {
            diags.push(Diagnostic::new(
                Code::ListsOnly,
                Location::file(&s.file),
                format!(
                    "{} chỉ gửi danh sách, chưa gửi biểu số liệu: số liệu của đơn vị chưa có trong tổng hợp.\nĐôn đốc đơn vị gửi biểu số liệu.",
                    unit(&s.unit_code)
                ),
            ));
            continue;
        }
    }
    // An exchange file (a lower level's du-lieu.csv) carries several units: its list is
    // missing when none of them has it (a lower level's list has no row of its own).
    let mut by_file: BTreeMap<&str, Vec<&Submission>> = BTreeMap::new();
    for s in accepted.iter().filter(|s| s.origin == Origin::Exchange) {
        by_file.entry(&s.file).or_default().push(s);
    }
    for (file, subs) in by_file {
        // The unit the file is of: the highest in the tree.
        let top = subs
            .iter()
            .min_by_key(|s| (config.units.ancestors(&s.unit_code).len(), &s.unit_code))
            .map(|s| s.unit_code.as_str())
            .unwrap_or_default();
        for spec in &regime.lists {
            if subs.iter().any(|s| s.lists.contains_key(&spec.code)) {
                continue;
            }
            let csv = crate::catalog::lists::file_name(&spec.code);
            diags.push(Diagnostic::new(
                Code::ListNotFound,
                Location::cell(file, spec.sheet_name(), ""),
                format!(
                    "{} gửi số liệu bằng tệp trao đổi nhưng không kèm danh sách \"{}\": các dòng của đơn vị không có trong danh sách tổng hợp.\nĐề nghị đơn vị gửi kèm {csv} của mình, đặt tên bắt đầu bằng mã đơn vị ({top}-{csv}), hoặc gửi tong-hop.xlsx.",
                    unit(top),
                    spec.title,
                ),
            ));
        }
    }
}

/// The figures the submission's lists feed (`[[list.feed]]`), compared with or added to its
/// own (`ingest::lists::feed`).
pub fn feed(config: &Config, regime: &Regime, s: &mut Submission, diags: &mut Vec<Diagnostic>) {
    let look = Lookup {
        dimensions: &config.dimensions,
        units: &config.units,
    };
    for spec in &regime.lists {
        if let Some(table) = s.lists.get(&spec.code) {
            crate::ingest::lists::feed(spec, table, &look, &mut s.values, diags);
        }
    }
}
