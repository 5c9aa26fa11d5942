//! End-to-end: the run as a library pipeline, several regimes in one config root, coinciding
//! periods, and the daily `run --due` with its skip, rerun, lock and log.

mod common;
use common::*;

use std::path::Path;

use baocao::catalog::Config;
use baocao::pipeline::{run_period, Job, Quiet};

/// A copy of the samples' config root and inboxes (no history store) in `dir`.
fn sample_copy(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = sample_root(dir);
    let inbox = dir.join("inbox");
    copy_dir(&samples().join("inbox"), &inbox);
    (root, inbox)
}

#[test]
fn the_pipeline_runs_a_period_without_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (root, inbox) = sample_copy(dir.path());
    let config = Config::load(&root).unwrap();
    let job = Job {
        regime: "ktxh".into(),
        period: "2026-10".parse().unwrap(),
        inbox: inbox.join("ktxh"),
        out: dir.path().join("out"),
        as_of: "2026-10-19".parse().unwrap(),
        tasks: None,
        history: None,
        pdf: false,
        feedback: false,
    };
    let outcome = run_period(&config, &job, &Quiet).unwrap();
    // The sample month: 37 accepted of 40; Hòa Bình and Phước Sơn rejected, Vĩnh Hưng missing.
    assert_eq!(outcome.batch.accepted.len(), 37);
    assert_eq!(outcome.batch.rejected.len(), 2);
    assert!(outcome.has_findings());
    assert_eq!(outcome.target, dir.path().join("out/ktxh/2026-10"));
    let names: Vec<&str> = outcome.outputs.iter().map(|o| o.file.as_str()).collect();
    assert_eq!(
        names,
        [
            "tong-hop.xlsx",
            "bao-cao.md",
            "bao-cao.html",
            "bao-cao.docx",
            "du-lieu.csv",
            "du-lieu.sdmx.csv",
            "du-lieu.dhis2.json",
            "du-lieu.adx.xml",
            "datapackage.json",
            "bang-tin.html",
            "manifest.json"
        ]
    );
    for o in &outcome.outputs {
        let bytes = std::fs::read(outcome.target.join(&o.file)).unwrap();
        assert_eq!(bytes.len() as u64, o.size, "{}", o.file);
    }
    // 39 forms and the receipt log.
    assert_eq!(outcome.inputs.len(), 40);
    assert!(
        !dir.path().join("root/history").exists(),
        "no history asked"
    );
}

#[test]
fn calendar_without_a_regime_lists_every_regime_of_the_root() {
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--year",
        "2026",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // ktxh: 11 months (December is replaced by the year) + 4 quarters + 2 halves + 9 months +
    // the year = 19 periods; tthc: 4 quarters; cbcc: the year; tcd: 3 quarters and the year
    // (it replaces the fourth quarter); 3 levels each. ntm: the first half and the year (it
    // replaces the second half), 2 levels each.
    assert_eq!(lines.len(), 1 + (19 + 4 + 1 + 4) * 3 + 2 * 2);
    for row in [
        "ktxh,2026-10,Tháng 10 năm 2026,xa,2026-09-15,2026-10-14,2026-10-16",
        "ktxh,2026,Năm 2026,tinh,2025-12-15,2026-12-14,2026-12-21",
        // tthc: Decree 09 quarters; 2 working days after the cutoff, the province by the 20th
        // (20/09/2026 is a Sunday).
        "tthc,2026-Q3,Quý III năm 2026,xa,2026-06-15,2026-09-14,2026-09-16",
        "tthc,2026-Q3,Quý III năm 2026,tinh,2026-06-15,2026-09-14,2026-09-21",
        "tthc,2026-Q4,Quý IV năm 2026,so,2026-09-15,2026-12-14,2026-12-16",
        // cbcc: the calendar year; 10 working days after 31/12 (01/01/2027 off: 4–8 and
        // 11–15/01), the province by 15/02/2027 (a Monday).
        "cbcc,2026,Năm 2026,xa,2026-01-01,2026-12-31,2027-01-15",
        "cbcc,2026,Năm 2026,tinh,2026-01-01,2026-12-31,2027-02-15",
        // tcd: Decree 09 quarters, units by the 16th, the province by the 20th (21/09).
        "tcd,2026-Q3,Quý III năm 2026,so,2026-06-15,2026-09-14,2026-09-16",
        "tcd,2026,Năm 2026,xa,2025-12-15,2026-12-14,2026-12-16",
    ] {
        assert!(lines.contains(&row), "missing {row}\n{out}");
    }
    let regimes: std::collections::BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        regimes.into_iter().collect::<Vec<_>>(),
        ["cbcc", "ktxh", "ntm", "tcd", "tthc"]
    );
}

