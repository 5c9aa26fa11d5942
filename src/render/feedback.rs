//! Result sheets (phiếu kết quả tiếp nhận báo cáo): what each unit that sent a report is told
//! back — when it came in, on time or late, accepted or returned, and each finding with its
//! cell, the figure typed there and what to do. `run` writes them into the period's output
//! folder and `check --feedback DIR` into DIR, as `phieu-ket-qua/<unit>-<regime>-<period>.xlsx`
//! and `.docx`.
//!
//! Built from the batch alone (plain data): the units' compliance rows, the accepted and the
//! returned submissions (for the figures at the cells the findings name) and the diagnostics.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::catalog::{Config, Regime};
use crate::diag::{Code, Diagnostic, Severity};
use crate::model::Submission;
use crate::period::Period;
use crate::schedule::vn_date;
use crate::validate::{Batch, Timeliness};

/// The folder of the result sheets, in the period's output folder or in `check --feedback`'s.
pub const FOLDER: &str = "phieu-ket-qua";

/// What one unit is told about its report of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSheet {
    pub unit_code: String,
    pub unit_name: String,
    pub regime: String,
    pub regime_name: String,
    pub period: Period,
    /// The receiver's agency, as the letterhead prints it ("ỦY BAN NHÂN DÂN TỈNH AN LẠC").
    pub agency: String,
    /// The receiver's place, for "An Lạc, ngày … tháng … năm …".
    pub place: String,
    /// The unit's files of the period: the one used, or those returned.
    pub files: Vec<String>,
    /// When the report came in, and by what that is known ("sổ nhận", "ngày sửa tệp", …).
    pub received: Option<(NaiveDateTime, &'static str)>,
    pub deadline: Option<NaiveDate>,
    /// On time, late or returned (a unit that sent nothing has no sheet).
    pub status: Timeliness,
    /// Working days after the deadline, when late.
    pub late_days: Option<u32>,
    pub findings: Vec<Finding>,
    /// Who signs the sheet (the regime's `signing`, else the receiver's head), and their name.
    pub signing: Vec<String>,
    pub signer: Option<String>,
}

/// One diagnostic of the unit's report, as the unit reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    /// The figure or answer the unit typed at `cell`, as it reads on the form ("" where none).
    pub figure: String,
    /// What is wrong.
    pub what: String,
    /// What to do.
    pub todo: String,
}

impl Finding {
    /// "Biểu số liệu › F21": the sheet and the cell, those there are.
    pub fn place(&self) -> String {
        [self.sheet.as_str(), self.cell.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" › ")
    }
}

impl ResultSheet {
    /// `<unit>-<regime>-<period>`, the name of the sheet's files without the extension.
    pub fn stem(&self) -> String {
        format!("{}-{}-{}", self.unit_code, self.regime, self.period.code())
    }

    /// The findings as lines of a mail's text ("- BC0405 Biểu số liệu › F14 (số 120): …"), the
    /// blocking first, at most `max` of them and a line saying how many more.
    pub fn finding_lines(&self, max: usize) -> String {
        let mut order: Vec<&Finding> = self.findings.iter().collect();
        order.sort_by_key(|f| f.severity != Severity::Blocking);
        let mut lines: Vec<String> = order
            .iter()
            .take(max)
            .map(|f| {
                let place = f.place();
                let figure = match f.figure.as_str() {
                    "" => String::new(),
                    v => format!(" (đơn vị ghi: {v})"),
                };
                let what = f.what.lines().next().unwrap_or("");
                match place.as_str() {
                    "" => format!("- {} {}: {what}", f.code, f.severity.label()),
                    _ => format!(
                        "- {} {} {place}{figure}: {what}",
                        f.code,
                        f.severity.label()
                    ),
                }
            })
            .collect();
        if order.len() > max {
            lines.push(format!(
                "- … và {} mục khác trong phiếu đính kèm",
                order.len() - max
            ));
        }
        lines.join("\n")
    }

