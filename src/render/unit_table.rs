//! The table of units (`[unit_table]` of a regime): one row per reporting unit, in the
//! tree's order, with its status (đúng hạn, muộn, bị từ chối, chưa gửi) and the cells the
//! regime chose — answers as their labels, years without separators. A unit whose report was
//! rejected or is missing has its row and status, and no figures.
//!
//! Made once from the report; written as a printable sheet of `tong-hop.xlsx` and given to
//! the outline as `units` (and `bang_don_vi`, the table in Markdown).

use rust_xlsxwriter::{Format, FormatAlign, Worksheet, XlsxError};
use serde::Serialize;

use super::Report;
use crate::catalog::{Indicator, InputColumn, UnitTable};
use crate::validate::Timeliness;

/// The table, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub title: String,
    /// The chosen columns' headers (with the unit of measure where there is one).
    pub headers: Vec<String>,
    pub units: Vec<Row>,
    /// How each column's figures are written on the sheet.
    #[serde(skip)]
    pub kinds: Vec<Kind>,
}

/// How a column's figures are written on the sheet: as their labels (answers), or as
/// numbers Excel can add (with the indicator's decimal places; a year without separators).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Label,
    Number(usize),
    Year,
}

/// One unit's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    /// The unit's status as printed, and its key (`on_time`, `late`, `rejected`, `missing`,
    /// `not_yet_due`).
    pub status: String,
    pub status_key: String,
    /// The chosen cells as printed, in the columns' order ("" where the unit has none).
    pub figures: Vec<String>,
    /// The same by cell key (`NTM01`), for an outline that names them.
    pub values: std::collections::BTreeMap<String, String>,
    /// The same, unformatted (an answer's kept value: 1/0, the option's place), for the
    /// sheet's number cells.
    #[serde(skip)]
    pub raw: Vec<Option<f64>>,
}

/// A unit's status as the table prints it.
fn status_label(t: Timeliness) -> &'static str {
    match t {
        Timeliness::OnTime => "đúng hạn",
        Timeliness::Late => "muộn",
        Timeliness::Rejected => "bị từ chối",
        Timeliness::Missing => "chưa gửi",
        Timeliness::NotYetDue => "chưa gửi (chưa đến hạn)",
    }
}

/// The chosen columns of a table of units, with their indicators where known.
type Columns<'a> = [(&'a crate::catalog::UnitTableColumn, Option<&'a Indicator>)];

/// The table of the report's regime, if it declares one.
pub fn of(report: &Report<'_>) -> Option<Table> {
    let spec: &UnitTable = report.regime.unit_table.as_ref()?;
    let config = report.config;
    let columns: Vec<(&crate::catalog::UnitTableColumn, Option<&Indicator>)> = spec
        .columns
        .iter()
        .map(|c| (c, config.indicator_of_key(&c.cell)))
        .collect();
    let headers = columns
        .iter()
        .map(|(c, ind)| header_of(config, c, *ind))
        .collect();
    let units = report
        .batch
        .compliance
        .iter()
        .map(|row| unit_row(report, &columns, row))
        .collect();
    let kinds = columns.iter().map(|(_, ind)| kind_of(*ind)).collect();
    Some(Table {
        title: spec.title().to_string(),
        headers,
        units,
        kinds,
    })
}

/// A column's header: its label (else the indicator's name, or the part of it the cell
/// selects), with the unit of measure and the column where not "thực hiện".
fn header_of(
    config: &crate::catalog::Config,
    c: &crate::catalog::UnitTableColumn,
    ind: Option<&Indicator>,
) -> String {
    let name = c.label.clone().unwrap_or_else(|| {
        ind.map(|i| match crate::model::parse_key(&c.cell) {
            Ok((code, d)) if !d.is_total() => config
                .describe_cell(&code, &d)
                .split_once(' ')
                .map(|(_, rest)| rest.trim_matches('"').to_string())
                .unwrap_or_else(|| i.name.clone()),
            _ => i.name.clone(),
        })
        .unwrap_or_else(|| c.cell.clone())
    });
    match ind.map(|i| i.unit.trim()).filter(|u| !u.is_empty()) {
        Some(u) if c.column != InputColumn::ThucHien => {
            format!("{name} ({u}; {})", column_word(c.column))
        }
        Some(u) => format!("{name} ({u})"),
        None if c.column != InputColumn::ThucHien => {
            format!("{name} ({})", column_word(c.column))
        }
        None => name,
    }
}

