//! check-config on the traps a new officer falls into configuring a real form (Biểu 01/TCD
//! shaped): each trap fails or warns with its message; the trap-free version is clean.

mod common;

use std::path::Path;

use common::*;

const UNITS: &str = r#"
[[level]]
name = "tinh"
label = "Cấp tỉnh"
[[level]]
name = "xa"
label = "Cấp xã"

[[unit]]
code = "T"
name = "UBND tỉnh"
level = "tinh"
[[unit]]
code = "X1"
name = "Xã Một"
level = "xa"
parent = "T"
[[unit]]
code = "X2"
name = "Xã Hai"
level = "xa"
parent = "T"
"#;

/// Số vụ việc by cơ quan tiếp (rows), hình thức × loại vụ việc and nội dung (columns); every
/// smaller breakdown declared, so that the grand total (no cell on the form) is computed.
const INDICATORS: &str = r#"
[[dimension]]
code = "co_quan"
name = "Cơ quan tiếp"
options = [
  { code = "ban_tcd", name = "Ban Tiếp công dân" },
  { code = "lanh_dao", name = "Lãnh đạo" },
]

[[dimension]]
code = "hinh_thuc"
name = "Hình thức tiếp"
options = [
  { code = "thuong_xuyen", name = "Tiếp thường xuyên" },
  { code = "dinh_ky", name = "Tiếp định kỳ và đột xuất" },
]

[[dimension]]
code = "loai_vu"
name = "Loại vụ việc"
options = [
  { code = "cu", name = "Cũ" },
  { code = "moi", name = "Mới phát sinh" },
]

[[dimension]]
code = "noi_dung"
name = "Nội dung"
exhaustive = false
options = [
  { code = "khieu_nai", name = "Khiếu nại" },
  { code = "to_cao", name = "Tố cáo" },
]

[[indicator]]
code = "TCD01"
name = "Số lượt tiếp"
unit = "lượt"
type = "integer"
aggregation = "sum"

[[indicator]]
code = "TCD03"
name = "Số vụ việc"
unit = "vụ việc"
type = "integer"
aggregation = "sum"
required = true
disaggregations = [
  ["co_quan"],
  ["hinh_thuc"],
  ["co_quan", "hinh_thuc"],
  ["hinh_thuc", "loai_vu"],
  ["co_quan", "hinh_thuc", "loai_vu"],
  ["noi_dung"],
  ["co_quan", "noi_dung"],
]
"#;

const REGIME: &str = r#"
id = "tcd"
name = "Báo cáo kết quả tiếp công dân"
legal_basis = "Thông tư 05/2021/TT-TTCP"
content = "Kết quả tiếp công dân"
method = "Gửi tệp Excel"
instructions = "Nhập số vào các ô trắng."
frequencies = ["quarterly"]
cutoff = { rule = "nd09" }
receiver = "T"
reporters = { levels = ["xa"] }
outline = "de-cuong.md.tera"

[[deadline]]
levels = ["xa"]
rule = "working-days"
days = 2

[[deadline]]
levels = ["tinh"]
rule = "day-of-month"
day = 20

[[rule]]
kind = "part-le-total"
part = "TCD03[noi_dung=khieu_nai]"
total = "TCD03"

[form]
number = "Biểu số 01/TCD"
title = "TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN"

[form.matrix]
stub = "Cơ quan tiếp"
numbering = "letters"

[[form.matrix.row]]
dimension = "co_quan"

[[form.matrix.row]]
label = "Tổng cộng"

[[form.matrix.column]]
group = ["Tiếp thường xuyên", "Vụ việc"]
label = "Cũ"
cell = "TCD03[hinh_thuc=thuong_xuyen;loai_vu=cu]"

[[form.matrix.column]]
group = ["Tiếp thường xuyên", "Vụ việc"]
label = "Mới phát sinh"
cell = "TCD03[hinh_thuc=thuong_xuyen;loai_vu=moi]"

[[form.matrix.column]]
group = ["Tiếp định kỳ và đột xuất", "Vụ việc"]
label = "Cũ"
cell = "TCD03[hinh_thuc=dinh_ky;loai_vu=cu]"

