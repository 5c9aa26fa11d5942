//! `tong-hop.xlsx`: the consolidated form in the regime's layout, every unit side by side, the
//! compliance sheet and the diagnostics sheet. Fixed document properties, so that a rerun on
//! the same inputs is byte-identical.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::form::{self, CellValue, Column, FormSpec, Styles, FONT};
use super::Report;
use crate::catalog::{InputColumn, ValueType};
use crate::model::cell_key;
use crate::schedule::vn_date;

pub const SHEET_UNITS: &str = "Theo đơn vị";
pub const SHEET_COMPLIANCE: &str = "Tuân thủ";
/// The table of units (`[unit_table]` of a regime).
pub const SHEET_UNIT_TABLE: &str = "Danh sách đơn vị";
pub const SHEET_DIAGNOSTICS: &str = "Chẩn đoán";
pub const SHEET_TASKS: &str = "Nhiệm vụ";
/// Units per "Theo đơn vị" sheet (Excel has 16,384 columns; three are labels).
pub const UNITS_PER_SHEET: usize = 16_000;

/// Units whose figures are gathered at a time for the by-unit sheet (a table of rows × units).
const UNIT_BLOCK: usize = 256;

/// Cells (rows × units) from which a "Theo đơn vị" sheet is written row by row to a temporary
/// file (rust_xlsxwriter's low-memory mode) instead of being held whole until the workbook is
/// saved: held, a cell costs ~130 bytes and its XML ~35 more at once, and a nation's quarter
/// on a matrix form is 1.3 million cells (~250 MiB). Both ways give the same cells, figures,
/// formats and strings; the XML differs in details a reader does not see (no `spans` hint on
/// rows, the order of the shared strings and styles). A smaller sheet stays held, so that the
/// tong-hop.xlsx of a province's month is byte for byte what earlier versions wrote.
const STREAMED_CELLS: usize = 100_000;

/// The deflate level of a workbook with a streamed sheet (zlib's default is 6): on the 44 MB
/// of XML of a nation's quarter, 0.35 s instead of 0.88 s for a file 1.3% larger (level 2:
/// 0.26 s, 7.6% larger; level 1: 0.15 s, 52% larger). docs/performance.md.
const STREAMED_LEVEL: u8 = 3;

/// The columns of the consolidated form: the form's own, the annual plan where the plan file
/// or the form gives one, the year-to-date (computed, whether units type it or not), the same
/// period last year and the comparisons.
pub fn consolidated_columns(report: &Report<'_>) -> Vec<Column> {
    let form = &report.regime.form.columns;
    let mut inputs: Vec<InputColumn> = form.clone();
    let has_plan = form.contains(&InputColumn::KeHoach)
        || report
            .config
            .plan(&report.regime.id, report.period)
            .is_some();
    if has_plan && !inputs.contains(&InputColumn::KeHoach) {
        inputs.insert(0, InputColumn::KeHoach);
    }
    let ytd = inputs.contains(&InputColumn::LuyKe) || shows_year_to_date(report.period);
    if ytd && !inputs.contains(&InputColumn::LuyKe) {
        let after = inputs
            .iter()
            .position(|c| *c == InputColumn::ThucHien)
            .map_or(inputs.len(), |i| i + 1);
        inputs.insert(after, InputColumn::LuyKe);
    }
    let mut cols: Vec<Column> = inputs.into_iter().map(Column::Input).collect();
    if report.last_year.is_some() {
        cols.push(Column::SamePeriodLastYear);
        cols.push(Column::VsSamePeriod);
        if ytd && shows_year_to_date(report.period) {
            cols.push(Column::YtdLastYear);
            cols.push(Column::YtdVsSamePeriod);
        }
    }
    if has_plan {
        cols.push(Column::VsPlan);
    }
    cols.extend((0..report.regime.plan.len()).map(Column::VsBaseline));
    cols.push(Column::Note);
    cols
}