/// One unit's row: its status, and its figures where its report was accepted.
fn unit_row(
    report: &Report<'_>,
    columns: &Columns<'_>,
    row: &crate::validate::ComplianceRow,
) -> Row {
    let reported = matches!(row.status, Timeliness::OnTime | Timeliness::Late);
    let raw: Vec<Option<f64>> = columns
        .iter()
        .map(|(c, _)| {
            reported
                .then(|| report.consolidated.get(&row.unit_code, &c.cell, c.column))
                .flatten()
        })
        .collect();
    // A text is the unit's own, read from its accepted report.
    let own = reported
        .then(|| {
            report
                .batch
                .accepted
                .iter()
                .find(|s| s.unit_code == row.unit_code)
        })
        .flatten();
    let figures: Vec<String> = raw
        .iter()
        .zip(columns)
        .map(|(v, (c, ind))| match (v, ind) {
            (_, Some(i)) if i.is_text() => own
                .and_then(|s| s.text(&i.code, c.column))
                .map(|t| t.text.clone())
                .unwrap_or_default(),
            (Some(v), Some(i)) => super::workbook::fmt_value(*v, i),
            (Some(v), None) => crate::text::fmt_vn(*v, 2),
            (None, _) => String::new(),
        })
        .collect();
    let values = columns
        .iter()
        .zip(&figures)
        .map(|((c, _), f)| (c.cell.clone(), f.clone()))
        .collect();
    Row {
        code: row.unit_code.clone(),
        name: row.unit_name.clone(),
        status: status_label(row.status).to_string(),
        status_key: row.status.key().to_string(),
        figures,
        values,
        raw,
    }
}

/// How a column of `ind` is written on the sheet.
fn kind_of(ind: Option<&Indicator>) -> Kind {
    match ind {
        Some(i) if i.is_answer() || i.is_text() => Kind::Label,
        Some(i) if i.value_type == crate::catalog::ValueType::Year => Kind::Year,
        // A unit's own whole number: no decimals (an average's decimals are the tree's).
        Some(i)
            if i.value_type == crate::catalog::ValueType::Integer && i.decimal_places.is_none() =>
        {
            Kind::Number(0)
        }
        Some(i) => Kind::Number(i.decimals()),
        None => Kind::Number(2),
    }
}

fn column_word(c: InputColumn) -> &'static str {
    match c {
        InputColumn::KeHoach => "kế hoạch năm",
        InputColumn::ThucHien => "thực hiện kỳ",
        InputColumn::LuyKe => "lũy kế",
        InputColumn::KyTruoc => "kỳ trước",
    }
}

