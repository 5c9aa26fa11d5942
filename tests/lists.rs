//! List annexes end to end on the samples: the tthc quarter's "Hồ sơ quá hạn" sheets of the 40
//! forms and the ntm half-year's "Công trình hoàn thành" sheets, gathered into
//! `danh-sach-<code>.csv` (read with the csv crate) and a sheet of `tong-hop.xlsx` (read with
//! calamine), checked row by row against the forms as calamine reads them; the planted faults
//! diagnosed at their cells.

mod common;

use std::path::Path;

use calamine::{open_workbook_auto, Reader};
use common::*;

fn run(regime: &str, period: &str, as_of: &str, out: &Path) {
    run_from(
        regime,
        period,
        as_of,
        &samples().join("inbox").join(regime),
        out,
    );
}

/// A run of the samples' regime on an inbox; its summary.
fn run_from(regime: &str, period: &str, as_of: &str, inbox: &Path, out: &Path) -> String {
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        regime,
        "--period",
        period,
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--as-of",
        as_of,
        "--no-history",
    ]);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    stdout
}

/// The rows typed on a form's list sheet: (row, cells as text) below the header row.
fn form_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .skip(3) // title, blank, header
        .map(|r| r.iter().skip(1).map(text).collect::<Vec<_>>())
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .collect()
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let head = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

#[test]
fn overdue_dossiers_are_gathered_from_every_form_in_the_trees_order() {
    let t = tempfile::tempdir().unwrap();
    run("tthc", "2026-Q3", "2026-09-30", t.path());
    let dir = t.path().join("tthc/2026-Q3");
    let (head, rows) = csv_rows(&dir.join("danh-sach-ho_so_qua_han.csv"));
    assert_eq!(
        head,
        [
            "unit_code",
            "unit_name",
            "stt",
            "ma_ho_so",
            "linh_vuc",
            "ngay_tiep_nhan",
            "ngay_tra",
            "so_ngay_qua_han",
            "ly_do"
        ]
    );
    // Every form's rows, read independently, in the inbox's order (the files are named by unit
    // code; the tree lists the communes 99001… then the departments, as the file names sort
    // within each level).
    let inbox = samples().join("inbox/tthc/2026-Q3");
    let mut expected: Vec<(String, Vec<String>)> = Vec::new();
    let units = std::fs::read_to_string(samples().join("units.toml")).unwrap();
    let order: Vec<String> = units
        .lines()
        .filter_map(|l| l.strip_prefix("code = \""))
        .map(|c| c.trim_end_matches('"').to_string())
        .collect();
    for code in &order {
        let Some(file) = std::fs::read_dir(&inbox)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{code}-"))
            })
        else {
            continue;
        };
        for r in form_rows(&file, "Hồ sơ quá hạn") {
            expected.push((code.clone(), r));
        }
    }
    assert_eq!(rows.len(), expected.len());
    assert!(rows.len() > 20, "{}", rows.len());
    for (row, (unit, typed)) in rows.iter().zip(&expected) {
        assert_eq!(&row[0], unit);
        // The dossier's code as typed; a date typed dd/mm/yyyy kept as yyyy-mm-dd.
        assert_eq!(row[3], typed[0]);
        let ymd = |d: &str| {
            let p: Vec<&str> = d.split('/').collect();
            format!("{}-{}-{}", p[2], p[1], p[0])
        };
        assert_eq!(row[5], ymd(&typed[2]));
    }
    // Each unit's rows numbered from 1.
    let first_of_99005: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "99005")
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(first_of_99005, ["1", "2", "3"]);
    // The planted faults: the unknown lĩnh vực left empty, the missing reason empty, the date
    // outside the quarter kept.
    let of = |u: &str| rows.iter().find(|r| r[0] == u && r[2] == "1").unwrap();
    assert_eq!(of("99010")[4], "");
    assert_eq!(of("99011")[8], "");
    assert_eq!(of("99009")[6], "2026-10-04");
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let at = |code: &str| -> Vec<(String, String, String)> {
        diags
            .iter()
            .filter(|d| d[0] == code)
            .map(|d| (d[2].clone(), d[3].clone(), d[4].clone()))
            .collect()
    };
    assert_eq!(
        at("BC0213"),
        [(
            "99009-xa-phuoc-an-2026-Q3.xlsx".into(),
            "Hồ sơ quá hạn".into(),
            "E4".into()
        )]
    );
    assert_eq!(
        at("BC0211"),
        [(
            "99010-xa-phuoc-son-2026-Q3.xlsx".into(),
            "Hồ sơ quá hạn".into(),
            "C4".into()
        )]
    );
    assert_eq!(
        at("BC0212"),
        [(
            "99011-xa-tan-phu-2026-Q3.xlsx".into(),
            "Hồ sơ quá hạn".into(),
            "G4".into()
        )]
    );
    // The workbook's sheet: the same rows, names and labels as printed.
    let sheet = sheet(&dir.join("tong-hop.xlsx"), "Hồ sơ quá hạn");
    assert_eq!(text(&sheet[0][0]), "Danh sách hồ sơ giải quyết quá hạn");
    assert_eq!(text(&sheet[2][0]), "Mã đơn vị");
    assert_eq!(sheet.len() - 3, rows.len());
    let line = &sheet[3];
    assert_eq!(text(&line[0]), rows[0][0]);
    assert_eq!(text(&line[1]), rows[0][1]);
    // Lĩnh vực as its name, the date as dd/mm/yyyy, the days a number.
    let lv = std::fs::read_to_string(library().join("indicators/linh-vuc.csv")).unwrap();
    let name = lv
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{},", rows[0][4])))
        .unwrap();
    assert_eq!(text(&line[4]), name);
    assert_eq!(num(&line[7]), rows[0][7].parse().ok());
}

