//! The regime's form as an xlsx sheet: the Nghị định 30/2020 header block, title, period,
//! reporting and receiving units, the table (STT, Mã số, Chỉ tiêu, Đơn vị tính, the regime's
//! columns, Ghi chú) and the footer. Used blank (fillable: unlocked inputs with data
//! validation, the rest locked) by `baocao form`, and filled by `run` for `tong-hop.xlsx`.

use chrono::NaiveDate;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign,
    FormatBorder, FormatUnderline, Workbook, Worksheet, XlsxError,
};

use crate::catalog::{
    Config, Indicator, InputColumn, Regime, Section, Unit, ValueType, MAX_DECIMALS,
};
use crate::model::META_SHEET;
use crate::period::{roman, Period};

pub const FONT: &str = "Times New Roman";

/// Fills of status cells: done / on time, nearly due / late but accepted, overdue / missing.
pub const GREEN: &str = "#C6EFCE";
pub const YELLOW: &str = "#FFEB9C";
pub const RED: &str = "#FFC7CE";

/// A bordered table cell in Times New Roman 12, wrapped, centred vertically.
pub fn table_cell() -> Format {
    Format::new()
        .set_font_name(FONT)
        .set_font_size(12)
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
}

/// A table header cell: bold, centred, shaded.
pub fn table_header() -> Format {
    table_cell()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color("#D9E1F2")
}
pub const FORM_SHEET: &str = "Biểu số liệu";

/// A column of the form's table after STT, Mã số, Chỉ tiêu and Đơn vị tính.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Input(InputColumn),
    /// Cùng kỳ năm trước
    SamePeriodLastYear,
    /// So với cùng kỳ (%)
    VsSamePeriod,
    /// Lũy kế cùng kỳ năm trước
    YtdLastYear,
    /// Lũy kế so với cùng kỳ (%)
    YtdVsSamePeriod,
    /// So với kế hoạch năm (%)
    VsPlan,
    /// So với a further plan baseline (%), by its index in the regime's `[[plan]]`
    VsBaseline(usize),
    /// Ghi chú
    Note,
}

impl Column {
    pub fn header(self, period: Period, regime: &Regime) -> String {
        match self {
            Column::VsBaseline(i) => format!(
                "Lũy kế so với {} (%)",
                regime
                    .plan
                    .get(i)
                    .map(|b| b.label.as_str())
                    .unwrap_or("kế hoạch")
            ),
            Column::Input(c) => c.header(period),
            Column::SamePeriodLastYear => {
                format!(
                    "Cùng kỳ năm trước ({})",
                    period.same_period_last_year().short_label()
                )
            }
            Column::VsSamePeriod => {
                format!("{} so với cùng kỳ (%)", capitalize(&period.short_label()))
            }
            Column::YtdLastYear => format!(
                "Lũy kế cùng kỳ năm trước (đến {})",
                period.same_period_last_year().short_label()
            ),
            Column::YtdVsSamePeriod => "Lũy kế so với cùng kỳ (%)".to_string(),
            Column::VsPlan => "Lũy kế so với kế hoạch năm (%)".to_string(),
            Column::Note => "Ghi chú".to_string(),
        }
    }

