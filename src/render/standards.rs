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
use serde_json::json;

use super::exchange::{piece, ExchangeRows, HEADER};
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
    let header = sdmx_header(&dims);
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
    let cells = sdmx_cells(rows, &dims);
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

/// The SDMX-CSV header: the structure's fields, the dimensions (`dims` in upper case), the
/// figure and its attributes.
fn sdmx_header(dims: &[String]) -> Vec<String> {
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
    header
}

/// Each cell's pieces of an SDMX-CSV row: the indicator and its dimensions' options (`_T` for
/// the total) with the comma after them; the unit of measure, status and derived flag after
/// the figure, with the line end.
fn sdmx_cells(rows: &ExchangeRows<'_>, dims: &[String]) -> Vec<(Vec<u8>, Vec<u8>)> {
    rows.cells()
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
        .collect()
}

/// A text as JSON writes it: quoted, and escaped as serde_json escapes it.
fn json_text(text: &str) -> Vec<u8> {
    serde_json::to_vec(text).expect("a text is JSON")
}

/// The pieces a DHIS2 data value is put together from, escaped once per column, cell and
/// unit; its fields in alphabetical order, as DHIS2 writes them:
/// `{"attributeOptionCombo":KIND,` + `"categoryOptionCombo":KEY,` (left out for a total, so
/// DHIS2 takes its default) `"dataElement":CODE,"orgUnit":` + `UNIT,"period":P,"value":"` +
/// the figure's text (digits, point and sign: nothing to escape) + `"}`.
mod dhis2 {
    use super::json_text;

    /// `p` with `"key":` and the text as JSON after it.
    fn field(mut p: Vec<u8>, key: &str, text: &str) -> Vec<u8> {
        p.push(b'"');
        p.extend(key.as_bytes());
        p.extend(b"\":");
        p.extend(json_text(text));
        p
    }

    /// `field`, then a comma, when there is a text.
    fn optional(p: Vec<u8>, key: &str, text: Option<&str>) -> Vec<u8> {
        match text {
            Some(text) => {
                let mut p = field(p, key, text);
                p.push(b',');
                p
            }
            None => p,
        }
    }

    pub fn column(kind: &str) -> Vec<u8> {
        let mut p = field(b"{".to_vec(), "attributeOptionCombo", kind);
        p.push(b',');
        p
    }

