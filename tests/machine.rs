//! When the machine fails: a full disk (for the outputs, for the history store, for the run
//! log) and a read-only output folder, on small tmpfs mounts in a user and mount namespace of
//! their own (`unshare -rm`, no root needed where user namespaces are allowed).
//!
//! Each case says the fault in Vietnamese with its code (`BC11xx`) and exit code 5, never
//! "Lỗi nội bộ" nor the operating system's English, and keeps the promises: the previous output
//! set whole (`verify` passes), the store's earlier periods byte for byte, no temporary file
//! left. A machine where no namespace or tmpfs can be made skips them, saying so.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// The evidence a script left in `$T`.
struct Evidence(tempfile::TempDir);

impl Evidence {
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.path().join(name)).unwrap_or_default()
    }

    fn code(&self, name: &str) -> i32 {
        self.read(name).trim().parse().unwrap_or(-1)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Runs the bash `script` in a namespace of its own, with `$B` the binary, `$S` the samples
/// root, `$M` an empty folder to mount a tmpfs on and `$T` a folder outside it for what the
/// test reads back. None (said on stderr) where a tmpfs cannot be mounted here.
fn in_namespace(script: &str) -> Option<Evidence> {
    let mount_point = tempfile::tempdir().unwrap();
    let probe = Command::new("unshare")
        .args(["-rm", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size=64k tmpfs '{}'",
            mount_point.path().display()
        ))
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "Máy này không cho tạo không gian gắn ổ riêng (unshare -rm) hay gắn tmpfs: bỏ qua kiểm tra lỗi máy trên tmpfs"
        );
        return None;
    }
    let evidence = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .args(["-rm", "bash", "-c", script])
        .env("B", env!("CARGO_BIN_EXE_baocao"))
        .env("S", samples())
        .env("M", mount_point.path())
        .env("T", evidence.path())
        .output()
        .expect("run unshare");
    assert!(
        out.status.success(),
        "script failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Evidence(evidence))
}

/// What every machine fault's message holds, and what it never does.
fn said_as_a_fault(err: &str, code: &str, what: &str) {
    assert!(err.contains(&format!("Lỗi máy: {code} {what}")), "{err}");
    assert!(err.contains("rồi chạy lại"), "{err}");
    assert!(!err.contains("Lỗi nội bộ"), "{err}");
    for english in [
        "No space",
        "Read-only file system",
        "os error",
        "Permission denied",
    ] {
        assert!(!err.contains(english), "{err}");
    }
}

/// The entries of a `find .` listing whose names start with a dot, but the locks: the
/// temporaries and the half-made folders a run may leave.
fn hidden_leftovers(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .map(str::trim)
        .filter(|l| {
            let name = l.rsplit('/').next().unwrap_or(l);
            name.starts_with('.') && name != "." && name != ".baocao.lock"
        })
        .collect()
}

const RUN: &str = r#"run() { "$B" --root "$S" run --regime ktxh --inbox "$S/inbox/ktxh" -q "$@"; }
fill() { dd if=/dev/zero of="$1/filler" bs=64k >/dev/null 2>&1; sync; }
"#;

#[test]
fn a_full_disk_while_writing_the_outputs_leaves_the_previous_set_whole() {
    let Some(t) = in_namespace(&format!(
        r#"{RUN}
mount -t tmpfs -o size=16m tmpfs "$M"
run --period 2026-10 --out "$M/out" --no-history --log "$T/log" --as-of 2026-11-22 >/dev/null 2>"$T/err1"; echo $? >"$T/rc1"
cp "$M/out/ktxh/2026-10/manifest.json" "$T/manifest-before"
fill "$M"
run --period 2026-10 --out "$M/out" --no-history --log "$T/log" --as-of 2026-11-23 >/dev/null 2>"$T/err2"; echo $? >"$T/rc2"
"$B" verify "$M/out/ktxh/2026-10" >"$T/verify" 2>&1; echo $? >"$T/rc-verify"
cp "$M/out/ktxh/2026-10/manifest.json" "$T/manifest-after"
(cd "$M/out" && find .) >"$T/listing"
"#
    )) else {
        return;
    };
    assert!(matches!(t.code("rc1"), 0 | 1), "{}", t.read("err1"));
    assert_eq!(t.code("rc2"), 5, "{}", t.read("err2"));
    let err = t.read("err2");
    said_as_a_fault(&err, "BC1101", "ổ đĩa đầy");
    assert!(err.contains("vào thư mục kết quả "), "{err}");
    assert!(err.contains("/out/ktxh/2026-10."), "{err}");
    assert!(
        err.contains("Bộ kết quả trước của kỳ này vẫn nguyên vẹn"),
        "{err}"
    );
    assert!(err.contains("(Mã lỗi của hệ điều hành: 28.)"), "{err}");
    // The previous set, whole and as it was.
    assert_eq!(t.code("rc-verify"), 0, "{}", t.read("verify"));
    assert_eq!(t.read("manifest-before"), t.read("manifest-after"));
    assert!(t
        .read("manifest-after")
        .contains("\"as_of\": \"2026-11-22\""));
    let listing = t.read("listing");
    assert_eq!(hidden_leftovers(&listing), Vec::<&str>::new(), "{listing}");
    // The run log (on another disk) says the period failed, with its exit code.
    let log = t.read("log");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.contains("mã thoát 5") && last.contains("BC1101"),
        "{log}"
    );
}

