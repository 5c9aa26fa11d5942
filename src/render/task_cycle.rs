//! The task-update cycle's workbooks: the update form a lead unit fills (`tasks forms`), the
//! merged register `so-theo-doi.xlsx` (`tasks update`, `tasks import`) and the review
//! `ra-soat.xlsx` with its short narrative (`tasks review`).
//!
//! The register is written with the same column labels `ingest::register` reads, so that
//! every workbook written here is read back as a register.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, Workbook, Worksheet, XlsxError,
};

use super::form::{table_cell, table_header, FONT, RED, YELLOW};
use crate::catalog::Config;
use crate::model::META_SHEET;
use crate::schedule::vn_date;
use crate::tasks::review::Review;
use crate::tasks::update::Merged;
use crate::tasks::Task;

pub const SHEET_UPDATE: &str = "Cập nhật nhiệm vụ";
pub const SHEET_REGISTER: &str = "Sổ theo dõi";
pub const SHEET_NOT_UPDATED: &str = "Chưa cập nhật";
pub const SHEET_EXTENSIONS: &str = "Đề xuất gia hạn";
pub const SHEET_REVIEW: &str = "Rà soát";

/// The register's columns, in order; the update form locks the first nine.
pub const REGISTER_COLUMNS: [&str; 15] = [
    "Mã nhiệm vụ",
    "Nội dung nhiệm vụ",
    "Văn bản giao",
    "Ngày giao",
    "Cơ quan giao",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Thời hạn điều chỉnh",
    "Tiến độ / kết quả",
    "Ngày hoàn thành",
    "Giải trình",
    "Đề xuất gia hạn",
    "Văn bản, tệp kèm theo",
    "Ngày cập nhật",
];

const WIDTHS: [f64; 15] = [
    12.0, 40.0, 20.0, 11.0, 16.0, 12.0, 18.0, 11.0, 11.0, 30.0, 12.0, 26.0, 12.0, 22.0, 12.0,
];

/// The columns a unit fills on its update form (the rest are locked).
const EDITABLE: std::ops::Range<usize> = 9..14;

enum Value {
    Text(String),
    Date(Option<NaiveDate>),
}

fn values(t: &Task) -> [Value; 15] {
    use Value::{Date, Text};
    [
        Text(t.code.clone()),
        Text(t.content.clone()),
        Text(t.document.clone()),
        Date(t.assigned_on),
        Text(t.assigner.clone()),
        Text(t.lead.clone()),
        Text(t.coordinating.clone()),
        Date(t.deadline),
        Date(t.extended),
        Text(t.progress.clone()),
        Date(t.completed_on),
        Text(t.explanation.clone()),
        Date(t.extension_request),
        Text(t.attachments.clone()),
        Date(t.updated_on),
    ]
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

fn new_workbook(title: &str, as_of: NaiveDate) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(title)
            .set_author("baocao")
            .set_company("baocao")
            .set_creation_datetime(&excel_date(as_of)?),
    );
    Ok(wb)
}

fn title(ws: &mut Worksheet, row: u32, text: &str) -> Result<(), XlsxError> {
    let f = Format::new()
        .set_font_name(FONT)
        .set_font_size(13)
        .set_bold();
    ws.write_string_with_format(row, 0, text, &f)?;
    Ok(())
}

fn print_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// Writes the register's rows from `first_row`; `unlocked` leaves the unit's columns open.
fn write_rows(
    ws: &mut Worksheet,
    first_row: u32,
    tasks: &[&Task],
    unlocked: bool,
) -> Result<(), XlsxError> {
    let text = table_cell();
    let date = table_cell()
        .set_num_format("dd/mm/yyyy")
        .set_align(FormatAlign::Center);
    for (r, t) in (first_row..).zip(tasks) {
        let vals = values(t);
        // Wrapped text: a line per column width's worth of characters.
        let lines = vals
            .iter()
            .zip(WIDTHS)
            .map(|(v, w)| match v {
                Value::Text(s) => (s.chars().count() as f64 / (w * 1.05)).ceil().max(1.0),
                Value::Date(_) => 1.0,
            })
            .fold(1.0, f64::max);
        ws.set_row_height(r, 15.0 * lines.min(8.0) + 2.0)?;
        for (c, v) in vals.iter().enumerate() {
            let open = unlocked && EDITABLE.contains(&c);
            let (tf, df) = if open {
                (text.clone().set_unlocked(), date.clone().set_unlocked())
            } else {
                (text.clone(), date.clone())
            };
            match v {
                Value::Text(s) => ws.write_string_with_format(r, c as u16, s, &tf)?,
                Value::Date(Some(d)) => {
                    ws.write_date_with_format(r, c as u16, excel_date(*d)?, &df)?
                }
                Value::Date(None) => ws.write_blank(r, c as u16, &df)?,
            };
        }
    }
    Ok(())
}