    pub fn cell(code: &str, combo: Option<&str>) -> Vec<u8> {
        let p = optional(Vec::new(), "categoryOptionCombo", combo);
        let mut p = field(p, "dataElement", code);
        p.extend(br#","orgUnit":"#);
        p
    }

    pub fn unit(unit: &str, period: &str) -> Vec<u8> {
        let mut p = json_text(unit);
        p.push(b',');
        let mut p = field(p, "period", period);
        p.extend(br#","value":""#);
        p
    }

    pub const END: &[u8] = br#""}"#;

    /// The data value set up to its first value: `comment` (left out when there is none),
    /// `completeDate`, `dataSet`, then the opening of `dataValues`.
    pub fn head(comment: Option<&str>, complete_date: &str, data_set: &str) -> Vec<u8> {
        let p = optional(b"{".to_vec(), "comment", comment);
        let mut p = field(p, "completeDate", complete_date);
        p.push(b',');
        let mut p = field(p, "dataSet", data_set);
        p.extend(br#","dataValues":["#);
        p
    }

    /// After the last value: `orgUnit` and `period` (left out when DHIS2 has no such period).
    pub fn tail(org_unit: &str, period: Option<&str>) -> Vec<u8> {
        let mut p = field(b"],".to_vec(), "orgUnit", org_unit);
        if let Some(period) = period {
            p.push(b',');
            p = field(p, "period", period);
        }
        p.push(b'}');
        p
    }
}

/// `du-lieu.dhis2.json`: a DHIS2 dataValueSet (`dataSet` = regime, `orgUnit` = unit code,
/// `dataElement` = indicator code, `categoryOptionCombo` = the disaggregation key, left out
/// for the total so DHIS2 takes its default, `attributeOptionCombo` = the value kind), one
/// line (a nation's month is millions of values), as serde_json writes it; derived cells are
/// left out. DHIS2 has no 9-month period: that report's file has no data values and says why.
pub fn write_dhis2_json(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let period = report.period.dhis2();
    let comment = period.is_none().then(|| {
        format!(
            "DHIS2 không có loại kỳ 9 tháng: số liệu {} có trong du-lieu.csv, du-lieu.sdmx.csv và du-lieu.adx.xml",
            report.period.label().to_lowercase()
        )
    });
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
    w.write_all(&dhis2::head(
        comment.as_deref(),
        &report.as_of.to_string(),
        &report.regime.id,
    ))?;
    if let Some(p) = period.as_deref() {
        write_dhis2_values(&mut w, rows, p)?;
    }
    w.write_all(&dhis2::tail(&report.consolidated.root, period.as_deref()))?;
    w.write_all(b"\n")?;
    w.flush()
}

/// The data values of a DHIS2 dataValueSet for period `p`, comma-separated (derived cells
/// left out).
fn write_dhis2_values(
    w: &mut impl std::io::Write,
    rows: &ExchangeRows<'_>,
    p: &str,
) -> std::io::Result<()> {
    let mut columns: [Vec<u8>; 4] = Default::default();
    for c in InputColumn::ALL {
        columns[c as usize] = dhis2::column(kind(c));
    }
    // A derived cell has no piece: it is not sent.
    let cells: Vec<Option<Vec<u8>>> = rows
        .cells()
        .iter()
        .map(|(indicator, disagg)| {
            let combo = (!disagg.is_total()).then(|| disagg.to_string());
            (!indicator.is_derived()).then(|| dhis2::cell(&indicator.code, combo.as_deref()))
        })
        .collect();
    let units: Vec<Vec<u8>> = rows
        .units()
        .iter()
        .map(|(unit, _)| dhis2::unit(unit, p))
        .collect();
    let mut first = true;
    for (unit, cell, column, value) in rows.figures() {
        let Some(cell) = &cells[cell] else { continue };
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        let text = super::exchange::figure_text(value);
        debug_assert!(!text.contains(['"', '\\']));
        for part in [
            columns[column as usize].as_slice(),
            cell,
            &units[unit],
            text.as_bytes(),
            dhis2::END,
        ] {
            w.write_all(part)?;
        }
    }
    Ok(())
}

/// `du-lieu.adx.xml`: one `group` per unit (`orgUnit`, `period` as a time range, `dataSet`),
/// one `dataValue` per figure with `dataElement`, `value`, `VALUE_KIND` and one attribute per
/// disaggregation dimension of the cell; derived cells are left out, as in DHIS2. `exported`
/// is the as-of date at midnight. Each line is put together from pieces escaped once per unit
/// and cell: `    <dataValue dataElement="CODE" VALUE_KIND="` + the kind + `" DIM="OPTION"…
/// value="` + the figure's text + `"/>`.
pub fn write_adx_xml(
    report: &Report<'_>,
    rows: &ExchangeRows<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"{}T00:00:00\">",
        report.as_of
    )?;
    let period = report.period.time_range();
    let data_set = escape(&report.regime.id);
    // A derived cell has no pieces: it is not sent.
    let cells: Vec<Option<(Vec<u8>, Vec<u8>)>> = rows
        .cells()
        .iter()
        .map(|(indicator, disagg)| {
            (!indicator.is_derived()).then(|| adx_cell(&indicator.code, disagg))
        })
        .collect();
    let units = rows.units();
    let mut open: Option<&str> = None;
    for (unit, cell, column, value) in rows.figures() {
        let Some((head, attributes)) = &cells[cell] else {
            continue;
        };
        let unit = units[unit].0;
        if open != Some(unit) {
            if open.is_some() {
                out.write_all(b"  </group>\n")?;
            }
            writeln!(
                out,
                "  <group orgUnit=\"{}\" period=\"{period}\" dataSet=\"{data_set}\">",
                escape(unit),
            )?;
            open = Some(unit);
        }
        for part in [
            head.as_slice(),
            kind(column).as_bytes(),
            attributes,
            super::exchange::figure_text(value).as_bytes(),
            b"\"/>\n",
        ] {
            out.write_all(part)?;
        }
    }
    if open.is_some() {
        out.write_all(b"  </group>\n")?;
    }
    out.write_all(b"</adx>\n")?;
    out.flush()
}

/// An ADX data value's pieces for a cell: up to its value kind, and from after it to its
/// value. Dimension codes are checked to be XML names (`catalog::dimensions::check_code`).
fn adx_cell(code: &str, disagg: &crate::model::Disagg) -> (Vec<u8>, Vec<u8>) {
    let head = format!(
        "    <dataValue dataElement=\"{}\" VALUE_KIND=\"",
        escape(code)
    );
    let mut attributes = String::from("\"");
    for (d, o) in &disagg.0 {
        attributes.push_str(&format!(" {d}=\"{}\"", escape(o)));
    }
    attributes.push_str(" value=\"");
    (head.into_bytes(), attributes.into_bytes())
}

/// `datapackage.json`: a Frictionless tabular data package with one resource, `du-lieu.csv`
/// (`csv` is its manifest entry, for the hash and size), its fields, constraints and primary
/// key.
pub fn datapackage(report: &Report<'_>, csv: &super::exchange::FileEntry) -> String {
    let fields = schema_fields(report);
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
            "path": crate::output::names::EXCHANGE_CSV,
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
    crate::output::json(&package) + "\n"
}

/// The fields of `du-lieu.csv`'s table schema: name, type, title and constraints.
fn schema_fields(report: &Report<'_>) -> Vec<serde_json::Value> {
    let columns: Vec<&str> = InputColumn::ALL.iter().map(|c| c.key()).collect();
    let field = |name: &str, ty: &str, title: &str, constraints: serde_json::Value| {
        let mut f = json!({"name": name, "type": ty, "title": title});
        if !constraints.is_null() {
            f["constraints"] = constraints;
        }
        f
    };
    vec![
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// A DHIS2 data value as serde writes it: the reference the pieces are checked against.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct DataValue<'a> {
        attribute_option_combo: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        category_option_combo: Option<&'a str>,
        data_element: &'a str,
        org_unit: &'a str,
        period: &'a str,
        value: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct DataValueSet<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<&'a str>,
        complete_date: &'a str,
        data_set: &'a str,
        data_values: Vec<DataValue<'a>>,
        org_unit: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        period: Option<&'a str>,
    }

    const TEXTS: [&str; 9] = [
        "",
        "TT01",
        "say \"hi\"",
        "back\\slash",
        "line\nbreak\ttab",
        "\u{1}ctl",
        "Hà Nội – 9 tháng",
        "</x>&amp;",
        "dim=a;dim2=b",
    ];

    #[test]
    fn dhis2_pieces_put_together_are_what_serde_json_writes() {
        let mut rng = fastrand::Rng::with_seed(11);
        let pick = |rng: &mut fastrand::Rng| TEXTS[rng.usize(..TEXTS.len())];
        for _ in 0..2000 {
            let values: Vec<DataValue<'_>> = (0..rng.usize(0..4))
                .map(|_| DataValue {
                    attribute_option_combo: pick(&mut rng),
                    category_option_combo: rng.bool().then(|| pick(&mut rng)),
                    data_element: pick(&mut rng),
                    org_unit: pick(&mut rng),
                    period: pick(&mut rng),
                    // A figure's text: digits, point and sign.
                    value: ["0", "-12.5", "7284472"][rng.usize(..3)],
                })
                .collect();
            let set = DataValueSet {
                comment: rng.bool().then(|| pick(&mut rng)),
                complete_date: pick(&mut rng),
                data_set: pick(&mut rng),
                org_unit: pick(&mut rng),
                period: rng.bool().then(|| pick(&mut rng)),
                data_values: values,
            };
            let mut joined = dhis2::head(set.comment, set.complete_date, set.data_set);
            for (i, v) in set.data_values.iter().enumerate() {
                if i > 0 {
                    joined.push(b',');
                }
                joined.extend(dhis2::column(v.attribute_option_combo));
                joined.extend(dhis2::cell(v.data_element, v.category_option_combo));
                joined.extend(dhis2::unit(v.org_unit, v.period));
                joined.extend(v.value.as_bytes());
                joined.extend(dhis2::END);
            }
            joined.extend(dhis2::tail(set.org_unit, set.period));
            assert_eq!(
                String::from_utf8(joined).unwrap(),
                serde_json::to_string(&set).unwrap()
            );
        }
    }

    #[test]
    fn an_adx_cell_s_pieces_hold_its_escaped_code_and_options() {
        let disagg = crate::model::Disagg::parse("gioi_tinh=nu;nhom=a&b\"c").unwrap();
        let (head, attributes) = adx_cell("X<1>", &disagg);
        let line = [
            head.as_slice(),
            b"thuc_hien",
            &attributes,
            b"12.5",
            b"\"/>\n",
        ]
        .concat();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "    <dataValue dataElement=\"X&lt;1&gt;\" VALUE_KIND=\"thuc_hien\" gioi_tinh=\"nu\" nhom=\"a&amp;b&quot;c\" value=\"12.5\"/>\n"
        );
        let (head, attributes) = adx_cell("TT01", &crate::model::Disagg::default());
        assert_eq!(head, b"    <dataValue dataElement=\"TT01\" VALUE_KIND=\"");
        assert_eq!(attributes, b"\" value=\"");
    }
}
