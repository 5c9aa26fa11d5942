//! End-to-end: how forms print their rows and figures — "Trong đó:" parts, forms without the
//! "Mã số" column (`show_codes = false`), an indicator's `decimals` — and that what they
//! print is read back.

mod common;
use std::path::Path;

use common::*;

/// A1 reference of a zero-based cell.
fn a1(r: usize, c: usize) -> String {
    let mut col = String::new();
    let mut n = c + 1;
    while n > 0 {
        col.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{col}{}", r + 1)
}

/// Writes `v` into blank cell `r` of the first sheet's XML.
fn put(xml: &str, r: &str, v: f64) -> String {
    let tag = format!("<c r=\"{r}\" ");
    let at = xml.find(&tag).unwrap_or_else(|| panic!("no cell {r}"));
    let end = at + xml[at..].find('>').unwrap();
    assert_eq!(&xml[end - 1..=end], "/>", "cell {r} is blank");
    format!("{}><v>{v}</v></c>{}", &xml[..end - 1], &xml[end + 1..])
}

/// The sample root with the ktxh form's codes hidden and NN01 printed with one decimal.
fn root_without_codes(dir: &Path) -> std::path::PathBuf {
    let root = sample_root(dir);
    let regime = root.join("report-templates/ktxh/regime.toml");
    let text = std::fs::read_to_string(&regime).unwrap().replacen(
        "columns = [\"ke_hoach\", \"thuc_hien\", \"luy_ke\"]",
        "columns = [\"ke_hoach\", \"thuc_hien\", \"luy_ke\"]\nshow_codes = false",
        1,
    );
    std::fs::write(&regime, text).unwrap();
    let catalog = root.join("indicators/kinh-te.toml");
    let text = std::fs::read_to_string(&catalog).unwrap().replacen(
        "code = \"NN01\"\nname = \"Diện tích gieo trồng cây hằng năm\"\nunit = \"ha\"\ntype = \"decimal\"\n",
        "code = \"NN01\"\nname = \"Diện tích gieo trồng cây hằng năm\"\nunit = \"ha\"\ntype = \"decimal\"\ndecimals = 1\n",
        1,
    );
    assert!(text.contains("decimals = 1"));
    std::fs::write(&catalog, text).unwrap();
    root
}

#[test]
fn a_form_without_codes_prints_parts_as_trong_do_and_reads_back_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = root_without_codes(dir.path());
    let blank = dir.path().join("blank");
    let (code, _, err) = baocao(&[
        "--root",
        s(&root),
        "form",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--unit",
        "99009",
        "--out",
        s(&blank),
    ]);
    assert_eq!(code, 0, "{err}");
    let name = "99009-xa-phuoc-an-2026-10.xlsx";
    let rows = sheet(&blank.join(name), "Biểu số liệu");
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Chỉ tiêu"))
        .unwrap();
    let heads: Vec<String> = rows[header].iter().map(text).collect();
    assert_eq!(&heads[..3], ["STT", "Chỉ tiêu", "Đơn vị tính"], "{heads:?}");
    assert!(!heads.iter().any(|h| h == "Mã số"));
    let col = |start: &str| heads.iter().position(|h| h.starts_with(start)).unwrap();
    let (kh, th, lk) = (col("Kế hoạch"), col("Thực hiện"), col("Lũy kế"));
    let row = |label: &str| {
        rows.iter()
            .position(|r| r.get(1).map(text).as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no row \"{label}\""))
    };
    // A total's parts: "Trong đó:" first, "- " after, numbered "–".
    let nn01 = row("Diện tích gieo trồng cây hằng năm");
    assert_eq!(row("Trong đó: Diện tích lúa"), nn01 + 1);
    assert_eq!(row("- Diện tích cây hằng năm khác"), nn01 + 2);
    assert_eq!(text(&rows[nn01 + 1][0]), "–");
    let dl02 = row("Trong đó: Khách du lịch quốc tế");
    // Filled with figures: NN01 by plan, actual and year-to-date; its parts and tourists.
    // Every other indicator row's figure (required): 1.
    let mut cells: Vec<(usize, usize, f64)> = (header + 1..rows.len())
        .filter(|r| {
            let stt = text(&rows[*r][0]);
            stt == "–" || stt.parse::<u32>().is_ok()
        })
        .filter(|r| ![nn01, nn01 + 1, nn01 + 2, dl02 - 1, dl02].contains(r))
        .map(|r| (r, th, 1.0))
        .collect();
    cells.extend([
        (nn01, kh, 5000.0),
        (nn01, th, 1234.567),
        (nn01, lk, 4321.5),
        (nn01 + 1, th, 800.25),
        (nn01 + 2, th, 434.317),
        (dl02 - 1, th, 900.0),
        (dl02, th, 120.0),
    ]);
    let bytes = std::fs::read(blank.join(name)).unwrap();
    let filled = rezip(
        &bytes,
        &sheet_edit(move |mut xml| {
            for (r, c, v) in &cells {
                let (r, c, v) = (*r, *c, *v);
                xml = put(&xml, &a1(r, c), v);
            }
            xml
        }),
    );
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join(name), filled).unwrap();
    let out = run_october(&root, &inbox, &dir.path().join("out"));

    // Every figure read by name, unrounded in du-lieu.csv.
    let data = csv_rows(&out.join("du-lieu.csv"));
    let value = |unit: &str, code: &str, column: &str| {
        data.iter()
            .find(|r| {
                r["unit_code"] == unit && r["indicator_code"] == code && r["column"] == column
            })
            .map(|r| r["value"].clone())
    };
    for (code, column, v) in [
        ("NN01", "ke_hoach", "5000"),
        ("NN01", "thuc_hien", "1234.567"),
        ("NN01", "luy_ke", "4321.5"),
        ("NN02", "thuc_hien", "800.25"),
        ("NN03", "thuc_hien", "434.317"),
        ("DL01", "thuc_hien", "900"),
        ("DL02", "thuc_hien", "120"),
    ] {
        assert_eq!(
            value("99009", code, column).as_deref(),
            Some(v),
            "{code} {column}"
        );
    }

    // tong-hop.xlsx: no codes on the form sheet, the same labels, NN01 with one decimal.
    let tong_hop = out.join("tong-hop.xlsx");
    let rows = sheet(&tong_hop, "Biểu số liệu");
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Chỉ tiêu"))
        .unwrap();
    let heads: Vec<String> = rows[header].iter().map(text).collect();
    assert!(!heads.iter().any(|h| h == "Mã số"), "{heads:?}");
    let labels: Vec<String> = rows.iter().filter_map(|r| r.get(1).map(text)).collect();
    assert!(labels.iter().any(|l| l == "Trong đó: Diện tích lúa"));
    assert!(labels.iter().any(|l| l == "- Diện tích cây hằng năm khác"));
    let styles = cell_styles(&tong_hop, 1);
    let nn01 = labels
        .iter()
        .position(|l| l == "Diện tích gieo trồng cây hằng năm")
        .unwrap();
    let th = heads
        .iter()
        .position(|h| h.starts_with("Thực hiện"))
        .unwrap();
    let vs_plan = heads
        .iter()
        .position(|h| h == "Lũy kế so với kế hoạch năm (%)")
        .unwrap();
    assert_eq!(num(&rows[nn01][th]), Some(1234.567), "the figure unrounded");
    assert_eq!(styles[&a1(nn01, th)].number_format, "#,##0.0");
    assert_eq!(styles[&a1(nn01 + 1, th)].number_format, "#,##0.00");
    // A computed % is shown with one decimal, whatever it holds.
    let pct = num(&rows[nn01][vs_plan]).unwrap();
    assert!((pct - 4321.5 / 5000.0 * 100.0).abs() < 1e-6, "{pct}");
    assert_eq!(styles[&a1(nn01, vs_plan)].number_format, "#,##0.0");
    // The by-unit sheet keeps the codes; NN01's row has one decimal.
    let by_unit = sheet(&tong_hop, "Theo đơn vị");
    let r = by_unit.iter().position(|r| text(&r[0]) == "NN01").unwrap();
    assert_eq!(
        cell_styles(&tong_hop, 2)[&a1(r, 3)].number_format,
        "#,##0.0"
    );

    // The narrative: NN01 with one decimal, parts listed as the form lists them.
    let md = std::fs::read_to_string(out.join("bao-cao.md")).unwrap();
    assert!(md.contains("1.234,6 ha"), "{md}");
    assert!(!md.contains("1.234,57"), "{md}");
    assert!(
        md.contains("| – | *Trong đó: Diện tích lúa* | ha | 800,25 |"),
        "{md}"
    );
    assert!(
        md.contains("| – | *- Diện tích cây hằng năm khác* |"),
        "{md}"
    );
}

