//! List annexes written: the blank (or filled) sheet of a unit's form — an Excel table that
//! grows as rows are typed under it, with a data validation per column — and, for the
//! consolidated output, a sheet per list in `tong-hop.xlsx` and `danh-sach-<code>.csv`.

use std::collections::BTreeMap;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign,
    FormatBorder, Formula, Table, TableColumn, Worksheet, XlsxError,
};

use crate::catalog::lists::{ListColumn, ListSpec, ListType, Lookup};
use crate::consolidate::ListLine;

/// The formats of a working table sheet (a list, the table of units): the font at 12 points,
/// a bold title, bordered wrapped cells, a shaded bold header, centred cells.
pub struct SheetFormats {
    pub base: Format,
    pub title: Format,
    pub cell: Format,
    pub head: Format,
    pub center: Format,
}

impl SheetFormats {
    pub fn new(font: &str) -> SheetFormats {
        let base = Format::new().set_font_name(font).set_font_size(12);
        let cell = base.clone().set_border(FormatBorder::Thin).set_text_wrap();
        SheetFormats {
            title: base.clone().set_bold().set_font_size(13),
            head: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#D9E1F2"),
            center: cell.clone().set_align(FormatAlign::Center),
            cell,
            base,
        }
    }
}

/// A sheet printed on A4 landscape, one page wide, its header row repeated on every page.
pub fn print_one_page_wide(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// Blank rows of a list's table on a blank form (Excel adds rows as they are typed below).
const BLANK_ROWS: usize = 20;

/// A column's width (characters) on a sheet.
fn width(c: &ListColumn) -> f64 {
    match c.kind {
        ListType::Text if c.text_limit() > 60 => 32.0,
        ListType::Text => 22.0,
        ListType::Date => 13.0,
        ListType::Unit | ListType::Option => 22.0,
        _ => 14.0,
    }
}

/// A row's height (points) for its cells wrapped in columns of these widths: Excel and
/// LibreOffice do not fit a row to wrapped text a program wrote.
pub fn wrapped_height(cells: &[(String, f64)]) -> Option<f64> {
    let lines = cells
        .iter()
        .map(|(t, w)| {
            t.chars()
                .count()
                .div_ceil((*w as usize).saturating_sub(2).max(1))
        })
        .max()
        .unwrap_or(1);
    (lines > 1).then_some(15.0 * lines as f64 + 2.0)
}

/// The names of an option column's options, as printed.
fn option_names(c: &ListColumn, look: &Lookup<'_>) -> Vec<String> {
    c.dimension
        .as_deref()
        .and_then(|d| look.dimensions.get(d))
        .map(|d| d.options.iter().map(|o| o.name.clone()).collect())
        .unwrap_or_default()
}

/// Whether option names fit an in-cell list of a validation: 255 characters at most, no comma
/// (its separator).
fn fits_inline(names: &[String]) -> bool {
    names.iter().map(|n| n.chars().count() + 1).sum::<usize>() <= 250
        && !names.iter().any(|n| n.contains(','))
}

/// The hidden sheet of a blank form holding the option lists that do not fit in a cell's
/// validation ("Kiến nghị, phản ánh" has a comma).
pub const OPTIONS_SHEET: &str = "_phuong_an";

/// The hidden sheet of option lists a form's lists need (`None`: every list fits in its
/// cells), and the range each such column's validation refers to, by (list, column) code.
#[allow(clippy::type_complexity)]
pub fn options_sheet(
    lists: &[ListSpec],
    look: &Lookup<'_>,
) -> Result<(Option<Worksheet>, BTreeMap<(String, String), String>), XlsxError> {
    let mut ws = Worksheet::new();
    let mut ranges = BTreeMap::new();
    let mut col = 0u16;
    for spec in lists {
        for c in spec.columns.iter().filter(|c| c.kind == ListType::Option) {
            let names = option_names(c, look);
            if names.is_empty() || fits_inline(&names) {
                continue;
            }
            for (r, n) in names.iter().enumerate() {
                ws.write_string(r as u32, col, n)?;
            }
            let letter = rust_xlsxwriter::utility::column_number_to_name(col);
            ranges.insert(
                (spec.code.clone(), c.code.clone()),
                format!("={OPTIONS_SHEET}!${letter}$1:${letter}${}", names.len()),
            );
            col += 1;
        }
    }
    if ranges.is_empty() {
        return Ok((None, ranges));
    }
    ws.set_name(OPTIONS_SHEET)?;
    ws.set_hidden(true);
    Ok((Some(ws), ranges))
}

fn validation(
    c: &ListColumn,
    look: &Lookup<'_>,
    range: Option<&str>,
) -> Result<Option<DataValidation>, XlsxError> {
    let dv = match c.kind {
        ListType::Text => DataValidation::new().allow_text_length(
            DataValidationRule::LessThanOrEqualTo(c.text_limit().min(32_767) as u32),
        ),
        ListType::Integer => {
            let min = c.min.unwrap_or(0.0).ceil().max(i32::MIN as f64) as i32;
            DataValidation::new().allow_whole_number(match c.max {
                Some(max) => {
                    DataValidationRule::Between(min, max.floor().min(i32::MAX as f64) as i32)
                }
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            })
        }
        ListType::Decimal => {
            let min = c.min.unwrap_or(0.0);
            DataValidation::new().allow_decimal_number(match c.max {
                Some(max) => DataValidationRule::Between(min, max),
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            })
        }
        ListType::YesNo => DataValidation::new().allow_list_strings(&["Có", "Không"])?,
        ListType::Option => {
            let names = option_names(c, look);
            match range {
                Some(r) => DataValidation::new().allow_list_formula(Formula::new(r)),
                None if names.is_empty() || !fits_inline(&names) => return Ok(None),
                None => DataValidation::new().allow_list_strings(&names)?,
            }
        }
        ListType::Date => DataValidation::new()
            .allow_any_value()
            .set_input_message("Ghi ngày dạng dd/mm/yyyy")?,
        ListType::Unit => return Ok(None),
    };
    Ok(Some(
        dv.set_error_style(DataValidationErrorStyle::Stop)
            .set_error_title("Không hợp lệ")?
            .set_error_message(format!("{}: giá trị không hợp lệ.", c.name))?,
    ))
}

/// A unit's list sheet: the title, a header row (STT, the columns) and an Excel table of the
/// `rows` given (as typed) and blank rows below them.
pub fn write_form_sheet(
    ws: &mut Worksheet,
    spec: &ListSpec,
    look: &Lookup<'_>,
    rows: &[Vec<String>],
    font: &str,
    ranges: &BTreeMap<(String, String), String>,
) -> Result<(), XlsxError> {
    ws.set_name(spec.sheet_name())?;
    let f = SheetFormats::new(font);
    let (base, title) = (&f.base, &f.title);
    let cell = f.cell.clone().set_unlocked();
    let date = cell.clone().set_num_format("dd/mm/yyyy");
    ws.write_string_with_format(0, 0, &spec.title, title)?;
    let header = 2u32;
    let n = rows.len() + BLANK_ROWS;
    let last_row = header + n as u32;
    let last_col = spec.columns.len() as u16;
    ws.add_table(header, 0, last_row, last_col, &list_table(spec, base))?;
    ws.set_column_width(0, 6)?;
    for (j, c) in spec.columns.iter().enumerate() {
        let col = 1 + j as u16;
        ws.set_column_width(col, width(c))?;
        let fmt = if c.kind == ListType::Date {
            &date
        } else {
            &cell
        };
        ws.set_range_format(header + 1, col, last_row, col, fmt)?;
        let range = ranges.get(&(spec.code.clone(), c.code.clone()));
        if let Some(dv) = validation(c, look, range.map(String::as_str))? {
            ws.add_data_validation(header + 1, col, last_row, col, &dv)?;
        }
    }
    ws.set_row_height(header, 32)?;
    write_typed_rows(ws, header, rows)?;
    ws.set_freeze_panes(header + 1, 0)?;
    print_one_page_wide(ws, header)
}

/// The Excel table of a unit's list sheet: STT and the list's columns, headers bold and
/// centred, no filter.
fn list_table(spec: &ListSpec, base: &Format) -> Table {
    let head = base
        .clone()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let mut columns = vec![TableColumn::new()
        .set_header("STT")
        .set_header_format(&head)];
    columns.extend(spec.columns.iter().map(|c| {
        TableColumn::new()
            .set_header(c.name.clone())
            .set_header_format(&head)
    }));
    Table::new()
        .set_columns(&columns)
        .set_name(format!("DS_{}", spec.code))
        .set_autofilter(false)
}

/// The rows given (as typed) below the header row, numbered; empty values left blank.
fn write_typed_rows(
    ws: &mut Worksheet,
    header: u32,
    rows: &[Vec<String>],
) -> Result<(), XlsxError> {
    for (i, row) in rows.iter().enumerate() {
        let r = header + 1 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64)?;
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, 1 + j as u16, v)?;
            }
        }
    }
    Ok(())
}