[[form.matrix.column]]
group = ["Tiếp định kỳ và đột xuất", "Vụ việc"]
label = "Mới phát sinh"
cell = "TCD03[hinh_thuc=dinh_ky;loai_vu=moi]"

[[form.matrix.column]]
group = ["Nội dung"]
label = "Khiếu nại"
cell = "TCD03[noi_dung=khieu_nai]"

[[form.matrix.column]]
group = ["Nội dung"]
label = "Tố cáo"
cell = "TCD03[noi_dung=to_cao]"
"#;

/// Writes the config root with `edit` applied to (units, indicators, regime), then runs
/// check-config: (exit code, everything it printed).
fn check(dir: &Path, edit: &dyn Fn(&mut String, &mut String, &mut String)) -> (i32, String) {
    let (mut units, mut indicators, mut regime) = (
        UNITS.to_string(),
        INDICATORS.to_string(),
        REGIME.to_string(),
    );
    edit(&mut units, &mut indicators, &mut regime);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("indicators")).unwrap();
    std::fs::create_dir_all(dir.join("report-templates/tcd")).unwrap();
    std::fs::write(dir.join("units.toml"), units).unwrap();
    std::fs::write(dir.join("indicators/tiep-cong-dan.toml"), indicators).unwrap();
    std::fs::write(dir.join("report-templates/tcd/regime.toml"), regime).unwrap();
    std::fs::write(
        dir.join("report-templates/tcd/de-cuong.md.tera"),
        "# Báo cáo kết quả tiếp công dân {{ ky_bao_cao }}\n",
    )
    .unwrap();
    let (code, out, err) = baocao(&["--root", s(dir), "check-config"]);
    (code, format!("{out}{err}"))
}

fn replace(text: &mut String, from: &str, to: &str) {
    assert!(text.contains(from), "{from:?} not in the test config");
    *text = text.replacen(from, to, 1);
}

#[test]
fn the_trap_free_form_is_clean() {
    let t = tempfile::tempdir().unwrap();
    let (code, all) = check(t.path(), &|_, _, _| {});
    assert_eq!(code, 0, "{all}");
    assert!(all.contains("Cấu hình hợp lệ"), "{all}");
    assert!(!all.contains("Cảnh báo"), "{all}");
}

#[test]
fn a_required_total_no_cell_and_no_breakdown_can_give_is_an_error_with_the_fix() {
    let t = tempfile::tempdir().unwrap();
    // Without the smaller breakdowns, the vụ việc of the form cannot add up to TCD03: each of
    // the 38 units would be rejected with BC0404.
    let (code, all) = check(t.path(), &|_, ind, _| {
        replace(ind, "  [\"co_quan\"],\n  [\"hinh_thuc\"],\n", "");
        replace(ind, "  [\"co_quan\", \"hinh_thuc\"],\n", "");
    });
    assert_eq!(code, 2, "{all}");
    assert!(
        all.contains("report-templates/tcd/regime.toml › [form.matrix]: chỉ tiêu TCD03 \"Số vụ việc\" bắt buộc (required = true, mặc định khi không ghi; khai báo ở indicators/tiep-cong-dan.toml › [[indicator]] thứ 2 (TCD03))"),
        "{all}"
    );
    assert!(all.contains("mọi đơn vị sẽ bị từ chối (BC0404)"), "{all}");
    // A partial list's cells are said not to add up, by name.
    assert!(
        all.contains("(phân tổ \"noi_dung\" không đầy đủ, exhaustive = false: các ô của nó không cộng thành tổng số)"),
        "{all}"
    );
    // The advice names the smaller breakdowns of the largest one on the form.
    assert!(
        all.contains("([\"co_quan\"], [\"hinh_thuc\"], [\"co_quan\", \"hinh_thuc\"], [\"loai_vu\"], [\"co_quan\", \"loai_vu\"])"),
        "{all}"
    );
    // Not required: it loads (the rule on TCD03 then warns that it never fires).
    let (code, all) = check(t.path(), &|_, ind, _| {
        replace(ind, "  [\"co_quan\"],\n  [\"hinh_thuc\"],\n", "");
        replace(ind, "  [\"co_quan\", \"hinh_thuc\"],\n", "");
        replace(ind, "required = true\n", "required = false\n");
    });
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("[[rule]] thứ 1: quy tắc này sẽ không bao giờ được kiểm tra trên biểu của chế độ: biểu không có ô \"TCD03\""),
        "{all}"
    );
}