    /// What the sheet tells, as a key for the sent log (`mail::send::SentLog`):
    /// `phieu|<stem>|<SHA-256 of the facts and findings>`. A sheet written again with the same
    /// verdict (the period run again for another unit's file) has the same key and is not mailed
    /// twice; a resubmission or a changed verdict has another.
    pub fn verdict_key(&self) -> String {
        let mut text = String::new();
        for (label, value) in self.facts() {
            text.push_str(&format!("{label}\t{value}\n"));
        }
        for f in &self.findings {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                f.code, f.file, f.sheet, f.cell, f.figure, f.what
            ));
        }
        format!(
            "{}{}",
            Self::key_prefix(&self.stem()),
            crate::hash::sha256_hex(text.as_bytes())
        )
    }

    /// The start of the sent-log keys of the sheets named `stem`.
    pub fn key_prefix(stem: &str) -> String {
        format!("phieu|{stem}|")
    }

    pub fn accepted(&self) -> bool {
        matches!(self.status, Timeliness::OnTime | Timeliness::Late)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// "16/10/2026 09:12 (sổ nhận)", or "không rõ".
    pub fn received_text(&self) -> String {
        match self.received {
            Some((t, source)) => format!("{} ({source})", t.format("%d/%m/%Y %H:%M")),
            None => "không rõ".to_string(),
        }
    }

    /// On time, or late by how much.
    pub fn timeliness_text(&self) -> String {
        match (self.status, self.late_days, self.deadline) {
            (Timeliness::Late, Some(n), Some(d)) => {
                format!("Muộn {n} ngày làm việc so với thời hạn {}", vn_date(d))
            }
            (Timeliness::Late, ..) => "Muộn".to_string(),
            (Timeliness::Rejected, ..) => "Chưa tính (báo cáo bị trả lại)".to_string(),
            _ => "Đúng hạn".to_string(),
        }
    }

    /// The sheet's facts, as (label, text): who sent what, when, and what came of it.
    pub fn facts(&self) -> [(&'static str, String); 6] {
        [
            (
                "Đơn vị gửi",
                format!("{} ({})", self.unit_name, self.unit_code),
            ),
            ("Tệp nhận được", self.files.join("; ")),
            ("Thời điểm nhận", self.received_text()),
            (
                "Thời hạn gửi",
                self.deadline.map(vn_date).unwrap_or_default(),
            ),
            ("Thời gian gửi", self.timeliness_text()),
            ("Kết quả", self.outcome_text()),
        ]
    }

    /// Accepted or returned, and what follows for the unit.
    pub fn outcome_text(&self) -> String {
        // A late report's lateness is in the facts: the advice is about the figures.
        let warnings = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && f.code != Code::Late.as_str())
            .count();
        if self.accepted() {
            let mut s = "Được chấp nhận: số liệu đã được đưa vào tổng hợp.".to_string();
            if warnings > 0 {
                s.push_str(&format!(
                    " Có {warnings} cảnh báo dưới đây: đơn vị kiểm tra lại; số liệu sai thì gửi lại bản đã sửa."
                ));
            }
            s
        } else {
            format!(
                "Bị trả lại: báo cáo có {} lỗi chặn nên chưa được tổng hợp. Đơn vị sửa các lỗi dưới đây rồi gửi lại{}.",
                self.count(Severity::Blocking),
                self.deadline
                    .map(|d| format!(" (thời hạn gửi {})", vn_date(d)))
                    .unwrap_or_default()
            )
        }
    }
}

/// The result sheet of every unit that sent a report of the period (accepted or returned), in
/// the order of the compliance table.
pub fn sheets(config: &Config, regime: &Regime, period: Period, batch: &Batch) -> Vec<ResultSheet> {
    let receiver = config.units.get(&regime.receiver);
    let agency = receiver
        .map(|u| u.agency_name().to_uppercase())
        .unwrap_or_default();
    let place = receiver
        .map(|u| u.place.clone().unwrap_or_else(|| u.name.clone()))
        .unwrap_or_default();
    let closing = receiver.map(|u| super::narrative::Closing::of_agency(regime, u, Vec::new()));
    let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &batch.diagnostics {
        by_file.entry(&d.location.file).or_default().push(d);
    }
    let submissions: BTreeMap<&str, &Submission> = batch
        .accepted
        .iter()
        .chain(&batch.returned)
        .map(|s| (s.file.as_str(), s))
        .collect();
    let mut out = Vec::new();
    for row in &batch.compliance {
        if !matches!(
            row.status,
            Timeliness::OnTime | Timeliness::Late | Timeliness::Rejected
        ) {
            continue;
        }
        // The file used, or every file of the unit that was returned.
        let files: Vec<String> = match row.status {
            Timeliness::Rejected => batch
                .rejected
                .iter()
                .filter(|r| r.unit_code.as_deref() == Some(row.unit_code.as_str()))
                .map(|r| r.file.clone())
                .collect(),
            _ => row.file.iter().cloned().collect(),
        };
        let source = files
            .iter()
            .find_map(|f| submissions.get(f.as_str()))
            .map_or("không rõ", |s| s.received_source.label());
        let findings = files
            .iter()
            .flat_map(|f| by_file.get(f.as_str()).into_iter().flatten())
            .map(|d| finding(config, d, submissions.get(d.location.file.as_str())))
            .collect();
        let late_days = match (row.status, row.deadline, row.received_at) {
            (Timeliness::Late, Some(d), Some(t)) => {
                Some(config.calendar.working_days_between(d, t.date()))
            }
            _ => None,
        };
        out.push(ResultSheet {
            unit_code: row.unit_code.clone(),
            unit_name: row.unit_name.clone(),
            regime: regime.id.clone(),
            regime_name: regime.name.clone(),
            period,
            agency: agency.clone(),
            place: place.clone(),
            files,
            received: row.received_at.map(|t| (t, source)),
            deadline: row.deadline,
            status: row.status,
            late_days,
            findings,
            signing: closing
                .as_ref()
                .map(|c| c.signing.clone())
                .unwrap_or_default(),
            signer: closing.as_ref().and_then(|c| c.signer.clone()),
        });
    }
    out
}