impl Table {
    /// The table in Markdown, for the outline (`{{ bang_don_vi }}`): STT, Đơn vị, the
    /// columns, Tình trạng.
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut heads = vec!["STT".to_string(), "Đơn vị".to_string()];
        heads.extend(self.headers.iter().map(|h| esc(h)));
        heads.push("Tình trạng".to_string());
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&heads);
        out.push_str(&line(&vec!["---".to_string(); heads.len()]));
        for (i, u) in self.units.iter().enumerate() {
            let mut cells = vec![(i + 1).to_string(), esc(&u.name)];
            cells.extend(u.figures.iter().map(|f| esc(f)));
            cells.push(u.status.clone());
            out.push_str(&line(&cells));
        }
        out
    }

    /// The sheet: a title, a header row repeated on every page, one row per unit, fitted to
    /// the page's width (A4 landscape), a frozen header and a filter.
    pub fn write(&self, ws: &mut Worksheet, sheet: &str, font: &str) -> Result<(), XlsxError> {
        ws.set_name(sheet)?;
        let f = TableFormats::new(font);
        ws.write_string_with_format(0, 0, &self.title, &f.title)?;
        let last = self.headers.len() as u16 + 2;
        let mut heads = vec!["STT", "Đơn vị"];
        heads.extend(self.headers.iter().map(String::as_str));
        heads.push("Tình trạng");
        for (i, h) in heads.iter().enumerate() {
            ws.write_string_with_format(2, i as u16, *h, &f.head)?;
        }
        let widths = self.set_widths(ws, last)?;
        for (i, u) in self.units.iter().enumerate() {
            self.write_unit(ws, &f, &widths, (i, u), last)?;
        }
        let end = 2 + self.units.len() as u32;
        ws.set_freeze_panes(3, 2)?;
        ws.autofilter(2, 0, end, last)?;
        ws.set_margins(0.59, 0.59, 0.79, 0.79, 0.3, 0.3);
        super::lists::print_one_page_wide(ws, 2)
    }

    /// Sets the columns' widths and the header row's height; returns the chosen columns'
    /// widths.
    fn set_widths(&self, ws: &mut Worksheet, last: u16) -> Result<Vec<usize>, XlsxError> {
        // Widths from the content: a column as wide as its longest figure, or a header's
        // longest word, between 8 and 18 characters (headers wrap); a column of notes up to 36.
        let mut widths: Vec<usize> = Vec::new();
        ws.set_column_width(0, 5)?;
        let longest_name = self
            .units
            .iter()
            .map(|u| u.name.chars().count())
            .max()
            .unwrap_or(10);
        ws.set_column_width(1, (longest_name + 2).clamp(16, 34) as f64)?;
        for (j, h) in self.headers.iter().enumerate() {
            let word = h
                .split_whitespace()
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(4);
            let figure = self
                .units
                .iter()
                .filter_map(|u| u.figures.get(j))
                .map(|f| f.chars().count())
                .max()
                .unwrap_or(0);
            // A column of notes is wider, its lines wrapped.
            let widest = if figure > 18 { 36 } else { 18 };
            let width = (word.max(figure) + 2).clamp(8, widest);
            widths.push(width);
            ws.set_column_width(2 + j as u16, width as f64)?;
        }
        ws.set_column_width(last, 14)?;
        let tallest = self
            .headers
            .iter()
            .map(|h| h.chars().count() / 12 + 1)
            .max()
            .unwrap_or(1)
            .min(6);
        ws.set_row_height(2, 16.0 * tallest as f64 + 4.0)?;
        Ok(widths)
    }

    /// Unit `u`, the `i`-th, on its row: STT, name, figures (numbers where they are), status,
    /// the row as tall as its longest note.
    fn write_unit(
        &self,
        ws: &mut Worksheet,
        f: &TableFormats,
        widths: &[usize],
        (i, u): (usize, &Row),
        last: u16,
    ) -> Result<(), XlsxError> {
        let r = 3 + i as u32;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &f.center)?;
        ws.write_string_with_format(r, 1, &u.name, &f.cell)?;
        for (j, text) in u.figures.iter().enumerate() {
            let c = 2 + j as u16;
            match (self.kinds[j], u.raw[j]) {
                (Kind::Year, Some(v)) => {
                    ws.write_number_with_format(r, c, v, &f.year)?;
                }
                (Kind::Number(d), Some(v)) => {
                    ws.write_number_with_format(r, c, v, &f.numbers[d.min(f.numbers.len() - 1)])?;
                }
                // A note reads from the left.
                _ if widths[j] > 18 => {
                    ws.write_string_with_format(r, c, text, &f.cell)?;
                }
                _ => {
                    ws.write_string_with_format(r, c, text, &f.center)?;
                }
            }
        }
        ws.write_string_with_format(r, last, &u.status, &f.center)?;
        // A row as tall as its longest wrapped note (Excel and LibreOffice do not fit a
        // row's height to wrapped text written by a program).
        let shown: Vec<(String, f64)> = u
            .figures
            .iter()
            .zip(widths)
            .map(|(f, w)| (f.clone(), *w as f64 - 1.0))
            .collect();
        if let Some(h) = super::lists::wrapped_height(&shown) {
            ws.set_row_height(r, h)?;
        }
        Ok(())
    }
}

/// The formats of the table's sheet.
struct TableFormats {
    title: Format,
    head: Format,
    cell: Format,
    center: Format,
    year: Format,
    /// A number's, by decimal places.
    numbers: Vec<Format>,
}

impl TableFormats {
    fn new(font: &str) -> TableFormats {
        let f = super::lists::SheetFormats::new(font);
        let cell = f.cell.clone().set_align(FormatAlign::VerticalCenter);
        let head = f.head.clone();
        let center = f.center.clone().set_align(FormatAlign::VerticalCenter);
        let title = f.title.clone();
        let year = center.clone().set_num_format("0");
        let numbers: Vec<Format> = (0..=crate::catalog::MAX_DECIMALS as usize)
            .map(|d| {
                cell.clone()
                    .set_align(FormatAlign::Right)
                    .set_num_format(super::form::number_format(d))
            })
            .collect();
        TableFormats {
            title,
            head,
            cell,
            center,
            year,
            numbers,
        }
    }
}