/// The consolidated list's sheet in `tong-hop.xlsx`: Mã đơn vị, Đơn vị, STT, then the
/// columns as printed; frozen header, filter, A4 landscape one page wide.
pub fn write_consolidated_sheet(
    ws: &mut Worksheet,
    spec: &ListSpec,
    look: &Lookup<'_>,
    lines: &[ListLine<'_>],
    font: &str,
) -> Result<(), XlsxError> {
    ws.set_name(spec.sheet_name())?;
    let f = SheetFormats::new(font);
    let cell = f.cell.clone().set_align(FormatAlign::Top);
    let center = f.center.clone().set_align(FormatAlign::Top);
    let integer = cell.clone().set_num_format("#,##0");
    let decimal = cell.clone().set_num_format("#,##0.0##");
    let head = &f.head;
    ws.write_string_with_format(0, 0, &spec.title, &f.title)?;
    let mut heads = vec!["Mã đơn vị", "Đơn vị", "STT"];
    heads.extend(spec.columns.iter().map(|c| c.name.as_str()));
    for (j, h) in heads.iter().enumerate() {
        ws.write_string_with_format(2, j as u16, *h, head)?;
    }
    ws.set_column_width(0, 10)?;
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 6)?;
    for (j, c) in spec.columns.iter().enumerate() {
        ws.set_column_width(3 + j as u16, width(c))?;
    }
    ws.set_row_height(2, 32)?;
    for (i, line) in lines.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string_with_format(r, 0, line.unit_code, &cell)?;
        ws.write_string_with_format(r, 1, line.unit_name, &cell)?;
        ws.write_number_with_format(r, 2, line.stt as f64, &center)?;
        if let Some(h) = line_height(spec, look, line) {
            ws.set_row_height(r, h)?;
        }
        write_line_values(ws, r, spec, look, line, [&cell, &integer, &decimal])?;
    }
    let last = 2 + lines.len() as u32;
    ws.set_freeze_panes(3, 3)?;
    ws.autofilter(2, 0, last, (heads.len() - 1) as u16)?;
    print_one_page_wide(ws, 2)
}

