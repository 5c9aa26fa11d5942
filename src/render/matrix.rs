//! A matrix form as an xlsx sheet: the same header block, footer and print setup as the list
//! form, and a table whose rows and columns come from the resolved `MatrixLayout` — nested,
//! merged header rows, the form's column numbering row (1, 2, 3, …) under them, one body cell
//! per key. Blank and fillable for `baocao form` (input cells unlocked with data validation,
//! everything else locked), filled for `tong-hop.xlsx`.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use super::form::{
    footer, header_block, print_setup, validation, CellValue, FormSpec, Styles, TablePlace,
    FORM_SHEET,
};
use crate::catalog::{BodyCell, LayoutRow, MatrixLayout, Numbering, ValueType};

/// Writes the matrix form on `ws`, calling `value` for each body cell. `consolidated` prints
/// the columns of derived indicators too.
pub fn write_matrix(
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    layout: &MatrixLayout,
    consolidated: bool,
    styles: &Styles,
    value: &dyn Fn(&BodyCell) -> Option<CellValue>,
) -> Result<TablePlace, XlsxError> {
    let printed = layout.printed(consolidated);
    let ncols = 2 + printed.len() as u16;
    let last = ncols.max(4) - 1;
    let split = (ncols / 3).max(1);
    ws.set_name(FORM_SHEET)?;
    set_column_widths(ws, layout, &printed)?;
    let first_header = header_block(ws, spec, styles, split, last)?;
    let label_row = write_header(ws, layout, &printed, styles, first_header)?;
    // The numbering row: 1 for STT, 2 for the stub, then the value columns; or A, B, 1, 2, ….
    let numbering = label_row + 1;
    write_numbering(ws, layout, styles, numbering, ncols)?;

    // Body.
    let body = MatrixBody {
        spec,
        layout,
        printed: &printed,
        styles,
        value,
    };
    let mut r = numbering + 1;
    let first_row = r;
    for row in &layout.rows {
        body.write_row(ws, r, row)?;
        r += 1;
    }
    let last_row = r.saturating_sub(1);
    footer(ws, spec, styles, r + 1, split, last)?;
    print_setup(ws, spec, first_header, numbering, 2)?;
    Ok(TablePlace {
        header_row: numbering,
        first_row,
        last_row,
    })
}

/// The widths of STT, the stub and the printed columns.
fn set_column_widths(
    ws: &mut Worksheet,
    layout: &MatrixLayout,
    printed: &[usize],
) -> Result<(), XlsxError> {
    ws.set_column_width(0, 6)?;
    ws.set_column_width(1, layout.stub_width)?;
    for (i, ci) in printed.iter().enumerate() {
        ws.set_column_width(2 + i as u16, layout.columns[*ci].width)?;
    }
    Ok(())
}

/// The table's header rows from `first_header` on (merged cells of `header_cells`, their row
/// heights); returns the row of the column labels, the last of them.
fn write_header(
    ws: &mut Worksheet,
    layout: &MatrixLayout,
    printed: &[usize],
    styles: &Styles,
    first_header: u32,
) -> Result<u32, XlsxError> {
    let depth = layout.header_depth() as u32;
    let label_row = first_header + depth - 1;

    for h in header_cells(layout, printed) {
        merge_or_write(
            ws,
            first_header + h.row,
            h.col as u16,
            first_header + h.last_row,
            h.last_col as u16,
            &h.text,
            &styles.header,
        )?;
    }
    for r in first_header..=label_row {
        ws.set_row_height(r, if r == label_row { 48.0 } else { 31.5 })?;
    }
    Ok(label_row)
}

/// The numbering row on row `numbering`, over `ncols` columns.
fn write_numbering(
    ws: &mut Worksheet,
    layout: &MatrixLayout,
    styles: &Styles,
    numbering: u32,
    ncols: u16,
) -> Result<(), XlsxError> {
    for c in 0..ncols {
        match layout.numbering {
            Numbering::Numbers => ws.write_number_with_format(
                numbering,
                c,
                f64::from(c) + 1.0,
                &styles.section_center,
            )?,
            Numbering::Letters if c < 2 => ws.write_string_with_format(
                numbering,
                c,
                if c == 0 { "A" } else { "B" },
                &styles.section_center,
            )?,
            Numbering::Letters => ws.write_number_with_format(
                numbering,
                c,
                f64::from(c) - 1.0,
                &styles.section_center,
            )?,
        };
    }
    Ok(())
}

/// What the body of a matrix form is written with.
struct MatrixBody<'a> {
    spec: &'a FormSpec<'a>,
    layout: &'a MatrixLayout,
    printed: &'a [usize],
    styles: &'a Styles,
    value: &'a dyn Fn(&BodyCell) -> Option<CellValue>,
}