fn header_row(ws: &mut Worksheet, row: u32) -> Result<(), XlsxError> {
    let head = table_header();
    ws.set_row_height(row, 33.0)?;
    for (i, h) in REGISTER_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *h, &head)?;
        ws.set_column_width(i as u16, WIDTHS[i])?;
    }
    Ok(())
}

/// The update form of `unit`: its open tasks and those completed since `since`, task columns
/// locked, the unit's columns open (dates checked), and hidden metadata naming the register,
/// the unit and the as-of date.
pub fn update_form(
    config: &Config,
    unit: &str,
    tasks: &[&Task],
    register: &str,
    as_of: NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let name = config.units.name_of(unit);
    let mut wb = new_workbook("Cập nhật tiến độ thực hiện nhiệm vụ", as_of)?;
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_UPDATE)?;
    title(
        ws,
        0,
        &format!(
            "CẬP NHẬT TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ ĐẾN NGÀY {}",
            vn_date(as_of)
        ),
    )?;
    let note = Format::new().set_font_name(FONT).set_italic();
    ws.write_string_with_format(
        1,
        0,
        format!("Đơn vị chủ trì: {name} ({unit}). Ghi tiến độ, ngày hoàn thành, giải trình (nếu hoàn thành quá hạn), thời hạn đề xuất gia hạn và văn bản, tệp gửi kèm ở các cột trắng; không sửa các cột khác."),
        &note,
    )?;
    header_row(ws, 2)?;
    write_rows(ws, 3, tasks, true)?;
    let last = 2 + tasks.len().max(1) as u32;
    let dv = DataValidation::new()
        .allow_date(DataValidationRule::Between(
            ExcelDateTime::from_ymd(2000, 1, 1)?,
            ExcelDateTime::from_ymd(2099, 12, 31)?,
        ))
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("Ngày không hợp lệ")?
        .set_error_message("Nhập ngày dạng 15/10/2026.")?;
    for c in [10u16, 12] {
        ws.add_data_validation(3, c, last, c, &dv)?;
    }
    print_setup(ws, 2)?;
    ws.protect();
    let meta = wb.add_worksheet();
    meta.set_name(META_SHEET)?;
    let rows = [
        ("kind", "task-update".to_string()),
        ("register", register.to_string()),
        ("unit", unit.to_string()),
        ("as_of", as_of.to_string()),
        ("generator", format!("baocao {}", env!("CARGO_PKG_VERSION"))),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        meta.write_string(i as u32, 0, *k)?;
        meta.write_string(i as u32, 1, v)?;
    }
    meta.protect();
    meta.set_hidden(true);
    wb.save_to_buffer()
}

/// The register `so-theo-doi.xlsx`: every task; with a merge, the open tasks of units that
/// sent no update (chưa cập nhật) and the extensions asked for, each on a sheet of its own.
pub fn register(
    config: &Config,
    tasks: &[Task],
    merged: Option<&Merged>,
    as_of: NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = new_workbook("Sổ theo dõi nhiệm vụ", as_of)?;
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_REGISTER)?;
    title(
        ws,
        0,
        &format!(
            "SỔ THEO DÕI NHIỆM VỤ — CẬP NHẬT ĐẾN NGÀY {}",
            vn_date(as_of)
        ),
    )?;
    header_row(ws, 2)?;
    let all: Vec<&Task> = tasks.iter().collect();
    write_rows(ws, 3, &all, false)?;
    ws.autofilter(2, 0, 2 + tasks.len() as u32, 14)?;
    print_setup(ws, 2)?;
    let Some(m) = merged else {
        return wb.save_to_buffer();
    };
    not_updated_sheet(wb.add_worksheet(), config, tasks, m, as_of)?;
    extensions_sheet(wb.add_worksheet(), config, tasks, m)?;
    wb.save_to_buffer()
}

