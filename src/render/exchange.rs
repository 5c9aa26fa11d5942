//! `du-lieu.csv`: consolidated values in the long exchange format, every level of the tree,
//! and `manifest.json`: every input and output with its SHA-256 and size.

use serde::Serialize;

use super::Report;
use crate::catalog::InputColumn;
use crate::model::cell_key;

pub const HEADER: [&str; 9] = [
    "regime",
    "period",
    "unit_code",
    "indicator_code",
    "value",
    "unit_of_measure",
    "column",
    "level",
    "disagg",
];

/// The cells of a regime's form, in the form's order: each indicator with its total and
/// disaggregations (and their cell keys). Computed once for all the exchange files.
pub struct FormCells<'a> {
    cells: Vec<(
        &'a crate::catalog::Indicator,
        Vec<(crate::model::Disagg, String)>,
    )>,
}

impl<'a> FormCells<'a> {
    pub fn of(report: &Report<'a>) -> FormCells<'a> {
        let config = report.config;
        FormCells {
            cells: report
                .regime
                .form_codes()
                .filter_map(|code| config.indicator(code))
                .map(|ind| {
                    let cells = config
                        .cells_of(ind)
                        .into_iter()
                        .map(|d| {
                            let key = cell_key(&ind.code, &d);
                            (d, key)
                        })
                        .collect();
                    (ind, cells)
                })
                .collect(),
        }
    }
}

/// Every consolidated figure of a report, as the exchange files carry them: the root first,
/// then the units below it; within a unit the form's order, the total before its
/// disaggregations, then the columns in order.
///
/// Not a list of the figures (a nation's quarter on a matrix form is 1,3 million of them, 31
/// MB at the run's peak) but the walk that gives them, taken by each writer on its own
/// (`figures`); each writer puts its rows together from pieces it prepares once per unit,
/// cell and column.
pub struct ExchangeRows<'a> {
    /// (unit, level) by index; the level (`tinh`, `xa`, …) is empty for a unit not in
    /// `units.toml`.
    units: Vec<(&'a str, &'a str)>,
    /// Each unit's figures, by the same index.
    figures: Vec<crate::consolidate::UnitFigures<'a>>,
    /// The form's cells by index.
    cells: Vec<(&'a crate::catalog::Indicator, &'a crate::model::Disagg)>,
    /// By a key id's index, the form cells that key is.
    cells_of: Vec<Vec<usize>>,
}

impl<'a> ExchangeRows<'a> {
    /// The units, (code, level), by the index `figures` gives.
    pub fn units(&self) -> &[(&'a str, &'a str)] {
        &self.units
    }

    /// The form's cells, (indicator, disaggregation), by the index `figures` gives.
    pub fn cells(&self) -> &[(&'a crate::catalog::Indicator, &'a crate::model::Disagg)] {
        &self.cells
    }

    /// The rows in order as (unit index, cell index, column, value): for writers that prepare
    /// what a unit's or a cell's rows share once. Each unit's figures are walked once, in key
    /// order, into a table by (form cell, column) that is then read in order (a lookup for
    /// each cell and column would search its list four times per cell).
    pub fn figures(&self) -> impl Iterator<Item = (usize, usize, InputColumn, f64)> + '_ {
        let mut table: Vec<Option<f64>> = vec![None; self.cells.len() * COLUMNS];
        // The next unit to put in the table, and where the walk of the table stands.
        let (mut next, mut at) = (0, table.len());
        std::iter::from_fn(move || loop {
            while at < table.len() {
                let i = at;
                at += 1;
                if let Some(value) = table[i] {
                    let column = InputColumn::ALL[i % COLUMNS];
                    return Some((next - 1, i / COLUMNS, column, value));
                }
            }
            let figures = self.figures.get(next)?;
            table.fill(None);
            for (id, column, value) in figures.iter() {
                for &cell in self.cells_of.get(id.index()).into_iter().flatten() {
                    table[cell * COLUMNS + column as usize] = Some(value);
                }
            }
            next += 1;
            at = 0;
        })
    }
}