/// A diagnostic as a finding: its message split into what is wrong and what to do, and the
/// figure the unit typed at its cell.
fn finding(config: &Config, d: &Diagnostic, s: Option<&&Submission>) -> Finding {
    let (what, todo) = match d.message.split_once('\n') {
        Some((what, todo)) => (what.trim().to_string(), todo.trim().to_string()),
        None => (
            d.message.trim().to_string(),
            match d.severity {
                Severity::Blocking => "Sửa rồi gửi lại.".to_string(),
                Severity::Warning => {
                    "Kiểm tra lại; số liệu đúng thì không cần gửi lại.".to_string()
                }
            },
        ),
    };
    let (sheet, cell): (&str, &str) = (&d.location.sheet, &d.location.cell);
    let figure = match s {
        Some(s) if !cell.is_empty() => typed_at(config, s, sheet, cell),
        _ => String::new(),
    };
    Finding {
        code: d.code.as_str(),
        severity: d.severity,
        file: d.location.file.to_string(),
        sheet: sheet.to_string(),
        cell: cell.to_string(),
        figure,
        what,
        todo,
    }
}

/// The figure or answer read at `sheet`, `cell` of a submission, as the form prints it.
fn typed_at(config: &Config, s: &Submission, sheet: &str, cell: &str) -> String {
    let at = |l: &crate::diag::Location| &*l.sheet == sheet && &*l.cell == cell;
    if let Some(((key, _), v)) = s.values.iter().find(|(_, v)| at(&v.location.location())) {
        return match config.indicator_of_key(key) {
            Some(i) => super::workbook::fmt_value(v.value, i),
            None => crate::text::fmt_vn(v.value, 4),
        };
    }
    s.texts
        .values()
        .find(|t| at(&t.location))
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

const FONT: &str = "Times New Roman";

/// The sheet as a workbook of one worksheet, "Phiếu kết quả", printed on A4 landscape.
pub fn xlsx(sheet: &ResultSheet) -> Result<Vec<u8>, XlsxError> {
    let base = Format::new().set_font_name(FONT).set_font_size(12);
    let bold = base.clone().set_bold();
    let title = bold
        .clone()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let centred = base.clone().set_align(FormatAlign::Center).set_italic();
    let wrap = base.clone().set_text_wrap().set_align(FormatAlign::Top);
    let mut wb = Workbook::new();
    // A sheet is small and there are as many as units: the fastest deflate level.
    wb.set_zip_compression_level(1);
    let ws = wb.add_worksheet();
    ws.set_name("Phiếu kết quả")?;
    // About the width of an A4 landscape page at full size (27 cm of 12-point text).
    let widths = [5.0, 8.0, 9.0, 16.0, 7.0, 13.0, 45.0, 35.0];
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    let last = (widths.len() - 1) as u16;
    ws.merge_range(0, 0, 0, last, &sheet.agency, &bold)?;
    ws.merge_range(1, 0, 1, last, "PHIẾU KẾT QUẢ TIẾP NHẬN BÁO CÁO", &title)?;
    let subtitle = format!("{} — {}", sheet.regime_name, sheet.period.label());
    ws.merge_range(2, 0, 2, last, &subtitle, &centred)?;
    let mut r = 4;
    let merged: f64 = widths[3..].iter().sum();
    for (label, value) in &sheet.facts() {
        ws.merge_range(r, 0, r, 2, label, &bold)?;
        ws.merge_range(r, 3, r, last, value, &wrap)?;
        ws.set_row_height(r, row_height(&[(value, merged)]))?;
        r += 1;
    }
    r += 1;
    if sheet.findings.is_empty() {
        ws.merge_range(r, 0, r, last, "Không có lỗi hay cảnh báo nào.", &base)?;
    } else {
        let cell = wrap.clone().set_border(FormatBorder::Thin);
        write_findings(ws, sheet, r, &widths, &cell)?;
    }
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    wb.save_to_buffer()
}

/// The findings' table from row `r`: its header (repeated on every printed page), then one
/// row per finding.
fn write_findings(
    ws: &mut rust_xlsxwriter::Worksheet,
    sheet: &ResultSheet,
    mut r: u32,
    widths: &[f64],
    cell: &Format,
) -> Result<(), XlsxError> {
    let head = cell
        .clone()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let headers = [
        "STT",
        "Mã",
        "Mức độ",
        "Trang tính",
        "Ô",
        "Số liệu trên biểu",
        "Nội dung",
        "Cách xử lý",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &head)?;
    }
    ws.set_repeat_rows(r, r)?;
    for (i, f) in sheet.findings.iter().enumerate() {
        r += 1;
        ws.write_number_with_format(r, 0, (i + 1) as f64, cell)?;
        let texts = [
            f.code,
            f.severity.label(),
            &f.sheet,
            &f.cell,
            &f.figure,
            &f.what,
            &f.todo,
        ];
        for (c, t) in texts.iter().enumerate() {
            ws.write_string_with_format(r, (c + 1) as u16, *t, cell)?;
        }
        let sized: Vec<(&str, f64)> = texts
            .iter()
            .zip(&widths[1..])
            .map(|(t, w)| (*t, *w))
            .collect();
        ws.set_row_height(r, row_height(&sized))?;
    }
    Ok(())
}

