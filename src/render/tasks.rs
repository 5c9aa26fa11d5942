//! `nhiem-vu.xlsx`: the task register with its statuses (green done, yellow nearly due, red
//! late), the summary per lead unit and overall, and the reminder sheet (đôn đốc).

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::form::{table_cell, table_header, FONT, GREEN, RED, YELLOW};
use crate::catalog::Config;
use crate::schedule::vn_date;
use crate::tasks::{Summary, Task, TaskStatus};

pub const SHEET_REGISTER: &str = "Sổ nhiệm vụ";
pub const SHEET_SUMMARY: &str = "Tổng hợp";
pub const SHEET_REMINDERS: &str = "Đôn đốc";

fn cell() -> Format {
    table_cell()
}

fn header() -> Format {
    table_header()
}

/// The fill of a task's row: done → green, nearly due → yellow, late → red.
pub fn fill_of(t: &Task, as_of: NaiveDate, within: u32) -> Option<&'static str> {
    let s = t.status(as_of);
    if s.is_late() {
        Some(RED)
    } else if s.is_done() {
        Some(GREEN)
    } else if t.nearly_due(as_of, within) {
        Some(YELLOW)
    } else {
        None
    }
}

fn unit_name(config: &Config, code: &str) -> String {
    config.units.name_of(code)
}

fn title(ws: &mut Worksheet, text: &str) -> Result<(), XlsxError> {
    let f = Format::new()
        .set_font_name(FONT)
        .set_font_size(13)
        .set_bold();
    ws.write_string_with_format(0, 0, text, &f)?;
    Ok(())
}

fn setup(ws: &mut Worksheet, widths: &[f64]) -> Result<(), XlsxError> {
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(3, 0)?;
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 2)?;
    Ok(())
}

pub fn workbook(config: &Config, tasks: &[Task], summary: &Summary) -> Result<Vec<u8>, XlsxError> {
    let as_of = summary.as_of;
    let mut wb = Workbook::new();
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(
        as_of.year() as u16,
        as_of.month() as u8,
        as_of.day() as u8,
    )?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title("Tình hình thực hiện nhiệm vụ được giao")
            .set_author("baocao")
            .set_creation_datetime(&created),
    );

    // 1. The register with statuses.
    wb.push_worksheet(register_sheet(config, tasks, summary)?);

    // 2. Summary per lead unit and overall.
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_SUMMARY)?;
    summary_sheet(&mut ws, config, summary)?;
    wb.push_worksheet(ws);

    // 3. Reminders: overdue and nearly-due tasks, grouped by lead unit.
    wb.push_worksheet(reminders_sheet(config, tasks, summary)?);
    wb.save_to_buffer()
}

/// The register sheet's column headers.
const REGISTER_HEADERS: [&str; 14] = [
    "Mã nhiệm vụ",
    "Nội dung nhiệm vụ",
    "Văn bản giao",
    "Ngày giao",
    "Cơ quan giao",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Thời hạn điều chỉnh",
    "Ngày hoàn thành",
    "Tiến độ / kết quả",
    "Giải trình",
    "Tình trạng",
    "Sắp đến hạn",
];

/// The register sheet: every task on its row, filled by its status.
fn register_sheet(
    config: &Config,
    tasks: &[Task],
    summary: &Summary,
) -> Result<Worksheet, XlsxError> {
    let as_of = summary.as_of;
    let within = summary.within;
    let head = header();
    let text = cell();
    let center = cell().set_align(FormatAlign::Center);
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_REGISTER)?;
    title(
        &mut ws,
        &format!(
            "Sổ theo dõi nhiệm vụ — tình hình đến ngày {}",
            vn_date(as_of)
        ),
    )?;
    let cols = REGISTER_HEADERS;
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    for (i, t) in tasks.iter().enumerate() {
        let r = 3 + i as u32;
        let (f, c) = match fill_of(t, as_of, within) {
            Some(color) => (
                text.clone().set_background_color(color),
                center.clone().set_background_color(color),
            ),
            None => (text.clone(), center.clone()),
        };
        for (j, v) in register_values(config, t, as_of, within).iter().enumerate() {
            let fmt = if matches!(j, 3 | 7 | 8 | 9) { &c } else { &f };
            ws.write_string_with_format(r, j as u16, v, fmt)?;
        }
    }
    setup(
        &mut ws,
        &[
            12.0, 40.0, 20.0, 11.0, 16.0, 22.0, 20.0, 11.0, 11.0, 11.0, 28.0, 24.0, 22.0, 12.0,
        ],
    )?;
    ws.autofilter(2, 0, (2 + tasks.len()) as u32, (cols.len() - 1) as u16)?;
    Ok(ws)
}

