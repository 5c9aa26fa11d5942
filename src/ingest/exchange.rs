//! The long exchange CSV (design.md "Exchange format"): one value per row,
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

pub fn read(bytes: &[u8], path: &Path, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    let text = super::csv_text(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            report.diagnostics.push(Diagnostic::new(
                Code::CsvHeader,
                Location::cell(shown, "", "dòng 1"),
                format!("Không đọc được dòng tiêu đề CSV: {e}."),
            ));
            return;
        }
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        report.diagnostics.push(Diagnostic::new(
            Code::CsvHeader,
            Location::cell(shown, "", "dòng 1"),
            format!(
                "Tiêu đề CSV thiếu cột: {}.\nTệp CSV trao đổi cần các cột regime,period,unit_code,indicator_code,value,unit_of_measure (xem tài liệu định dạng trao đổi).",
                missing.join(", ")
            ),
        ));
        return;
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let (ci_regime, ci_period, ci_unit, ci_ind, ci_value) = (
        col("regime").expect("checked"),
        col("period").expect("checked"),
        col("unit_code").expect("checked"),
        col("indicator_code").expect("checked"),
        col("value").expect("checked"),
    );
    let ci_column = col("column");
    let ci_disagg = col("disagg");
    let ci_submitted = col("submitted_at");

    let config = expect.config;
    let reporters: Vec<String> = config
        .reporting_units(expect.regime, expect.regime.window(expect.period).to)
        .iter()
        .map(|u| u.code.clone())
        .collect();
    let mut groups: BTreeMap<String, Vec<(usize, csv::StringRecord)>> = BTreeMap::new();
    let mut other_periods = BTreeMap::new();
    let mut other_regimes = BTreeMap::new();
    let limits = &expect.config.limits;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.diagnostics.push(Diagnostic::new(
                    Code::CsvRow,
                    Location::cell(shown, "", format!("dòng {line}")),
                    format!("Dòng {line} không đọc được ({e}).\nSửa dòng này (số cột phải khớp dòng tiêu đề) rồi gửi lại."),
                ));
                continue;
            }
        };
        let too_many = i as u64 >= limits.csv_rows;
        let long = rec
            .iter()
            .position(|f| f.len() as u64 > limits.csv_field_bytes);
        if too_many || long.is_some() {
            let what = match long {
                Some(c) if !too_many => format!(
                    "ô thứ {} của dòng {line} dài hơn {} KB",
                    c + 1,
                    limits.csv_field_bytes >> 10
                ),
                _ => format!("tệp có hơn {} dòng số liệu", limits.csv_rows),
            };
            report.diagnostics.push(Diagnostic::new(
                Code::OverLimit,
                Location::cell(shown, "", format!("dòng {line}")),
                format!("Tệp không được đọc: {what}.\nTệp trao đổi thật nhỏ hơn nhiều: kiểm tra lại tệp (giới hạn đặt trong limits.toml)."),
            ));
            return;
        }
        let regime = rec.get(ci_regime).unwrap_or("").trim().to_string();
        if regime != expect.regime.id {
            other_regimes.entry(regime).or_insert(line);
            continue;
        }
        let period_text = rec.get(ci_period).unwrap_or("").trim().to_string();
        if period_text.parse::<Period>().ok() != Some(expect.period) {
            other_periods.entry(period_text).or_insert(line);
            continue;
        }
        let unit = rec.get(ci_unit).unwrap_or("").trim().to_string();
        groups.entry(unit).or_default().push((line, rec));
    }
    for (r, line) in &other_regimes {
        report.diagnostics.push(Diagnostic::new(
            Code::RegimeMismatch,
            Location::cell(shown, "", format!("dòng {line}")),
            format!("Có dòng thuộc chế độ báo cáo \"{r}\", không phải \"{}\"; các dòng này bị bỏ qua.\nTách số liệu của từng chế độ báo cáo ra tệp riêng.", expect.regime.id),
        ));
    }
    for (p, line) in &other_periods {
        report.diagnostics.push(Diagnostic::new(
            Code::PeriodMismatch,
            Location::cell(shown, "", format!("dòng {line}")),
            format!("Có dòng ghi kỳ \"{p}\" nhưng đợt tổng hợp này là {} ({}).\nGửi số liệu đúng kỳ báo cáo.", expect.period.code(), expect.period.label()),
        ));
    }
    let reporting: Vec<&String> = groups.keys().filter(|u| reporters.contains(u)).collect();
    if reporting.is_empty() {
        if let Some((unit, rows)) = groups.iter().next() {
            let loc = Location::cell(shown, "", format!("dòng {}", rows[0].0));
            let d = match config.units.get(unit) {
                None => Diagnostic::new(Code::UnknownUnit, loc, format!("Mã đơn vị \"{unit}\" không có trong danh mục đơn vị (units.toml).\nKiểm tra cột unit_code.")),
                Some(u) => Diagnostic::new(Code::NotAReporter, loc, format!("Đơn vị {} ({}) không thuộc đối tượng thực hiện chế độ báo cáo \"{}\".\nKiểm tra cột unit_code.", u.code, u.name, expect.regime.id)),
            };
            report.diagnostics.push(d);
        } else if other_periods.is_empty() && other_regimes.is_empty() {
            report.diagnostics.push(Diagnostic::new(
                Code::FileEmpty,
                Location::file(shown),
                "Tệp CSV không có dòng số liệu nào.\nGửi lại tệp có số liệu.",
            ));
        }
        return;
    }
    let known: BTreeMap<&str, ()> = expect.regime.form_codes().map(|c| (c, ())).collect();
    let file_name = crate::diag::Shared::from(shown);
    let no_sheet = crate::diag::Shared::default();
    for unit in reporting {
        let rows = &groups[unit];
        let mut values: BTreeMap<(CellKey, InputColumn), Value> = BTreeMap::new();
        let mut submitted = None;
        for (line, rec) in rows {
            let loc = Location::cell(&file_name, &no_sheet, format!("dòng {line}"));
            let ind = rec.get(ci_ind).unwrap_or("").trim().to_string();
            if !known.contains_key(ind.as_str()) {
                report.diagnostics.push(Diagnostic::new(
                    Code::UnknownRow,
                    loc,
                    format!(
                        "Chỉ tiêu \"{ind}\" không có trên biểu của chế độ \"{}\"; dòng bị bỏ qua.",
                        expect.regime.id
                    ),
                ));
                continue;
            }
            if config.indicator(&ind).is_some_and(|i| i.is_derived()) {
                continue; // computed again after consolidation
            }
            let disagg_text = ci_disagg.and_then(|c| rec.get(c)).unwrap_or("").trim();
            let checked =
                Disagg::parse(disagg_text).and_then(|d| config.check_cell(&ind, &d).map(|()| d));
            let key = match checked {
                Ok(d) => cell_key(&ind, &d),
                Err(why) => {
                    report.diagnostics.push(Diagnostic::new(
                        Code::UnknownRow,
                        loc,
                        format!(
                            "Phân tổ \"{disagg_text}\" của chỉ tiêu {ind} không hợp lệ: {why}; dòng bị bỏ qua.\nGhi cột disagg dạng phân_tổ=phương_án;… theo danh mục phân tổ."
                        ),
                    ));
                    continue;
                }
            };
            let column = match ci_column
                .and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => InputColumn::ThucHien,
                Some(k) => match InputColumn::from_key(k) {
                    Some(c) => c,
                    None => {
                        report.diagnostics.push(Diagnostic::new(Code::CsvRow, loc, format!("Cột column = \"{k}\" không hợp lệ: dùng ke_hoach, thuc_hien hoặc luy_ke.")));
                        continue;
                    }
                },
            };
            let raw = rec.get(ci_value).unwrap_or("").trim();
            if raw.is_empty() {
                continue;
            }
            match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    let key = CellKey::from(key);
                    match values.get(&(key.clone(), column)) {
                        // The same cell twice with different figures: which one is meant?
                        Some(first) if first.value != v => {
                            report.diagnostics.push(Diagnostic::new(
                                Code::DuplicateRow,
                                loc,
                                format!("Ô {key} ({}) của đơn vị {unit} có hai số khác nhau: {} ({}) và {v}.\nGiữ một dòng cho mỗi ô rồi gửi lại.", column.key(), first.value, first.location.cell),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            values.insert((key, column), Value { value: v, location: loc });
                        }
                    }
                }
                _ => report.diagnostics.push(Diagnostic::new(
                    Code::InvalidNumber,
                    loc,
                    format!("Chỉ tiêu {ind}: \"{raw}\" không phải là số hợp lệ trong tệp trao đổi.\nTệp CSV trao đổi dùng dấu chấm thập phân và không ngăn nghìn, ví dụ 1234.5."),
                )),
            }
            if submitted.is_none() {
                submitted = ci_submitted
                    .and_then(|c| rec.get(c))
                    .and_then(super::receipt::parse_receipt_time);
            }
        }
        report.submissions.push(Submission {
            file: shown.to_string(),
            path: path.to_path_buf(),
            regime: expect.regime.id.clone(),
            period: expect.period,
            unit_code: unit.clone(),
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
        });
    }
}