#[test]
fn a_rule_on_a_cell_the_form_never_gives_warns() {
    let t = tempfile::tempdir().unwrap();
    // The new cases of tố cáo are a cell of TCD03 the catalog declares, but the form has no
    // cell for it, and it cannot be added up from the form's cells (nội dung is a partial
    // list).
    let (code, all) = check(t.path(), &|_, ind, r| {
        replace(
            ind,
            "  [\"noi_dung\"],\n",
            "  [\"noi_dung\"],\n  [\"loai_vu\"],\n  [\"noi_dung\", \"loai_vu\"],\n",
        );
        replace(
            r,
            "part = \"TCD03[noi_dung=khieu_nai]\"",
            "part = \"TCD03[loai_vu=moi;noi_dung=to_cao]\"",
        );
    });
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("report-templates/tcd/regime.toml › [[rule]] thứ 1: quy tắc này sẽ không bao giờ được kiểm tra trên biểu của chế độ: biểu không có ô \"TCD03[loai_vu=moi;noi_dung=to_cao]\""),
        "{all}"
    );
    // A cell the catalog does not have is an error.
    let (code, all) = check(t.path(), &|_, _, r| {
        replace(
            r,
            "part = \"TCD03[noi_dung=khieu_nai]\"",
            "part = \"TCD03[noi_dung=kien_nghi]\"",
        );
    });
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("[[rule]] thứ 1: "), "{all}");
    assert!(all.contains("kien_nghi"), "{all}");
}

#[test]
fn a_breakdown_rule_whose_parts_are_not_on_the_form_warns() {
    let t = tempfile::tempdir().unwrap();
    let rule =
        "[[rule]]\nkind = \"breakdown\"\nindicator = \"TCD03\"\ndimension = \"co_quan\"\n\n[form]";
    // With the rows of the cơ quan, the identity "Tổng cộng = Ban + Lãnh đạo" is checked.
    let (code, all) = check(t.path(), &|_, _, r| replace(r, "[form]", rule));
    assert_eq!(code, 0, "{all}");
    assert!(!all.contains("Cảnh báo"), "{all}");
    // Without them (a form of the total row only), it never is.
    let (code, all) = check(t.path(), &|_, _, r| {
        replace(r, "[form]", rule);
        replace(r, "[[form.matrix.row]]\ndimension = \"co_quan\"\n\n", "");
    });
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("[[rule]] thứ 2: quy tắc cộng phân tổ của TCD03 theo phân tổ \"co_quan\" sẽ không bao giờ được kiểm tra"),
        "{all}"
    );
    // … and the cơ quan's options have no cell either.
    assert!(
        all.contains("indicators/tiep-cong-dan.toml › [[dimension]] co_quan"),
        "{all}"
    );
}

#[test]
fn two_rows_with_one_label_warn_naming_both_rows() {
    let t = tempfile::tempdir().unwrap();
    let (code, all) = check(t.path(), &|_, ind, _| {
        replace(ind, "name = \"Lãnh đạo\"", "name = \"Ban Tiếp công dân\"");
    });
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("hai dòng của biểu cùng tên \"Ban Tiếp công dân\" (dòng thứ 1 của bảng, STT 1 và dòng thứ 2 của bảng, STT 2)"),
        "{all}"
    );
}