#[test]
fn infrastructure_works_of_accepted_communes_only_reach_the_province() {
    let t = tempfile::tempdir().unwrap();
    run("ntm", "2026-H1", "2026-07-15", t.path());
    let dir = t.path().join("ntm/2026-H1");
    let (_, rows) = csv_rows(&dir.join("danh-sach-cong_trinh.csv"));
    // The rejected communes' works (99011, 99013, 99019) are not gathered; every accepted
    // commune's are, all of them.
    let inbox = samples().join("inbox/ntm/2026-H1");
    let mut expected = 0;
    let mut cost = 0.0;
    for e in std::fs::read_dir(&inbox).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".xlsx")
            || ["99011", "99013", "99019"]
                .iter()
                .any(|u| name.starts_with(u))
        {
            continue;
        }
        let typed = form_rows(&e.path(), "Công trình hoàn thành");
        expected += typed.len();
        // Typed the vi-VN way: "1.557,4".
        cost += typed
            .iter()
            .map(|r| {
                r[3].replace('.', "")
                    .replace(',', ".")
                    .parse::<f64>()
                    .unwrap()
            })
            .sum::<f64>();
    }
    let summed: f64 = rows.iter().map(|r| r[6].parse::<f64>().unwrap()).sum();
    assert!((summed - cost).abs() < 1e-6, "{summed} vs {cost}");
    assert_eq!(rows.len(), expected);
    for bad in ["99011", "99013", "99019"] {
        assert!(rows.iter().all(|r| r[0] != bad));
    }
    // The list feeds the province's figures (du-lieu.csv, column thuc_hien): the number of
    // works is the number of rows; by type, each type's rows (the row whose type is not in the
    // list, 99010's, counts in the total only); the cost is the lists' (99012 typed 100
    // million more than its list: said, and the list's used).
    let du_lieu = std::fs::read_to_string(dir.join("du-lieu.csv")).unwrap();
    let figure = |code: &str, disagg: &str| -> f64 {
        du_lieu
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[2] == "99" && f[3] == code && f[6] == "thuc_hien" && f[8] == disagg)
            .unwrap_or_else(|| panic!("{code} {disagg}"))[4]
            .parse()
            .unwrap()
    };
    assert_eq!(figure("NTM30", ""), expected as f64);
    let mut typed = 0;
    for code in ["giao_thong", "truong_hoc", "nha_van_hoa", "thuy_loi"] {
        let n = rows.iter().filter(|r| r[4] == code).count();
        typed += n;
        assert_eq!(
            figure("NTM30", &format!("loai_cong_trinh={code}")),
            n as f64
        );
    }
    assert_eq!(typed, expected - 1);
    assert!((figure("NTM31", "") - cost).abs() < 1e-6);
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let mismatch: Vec<_> = diags.iter().filter(|d| d[0] == "BC0412").collect();
    assert_eq!(mismatch.len(), 1, "{diags:?}");
    assert!(mismatch[0][2].starts_with("99012-"));
    assert_eq!(mismatch[0][4], "E24");
    // The narrative counts the works.
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    assert!(
        md.contains(&format!("Các xã hoàn thành {expected} công trình hạ tầng:")),
        "{md}"
    );
}

