//! End-to-end: reports taken from a real IMAP server. Dovecot is started here on 127.0.0.1
//! with a throwaway configuration and maildir; messages are put in with IMAP APPEND (Python's
//! imaplib), their INTERNALDATEs before and after the deadline. The samples' 39 October forms
//! are sent by their units, with hostile mail around them; `nhan` routes them, `check` reads
//! the receipt times it logged. Expectations worked out by hand from the samples.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::*;
use mail_parser::MimeHeaders;

/// A Dovecot serving one user, `vanthu@tinh.gov.vn` / `matkhau`, on a free loopback port.
struct Dovecot {
    _dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Dovecot, or `None` where it is not installed (a failure under CI, which installs it).
fn dovecot() -> Option<Dovecot> {
    dovecot_with(None)
}

/// Dovecot speaking plain text, or only TLS with the given certificate and key (PEM files).
fn dovecot_with(tls: Option<(&Path, &Path)>) -> Option<Dovecot> {
    let found = Command::new("sh")
        .args(["-c", "command -v dovecot || ls /usr/sbin/dovecot"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "dovecot is not installed (.ci/run installs dovecot-imapd)"
        );
        eprintln!("dovecot not installed: skipped");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(d.join("home")).unwrap();
    // Mail processes may not run as root: as root, the maildir belongs to nobody.
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let (user, group) = if root {
        let _ = Command::new("chown")
            .args(["nobody:nogroup", &d.join("home").display().to_string()])
            .status();
        ("nobody".to_string(), "nogroup".to_string())
    } else {
        let id = |flag: &str| {
            String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout)
                .unwrap()
                .trim()
                .to_string()
        };
        (id("-un"), id("-gn"))
    };
    let d = d.display();
    let (ssl, plain, secure) = match tls {
        Some((cert, key)) => (
            format!(
                "ssl = required\nssl_cert = <{}\nssl_key = <{}",
                cert.display(),
                key.display()
            ),
            0,
            port,
        ),
        None => ("ssl = no".to_string(), port, 0),
    };
    let conf = format!(
        "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
log_path = {d}/log\ninfo_log_path = {d}/log\n{ssl}\ndisable_plaintext_auth = no\n\
auth_mechanisms = plain login\nfirst_valid_uid = 1\nmail_location = maildir:{d}/home/%u/Maildir\n\
passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
userdb {{\n  driver = static\n  args = uid={user} gid={group} home={d}/home/%u\n}}\n\
service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {plain}\n  }}\n\
  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {secure}\n    ssl = yes\n  }}\n  chroot =\n}}\n\
service anvil {{\n  chroot =\n}}\n"
    );
    std::fs::write(dir.path().join("dovecot.conf"), conf).unwrap();
    std::fs::write(
        dir.path().join("passwd"),
        "vanthu@tinh.gov.vn:{PLAIN}matkhau\n",
    )
    .unwrap();
    let mut child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(dir.path().join("dovecot.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dovecot starts");
    listening(&mut child, port, "dovecot");
    Some(Dovecot {
        _dir: dir,
        port,
        child,
    })
}

/// Builds and appends messages. Each line of the spec is JSON: from (or null), subject,
/// date (INTERNALDATE), message_id, attachments [[name, path]], or raw (the message's bytes as
/// they are, hex).
const APPEND: &str = r#"
import imaplib, json, sys, email.message
port = int(sys.argv[1])
if len(sys.argv) > 2:
    import ssl
    m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ssl._create_unverified_context())
else:
    m = imaplib.IMAP4('127.0.0.1', port)
