//! Render: everything baocao writes for people and for the next level — blank forms, the
//! consolidated workbook, the narrative report, the exchange CSV and the manifest.
//!
//! Reads plain data (`Consolidated`, `Batch`, config); never reads input files.

pub mod board;
pub mod docx;
pub mod exchange;
pub mod feedback;
pub mod form;
pub mod letters;
pub mod lists;
pub mod matrix;
pub mod narrative;
pub mod standards;
pub mod task_cycle;
pub mod tasks;
pub mod unit_table;
pub mod workbook;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use crate::catalog::{Config, InputColumn, Regime, Unit};
use crate::period::Period;
use form::{CellValue, Column, FormSpec, Styles};

/// Everything the outputs of one run are made from.
pub struct Report<'a> {
    pub config: &'a Config,
    pub regime: &'a Regime,
    pub period: Period,
    pub as_of: NaiveDate,
    pub consolidated: &'a crate::consolidate::Consolidated,
    /// The previous period, consolidated from the inbox, for "so với tháng trước".
    pub previous: Option<&'a crate::consolidate::Consolidated>,
    pub batch: &'a crate::validate::Batch,
    /// The same period last year, rebuilt from the history store.
    pub last_year: Option<&'a crate::consolidate::Consolidated>,
    /// Units whose last-year figures are their merged predecessors' (ARCHITECTURE.md, "Unit successions").
    pub successors: Vec<String>,
    /// The task summary, when the regime has a task section and a register was given.
    pub tasks: Option<&'a crate::tasks::Summary>,
    /// What the year-to-date lacks (periods the store does not have), when it is not whole.
    pub ytd_note: Option<String>,
}

impl Report<'_> {
    /// Year-to-date (or the period's figure) of `unit` as % of a further plan baseline.
    pub fn percent_of_baseline(&self, unit: &str, indicator: &str, key: &str) -> Option<f64> {
        let base = *self
            .config
            .baseline(&self.regime.id, key, self.period)?
            .get(&(unit.to_string(), indicator.to_string()))?;
        let c = self.consolidated;
        let done = c
            .get(unit, indicator, InputColumn::LuyKe)
            .or_else(|| c.get(unit, indicator, InputColumn::ThucHien))?;
        (base != 0.0).then(|| (done / base * 1000.0).round() / 10.0)
    }
}

/// What to write into a unit's form (used by the sample generator and tests; a blank form
/// has none of it).
#[derive(Debug, Clone, Default)]
pub struct Fill {
    /// By (cell key, column).
    pub values: BTreeMap<(String, InputColumn), CellValue>,
    pub extra_top_rows: u32,
    pub signed_on: Option<NaiveDate>,
    /// Rows a unit added to a matrix form, before its last row (used by sample faults).
    pub extra_rows: Vec<crate::catalog::LayoutRow>,
    /// Rows of each list annex, by list code: each cell as typed.
    pub lists: BTreeMap<String, Vec<Vec<String>>>,
}

/// The file name of a unit's form: `99009-xa-phuoc-an-2026-10.xlsx`.
pub fn form_file_name(unit: &Unit, period: Period) -> String {
    format!(
        "{}-{}-{}.xlsx",
        unit.code,
        crate::text::slug(&unit.name),
        period.code()
    )
}

/// A unit's form as xlsx bytes: blank and fillable, or filled with `fill`.
pub fn unit_form(
    config: &Config,
    regime: &Regime,
    period: Period,
    unit: &Unit,
    fill: Option<&Fill>,
) -> Result<Vec<u8>, XlsxError> {
    let empty = Fill::default();
    let fill = fill.unwrap_or(&empty);
    let mut wb = Workbook::new();
    form::set_properties(
        &mut wb,
        &format!("{} — {}", regime.form.title, unit.name),
        period,
    )?;
    let spec = FormSpec {
        config,
        regime,
        period,
        unit,
        receiver: config
            .units
            .get(&regime.receiver)
            .map(|u| u.agency_name().to_string())
            .unwrap_or_default(),
        rows: config.rows_for_unit(regime, unit),
        columns: form::input_columns(regime),
        fillable: true,
        extra_top_rows: fill.extra_top_rows,
        signed_on: fill.signed_on,
    };
    wb.push_worksheet(unit_form_sheet(&spec, fill)?);
    push_list_sheets(&mut wb, config, regime, fill)?;
    form::write_meta(&mut wb, regime, period, unit)?;
    wb.save_to_buffer()
}

/// The form's sheet: the matrix form where the regime has a layout (the fill's extra rows
/// before its last row), else the list form; the fill's input values in it.
fn unit_form_sheet(spec: &FormSpec<'_>, fill: &Fill) -> Result<Worksheet, XlsxError> {
    let (config, regime) = (spec.config, spec.regime);
    let mut ws = Worksheet::new();
    let styles = Styles::new();
    match config.layout(&regime.id) {
        Some(layout) => {
            let mut layout = layout.clone();
            let at = layout.rows.len().saturating_sub(1);
            layout.rows.splice(at..at, fill.extra_rows.iter().cloned());
            matrix::write_matrix(&mut ws, spec, &layout, false, &styles, &|cell| {
                fill.values
                    .get(&(cell.key.to_string(), cell.column))
                    .cloned()
            })?;
        }
        None => {
            form::write_form(&mut ws, spec, &styles, &|ind, col| match col {
                Column::Input(c) => fill.values.get(&(ind.code.clone(), c)).cloned(),
                _ => None,
            })?;
        }
    }
    Ok(ws)
}

/// A sheet per list of the regime (the fill's rows in it), then the sheet of the lists'
/// options, if any.
fn push_list_sheets(
    wb: &mut Workbook,
    config: &Config,
    regime: &Regime,
    fill: &Fill,
) -> Result<(), XlsxError> {
    let look = crate::catalog::lists::Lookup {
        dimensions: &config.dimensions,
        units: &config.units,
    };
    let (options, ranges) = lists::options_sheet(&regime.lists, &look)?;
    for spec in &regime.lists {
        let mut ws = Worksheet::new();
        let rows = fill.lists.get(&spec.code).map_or(&[][..], Vec::as_slice);
        lists::write_form_sheet(&mut ws, spec, &look, rows, form::FONT, &ranges)?;
        wb.push_worksheet(ws);
    }
    if let Some(ws) = options {
        wb.push_worksheet(ws);
    }
    Ok(())
}

/// Text for a Markdown paragraph or table cell: the characters Markdown would read as markup
/// escaped.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
