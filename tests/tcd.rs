//! The sample regime `tcd` (Biểu số 01/TCD, tổng hợp kết quả tiếp công dân) end to end: the
//! official form in `samples/bieu-mau/` drafts into the committed form layout, and the quarter's
//! 39 filled forms in `samples/inbox/tcd/2026-Q3/` run into a consolidated form whose figures
//! are checked by hand, with exactly the two deliberate faults diagnosed, each at cells that
//! hold the figures its message quotes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use calamine::Data;
use common::*;

const PERIOD: &str = "2026-Q3";

/// (row, column) of an A1 reference, zero-based.
fn at(cell: &str) -> (usize, usize) {
    let letters: String = cell
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let row: usize = cell[letters.len()..].parse().unwrap();
    let col = letters
        .bytes()
        .fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A' + 1));
    (row - 1, col - 1)
}

fn value(rows: &[Vec<Data>], cell: &str) -> Option<f64> {
    let (r, c) = at(cell);
    rows.get(r).and_then(|row| row.get(c)).and_then(num)
}

/// Every "X12 = 34" a message quotes, as (cell, figure).
fn quoted(message: &str) -> Vec<(String, f64)> {
    let words: Vec<&str> = message.split_whitespace().collect();
    let mut out = Vec::new();
    for w in words.windows(3) {
        let cell = w[0].trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let is_cell = cell.len() >= 2
            && cell.starts_with(|c: char| c.is_ascii_uppercase())
            && cell.ends_with(|c: char| c.is_ascii_digit())
            && cell
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        // "H16) = 24" ends a list of cells a computed total came from: see `computed`.
        let bare = w[0].trim_start_matches('(') == cell;
        if is_cell && bare && w[1] == "=" {
            let n = w[2]
                .trim_end_matches([',', ')', '.'])
                .replace('.', "")
                .replace(',', ".");
            if let Ok(v) = n.parse() {
                out.push((cell.to_string(), v));
            }
        }
    }
    out
}

/// The computed totals a message quotes: "(…, tính từ các ô D14, H14, D15:D16) = 24" gives
/// (["D14", "H14", "D15", "D16"], 24).
fn computed(message: &str) -> Vec<(Vec<String>, f64)> {
    let mut out = Vec::new();
    for part in message.split("tính từ các ô ").skip(1) {
        let Some((list, rest)) = part.split_once(") = ") else {
            continue;
        };
        let mut cells = Vec::new();
        for c in list.split(", ") {
            match c.split_once(':') {
                Some((a, b)) => {
                    let split = |x: &str| {
                        let at = x.find(|ch: char| ch.is_ascii_digit()).unwrap();
                        (x[..at].to_string(), x[at..].parse::<u32>().unwrap())
                    };
                    let ((col, from), (_, to)) = (split(a), split(b));
                    cells.extend((from..=to).map(|r| format!("{col}{r}")));
                }
                None => cells.push(c.to_string()),
            }
        }
        let n = rest.split_whitespace().next().unwrap_or("");
        let n = n
            .trim_end_matches([',', ')', '.'])
            .replace('.', "")
            .replace(',', ".");
        out.push((cells, n.parse().unwrap()));
    }
    out
}