    /// A comparison in % computed by baocao (so với cùng kỳ, kế hoạch, dự toán).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Column::VsSamePeriod | Column::YtdVsSamePeriod | Column::VsPlan | Column::VsBaseline(_)
        )
    }

    fn width(self) -> f64 {
        match self {
            Column::Note => NOTE_WIDTH,
            Column::VsSamePeriod | Column::YtdVsSamePeriod | Column::VsPlan => 13.0,
            _ => 15.0,
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The width of the note column, and the 12-point characters a line of it holds.
const NOTE_WIDTH: f64 = 18.0;
const NOTE_CHARS_PER_LINE: usize = 20;

/// A value to write in a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Number(f64),
    Text(String),
    /// A comparison (% of last year, % of plan) judged good news (`true`: dark green) or not
    /// (dark red), by the indicator's `higher_is_better`.
    Judged(f64, bool),
}

/// Everything needed to lay out one form.
pub struct FormSpec<'a> {
    pub config: &'a Config,
    pub regime: &'a Regime,
    pub period: Period,
    /// The unit the form is about (reporting unit, or the receiver for a consolidated form).
    pub unit: &'a Unit,
    /// Who the form is sent to ("Đơn vị nhận báo cáo").
    pub receiver: String,
    pub rows: Vec<&'a Indicator>,
    pub columns: Vec<Column>,
    /// A blank, fillable form: inputs unlocked with data validation, the rest locked.
    pub fillable: bool,
    /// Empty rows inserted above the header block (what officers do; used by sample faults).
    pub extra_top_rows: u32,
    /// Date written in the footer's place-and-date line, if known.
    pub signed_on: Option<NaiveDate>,
}

/// Formats shared by the form sheets.
pub struct Styles {
    pub plain: Format,
    pub bold_center: Format,
    pub bold_underline_center: Format,
    pub title: Format,
    pub italic_center: Format,
    pub left: Format,
    pub header: Format,
    pub cell_text: Format,
    pub cell_center: Format,
    pub section: Format,
    pub section_center: Format,
    pub sub_item: Format,
    /// A figure with 0, 1, … `MAX_DECIMALS` decimal places (`number`).
    pub numbers: Vec<Format>,
    /// A comparison in % (so với cùng kỳ, kế hoạch): one decimal place; in dark green and in
    /// dark red, a comparison that is good news, or not.
    pub percent: Format,
    pub percent_good: Format,
    pub percent_bad: Format,
    pub input_integer: Format,
    pub input_decimal: Format,
    pub input_text: Format,
    /// A year, typed and printed without a thousands separator.
    pub input_year: Format,
    pub year: Format,
    pub footer_bold: Format,
}

impl Styles {
    pub fn new() -> Styles {
        let base = Format::new().set_font_name(FONT).set_font_size(12);
        let cell = base
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Styles {
            plain: base.clone(),
            bold_center: base.clone().set_bold().set_align(FormatAlign::Center),
            bold_underline_center: base
                .clone()
                .set_bold()
                .set_underline(FormatUnderline::Single)
                .set_align(FormatAlign::Center),
            title: base
                .clone()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            italic_center: base.clone().set_italic().set_align(FormatAlign::Center),
            left: base.clone(),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap()
                .set_background_color("#D9E1F2"),
            cell_text: cell.clone().set_text_wrap(),
            cell_center: cell.clone().set_align(FormatAlign::Center),
            section: cell.clone().set_bold().set_text_wrap(),
            section_center: cell.clone().set_bold().set_align(FormatAlign::Center),
            sub_item: cell.clone().set_italic().set_text_wrap().set_indent(1),
            numbers: (0..=MAX_DECIMALS as usize)
                .map(|d| cell.clone().set_num_format(number_format(d)))
                .collect(),
            percent: cell.clone().set_num_format(number_format(PERCENT_DECIMALS)),
            percent_good: cell
                .clone()
                .set_num_format(number_format(PERCENT_DECIMALS))
                .set_font_color("#006100"),
            percent_bad: cell
                .clone()
                .set_num_format(number_format(PERCENT_DECIMALS))
                .set_font_color("#9C0006"),
            input_integer: cell
                .clone()
                .set_num_format("#,##0")
                .set_unlocked()
                .set_background_color("#FFFFF0"),
            input_decimal: cell
                .clone()
                .set_num_format("#,##0.00")
                .set_unlocked()
                .set_background_color("#FFFFF0"),
            input_text: cell
                .clone()
                .set_unlocked()
                .set_text_wrap()
                .set_background_color("#FFFFF0"),
            input_year: cell
                .clone()
                .set_num_format("0")
                .set_unlocked()
                .set_background_color("#FFFFF0"),
            year: cell.clone().set_num_format("0"),
            footer_bold: base.clone().set_bold().set_align(FormatAlign::Center),
        }
    }
}