m.login('vanthu@tinh.gov.vn', 'matkhau')
for line in sys.stdin:
    spec = json.loads(line)
    if spec.get('raw') is not None:
        data = bytes.fromhex(spec['raw'])
    else:
        msg = email.message.EmailMessage()
        if spec['from']:
            msg['From'] = spec['from']
        msg['To'] = 'vanthu@tinh.gov.vn'
        msg['Subject'] = spec['subject']
        msg['Message-ID'] = spec['message_id']
        msg.set_content('Kính gửi Văn phòng UBND tỉnh.')
        for name, path in spec['attachments']:
            msg.add_attachment(open(path, 'rb').read(), maintype='application',
                               subtype='octet-stream', filename=name)
        data = msg.as_bytes()
    typ, _ = m.append('INBOX', None, '"%s"' % spec['date'], data)
    assert typ == 'OK', typ
m.logout()
"#;

fn append(port: u16, specs: &[serde_json::Value]) {
    append_over(port, specs, false)
}

fn append_over(port: u16, specs: &[serde_json::Value], tls: bool) {
    let mut child = Command::new("python3")
        .args(["-c", APPEND, &port.to_string()])
        .args(tls.then_some("tls"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for s in specs {
        writeln!(stdin, "{s}").unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success(), "append failed");
}

fn message(from: Option<&str>, date: &str, files: &[(String, PathBuf)]) -> serde_json::Value {
    serde_json::json!({
        "from": from,
        "subject": "Báo cáo tình hình kinh tế - xã hội tháng 10",
        "date": date,
        "message_id": format!("<{}@don-vi>", fastrand_id(date, files)),
        "attachments": files.iter().map(|(n, p)| [n.clone(), p.display().to_string()]).collect::<Vec<_>>(),
    })
}

/// A Message-ID's own part, from what the message carries.
fn fastrand_id(date: &str, files: &[(String, PathBuf)]) -> String {
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    format!("{}-{}", names.join("+"), date.len())
        .replace(['/', '.', ' '], "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '+')
        .collect()
}

/// The samples' root with an address for every unit: `<code in lower case>@don-vi.gov.vn`.
fn root_with_addresses(dir: &Path) -> PathBuf {
    let root = sample_root(dir);
    let units = root.join("units.toml");
    let text = std::fs::read_to_string(&units).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some(code) = line
            .strip_prefix("code = \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            out.push_str(&format!(
                "email = [\"{}@don-vi.gov.vn\"]\n",
                code.to_lowercase()
            ));
        }
    }
    std::fs::write(&units, out).unwrap();
    root
}

