//! The long exchange CSV (ARCHITECTURE.md, "The exchange format"): one value per row,
//! `regime,period,unit_code,indicator_code,value,unit_of_measure` plus optional columns
//! (`column`, `disagg`, `source`, `submitted_at`, ...); without `disagg` every row is a total. A lower level's `du-lieu.csv` carries every
//! level of its tree: the rows of units that report to this regime are its submissions, the
//! rows of their sub-units are left aside.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Expect, FileReport, Origin, ReceiptSource, Submission, Value};
use crate::catalog::InputColumn;
use crate::diag::{Code, Diagnostic, Location};
use crate::model::{cell_key, CellKey, Disagg};
use crate::period::Period;

pub const REQUIRED: [&str; 5] = ["regime", "period", "unit_code", "indicator_code", "value"];

/// Where an exchange CSV's columns are: the required ones and the optional ones it has. The
/// one reading of the format's header, for `run` and for `import-history`.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    regime: usize,
    period: usize,
    unit: usize,
    indicator: usize,
    value: usize,
    column: Option<usize>,
    disagg: Option<usize>,
    submitted_at: Option<usize>,
}

impl Columns {
    /// The columns of `header` (names trimmed), or the required ones it lacks.
    pub fn of(header: &csv::StringRecord) -> Result<Columns, Vec<&'static str>> {
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| col(c).is_none()).collect();
        match (
            col("regime"),
            col("period"),
            col("unit_code"),
            col("indicator_code"),
            col("value"),
        ) {
            (Some(regime), Some(period), Some(unit), Some(indicator), Some(value)) => Ok(Columns {
                regime,
                period,
                unit,
                indicator,
                value,
                column: col("column"),
                disagg: col("disagg"),
                submitted_at: col("submitted_at"),
            }),
            _ => Err(missing),
        }
    }

    /// One record's fields, trimmed.
    pub fn row<'r>(&self, rec: &'r csv::StringRecord) -> Row<'r> {
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let opt = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim);
        Row {
            regime: get(self.regime),
            period: get(self.period),
            unit: get(self.unit),
            indicator: get(self.indicator),
            value: get(self.value),
            column: opt(self.column).filter(|s| !s.is_empty()),
            disagg: opt(self.disagg).unwrap_or(""),
            submitted_at: opt(self.submitted_at),
        }
    }
}

/// A record of an exchange CSV, its fields trimmed (`column` absent when empty, `disagg`
/// empty for a total).
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    pub regime: &'r str,
    pub period: &'r str,
    pub unit: &'r str,
    pub indicator: &'r str,
    pub value: &'r str,
    pub column: Option<&'r str>,
    pub disagg: &'r str,
    pub submitted_at: Option<&'r str>,
}

/// The records of this regime and period, by unit (with their line numbers), and the first
/// line of each other regime and period met.
#[derive(Debug, Default)]
struct Grouped {
    units: BTreeMap<String, Vec<(usize, csv::StringRecord)>>,
    other_regimes: BTreeMap<String, usize>,
    other_periods: BTreeMap<String, usize>,
}

pub fn read(bytes: &[u8], path: &Path, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    let text = super::csv_text(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let Some(cols) = header(&mut rdr, shown, report) else {
        return;
    };
    let Some(grouped) = group(&mut rdr, cols, shown, expect, report) else {
        return;
    };
    mismatches(&grouped, shown, expect, report);
    let reporters: Vec<String> = expect
        .config
        .reporting_units(expect.regime, expect.regime.window(expect.period).to)
        .iter()
        .map(|u| u.code.clone())
        .collect();
    let reporting: Vec<&String> = grouped
        .units
        .keys()
        .filter(|u| reporters.contains(u))
        .collect();
    if reporting.is_empty() {
        nobody_reporting(&grouped, shown, expect, report);
        return;
    }
    for unit in reporting {
        let submission = submission(
            unit,
            &grouped.units[unit],
            cols,
            path,
            shown,
            expect,
            report,
        );
        report.submissions.push(submission);
    }
}

/// The header's columns, or a diagnostic.
fn header(rdr: &mut csv::Reader<&[u8]>, shown: &str, report: &mut FileReport) -> Option<Columns> {
    let at = || Location::cell(shown, "", "dòng 1");
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            report.diagnostics.push(Diagnostic::new(
                Code::CsvHeader,
                at(),
                format!("Không đọc được dòng tiêu đề CSV: {e}."),
            ));
            return None;
        }
    };
    match Columns::of(&header) {
        Ok(cols) => Some(cols),
        Err(missing) => {
            report.diagnostics.push(Diagnostic::new(
                Code::CsvHeader,
                at(),
                format!(
                    "Tiêu đề CSV thiếu cột: {}.\nTệp CSV trao đổi cần các cột regime,period,unit_code,indicator_code,value,unit_of_measure (xem tài liệu định dạng trao đổi).",
                    missing.join(", ")
                ),
            ));
            None
        }
    }
}

