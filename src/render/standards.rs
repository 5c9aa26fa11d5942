//! The consolidated figures in the formats statistics systems read, beside `du-lieu.csv`
//! (which stays the base and the round-trip format):
//!
//! - `du-lieu.sdmx.csv`: SDMX-CSV 2.0, one observation per row of `du-lieu.csv`; ratios and
//!   growth rates (derived cells) are flagged `DERIVED=1`, so a receiver that adds figures up
//!   recomputes them instead.
//! - `du-lieu.dhis2.json`: a DHIS2 dataValueSet with codes as identifiers (`idScheme=code`);
//!   derived cells are left out (DHIS2 computes its indicators itself).
//! - `du-lieu.adx.xml`: ADX (IHE QRPH 2015); derived cells left out, as in DHIS2.
//! - `datapackage.json`: a Frictionless data package describing `du-lieu.csv`, with its
//!   SHA-256.
//!
//! Every file is built from `exchange::exchange_rows`, so they carry the same figures in the
//! same order, and is deterministic (the export time is the as-of date).

use std::collections::BTreeSet;
use std::io::Write as _;

use quick_xml::escape::escape;
use serde::Serialize;
use serde_json::json;

use super::exchange::{piece, ExchangeRow, ExchangeRows, HEADER};
use super::Report;
use crate::model::InputColumn;

/// The value kinds (columns of the form) as SDMX/ADX/DHIS2 codes: `thuc_hien`, `ke_hoach`, …
fn kind(column: InputColumn) -> &'static str {
    column.key()
}

/// The dimensions any of the regime's cells is broken down by, sorted by code.
fn regime_dimensions(report: &Report<'_>) -> Vec<String> {
    let mut dims = BTreeSet::new();
    for code in report.regime.form_codes() {
        if let Some(ind) = report.config.indicator(code) {
            for set in &ind.disaggregations {
                dims.extend(set.iter().cloned());
            }
        }
    }
    dims.into_iter().collect()
}

/// The SDMX dataflow the file claims: `VN_BAOCAO:<REGIME>(1.0)`.
fn dataflow(report: &Report<'_>) -> String {
    format!("VN_BAOCAO:{}(1.0)", report.regime.id.to_ascii_uppercase())
}

/// The code SDMX uses for "all options of this dimension" (the total).
pub const SDMX_TOTAL: &str = "_T";

/// `du-lieu.sdmx.csv`: SDMX-CSV 2.0 with `STRUCTURE,STRUCTURE_ID,ACTION`, the dimensions
/// (`REPORTING_UNIT`, `INDICATOR`, each disaggregation dimension in upper case with `_T` for
/// the total, `VALUE_KIND`, `TIME_PERIOD`), `OBS_VALUE`, then the attributes `UNIT_MEASURE`,
/// `OBS_STATUS` (`A`, normal) and `DERIVED` (`1` for a ratio or growth rate).
pub fn write_sdmx_csv(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let dims = regime_dimensions(report);
    let mut header: Vec<String> = ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
        .iter()
        .chain(&["REPORTING_UNIT", "INDICATOR"])
        .map(|s| s.to_string())
        .collect();
    header.extend(dims.iter().map(|d| d.to_ascii_uppercase()));
    header.extend(
        [
            "VALUE_KIND",
            "TIME_PERIOD",
            "OBS_VALUE",
            "UNIT_MEASURE",
            "OBS_STATUS",
            "DERIVED",
        ]
        .map(String::from),
    );
    // Each row put together from pieces escaped once (`exchange::csv_fields`), as in
    // `du-lieu.csv`.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.write_all(&piece("", &header, "\n"))?;
    let head = piece("", &["dataflow", &dataflow(report), "I"], ",");
    let units: Vec<Vec<u8>> = rows
        .units()
        .iter()
        .map(|(unit, _)| piece("", &[unit], ","))
        .collect();
    // The indicator and its dimensions' options (`_T` for the total) with the comma after
    // them; the unit of measure, status and derived flag after the figure, with the line end.
    let cells: Vec<(Vec<u8>, Vec<u8>)> = rows
        .cells()
        .iter()
        .map(|(indicator, disagg)| {
            let mut fields = vec![indicator.code.as_str()];
            fields.extend(dims.iter().map(|d| disagg.get(d).unwrap_or(SDMX_TOTAL)));
            let derived = if indicator.is_derived() { "1" } else { "0" };
            (
                piece("", &fields, ","),
                piece(",", &[&indicator.unit, "A", derived], "\n"),
            )
        })
        .collect();
    // The value kind and the period, with the comma after them, by the column's own number.
    let period = report.period.sdmx();
    let mut columns: [Vec<u8>; 4] = Default::default();
    for c in InputColumn::ALL {
        columns[c as usize] = piece("", &[kind(c), &period], ",");
    }
    for (unit, cell, column, value) in rows.figures() {
        let (indicator, tail) = &cells[cell];
        for part in [
            head.as_slice(),
            &units[unit],
            indicator,
            &columns[column as usize],
            super::exchange::figure_text(value).as_bytes(),
            tail,
        ] {
            out.write_all(part)?;
        }
    }
    out.flush()
}

