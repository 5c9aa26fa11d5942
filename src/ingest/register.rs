//! The task register (sổ theo dõi nhiệm vụ, Quyết định 42/2014) from xlsx or csv: found by its
//! header labels like the indicator forms; units matched to the config's unit tree; dates from
//! Excel dates, serial numbers and dd/mm/yyyy text. Rows with blocking problems are left out
//! with a diagnostic; the rest go on.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate};

use super::grid::{Cell, Grid};
use super::workbook::{load_error, load_sheets, unit_by_name};
use crate::catalog::Config;
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::schedule::vn_date;
use crate::tasks::{summarize, Summary, Task};
use crate::text::{fold, nfc};

/// What reading a register gave.
#[derive(Debug, Default)]
pub struct Register {
    pub tasks: Vec<Task>,
    pub diagnostics: Vec<Diagnostic>,
    /// Sheet the register was found on.
    pub sheet: String,
    /// The hidden metadata sheet's keys and values (an update form says which register, unit
    /// and as-of date it was made for).
    pub meta: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Code,
    Content,
    Document,
    Assigned,
    Assigner,
    Lead,
    Coordinating,
    Extended,
    Deadline,
    Completed,
    Progress,
    Explanation,
    ExtensionRequest,
    Attachments,
    Updated,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Code => "Mã nhiệm vụ",
            Field::Content => "Nội dung nhiệm vụ",
            Field::Document => "Văn bản giao",
            Field::Assigned => "Ngày giao",
            Field::Assigner => "Cơ quan giao",
            Field::Lead => "Đơn vị chủ trì",
            Field::Coordinating => "Đơn vị phối hợp",
            Field::Extended => "Thời hạn điều chỉnh",
            Field::Deadline => "Thời hạn",
            Field::Completed => "Ngày hoàn thành",
            Field::Progress => "Tiến độ / kết quả",
            Field::Explanation => "Giải trình",
            Field::ExtensionRequest => "Đề xuất gia hạn",
            Field::Attachments => "Văn bản, tệp kèm theo",
            Field::Updated => "Ngày cập nhật",
        }
    }

    /// Which field a folded header label names (most specific first).
    fn of(l: &str) -> Option<Field> {
        Some(if l.contains("ma nhiem vu") || l == "ma" {
            Field::Code
        } else if l.contains("de xuat") {
            Field::ExtensionRequest
        } else if l.contains("tep kem") {
            Field::Attachments
        } else if l.contains("ngay cap nhat") {
            Field::Updated
        } else if l.contains("noi dung") {
            Field::Content
        } else if l.contains("van ban") {
            Field::Document
        } else if l.contains("ngay giao") {
            Field::Assigned
        } else if l.contains("co quan giao") || l.contains("nguoi giao") {
            Field::Assigner
        } else if l.contains("chu tri") {
            Field::Lead
        } else if l.contains("phoi hop") {
            Field::Coordinating
        } else if l.contains("dieu chinh") || l.contains("gia han") {
            Field::Extended
        } else if l.contains("thoi han") || l.contains("han hoan thanh") {
            Field::Deadline
        } else if l.contains("ngay hoan thanh") {
            Field::Completed
        } else if l.contains("tien do") || l.contains("ket qua") {
            Field::Progress
        } else if l.contains("giai trinh") {
            Field::Explanation
        } else {
            return None;
        })
    }
}

const REQUIRED: [Field; 3] = [Field::Content, Field::Lead, Field::Deadline];

/// A date from an Excel serial number (the 1900 system; serials from 1 March 1900 on).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(serial.floor() as u64))
}

use crate::schedule::parse_date_text;