#[test]
fn decimals_outside_0_to_6_is_a_config_error_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let catalog = root.join("indicators/kinh-te.toml");
    let text = std::fs::read_to_string(&catalog).unwrap().replacen(
        "type = \"decimal\"\n",
        "type = \"decimal\"\ndecimals = 7\n",
        1,
    );
    std::fs::write(&catalog, text).unwrap();
    let (code, out, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_ne!(code, 0, "{out}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("indicators/kinh-te.toml")
            && said.contains("(NN01).decimals")
            && said.contains("decimals = 7 không hợp lệ"),
        "{said}"
    );
}

/// Whether cell `r` of the first sheet of the workbook at `path` is set in bold.
fn is_bold(path: &Path, r: &str) -> bool {
    let styles = zip_part(path, "xl/styles.xml");
    let xml = zip_part(path, "xl/worksheets/sheet1.xml");
    let attr = |tag: &str, name: &str| -> Option<usize> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..at + tag[at..].find('"')?].parse().ok()
    };
    let cell = xml
        .split("<c ")
        .find(|c| c.starts_with(&format!("r=\"{r}\"")))
        .unwrap();
    let xf = attr(&format!(" {}", &cell[..cell.find('>').unwrap()]), "s").unwrap_or(0);
    let section = |name: &str| {
        let from = styles.find(&format!("<{name} ")).unwrap();
        &styles[from..from + styles[from..].find(&format!("</{name}>")).unwrap()]
    };
    let xf_tag = section("cellXfs")
        .split("<xf ")
        .nth(xf + 1)
        .unwrap()
        .to_string();
    let font = attr(&format!(" {xf_tag}"), "fontId").unwrap();
    let font_xml = section("fonts").split("<font>").nth(font + 1).unwrap();
    font_xml.contains("<b/>")
}