/// The height of a consolidated line whose values (or unit name) wrap, if one does.
fn line_height(spec: &ListSpec, look: &Lookup<'_>, line: &ListLine<'_>) -> Option<f64> {
    let shown: Vec<(String, f64)> = spec
        .columns
        .iter()
        .zip(&line.row.cells)
        .map(|(c, v)| {
            let t = v.as_deref().map(|v| c.display(v, look)).unwrap_or_default();
            (t, width(c))
        })
        .chain([(line.unit_name.to_string(), 24.0)])
        .collect();
    wrapped_height(&shown)
}

/// A consolidated line's values on row `r` from column 3, in the `[text, integer, decimal]`
/// formats: numbers as numbers (as typed where they do not parse), the rest as printed.
fn write_line_values(
    ws: &mut Worksheet,
    r: u32,
    spec: &ListSpec,
    look: &Lookup<'_>,
    line: &ListLine<'_>,
    [cell, integer, decimal]: [&Format; 3],
) -> Result<(), XlsxError> {
    for (j, (c, v)) in spec.columns.iter().zip(&line.row.cells).enumerate() {
        let col = 3 + j as u16;
        match (c.kind, v) {
            (ListType::Integer | ListType::Decimal, Some(v)) => match v.parse::<f64>() {
                Ok(n) if c.kind == ListType::Integer => {
                    ws.write_number_with_format(r, col, n, integer)?
                }
                Ok(n) => ws.write_number_with_format(r, col, n, decimal)?,
                Err(_) => ws.write_string_with_format(r, col, v, cell)?,
            },
            (_, Some(v)) => ws.write_string_with_format(r, col, c.display(v, look), cell)?,
            (_, None) => ws.write_blank(r, col, cell)?,
        };
    }
    Ok(())
}