impl Styles {
    /// The format of a figure printed with `decimals` places (at most `MAX_DECIMALS`).
    pub fn number(&self, decimals: usize) -> &Format {
        &self.numbers[decimals.min(self.numbers.len() - 1)]
    }

    /// The format of an indicator's figure: a year without separators, else its decimals.
    pub fn figure(&self, ind: &Indicator) -> &Format {
        match ind.value_type {
            ValueType::Year => &self.year,
            _ => self.number(ind.decimals()),
        }
    }

    /// The format of an input cell of an indicator.
    pub fn input(&self, ind: &Indicator) -> &Format {
        match ind.value_type {
            ValueType::Integer => &self.input_integer,
            ValueType::Year => &self.input_year,
            ValueType::YesNo | ValueType::Category | ValueType::Text => &self.input_text,
            ValueType::Decimal | ValueType::Percent => &self.input_decimal,
        }
    }
}

/// Decimal places of a comparison in % computed by baocao (113,4%).
pub const PERCENT_DECIMALS: usize = 1;

/// The Excel number format of a figure with `decimals` places: `#,##0`, `#,##0.0`, ….
pub fn number_format(decimals: usize) -> String {
    if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals))
    }
}

impl Default for Styles {
    fn default() -> Self {
        Styles::new()
    }
}

/// Where the table landed on the sheet (zero-based rows).
#[derive(Debug, Clone, Copy)]
pub struct TablePlace {
    pub header_row: u32,
    pub first_row: u32,
    pub last_row: u32,
}

/// A row of a list form as printed: its indicator, number and name.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub indicator: &'a Indicator,
    /// "1", "2", …; "–" for a "trong đó" part.
    pub stt: String,
    /// The name, a part's as an item under its total ("Trong đó: Nữ", "- Thanh niên").
    pub label: String,
    /// A "trong đó" part of an indicator on the form (`part_of`): printed italic, indented.
    pub sub: bool,
}

/// The rows of `section` among `rows` (the indicators on the form), as printed: numbered 1,
/// 2, …; a part of an indicator on the form is an item "–" under it, the first of a run of
/// parts of one total "Trong đó: <name>", the following ones "- <name>".
pub fn section_items<'a>(section: &Section, rows: &[&'a Indicator]) -> Vec<Item<'a>> {
    let on_form = |code: &str| rows.iter().any(|i| i.code == code);
    let mut out: Vec<Item<'a>> = Vec::new();
    let mut item_no = 0;
    for ind in section
        .rows
        .iter()
        .filter_map(|c| rows.iter().find(|i| i.code == *c).copied())
    {
        let total = ind.part_of.as_deref().filter(|p| on_form(p));
        let item = match total {
            Some(total) => {
                let first = out.last().is_none_or(|prev| {
                    !prev.sub || prev.indicator.part_of.as_deref() != Some(total)
                });
                Item {
                    indicator: ind,
                    stt: "–".to_string(),
                    label: crate::catalog::item_label(&ind.name, first),
                    sub: true,
                }
            }
            None => {
                item_no += 1;
                Item {
                    indicator: ind,
                    stt: item_no.to_string(),
                    label: ind.name.clone(),
                    sub: false,
                }
            }
        };
        out.push(item);
    }
    out
}

/// The label columns before the figures: STT, Mã số (unless the form hides codes), Chỉ tiêu,
/// Đơn vị tính.
fn label_columns(regime: &Regime) -> Vec<&'static str> {
    let mut out = vec!["STT", "Mã số", "Chỉ tiêu", "Đơn vị tính"];
    if !regime.form.show_codes {
        out.remove(1);
    }
    out
}