/// The height of a row whose wrapped texts sit in columns of the given widths: spreadsheet
/// programs do not grow a row for its wrapped text when they open a file, so a long message
/// would be cut.
fn row_height(texts: &[(&str, f64)]) -> f64 {
    // A 12-point Times New Roman line holds about 1,15 characters per unit of column width.
    let lines = texts
        .iter()
        .map(|(t, width)| {
            let per_line = (width * 1.15).max(1.0) as usize;
            t.split('\n')
                .map(|l| l.chars().count().div_ceil(per_line).max(1))
                .sum::<usize>()
        })
        .max()
        .unwrap_or(1);
    16.0 * lines as f64
}

/// The sheet as a document in the administrative layout (Nghị định 30/2020): the receiver's
/// letterhead, the facts, the findings as a table, the unit as recipient.
pub fn docx(sheet: &ResultSheet, as_of: NaiveDate) -> Result<Vec<u8>, String> {
    use super::narrative::{Closing, Letterhead, Narrative};
    let mut body = String::from("# PHIẾU KẾT QUẢ TIẾP NHẬN BÁO CÁO\n\n");
    body.push_str(&format!(
        "**{}** — {}\n\n",
        super::md_text(&sheet.regime_name),
        super::md_text(&sheet.period.label())
    ));
    for (label, value) in sheet.facts() {
        body.push_str(&format!("- {label}: {}\n", super::md_text(&value)));
    }
    body.push('\n');
    if sheet.findings.is_empty() {
        body.push_str("Không có lỗi hay cảnh báo nào.\n");
    } else {
        // Widths that keep codes and levels on one line and the two texts wide.
        body.push_str("<!-- cột: 8, 12, 10, 14, 11, 25, 20 -->\n\n");
        body.push_str("| STT | Mã | Mức độ | Ô | Số liệu trên biểu | Nội dung | Cách xử lý |\n");
        body.push_str("|---|---|---|---|---|---|---|\n");
        for (i, f) in sheet.findings.iter().enumerate() {
            let at = f.place();
            body.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                i + 1,
                f.code,
                f.severity.label(),
                cell_md(&at),
                cell_md(&f.figure),
                cell_md(&f.what),
                cell_md(&f.todo)
            ));
        }
    }
    let narrative = Narrative {
        md: body.clone(),
        html: String::new(),
        letterhead: Letterhead {
            agency: sheet.agency.clone(),
            number: String::new(),
            place_date: format!("{}, {}", sheet.place, crate::text::date_words(as_of)),
            subject: None,
        },
        body,
        closing: Closing {
            // "Lưu: VT." is added by the closing itself.
            recipients: vec![sheet.unit_name.clone()],
            signing: sheet.signing.clone(),
            signer: sheet.signer.clone(),
        },
        title: format!("Phiếu kết quả tiếp nhận báo cáo — {}", sheet.unit_name),
        form_table: None,
    };
    super::docx::narrative_docx(&narrative, as_of)
}

/// Text for a Markdown table cell: on one line, its pipes escaped.
fn cell_md(s: &str) -> String {
    super::md_text(&s.replace(['\n', '\r'], " "))
}