/// The consolidated list for the outline (`lists.<code>`): its title, its number of rows, each
/// row (unit, STT, the values as printed by column code) and the whole table in Markdown
/// (Đơn vị, STT, the columns).
pub fn outline_value(
    spec: &ListSpec,
    look: &Lookup<'_>,
    lines: &[ListLine<'_>],
) -> serde_json::Value {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut md = String::new();
    let mut heads = vec!["STT".to_string(), "Đơn vị".to_string()];
    heads.extend(spec.columns.iter().map(|c| esc(&c.name)));
    md.push_str(&format!("| {} |\n", heads.join(" | ")));
    // Numbers to the right, words to the left, in the HTML and the docx alike.
    let mut aligns = vec![":---:", ":---"];
    aligns.extend(spec.columns.iter().map(|c| match c.kind {
        ListType::Integer | ListType::Decimal => "---:",
        ListType::Date | ListType::YesNo => ":---:",
        _ => ":---",
    }));
    md.push_str(&format!("| {} |\n", aligns.join(" | ")));
    let rows: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let shown: Vec<String> = spec
                .columns
                .iter()
                .zip(&line.row.cells)
                .map(|(c, v)| v.as_deref().map(|v| c.display(v, look)).unwrap_or_default())
                .collect();
            let mut cells = vec![(i + 1).to_string(), esc(line.unit_name)];
            cells.extend(shown.iter().map(|s| esc(s)));
            md.push_str(&format!("| {} |\n", cells.join(" | ")));
            let values: serde_json::Map<String, serde_json::Value> = spec
                .columns
                .iter()
                .zip(shown)
                .map(|(c, s)| (c.code.clone(), serde_json::Value::String(s)))
                .collect();
            serde_json::json!({
                "unit_code": line.unit_code, "unit_name": line.unit_name, "stt": line.stt,
                "values": values,
            })
        })
        .collect();
    serde_json::json!({
        "title": spec.title, "count": lines.len(), "rows": rows,
        "markdown": if lines.is_empty() { String::new() } else { md },
    })
}

/// `danh-sach-<code>.csv`: `unit_code,unit_name,stt,<column codes…>`, values in their
/// canonical form (dates 2026-09-30, numbers with a decimal point, option and unit codes).
pub fn csv(spec: &ListSpec, lines: &[ListLine<'_>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut head = vec!["unit_code", "unit_name", "stt"];
    head.extend(spec.columns.iter().map(|c| c.code.as_str()));
    w.write_record(&head).expect("write to memory");
    for line in lines {
        let mut rec = vec![
            line.unit_code.to_string(),
            line.unit_name.to_string(),
            line.stt.to_string(),
        ];
        rec.extend(line.row.cells.iter().map(|v| v.clone().unwrap_or_default()));
        w.write_record(&rec).expect("write to memory");
    }
    w.into_inner().expect("write to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DimOption, Dimension, UnitTree};

    #[test]
    fn option_names_with_a_comma_are_listed_on_a_hidden_sheet_the_validation_refers_to() {
        let opt = |code: &str, name: &str| DimOption {
            code: code.into(),
            name: name.into(),
        };
        let dim = |code: &str, options| Dimension {
            code: code.into(),
            name: code.into(),
            exhaustive: true,
            options,
            options_file: None,
        };
        let dimensions: BTreeMap<String, Dimension> = [
            (
                "noi_dung".to_string(),
                dim(
                    "noi_dung",
                    vec![
                        opt("kn", "Khiếu nại"),
                        opt("tc", "Tố cáo"),
                        opt("pa", "Kiến nghị, phản ánh"),
                    ],
                ),
            ),
            (
                "loai".to_string(),
                dim("loai", vec![opt("a", "A"), opt("b", "B")]),
            ),
        ]
        .into();
        let units = UnitTree::default();
        let look = Lookup {
            dimensions: &dimensions,
            units: &units,
        };
        let spec: ListSpec = toml::from_str(
            "code = \"vv\"\ntitle = \"Vụ việc\"\n[[column]]\ncode = \"loai\"\nname = \"Loại\"\ntype = \"option\"\ndimension = \"loai\"\n[[column]]\ncode = \"nd\"\nname = \"Nội dung\"\ntype = \"option\"\ndimension = \"noi_dung\"\n",
        )
        .unwrap();
        let (sheet, ranges) = options_sheet(std::slice::from_ref(&spec), &look).unwrap();
        assert!(sheet.is_some());
        // Only the list that cannot be written in the cell: its three names in column A.
        assert_eq!(
            ranges,
            [(
                ("vv".to_string(), "nd".to_string()),
                "=_phuong_an!$A$1:$A$3".to_string()
            )]
            .into()
        );
        let (none, _) = options_sheet(&[], &look).unwrap();
        assert!(none.is_none());
    }
}