/// Whether a period has a year-to-date of its own (a year or nine months is one already).
pub fn shows_year_to_date(period: crate::period::Period) -> bool {
    use crate::period::Frequency;
    matches!(
        period.frequency(),
        Frequency::Monthly | Frequency::Quarterly | Frequency::HalfYearly
    )
}

/// How many of the units expected this period (the compliance sheet's) the form asks `ind` of.
fn expected_reporters(report: &Report<'_>, ind: &crate::catalog::Indicator) -> usize {
    let config = report.config;
    report
        .batch
        .compliance
        .iter()
        .filter_map(|row| config.units.get(&row.unit_code))
        .filter(|u| config.unit_reports(report.regime, ind, u))
        .count()
}

/// A comparison in % (100 = the same) coloured as good news or not: above 100 is good where
/// higher is better, below 100 where lower is (tỷ lệ hộ nghèo); exactly 100 is plain.
fn judged(percent: f64, ind: &crate::catalog::Indicator) -> CellValue {
    if percent == 100.0 {
        CellValue::Number(percent)
    } else {
        CellValue::Judged(percent, (percent > 100.0) == ind.higher_is_better)
    }
}

/// `now` as % of `before` (one decimal), where a comparison means something: not for a rate,
/// not against zero.
fn percent_of(now: f64, before: f64, ind: &crate::catalog::Indicator) -> Option<f64> {
    (before != 0.0 && ind.value_type != ValueType::Percent)
        .then(|| (now / before * 1000.0).round() / 10.0)
}

/// The consolidated list form: input columns, same period last year, % of plan and notes.
fn list_form(
    report: &Report<'_>,
    ws: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let root = spec.unit;
    form::write_form(ws, spec, styles, &|ind, col| {
        list_cell(report, root, ind, col)
    })?;
    Ok(())
}

/// A cell of the consolidated list form for the receiver `root`: its figure, or a
/// comparison, or the note.
fn list_cell(
    report: &Report<'_>,
    root: &crate::catalog::Unit,
    ind: &crate::catalog::Indicator,
    col: Column,
) -> Option<CellValue> {
    let c = report.consolidated;
    match col {
        Column::Input(k) => c.get(&root.code, &ind.code, k).map(CellValue::Number),
        // A plan is reached over the year: only reaching it (or, where lower is better,
        // staying under it) is coloured, a year-to-date short of it is not bad news.
        Column::VsPlan => c.percent_of_plan(&root.code, &ind.code).map(|p| {
            if ind.higher_is_better && p < 100.0 {
                CellValue::Number(p)
            } else {
                judged(p, ind)
            }
        }),
        Column::Note => list_note(report, root, ind),
        Column::VsBaseline(i) => report
            .regime
            .plan
            .get(i)
            .and_then(|b| report.percent_of_baseline(&root.code, &ind.code, &b.key))
            .map(CellValue::Number),
        Column::SamePeriodLastYear => report
            .last_year
            .and_then(|l| l.get(&root.code, &ind.code, InputColumn::ThucHien))
            .map(CellValue::Number),
        Column::VsSamePeriod | Column::YtdVsSamePeriod => {
            let column = if col == Column::VsSamePeriod {
                InputColumn::ThucHien
            } else {
                InputColumn::LuyKe
            };
            let now = c.get(&root.code, &ind.code, column)?;
            let before = report.last_year?.get(&root.code, &ind.code, column)?;
            percent_of(now, before, ind).map(|p| judged(p, ind))
        }
        Column::YtdLastYear => report
            .last_year
            .and_then(|l| l.get(&root.code, &ind.code, InputColumn::LuyKe))
            .map(CellValue::Number),
    }
}