/// Writes the form on `ws`, calling `value` for each (indicator, column) cell.
pub fn write_form(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    value: &dyn Fn(&Indicator, Column) -> Option<CellValue>,
) -> Result<TablePlace, XlsxError> {
    let labels = label_columns(spec.regime);
    let first_value = labels.len() as u16;
    let name_col = first_value - 2;
    let ncols = first_value + spec.columns.len() as u16;
    let last = ncols - 1;
    let split = (ncols / 2).max(3) - 1; // the left block spans columns 0..=split
    ws.set_name(FORM_SHEET)?;
    set_form_widths(ws, spec, &labels)?;
    let mut r = header_block(ws, spec, styles, split, last)?;

    // Table header.
    let header_row = r;
    write_table_header(ws, spec, styles, &labels, r)?;
    r += 1;
    let first_row = r;

    // Rows, grouped by section.
    let sections = FormSections {
        spec,
        styles,
        name_col,
        last,
        value,
    };
    let r = sections.write(ws, r)?;
    let last_row = r.saturating_sub(1);

    footer(ws, spec, styles, r + 1, split, last)?;
    print_setup(ws, spec, header_row, header_row, name_col + 1)?;
    Ok(TablePlace {
        header_row,
        first_row,
        last_row,
    })
}

/// The widths of the label columns, then of the value columns.
fn set_form_widths(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    labels: &[&str],
) -> Result<(), XlsxError> {
    let first_value = labels.len() as u16;
    for (c, h) in labels.iter().enumerate() {
        let width = match *h {
            "STT" => 6,
            "Mã số" => 8,
            "Chỉ tiêu" => 44,
            _ => 11,
        };
        ws.set_column_width(c as u16, width)?;
    }
    for (i, c) in spec.columns.iter().enumerate() {
        ws.set_column_width(first_value + i as u16, c.width())?;
    }
    Ok(())
}

/// The table's header row `r`: the label columns, then each value column's header.
fn write_table_header(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    labels: &[&str],
    r: u32,
) -> Result<(), XlsxError> {
    let first_value = labels.len() as u16;
    for (c, h) in labels.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &styles.header)?;
    }
    for (i, c) in spec.columns.iter().enumerate() {
        ws.write_string_with_format(
            r,
            first_value + i as u16,
            c.header(spec.period, spec.regime),
            &styles.header,
        )?;
    }
    ws.set_row_height(r, 48)?;
    Ok(())
}

/// What the rows of a list form are written with, section by section.
struct FormSections<'a> {
    spec: &'a FormSpec<'a>,
    styles: &'a Styles,
    /// The column of the indicators' names (a section's title goes there).
    name_col: u16,
    last: u16,
    value: &'a dyn Fn(&Indicator, Column) -> Option<CellValue>,
}

impl FormSections<'_> {
    /// The sections from row `r` on, each a title row (roman number) then its items (empty
    /// sections left out); returns the first row after them.
    fn write(&self, ws: &mut Worksheet, mut r: u32) -> Result<u32, XlsxError> {
        let (spec, styles) = (self.spec, self.styles);
        let mut section_no = 0;
        for section in &spec.regime.form.sections {
            let items = section_items(section, &spec.rows);
            if items.is_empty() {
                continue;
            }
            section_no += 1;
            ws.write_string_with_format(r, 0, roman(section_no), &styles.section_center)?;
            for c in 1..=self.last {
                if c == self.name_col {
                    ws.write_string_with_format(r, c, &section.title, &styles.section)?;
                } else {
                    ws.write_blank(r, c, &styles.section)?;
                }
            }
            r += 1;
            for item in &items {
                write_item(ws, spec, styles, r, item, self.value)?;
                r += 1;
            }
        }
        Ok(r)
    }
}