/// A task's row of the register: its fields, dates as dd/mm/yyyy, its lead unit by name,
/// its status and whether it is nearly due.
fn register_values(config: &Config, t: &Task, as_of: NaiveDate, within: u32) -> [String; 14] {
    let d = |x: Option<NaiveDate>| x.map(vn_date).unwrap_or_default();
    [
        t.code.clone(),
        t.content.clone(),
        t.document.clone(),
        d(t.assigned_on),
        t.assigner.clone(),
        unit_name(config, &t.lead),
        t.coordinating.clone(),
        d(t.deadline),
        d(t.extended),
        d(t.completed_on),
        t.progress.clone(),
        t.explanation.clone(),
        t.status(as_of).name().to_string(),
        if t.nearly_due(as_of, within) {
            "sắp đến hạn".to_string()
        } else {
            String::new()
        },
    ]
}

/// The reminder sheet (đôn đốc): overdue and nearly-due tasks, grouped by lead unit.
fn reminders_sheet(
    config: &Config,
    tasks: &[Task],
    summary: &Summary,
) -> Result<Worksheet, XlsxError> {
    let as_of = summary.as_of;
    let within = summary.within;
    let head = header();
    let text = cell();
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_REMINDERS)?;
    title(
        &mut ws,
        &format!("Danh sách nhiệm vụ cần đôn đốc đến ngày {}", vn_date(as_of)),
    )?;
    let cols = [
        "Đơn vị chủ trì",
        "Mã nhiệm vụ",
        "Nội dung nhiệm vụ",
        "Thời hạn",
        "Tình trạng",
        "Quá hạn / còn (ngày)",
        "Cập nhật",
    ];
    let tracked = crate::tasks::tracks_updates(tasks);
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    for (r, (unit, t)) in (3u32..).zip(reminders(tasks, summary)) {
        let color = fill_of(t, as_of, within).unwrap_or(YELLOW);
        let f = text.clone().set_background_color(color);
        write_reminder(&mut ws, config, r, (unit, t), as_of, tracked, &f)?;
    }
    setup(&mut ws, &[26.0, 13.0, 50.0, 11.0, 14.0, 18.0, 16.0])?;
    Ok(ws)
}

/// One reminder on row `r`: lead unit, task, deadline, overdue or nearly due and by how many
/// days, whether it was not updated.
fn write_reminder(
    ws: &mut Worksheet,
    config: &Config,
    r: u32,
    (unit, t): (&str, &Task),
    as_of: NaiveDate,
    tracked: bool,
    f: &Format,
) -> Result<(), XlsxError> {
    let due = t.due().expect("reminders have a deadline");
    let days = (due - as_of).num_days();
    ws.write_string_with_format(r, 0, unit_name(config, unit), f)?;
    ws.write_string_with_format(r, 1, &t.code, f)?;
    ws.write_string_with_format(r, 2, &t.content, f)?;
    ws.write_string_with_format(r, 3, vn_date(due), f)?;
    ws.write_string_with_format(
        r,
        4,
        if days < 0 {
            "quá hạn"
        } else {
            "sắp đến hạn"
        },
        f,
    )?;
    ws.write_string_with_format(
        r,
        5,
        &if days < 0 {
            format!("quá {} ngày", -days)
        } else {
            format!("còn {days} ngày")
        },
        f,
    )?;
    let updated = if t.not_updated(as_of, crate::tasks::UPDATE_CYCLE_DAYS, tracked) {
        "chưa cập nhật"
    } else {
        ""
    };
    ws.write_string_with_format(r, 6, updated, f)?;
    Ok(())
}

