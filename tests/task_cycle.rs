//! End-to-end: the task-update cycle (forms → update → review → export/import) and the
//! configurable on-time rate.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

use baocao::catalog::Config;
use baocao::ingest::register::read_register;
use baocao::tasks::Task;

/// Six tasks of three departments (hand-made; statuses hand-computed in the tests).
const REGISTER: &str = "\
Mã nhiệm vụ,Nội dung nhiệm vụ,Văn bản giao,Ngày giao,Cơ quan giao,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn,Thời hạn điều chỉnh,Ngày hoàn thành,Tiến độ / kết quả,Giải trình
NV1,Trình đề án sắp xếp trụ sở,15/TB-UBND,05/01/2026,UBND tỉnh,STC,SXD,31/10/2026,,,,
NV2,Xây dựng dự toán năm 2027,15/TB-UBND,05/01/2026,UBND tỉnh,STC,,31/12/2026,,,,
NV3,Báo cáo tình hình chợ truyền thống,22/TB-UBND,10/02/2026,UBND tỉnh,SCT,,15/11/2026,,,,
NV6,Rà soát cụm công nghiệp,22/TB-UBND,10/02/2026,UBND tỉnh,SCT,,20/10/2026,,,,
NV4,Kế hoạch tiêm chủng mở rộng,30/TB-UBND,01/03/2026,UBND tỉnh,SYT,,30/11/2026,,,,
NV5,Báo cáo phòng chống sốt xuất huyết,30/TB-UBND,01/03/2026,UBND tỉnh,SYT,,10/11/2026,,,,
";

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn tasks_of(config: &Config, path: &Path) -> Vec<Task> {
    let reg = read_register(config, path, "so.xlsx");
    assert!(
        reg.diagnostics.iter().all(|x| !x.is_blocking()),
        "{:?}",
        reg.diagnostics
    );
    reg.tasks
}

/// A unit's update form as the unit returns it: the rows of `tasks`, filled.
fn filled_form(config: &Config, unit: &str, tasks: &[Task], dir: &Path) -> String {
    let rows: Vec<&Task> = tasks.iter().collect();
    let bytes = baocao::render::task_cycle::update_form(
        config,
        unit,
        &rows,
        "so-theo-doi.csv",
        d("2026-11-16"),
    )
    .unwrap();
    let name = format!("{unit}-cap-nhat.xlsx");
    std::fs::write(dir.join(&name), bytes).unwrap();
    name
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let (code, out, err) = baocao(args);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")),
    )
}

/// The update of the hand-made register: STC and SCT send their forms, SYT sends nothing.
/// Returns (the temp dir, the new register's path, the update's JSON, its exit code).
fn updated() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    serde_json::Value,
    i32,
) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&samples()).unwrap();
    let register = dir.path().join("so-theo-doi.csv");
    std::fs::write(&register, REGISTER).unwrap();
    let tasks = tasks_of(&config, &register);
    let task = |c: &str| tasks.iter().find(|t| t.code == c).unwrap().clone();
    let inbox = dir.path().join("nhan");
    std::fs::create_dir_all(&inbox).unwrap();
    // STC: NV1 done on 10/11, after its deadline of 31/10, without an explanation; NV2 asks
    // for an extension to 31/01/2027.
    let mut nv1 = task("NV1");
    nv1.progress = "Đã trình UBND tỉnh".into();
    nv1.completed_on = Some(d("2026-11-10"));
    let mut nv2 = task("NV2");
    nv2.progress = "Đang soạn thảo".into();
    nv2.extension_request = Some(d("2027-01-31"));
    let stc = filled_form(&config, "STC", &[nv1, nv2], &inbox);
    // SCT: NV3 done on 14/11 (deadline 15/11) with its report attached; NV6 sent back as it
    // was; and a row of SYT's NV4, which is not SCT's to update.
    let mut nv3 = task("NV3");
    nv3.completed_on = Some(d("2026-11-14"));
    nv3.attachments = "Báo cáo 45/BC-SCT".into();
    let mut nv4 = task("NV4");
    nv4.progress = "Đã xong".into();
    let sct = filled_form(&config, "SCT", &[nv3, task("NV6"), nv4], &inbox);
    std::fs::write(
        inbox.join("nhan.csv"),
        format!("file,received_at\n{stc},2026-11-18T09:00\n{sct},2026-11-19T15:00\n"),
    )
    .unwrap();
    let out = dir.path().join("ky-2026-11-20");
    let (code, v) = json(&[
        "--root",
        s(&samples()),
        "tasks",
        "update",
        "--register",
        s(&register),
        "--inbox",
        s(&inbox),
        "--as-of",
        "2026-11-20",
        "--out",
        s(&out),
        "--format",
        "json",
    ]);
    (dir, out.join("so-theo-doi.xlsx"), v, code)
}