/// One indicator's row of a list form at row `r`.
fn write_item(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    r: u32,
    item: &Item<'_>,
    value: &dyn Fn(&Indicator, Column) -> Option<CellValue>,
) -> Result<(), XlsxError> {
    let ind = item.indicator;
    let mut c = 0;
    let mut next = || {
        c += 1;
        c - 1
    };
    ws.write_string_with_format(r, next(), &item.stt, &styles.cell_center)?;
    if spec.regime.form.show_codes {
        ws.write_string_with_format(r, next(), &ind.code, &styles.cell_center)?;
    }
    // As many lines as the longest wrapped text needs: the name in its 44-wide column, a note
    // in its own (a consolidated form's "5/12 đơn vị báo cáo; lũy kế chưa đủ (BC0804)").
    let note = match spec.columns.contains(&Column::Note) {
        true => match value(ind, Column::Note) {
            Some(CellValue::Text(t)) => t.chars().count(),
            _ => 0,
        },
        false => 0,
    };
    let lines = item
        .label
        .chars()
        .count()
        .div_ceil(46)
        .max(note.div_ceil(NOTE_CHARS_PER_LINE))
        .max(1);
    if lines > 1 {
        ws.set_row_height(r, 15.75 * lines as f64)?;
    }
    let name_fmt = if item.sub {
        &styles.sub_item
    } else {
        &styles.cell_text
    };
    ws.write_string_with_format(r, next(), &item.label, name_fmt)?;
    ws.write_string_with_format(r, next(), &ind.unit, &styles.cell_center)?;
    for col in &spec.columns {
        let c = next();
        let is_input = spec.fillable && matches!(col, Column::Input(_) | Column::Note);
        let fmt = value_format(styles, ind, col, is_input);
        // An answer or a year is not compared with last year's or a plan.
        let compared =
            col.is_comparison() && (ind.is_answer() || ind.value_type == ValueType::Year);
        let v = value(ind, *col).filter(|_| !compared);
        write_value(ws, styles, (r, c), ind, v, fmt)?;
        if is_input && !matches!(col, Column::Note) {
            ws.add_data_validation(r, c, r, c, &validation(ind)?)?;
        }
    }
    Ok(())
}

/// The format of an indicator's cell in column `col`: an input's on a fillable form, else
/// text for a note, a percentage for a comparison, centred for an answer, else its figure's.
fn value_format<'s>(
    styles: &'s Styles,
    ind: &Indicator,
    col: &Column,
    is_input: bool,
) -> &'s Format {
    match (col, is_input) {
        (Column::Note, true) => &styles.input_text,
        (Column::Note, false) => &styles.cell_text,
        (_, true) => styles.input(ind),
        (_, false) if col.is_comparison() => &styles.percent,
        (_, false) if ind.is_answer() => &styles.cell_center,
        (_, false) => styles.figure(ind),
    }
}

/// A value at (`r`, `c`) in `fmt`: an answer as its label, a judged comparison green or red,
/// none as a blank cell.
fn write_value(
    ws: &mut Worksheet,
    styles: &Styles,
    (r, c): (u32, u16),
    ind: &Indicator,
    value: Option<CellValue>,
    fmt: &Format,
) -> Result<(), XlsxError> {
    match value {
        Some(CellValue::Number(v)) if ind.is_answer() => match ind.answer_label(v) {
            Some(label) => {
                ws.write_string_with_format(r, c, label, fmt)?;
            }
            None => {
                ws.write_number_with_format(r, c, v, fmt)?;
            }
        },
        Some(CellValue::Number(v)) => {
            ws.write_number_with_format(r, c, v, fmt)?;
        }
        Some(CellValue::Judged(v, good)) => {
            let fmt = if good {
                &styles.percent_good
            } else {
                &styles.percent_bad
            };
            ws.write_number_with_format(r, c, v, fmt)?;
        }
        Some(CellValue::Text(t)) => {
            ws.write_string_with_format(r, c, &t, fmt)?;
        }
        None => {
            ws.write_blank(r, c, fmt)?;
        }
    }
    Ok(())
}