/// The summary per lead unit and overall, on `ws` (also the "Nhiệm vụ" sheet of `tong-hop.xlsx`).
pub fn summary_sheet(
    ws: &mut Worksheet,
    config: &Config,
    summary: &Summary,
) -> Result<(), XlsxError> {
    let head = header();
    let text = cell();
    title(
        ws,
        &format!(
            "Tổng hợp tình hình thực hiện nhiệm vụ đến ngày {}",
            vn_date(summary.as_of)
        ),
    )?;
    let mut cols: Vec<String> = vec!["STT".into(), "Đơn vị chủ trì".into(), "Tổng số".into()];
    cols.extend(TaskStatus::ALL.iter().map(|s| capitalize(s.name())));
    cols.extend([
        "Sắp đến hạn".to_string(),
        "Tỷ lệ hoàn thành đúng hạn (%)".to_string(),
    ]);
    for (i, h) in cols.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, h, &head)?;
    }
    let num = cell().set_align(FormatAlign::Center);
    let pct = cell().set_num_format("0.0");
    let bold_num = num.clone().set_bold();
    let bold_text = text.clone().set_bold();
    let bold_pct = pct.clone().set_bold();
    for (r, (stt, name, c, total)) in (3u32..).zip(summary_rows(config, summary)) {
        let formats = if total {
            [&bold_text, &bold_num, &bold_pct]
        } else {
            [&text, &num, &pct]
        };
        write_counts(ws, r, (&stt, &name), c, formats)?;
    }
    let note = Format::new().set_font_name(FONT).set_italic();
    ws.write_string_with_format(
        4 + summary.by_unit.len() as u32,
        1,
        format!("Tỷ lệ hoàn thành đúng hạn = {}.", summary.rate.describe()),
        &note,
    )?;
    setup(
        ws,
        &[6.0, 32.0, 9.0, 14.0, 14.0, 14.0, 14.0, 14.0, 11.0, 14.0],
    )?;
    Ok(())
}

/// The summary's rows: (STT, lead unit, counts, total row?), each lead unit's then the total.
fn summary_rows<'s>(
    config: &Config,
    summary: &'s Summary,
) -> Vec<(String, String, &'s crate::tasks::Counts, bool)> {
    summary
        .by_unit
        .iter()
        .enumerate()
        .map(|(i, (u, c))| ((i + 1).to_string(), unit_name(config, u), c, false))
        .chain(std::iter::once((
            String::new(),
            "Tổng cộng".to_string(),
            &summary.overall,
            true,
        )))
        .collect()
}

/// One row of the summary on row `r`: STT and name, the counts by status, the nearly due and
/// the rate on time, in the `[text, number, percent]` formats.
fn write_counts(
    ws: &mut Worksheet,
    r: u32,
    (stt, name): (&str, &str),
    c: &crate::tasks::Counts,
    [t, n, p]: [&Format; 3],
) -> Result<(), XlsxError> {
    ws.write_string_with_format(r, 0, stt, n)?;
    ws.write_string_with_format(r, 1, name, t)?;
    ws.write_number_with_format(r, 2, c.total as f64, n)?;
    for (j, s) in TaskStatus::ALL.iter().enumerate() {
        ws.write_number_with_format(r, 3 + j as u16, c.get(*s) as f64, n)?;
    }
    ws.write_number_with_format(r, 8, c.nearly_due as f64, n)?;
    match c.percent_on_time {
        Some(v) => ws.write_number_with_format(r, 9, v, p)?,
        None => ws.write_blank(r, 9, p)?,
    };
    Ok(())
}

/// Overdue and nearly-due tasks, grouped by lead unit in summary order, earliest due first.
pub fn reminders<'a>(tasks: &'a [Task], summary: &'a Summary) -> Vec<(&'a str, &'a Task)> {
    let mut out = Vec::new();
    for (unit, _) in &summary.by_unit {
        let mut mine: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.lead == *unit)
            .filter(|t| {
                t.status(summary.as_of) == TaskStatus::Overdue
                    || t.nearly_due(summary.as_of, summary.within)
            })
            .collect();
        mine.sort_by_key(|t| (t.due(), t.code.clone()));
        out.extend(mine.into_iter().map(|t| (unit.as_str(), t)));
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