/// Every consolidated figure of a report (`ExchangeRows`; a cell outside the form is left out).
pub fn exchange_rows<'a>(report: &Report<'a>, cells: &'a FormCells<'a>) -> ExchangeRows<'a> {
    let c: &'a crate::consolidate::Consolidated = report.consolidated;
    let config = report.config;
    // The form's cells in order, each with its key's id (once, not once per unit).
    let mut form = Vec::new();
    let mut ids = Vec::new();
    for (ind, list) in &cells.cells {
        for (d, key) in list {
            form.push((*ind, d));
            ids.push(c.key(key));
        }
    }
    let cells_of = crate::consolidate::KeyId::positions(ids.iter().copied());
    let (mut units, mut figures) = (Vec::new(), Vec::new());
    for unit in &c.units {
        let Some(unit_figures) = c.unit(unit).filter(|f| !f.is_empty()) else {
            continue;
        };
        let level = config
            .units
            .get(unit)
            .map(|u| u.level.as_str())
            .unwrap_or("");
        units.push((unit.as_str(), level));
        figures.push(unit_figures);
    }
    ExchangeRows {
        units,
        figures,
        cells: form,
        cells_of,
    }
}

/// The columns of a unit's table of figures (`exchange_rows`): one per input column.
const COLUMNS: usize = InputColumn::ALL.len();

/// A figure as the exchange files write it: Rust's shortest round-trip decimal (`{}`, never
/// an exponent). Faster paths give the same text: a whole number (most figures) by itoa; a
/// fraction by zmij, whose digits are Display's (the shortest that read back as the figure,
/// the closest of them) and whose notation is Display's between 1e-5 and 1e16. `{}` writes
/// the rest: figures outside that range (zmij writes an exponent) and the rare figure exactly
/// halfway between its two closest shortest texts (zmij takes the even one, `{}` the larger,
/// e.g. 1566672580322686.25 is `…686.3`). The text stays inline (no heap) up to 24 bytes.
pub fn figure_text(v: f64) -> crate::diag::CellText {
    let fract = v.fract();
    // Below 2^53 every whole f64 is an exact i64; -0 keeps its sign through `{}`.
    if fract == 0.0 && v.abs() < 9_007_199_254_740_992.0 && !(v == 0.0 && v.is_sign_negative()) {
        return crate::diag::CellText::from(itoa::Buffer::new().format(v as i64));
    }
    // A fraction (not NaN: its fract is NaN) is never written as a whole number, so zmij's
    // `.0` for whole numbers cannot occur here.
    if fract != 0.0 && v.is_finite() {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(v);
        if let Some(dot) = text.find('.').filter(|_| !text.contains('e')) {
            let decimals = (text.len() - dot - 1) as i32;
            if !halfway(v, decimals) {
                return crate::diag::CellText::from(text);
            }
        }
    }
    compact_str::format_compact!("{v}")
}

/// Whether |v| lies exactly halfway between two neighbouring decimals of `decimals` digits
/// after the point. |v| = m·2^e with m odd, so 2·10^d·|v| = m·5^d·2^(e+1+d): an odd whole
/// number (the mark of a midpoint) exactly when e + 1 + d = 0.
fn halfway(v: f64, decimals: i32) -> bool {
    let bits = v.to_bits();
    let (exponent, fraction) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    let (m, e) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, exponent as i32 - 1075)
    };
    m != 0 && e + m.trailing_zeros() as i32 + 1 + decimals == 0
}

/// CSV fields escaped as the csv crate escapes them in a record and joined by commas, with no
/// line end: a piece many rows share (a unit's, a cell's), escaped once. Pieces and figure
/// texts (which never need quotes) joined by commas make the row the csv crate would write.
pub fn csv_fields(fields: &[&str]) -> Vec<u8> {
    // Written as a record with one more field, which is then cut off with its comma and the
    // line end: the csv crate closes a quoted field only when the next one or the line end
    // comes, and quotes an empty field when it is a record's only one.
    const END: &[u8] = b",x\n";
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(fields.iter().copied().chain(["x"]))
        .expect("write to memory");
    let mut bytes = w.into_inner().expect("write to memory");
    debug_assert!(bytes.ends_with(END));
    bytes.truncate(bytes.len() - END.len());
    bytes
}

/// A CSV piece: `lead`, the fields (`csv_fields`), then `trail` (commas or the line end).
pub fn piece(lead: &str, fields: &[&str], trail: &str) -> Vec<u8> {
    let mut p = lead.as_bytes().to_vec();
    p.extend(csv_fields(fields));
    p.extend(trail.as_bytes());
    p
}