/// The sheet of open tasks whose lead unit sent no update (chưa cập nhật), in red.
fn not_updated_sheet(
    ws: &mut Worksheet,
    config: &Config,
    tasks: &[Task],
    m: &Merged,
    as_of: NaiveDate,
) -> Result<(), XlsxError> {
    let head = table_header();
    let name = |c: &str| config.units.name_of(c);
    ws.set_name(SHEET_NOT_UPDATED)?;
    title(
        ws,
        0,
        &format!(
            "NHIỆM VỤ CHƯA CẬP NHẬT TIẾN ĐỘ (coi như chưa thực hiện) — ĐẾN NGÀY {}",
            vn_date(as_of)
        ),
    )?;
    let cols = [
        "Đơn vị chủ trì",
        "Mã nhiệm vụ",
        "Nội dung nhiệm vụ",
        "Thời hạn",
    ];
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    let red = table_cell().set_background_color(RED);
    for (r, code) in (3u32..).zip(&m.not_updated) {
        let Some(t) = tasks.iter().find(|t| t.code == *code) else {
            continue;
        };
        ws.write_string_with_format(r, 0, name(&t.lead), &red)?;
        ws.write_string_with_format(r, 1, &t.code, &red)?;
        ws.write_string_with_format(r, 2, &t.content, &red)?;
        ws.write_string_with_format(r, 3, t.due().map(vn_date).unwrap_or_default(), &red)?;
    }
    for (i, w) in [28.0, 13.0, 60.0, 12.0].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    print_setup(ws, 2)?;
    Ok(())
}

/// The sheet of the extensions asked for, in yellow, for the office to decide.
fn extensions_sheet(
    ws: &mut Worksheet,
    config: &Config,
    tasks: &[Task],
    m: &Merged,
) -> Result<(), XlsxError> {
    let head = table_header();
    let name = |c: &str| config.units.name_of(c);
    ws.set_name(SHEET_EXTENSIONS)?;
    title(
        ws,
        0,
        "ĐỀ XUẤT GIA HẠN (văn phòng xem xét; chỉ thời hạn điều chỉnh ghi trong sổ mới thay thời hạn)",
    )?;
    let cols = [
        "Đơn vị chủ trì",
        "Mã nhiệm vụ",
        "Nội dung nhiệm vụ",
        "Thời hạn hiện hành",
        "Thời hạn đề xuất",
        "Giải trình",
    ];
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    let yellow = table_cell().set_background_color(YELLOW);
    for (r, (code, asked)) in (3u32..).zip(&m.extension_requests) {
        let Some(t) = tasks.iter().find(|t| t.code == *code) else {
            continue;
        };
        ws.write_string_with_format(r, 0, name(&t.lead), &yellow)?;
        ws.write_string_with_format(r, 1, &t.code, &yellow)?;
        ws.write_string_with_format(r, 2, &t.content, &yellow)?;
        ws.write_string_with_format(r, 3, t.due().map(vn_date).unwrap_or_default(), &yellow)?;
        ws.write_string_with_format(r, 4, vn_date(*asked), &yellow)?;
        ws.write_string_with_format(r, 5, &t.explanation, &yellow)?;
    }
    for (i, w) in [28.0, 13.0, 50.0, 14.0, 14.0, 30.0].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    print_setup(ws, 2)?;
    Ok(())
}

/// The review's rows: (unit, what, task, content, detail), grouped by lead unit.
pub fn review_rows(config: &Config, review: &Review, tasks: &[Task]) -> Vec<[String; 5]> {
    let content = |code: &str| task_content(tasks, code);
    let due = |code: &str| task_due(tasks, code);
    let mut out = Vec::new();
    for (unit, r) in &review.units {
        let name = config.units.name_of(unit);
        let mut push = |what: &str, code: &str, detail: String| {
            out.push([
                name.clone(),
                what.to_string(),
                code.to_string(),
                content(code),
                detail,
            ])
        };
        for c in &r.completed_on_time {
            push("Hoàn thành đúng hạn", c, format!("thời hạn {}", due(c)));
        }
        for c in &r.completed_late {
            push("Hoàn thành quá hạn", c, format!("thời hạn {}", due(c)));
        }
        for c in &r.newly_overdue {
            push("Mới quá hạn", c, format!("thời hạn {}", due(c)));
        }
        for (c, days) in &r.still_overdue {
            push("Vẫn quá hạn", c, format!("quá hạn {days} ngày"));
        }
        for (c, old, new) in &r.extensions {
            push(
                "Đã gia hạn",
                c,
                format!(
                    "từ {} đến {new}",
                    if old.is_empty() { due(c) } else { old.clone() }
                ),
            );
        }
        if r.not_updated {
            out.push([
                name.clone(),
                "Không cập nhật tiến độ".to_string(),
                String::new(),
                String::new(),
                format!("{} nhiệm vụ đang mở", r.open),
            ]);
        }
    }
    out
}