/// A list sent alone as CSV (`99009-danh-sach-ho_so_qua_han.csv`, column codes as header)
/// joins the unit's form: its rows replace the form's sheet, the unit's figures stay, and
/// the two files are not duplicates of each other.
#[test]
fn a_list_sent_alone_as_csv_joins_the_units_form() {
    let t = tempfile::tempdir().unwrap();
    let inbox = t.path().join("inbox/2026-Q3");
    copy_dir(&samples().join("inbox/tthc/2026-Q3"), &inbox);
    std::fs::write(
        inbox.join("99009-danh-sach-ho_so_qua_han.csv"),
        "ma_ho_so,linh_vuc,ngay_tiep_nhan,ngay_tra,so_ngay_qua_han,ly_do\n\
         H-01,Hộ tịch,01/07/2026,2026-07-20,4,Chờ xác minh\n\
         H-02,dat_dai,2026-08-03,,,Thiếu giấy tờ\n\
         H-03,Lâm nghiệp,02/08/2026,,2,\n",
    )
    .unwrap();
    let out = t.path().join("out");
    let stdout = run_from(
        "tthc",
        "2026-Q3",
        "2026-09-30",
        &t.path().join("inbox"),
        &out,
    );
    assert!(stdout.contains("Báo cáo được chấp nhận: 40"), "{stdout}");
    let dir = out.join("tthc/2026-Q3");
    let (_, rows) = csv_rows(&dir.join("danh-sach-ho_so_qua_han.csv"));
    let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "99009").collect();
    assert_eq!(mine.len(), 3);
    assert_eq!(
        mine[0][3..9],
        [
            "H-01",
            "ho_tich",
            "2026-07-01",
            "2026-07-20",
            "4",
            "Chờ xác minh"
        ]
    );
    assert_eq!(mine[1][4], "dat_dai");
    // The unknown lĩnh vực left empty, the missing reason said, each at its CSV cell.
    assert_eq!(mine[2][4], "");
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let of = |code: &str| -> Vec<String> {
        diags
            .iter()
            .filter(|d| d[0] == code && d[2] == "99009-danh-sach-ho_so_qua_han.csv")
            .map(|d| d[4].clone())
            .collect()
    };
    assert_eq!(of("BC0211"), ["B4"]);
    assert_eq!(of("BC0212"), ["F4"]);
    assert!(diags.iter().all(|d| d[0] != "BC0601"), "{diags:?}");
    // The form's own rows (its planted late date among them) are not gathered: the CSV's are.
    assert!(rows
        .iter()
        .all(|r| !(r[0] == "99009" && r[6] == "2026-10-04")));
}