#[test]
fn a_full_disk_while_recording_the_store_keeps_its_periods_and_publishes_nothing() {
    let Some(t) = in_namespace(&format!(
        r#"{RUN}
mount -t tmpfs -o size=4m tmpfs "$M"
stored() {{ (cd "$M/kho" && find . -type f ! -name .baocao.lock | sort | xargs sha256sum); }}
run --period 2026-09 --out "$T/out" --history "$M/kho" --log "$T/log" --as-of 2026-11-22 >/dev/null 2>"$T/err1"; echo $? >"$T/rc1"
stored >"$T/before"
fill "$M"
run --period 2026-10 --out "$T/out" --history "$M/kho" --log "$T/log" --as-of 2026-11-22 >/dev/null 2>"$T/err2"; echo $? >"$T/rc2"
stored >"$T/after"
(cd "$M/kho" && find .) >"$T/listing"
"$B" --root "$S" history --regime ktxh --history "$M/kho" --unit 99001 --indicator NN01 --format json >"$T/history" 2>&1
"#
    )) else {
        return;
    };
    assert!(matches!(t.code("rc1"), 0 | 1), "{}", t.read("err1"));
    assert_eq!(t.code("rc2"), 5, "{}", t.read("err2"));
    let err = t.read("err2");
    said_as_a_fault(&err, "BC1101", "ổ đĩa đầy");
    assert!(
        err.contains("không lưu được kỳ 2026-10 vào kho lịch sử"),
        "{err}"
    );
    assert!(
        err.contains("Các kỳ đã lưu trong kho vẫn nguyên vẹn"),
        "{err}"
    );
    // The stored periods byte for byte, and read back.
    assert!(t.read("before").contains("period=2026-09"));
    assert_eq!(t.read("before"), t.read("after"));
    let listing = t.read("listing");
    assert_eq!(hidden_leftovers(&listing), Vec::<&str>::new(), "{listing}");
    let history: serde_json::Value = serde_json::from_str(&t.read("history")).unwrap();
    let periods: Vec<&str> = history["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["period"].as_str().unwrap())
        .collect();
    assert!(periods.contains(&"2026-09"), "{history}");
    assert!(!periods.contains(&"2026-10"), "{history}");
    // Nothing published for the period the store could not record: the next run (its inputs
    // unchanged) is not taken as up to date.
    assert!(t.path().join("out/ktxh/2026-09/manifest.json").is_file());
    assert!(!t.path().join("out/ktxh/2026-10").exists());
}

#[test]
fn a_full_disk_for_the_run_log_keeps_its_lines_whole_and_says_so() {
    let Some(t) = in_namespace(&format!(
        r#"{RUN}
mount -t tmpfs -o size=64k tmpfs "$M"
# 64 old lines of 64 bytes: a page of its own, so the new line needs a page the disk has not.
for i in $(seq 1 64); do printf '%-63s\n' "dong cu $i"; done >"$M/nhat-ky.log"
cp "$M/nhat-ky.log" "$T/log-before"
fill "$M"
run --period 2026-10 --out "$T/out" --no-history --log "$M/nhat-ky.log" --as-of 2026-11-22 >/dev/null 2>"$T/err"; echo $? >"$T/rc"
cp "$M/nhat-ky.log" "$T/log"
(cd "$M" && find .) >"$T/listing"
"#
    )) else {
        return;
    };
    assert_eq!(t.code("rc"), 5, "{}", t.read("err"));
    let err = t.read("err");
    said_as_a_fault(&err, "BC1101", "ổ đĩa đầy");
    assert!(err.contains("không ghi được nhật ký chạy"), "{err}");
    assert!(err.contains("các dòng cũ vẫn nguyên"), "{err}");
    // The old lines, and no half line after them.
    assert_eq!(t.read("log").len(), 4096);
    assert_eq!(t.read("log"), t.read("log-before"));
    // The outputs themselves were written.
    assert!(t.path().join("out/ktxh/2026-10/manifest.json").is_file());
    let listing = t.read("listing");
    assert_eq!(hidden_leftovers(&listing), Vec::<&str>::new(), "{listing}");
}

#[test]
fn a_read_only_output_folder_is_said_and_its_set_stays_whole() {
    let Some(t) = in_namespace(&format!(
        r#"{RUN}
mount -t tmpfs -o size=16m tmpfs "$M"
run --period 2026-10 --out "$M/out" --no-history --log "$T/log" --as-of 2026-11-22 >/dev/null 2>"$T/err1"; echo $? >"$T/rc1"
mount -o remount,ro "$M"
run --period 2026-10 --out "$M/out" --no-history --log "$T/log" --as-of 2026-11-23 >/dev/null 2>"$T/err2"; echo $? >"$T/rc2"
"$B" verify "$M/out/ktxh/2026-10" >"$T/verify" 2>&1; echo $? >"$T/rc-verify"
cp "$M/out/ktxh/2026-10/manifest.json" "$T/manifest-after"
"#
    )) else {
        return;
    };
    assert!(matches!(t.code("rc1"), 0 | 1), "{}", t.read("err1"));
    assert_eq!(t.code("rc2"), 5, "{}", t.read("err2"));
    let err = t.read("err2");
    said_as_a_fault(&err, "BC1103", "thư mục chỉ đọc");
    assert!(err.contains("/out/.baocao.lock"), "{err}");
    assert!(
        err.contains("Lần chạy dừng trước khi đọc hay ghi gì"),
        "{err}"
    );
    assert_eq!(t.code("rc-verify"), 0, "{}", t.read("verify"));
    assert!(t
        .read("manifest-after")
        .contains("\"as_of\": \"2026-11-22\""));
}

#[test]
fn a_read_only_store_leaves_no_empty_output_folder_and_a_log_line_that_counts_nothing() {
    let Some(t) = in_namespace(&format!(
        r#"{RUN}
mount -t tmpfs -o size=16m tmpfs "$M"
cp -r "$S/history" "$M/history"
rm -rf "$M/history/.bo-nho-dem"
mount -o remount,ro "$M"
run --period 2026-10 --out "$T/out" --history "$M/history" --log "$T/log" --as-of 2026-11-22 >/dev/null 2>"$T/err"; echo $? >"$T/rc"
(cd "$T/out" && find . | sort) >"$T/listing"
"#
    )) else {
        return;
    };
    assert_eq!(t.code("rc"), 5, "{}", t.read("err"));
    said_as_a_fault(&t.read("err"), "BC1103", "thư mục chỉ đọc");
    // The output set was staged, then dropped with the folder made for it: only the lock.
    assert_eq!(t.read("listing"), ".\n./.baocao.lock\n");
    let log = t.read("log");
    assert!(
        log.contains("\tktxh\t2026-10\tlỗi\tchưa tính (lần chạy dừng)\tmã thoát 5\tBC1103"),
        "{log}"
    );
}

#[test]
fn a_vanished_inbox_is_the_machine_s_and_a_mistyped_one_the_officer_s() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |inbox: &Path| {
        baocao(&[
            "--root",
            s(&samples()),
            "run",
            "--regime",
            "ktxh",
            "--period",
            "2026-10",
            "--inbox",
            s(inbox),
            "--out",
            s(&out),
            "--no-history",
        ])
    };
    // A folder that is not there: most often a typo (exit 2, as before).
    let (code, _, err) = run(&dir.path().join("khong-co"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("không có thư mục nhận báo cáo"), "{err}");
    // A path through a file (ENOTDIR, as a share cut off under its mount point): the machine.
    let file = dir.path().join("tep");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = run(&file.join("nhan"));
    assert_eq!(code, 5, "{err}");
    said_as_a_fault(&err, "BC1104", "thư mục hoặc tệp không còn");
    assert!(err.contains("không đọc được thư mục nhận báo cáo"), "{err}");
    assert!(!dir.path().join("out/ktxh").exists());
}