fn nhan(root: &Path, inbox: &Path, port: u16) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args(["--root", s(root), "nhan", "--imap"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "--user",
            "vanthu@tinh.gov.vn",
            "--insecure",
            "--inbox",
            s(inbox),
        ])
        .env("BAOCAO_IMAP_PASSWORD", "matkhau")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir` with its bytes, by path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_units_reports_are_taken_from_the_mailbox_with_the_servers_receipt_time() {
    let Some(server) = dovecot() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = root_with_addresses(dir.path());
    let october = samples().join("inbox/ktxh/2026-10");
    let mut forms: Vec<(String, PathBuf)> = std::fs::read_dir(&october)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    forms.sort();
    assert_eq!(forms.len(), 39);
    let code = |name: &str| name.split('-').next().unwrap().to_lowercase();
    let mut specs = Vec::new();
    // Each unit sends its form on 15/10 at 09:00 (Vietnam's time), Xã Nam Phong on Tuesday
    // 20/10 at 09:30, after the deadline of Friday 16/10.
    for (name, path) in &forms {
        let date = if name.starts_with("99021-") {
            "20-Oct-2026 09:30:00 +0700"
        } else {
            "15-Oct-2026 09:00:00 +0700"
        };
        let from = format!("{}@don-vi.gov.vn", code(name));
        specs.push(message(Some(&from), date, &[(name.clone(), path.clone())]));
    }
    let file = |prefix: &str| forms.iter().find(|f| f.0.starts_with(prefix)).unwrap();
    let tmp = dir.path();
    std::fs::write(tmp.join("bang.zip"), b"PK\x03\x04 not really").unwrap();
    std::fs::write(tmp.join("chay.exe"), b"MZ\x90\x00").unwrap();
    // A stranger sends Phường Thống Nhất's form (held: not one of its addresses).
    let thong_nhat = file("99005-");
    specs.push(message(
        Some("la@mail.com"),
        "15-Oct-2026 10:00:00 +0700",
        std::slice::from_ref(thong_nhat),
    ));
    // A message without a sender, with Phường Nam Thành's form (held).
    specs.push(message(
        None,
        "15-Oct-2026 10:05:00 +0700",
        std::slice::from_ref(file("99008-")),
    ));
    // Phường Quang Trung names its file "../../…": saved under its last part, inside the root.
    let quang_trung = file("99006-");
    specs.push(message(
        Some("99006@don-vi.gov.vn"),
        "15-Oct-2026 10:10:00 +0700",
        &[(format!("../../{}", quang_trung.0), quang_trung.1.clone())],
    ));
    // Phường Lê Lợi attaches its form twice, a zip and a program: one form, two refusals.
    let le_loi = file("99007-");
    specs.push(message(
        Some("99007@don-vi.gov.vn"),
        "15-Oct-2026 10:15:00 +0700",
        &[
            le_loi.clone(),
            le_loi.clone(),
            ("bang.zip".into(), tmp.join("bang.zip")),
            ("chay.exe".into(), tmp.join("chay.exe")),
        ],
    ));
    // Xã Tân Lập sends the same form again the next day: nothing new.
    specs.push(message(
        Some("99012@don-vi.gov.vn"),
        "16-Oct-2026 08:00:00 +0700",
        std::slice::from_ref(file("99012-")),
    ));
    // Not mail at all.
    specs.push(
        serde_json::json!({"raw": hex(b"day khong phai thu\r\n\r\n\xff\xfe\x80"),
        "date": "15-Oct-2026 11:00:00 +0700"}),
    );
    // 150 attachments.
    let many: Vec<(String, PathBuf)> = (0..150)
        .map(|i| (format!("phu-luc-{i}.csv"), tmp.join("bang.zip")))
        .collect();
    specs.push(message(
        Some("99009@don-vi.gov.vn"),
        "15-Oct-2026 11:30:00 +0700",
        &many,
    ));
    append(server.port, &specs);

    let inbox = dir.path().join("nhan");
    let (status, out, err) = nhan(&root, &inbox, server.port);
    assert_eq!(status, 1, "{out}\n{err}");
    // 39 forms + 7 other messages; the copies of forms already taken are not written again.
    assert!(
        out.contains("Đã xét 46 thư mới: 39 tệp vào thư mục nhận, 2 tệp để ở chua-xu-ly/."),
        "{out}"
    );
    let folder = inbox.join("ktxh/2026-10");
    let saved: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // 38 forms and the receipt log: Xã Phước Sơn's form says it is September's (the samples'
    // BC0303), so it went to September's folder, by what it is. Nothing outside the root.
    assert_eq!(saved.len(), 39, "{saved:?}");
    assert!(inbox
        .join("ktxh/2026-09/99010-xa-phuoc-son-2026-10.xlsx")
        .is_file());
    assert!(saved.contains(&quang_trung.0), "{saved:?}");
    assert!(!dir.path().join("x.xlsx").exists());
    let held: Vec<String> = std::fs::read_dir(inbox.join("chua-xu-ly"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    for (code, words) in [
        (
            "BC1202",
            "Người gửi la@mail.com không phải địa chỉ thư của Phường Thống Nhất (99005)",
        ),
        ("BC1202", "Thư không có địa chỉ người gửi"),
        ("BC1205", "../../99006-phuong-quang-trung-2026-10.xlsx"),
        ("BC1208", "Thư đính kèm cùng một tệp hai lần"),
        ("BC1203", "Tệp \"bang.zip\" không phải biểu báo cáo"),
        ("BC1203", "Tệp \"chay.exe\" không phải biểu báo cáo"),
        ("BC1208", "đã nhận trước đây, giống hệt từng byte"),
        ("BC1207", "Thư có 150 tệp đính kèm"),
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(code)) && out.contains(words),
            "{code} {words} not said:\n{out}"
        );
    }
    // The not-mail message is said, and gave nothing.
    assert!(
        out.contains("BC1201") || out.contains("Thư không có tệp đính kèm nào"),
        "{out}"
    );

    // The receipt log has the server's times, in Vietnam's time, the sender and the hash.
    let log = std::fs::read_to_string(folder.join("nhan.csv")).unwrap();
    assert!(
        log.starts_with("file,received_at,source,sender,message_id,sha256\n"),
        "{log}"
    );
    assert!(
        log.contains(
            "99021-xa-nam-phong-2026-10.xlsx,2026-10-20T09:30:00,imap,99021@don-vi.gov.vn,"
        ),
        "{log}"
    );

    // A second fetch finds nothing new and rewrites nothing.
    let before = tree(&inbox);
    let (status, out, err) = nhan(&root, &inbox, server.port);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("Đã xét 0 thư mới"), "{out}");
    assert_eq!(tree(&inbox), before);

    // The fetched inbox consolidates as it is: 37 reports used, Nam Phong's late by the
    // server's clock, Hòa Bình's returned (BC0405), Phước Sơn's in September's folder and
    // Vĩnh Hưng's never sent, so both missing.
    let period = run_october(&root, &inbox.join("ktxh"), &dir.path().join("ketqua"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(period.join("manifest.json")).unwrap())
            .unwrap();
    let counts = &manifest["counts"];
    assert_eq!(counts["submissions_accepted"], 37, "{counts}");
    assert_eq!(counts["late"], 1, "{counts}");
    assert_eq!(counts["files_rejected"], 1, "{counts}");
    assert_eq!(counts["missing"], 2, "{counts}");

    // check reads the receipt times nhan logged: Nam Phong late by the server's clock, the
    // others on time; Thống Nhất's form from a stranger is not there.
    let v = check_october(&root, &folder);
    let subs = v["submissions"].as_array().unwrap();
    let of = |unit: &str| subs.iter().find(|s| s["unit_code"] == unit).unwrap();
    assert_eq!(of("99021")["timeliness"], "late");
    assert_eq!(of("99021")["received_from"], "mail");
    assert_eq!(of("99001")["timeliness"], "on_time");
    assert!(
        of("99001")["received_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-10-15T09:00"),
        "{}",
        of("99001")
    );
    assert_eq!(
        subs.len(),
        38,
        "October's 38 forms, Thống Nhất's among them from its own address"
    );

    // Each unit gets its result sheet back, as a reply to its message; then the letters go to
    // exactly the units not sent.
    let Some(smtp) = smtp_server() else { return };
    let sheets = dir.path().join("phieu");
    let relay = format!("127.0.0.1:{}", smtp.port);
    let send_sheets = [
        "--root",
        s(&root),
        "check",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--as-of",
        "2026-11-22",
        "--feedback",
        s(&sheets),
    ]
    .into_iter()
    .chain(send_args(&relay))
    .chain([s(&folder)])
    .collect::<Vec<_>>();
    let (status, out, err) = baocao(&send_sheets);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(out.contains("Đã gửi 38 thư:"), "{out}");
    let mails = smtp.received(38);
    // The same check again: every sheet is in the sent log, none goes twice.
    let (status, out, err) = baocao(&send_sheets);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(out.contains("Đã gửi 0 thư:"), "{out}");
    assert_eq!(out.matches("không gửi lại").count(), 38, "{out}");
    let log = csv_rows(&sheets.join("da-gui.csv"));
    assert_eq!(log.len(), 38);
    assert!(log
        .iter()
        .any(|r| r["unit"] == "Phường Hòa Bình (99004)" && r["to"] == "99004@don-vi.gov.vn"));
    let to = |m: &mail_parser::Message<'_>| {
        m.to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string()
    };
    let hoa_binh = mails
        .iter()
        .map(|b| mail_parser::MessageParser::default().parse(&b[..]).unwrap())
        .find(|m| to(m) == "99004@don-vi.gov.vn")
        .expect("Hòa Bình's sheet");
    let names: Vec<String> = hoa_binh
        .attachments()
        .map(|a| a.attachment_name().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        ["99004-ktxh-2026-10.xlsx", "99004-ktxh-2026-10.docx"]
    );
    // A reply to the message its form came in (its Message-ID from nhan.csv).
    let receipts = std::fs::read_to_string(folder.join("nhan.csv")).unwrap();
    let id = receipts
        .lines()
        .find(|l| l.starts_with("99004-"))
        .and_then(|l| l.split(',').nth(4))
        .unwrap()
        .to_string();
    assert_eq!(hoa_binh.in_reply_to().as_text(), Some(id.as_str()));
    // Its sheet says it was returned for BC0405.
    let xlsx = hoa_binh.attachments().next().unwrap().contents().to_vec();
    let sheet_file = dir.path().join("hb.xlsx");
    std::fs::write(&sheet_file, xlsx).unwrap();
    let rows = sheet(&sheet_file, "Phiếu kết quả");
    assert!(rows.iter().flatten().any(|c| text(c) == "BC0405"));
    // Received when the mail server says: 15/10 09:00, Vietnam's time.
    assert!(
        rows.iter()
            .flatten()
            .any(|c| text(c) == "15/10/2026 09:00 (máy chủ thư)"),
        "{rows:?}"
    );

    // 19/10: Phước Sơn's form went to September's folder, Vĩnh Hưng sent nothing, Hòa Bình's
    // was returned: the urging letter goes to those three, and to nobody else.
    let letters_dir = dir.path().join("cong-van");
    let due = [
        "--root",
        s(&root),
        "due",
        "--regime",
        "ktxh",
        "--today",
        "2026-10-19",
        "--inbox",
        s(&inbox),
        "--letters",
        s(&letters_dir),
    ]
    .into_iter()
    .chain(send_args(&relay))
    .collect::<Vec<_>>();
    let (status, out, err) = baocao(&due);
    assert_eq!(status, 1, "overdue reports not in: {out}\n{err}");
    // The next morning's cron writes the letter again but mails nobody twice.
    let next_day: Vec<&str> = due
        .iter()
        .map(|a| if *a == "2026-10-19" { "2026-10-20" } else { a })
        .collect();
    let (status, out, err) = baocao(&next_day);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(out.contains("Đã gửi 0 thư:"), "{out}");
    assert_eq!(out.matches("không gửi lại").count(), 3, "{out}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let all = smtp.received(41);
    assert_eq!(all.len(), 41, "nothing sent twice");
    let mut letter_to: Vec<String> = all[38..]
        .iter()
        .map(|b| to(&mail_parser::MessageParser::default().parse(&b[..]).unwrap()))
        .collect();
    letter_to.sort();
    assert_eq!(
        letter_to,
        [
            "99004@don-vi.gov.vn",
            "99010@don-vi.gov.vn",
            "99024@don-vi.gov.vn"
        ]
    );
}

/// An SMTP server (Python's aiosmtpd) that keeps every message it receives in a maildir.
struct SmtpServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// The messages received, in arrival order, once there are `n` of them.
    fn received(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..100 {
            let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
                .iter()
                .filter_map(|d| std::fs::read_dir(self.dir.path().join("maildir").join(d)).ok())
                .flatten()
                .map(|e| e.unwrap().path())
                .map(|p| (std::fs::metadata(&p).unwrap().modified().unwrap(), p))
                .collect();
            if files.len() >= n {
                files.sort();
                return files.iter().map(|f| std::fs::read(&f.1).unwrap()).collect();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("fewer than {n} messages arrived");
    }
}

/// Starts aiosmtpd, or `None` where it is not installed (a failure under CI).
fn smtp_server() -> Option<SmtpServer> {
    let found = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is not installed (.ci/run installs it from PyPI)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir.path().join("maildir"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    listening(&mut child, port, "aiosmtpd");
    Some(SmtpServer { dir, port, child })
}

/// Waits until the server `child` accepts connections on `port` (10 s at most; else it is
/// stopped and the test fails).
fn listening(child: &mut Child, port: u16, what: &str) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not listen on {port}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_mailbox_is_read_over_tls_trusting_the_offices_certificate_authority() {
    // The office's CA, and the server's certificate for 127.0.0.1 it signed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "365",
        "-subj",
        "/CN=CA van phong",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "365",
        "-extfile",
        "san.ext",
    ]);
    if !made {
        assert!(std::env::var_os("CI").is_none(), "openssl is needed");
        return;
    }
    let Some(server) = dovecot_with(Some((&d.join("server.pem"), &d.join("server.key")))) else {
        return;
    };
    let root = root_with_addresses(d);
    let (name, path) = (
        "99001-phuong-an-lac-2026-10.xlsx".to_string(),
        samples().join("inbox/ktxh/2026-10/99001-phuong-an-lac-2026-10.xlsx"),
    );
    let m = message(
        Some("99001@don-vi.gov.vn"),
        "15-Oct-2026 09:00:00 +0700",
        &[(name, path)],
    );
    append_over(server.port, &[m], true);
    let fetch = |inbox: &Path, ca: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baocao"));
        cmd.args(["--root", s(&root), "nhan", "--imap"])
            .arg(format!("127.0.0.1:{}", server.port))
            .args(["--user", "vanthu@tinh.gov.vn", "--inbox", s(inbox)])
            .env("BAOCAO_IMAP_PASSWORD", "matkhau");
        if let Some(ca) = ca {
            cmd.arg("--ca").arg(ca);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    // Without the office's CA the server is not trusted: nothing is read, exit 2.
    let untrusted = d.join("nhan-1");
    let (code, said) = fetch(&untrusted, None);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("--ca"), "{said}");
    assert!(!untrusted.join("ktxh").exists());
    // With it, over TLS: the form is taken.
    let trusted = d.join("nhan-2");
    let (code, said) = fetch(&trusted, Some(&d.join("ca.pem")));
    assert_eq!(code, 0, "{said}");
    assert!(trusted
        .join("ktxh/2026-10/99001-phuong-an-lac-2026-10.xlsx")
        .is_file());
}

#[test]
fn a_200_mb_message_is_said_and_left_and_a_form_sent_again_is_a_resubmission() {
    let Some(server) = dovecot() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = root_with_addresses(dir.path());
    let october = samples().join("inbox/ktxh/2026-10");
    let name = "99001-phuong-an-lac-2026-10.xlsx";
    let first = october.join(name);
    assert!(first.is_file());
    // Phường An Lạc sends its form again the next morning: the same form, other bytes.
    let again = dir.path().join("lai.xlsx");
    std::fs::write(
        &again,
        rezip(&std::fs::read(&first).unwrap(), &|_, part| part),
    )
    .unwrap();
    assert_ne!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&first).unwrap()
    );
    // Phường Bình Minh attaches 200 MB (a sparse file: nothing to write).
    let big = dir.path().join("to.xlsx");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let specs = [
        message(
            Some("99001@don-vi.gov.vn"),
            "15-Oct-2026 09:00:00 +0700",
            &[(name.to_string(), first.clone())],
        ),
        message(
            Some("99002@don-vi.gov.vn"),
            "15-Oct-2026 09:10:00 +0700",
            &[(
                "99002-phuong-binh-minh-2026-10.xlsx".to_string(),
                big.clone(),
            )],
        ),
        message(
            Some("99001@don-vi.gov.vn"),
            "16-Oct-2026 08:00:00 +0700",
            &[(name.to_string(), again.clone())],
        ),
    ];
    append(server.port, &specs);
    let inbox = dir.path().join("nhan");
    // TLS asked of a server that speaks plain text on that port: a setting to fix (exit 2),
    // not a network to wait for; nothing taken.
    let tls = Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args(["--root", s(&root), "nhan", "--imap"])
        .arg(format!("127.0.0.1:{}", server.port))
        .args(["--user", "vanthu@tinh.gov.vn", "--inbox", s(&inbox)])
        .env("BAOCAO_IMAP_PASSWORD", "matkhau")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&tls.stderr);
    assert_eq!(tls.status.code(), Some(2), "{err}");
    assert!(err.contains("không nói TLS ở cổng này"), "{err}");
    assert!(err.contains("--insecure"), "{err}");
    let (status, out, err) = nhan(&root, &inbox, server.port);
    assert_eq!(status, 1, "{out}\n{err}");
    // 200 MB in base64 is 270 MB of mail, over the 64 MB a message may have: not fetched.
    assert!(
        out.lines()
            .any(|l| l.starts_with("BC1204") && l.contains("thư số 2")),
        "{out}"
    );
    assert!(out.contains("quá giới hạn 64 MB: không tải về"), "{out}");
    assert!(
        out.contains("Đã xét 3 thư mới: 2 tệp vào thư mục nhận, 0 tệp để ở chua-xu-ly/."),
        "{out}"
    );
    let folder = inbox.join("ktxh/2026-10");
    let resent = "99001-phuong-an-lac-2026-10-thu-3.xlsx";
    assert_eq!(
        std::fs::read(folder.join(name)).unwrap(),
        std::fs::read(&first).unwrap()
    );
    assert_eq!(
        std::fs::read(folder.join(resent)).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let receipts = csv_rows(&folder.join("nhan.csv"));
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[1]["file"], resent);
    assert_eq!(receipts[1]["received_at"], "2026-10-16T08:00:00");
    // The later one wins; the first is superseded.
    let v = check_october(&root, &folder);
    let subs = v["submissions"].as_array().unwrap();
    let of = |file: &str| subs.iter().find(|s| s["file"] == file).unwrap();
    assert_eq!(of(resent)["status"], "accepted");
    assert_eq!(of(resent)["received_at"], "2026-10-16T08:00:00");
    assert_eq!(of(name)["status"], "superseded");
}

/// The arguments that send the run's mail through the test relay at `relay`, from the office.
fn send_args(relay: &str) -> [&str; 6] {
    [
        "--send",
        "--smtp",
        relay,
        "--smtp-insecure",
        "--from",
        "vanthu@tinh.gov.vn",
    ]
}

/// `run --due` with each argument of the morning's cron, the relay at `port`.
fn due_send(root: &Path, inbox: &Path, out: &Path, port: u16) -> (i32, String, String) {
    let relay = format!("127.0.0.1:{port}");
    let mut args = due_args(root, inbox, out, "2026-10-19");
    args.push("--feedback".into());
    args.extend(send_args(&relay).map(String::from));
    args.push("-q".into());
    baocao(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn the_mornings_run_mails_each_result_sheet_once_and_finishes_what_a_failed_server_left() {
    let dir = tempfile::tempdir().unwrap();
    let root = root_with_addresses(dir.path());
    let inbox = dir.path().join("nhan");
    copy_dir(&samples().join("inbox"), &inbox);
    let out = dir.path().join("ketqua");
    let sheets = out.join("phieu-ket-qua");
    // No server on this port: the periods are run and their sheets written, nothing is sent,
    // and the run ends with the network's exit code.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, said, err) = due_send(&root, &inbox, &out, closed);
    assert_eq!(status, 6, "{said}\n{err}");
    assert!(err.starts_with("Lỗi mạng: máy chủ thư 127.0.0.1"), "{err}");
    assert!(
        err.contains("chưa thư nào được gửi, chạy lại sau sẽ gửi nốt"),
        "{err}"
    );
    let written: Vec<String> = std::fs::read_dir(&sheets)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    assert!(written.len() > 38, "{written:?}");
    assert!(!sheets.join("da-gui.csv").exists());

    // The next run, the server up: the periods are as they were, but their sheets were never
    // sent, so they run again and every sheet goes, once.
    let Some(smtp) = smtp_server() else { return };
    let (status, said, err) = due_send(&root, &inbox, &out, smtp.port);
    assert_eq!(status, 1, "{said}\n{err}");
    let n = written.len();
    assert!(said.contains(&format!("Đã gửi {n} thư:")), "{said}");
    assert_eq!(smtp.received(n).len(), n);
    assert_eq!(csv_rows(&sheets.join("da-gui.csv")).len(), n);

    // Again: every period up to date, every sheet sent; nothing runs, nothing goes.
    let (status, said, err) = due_send(&root, &inbox, &out, smtp.port);
    assert_eq!(status, 1, "{said}\n{err}");
    assert!(said.contains("Không có thư nào phải gửi."), "{said}");
    assert!(!said.contains("Đã chạy"), "{said}");

    // Phường An Lạc sends October's form again at 10:30 on 16/10, as `nhan` puts a resent
    // form: October runs again, and only An Lạc's verdict changed, so only it is mailed.
    let folder = inbox.join("ktxh/2026-10");
    let form = folder.join("99001-phuong-an-lac-2026-10.xlsx");
    let resent = "99001-phuong-an-lac-2026-10-thu-7.xlsx";
    std::fs::write(
        folder.join(resent),
        rezip(&std::fs::read(&form).unwrap(), &|_, part| part),
    )
    .unwrap();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(folder.join("nhan.csv"))
        .unwrap();
    writeln!(log, "{resent},2026-10-16T10:30").unwrap();
    let (status, said, err) = due_send(&root, &inbox, &out, smtp.port);
    assert_eq!(status, 1, "{said}\n{err}");
    assert!(said.contains("Đã gửi 1 thư:"), "{said}");
    assert!(
        said.contains("→ Phường An Lạc (99001) <99001@don-vi.gov.vn>"),
        "{said}"
    );
    let all = smtp.received(n + 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(smtp.received(n + 1).len(), n + 1, "{}", all.len());
    // The mail carries the office's Message-ID, the verdict in its subject and the findings.
    let last = all
        .iter()
        .map(|b| mail_parser::MessageParser::default().parse(&b[..]).unwrap())
        .find(|m| {
            m.subject()
                .is_some_and(|s| s.contains("Tháng 10") && s.contains("Phường Hòa Bình"))
        })
        .expect("Hòa Bình's sheet");
    assert!(last
        .message_id()
        .is_some_and(|id| id.ends_with("@tinh.gov.vn")));
    assert!(last
        .subject()
        .unwrap()
        .ends_with("Phường Hòa Bình: bị trả lại"));
    let body = last.body_text(0).unwrap();
    assert!(
        body.contains("- BC0405 chặn Biểu số liệu › F21 (đơn vị ghi: 15.770): DL02"),
        "{body}"
    );
    // What was mailed is kept as it was sent.
    let copies = sheets.join("da-gui");
    assert_eq!(std::fs::read_dir(&copies).unwrap().count(), 1);

    // A login the relay does not offer is a setting to fix (exit 2), not a network fault.
    let login = Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args([
            "--root",
            s(&root),
            "check",
            "--regime",
            "ktxh",
            "--period",
            "2026-10",
            "--feedback",
            s(&dir.path().join("phieu")),
            "--send",
            "--smtp",
            &format!("127.0.0.1:{}", smtp.port),
            "--smtp-insecure",
            "--smtp-user",
            "vanthu@tinh.gov.vn",
            "--from",
            "vanthu@tinh.gov.vn",
            s(&inbox.join("ktxh/2026-10")),
        ])
        .env("BAOCAO_SMTP_PASSWORD", "matkhau")
        .output()
        .unwrap();
    let (status, said, err) = (
        login.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&login.stdout),
        String::from_utf8_lossy(&login.stderr),
    );
    assert_eq!(status, 2, "{said}\n{err}");
    assert!(err.contains("không nhận đăng nhập"), "{err}");
    assert!(err.contains("bỏ --smtp-user"), "{err}");
    assert!(err.contains("chưa thư nào được gửi"), "{err}");
}