/// A figure of the province's `du-lieu.csv` (column thuc_hien), by indicator and breakdown.
fn figure(dir: &Path, code: &str, disagg: &str) -> f64 {
    std::fs::read_to_string(dir.join("du-lieu.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f[2] == "99" && f[3] == code && f[6] == "thuc_hien" && f[8] == disagg)
        .unwrap_or_else(|| panic!("{code} {disagg}"))[4]
        .parse()
        .unwrap()
}

/// A list sent as CSV feeds the unit's figures in place of its form's list: 99012's two works
/// (one road, one cultural house) are what the province counts of it, in all and by type, its
/// typed number of works (1) and cost (543,4) are checked against them (BC0412 at the form's
/// cells; the list's figures used), "3.500" typed the vi-VN way is read as 3500 with a warning
/// at its CSV cell, and what the form's own list was faulted for is no longer said.
#[test]
fn a_list_sent_as_csv_feeds_the_figures_in_place_of_the_forms_list() {
    let t = tempfile::tempdir().unwrap();
    run("ntm", "2026-H1", "2026-07-15", &t.path().join("base"));
    let base = t.path().join("base/ntm/2026-H1");
    let inbox = t.path().join("inbox/2026-H1");
    copy_dir(&samples().join("inbox/ntm/2026-H1"), &inbox);
    let form = inbox.join("99012-xa-tan-lap-2026-H1.xlsx");
    let typed = form_rows(&form, "Công trình hoàn thành");
    let typed_roads = typed.iter().filter(|r| r[1] == "Giao thông").count();
    assert!(!typed.is_empty());
    std::fs::write(
        inbox.join("99012-danh-sach-cong_trinh.csv"),
        "ten,loai,ngay_hoan_thanh,tong_von\n\
         Đường trục xã,giao_thong,15/03/2026,3.500\n\
         Nhà văn hóa ấp 2,Nhà văn hóa,2026-05-20,\"120,5\"\n",
    )
    .unwrap();
    let out = t.path().join("out");
    run_from(
        "ntm",
        "2026-H1",
        "2026-07-15",
        &t.path().join("inbox"),
        &out,
    );
    let dir = out.join("ntm/2026-H1");
    let roads = "loai_cong_trinh=giao_thong";
    assert_eq!(
        figure(&dir, "NTM30", ""),
        figure(&base, "NTM30", "") - typed.len() as f64 + 2.0
    );
    assert_eq!(
        figure(&dir, "NTM30", roads),
        figure(&base, "NTM30", roads) - typed_roads as f64 + 1.0
    );
    let (_, rows) = csv_rows(&dir.join("danh-sach-cong_trinh.csv"));
    let mine: Vec<_> = rows.iter().filter(|r| r[0] == "99012").collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(
        (mine[0][6].as_str(), mine[1][6].as_str()),
        ("3500", "120.5")
    );
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let at = |code: &str, file: &str| -> Vec<(String, String)> {
        diags
            .iter()
            .filter(|d| d[0] == code && d[2] == file)
            .map(|d| (d[4].clone(), d[5].clone()))
            .collect()
    };
    let mismatch = at("BC0412", "99012-xa-tan-lap-2026-H1.xlsx");
    assert_eq!(mismatch.len(), 2, "{diags:?}");
    let said = |cell: &str| &mismatch.iter().find(|m| m.0 == cell).unwrap().1;
    assert!(
        said("E23").contains("NTM30 = 1 trên biểu nhưng số dòng"),
        "{mismatch:?}"
    );
    assert!(
        said("E23").contains("là 2; số từ danh sách được dùng."),
        "{mismatch:?}"
    );
    assert!(
        said("E24").contains("NTM31 = 543,4 trên biểu nhưng tổng cột"),
        "{mismatch:?}"
    );
    assert!(said("E24").contains("là 3.620,5;"), "{mismatch:?}");
    let ambiguous = at("BC0202", "99012-danh-sach-cong_trinh.csv");
    assert_eq!(ambiguous.len(), 1, "{diags:?}");
    assert_eq!(ambiguous[0].0, "D2");
    assert!(
        ambiguous[0].1.contains("được đọc là 3500"),
        "{}",
        ambiguous[0].1
    );
    // Nothing is said of the form's replaced list.
    assert!(diags
        .iter()
        .all(|d| !(d[2] == "99012-xa-tan-lap-2026-H1.xlsx" && d[3] == "Công trình hoàn thành")));
}

/// A list typed as a block below the table of figures, on the same sheet, before the
/// signature, the list's own sheet left empty: the table ends above the list's header, the
/// list is read from there, its faults point at the cells of that sheet, and what the office
/// gathers is what the form with the list on its own sheet gives.
#[test]
fn a_list_block_below_the_table_is_read_as_the_list() {
    use calamine::Data;
    let t = tempfile::tempdir().unwrap();
    run("ntm", "2026-H1", "2026-07-15", &t.path().join("base"));
    let base = t.path().join("base/ntm/2026-H1");
    let inbox = t.path().join("inbox/2026-H1");
    copy_dir(&samples().join("inbox/ntm/2026-H1"), &inbox);
    let name = "99010-xa-phuoc-son-2026-H1.xlsx";
    let form = inbox.join(name);
    let main = common::sheet(&form, "Biểu số liệu");
    let list = common::sheet(&form, "Công trình hoàn thành");
    let meta = common::sheet(&form, "_baocao");
    // The table ends at row 24 (NTM31); the signature block follows a blank row.
    assert_eq!(text(&main[23][1]), "NTM31");
    let mut rows: Vec<Vec<Data>> = main[..24].to_vec();
    rows.push(Vec::new());
    rows.extend(list.iter().cloned());
    rows.push(Vec::new());
    rows.extend(main[24..].iter().cloned());
    let write = |ws: &mut rust_xlsxwriter::Worksheet, rows: &[Vec<Data>]| {
        for (r, row) in rows.iter().enumerate() {
            for (c, d) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match d {
                    Data::String(s) => ws.write_string(r, c, s).map(|_| ()),
                    Data::Float(f) => ws.write_number(r, c, *f).map(|_| ()),
                    Data::Int(i) => ws.write_number(r, c, *i as f64).map(|_| ()),
                    _ => Ok(()),
                }
                .unwrap();
            }
        }
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    write(wb.add_worksheet().set_name("Biểu số liệu").unwrap(), &rows);
    // The list's own sheet left as the blank form has it: its title and header, no row.
    write(
        wb.add_worksheet()
            .set_name("Công trình hoàn thành")
            .unwrap(),
        &list[..3],
    );
    write(wb.add_worksheet().set_name("_baocao").unwrap(), &meta);
    std::fs::write(&form, wb.save_to_buffer().unwrap()).unwrap();

    let out = t.path().join("out");
    run_from(
        "ntm",
        "2026-H1",
        "2026-07-15",
        &t.path().join("inbox"),
        &out,
    );
    let dir = out.join("ntm/2026-H1");
    let of = |dir: &Path| -> Vec<Vec<String>> {
        csv_rows(&dir.join("danh-sach-cong_trinh.csv"))
            .1
            .into_iter()
            .filter(|r| r[0] == "99010")
            .collect()
    };
    assert_eq!(of(&dir), of(&base));
    assert_eq!(of(&dir).len(), list.len() - 3);
    let figures = |dir: &Path| -> Vec<String> {
        std::fs::read_to_string(dir.join("du-lieu.csv"))
            .unwrap()
            .lines()
            .filter(|l| l.contains(",99010,"))
            .map(str::to_string)
            .collect()
    };
    assert!(figures(&base).len() > 20);
    assert_eq!(figures(&dir), figures(&base));
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let mine: Vec<_> = diags.iter().filter(|d| d[2] == name).collect();
    // The commune's list row 1 (its type "Lâm nghiệp" not one of the options) is the sheet's
    // row 29: 24 rows of the table, a blank row, the list's title, a blank row, its header.
    assert!(
        mine.iter()
            .any(|d| d[0] == "BC0211" && d[3] == "Biểu số liệu" && d[4] == "C29"),
        "{mine:?}"
    );
    assert!(
        mine.iter().all(|d| d[0] != "BC0205" && d[0] != "BC0214"),
        "{mine:?}"
    );
}

/// What a report lacks of its lists is said: a unit that sent its list and no form (BC0216,
/// its list gathered, its figures missing), and an exchange file carrying many units without
/// any list (BC0214 once, for the file, naming what to send).
#[test]
fn a_list_without_figures_and_figures_without_their_list_are_said() {
    let t = tempfile::tempdir().unwrap();
    run("tthc", "2026-Q3", "2026-09-30", &t.path().join("base"));
    // 99009 sends only its list.
    let inbox = t.path().join("inbox/2026-Q3");
    copy_dir(&samples().join("inbox/tthc/2026-Q3"), &inbox);
    std::fs::remove_file(inbox.join("99009-xa-phuoc-an-2026-Q3.xlsx")).unwrap();
    std::fs::write(
        inbox.join("99009-danh-sach-ho_so_qua_han.csv"),
        "ma_ho_so,linh_vuc,ngay_tiep_nhan,ngay_tra,so_ngay_qua_han,ly_do\n\
         H-01,Hộ tịch,01/07/2026,2026-07-20,4,Chờ xác minh\n",
    )
    .unwrap();
    let out = t.path().join("out");
    run_from(
        "tthc",
        "2026-Q3",
        "2026-09-30",
        &t.path().join("inbox"),
        &out,
    );
    let dir = out.join("tthc/2026-Q3");
    let diags = diagnostics_with_cells(&dir.join("tong-hop.xlsx"));
    let only: Vec<_> = diags.iter().filter(|d| d[0] == "BC0216").collect();
    assert_eq!(only.len(), 1, "{diags:?}");
    assert_eq!(only[0][2], "99009-danh-sach-ho_so_qua_han.csv");
    assert!(
        only[0][5].starts_with("Xã Phước An (99009) chỉ gửi danh sách"),
        "{}",
        only[0][5]
    );
    let (_, rows) = csv_rows(&dir.join("danh-sach-ho_so_qua_han.csv"));
    assert_eq!(rows.iter().filter(|r| r[0] == "99009").count(), 1);

    // The province's own du-lieu.csv read back: every commune's figures, no list.
    let inbox = t.path().join("exchange/2026-Q3");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(
        t.path().join("base/tthc/2026-Q3/du-lieu.csv"),
        inbox.join("du-lieu.csv"),
    )
    .unwrap();
    let out = t.path().join("out2");
    run_from(
        "tthc",
        "2026-Q3",
        "2026-09-30",
        &t.path().join("exchange"),
        &out,
    );
    let diags = diagnostics_with_cells(&out.join("tthc/2026-Q3/tong-hop.xlsx"));
    let missing: Vec<_> = diags.iter().filter(|d| d[0] == "BC0214").collect();
    assert_eq!(missing.len(), 1, "{diags:?}");
    assert_eq!(
        (missing[0][2].as_str(), missing[0][3].as_str()),
        ("du-lieu.csv", "Hồ sơ quá hạn")
    );
    assert!(
        missing[0][5].contains("danh-sach-ho_so_qua_han.csv"),
        "{}",
        missing[0][5]
    );
}