/// The exchange CSV of the rows (`exchange_rows`, derived cells included: the round trip reads
/// them back as the unit's figures). Each row is put together from pieces escaped once per
/// unit, cell and column (`csv_fields`) and the figure's text: a nation's month is a million
/// rows of nine fields.
pub fn write_exchange_csv(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(&piece("", &HEADER, "\n"))?;
    let head = piece("", &[&report.regime.id, &report.period.code()], ",");
    // unit code and the comma after it; the level between its commas.
    let units: Vec<(Vec<u8>, Vec<u8>)> = rows
        .units()
        .iter()
        .map(|(unit, level)| (piece("", &[unit], ","), piece(",", &[level], ",")))
        .collect();
    // indicator code and its comma; unit of measure between commas; disaggregation and line end.
    let cells: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = rows
        .cells()
        .iter()
        .map(|(indicator, disagg)| {
            (
                piece("", &[&indicator.code], ","),
                piece(",", &[&indicator.unit], ","),
                piece("", &[&disagg.to_string()], "\n"),
            )
        })
        .collect();
    // By the column's own number (`column as usize`).
    let mut columns: [Vec<u8>; 4] = Default::default();
    for c in InputColumn::ALL {
        columns[c as usize] = csv_fields(&[c.key()]);
    }
    for (unit, cell, column, value) in rows.figures() {
        let ((code, level), (indicator, measure, disagg)) = (&units[unit], &cells[cell]);
        for part in [
            head.as_slice(),
            code,
            indicator,
            figure_text(value).as_bytes(),
            measure,
            &columns[column as usize],
            level,
            disagg,
        ] {
            out.write_all(part)?;
        }
    }
    out.flush()
}

/// A file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub sha256: String,
    pub size: u64,
    /// An input's modification time (local, to the second): a receipt time can come from
    /// it, so `run --due` reruns a period when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

impl FileEntry {
    pub fn of(file: impl Into<String>, bytes: &[u8]) -> FileEntry {
        FileEntry {
            file: file.into(),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            modified: None,
        }
    }
}

pub use crate::hash::sha256_hex;

#[derive(Debug, Serialize)]
pub struct Counts {
    pub files_read: usize,
    pub submissions_accepted: usize,
    pub files_rejected: usize,
    /// Rejected files not replaced by an accepted report of their unit
    /// (`Batch::rejections_standing`).
    pub rejections_standing: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    pub not_yet_due: usize,
    pub diagnostics_blocking: usize,
    pub diagnostics_warning: usize,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub engine: &'static str,
    pub engine_version: &'static str,
    pub regime: String,
    pub period: String,
    pub as_of: String,
    pub receiver: String,
    /// SHA-256 over the config files this regime's run read (`Config::fingerprint`).
    pub config_sha256: String,
    pub counts: Counts,
    pub inputs: Vec<FileEntry>,
    pub outputs: Vec<FileEntry>,
}

pub fn manifest(
    report: &Report<'_>,
    config_sha256: &str,
    inputs: Vec<FileEntry>,
    outputs: Vec<FileEntry>,
) -> String {
    use crate::validate::Timeliness::*;
    let b = report.batch;
    let m = Manifest {
        engine: "baocao",
        engine_version: env!("CARGO_PKG_VERSION"),
        regime: report.regime.id.clone(),
        period: report.period.code(),
        as_of: report.as_of.to_string(),
        receiver: report.regime.receiver.clone(),
        config_sha256: config_sha256.to_string(),
        counts: Counts {
            files_read: b.files_read,
            submissions_accepted: b.accepted.len(),
            files_rejected: b.rejected.len(),
            rejections_standing: b.rejections_standing(),
            on_time: b.count(OnTime),
            late: b.count(Late),
            missing: b.count(Missing),
            not_yet_due: b.count(NotYetDue),
            diagnostics_blocking: b.blocking_count(),
            diagnostics_warning: b.diagnostics.len() - b.blocking_count(),
        },
        inputs,
        outputs,
    };
    crate::output::json(&m) + "\n"
}

#[cfg(test)]
mod tests {
    use super::figure_text;
    use proptest::prelude::*;