fn run(out: &Path) -> (i32, String) {
    let (code, stdout, stderr) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "tcd",
        "--period",
        PERIOD,
        "--inbox",
        s(&samples().join("inbox/tcd")),
        "--out",
        s(out),
        "--as-of",
        "2026-09-30",
        "--no-history",
    ]);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn the_sample_quarter_consolidates_39_units_and_names_its_two_faults_at_the_right_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, log) = run(tmp.path());
    // One form is rejected (a blocking fault): exit code 1, by design.
    assert_eq!(code, 1, "{log}");
    // 30 communes and 9 departments report (Công an tỉnh, of kind "cong-an", reports to its own
    // branch): 39 forms read, 38 accepted, all on time; nobody missing.
    assert!(log.contains("Tệp đã đọc:            39"), "{log}");
    assert!(
        log.contains("Báo cáo được chấp nhận: 38 (đúng hạn 38, muộn 0)"),
        "{log}"
    );
    assert!(log.contains("Tệp bị từ chối:        1"), "{log}");
    assert!(
        log.contains("Đơn vị chưa gửi:       0 quá hạn, 0 chưa đến hạn"),
        "{log}"
    );
    let dir = tmp.path().join("tcd").join(PERIOD);
    let xlsx = dir.join("tong-hop.xlsx");
    let compliance = sheet(&xlsx, "Tuân thủ");
    let units = compliance
        .iter()
        .filter(|r| {
            r.iter()
                .any(|c| text(c).ends_with("-2026-Q3.xlsx") || text(c) == "chưa gửi")
        })
        .count();
    assert_eq!(units, 39, "{compliance:?}");

    // The diagnostics: only the two planted faults, three lines in all.
    let diags = diagnostics_with_cells(&xlsx);
    assert!(diags.len() <= 12, "{diags:#?}");
    let codes: Vec<(&str, &str, &str)> = diags
        .iter()
        .map(|d| (d[0].as_str(), d[1].as_str(), d[2].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("BC0408", "chặn", "99008-phuong-nam-thanh-2026-Q3.xlsx"),
            ("BC0407", "cảnh báo", "SYT-so-y-te-2026-Q3.xlsx"),
            ("BC0407", "cảnh báo", "SYT-so-y-te-2026-Q3.xlsx"),
        ],
        "{diags:#?}"
    );
    let inbox = samples().join("inbox/tcd").join(PERIOD);
    for d in &diags {
        let input = sheet(&inbox.join(&d[2]), &d[3]);
        // Every "cell = figure" the message quotes is what the unit's file holds there.
        let q = quoted(&d[5]);
        assert!(!q.is_empty(), "{}", d[5]);
        for (cell, v) in &q {
            assert_eq!(
                value(&input, cell),
                Some(*v),
                "{cell} in {}: {}",
                d[2],
                d[5]
            );
        }
        // Every computed total it quotes is the sum of the cells it names.
        for (cells, total) in computed(&d[5]) {
            let sum: f64 = cells.iter().map(|c| value(&input, c).unwrap()).sum();
            assert_eq!(sum, total, "{cells:?} in {}: {}", d[2], d[5]);
        }
        // The cell named is one the message cites.
        assert!(d[5].contains(&d[4]), "{} not cited: {}", d[4], d[5]);
    }
    // The blocking fault: Phường Nam Thành, row 2 (Lãnh đạo), khiếu nại typed 11 (O15) for a
    // row of 4 cases: cũ E15 + I15 = 1 + 0, mới phát sinh F15 + J15 = 1 + 2.
    let nam_thanh = sheet(
        &inbox.join("99008-phuong-nam-thanh-2026-Q3.xlsx"),
        "Biểu số liệu",
    );
    let cases: f64 = ["E15", "F15", "I15", "J15"]
        .iter()
        .map(|c| value(&nam_thanh, c).unwrap())
        .sum();
    assert_eq!(cases, 4.0);
    assert!(
        diags[0][5]
            .contains("Khiếu nại O15 = 11, Tố cáo P15 = 0) cộng lại = 11, lớn hơn tổng số 4"),
        "{}",
        diags[0][5]
    );
    // The warning: Sở Y tế's "Tổng cộng" row, column 2 (D17) typed 17 for rows 1–3 of 0 + 5 + 2.
    assert!(
        diags.iter().any(|d| d[5].contains("(thực hiện kỳ báo cáo, ô D17) = 17")
            && d[5].contains(
                "(Ban Tiếp công dân D14 = 0, Lãnh đạo D15 = 5, Cơ quan, đơn vị D16 = 2) = 7 (lệch 10)"
            )),
        "{diags:#?}"
    );

    // The consolidated form (sheet "Biểu số liệu" of tong-hop.xlsx): rows 14–16 are Ban Tiếp
    // công dân, Lãnh đạo, Cơ quan đơn vị, row 17 Tổng cộng; columns C … P are 1 … 14. Sums over
    // the 38 accepted forms (Phường Nam Thành's is rejected), read off the unit files.
    let form = sheet(&xlsx, "Biểu số liệu");
    let labels: Vec<String> = (13..17).map(|r| text(&form[r][1])).collect();
    assert_eq!(
        labels,
        [
            "Ban Tiếp công dân",
            "Lãnh đạo",
            "Cơ quan, đơn vị",
            "Tổng cộng"
        ]
    );
    // Column 9 (số đoàn), Tổng cộng: one đoàn each at 99001, 99005, 99012, 99013, 99021, 99024,
    // 99026, 99027, 99028, 99029, SGDDT, SNV, SXD, SYT (14) and two at 99006: 14 + 2 = 16
    // (99008's one đoàn is in the rejected form).
    assert_eq!(value(&form, "K17"), Some(16.0));
    // Column 11 (vụ việc cũ của đoàn đông người), Tổng cộng: 99005 1 + 99006 2 + 99027 1 +
    // 99028 1 + SGDDT 1 + SNV 1 + SYT 1 = 8.
    assert_eq!(value(&form, "M17"), Some(8.0));
    // Column 14 (tố cáo), row Ban Tiếp công dân: one each at 99004, 99005, 99009, 99012, 99013,
    // 99014, 99015, 99016, 99017, 99018, 99022, 99023, 99024, 99025, 99026 = 15; departments
    // have no Ban Tiếp công dân (their row 1 is 0).
    assert_eq!(value(&form, "P14"), Some(15.0));
    // Column 2 (người tiếp thường xuyên): the rows hold 186 + 84 + 303 = 573, the Tổng cộng
    // row 583: the 10 Sở Y tế typed too many in its own Tổng cộng (a warning, so its form is
    // consolidated as typed; the consolidated form shows the same gap).
    assert_eq!(
        (
            value(&form, "D14"),
            value(&form, "D15"),
            value(&form, "D16"),
            value(&form, "D17")
        ),
        (Some(186.0), Some(84.0), Some(303.0), Some(583.0))
    );
    // Every other total-row cell is the sum of its three rows, and every cell the sum over the
    // accepted unit forms.
    let accepted: Vec<Vec<Vec<Data>>> = std::fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "xlsx")
                && !p.ends_with("99008-phuong-nam-thanh-2026-Q3.xlsx")
        })
        .map(|p| sheet(&p, "Biểu số liệu"))
        .collect();
    assert_eq!(accepted.len(), 38);
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for c in 'C'..='P' {
        for r in 14..=17 {
            let cell = format!("{c}{r}");
            let sum: f64 = accepted.iter().map(|u| value(u, &cell).unwrap()).sum();
            assert_eq!(value(&form, &cell), Some(sum), "{cell}");
            sums.insert(cell, sum);
        }
        let rows: f64 = (14..=16).map(|r| sums[&format!("{c}{r}")]).sum();
        let gap = if c == 'D' { 10.0 } else { 0.0 };
        assert_eq!(sums[&format!("{c}17")], rows + gap, "column {c}");
    }
    // The narrative quotes the consolidated totals.
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    assert!(md.contains("Trong đó có 16 đoàn đông người"), "{md}");
    assert!(
        md.contains("Số liệu được tổng hợp từ báo cáo của 38/39 đơn vị"),
        "{md}"
    );
}

/// A total computed from totals that are themselves computed (TCD03 of a row = Σ hình thức ×
/// loại vụ việc, none of them on the form) is cited by every cell read: the 4 of Phường Nam
/// Thành's Lãnh đạo row is E15 + F15 + I15 + J15. The diagnostic points at the first part the
/// message lists (khiếu nại O15, the figure to fix), not at a cell of the computed total.
#[test]
fn a_total_computed_from_computed_totals_is_cited_by_all_its_cells() {
    let v: serde_json::Value = {
        let (_, out, _) = baocao(&[
            "--root",
            s(&samples()),
            "check",
            "--regime",
            "tcd",
            "--period",
            PERIOD,
            "--as-of",
            "2026-09-30",
            "--format",
            "json",
            s(&samples()
                .join("inbox/tcd")
                .join(PERIOD)
                .join("99008-phuong-nam-thanh-2026-Q3.xlsx")),
        ]);
        serde_json::from_str(&out).unwrap()
    };
    let m = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "BC0408")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("lớn hơn tổng số 4 (tính từ các ô E15, F15, I15, J15)"),
        "{m}"
    );
    let cell = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "BC0408")
        .unwrap()["cell"]
        .clone();
    assert_eq!(cell, "O15");
}