/// The note of an indicator on the consolidated list form: derived, or how many units
/// reported it; a year-to-date not complete yet (BC0804).
fn list_note(
    report: &Report<'_>,
    root: &crate::catalog::Unit,
    ind: &crate::catalog::Indicator,
) -> Option<CellValue> {
    let c = report.consolidated;
    let note = if ind.is_derived() {
        Some("Tính từ số tổng hợp".to_string())
    } else {
        // Out of the units the form asks it of: a comparison with fewer of them than
        // usual is read as such.
        let expected = expected_reporters(report, ind);
        c.contributors(&root.code, &ind.code).map(|n| {
            if expected > n {
                format!("{n}/{expected} đơn vị báo cáo")
            } else {
                format!("{n} đơn vị báo cáo")
            }
        })
    };
    let short = report.ytd_note.as_ref().filter(|_| {
        matches!(
            crate::history::ytd::OverTime::of(ind),
            crate::history::ytd::OverTime::Sum | crate::history::ytd::OverTime::Mean
        )
    });
    match (note, short) {
        (Some(n), Some(_)) => Some(format!("{n}; lũy kế chưa đủ (BC0804)")),
        (None, Some(_)) => Some("Lũy kế chưa đủ (BC0804)".to_string()),
        (n, None) => n,
    }
    .map(CellValue::Text)
}

/// The workbook's bytes; a large by-unit sheet is staged in an unnamed temporary file in
/// `scratch` (`STREAMED_CELLS`).
pub fn consolidated_workbook(
    report: &Report<'_>,
    scratch: &std::path::Path,
) -> Result<Vec<u8>, XlsxError> {
    let config = report.config;
    let regime = report.regime;
    let root = config
        .units
        .get(&regime.receiver)
        .expect("receiver checked at load");
    let mut wb = Workbook::new();
    form::set_properties(
        &mut wb,
        &format!("{} — {}", regime.form.title, report.period.label()),
        report.period,
    )?;
    // 1. The consolidated form.
    wb.push_worksheet(consolidated_form(report, root)?);
    // 2. Every unit side by side.
    ByUnit::of(report).write(&mut wb, scratch)?;
    // The table of units, where the regime declares one: after the by-unit figures, before
    // compliance.
    if let Some(table) = super::unit_table::of(report) {
        let mut ws = Worksheet::new();
        table.write(&mut ws, SHEET_UNIT_TABLE, FONT)?;
        wb.push_worksheet(ws);
    }
    // The lists, a sheet each, gathered up the tree.
    let look = crate::catalog::lists::Lookup {
        dimensions: &config.dimensions,
        units: &config.units,
    };
    let gathered = crate::consolidate::gather_lists(config, regime, &report.batch.accepted);
    for spec in &regime.lists {
        let mut ws = Worksheet::new();
        let lines = gathered.get(&spec.code).map_or(&[][..], Vec::as_slice);
        super::lists::write_consolidated_sheet(&mut ws, spec, &look, lines, FONT)?;
        wb.push_worksheet(ws);
    }
    // 3. Compliance.
    wb.push_worksheet(compliance_sheet(report)?);
    // 4. Diagnostics.
    wb.push_worksheet(diagnostics_sheet(report)?);
    // 5. Tasks (Quyết định 42/2014), when given.
    if let Some(summary) = report.tasks {
        let mut ws = Worksheet::new();
        ws.set_name(SHEET_TASKS)?;
        super::tasks::summary_sheet(&mut ws, config, summary)?;
        wb.push_worksheet(ws);
    }
    form::write_meta(&mut wb, regime, report.period, root)?;
    wb.save_to_buffer()
}

/// The sheets' title format.
fn title_format() -> Format {
    Format::new()
        .set_font_name(FONT)
        .set_font_size(13)
        .set_bold()
}

/// The receiver's consolidated form (a list form, or a matrix).
fn consolidated_form(
    report: &Report<'_>,
    root: &crate::catalog::Unit,
) -> Result<Worksheet, XlsxError> {
    let (config, regime, c) = (report.config, report.regime, report.consolidated);
    let styles = Styles::new();
    let rows: Vec<_> = regime
        .form_codes()
        .filter_map(|code| config.indicator(code))
        .collect();
    let spec = FormSpec {
        config,
        regime,
        period: report.period,
        unit: root,
        receiver: regime.upward.clone().unwrap_or_default(),
        rows,
        columns: consolidated_columns(report),
        fillable: false,
        extra_top_rows: 0,
        signed_on: Some(report.as_of),
    };
    let mut ws = Worksheet::new();
    if let Some(layout) = config.layout(&regime.id) {
        super::matrix::write_matrix(&mut ws, &spec, layout, true, &styles, &|cell| {
            c.get(&root.code, &cell.key, cell.column)
                .map(CellValue::Number)
        })?;
    } else {
        list_form(report, &mut ws, &spec, &styles)?;
    }
    Ok(ws)
}