/// The Nghị định 30/2020 header block above the table (agency, Quốc hiệu and Tiêu ngữ, form
/// number, title, period, reporting and receiving units) on columns `0..=last`, the left block
/// ending at `split`. Returns the first free row.
pub fn header_block(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    split: u16,
    last: u16,
) -> Result<u32, XlsxError> {
    let mut r = spec.extra_top_rows;
    national_heading(ws, spec, styles, r, (split, last))?;
    // Its two rows, then a blank one.
    r += 3;
    ws.write_string_with_format(r, 0, &spec.regime.form.number, &styles.left)?;
    r += 1;
    ws.merge_range(r, 0, r, last, &spec.regime.form.title, &styles.title)?;
    ws.set_row_height(r, 36)?;
    r += 1;
    ws.merge_range(r, 0, r, last, &spec.period.label(), &styles.italic_center)?;
    r += 1;
    ws.merge_range(
        r,
        0,
        r,
        last,
        &format!("Đơn vị báo cáo: {}", spec.unit.name),
        &styles.left,
    )?;
    r += 1;
    ws.merge_range(
        r,
        0,
        r,
        last,
        &format!("Đơn vị nhận báo cáo: {}", spec.receiver),
        &styles.left,
    )?;
    r += 2;
    Ok(r)
}

/// The first two rows of the header block from row `r`: the parent agency and the agency
/// (underlined) on columns `0..=split`, Quốc hiệu and Tiêu ngữ (underlined) on the rest up to
/// `last`.
fn national_heading(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    mut r: u32,
    (split, last): (u16, u16),
) -> Result<(), XlsxError> {
    // Header block (Nghị định 30/2020): agency top-left, Quốc hiệu and Tiêu ngữ top-right.
    let parent = spec
        .unit
        .parent
        .as_deref()
        .and_then(|p| spec.config.units.get(p))
        .map(|p| p.agency_name().to_uppercase())
        .unwrap_or_default();
    ws.merge_range(r, 0, r, split, &parent, &styles.bold_center)?;
    ws.merge_range(
        r,
        split + 1,
        r,
        last,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        &styles.bold_center,
    )?;
    r += 1;
    ws.merge_range(
        r,
        0,
        r,
        split,
        &spec.unit.agency_name().to_uppercase(),
        &styles.bold_underline_center,
    )?;
    ws.merge_range(
        r,
        split + 1,
        r,
        last,
        "Độc lập - Tự do - Hạnh phúc",
        &styles.bold_underline_center,
    )?;
    Ok(())
}

/// The footer below the table at row `r`: place and date, signatures.
pub fn footer(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
    mut r: u32,
    split: u16,
    last: u16,
) -> Result<(), XlsxError> {
    let place = spec
        .unit
        .place
        .clone()
        .unwrap_or_else(|| spec.unit.name.clone());
    let date_line = match spec.signed_on {
        Some(d) => format!("{place}, {}", crate::text::date_words(d)),
        None => format!("{place}, ngày      tháng      năm {}", spec.period.year()),
    };
    let date_fmt = if spec.fillable {
        styles.italic_center.clone().set_unlocked()
    } else {
        styles.italic_center.clone()
    };
    ws.merge_range(r, split + 1, r, last, &date_line, &date_fmt)?;
    r += 1;
    ws.merge_range(r, 0, r, split, "NGƯỜI LẬP BIỂU", &styles.footer_bold)?;
    ws.merge_range(
        r,
        split + 1,
        r,
        last,
        "THỦ TRƯỞNG ĐƠN VỊ",
        &styles.footer_bold,
    )?;
    r += 1;
    ws.merge_range(r, 0, r, split, "(Ký, ghi rõ họ tên)", &styles.italic_center)?;
    ws.merge_range(
        r,
        split + 1,
        r,
        last,
        "(Ký, đóng dấu, ghi rõ họ tên)",
        &styles.italic_center,
    )?;
    Ok(())
}