/// The records grouped by unit, those of other regimes and periods set aside; none (with a
/// diagnostic) for a record that cannot be read or a file over the limits.
fn group(
    rdr: &mut csv::Reader<&[u8]>,
    cols: Columns,
    shown: &str,
    expect: Expect<'_>,
    report: &mut FileReport,
) -> Option<Grouped> {
    let limits = &expect.config.limits;
    let mut grouped = Grouped::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = || Location::cell(shown, "", format!("dòng {line}"));
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.diagnostics.push(Diagnostic::new(
                    Code::CsvRow,
                    at(),
                    format!("Dòng {line} không đọc được ({e}).\nSửa dòng này (số cột phải khớp dòng tiêu đề) rồi gửi lại."),
                ));
                continue;
            }
        };
        if let Some(what) = over_limit(i, &rec, line, limits) {
            report.diagnostics.push(Diagnostic::new(
                Code::OverLimit,
                at(),
                format!("Tệp không được đọc: {what}.\nTệp trao đổi thật nhỏ hơn nhiều: kiểm tra lại tệp (giới hạn đặt trong limits.toml)."),
            ));
            return None;
        }
        let row = cols.row(&rec);
        if row.regime != expect.regime.id {
            grouped
                .other_regimes
                .entry(row.regime.to_string())
                .or_insert(line);
            continue;
        }
        if row.period.parse::<Period>().ok() != Some(expect.period) {
            grouped
                .other_periods
                .entry(row.period.to_string())
                .or_insert(line);
            continue;
        }
        let unit = row.unit.to_string();
        grouped.units.entry(unit).or_default().push((line, rec));
    }
    Some(grouped)
}

/// What of record `i` (on `line`) is over the limits: one record too many, or a field too
/// long.
fn over_limit(
    i: usize,
    rec: &csv::StringRecord,
    line: usize,
    limits: &crate::model::Limits,
) -> Option<String> {
    let too_many = i as u64 >= limits.csv_rows;
    let long = rec
        .iter()
        .position(|f| f.len() as u64 > limits.csv_field_bytes);
    if !(too_many || long.is_some()) {
        return None;
    }
    Some(match long {
        Some(c) if !too_many => format!(
            "ô thứ {} của dòng {line} dài hơn {} KB",
            c + 1,
            limits.csv_field_bytes >> 10
        ),
        _ => format!("tệp có hơn {} dòng số liệu", limits.csv_rows),
    })
}

/// A diagnostic for the first record of each other regime and each other period.
fn mismatches(grouped: &Grouped, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    for (r, line) in &grouped.other_regimes {
        report.diagnostics.push(Diagnostic::new(
            Code::RegimeMismatch,
            Location::cell(shown, "", format!("dòng {line}")),
            format!("Có dòng thuộc chế độ báo cáo \"{r}\", không phải \"{}\"; các dòng này bị bỏ qua.\nTách số liệu của từng chế độ báo cáo ra tệp riêng.", expect.regime.id),
        ));
    }
    for (p, line) in &grouped.other_periods {
        report.diagnostics.push(Diagnostic::new(
            Code::PeriodMismatch,
            Location::cell(shown, "", format!("dòng {line}")),
            format!("Có dòng ghi kỳ \"{p}\" nhưng đợt tổng hợp này là {} ({}).\nGửi số liệu đúng kỳ báo cáo.", expect.period.code(), expect.period.label()),
        ));
    }
}

/// Why a file none of whose units reports this regime gives nothing: an unknown unit, a unit
/// that does not report it, or no record at all.
fn nobody_reporting(grouped: &Grouped, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    let config = expect.config;
    if let Some((unit, rows)) = grouped.units.iter().next() {
        let loc = Location::cell(shown, "", format!("dòng {}", rows[0].0));
        let d = match config.units.get(unit) {
            None => Diagnostic::new(Code::UnknownUnit, loc, format!("Mã đơn vị \"{unit}\" không có trong danh mục đơn vị (units.toml).\nKiểm tra cột unit_code.")),
            Some(u) => match config.out_of_being(expect.regime, expect.period, u) {
                Some(why) => Diagnostic::new(Code::UnitNotInBeing, loc, why),
                None => Diagnostic::new(Code::NotAReporter, loc, format!("Đơn vị {} ({}) không thuộc đối tượng thực hiện chế độ báo cáo \"{}\".\nKiểm tra cột unit_code.", u.code, u.name, expect.regime.id)),
            },
        };
        report.diagnostics.push(d);
    } else if grouped.other_periods.is_empty() && grouped.other_regimes.is_empty() {
        report.diagnostics.push(Diagnostic::new(
            Code::FileEmpty,
            Location::file(shown),
            "Tệp CSV không có dòng số liệu nào.\nGửi lại tệp có số liệu.",
        ));
    }
}

/// One unit's records as its submission.
fn submission(
    unit: &str,
    rows: &[(usize, csv::StringRecord)],
    cols: Columns,
    path: &Path,
    shown: &str,
    expect: Expect<'_>,
    report: &mut FileReport,
) -> Submission {
    let (values, submitted) = unit_figures(unit, rows, cols, shown, expect, report);
    Submission {
        file: shown.to_string(),
        path: path.to_path_buf(),
        regime: expect.regime.id.clone(),
        period: expect.period,
        unit_code: unit.to_string(),
        received_at: submitted,
        received_source: if submitted.is_some() {
            ReceiptSource::Footer
        } else {
            ReceiptSource::Unknown
        },
        origin: Origin::Exchange,
        values: crate::model::packed(values),
        texts: Default::default(),
        lists: Default::default(),
        empty: Default::default(),
        unread: Default::default(),
    }
}

