//! `du-lieu.csv`: consolidated values in the long exchange format, every level of the tree,
//! and `manifest.json`: every input and output with its SHA-256 and size.

use serde::Serialize;

use super::Report;
use crate::catalog::InputColumn;
use crate::model::cell_key;

pub const HEADER: [&str; 9] = [
    "regime",
    "period",
    "unit_code",
    "indicator_code",
    "value",
    "unit_of_measure",
    "column",
    "level",
    "disagg",
];

/// One consolidated figure as the exchange files carry it.
#[derive(Debug, Clone)]
pub struct ExchangeRow<'a> {
    pub unit: &'a str,
    /// The unit's level (`tinh`, `xa`, …); empty for a unit not in `units.toml`.
    pub level: &'a str,
    pub indicator: &'a crate::catalog::Indicator,
    pub disagg: &'a crate::model::Disagg,
    pub column: InputColumn,
    pub value: f64,
}

impl ExchangeRow<'_> {
    /// A ratio or growth rate recomputed from its components: a receiver that sums figures
    /// must recompute it rather than add it up.
    pub fn derived(&self) -> bool {
        self.indicator.aggregation == crate::catalog::Aggregation::Derived
    }
}

/// The cells of a regime's form, in the form's order: each indicator with its total and
/// disaggregations (and their cell keys). Computed once for all the exchange files.
pub struct FormCells<'a> {
    cells: Vec<(
        &'a crate::catalog::Indicator,
        Vec<(crate::model::Disagg, String)>,
    )>,
}

impl<'a> FormCells<'a> {
    pub fn of(report: &Report<'a>) -> FormCells<'a> {
        let config = report.config;
        FormCells {
            cells: report
                .regime
                .form_codes()
                .filter_map(|code| config.indicator(code))
                .map(|ind| {
                    let cells = config
                        .cells_of(ind)
                        .into_iter()
                        .map(|d| {
                            let key = cell_key(&ind.code, &d);
                            (d, key)
                        })
                        .collect();
                    (ind, cells)
                })
                .collect(),
        }
    }
}

/// Every consolidated figure of a report: the root first, then the units below it; within a
/// unit the form's order, the total before its disaggregations, then the columns in order.
pub fn exchange_rows<'a>(report: &Report<'a>, cells: &'a FormCells<'a>) -> Vec<ExchangeRow<'a>> {
    let c: &'a crate::consolidate::Consolidated = report.consolidated;
    let config = report.config;
    let mut rows = Vec::new();
    for unit in &c.units {
        let level = config
            .units
            .get(unit)
            .map(|u| u.level.as_str())
            .unwrap_or("");
        if !c.has_figures(unit) {
            continue;
        }
        for (ind, list) in &cells.cells {
            for (d, key) in list {
                for column in InputColumn::ALL {
                    if let Some(value) = c.get(unit, key, column) {
                        rows.push(ExchangeRow {
                            unit: unit.as_str(),
                            level,
                            indicator: ind,
                            disagg: d,
                            column,
                            value,
                        });
                    }
                }
            }
        }
    }
    rows
}

/// The exchange CSV of the rows (`exchange_rows`, derived cells included: the round trip reads
/// them back as the unit's figures).
pub fn write_du_lieu(
    report: &Report<'_>,
    rows: &[ExchangeRow<'_>],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let period = report.period.code();
    let (mut value, mut disagg) = (String::new(), String::new());
    for r in rows {
        use std::fmt::Write as _;
        value.clear();
        write!(value, "{}", r.value).expect("write to memory");
        disagg.clear();
        write!(disagg, "{}", r.disagg).expect("write to memory");
        w.write_record([
            report.regime.id.as_str(),
            &period,
            r.unit,
            &r.indicator.code,
            &value,
            &r.indicator.unit,
            r.column.key(),
            r.level,
            &disagg,
        ])?;
    }
    w.flush()
}

/// A file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub sha256: String,
    pub size: u64,
    /// An input's modification time (local, to the second): a receipt time can come from
    /// it, so `run --due` reruns a period when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

impl FileEntry {
    pub fn of(file: impl Into<String>, bytes: &[u8]) -> FileEntry {
        FileEntry {
            file: file.into(),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            modified: None,
        }
    }
}

pub use crate::hash::sha256_hex;

#[derive(Debug, Serialize)]
pub struct Counts {
    pub files_read: usize,
    pub submissions_accepted: usize,
    pub files_rejected: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    pub not_yet_due: usize,
    pub diagnostics_blocking: usize,
    pub diagnostics_warning: usize,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub engine: &'static str,
    pub engine_version: &'static str,
    pub regime: String,
    pub period: String,
    pub as_of: String,
    pub receiver: String,
    /// SHA-256 over the config files this regime's run read (`Config::fingerprint`).
    pub config_sha256: String,
    pub counts: Counts,
    pub inputs: Vec<FileEntry>,
    pub outputs: Vec<FileEntry>,
}

pub fn manifest(
    report: &Report<'_>,
    config_sha256: &str,
    inputs: Vec<FileEntry>,
    outputs: Vec<FileEntry>,
) -> String {
    use crate::validate::Timeliness::*;
    let b = report.batch;
    let m = Manifest {
        engine: "baocao",
        engine_version: env!("CARGO_PKG_VERSION"),
        regime: report.regime.id.clone(),
        period: report.period.code(),
        as_of: report.as_of.to_string(),
        receiver: report.regime.receiver.clone(),
        config_sha256: config_sha256.to_string(),
        counts: Counts {
            files_read: b.files_read,
            submissions_accepted: b.accepted.len(),
            files_rejected: b.rejected.len(),
            on_time: b.count(OnTime),
            late: b.count(Late),
            missing: b.count(Missing),
            not_yet_due: b.count(NotYetDue),
            diagnostics_blocking: b.blocking_count(),
            diagnostics_warning: b.diagnostics.len() - b.blocking_count(),
        },
        inputs,
        outputs,
    };
    serde_json::to_string_pretty(&m).expect("serializable") + "\n"
}