/// A4 landscape with the margins of Nghị định 30/2020, header rows repeated on every page,
/// panes frozen below the header; a blank form is protected.
pub fn print_setup(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    first_header: u32,
    header_row: u32,
    freeze_cols: u16,
) -> Result<(), XlsxError> {
    // Print setup: A4 landscape, margins of Nghị định 30/2020 (left 30 mm, right 15 mm,
    // top and bottom 20 mm), one page wide, header row repeated.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_margins(1.18, 0.59, 0.79, 0.79, 0.3, 0.3);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(first_header, header_row)?;
    ws.set_freeze_panes(header_row + 1, freeze_cols)?;
    ws.set_footer("&C&\"Times New Roman\"Trang &P/&N");
    if spec.fillable {
        ws.protect();
    }
    Ok(())
}

/// Data validation of an input cell from the indicator's type and constraints.
pub fn validation(ind: &Indicator) -> Result<DataValidation, XlsxError> {
    if ind.is_answer() {
        return answer_validation(ind);
    }
    if ind.is_text() {
        let n = ind.text_limit();
        return DataValidation::new()
            .allow_text_length(DataValidationRule::LessThanOrEqualTo(n.min(32_767) as u32))
            .set_error_style(DataValidationErrorStyle::Stop)
            .set_error_title("Quá dài")?
            .set_error_message(format!("{}: ghi không quá {n} ký tự.", ind.name))?
            .set_input_title(ind.code.clone())?
            .set_input_message(format!("Ghi chữ, không quá {n} ký tự"));
    }
    let lo = ind.lower_bound();
    let hi = ind.upper_bound();
    let dv = match (ind.value_type, hi) {
        (ValueType::Year, h) => DataValidation::new().allow_whole_number(
            DataValidationRule::Between(lo as i32, h.unwrap_or(2100.0) as i32),
        ),
        (ValueType::Integer, Some(h)) => DataValidation::new()
            .allow_whole_number(DataValidationRule::Between(lo as i32, h as i32)),
        (ValueType::Integer, None) => DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(lo as i32)),
        (_, Some(h)) => {
            DataValidation::new().allow_decimal_number(DataValidationRule::Between(lo, h))
        }
        (_, None) => {
            DataValidation::new().allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(lo))
        }
    };
    let range = match hi {
        Some(h) => format!("từ {} đến {}", ind.display(lo), ind.display(h)),
        None => format!("lớn hơn hoặc bằng {}", ind.display(lo)),
    };
    let kind = match ind.value_type {
        ValueType::Integer => "số nguyên",
        ValueType::Year => "năm (4 chữ số)",
        ValueType::Decimal => "số",
        ValueType::Percent => "tỷ lệ phần trăm (ghi 12,5 cho 12,5%)",
        ValueType::YesNo | ValueType::Category => "câu trả lời",
        ValueType::Text => "chữ",
    };
    dv.set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("Giá trị không hợp lệ")?
        .set_error_message(if ind.unit.trim().is_empty() {
            format!("{}: nhập {kind} {range}.", ind.name)
        } else {
            format!("{} ({}): nhập {kind} {range}.", ind.name, ind.unit)
        })?
        .set_input_title(ind.code.clone())?
        .set_input_message(format!("{kind}, {range}"))
}

/// The drop-down list of a yes/no or category answer. Excel keeps a list typed in the
/// validation to 255 characters: a longer list is offered in the input message instead, and
/// checked when the file is read.
fn answer_validation(ind: &Indicator) -> Result<DataValidation, XlsxError> {
    let labels: Vec<&str> = ind.answers.iter().map(|o| o.name.as_str()).collect();
    let listed = labels.join(", ");
    let fits = labels.iter().map(|l| l.chars().count() + 1).sum::<usize>() <= 250
        && !labels.iter().any(|l| l.contains(','));
    let dv = if fits {
        DataValidation::new()
            .allow_list_strings(&labels)?
            .set_error_style(DataValidationErrorStyle::Stop)
    } else {
        DataValidation::new()
            .allow_any_value()
            .set_error_style(DataValidationErrorStyle::Information)
    };
    dv.set_error_title("Không có trong danh sách")?
        .set_error_message(format!("{}: chọn một trong: {listed}.", ind.name))?
        .set_input_title(ind.code.clone())?
        .set_input_message(format!("Chọn một trong: {listed}"))
}