/// One row of the by-unit sheets: a cell of the form (indicator, disaggregation, key id, key)
/// and the format of its figures.
type UnitRow<'a> = (
    &'a crate::catalog::Indicator,
    crate::model::Disagg,
    Option<crate::consolidate::KeyId>,
    String,
    &'a Format,
);

/// The by-unit sheets: every unit side by side (the period's figures); a sheet holds at most
/// UNITS_PER_SHEET units, within Excel's 16,384 columns.
struct ByUnit<'a> {
    report: &'a Report<'a>,
    /// A figure's format by its indicator's decimal places, and a year's.
    numbers: Vec<Format>,
    year: Format,
}

impl<'a> ByUnit<'a> {
    fn of(report: &'a Report<'a>) -> ByUnit<'a> {
        ByUnit {
            report,
            numbers: (0..=crate::catalog::MAX_DECIMALS as usize)
                .map(|d| cell_format().set_num_format(form::number_format(d)))
                .collect(),
            year: cell_format().set_num_format("0"),
        }
    }

    /// The form's cells, one row each. On a matrix form, a total that has no cell of its own
    /// and that no unit has (its breakdown is a partial list, so it is not computed) is no
    /// row: it would stay empty across every unit.
    fn rows(&self) -> Vec<UnitRow<'_>> {
        let (config, c) = (self.report.config, self.report.consolidated);
        let layout = config.layout(&self.report.regime.id);
        let never_filled = |ind: &crate::catalog::Indicator, d: &crate::model::Disagg| {
            layout.is_some_and(|l| {
                d.is_total()
                    && c.key(&ind.code).is_none()
                    && !l
                        .cells()
                        .any(|(_, _, cell)| cell.indicator == ind.code && cell.disagg.is_total())
            })
        };
        self.report
            .regime
            .form_codes()
            .filter_map(|code| config.indicator(code))
            .flat_map(|ind| config.cells_of(ind).into_iter().map(move |d| (ind, d)))
            .filter(|(ind, d)| !never_filled(ind, d))
            .map(|(ind, d)| {
                let key = cell_key(&ind.code, &d);
                let fmt = if ind.value_type == ValueType::Year {
                    &self.year
                } else {
                    &self.numbers[ind.decimals().min(self.numbers.len() - 1)]
                };
                (ind, d, c.key(&key), key, fmt)
            })
            .collect()
    }

    fn write(&self, wb: &mut Workbook, scratch: &std::path::Path) -> Result<(), XlsxError> {
        let c = self.report.consolidated;
        let all_units: Vec<&str> = c.units.iter().map(String::as_str).collect();
        let chunks: Vec<&[&str]> = if all_units.is_empty() {
            vec![&[]]
        } else {
            all_units.chunks(UNITS_PER_SHEET).collect()
        };
        let rows = self.rows();
        // A matrix form's keys (TT01[linh_vuc=dat_dai]) are long: the code column fits them,
        // within reason; an indicator code keeps the usual 8.
        let longest = rows.iter().map(|(.., key, _)| key.chars().count()).max();
        let key_width = longest.map_or(8.0, |n| (n as f64 + 1.0).clamp(8.0, 40.0));
        let rows_of = crate::consolidate::KeyId::positions(rows.iter().map(|(.., id, _, _)| *id));
        // The figures of a block of units by row: each unit's figures are walked once, in
        // order, into a table of rows × units (`NaN` where a unit has none: a figure is never
        // one, and the table of a nation's quarter on a matrix form is half as big as with
        // `Option`s, ~11 MB).
        let table_of = |block: &[&str]| {
            let mut table = vec![f64::NAN; rows.len() * block.len()];
            for (j, u) in block.iter().enumerate() {
                let Some(f) = c.unit(u) else { continue };
                for (id, column, v) in f.iter() {
                    if column != InputColumn::ThucHien {
                        continue;
                    }
                    for r in rows_of.get(id.index()).into_iter().flatten() {
                        table[r * block.len() + j] = v;
                    }
                }
            }
            table
        };
        for (k, units) in chunks.iter().enumerate() {
            // A large sheet is written row by row to a temporary file beside the outputs
            // (`STREAMED_CELLS`).
            let streamed = rows.len() * units.len() >= STREAMED_CELLS;
            let mut ws = if streamed {
                wb.set_tempdir(scratch)?;
                wb.set_zip_compression_level(STREAMED_LEVEL);
                wb.new_worksheet_with_low_memory()?
            } else {
                Worksheet::new()
            };
            self.head(&mut ws, k, units, streamed, key_width)?;
            if streamed {
                Self::streamed_rows(&mut ws, &rows, units, &table_of(units), self.report)?;
                // After the figures: a cell written without a format looks its column's
                // format up among the columns given a width, a cache miss each across a row of
                // 16,000.
                ws.set_column_range_width(3, 2 + units.len() as u16, 14)?;
                set_widths(&mut ws, key_width)?;
            } else {
                Self::blocks(&mut ws, &rows, units, &table_of, self.report)?;
            }
            ws.set_freeze_panes(3, 3)?;
            print_setup(&mut ws, 2)?;
            wb.push_worksheet(ws);
        }
        Ok(())
    }

    /// A by-unit sheet's name, title and header row.
    fn head(
        &self,
        ws: &mut Worksheet,
        k: usize,
        units: &[&str],
        streamed: bool,
        key_width: f64,
    ) -> Result<(), XlsxError> {
        let config = self.report.config;
        let head = header_format();
        if k == 0 {
            ws.set_name(SHEET_UNITS)?;
        } else {
            ws.set_name(format!("{SHEET_UNITS} ({})", k + 1))?;
        }
        ws.write_string_with_format(
            0,
            0,
            format!(
                "Số liệu thực hiện {} theo đơn vị",
                self.report.period.short_label()
            ),
            &title_format(),
        )?;
        for (i, h) in ["Mã số", "Chỉ tiêu", "Đơn vị tính"].iter().enumerate() {
            ws.write_string_with_format(2, i as u16, *h, &head)?;
        }
        for (j, u) in units.iter().enumerate() {
            let name = config
                .units
                .get(u)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| u.to_string());
            ws.write_string_with_format(2, 3 + j as u16, format!("{name} ({u})"), &head)?;
            if !streamed {
                ws.set_column_width(3 + j as u16, 14)?;
            }
        }
        if !streamed {
            set_widths(ws, key_width)?;
        }
        ws.set_row_height(2, 48)?;
        Ok(())
    }

    /// A row's labels: its key, its name and its unit of measure.
    fn labels(
        ws: &mut Worksheet,
        rows: &[UnitRow<'_>],
        i: usize,
        report: &Report<'_>,
    ) -> Result<(), XlsxError> {
        let text = cell_format();
        let (ind, d, _, key, _) = &rows[i];
        let r = 3 + i as u32;
        ws.write_string_with_format(r, 0, key, &text)?;
        ws.write_string_with_format(r, 1, report.config.cell_name(ind, d), &text)?;
        ws.write_string_with_format(r, 2, &ind.unit, &text)?;
        Ok(())
    }

    /// One figure (an answer by its label).
    fn figure(
        ws: &mut Worksheet,
        ind: &crate::catalog::Indicator,
        r: u32,
        col: u16,
        v: f64,
    ) -> Result<(), XlsxError> {
        match ind.answer_label(v) {
            Some(label) => ws.write_string(r, col, label)?,
            None => ws.write_number(r, col, v)?,
        };
        Ok(())
    }

    /// Row by row, as the temporary file takes them: a row's labels, its figures, then its
    /// format over all its figures' cells at once.
    fn streamed_rows(
        ws: &mut Worksheet,
        rows: &[UnitRow<'_>],
        units: &[&str],
        table: &[f64],
        report: &Report<'_>,
    ) -> Result<(), XlsxError> {
        for (i, (.., fmt)) in rows.iter().enumerate() {
            Self::labels(ws, rows, i, report)?;
            let r = 3 + i as u32;
            for (j, v) in table[i * units.len()..(i + 1) * units.len()]
                .iter()
                .enumerate()
            {
                if !v.is_nan() {
                    Self::figure(ws, rows[i].0, r, 3 + j as u16, *v)?;
                }
            }
            ws.set_range_format(r, 3, r, 2 + units.len() as u16, fmt)?;
        }
        Ok(())
    }

    /// The labels first (rust_xlsxwriter numbers strings and formats in the order of first
    /// use, and the figures' cells use neither strings nor the labels' format), then a block
    /// of units at a time, row by row: a row's figures, then its format over the row's cells
    /// of the block at once (an empty cell gets it as a blank cell) — the same cells as
    /// writing each with its format, without finding the format in rust_xlsxwriter's table (a
    /// hash of the whole format) for each of a nation's million cells.
    fn blocks(
        ws: &mut Worksheet,
        rows: &[UnitRow<'_>],
        units: &[&str],
        table_of: &dyn Fn(&[&str]) -> Vec<f64>,
        report: &Report<'_>,
    ) -> Result<(), XlsxError> {
        for i in 0..rows.len() {
            Self::labels(ws, rows, i, report)?;
        }
        for (b, block) in units.chunks(UNIT_BLOCK).enumerate() {
            let table = table_of(block);
            for (i, (.., fmt)) in rows.iter().enumerate() {
                let r = 3 + i as u32;
                let first = 3 + (b * UNIT_BLOCK) as u16;
                for (j, v) in table[i * block.len()..(i + 1) * block.len()]
                    .iter()
                    .enumerate()
                {
                    if !v.is_nan() {
                        Self::figure(ws, rows[i].0, r, first + j as u16, *v)?;
                    }
                }
                ws.set_range_format(r, first, r, first + block.len() as u16 - 1, fmt)?;
            }
        }
        Ok(())
    }
}

/// The "Tình hình gửi báo cáo" sheet: each unit's file, receipt, deadline and status.
fn compliance_sheet(report: &Report<'_>) -> Result<Worksheet, XlsxError> {
    let (config, regime) = (report.config, report.regime);
    let (head, text) = (header_format(), cell_format());
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_COMPLIANCE)?;
    ws.write_string_with_format(
        0,
        0,
        format!(
            "Tình hình gửi báo cáo {} — {}",
            report.period.label(),
            regime.name
        ),
        &title_format(),
    )?;
    let headers = [
        "STT",
        "Mã đơn vị",
        "Đơn vị",
        "Cấp",
        "Tệp",
        "Thời điểm nhận",
        "Thời hạn",
        "Tình trạng",
        "Số chẩn đoán",
    ];
    let widths = [6.0, 10.0, 30.0, 18.0, 38.0, 17.0, 12.0, 22.0, 12.0];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
        ws.set_column_width(i as u16, widths[i])?;
    }
    let center = cell_format().set_align(FormatAlign::Center);
    let mut r = 3;
    for (i, row) in report.batch.compliance.iter().enumerate() {
        write_compliance_row(&mut ws, config, r, i, row)?;
        r += 1;
    }
    // The formats over the columns' ranges, in the order of their first use row by row (centre,
    // text, then each status colour from the first row that has it): the same cells as writing
    // each with its format, without finding the format in rust_xlsxwriter's table (a hash of
    // the whole format) for each of a nation's 90,000 cells.
    if r > 3 {
        format_compliance_rows(&mut ws, report, r, &center, &text)?;
    }
    ws.set_freeze_panes(3, 0)?;
    ws.autofilter(2, 0, r.saturating_sub(1).max(2), (headers.len() - 1) as u16)?;
    print_setup(&mut ws, 2)?;
    Ok(ws)
}