#[test]
fn a_matrix_sub_row_prints_trong_do_and_a_total_row_is_bold_and_both_read_back() {
    use baocao::catalog::{Config, InputColumn};
    use baocao::render::form::CellValue;
    use baocao::render::{unit_form, Fill};
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let regime_file = root.join("report-templates/cbcc/regime.toml");
    let text_of = std::fs::read_to_string(&regime_file).unwrap();
    assert!(text_of.contains("label = \"Trong đó: Đảng viên\""));
    std::fs::write(
        &regime_file,
        text_of.replace("label = \"Trong đó: Đảng viên\"", "label = \"Đảng viên\""),
    )
    .unwrap();
    let config = Config::load(&root).unwrap_or_else(|e| panic!("{e}"));
    let layout = config.layout("cbcc").unwrap();
    assert!(layout.rows[0].total, "Tổng số, an empty selector");
    assert_eq!(layout.rows[1].label, "Đảng viên");
    assert_eq!(layout.rows[1].printed, "Trong đó: Đảng viên");
    assert!(!layout.rows[1].total);

    let regime = config.regime("cbcc").unwrap();
    let unit = config.units.get("SNV").unwrap();
    let mut fill = Fill::default();
    for (k, v) in [("CC01", 250.0), ("CC01[dang_vien=dang_vien]", 100.0)] {
        fill.values
            .insert((k.to_string(), InputColumn::ThucHien), CellValue::Number(v));
    }
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let file = inbox.join("snv.xlsx");
    let bytes = unit_form(&config, regime, "2026".parse().unwrap(), unit, Some(&fill)).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let rows = sheet(&file, "Biểu số liệu");
    let at = |label: &str| {
        rows.iter()
            .position(|r| r.get(1).map(text).as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    let (total, party) = (at("Tổng số"), at("Trong đó: Đảng viên"));
    assert_eq!(party, total + 1);
    // The total row is bold across, its figures too; the sub row is not.
    assert!(is_bold(&file, &format!("B{}", total + 1)));
    assert!(is_bold(&file, &format!("C{}", total + 1)));
    assert!(!is_bold(&file, &format!("B{}", party + 1)));

    // Read back as printed, and with the row relabelled "- Đảng viên" or "Đảng viên".
    for relabel in ["Trong đó: Đảng viên", "- Đảng viên", "Đảng viên"] {
        let edited = rezip(&bytes, &|name, data| {
            if name == "xl/sharedStrings.xml" {
                String::from_utf8(data)
                    .unwrap()
                    .replace(">Trong đó: Đảng viên<", &format!(">{relabel}<"))
                    .into_bytes()
            } else {
                data
            }
        });
        std::fs::write(&file, edited).unwrap();
        let labels: Vec<String> = sheet(&file, "Biểu số liệu")
            .iter()
            .filter_map(|r| r.get(1).map(text))
            .collect();
        assert_eq!(labels[party], relabel);
        let (_, out, err) = baocao(&[
            "--root",
            s(&root),
            "check",
            "--regime",
            "cbcc",
            "--period",
            "2026",
            "--as-of",
            "2027-01-05",
            "--format",
            "json",
            s(&inbox),
        ]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}{err}"));
        let values = &v["submissions"][0]["values"];
        assert_eq!(
            values["CC01[dang_vien=dang_vien]"], 100.0,
            "{relabel}: {v:#}"
        );
        assert_eq!(values["CC01"], 250.0, "{relabel}");
    }
}

/// A matrix form numbered with letters (A, B, then 1) with one column of figures: its own blank
/// form, filled, is found and read back (the numbering row has a single number beside A, B).
#[test]
fn a_one_column_matrix_numbered_with_letters_reads_back() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(root.join("report-templates/mini")).unwrap();
    std::fs::create_dir_all(root.join("indicators")).unwrap();
    std::fs::copy(samples().join("units.toml"), root.join("units.toml")).unwrap();
    std::fs::copy(
        library().join("indicators/can-bo-cong-chuc.toml"),
        root.join("indicators/can-bo-cong-chuc.toml"),
    )
    .unwrap();
    std::fs::copy(
        library().join("report-templates/cbcc/de-cuong.md.tera"),
        root.join("report-templates/mini/de-cuong.md.tera"),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/one-column-regime.toml"),
        root.join("report-templates/mini/regime.toml"),
    )
    .unwrap();
    let config = baocao::catalog::Config::load(&root).unwrap_or_else(|e| panic!("{e}"));
    let regime = config.regime("mini").unwrap();
    let unit = config.units.get("99009").unwrap();
    let mut fill = baocao::render::Fill::default();
    fill.values.insert(
        ("CC01".to_string(), baocao::catalog::InputColumn::ThucHien),
        baocao::render::form::CellValue::Number(12.0),
    );
    let period: baocao::period::Period = "2026".parse().unwrap();
    let file = t.path().join("99009-xa-phuoc-an-2026.xlsx");
    std::fs::write(
        &file,
        baocao::render::unit_form(&config, regime, period, unit, Some(&fill)).unwrap(),
    )
    .unwrap();
    let (code, out, err) = baocao(&[
        "--root",
        s(&root),
        "check",
        "--regime",
        "mini",
        "--period",
        "2026",
        "--format",
        "json",
        s(&file),
    ]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert!(!codes.iter().any(|c| c == "BC0103"), "{out}");
    assert!(!codes.iter().any(|c| c.starts_with("BC04")), "{out}");
}