#[test]
fn a_level_due_before_the_units_reporting_to_it_warns_with_the_periods() {
    let t = tempfile::tempdir().unwrap();
    // The communes due 10 working days after the 14th of the quarter's last month (Q1 2024:
    // Thursday 14/03 + 10 = Thursday 28/03), the province on the 20th (Wednesday 20/03/2024):
    // every quarter of every year of the calendar (2024–2027: 16 quarters).
    let late = |r: &mut String| replace(r, "days = 2", "days = 10");
    let (code, all) = check(t.path(), &|_, _, r| late(r));
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("hạn gửi của cấp \"tinh\" sớm hơn hạn của cấp \"xa\" báo cáo lên nó ở 16 kỳ: Quý I năm 2024 (cấp tỉnh 20/03/2024, cấp xã 28/03/2024);"),
        "{all}"
    );
    assert!(all.contains("và 13 kỳ khác"), "{all}");
    // A deadline of its own for one period (Friday 29/03/2024) clears that period only.
    let (_, all) = check(t.path(), &|_, _, r| {
        late(r);
        replace(
            r,
            "[[rule]]",
            "[[deadline]]\nlevels = [\"tinh\"]\nperiods = [\"2024-Q1\"]\nrule = \"day-of-month\"\nday = 29\n\n[[rule]]",
        );
    });
    assert!(all.contains("ở 15 kỳ: Quý II năm 2024"), "{all}");
    // A period the regime does not have is an error.
    let (code, all) = check(t.path(), &|_, _, r| {
        replace(
            r,
            "[[rule]]",
            "[[deadline]]\nlevels = [\"tinh\"]\nperiods = [\"2026-02\"]\nrule = \"day-of-month\"\nday = 25\n\n[[rule]]",
        );
    });
    assert_eq!(code, 2, "{all}");
    assert!(
        all.contains("[[deadline]] thứ 3, periods: kỳ 2026-02 (Tháng 2 năm 2026) không phải kỳ của chế độ này (tần suất hằng tháng)"),
        "{all}"
    );
}

#[test]
fn a_dimension_or_option_declared_and_never_used_warns() {
    let t = tempfile::tempdir().unwrap();
    let (code, all) = check(t.path(), &|_, ind, _| {
        replace(
            ind,
            "  { code = \"to_cao\", name = \"Tố cáo\" },\n",
            "  { code = \"to_cao\", name = \"Tố cáo\" },\n  { code = \"kien_nghi\", name = \"Kiến nghị, phản ánh\" },\n",
        );
        ind.push_str("\n[[dimension]]\ncode = \"gioi_tinh\"\nname = \"Giới tính\"\noptions = [{ code = \"nu\", name = \"Nữ\" }]\n");
    });
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("indicators/tiep-cong-dan.toml › [[dimension]] gioi_tinh: phân tổ \"gioi_tinh\" (Giới tính) không được chỉ tiêu nào dùng"),
        "{all}"
    );
    assert!(
        all.contains("[[dimension]] noi_dung: 1 phương án của phân tổ \"noi_dung\" không có ô nào trên biểu: Kiến nghị, phản ánh."),
        "{all}"
    );
}