impl MatrixBody<'_> {
    /// One layout row on sheet row `r`: STT, label, a cell per printed column (blank where
    /// the row has none), a taller row for a long label.
    fn write_row(&self, ws: &mut Worksheet, r: u32, row: &LayoutRow) -> Result<(), XlsxError> {
        let styles = self.styles;
        let (label_fmt, stt_fmt) = if row.heading || row.total {
            (&styles.section, &styles.section_center)
        } else if row.sub {
            (&styles.sub_item, &styles.cell_center)
        } else {
            (&styles.cell_text, &styles.cell_center)
        };
        ws.write_string_with_format(r, 0, &row.stt, stt_fmt)?;
        ws.write_string_with_format(r, 1, &row.printed, label_fmt)?;
        for (i, ci) in self.printed.iter().enumerate() {
            let c = 2 + i as u16;
            let Some(cell) = &row.cells[*ci] else {
                ws.write_blank(r, c, label_fmt)?;
                continue;
            };
            self.write_cell(ws, r, c, row.total, cell)?;
        }
        if row.printed.chars().count() as f64 > self.layout.stub_width * 1.05 {
            ws.set_row_height(r, 31.5)?;
        }
        Ok(())
    }

    /// One body cell at (`r`, `c`): its value in the indicator's format (an input one, with
    /// its data validation, on a fillable form; bold on a total row), or blank.
    fn write_cell(
        &self,
        ws: &mut Worksheet,
        r: u32,
        c: u16,
        total: bool,
        cell: &BodyCell,
    ) -> Result<(), XlsxError> {
        let styles = self.styles;
        let ind = self.spec.config.indicator(&cell.indicator);
        let derived = ind.is_none_or(|i| i.is_computed());
        let integer = ind.is_some_and(|i| i.value_type == ValueType::Integer);
        let is_input = self.spec.fillable && !derived;
        let fmt = match (is_input, integer) {
            (true, true) => &styles.input_integer,
            (true, false) => &styles.input_decimal,
            (false, _) => styles.number(ind.map_or(2, |i| i.decimals())),
        };
        // A total row is bold across, its figures too.
        let bold;
        let fmt = if total {
            bold = fmt.clone().set_bold();
            &bold
        } else {
            fmt
        };
        match (self.value)(cell) {
            Some(CellValue::Number(v) | CellValue::Judged(v, _)) => {
                ws.write_number_with_format(r, c, v, fmt)?
            }
            Some(CellValue::Text(t)) => ws.write_string_with_format(r, c, &t, fmt)?,
            None => ws.write_blank(r, c, fmt)?,
        };
        if is_input {
            if let Some(ind) = ind {
                ws.add_data_validation(r, c, r, c, &validation(ind)?)?;
            }
        }
        Ok(())
    }
}

/// A cell of a matrix form's header block: its text over rows `row..=last_row` and columns
/// `col..=last_col` of the block (column 0 is STT, 1 the stub, then the printed columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCell {
    pub row: u32,
    pub col: usize,
    pub last_row: u32,
    pub last_col: usize,
    pub text: String,
}

/// The header block of a matrix form (`layout.header_depth()` rows): STT and the stub span
/// every header row; groups merge across neighbours that share them; a label spans down to
/// the last header row. In the order the workbook writes them.
pub fn header_cells(layout: &MatrixLayout, printed: &[usize]) -> Vec<HeaderCell> {
    let depth = layout.header_depth() as u32;
    let label_row = depth - 1;
    let cell = |row, col, last_row, last_col, text: &str| HeaderCell {
        row,
        col,
        last_row,
        last_col,
        text: text.to_string(),
    };
    let mut out = vec![
        cell(0, 0, label_row, 0, &layout.stt),
        cell(0, 1, label_row, 1, &layout.stub),
    ];
    for level in 0..depth as usize - 1 {
        let mut i = 0;
        while i < printed.len() {
            let col = &layout.columns[printed[i]];
            let Some(text) = col.group.get(level) else {
                i += 1;
                continue;
            };
            let prefix = &col.group[..=level];
            let mut j = i;
            while j + 1 < printed.len()
                && layout.columns[printed[j + 1]]
                    .group
                    .get(..=level)
                    .is_some_and(|p| p == prefix)
            {
                j += 1;
            }
            let r = level as u32;
            out.push(cell(r, 2 + i, r, 2 + j, text));
            i = j + 1;
        }
    }
    for (i, ci) in printed.iter().enumerate() {
        let col = &layout.columns[*ci];
        out.push(cell(
            col.group.len() as u32,
            2 + i,
            label_row,
            2 + i,
            &col.label,
        ));
    }
    out
}

/// The numbering row's texts: 1 for STT, 2 for the stub, then the value columns; or A, B, 1,
/// 2, ….
pub fn numbering(layout: &MatrixLayout, columns: usize) -> Vec<String> {
    (0..columns)
        .map(|c| match layout.numbering {
            Numbering::Numbers => (c + 1).to_string(),
            Numbering::Letters if c < 2 => ["A", "B"][c].to_string(),
            Numbering::Letters => (c - 1).to_string(),
        })
        .collect()
}

/// Writes `text` over a range, merged when it spans more than one cell.
fn merge_or_write(
    ws: &mut Worksheet,
    r0: u32,
    c0: u16,
    r1: u32,
    c1: u16,
    text: &str,
    fmt: &Format,
) -> Result<(), XlsxError> {
    if r0 == r1 && c0 == c1 {
        ws.write_string_with_format(r0, c0, text, fmt)?;
    } else {
        ws.merge_range(r0, c0, r1, c1, text, fmt)?;
    }
    Ok(())
}