    #[test]
    fn figures_are_written_as_rust_writes_them() {
        for (v, text) in [
            (7_284_472.0, "7284472"),
            (94_770_620.75, "94770620.75"),
            (-5.0, "-5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (9_007_199_254_740_991.0, "9007199254740991"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (1e21, "1000000000000000000000"),
            (1.5e-7, "0.00000015"),
        ] {
            assert_eq!(figure_text(v), text, "{v:?}");
        }
    }

    #[test]
    fn csv_pieces_joined_by_commas_are_the_record_the_csv_crate_writes() {
        let texts = [
            "",
            "TT01",
            "a,b",
            "say \"hi\"",
            "line\nbreak",
            "cr\r",
            " lead",
            "Hà Nội",
            "#",
            "\"",
            "x;y=z",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let n = rng.usize(2..7);
            let fields: Vec<&str> = (0..n).map(|_| texts[rng.usize(..texts.len())]).collect();
            let split = rng.usize(1..n);
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&fields).unwrap();
            let expected = w.into_inner().unwrap();
            let mut joined = super::csv_fields(&fields[..split]);
            joined.push(b',');
            joined.extend(super::csv_fields(&fields[split..]));
            joined.push(b'\n');
            assert_eq!(
                String::from_utf8(joined).unwrap(),
                String::from_utf8(expected).unwrap(),
                "{fields:?}"
            );
        }
        // An empty field inside a record is written empty, not quoted.
        assert_eq!(super::csv_fields(&[""]), b"");
        assert_eq!(super::csv_fields(&["a,b", ""]), b"\"a,b\",");
    }

    #[test]
    fn fractions_are_written_as_display_writes_them() {
        // Millions of figures as forms hold them (cents, tenths, percentages) and as sums and
        // ratios make them, and random bit patterns: zmij's text must be Display's.
        let mut rng = fastrand::Rng::with_seed(13);
        for _ in 0..500_000 {
            let cents = rng.i64(-10_000_000_000_000..10_000_000_000_000) as f64 / 100.0;
            let ratio = rng.f64() * 10f64.powi(rng.i32(-8..18));
            let sum = cents + ratio;
            let bits = f64::from_bits(rng.u64(..));
            for v in [cents, ratio, sum, -ratio, bits, cents / 3.0] {
                if v.is_finite() {
                    assert_eq!(figure_text(v).as_str(), v.to_string(), "{v:e}");
                }
            }
        }
        for (v, text) in [
            (0.1, "0.1"),
            (1e-5, "0.00001"),
            (1.5e-5, "0.000015"),
            (1.5e-6, "0.0000015"),
            (4_503_599_627_370_495.5, "4503599627370495.5"),
            (123_456_789_012_345.67, "123456789012345.67"),
            (f64::MIN_POSITIVE, &f64::MIN_POSITIVE.to_string()),
            (5e-324, &5e-324f64.to_string()),
            // Halfway between two shortest texts: Display takes the larger.
            (1_566_672_580_322_686.0 + 0.25, "1566672580322686.3"),
            (0.125, "0.125"),
            (2.5, "2.5"),
        ] {
            assert_eq!(figure_text(v), text, "{v:e}");
        }
    }

    #[test]
    fn a_figure_is_halfway_only_on_the_midpoint_of_its_decimals() {
        // 0.125 = (12 + 0.5) / 100 and 686.25 = (6862 + 0.5) / 10: midpoints at 2 and 1 decimals.
        assert!(super::halfway(0.125, 2));
        assert!(super::halfway(1_566_672_580_322_686.0 + 0.25, 1));
        assert!(super::halfway(-0.125, 2));
        // Not at other numbers of decimals, nor for figures with no exact short midpoint.
        assert!(!super::halfway(0.125, 3));
        assert!(!super::halfway(0.125, 1));
        assert!(!super::halfway(0.1, 1));
        assert!(!super::halfway(94_770_620.75, 2));
        // 94770620.75 is halfway between 94770620.7 and .8 (but is written with 2 decimals).
        assert!(super::halfway(94_770_620.75, 1));
    }

    proptest! {
        #[test]
        fn any_figure_is_written_as_display_writes_it(
            bits in any::<u64>(),
            whole in -1e16f64..1e16,
        ) {
            let v = f64::from_bits(bits);
            if v.is_finite() {
                prop_assert_eq!(figure_text(v).to_string(), v.to_string());
            }
            let w = whole.trunc();
            prop_assert_eq!(figure_text(w).to_string(), w.to_string());
        }
    }
}