/// One unit's figures from its records (the same cell twice with different figures: said,
/// the first kept), and the first receipt time a record gives.
fn unit_figures(
    unit: &str,
    rows: &[(usize, csv::StringRecord)],
    cols: Columns,
    shown: &str,
    expect: Expect<'_>,
    report: &mut FileReport,
) -> (
    BTreeMap<(CellKey, InputColumn), Value>,
    Option<chrono::NaiveDateTime>,
) {
    let known: BTreeMap<&str, ()> = expect.regime.form_codes().map(|c| (c, ())).collect();
    let place = crate::diag::At::sheet(shown, "");
    let mut values: BTreeMap<(CellKey, InputColumn), Value> = BTreeMap::new();
    let mut submitted = None;
    for (line, rec) in rows {
        let at = crate::diag::At::line(&place, u32::try_from(*line).unwrap_or(u32::MAX - 1));
        let loc = at.location();
        let row = cols.row(rec);
        let Some((key, column, v)) = figure(row, &known, &loc, expect, report) else {
            continue;
        };
        match values.get(&(key.clone(), column)) {
            // The same cell twice with different figures: which one is meant?
            Some(first) if first.value != v => {
                report.diagnostics.push(Diagnostic::new(
                    Code::DuplicateRow,
                    loc,
                    format!("Ô {key} ({}) của đơn vị {unit} có hai số khác nhau: {} ({}) và {v}.\nGiữ một dòng cho mỗi ô rồi gửi lại.", column.key(), first.value, first.location.location().cell),
                ));
            }
            Some(_) => {}
            None => {
                values.insert(
                    (key, column),
                    Value {
                        value: v,
                        location: at,
                    },
                );
            }
        }
        if submitted.is_none() {
            submitted = row
                .submitted_at
                .and_then(super::receipt::parse_receipt_time);
        }
    }
    (values, submitted)
}

/// A record's cell, column and figure; none for a record that gives no figure (an empty
/// value, a computed indicator), with a diagnostic where it is wrong.
fn figure(
    row: Row<'_>,
    known: &BTreeMap<&str, ()>,
    loc: &Location,
    expect: Expect<'_>,
    report: &mut FileReport,
) -> Option<(CellKey, InputColumn, f64)> {
    let config = expect.config;
    let ind = row.indicator;
    let mut say = |code, message: String| {
        report
            .diagnostics
            .push(Diagnostic::new(code, loc.clone(), message));
    };
    if !known.contains_key(ind) {
        say(
            Code::UnknownRow,
            format!(
                "Chỉ tiêu \"{ind}\" không có trên biểu của chế độ \"{}\"; dòng bị bỏ qua.",
                expect.regime.id
            ),
        );
        return None;
    }
    if config.indicator(ind).is_some_and(|i| i.is_derived()) {
        return None; // computed again after consolidation
    }
    let key = match record_key(ind, row.disagg, config) {
        Ok(key) => key,
        Err(message) => {
            say(Code::UnknownRow, message);
            return None;
        }
    };
    let column = match record_column(row.column) {
        Ok(column) => column,
        Err(message) => {
            say(Code::CsvRow, message);
            return None;
        }
    };
    let raw = row.value;
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some((CellKey::from(key), column, v)),
        _ => {
            say(
                Code::InvalidNumber,
                format!("Chỉ tiêu {ind}: \"{raw}\" không phải là số hợp lệ trong tệp trao đổi.\nTệp CSV trao đổi dùng dấu chấm thập phân và không ngăn nghìn, ví dụ 1234.5."),
            );
            None
        }
    }
}

/// A record's cell key, its disaggregation (`disagg_text`) checked against the catalog; else
/// the message why the record is left out.
fn record_key(
    ind: &str,
    disagg_text: &str,
    config: &crate::catalog::Config,
) -> Result<String, String> {
    let checked = Disagg::parse(disagg_text).and_then(|d| config.check_cell(ind, &d).map(|()| d));
    match checked {
        Ok(d) => Ok(cell_key(ind, &d)),
        Err(why) => Err(format!(
            "Phân tổ \"{disagg_text}\" của chỉ tiêu {ind} không hợp lệ: {why}; dòng bị bỏ qua.\nGhi cột disagg dạng phân_tổ=phương_án;… theo danh mục phân tổ."
        )),
    }
}

/// A record's input column (`thuc_hien` where it names none); else the message why the
/// record is left out.
fn record_column(column: Option<&str>) -> Result<InputColumn, String> {
    match column {
        None => Ok(InputColumn::ThucHien),
        Some(k) => match InputColumn::from_key(k) {
            Some(c) => Ok(c),
            None => Err(format!(
                "Cột column = \"{k}\" không hợp lệ: dùng ke_hoach, thuc_hien hoặc luy_ke."
            )),
        },
    }
}