/// The `i`-th unit's line of the "Tình hình gửi báo cáo" sheet, on row `r`, without formats.
fn write_compliance_row(
    ws: &mut Worksheet,
    config: &crate::catalog::Config,
    r: u32,
    i: usize,
    row: &crate::validate::ComplianceRow,
) -> Result<(), XlsxError> {
    ws.write_number(r, 0, (i + 1) as f64)?;
    ws.write_string(r, 1, &row.unit_code)?;
    ws.write_string(r, 2, &row.unit_name)?;
    ws.write_string(r, 3, config.units.level_label(&row.level))?;
    ws.write_string(r, 4, row.file.as_deref().unwrap_or(""))?;
    let received = row
        .received_at
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default();
    ws.write_string(r, 5, &received)?;
    ws.write_string(r, 6, row.deadline.map(vn_date).unwrap_or_default())?;
    ws.write_string(r, 7, row.status.label())?;
    ws.write_number(r, 8, row.diagnostics as f64)?;
    Ok(())
}

/// The formats of the "Tình hình gửi báo cáo" sheet's rows 3 to `end` (excluded), over the
/// columns' ranges: centre, text, then the status colours run by run.
fn format_compliance_rows(
    ws: &mut Worksheet,
    report: &Report<'_>,
    end: u32,
    center: &Format,
    text: &Format,
) -> Result<(), XlsxError> {
    for (first, last, fmt) in [(0, 0, center), (1, 4, text), (5, 6, center), (8, 8, center)] {
        ws.set_range_format(3, first, end - 1, last, fmt)?;
    }
    let mut from = 3;
    for run in report
        .batch
        .compliance
        .chunk_by(|a, b| a.status == b.status)
    {
        let to = from + run.len() as u32 - 1;
        ws.set_range_format(from, 7, to, 7, &status_format(run[0].status))?;
        from = to + 1;
    }
    Ok(())
}