/// The rows the DHIS2 and ADX files carry: every figure but the derived ones.
fn sent<'r, 'a>(rows: &'r ExchangeRows<'a>) -> impl Iterator<Item = ExchangeRow<'a>> + 'r {
    rows.iter().filter(|r| !r.derived())
}

/// One DHIS2 data value (fields in alphabetical order, as DHIS2 writes them).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataValue<'a> {
    attribute_option_combo: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category_option_combo: Option<String>,
    data_element: &'a str,
    org_unit: &'a str,
    period: &'a str,
    #[serde(serialize_with = "text")]
    value: crate::diag::CellText,
}

fn text<S: serde::Serializer>(t: &crate::diag::CellText, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t)
}

/// The data values, serialized one by one from the rows (never all held at once).
struct DataValues<'r, 'a> {
    rows: &'r ExchangeRows<'a>,
    period: Option<&'r str>,
}

impl Serialize for DataValues<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(p) = self.period else {
            return s.collect_seq(std::iter::empty::<DataValue<'_>>());
        };
        s.collect_seq(sent(self.rows).map(|r| DataValue {
            attribute_option_combo: kind(r.column),
            category_option_combo: (!r.disagg.is_total()).then(|| r.disagg.to_string()),
            data_element: &r.indicator.code,
            org_unit: r.unit,
            period: p,
            value: r.text,
        }))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataValueSet<'r, 'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    complete_date: String,
    data_set: &'r str,
    data_values: DataValues<'r, 'a>,
    org_unit: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'r str>,
}

/// `du-lieu.dhis2.json`: a DHIS2 dataValueSet (`dataSet` = regime, `orgUnit` = unit code,
/// `dataElement` = indicator code, `categoryOptionCombo` = the disaggregation key, left out
/// for the total so DHIS2 takes its default, `attributeOptionCombo` = the value kind), one
/// line (a nation's month is millions of values). DHIS2 has no 9-month period: that report's
/// file has no data values and says why.
pub fn write_dhis2_json(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let period = report.period.dhis2();
    let set = DataValueSet {
        comment: period.is_none().then(|| {
            format!(
                "DHIS2 không có loại kỳ 9 tháng: số liệu {} có trong du-lieu.csv, du-lieu.sdmx.csv và du-lieu.adx.xml",
                report.period.label().to_lowercase()
            )
        }),
        complete_date: report.as_of.to_string(),
        data_set: &report.regime.id,
        data_values: DataValues {
            rows,
            period: period.as_deref(),
        },
        org_unit: &report.consolidated.root,
        period: period.as_deref(),
    };
    // serde_json writes many small pieces: a local buffer takes them without a call through
    // `dyn Write` each.
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
    serde_json::to_writer(&mut w, &set).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// `du-lieu.adx.xml`: one `group` per unit (`orgUnit`, `period` as a time range, `dataSet`),
/// one `dataValue` per figure with `dataElement`, `value`, `VALUE_KIND` and one attribute per
/// disaggregation dimension of the cell. `exported` is the as-of date at midnight.
pub fn write_adx_xml(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Through a local buffer: three quarters of a million lines are written piece by piece,
    // without a call through `dyn Write` or the formatting machinery for each piece.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"{}T00:00:00\">",
        report.as_of
    )?;
    let period = report.period.time_range();
    let mut rows = sent(rows).peekable();
    while let Some(first) = rows.peek() {
        let unit = first.unit;
        writeln!(
            out,
            "  <group orgUnit=\"{}\" period=\"{period}\" dataSet=\"{}\">",
            escape(unit),
            escape(&report.regime.id)
        )?;
        while let Some(r) = rows.next_if(|r| r.unit == unit) {
            for piece in [
                "    <dataValue dataElement=\"",
                &escape(&r.indicator.code),
                "\" VALUE_KIND=\"",
                kind(r.column),
                "\"",
            ] {
                out.write_all(piece.as_bytes())?;
            }
            for (d, o) in &r.disagg.0 {
                // Dimension codes are checked to be XML names (`catalog::dimensions::check_code`).
                for piece in [" ", d.as_str(), "=\"", &escape(o), "\""] {
                    out.write_all(piece.as_bytes())?;
                }
            }
            for piece in [" value=\"", r.text.as_str(), "\"/>\n"] {
                out.write_all(piece.as_bytes())?;
            }
        }
        out.write_all(b"  </group>\n")?;
    }
    out.write_all(b"</adx>\n")?;
    out.flush()
}