#[test]
fn two_indicators_of_one_form_with_one_name_are_an_error() {
    let t = tempfile::tempdir().unwrap();
    let root = sample_root(t.path());
    let (code, all) = {
        let (c, o, e) = baocao(&["--root", s(&root), "check-config"]);
        (c, format!("{o}{e}"))
    };
    assert_eq!(code, 0, "the samples are clean: {all}");
    assert!(!all.contains("Cảnh báo"), "the samples are clean: {all}");
    // "Lúa" twice on the economic form.
    let p = root.join("indicators/kinh-te.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text
        .replacen(
            "name = \"Diện tích gieo trồng cây hằng năm\"",
            "name = \"Lúa\"",
            1,
        )
        .replacen("name = \"Diện tích lúa\"", "name = \"Lúa\"", 1);
    std::fs::write(&p, text).unwrap();
    let (code, out, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("report-templates/ktxh/regime.toml › [[form.sections]]: hai chỉ tiêu trên biểu cùng tên \"Lúa\" (NN01 và NN02)"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    // The reader (`true`) is gone before baocao writes: its first line meets a closed pipe.
    let bin = env!("CARGO_BIN_EXE_baocao");
    let inbox = samples().join("inbox/ntm");
    let out = tempfile::tempdir().unwrap();
    for args in [
        "check-config".to_string(),
        "calendar --regime ktxh --year 2026".to_string(),
        "due --today 2026-07-15".to_string(),
        format!("check --regime ntm --period 2026-H1 --as-of 2026-07-15 '{}'", s(&inbox)),
        format!("run --regime ntm --period 2026-H1 --as-of 2026-07-15 --no-history --inbox '{}' --out '{}'", s(&inbox), s(out.path())),
    ] {
        let script = format!(
            "{{ sleep 0.3; '{bin}' --root '{}' {args}; echo \"rc=$?\" >&2; }} | true",
            s(&samples())
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args}: {err}");
        assert!(err.contains("rc=141"), "{args}: {err}");
    }
}

#[test]
fn a_dimension_code_declared_twice_names_both_files_and_nothing_else() {
    let t = tempfile::tempdir().unwrap();
    let (code, _) = check(t.path(), &|_, _, _| {});
    assert_eq!(code, 0);
    // Another regime's catalog, loaded after, reuses "co_quan".
    std::fs::write(
        t.path().join("indicators/vu-viec.toml"),
        "[[dimension]]\ncode = \"co_quan\"\nname = \"Cơ quan giải quyết\"\noptions = [{ code = \"xa\", name = \"UBND cấp xã\" }]\n",
    )
    .unwrap();
    let (code, out, err) = baocao(&["--root", s(t.path()), "check-config"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("Cấu hình có 2 lỗi"), "{err}");
    assert!(
        err.contains("indicators/vu-viec.toml › [[dimension]] thứ 1 (co_quan).code: mã phân tổ \"co_quan\" trùng, đã khai báo trong indicators/tiep-cong-dan.toml"),
        "{err}"
    );
    assert!(err.contains("\"vu_viec_co_quan\""), "{err}");
    assert!(err.contains("chưa kiểm tra các chế độ báo cáo"), "{err}");
}

#[test]
fn a_form_run_that_makes_no_form_says_why_and_fails() {
    let t = tempfile::tempdir().unwrap();
    // A level without units reports.
    let (code, all) = check(t.path(), &|u, _, r| {
        u.push_str("[[level]]\nname = \"huyen\"\nlabel = \"Cấp huyện\"\n");
        replace(
            r,
            "reporters = { levels = [\"xa\"] }",
            "reporters = { levels = [\"huyen\"] }",
        );
        replace(r, "levels = [\"xa\"]\nrule", "levels = [\"huyen\"]\nrule");
    });
    assert_eq!(code, 0, "{all}");
    let out = t.path().join("bieu");
    let (code, stdout, err) = baocao(&[
        "--root",
        s(t.path()),
        "form",
        "--regime",
        "tcd",
        "--period",
        "2026-Q3",
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("không có đơn vị nào phải báo cáo chế độ \"tcd\" kỳ 2026-Q3 (Quý III năm 2026), nên không tạo biểu nào"),
        "{err}"
    );
}

#[test]
fn a_receiver_with_no_reporter_below_it_is_an_error_naming_the_top() {
    // The xã X1 as the receiver of xã reports: nobody reports to it, and `due` would call
    // every period sent. check-config says so and names the unit above the xã.
    let t = tempfile::tempdir().unwrap();
    let (code, all) = check(t.path(), &|_, _, r| {
        replace(r, "receiver = \"T\"", "receiver = \"X1\"")
    });
    assert_eq!(code, 2, "{all}");
    assert!(
        all.contains(
            "cơ quan nhận \"X1\" (Xã Một) không có đơn vị báo cáo nào ở dưới nó trong units.toml"
        ),
        "{all}"
    );
    assert!(
        all.contains("(ví dụ receiver = \"T\", mã của UBND tỉnh)"),
        "{all}"
    );
}

#[test]
fn a_units_file_that_does_not_read_is_the_one_error_said() {
    // A date typed the Vietnamese way in units.toml: once every level, kind and unit the
    // other files name was then called unknown, 93 lines under the one that mattered.
    let t = tempfile::tempdir().unwrap();
    let (code, all) = check(t.path(), &|u, _, _| {
        u.push_str("\n[[unit]]\ncode = \"X9\"\nname = \"Xã Cũ\"\nlevel = \"xa\"\nparent = \"T\"\nvalid_to = 31/12/2025\n");
    });
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("Cấu hình có 2 lỗi:"), "{all}");
    assert!(all.contains("units.toml › dòng"), "{all}");
    assert!(
        all.contains("các tệp cấu hình khác (chỉ tiêu, chế độ báo cáo) chưa được kiểm tra vì chúng dùng danh mục đơn vị: sửa units.toml rồi chạy lại check-config"),
        "{all}"
    );
}