/// The "Chẩn đoán" sheet: the summary by code, then every diagnostic.
fn diagnostics_sheet(report: &Report<'_>) -> Result<Worksheet, XlsxError> {
    let config = report.config;
    let (head, text) = (header_format(), cell_format());
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_DIAGNOSTICS)?;
    ws.write_string_with_format(
        0,
        0,
        format!(
            "Chẩn đoán số liệu {} (xem docs/diagnostics.md)",
            report.period.label()
        ),
        &title_format(),
    )?;
    // The summary by code first: a thousand warnings of one kind are one line here.
    let summary = [
        "Mã",
        "Mức độ",
        "Loại",
        "Số lần",
        "Số nơi",
        "Nơi có nhiều nhất",
    ];
    for (i, h) in summary.iter().enumerate() {
        ws.write_string_with_format(2, i as u16, *h, &head)?;
    }
    let r = write_diagnostic_groups(&mut ws, report, config, &text)?;
    // Then every diagnostic.
    let header_row = r + 1;
    let headers = ["Mã", "Mức độ", "Tệp", "Trang", "Ô", "Nội dung"];
    let widths = [9.0, 10.0, 38.0, 16.0, 9.0, 90.0];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(header_row, i as u16, *h, &head)?;
        ws.set_column_width(i as u16, widths[i])?;
    }
    let first = header_row + 1;
    let r = write_diagnostics(&mut ws, report, first)?;
    if r > first {
        ws.set_range_format(first, 0, r - 1, 5, &text)?;
    }
    ws.autofilter(
        header_row,
        0,
        r.saturating_sub(1).max(header_row),
        (headers.len() - 1) as u16,
    )?;
    print_setup(&mut ws, header_row)?;
    Ok(ws)
}