/// The hidden sheet that tells ingest what a workbook is.
pub fn write_meta(
    wb: &mut Workbook,
    regime: &Regime,
    period: Period,
    unit: &Unit,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(META_SHEET)?;
    let rows = [
        ("regime", regime.id.clone()),
        ("period", period.code()),
        ("unit", unit.code.clone()),
        ("form_version", regime.form.version.clone()),
        ("generator", format!("baocao {}", env!("CARGO_PKG_VERSION"))),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(i as u32, 0, *k)?;
        ws.write_string(i as u32, 1, v)?;
    }
    ws.protect();
    ws.set_hidden(true);
    Ok(())
}

/// Fixed document properties, so that the same inputs give byte-identical files.
pub fn set_properties(wb: &mut Workbook, title: &str, period: Period) -> Result<(), XlsxError> {
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(
        period.year() as u16,
        period.month_span().1 as u8,
        1,
    )?;
    let props = rust_xlsxwriter::DocProperties::new()
        .set_title(title)
        .set_author("baocao")
        .set_company("baocao")
        .set_creation_datetime(&created);
    wb.set_properties(&props);
    Ok(())
}

/// The columns of a unit's blank form: the regime's input columns and Ghi chú.
pub fn input_columns(regime: &Regime) -> Vec<Column> {
    let mut cols: Vec<Column> = regime
        .form
        .columns
        .iter()
        .map(|c| Column::Input(*c))
        .collect();
    cols.push(Column::Note);
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(code: &str, part_of: Option<&str>) -> Indicator {
        let part = part_of
            .map(|p| format!("part_of = \"{p}\"\n"))
            .unwrap_or_default();
        toml::from_str(&format!(
            "code = \"{code}\"\nname = \"Chỉ tiêu {code}\"\nunit = \"người\"\ntype = \"integer\"\naggregation = \"sum\"\n{part}"
        ))
        .unwrap()
    }

    #[test]
    fn parts_print_as_trong_do_then_dashes_under_their_total() {
        let inds = [
            ind("LD01", None),
            ind("LD02", Some("LD01")),
            ind("LD03", Some("LD01")),
            ind("LD04", None),
            ind("LD05", Some("LD04")),
            ind("LD06", Some("XX01")),
        ];
        let rows: Vec<&Indicator> = inds.iter().collect();
        let section = Section {
            title: "Lao động".into(),
            rows: inds.iter().map(|i| i.code.clone()).collect(),
        };
        let items: Vec<(String, String, bool)> = section_items(&section, &rows)
            .into_iter()
            .map(|i| (i.stt, i.label, i.sub))
            .collect();
        let want = [
            ("1", "Chỉ tiêu LD01", false),
            ("–", "Trong đó: Chỉ tiêu LD02", true),
            ("–", "- Chỉ tiêu LD03", true),
            ("2", "Chỉ tiêu LD04", false),
            ("–", "Trong đó: Chỉ tiêu LD05", true),
            // A part of a total that is not on the form is an item of its own.
            ("3", "Chỉ tiêu LD06", false),
        ];
        let want: Vec<(String, String, bool)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect();
        assert_eq!(items, want);
    }

    #[test]
    fn number_formats_by_decimal_places() {
        assert_eq!(number_format(0), "#,##0");
        assert_eq!(number_format(1), "#,##0.0");
        assert_eq!(number_format(3), "#,##0.000");
        let styles = Styles::new();
        assert_eq!(styles.numbers.len(), 7);
    }
}