/// The content of task `code`, "" if unknown.
fn task_content(tasks: &[Task], code: &str) -> String {
    tasks
        .iter()
        .find(|t| t.code == code)
        .map(|t| t.content.clone())
        .unwrap_or_default()
}

/// The deadline (as extended) of task `code` as dd/mm/yyyy, "" if none or unknown.
fn task_due(tasks: &[Task], code: &str) -> String {
    tasks
        .iter()
        .find(|t| t.code == code)
        .and_then(Task::due)
        .map(vn_date)
        .unwrap_or_default()
}

/// `ra-soat.xlsx`: the review table, grouped by lead unit.
pub fn review_workbook(
    config: &Config,
    review: &Review,
    tasks: &[Task],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = new_workbook("Rà soát tình hình thực hiện nhiệm vụ", review.as_of)?;
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_REVIEW)?;
    title(
        ws,
        0,
        &format!(
            "RÀ SOÁT TÌNH HÌNH THỰC HIỆN NHIỆM VỤ TỪ {} ĐẾN {}",
            vn_date(review.since),
            vn_date(review.as_of)
        ),
    )?;
    let head = table_header();
    let cols = [
        "Đơn vị chủ trì",
        "Nội dung rà soát",
        "Mã nhiệm vụ",
        "Nội dung nhiệm vụ",
        "Ghi chú",
    ];
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    let text = table_cell();
    for (r, row) in (3u32..).zip(review_rows(config, review, tasks)) {
        let f = match row[1].as_str() {
            "Mới quá hạn" | "Vẫn quá hạn" | "Không cập nhật tiến độ" | "Hoàn thành quá hạn" => {
                text.clone().set_background_color(RED)
            }
            "Đã gia hạn" => text.clone().set_background_color(YELLOW),
            _ => text.clone(),
        };
        for (c, v) in row.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, v, &f)?;
        }
    }
    for (i, w) in [28.0, 22.0, 13.0, 50.0, 22.0].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    print_setup(ws, 2)?;
    wb.save_to_buffer()
}

/// The review's short narrative (Markdown), grouped by lead unit.
pub fn review_markdown(config: &Config, review: &Review, tasks: &[Task]) -> String {
    let mut s = format!(
        "# Rà soát tình hình thực hiện nhiệm vụ\n\nTừ ngày {} đến ngày {}.\n",
        vn_date(review.since),
        vn_date(review.as_of)
    );
    let total = |f: &dyn Fn(&crate::tasks::review::UnitReview) -> usize| -> usize {
        review.units.iter().map(|(_, r)| f(r)).sum()
    };
    s.push_str(&format!(
        "\nTrong kỳ rà soát: {} nhiệm vụ hoàn thành đúng hạn, {} hoàn thành quá hạn, {} mới quá hạn, {} vẫn quá hạn; {} đơn vị không cập nhật tiến độ.\n",
        total(&|r| r.completed_on_time.len()),
        total(&|r| r.completed_late.len()),
        total(&|r| r.newly_overdue.len()),
        total(&|r| r.still_overdue.len()),
        review.units.iter().filter(|(_, r)| r.not_updated).count()
    ));
    let rows = review_rows(config, review, tasks);
    let mut unit = String::new();
    for row in rows {
        if row[0] != unit {
            unit = row[0].clone();
            s.push_str(&format!("\n## {unit}\n\n"));
        }
        if row[2].is_empty() {
            s.push_str(&format!("- {}: {}.\n", row[1], row[4]));
        } else {
            s.push_str(&format!(
                "- {} {} ({}): {}.\n",
                row[1], row[2], row[3], row[4]
            ));
        }
    }
    s
}