/// The summary by code of the "Chẩn đoán" sheet from row 3 (a line saying there is none
/// where there is none); returns the row after it.
fn write_diagnostic_groups(
    ws: &mut Worksheet,
    report: &Report<'_>,
    config: &crate::catalog::Config,
    text: &Format,
) -> Result<u32, XlsxError> {
    let mut r = 3;
    for g in report.batch.diagnostic_groups(config) {
        ws.write_string_with_format(r, 0, g.code.as_str(), text)?;
        ws.write_string_with_format(r, 1, g.severity.label(), text)?;
        ws.write_string_with_format(r, 2, g.code.title(), text)?;
        ws.write_number_with_format(r, 3, g.count as f64, text)?;
        ws.write_number_with_format(r, 4, g.sources.len() as f64, text)?;
        ws.write_string_with_format(r, 5, g.sources_text(SOURCES_LISTED), text)?;
        r += 1;
    }
    if r == 3 {
        ws.write_string_with_format(r, 0, "Không có chẩn đoán nào.", text)?;
        r += 1;
    }
    Ok(r)
}

/// Every diagnostic from row `first`, without formats; returns the row after the last.
fn write_diagnostics(
    ws: &mut Worksheet,
    report: &Report<'_>,
    first: u32,
) -> Result<u32, XlsxError> {
    let mut r = first;
    for d in &report.batch.diagnostics {
        ws.write_string(r, 0, d.code.as_str())?;
        ws.write_string(r, 1, d.severity.label())?;
        ws.write_string(r, 2, d.location.file.as_str())?;
        ws.write_string(r, 3, d.location.sheet.as_str())?;
        ws.write_string(r, 4, d.location.cell.as_str())?;
        ws.write_string(r, 5, &d.message)?;
        // A message of several lines (what is wrong, then what to do) gets the height it
        // needs: printed, a row of the default height would draw its lines over the next.
        let lines: usize = d
            .message
            .split('\n')
            .map(|l| l.chars().count().div_ceil(MESSAGE_CHARS_PER_LINE).max(1))
            .sum();
        if lines > 1 {
            ws.set_row_height(r, 15.75 * lines as f64)?;
        }
        r += 1;
    }
    Ok(r)
}