#[test]
fn a_replaced_month_has_no_calendar_row_no_due_row_and_no_form() {
    let (_, cal, _) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--year",
        "2026",
        "--regime",
        "ktxh",
        "--format",
        "csv",
    ]);
    assert!(!cal.contains("ktxh,2026-12,"), "{cal}");
    assert!(cal.contains("ktxh,2026-11,"));
    // On 17/12/2026 December's cutoff (15/11–14/12) has ended and its deadline for communes
    // (16/12) has passed, but only the yearly report is due.
    let (code, due, err) = baocao(&[
        "--root",
        s(&samples()),
        "due",
        "--today",
        "2026-12-17",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&due).unwrap();
    assert!(rows.iter().all(|r| r["period"] != "2026-12"), "{due}");
    let year_xa = rows
        .iter()
        .find(|r| r["regime"] == "ktxh" && r["period"] == "2026" && r["level"] == "xa")
        .expect("the yearly report is overdue for communes");
    assert_eq!(year_xa["deadline"], "2026-12-16");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--regime",
        "ktxh",
        "--period",
        "2026-12",
        "--out",
        s(dir.path()),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("báo cáo năm 2026 (2026) thay báo cáo này"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `check --format json` of one file against the samples' 2026 yearly ktxh report.
fn check_year(path: &Path) -> serde_json::Value {
    let (_, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "check",
        "--regime",
        "ktxh",
        "--period",
        "2026",
        "--as-of",
        "2026-12-15",
        "--format",
        "json",
        s(path),
    ]);
    serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"))
}

#[test]
fn a_december_form_is_taken_as_the_yearly_report_with_its_year_to_date() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let unit = config.units.get("99009").unwrap();
    let december: baocao::period::Period = "2026-12".parse().unwrap();
    let mut fill = baocao::render::Fill::default();
    use baocao::catalog::InputColumn::{LuyKe, ThucHien};
    use baocao::render::form::CellValue::Number;
    // NN05 (sản lượng lương thực, a flow): December 120, January–December 1.450 tấn.
    // NN06 (tổng đàn lợn, a stock): its year-end figure is December's, 812 con.
    fill.values.insert(("NN05".into(), ThucHien), Number(120.0));
    fill.values.insert(("NN05".into(), LuyKe), Number(1450.0));
    fill.values.insert(("NN06".into(), ThucHien), Number(812.0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("99009-xa-phuoc-an-2026-12.xlsx");
    std::fs::write(
        &path,
        baocao::render::unit_form(&config, regime, december, unit, Some(&fill)).unwrap(),
    )
    .unwrap();
    let v = check_year(&path);
    let codes = file_codes(&v);
    assert!(
        codes.contains(&("99009-xa-phuoc-an-2026-12.xlsx".into(), "BC0308".into())),
        "{codes:?}"
    );
    assert!(!codes.iter().any(|(_, c)| c == "BC0303"), "{codes:?}");
    let sub = &v["submissions"][0];
    assert_eq!(sub["period"], "2026");
    assert_eq!(
        sub["values"]["NN05"], 1450.0,
        "the year's figure is December's year-to-date"
    );
    assert_eq!(
        sub["values"]["NN06"], 812.0,
        "a stock keeps its end-of-period figure"
    );
    assert_eq!(sub["luy_ke"]["NN05"], 1450.0);
    // Another month is not a replaced period: still a wrong period.
    let november = dir.path().join("99009-xa-phuoc-an-2026-11.xlsx");
    std::fs::write(
        &november,
        baocao::render::unit_form(
            &config,
            regime,
            "2026-11".parse().unwrap(),
            unit,
            Some(&fill),
        )
        .unwrap(),
    )
    .unwrap();
    let v = check_year(&november);
    assert!(file_codes(&v).contains(&("99009-xa-phuoc-an-2026-11.xlsx".into(), "BC0303".into())));
}

/// `run --due` on 19/10/2026 without history, JSON summary, quiet.
fn due_json(root: &Path, inbox: &Path, out: &Path, today: &str) -> Vec<String> {
    let mut args = due_args(root, inbox, out, today);
    args.extend(["--format", "json", "-q"].map(String::from));
    args
}

fn run_due(root: &Path, inbox: &Path, out: &Path) -> (i32, serde_json::Value, String) {
    let args = due_json(root, inbox, out, "2026-10-19");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, err) = baocao(&args);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{err}"));
    (code, v, err)
}

fn statuses(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["regime"].as_str().unwrap().to_string(),
                p["period"].as_str().unwrap().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// Every output of a period folder has the size and SHA-256 its manifest gives.
fn manifest_matches(dir: &Path) -> bool {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["outputs"].as_array().unwrap().iter().all(|o| {
        let bytes = std::fs::read(dir.join(o["file"].as_str().unwrap())).unwrap();
        baocao::hash::sha256_hex(&bytes) == o["sha256"].as_str().unwrap()
    })
}

#[test]
fn run_due_runs_the_due_periods_skips_them_when_unchanged_and_reruns_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let (root, inbox) = sample_copy(dir.path());
    let out = dir.path().join("out");
    // On 19/10/2026 (hand-computed from the calendar, look-back 31 days after the province's
    // own deadline): ktxh 2026-09 (province by 21/09), 2026-10 (communes by 16/10), 2026-Q3
    // and 2026-9M (province by 21/09), tcd and tthc 2026-Q3 (province by 21/09). 2026-08
    // (20/08) is past the look-back; cbcc's year has not ended. 2026-9M has no inbox folder.
    let (code, v, err) = run_due(&root, &inbox, &out);
    assert_eq!(
        code, 1,
        "missing and rejected units in the sample months: {err}"
    );
    assert_eq!(
        statuses(&v),
        owned(&[
            ("ktxh", "2026-09", "ran"),
            ("ktxh", "2026-10", "ran"),
            ("ktxh", "2026-Q3", "ran"),
            ("ktxh", "2026-9M", "no_files"),
            ("tcd", "2026-Q3", "ran"),
            ("tthc", "2026-Q3", "ran"),
        ])
    );
    let oct = &v["periods"][1];
    assert_eq!(oct["accepted"], 37);
    assert_eq!(oct["rejected"], 2);
    assert_eq!(oct["missing"], 1);
    for p in [
        "ktxh/2026-09",
        "ktxh/2026-10",
        "ktxh/2026-Q3",
        "tcd/2026-Q3",
        "tthc/2026-Q3",
    ] {
        assert!(manifest_matches(&out.join(p)), "{p}");
    }
    let stamp = |p: &str| {
        std::fs::metadata(out.join(p).join("tong-hop.xlsx"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = stamp("ktxh/2026-09");

    // Nothing changed: nothing is run, the counts are the previous run's, the exit code too.
    let (code, v, _) = run_due(&root, &inbox, &out);
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&v),
        owned(&[
            ("ktxh", "2026-09", "up_to_date"),
            ("ktxh", "2026-10", "up_to_date"),
            ("ktxh", "2026-Q3", "up_to_date"),
            ("ktxh", "2026-9M", "no_files"),
            ("tcd", "2026-Q3", "up_to_date"),
            ("tthc", "2026-Q3", "up_to_date"),
        ])
    );
    assert_eq!(v["periods"][1]["accepted"], 37);
    assert_eq!(stamp("ktxh/2026-09"), before);

    // A unit resends its October form (same figures, a new file time): only October reruns.
    let resent = inbox.join("ktxh/2026-10/99011-xa-tan-phu-2026-10.xlsx");
    let bytes = std::fs::read(&resent).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&resent, &bytes).unwrap();
    let (_, v, _) = run_due(&root, &inbox, &out);
    assert_eq!(
        statuses(&v),
        owned(&[
            ("ktxh", "2026-09", "up_to_date"),
            ("ktxh", "2026-10", "ran"),
            ("ktxh", "2026-Q3", "up_to_date"),
            ("ktxh", "2026-9M", "no_files"),
            ("tcd", "2026-Q3", "up_to_date"),
            ("tthc", "2026-Q3", "up_to_date"),
        ])
    );
    // A changed config reruns the periods of that regime only.
    let regime = root.join("report-templates/tthc/regime.toml");
    let text = std::fs::read_to_string(&regime).unwrap();
    std::fs::write(
        &regime,
        text.replace("comparison = \"growth\"", "comparison = \"index\""),
    )
    .unwrap();
    let (_, v, _) = run_due(&root, &inbox, &out);
    let ran: Vec<_> = statuses(&v).into_iter().filter(|s| s.2 == "ran").collect();
    assert_eq!(ran, owned(&[("tthc", "2026-Q3", "ran")]));

    // A folder an earlier engine wrote, without today's exchange files (its manifest lists
    // fewer outputs), is run again so that it gets them.
    let sept = out.join("ktxh/2026-09");
    let manifest = sept.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["outputs"]
        .as_array_mut()
        .unwrap()
        .retain(|o| o["file"] != "du-lieu.sdmx.csv");
    std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    std::fs::remove_file(sept.join("du-lieu.sdmx.csv")).unwrap();
    let (_, v, _) = run_due(&root, &inbox, &out);
    let ran: Vec<_> = statuses(&v).into_iter().filter(|s| s.2 == "ran").collect();
    assert_eq!(ran, owned(&[("ktxh", "2026-09", "ran")]));
    assert!(sept.join("du-lieu.sdmx.csv").exists());
    assert!(manifest_matches(&sept));

    // The run log: one line per period and run, tab-separated.
    let log = std::fs::read_to_string(out.join("nhat-ky-chay.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    // 6 periods a run, 5 runs.
    assert_eq!(lines.len(), 5 * 6);
    let first: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(&first[1..4], ["ktxh", "2026-10", "đã tổng hợp"]);
    assert_eq!(first[4], "chấp nhận 37, muộn 1, chưa gửi 1, từ chối 2");
    assert_eq!(first[5], "mã thoát 1");
    assert!(lines[6].contains("không đổi, bỏ qua"));
}

#[test]
fn two_concurrent_due_runs_never_mix_their_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (root, inbox) = sample_copy(dir.path());
    let out = dir.path().join("out");
    let args = |_: ()| {
        std::process::Command::new(env!("CARGO_BIN_EXE_baocao"))
            .args(due_json(&root, &inbox, &out, "2026-10-19"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (args(()), args(()));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(b.status.code(), Some(1));
    let runs: Vec<Vec<(String, String, String)>> = [&a, &b]
        .iter()
        .map(|o| statuses(&serde_json::from_slice(&o.stdout).unwrap()))
        .collect();
    // One run did the work; the other waited for the lock and found everything up to date.
    let ran = |r: &Vec<(String, String, String)>| r.iter().filter(|s| s.2 == "ran").count();
    let mut counts = vec![ran(&runs[0]), ran(&runs[1])];
    counts.sort();
    assert_eq!(counts, [0, 5]);
    for p in [
        "ktxh/2026-09",
        "ktxh/2026-10",
        "ktxh/2026-Q3",
        "tcd/2026-Q3",
        "tthc/2026-Q3",
    ] {
        assert!(manifest_matches(&out.join(p)), "{p}");
    }
    let leftovers: Vec<String> = std::fs::read_dir(out.join("ktxh/2026-10"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_december_form_in_the_december_folder_is_read_by_the_yearly_run_and_counted_by_due() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let unit = config.units.get("99009").unwrap();
    let december: baocao::period::Period = "2026-12".parse().unwrap();
    use baocao::catalog::InputColumn::{LuyKe, ThucHien};
    use baocao::render::form::CellValue::Number;
    let mut fill = generated_fill(&config, regime, unit, december);
    fill.values.insert(("NN05".into(), ThucHien), Number(120.0));
    fill.values.insert(("NN05".into(), LuyKe), Number(1450.0));
    let dir = tempfile::tempdir().unwrap();
    // Phước An's December form sits in the December folder; nothing is in 2026/.
    let folder = dir.path().join("inbox/ktxh/2026-12");
    std::fs::create_dir_all(&folder).unwrap();
    let name = "99009-xa-phuoc-an-2026-12.xlsx";
    std::fs::write(
        folder.join(name),
        baocao::render::unit_form(&config, regime, december, unit, Some(&fill)).unwrap(),
    )
    .unwrap();
    std::fs::write(
        folder.join("nhan.csv"),
        format!("file,received_at\n{name},2026-12-16T09:00\n"),
    )
    .unwrap();
    let inbox = dir.path().join("inbox");
    let out = dir.path().join("out");
    let args = due_json(&samples(), &inbox, &out, "2027-01-05");
    let (code, stdout, err) = baocao(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(code == 0 || code == 1, "{stdout}{err}");
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let yearly = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["regime"] == "ktxh" && p["period"] == "2026")
        .unwrap_or_else(|| panic!("the yearly report is due: {v}"));
    assert_eq!(yearly["status"], "ran", "{yearly}");
    assert_eq!(yearly["accepted"], 1, "{yearly}");
    // Its year's figure is the December form's year-to-date, under the province too.
    let rows = csv_rows(&out.join("ktxh/2026/du-lieu.csv"));
    let figure = |unit: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r["unit_code"] == unit
                    && r["indicator_code"] == "NN05"
                    && r["column"] == "thuc_hien"
            })
            .unwrap_or_else(|| panic!("NN05 of {unit}"))["value"]
            .parse()
            .unwrap()
    };
    assert_eq!(figure("99009"), 1450.0);
    assert_eq!(figure("99"), 1450.0);
    // The manifest names the file under its folder.
    let manifest = std::fs::read_to_string(out.join("ktxh/2026/manifest.json")).unwrap();
    assert!(manifest.contains(&format!("2026-12/{name}")), "{manifest}");
    // `due` does not list Phước An among the communes that have not sent the yearly report.
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "due",
        "--regime",
        "ktxh",
        "--today",
        "2027-01-05",
        "--inbox",
        s(&inbox),
        "--format",
        "json",
    ]);
    // The other communes' reports of December are overdue and not in: exit 1.
    assert_eq!(code, 1, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let year_xa = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == "2026" && r["level"] == "xa")
        .unwrap_or_else(|| panic!("{rows}"));
    let missing: Vec<&str> = year_xa["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(!missing.contains(&"99009"), "{missing:?}");
    assert!(
        missing.contains(&"99001"),
        "the others have not sent: {missing:?}"
    );
}