/// `datapackage.json`: a Frictionless tabular data package with one resource, `du-lieu.csv`
/// (`csv` is its manifest entry, for the hash and size), its fields, constraints and primary
/// key.
pub fn datapackage(report: &Report<'_>, csv: &super::exchange::FileEntry) -> String {
    let columns: Vec<&str> = InputColumn::ALL.iter().map(|c| c.key()).collect();
    let field = |name: &str, ty: &str, title: &str, constraints: serde_json::Value| {
        let mut f = json!({"name": name, "type": ty, "title": title});
        if !constraints.is_null() {
            f["constraints"] = constraints;
        }
        f
    };
    let fields = vec![
        field(
            HEADER[0],
            "string",
            "Chế độ báo cáo",
            json!({"required": true, "enum": [report.regime.id]}),
        ),
        field(
            HEADER[1],
            "string",
            "Kỳ báo cáo",
            json!({"required": true, "enum": [report.period.code()]}),
        ),
        field(HEADER[2], "string", "Mã đơn vị", json!({"required": true})),
        field(
            HEADER[3],
            "string",
            "Mã chỉ tiêu",
            json!({"required": true}),
        ),
        field(HEADER[4], "number", "Giá trị", json!({"required": true})),
        field(HEADER[5], "string", "Đơn vị tính", serde_json::Value::Null),
        field(
            HEADER[6],
            "string",
            "Loại số liệu",
            json!({"required": true, "enum": columns}),
        ),
        field(HEADER[7], "string", "Cấp đơn vị", serde_json::Value::Null),
        field(
            HEADER[8],
            "string",
            "Phân tổ (phân_tổ=phương_án nối bằng ;, trống với số tổng)",
            json!({"pattern": "([a-z][a-z0-9_]*=[^;=]+(;[a-z][a-z0-9_]*=[^;=]+)*)?"}),
        ),
    ];
    let name = format!(
        "baocao-{}-{}",
        report.regime.id.to_ascii_lowercase(),
        report.period.code().to_ascii_lowercase()
    );
    let package = json!({
        "profile": "tabular-data-package",
        "name": name,
        "title": format!("{} — {}", report.regime.name, report.period.label()),
        "created": format!("{}T00:00:00Z", report.as_of),
        "resources": [{
            "name": "du-lieu",
            "path": "du-lieu.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": csv.size,
            "hash": format!("sha256:{}", csv.sha256),
            "schema": {
                "fields": fields,
                "missingValues": [],
                "primaryKey": ["unit_code", "indicator_code", "disagg", "column"],
            },
        }],
    });
    serde_json::to_string_pretty(&package).expect("serializable") + "\n"
}