/// The 12-point characters a line of the 90-wide message column holds.
const MESSAGE_CHARS_PER_LINE: usize = 100;

/// The sources a summary line of the "Chẩn đoán" sheet names.
const SOURCES_LISTED: usize = 10;

/// The widths of a by-unit sheet's three label columns.
/// The widths of the by-unit sheet's label columns: the code column `key_width` wide.
fn set_widths(ws: &mut Worksheet, key_width: f64) -> Result<(), XlsxError> {
    ws.set_column_width(0, key_width)?;
    ws.set_column_width(1, 44)?;
    ws.set_column_width(2, 11)?;
    Ok(())
}

fn header_format() -> Format {
    form::table_header()
}

fn cell_format() -> Format {
    form::table_cell()
}

fn status_format(t: crate::validate::Timeliness) -> Format {
    use crate::validate::Timeliness::*;
    let color = match t {
        OnTime => form::GREEN,
        Late | NotYetDue => form::YELLOW,
        Missing | Rejected => form::RED,
    };
    cell_format().set_background_color(color)
}

fn print_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_margins(1.18, 0.59, 0.79, 0.79, 0.3, 0.3);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// A figure the Vietnamese way, with the indicator's decimals (`Indicator::decimals`), all of
/// them (a column of a table reads 27,50 / 31,00, not 27,5 / 31).
pub fn fmt_value(v: f64, ind: &crate::catalog::Indicator) -> String {
    if ind.is_answer() || ind.value_type == ValueType::Year {
        return ind.display(v);
    }
    // A whole number's average is printed with decimals (17,12 tiêu chí per xã), a unit's own
    // whole number without (19, not 19,00).
    let whole =
        ind.value_type == ValueType::Integer && ind.decimal_places.is_none() && v.fract() == 0.0;
    crate::text::fmt_vn_fixed(v, if whole { 0 } else { ind.decimals() })
}