#[test]
fn forms_are_written_per_lead_unit_with_their_open_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("so.csv");
    std::fs::write(&register, REGISTER).unwrap();
    let out = dir.path().join("bieu");
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "forms",
        "--register",
        s(&register),
        "--as-of",
        "2026-11-16",
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("Đã tạo 3 biểu"), "{stdout}");
    let config = Config::load(&samples()).unwrap();
    let form = out.join("SCT-so-cong-thuong-cap-nhat-nhiem-vu-2026-11-16.xlsx");
    let reg = read_register(&config, &form, "sct.xlsx");
    let codes: Vec<&str> = reg.tasks.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, ["NV3", "NV6"]);
    assert_eq!(reg.meta["kind"], "task-update");
    assert_eq!(reg.meta["unit"], "SCT");
    assert_eq!(reg.meta["as_of"], "2026-11-16");
    // The task columns are locked, the unit's open; the sheet is protected.
    let xml = zip_part(&form, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<sheetProtection"), "protected");
    let styles = zip_part(&form, "xl/styles.xml");
    assert!(styles.contains("locked=\"0\""), "some cells unlocked");
}

#[test]
fn two_units_forms_are_merged_into_a_new_register_with_a_log() {
    let (dir, new_register, v, code) = updated();
    assert_eq!(
        code, 1,
        "SCT's row of another unit's task is a blocking finding"
    );
    let codes: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["file"].as_str().unwrap().to_string(),
                x["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("SCT-cap-nhat.xlsx".to_string(), "BC0710".to_string()),
            ("STC-cap-nhat.xlsx".to_string(), "BC0705".to_string()),
        ]
    );
    assert_eq!(v["updated_units"], serde_json::json!(["SCT", "STC"]));
    // SYT sent nothing: its open tasks are "chưa cập nhật".
    assert_eq!(v["not_updated"], serde_json::json!(["NV4", "NV5"]));
    assert_eq!(
        v["extension_requests"],
        serde_json::json!([{"task": "NV2", "requested": "2027-01-31"}])
    );
    // The old register is untouched.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("so-theo-doi.csv")).unwrap(),
        REGISTER
    );
    // The log: NV1 progress, completion, update date; NV2 progress, extension asked, update
    // date; NV3 completion, attachment, update date; NV6 update date = 10 changes.
    let log = csv_rows(&new_register.with_file_name("nhat-ky.csv"));
    let changes: Vec<(String, String)> = log
        .iter()
        .map(|r| (r["task"].clone(), r["field"].clone()))
        .collect();
    let want: Vec<(String, String)> = [
        ("NV3", "Ngày hoàn thành"),
        ("NV3", "Văn bản, tệp kèm theo"),
        ("NV3", "Ngày cập nhật"),
        ("NV6", "Ngày cập nhật"),
        ("NV1", "Tiến độ / kết quả"),
        ("NV1", "Ngày hoàn thành"),
        ("NV1", "Ngày cập nhật"),
        ("NV2", "Tiến độ / kết quả"),
        ("NV2", "Đề xuất gia hạn"),
        ("NV2", "Ngày cập nhật"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(changes, want);
    let nv1 = log
        .iter()
        .find(|r| r["field"] == "Ngày hoàn thành" && r["task"] == "NV1")
        .unwrap();
    assert_eq!(nv1["old_value"], "");
    assert_eq!(nv1["new_value"], "10/11/2026");
    assert_eq!(nv1["unit"], "STC");
    assert_eq!(nv1["file"], "STC-cap-nhat.xlsx");
    assert_eq!(nv1["received_at"], "2026-11-18T09:00:00");
    // The new register reads back with the plain `tasks` command: on 20/11 NV3 done on time,
    // NV1 done late, NV2 and NV4 in progress, NV5 and NV6 overdue.
    let (code, t) = json(&[
        "--root",
        s(&samples()),
        "tasks",
        "--register",
        s(&new_register),
        "--as-of",
        "2026-11-20",
        "--out",
        s(dir.path()),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let by: BTreeMap<String, u64> = serde_json::from_value(t["by_status"].clone()).unwrap();
    assert_eq!(by["hoàn thành đúng hạn"], 1);
    assert_eq!(by["hoàn thành quá hạn"], 1);
    assert_eq!(by["đang thực hiện trong hạn"], 2);
    assert_eq!(by["đang thực hiện quá hạn"], 2);
    // The reminder list marks SYT's overdue task: SYT sent no update (no = not done).
    let flagged: Vec<(String, bool)> = t["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["not_updated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flagged,
        [("NV6".to_string(), false), ("NV5".to_string(), true)]
    );
    // The requested extension did not move NV2's deadline; the sheet of units that did not
    // update lists SYT's two tasks.
    let config = Config::load(&samples()).unwrap();
    let tasks = tasks_of(&config, &new_register);
    let nv2 = tasks.iter().find(|t| t.code == "NV2").unwrap();
    assert_eq!(nv2.due(), Some(d("2026-12-31")));
    assert_eq!(nv2.extension_request, Some(d("2027-01-31")));
    assert_eq!(nv2.updated_on, Some(d("2026-11-18")));
    let not_updated = sheet(&new_register, "Chưa cập nhật");
    let listed: Vec<String> = not_updated[3..].iter().map(|r| text(&r[1])).collect();
    assert_eq!(listed, ["NV4", "NV5"]);
}

#[test]
fn the_fortnightly_review_lists_the_hand_counted_changes() {
    let (dir, new_register, _, _) = updated();
    let out = dir.path().join("ra-soat");
    let (code, v) = json(&[
        "--root",
        s(&samples()),
        "tasks",
        "review",
        "--register",
        s(&new_register),
        "--since",
        "2026-11-06",
        "--as-of",
        "2026-11-20",
        "--out",
        s(&out),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let unit = |u: &str| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_code"] == u)
            .unwrap()
            .clone()
    };
    let stc = unit("STC");
    assert_eq!(stc["completed_late"], serde_json::json!(["NV1"]));
    assert_eq!(stc["completed_on_time"], serde_json::json!([]));
    assert_eq!(stc["not_updated"], false);
    let sct = unit("SCT");
    assert_eq!(sct["completed_on_time"], serde_json::json!(["NV3"]));
    // NV6: due 20/10, still open on 20/11: 31 days overdue.
    assert_eq!(
        sct["still_overdue"],
        serde_json::json!([{"task": "NV6", "days_overdue": 31}])
    );
    let syt = unit("SYT");
    // NV5: due 10/11, within on 06/11, overdue on 20/11.
    assert_eq!(syt["newly_overdue"], serde_json::json!(["NV5"]));
    assert_eq!(syt["not_updated"], true);
    assert!(out.join("ra-soat.xlsx").is_file());
    let md = std::fs::read_to_string(out.join("ra-soat.md")).unwrap();
    assert!(
        md.contains("Từ ngày 06/11/2026 đến ngày 20/11/2026"),
        "{md}"
    );
    assert!(md.contains("1 nhiệm vụ hoàn thành đúng hạn, 1 hoàn thành quá hạn, 1 mới quá hạn, 1 vẫn quá hạn; 1 đơn vị không cập nhật"), "{md}");
}

#[test]
fn export_then_import_of_the_sample_register_keeps_every_field_and_twice_changes_nothing() {
    let config = Config::load(&samples()).unwrap();
    let sample = samples().join("nhiem-vu/so-theo-doi-2026.xlsx");
    let original = tasks_of(&config, &sample);
    assert!(original.len() > 10);
    for format in ["csv", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("xuat.{format}"));
        let (code, _, err) = baocao(&[
            "--root",
            s(&samples()),
            "tasks",
            "export",
            "--register",
            s(&sample),
            "--as-of",
            "2026-11-20",
            "--format",
            format,
            "--out",
            s(&file),
        ]);
        assert_eq!(code, 0, "{err}");
        // Into an empty register.
        let empty = dir.path().join("trong.csv");
        std::fs::write(&empty, REGISTER.lines().next().unwrap().to_string() + "\n").unwrap();
        let import = |register: &Path, out: &Path| {
            let (code, stdout, err) = baocao(&[
                "--root",
                s(&samples()),
                "tasks",
                "import",
                "--register",
                s(register),
                "--out",
                s(out),
                "--as-of",
                "2026-11-20",
                s(&file),
            ]);
            assert_eq!(code, 0, "{stdout}{err}");
            stdout
        };
        let first = dir.path().join("lan-1");
        import(&empty, &first);
        let back = tasks_of(&config, &first.join("so-theo-doi.xlsx"));
        let strip = |ts: &[Task]| -> Vec<Task> {
            ts.iter()
                .map(|t| Task {
                    row: 0,
                    ..t.clone()
                })
                .collect()
        };
        assert_eq!(strip(&back), strip(&original), "{format}: every field kept");
        // The same file again: matched by id, nothing added, filled or in conflict.
        let second = dir.path().join("lan-2");
        let said = import(&first.join("so-theo-doi.xlsx"), &second);
        assert!(
            said.contains("0 nhiệm vụ mới, 0 trường bổ sung, 0 trường khác nhau"),
            "{said}"
        );
        assert_eq!(
            std::fs::read(first.join("so-theo-doi.xlsx")).unwrap(),
            std::fs::read(second.join("so-theo-doi.xlsx")).unwrap()
        );
    }
}

#[test]
fn the_on_time_rate_follows_the_config_and_says_which_it_is() {
    let (dir, new_register, _, _) = updated();
    // On 20/11: 1 done on time, 1 done late, 2 overdue, 2 in progress (6 tasks).
    for (rate, want) in [("completed", 50.0), ("fallen-due", 25.0), ("all", 16.7)] {
        let root = dir.path().join(format!("root-{rate}"));
        copy_samples_root(&root);
        std::fs::write(
            root.join("tasks.toml"),
            format!("on_time_rate = \"{rate}\"\n"),
        )
        .unwrap();
        let (_, v) = json(&[
            "--root",
            s(&root),
            "tasks",
            "--register",
            s(&new_register),
            "--as-of",
            "2026-11-20",
            "--out",
            s(&root),
            "--format",
            "json",
        ]);
        assert_eq!(v["on_time_rate"], rate);
        assert_eq!(v["percent_on_time"], want, "{rate}");
    }
}

#[test]
fn update_never_writes_over_the_register_it_reads() {
    let (_dir, new_register, _, _) = updated();
    let folder = new_register.parent().unwrap();
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "update",
        "--register",
        s(&new_register),
        "--inbox",
        s(folder),
        "--as-of",
        "2026-11-21",
        "--out",
        s(folder),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("sổ cũ không bao giờ bị sửa"), "{err}");
}

#[test]
fn the_sample_government_tasks_are_three_new_tasks_for_the_sample_register() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "import",
        "--register",
        s(&samples().join("nhiem-vu/so-theo-doi-2026.xlsx")),
        "--out",
        s(dir.path()),
        "--as-of",
        "2026-11-21",
        s(&samples().join("trao-doi/nhiem-vu-chinh-phu.csv")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("3 nhiệm vụ mới, 0 trường bổ sung, 0 trường khác nhau"),
        "{stdout}"
    );
    let config = Config::load(&samples()).unwrap();
    let tasks = tasks_of(&config, &dir.path().join("so-theo-doi.xlsx"));
    let tw = tasks.iter().find(|t| t.code == "TW-2026-0416").unwrap();
    // Deadline 31/10/2026 extended by the central system to 31/12/2026.
    assert_eq!(tw.due(), Some(d("2026-12-31")));
    assert_eq!(tw.lead, "SXD");
    let log = std::fs::read_to_string(dir.path().join("nhat-ky.csv")).unwrap();
    assert_eq!(log.lines().count(), 1, "only the header: nothing filled");
}