/// Reads a register file.
pub fn read_register(config: &Config, path: &Path, shown: &str) -> Register {
    let mut reg = Register::default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let grids = if ext == "csv" {
        match csv_grid(path, &config.limits) {
            Ok(g) => vec![g],
            Err(e) => {
                reg.diagnostics.push(Diagnostic::new(
                    Code::FileUnreadable,
                    Location::file(shown),
                    format!("Không đọc được sổ nhiệm vụ: {e}."),
                ));
                return reg;
            }
        }
    } else {
        let bytes = match super::read_bounded(path, config.limits.file_bytes) {
            Ok(Ok(b)) => b,
            Ok(Err(len)) => {
                reg.diagnostics.push(Diagnostic::new(
                    Code::OverLimit,
                    Location::file(shown),
                    format!(
                        "Sổ nhiệm vụ không được đọc: tệp lớn {} MB, quá giới hạn {} MB (limits.toml).",
                        len >> 20,
                        config.limits.file_bytes >> 20
                    ),
                ));
                return reg;
            }
            Err(e) => {
                reg.diagnostics.push(Diagnostic::new(
                    Code::FileUnreadable,
                    Location::file(shown),
                    format!("Không mở được sổ nhiệm vụ: {}.", crate::fault::reason(&e)),
                ));
                return reg;
            }
        };
        match std::panic::catch_unwind(|| load_sheets(&bytes, &config.limits)) {
            Ok(Ok(loaded)) => loaded.sheets,
            Ok(Err(e)) => {
                reg.diagnostics.push(load_error(&e, shown));
                return reg;
            }
            Err(_) => {
                reg.diagnostics.push(Diagnostic::new(
                    Code::FileUnreadable,
                    Location::file(shown),
                    "Không mở được sổ nhiệm vụ: cấu trúc tệp bị hỏng.",
                ));
                return reg;
            }
        }
    };
    if let Some(g) = grids.iter().find(|g| g.sheet == crate::model::META_SHEET) {
        for r in 0..g.height().min(50) {
            if let (Cell::Text(k), Cell::Text(v)) = (g.get(r, 0), g.get(r, 1)) {
                reg.meta.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    // The header row: the first row (of any sheet) naming a task's content and its lead unit.
    let mut found = None;
    'search: for g in &grids {
        for r in 0..g.height().min(40) {
            let fields: BTreeMap<Field, u32> = g.rows[r as usize]
                .iter()
                .enumerate()
                .filter_map(|(c, cell)| {
                    Field::of(&fold(cell.text().unwrap_or(""))).map(|f| (f, c as u32))
                })
                .rev()
                .collect();
            if fields.contains_key(&Field::Content) && fields.contains_key(&Field::Lead) {
                found = Some((g, r, fields));
                break 'search;
            }
        }
    }
    let Some((grid, header, cols)) = found else {
        reg.diagnostics.push(Diagnostic::new(
            Code::RegisterColumns,
            Location::file(shown),
            "Không tìm thấy dòng tiêu đề của sổ nhiệm vụ (cần các cột \"Nội dung nhiệm vụ\", \"Đơn vị chủ trì\", \"Thời hạn\").\nDùng dòng tiêu đề: Mã nhiệm vụ, Nội dung nhiệm vụ, Văn bản giao, Ngày giao, Cơ quan giao, Đơn vị chủ trì, Đơn vị phối hợp, Thời hạn, Thời hạn điều chỉnh, Ngày hoàn thành, Tiến độ / kết quả, Giải trình.",
        ));
        return reg;
    };
    reg.sheet = grid.sheet.clone();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|f| !cols.contains_key(f))
        .map(|f| f.label())
        .collect();
    if !missing.is_empty() {
        reg.diagnostics.push(Diagnostic::new(
            Code::RegisterColumns,
            Location::cell(shown, &grid.sheet, cell_ref(header, 0)),
            format!(
                "Sổ nhiệm vụ thiếu cột: {}.\nThêm các cột này vào dòng tiêu đề rồi chạy lại.",
                missing.join(", ")
            ),
        ));
        return reg;
    }
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for r in header + 1..grid.height() {
        let loc = |f: Field| {
            Location::cell(
                shown,
                &grid.sheet,
                cell_ref(r, cols.get(&f).copied().unwrap_or(0)),
            )
        };
        let text = |f: Field| -> String {
            cols.get(&f)
                .map(|c| match grid.get(r, *c) {
                    Cell::Text(t) => nfc(t),
                    Cell::Number(n) => n.to_string(),
                    _ => String::new(),
                })
                .unwrap_or_default()
        };
        let blank = |c: &u32| match grid.get(r, *c) {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        };
        if cols.values().all(blank) {
            continue;
        }
        let code = text(Field::Code);
        let content = text(Field::Content);
        let who = if code.is_empty() {
            format!("Dòng {}", r + 1)
        } else {
            format!("Nhiệm vụ {code}")
        };
        let mut blocked = false;
        let mut diag = |d: Diagnostic, blocked: &mut bool| {
            *blocked |= d.is_blocking();
            reg.diagnostics.push(d);
        };
        if content.is_empty() || (cols.contains_key(&Field::Code) && code.is_empty()) {
            let f = if content.is_empty() {
                Field::Content
            } else {
                Field::Code
            };
            diag(Diagnostic::new(Code::TaskIncomplete, loc(f), format!("Dòng {} có số liệu nhưng thiếu {}.\nBổ sung rồi chạy lại; dòng này chưa được tính.", r + 1, f.label().to_lowercase())), &mut blocked);
        }
        if !code.is_empty() {
            if let Some(first) = seen.get(&code) {
                diag(Diagnostic::new(Code::DuplicateTask, loc(Field::Code), format!("Mã nhiệm vụ {code} đã có ở dòng {first}; dòng {} không được tính.\nĐặt mã riêng cho mỗi nhiệm vụ.", r + 1)), &mut blocked);
            } else {
                seen.insert(code.clone(), r + 1);
            }
        }
        let mut date = |f: Field, blocked: &mut bool| -> Option<NaiveDate> {
            let c = *cols.get(&f)?;
            let cell = grid.get(r, c);
            let parsed = match cell {
                Cell::Empty => return None,
                Cell::Date(s) | Cell::Number(s) => from_excel_serial(*s),
                Cell::Text(t) if t.trim().is_empty() => return None,
                Cell::Text(t) if f == Field::Deadline && fold(t).contains("thuong xuyen") => {
                    return None
                }
                Cell::Text(t) => parse_date_text(t),
                _ => None,
            };
            if parsed.is_none() {
                let shown_value = match cell {
                    Cell::Text(t) => t.clone(),
                    Cell::Number(n) | Cell::Date(n) => n.to_string(),
                    Cell::Error(e) => e.clone(),
                    _ => String::new(),
                };
                diag(Diagnostic::new(Code::InvalidDate, loc(f), format!("{who}: \"{shown_value}\" ở cột {} không phải ngày hợp lệ.\nGhi ngày dạng 15/10/2026 hoặc nhập ô dạng ngày.", f.label())), blocked);
            }
            parsed
        };
        let assigned_on = date(Field::Assigned, &mut blocked);
        let deadline = date(Field::Deadline, &mut blocked);
        let extended = date(Field::Extended, &mut blocked);
        let completed_on = date(Field::Completed, &mut blocked);
        let extension_request = date(Field::ExtensionRequest, &mut blocked);
        let updated_on = date(Field::Updated, &mut blocked);
        if let (Some(a), Some(c)) = (assigned_on, completed_on) {
            if c < a {
                diag(Diagnostic::new(Code::CompletedBeforeAssigned, loc(Field::Completed), format!("{who}: ngày hoàn thành {} trước ngày giao {}.\nKiểm tra lại hai ngày; nhiệm vụ này chưa được tính.", vn_date(c), vn_date(a))), &mut blocked);
            }
        }
        let lead_text = text(Field::Lead);
        let lead = match config.units.get(lead_text.trim()) {
            Some(u) => Some(u.code.clone()),
            None => {
                let exact = config
                    .units
                    .iter()
                    .find(|u| nfc(&u.name) == lead_text || nfc(u.agency_name()) == lead_text)
                    .map(|u| u.code.clone());
                match exact {
                    Some(c) => Some(c),
                    None => match unit_by_name(config, &lead_text) {
                        Some(c) => {
                            let name = config
                                .units
                                .get(&c)
                                .map(|u| u.name.clone())
                                .unwrap_or_default();
                            diag(Diagnostic::new(Code::FuzzyUnitMatch, loc(Field::Lead), format!("\"{lead_text}\" được hiểu là {name} ({c}) (khớp khi bỏ dấu và chữ hoa/thường).\nGhi đúng tên hoặc mã đơn vị.")), &mut blocked);
                            Some(c)
                        }
                        None => {
                            diag(Diagnostic::new(Code::UnknownLeadUnit, loc(Field::Lead), format!("{who}: đơn vị chủ trì \"{lead_text}\" không có trong danh mục đơn vị.\nGhi mã hoặc tên đơn vị như trong units.toml.")), &mut blocked);
                            None
                        }
                    },
                }
            }
        };
        if blocked {
            continue;
        }
        reg.tasks.push(Task {
            code: if code.is_empty() {
                format!("D{}", r + 1)
            } else {
                code
            },
            content,
            document: text(Field::Document),
            assigned_on,
            assigner: text(Field::Assigner),
            lead: lead.expect("not blocked"),
            coordinating: text(Field::Coordinating),
            deadline,
            extended,
            completed_on,
            progress: text(Field::Progress),
            explanation: text(Field::Explanation),
            extension_request,
            attachments: text(Field::Attachments),
            updated_on,
            row: r + 1,
        });
    }
    reg
}

/// Flags tasks completed late without an explanation, as of `as_of`.
pub fn explanation_warnings(
    config: &Config,
    reg: &Register,
    shown: &str,
    as_of: NaiveDate,
) -> Vec<Diagnostic> {
    reg.tasks
        .iter()
        .filter(|t| t.late_without_explanation(as_of))
        .map(|t| {
            let unit = config.units.get(&t.lead).map(|u| u.name.clone()).unwrap_or_default();
            Diagnostic::new(
                Code::LateWithoutExplanation,
                Location::cell(shown, &reg.sheet, format!("dòng {}", t.row)),
                format!(
                    "Nhiệm vụ {} ({unit}) hoàn thành {}, quá hạn {}, nhưng chưa có giải trình.\nĐề nghị đơn vị chủ trì bổ sung giải trình.",
                    t.code,
                    t.completed_on.map(vn_date).unwrap_or_default(),
                    t.due().map(vn_date).unwrap_or_default()
                ),
            )
        })
        .collect()
}

fn csv_grid(path: &Path, limits: &crate::model::Limits) -> Result<Grid, String> {
    let bytes =
        match super::read_bounded(path, limits.file_bytes).map_err(|e| crate::fault::reason(&e))? {
            Ok(b) => b,
            Err(len) => {
                return Err(format!(
                    "tệp lớn {} MB, quá giới hạn {} MB (limits.toml)",
                    len >> 20,
                    limits.file_bytes >> 20
                ))
            }
        };
    let text = super::csv_text(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        if rows.len() as u64 >= limits.csv_rows {
            return Err(format!("tệp có hơn {} dòng (limits.toml)", limits.csv_rows));
        }
        rows.push(
            rec.iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid {
        sheet: String::new(),
        rows,
    })
}

/// Reads the register and summarizes it: (tasks, summary, diagnostics).
pub fn load(
    config: &Config,
    register: &std::path::Path,
    as_of: NaiveDate,
    within: u32,
) -> (Vec<Task>, Summary, Vec<Diagnostic>) {
    let shown = register
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let reg = read_register(config, register, &shown);
    let mut diags = reg.diagnostics.clone();
    diags.extend(explanation_warnings(config, &reg, &shown, as_of));
    let summary = summarize(&reg.tasks, as_of, within, config.task_rate);
    (reg.tasks, summary, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_and_text_dates() {
        assert_eq!(
            from_excel_serial(46310.0),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(
            from_excel_serial(45292.0),
            NaiveDate::from_ymd_opt(2024, 1, 1)
        );
        assert_eq!(from_excel_serial(-3.0), None);
        assert_eq!(
            parse_date_text("15/10/2026"),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(
            parse_date_text("5/1/2026"),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
        assert_eq!(
            parse_date_text("2026-10-15"),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(parse_date_text("31/02/2026"), None);
    }
}
