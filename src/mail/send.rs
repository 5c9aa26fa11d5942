//! Mail to the units (`--send`): each unit's result sheet, as a reply to the message its
//! report came in (In-Reply-To, from the receipt log), and the reminder letters to the units
//! they name. Without `--smtp` nothing is sent: what would be sent is listed (a dry run).
//!
//! Each mail sent is written to the sent log (`da-gui.csv`) of the folder its documents are in,
//! under a key naming what it tells (`Outgoing::key`): a daily cron sends each unit a result
//! sheet once per verdict and each letter once, and a run cut off by the server sends, when run
//! again, only what it had not sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use super::MailError;

/// One mail to a unit.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// "Xã An (99001)", for the list of what was sent.
    pub unit: String,
    /// The unit's addresses (`email` in units.toml); none: not sent, said.
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// The Message-ID of the unit's message this answers.
    pub in_reply_to: Option<String>,
    /// (file name, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
    /// What the mail tells, for the sent log: the same key is not sent twice.
    pub key: String,
}

/// The sent log's file name, in the folder of the documents sent.
pub const SENT_LOG: &str = "da-gui.csv";

/// The folder, beside the sent log, of the copies of what was mailed, by day
/// (`da-gui/<YYYY-MM-DD>/<file>`): the documents themselves are written again each morning.
pub const SENT_COPIES: &str = "da-gui";

/// The sent log's columns.
const SENT_HEADER: [&str; 6] = ["sent_at", "key", "unit", "to", "subject", "attachments"];

/// The mails already sent from a folder (`SENT_LOG`), by key, with when.
#[derive(Debug)]
pub struct SentLog {
    path: PathBuf,
    sent: HashMap<String, String>,
}

impl SentLog {
    /// The log of `dir` (empty when there is none yet).
    pub fn open(dir: &Path) -> Result<SentLog, MailError> {
        let path = dir.join(SENT_LOG);
        let mut sent = HashMap::new();
        match csv::ReaderBuilder::new().flexible(true).from_path(&path) {
            Ok(mut rdr) => {
                for r in rdr.records().flatten() {
                    if let (Some(at), Some(key)) = (r.get(0), r.get(1)) {
                        sent.insert(key.to_string(), at.to_string());
                    }
                }
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {}
                csv::ErrorKind::Io(io) => {
                    return Err(MailError::Machine(crate::fault::Fault::reading(
                        io,
                        "không đọc được sổ thư đã gửi",
                        &path,
                    )))
                }
                _ => {}
            },
        }
        Ok(SentLog { path, sent })
    }

    /// When the mail of `key` was sent, if it was.
    pub fn sent_at(&self, key: &str) -> Option<&str> {
        self.sent.get(key).map(String::as_str)
    }

    /// Whether a key starting with `prefix` was ever sent.
    pub fn any_sent(&self, prefix: &str) -> bool {
        self.sent.keys().any(|k| k.starts_with(prefix))
    }

    /// Keeps a copy of each attachment of `m` sent at `at` under `SENT_COPIES`, and writes
    /// that it was sent (a whole line of the log, flushed to disk).
    fn record(&mut self, m: &Outgoing, at: &str) -> Result<(), MailError> {
        let day = at.get(..10).unwrap_or(at);
        let dir = self.path.with_file_name(SENT_COPIES).join(day);
        let mut names = Vec::new();
        for (name, bytes) in &m.attachments {
            // Another document of the same name sent the same day (a resubmission's sheet)
            // is kept beside, under the time it was sent.
            let (name, kept) = match std::fs::read(dir.join(name)) {
                Ok(old) if old == *bytes => (name.clone(), true),
                Ok(_) => (
                    format!("{}-{name}", at.get(11..).unwrap_or("").replace(':', "")),
                    false,
                ),
                Err(_) => (name.clone(), false),
            };
            let copy = dir.join(&name);
            if !kept {
                std::fs::create_dir_all(&dir)
                    .and_then(|()| crate::output::write_atomic(&copy, bytes))
                    .map_err(|e| {
                        MailError::Machine(
                            crate::fault::Fault::writing(&e, "không lưu được bản sao thư đã gửi", &copy)
                                .kept("Thư đã gửi nhưng chưa có bản sao và chưa vào sổ: lần chạy sau có thể gửi lại nó một lần nữa."),
                        )
                    })?;
            }
            names.push(format!("{SENT_COPIES}/{day}/{name}"));
        }
        let row = [
            at.to_string(),
            m.key.clone(),
            m.unit.clone(),
            m.to.join(" "),
            m.subject.clone(),
            names.join(" "),
        ];
        // The header only in a new log.
        let text = crate::output::csv_text(&SENT_HEADER, &[row.to_vec()]);
        let skip = usize::from(self.path.exists());
        let lines: Vec<String> = text.lines().skip(skip).map(str::to_string).collect();
        crate::output::append_log(&self.path, &lines).map_err(|e| {
            MailError::Machine(
                crate::fault::Fault::writing(&e, "không ghi được sổ thư đã gửi", &self.path).kept(
                    "Thư này đã gửi nhưng chưa vào sổ: lần chạy sau có thể gửi lại nó một lần nữa.",
                ),
            )
        })?;
        self.sent.insert(m.key.clone(), at.to_string());
        Ok(())
    }
}

/// Now, on the machine's clock (as the run log writes it).
fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The mails sent so far.
fn sent(d: &Delivery) -> usize {
    d.fates.iter().filter(|f| f.1 == Fate::Sent).count()
}

/// The office's SMTP relay.
#[derive(Debug, Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Plain text, to a loopback address only.
    pub insecure: bool,
    /// The office's address, the mails' sender.
    pub from: String,
}

/// What became of one mail: sent, not sent (why), or listed in a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Sent,
    DryRun,
    NoAddress,
    /// Sent before, at this time (the sent log): not sent again.
    AlreadySent(String),
}

/// What `send_all` did: each mail's fate, in order, up to the error that stopped it if any.
#[derive(Debug, Default)]
pub struct Delivery {
    pub fates: Vec<(String, Fate)>,
    pub stopped: Option<MailError>,
}

/// Sends each mail through `relay` that `log` does not list as sent (all with `resend`),
/// writing each to `log` once the server took it; with no relay lists them (a dry run).
pub fn send_all(
    relay: Option<&Relay>,
    mails: &[Outgoing],
    log: &mut SentLog,
    resend: bool,
) -> Delivery {
    let mut out = Delivery::default();
    let transport = match relay.map(transport).transpose() {
        Ok(t) => t,
        Err(e) => {
            out.stopped = Some(e);
            return out;
        }
    };
    for m in mails {
        let fate = match (&transport, relay) {
            _ if m.to.is_empty() => Fate::NoAddress,
            _ if !resend && log.sent_at(&m.key).is_some() => {
                Fate::AlreadySent(log.sent_at(&m.key).unwrap_or_default().to_string())
            }
            (Some(t), Some(r)) => match send_one(t, r, m, log, sent(&out)) {
                Ok(()) => Fate::Sent,
                Err(e) => {
                    out.stopped = Some(e);
                    return out;
                }
            },
            _ => Fate::DryRun,
        };
        out.fates.push((describe(m), fate));
    }
    out
}

fn send_one(
    t: &SmtpTransport,
    r: &Relay,
    m: &Outgoing,
    log: &mut SentLog,
    sent_before: usize,
) -> Result<(), MailError> {
    let message = build(r, m)?;
    t.send(&message)
        .map_err(|e| refused(r, m, &e, sent_before, &log.path))?;
    log.record(m, &now())
}

/// Why the relay did not take a mail, said for the officer: a login the server does not take
/// or offer is the configuration's (exit 2); anything else the network's or the server's
/// (exit 6), and the next run sends what is left.
fn refused(
    r: &Relay,
    m: &Outgoing,
    e: &lettre::transport::smtp::Error,
    sent_before: usize,
    log: &Path,
) -> MailError {
    let text = e.to_string();
    let before = match sent_before {
        0 => "chưa thư nào được gửi".to_string(),
        n => format!("{n} thư trước đã gửi và đã ghi vào {}", log.display()),
    };
    let login_refused = e.status().is_some_and(|c| c.to_string().starts_with("53"));
    if text.contains("authentication") || login_refused {
        let login = match r.user {
            Some(_) => "kiểm tra --smtp-user và biến BAOCAO_SMTP_PASSWORD; máy chủ không đòi đăng nhập thì bỏ --smtp-user",
            None => "máy chủ đòi đăng nhập: thêm --smtp-user và đặt mật khẩu trong biến BAOCAO_SMTP_PASSWORD",
        };
        return MailError::Said(format!(
            "máy chủ thư {}:{} không nhận đăng nhập khi gửi thư cho {} ({text}): {login}; {before}",
            r.host, r.port, m.unit
        ));
    }
    MailError::Server(format!(
        "máy chủ thư {}:{} không nhận thư gửi {} ({text}); {before}, chạy lại sau sẽ gửi nốt",
        r.host, r.port, m.unit
    ))
}

/// "Xã An (99001) <a@x.gov.vn>: Phiếu kết quả … (2 tệp, trả lời thư <id>)".
fn describe(m: &Outgoing) -> String {
    let names: Vec<&str> = m.attachments.iter().map(|a| a.0.as_str()).collect();
    let reply = m
        .in_reply_to
        .as_deref()
        .map(|id| format!(", trả lời thư <{id}>"))
        .unwrap_or_default();
    format!(
        "{} <{}>: {} ({}{reply})",
        m.unit,
        m.to.join(", "),
        m.subject,
        names.join(", ")
    )
}

fn transport(r: &Relay) -> Result<SmtpTransport, MailError> {
    let said = |e: String| MailError::Said(e);
    let mut builder = if r.insecure {
        if !super::is_loopback(&r.host) {
            return Err(said(format!(
                "--smtp-insecure chỉ dùng được với máy chủ trên chính máy này, không với {}",
                r.host
            )));
        }
        SmtpTransport::builder_dangerous(&r.host)
    } else if r.port == 465 {
        SmtpTransport::relay(&r.host).map_err(|e| said(format!("máy chủ thư {}: {e}", r.host)))?
    } else {
        SmtpTransport::starttls_relay(&r.host)
            .map_err(|e| said(format!("máy chủ thư {}: {e}", r.host)))?
    }
    .port(r.port)
    .timeout(Some(std::time::Duration::from_secs(60)));
    if let (Some(user), Some(password)) = (&r.user, &r.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// A Message-ID of the office's domain, unique to this mail and this sending, so that the
/// unit's reply threads under it.
fn message_id(r: &Relay, m: &Outgoing) -> String {
    let domain = r
        .from
        .rsplit_once('@')
        .map_or("baocao.invalid", |d| d.1.trim_end_matches('>'));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tag = crate::hash::sha256_hex(format!("{}\n{now}", m.key).as_bytes());
    format!("<baocao.{}@{domain}>", &tag[..24])
}

fn build(r: &Relay, m: &Outgoing) -> Result<Message, MailError> {
    let address = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| MailError::Said(format!("địa chỉ thư \"{a}\" không hợp lệ ({e})")))
    };
    let mut b = Message::builder()
        .from(address(&r.from)?)
        .message_id(Some(message_id(r, m)))
        .subject(m.subject.clone());
    for to in &m.to {
        b = b.to(address(to)?);
    }
    if let Some(id) = &m.in_reply_to {
        b = b
            .in_reply_to(format!("<{id}>"))
            .references(format!("<{id}>"));
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(m.body.clone()));
    for (name, bytes) in &m.attachments {
        let kind = ContentType::parse(mime_of(name)).expect("a known MIME type");
        parts = parts.singlepart(Attachment::new(name.clone()).body(bytes.clone(), kind));
    }
    b.multipart(parts)
        .map_err(|e| MailError::Said(format!("không tạo được thư gửi {} ({e})", m.unit)))
}

fn mime_of(name: &str) -> &'static str {
    match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// The Message-ID each file of a folder came in, from its receipt log (`nhan.csv` as `nhan`
/// writes it), by file name.
pub fn reply_ids(folder: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(mut rdr) = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(folder.join(crate::ingest::RECEIPT_LOG))
    else {
        return out;
    };
    let Ok(headers) = rdr.headers().cloned() else {
        return out;
    };
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(file), Some(id)) = (col("file"), col("message_id")) else {
        return out;
    };
    for r in rdr.records().flatten() {
        if let (Some(f), Some(i)) = (r.get(file), r.get(id)) {
            if !i.trim().is_empty() {
                out.insert(f.to_string(), i.trim().to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(key: &str) -> Outgoing {
        Outgoing {
            unit: "Xã An, Bình (99001)".to_string(),
            to: vec!["a@x.gov.vn".to_string(), "b@x.gov.vn".to_string()],
            subject: "Phiếu kết quả: \"tháng 10\", lần 2".to_string(),
            body: String::new(),
            in_reply_to: None,
            attachments: vec![
                ("a.xlsx".to_string(), vec![1]),
                ("a.docx".to_string(), vec![2]),
            ],
            key: key.to_string(),
        }
    }

    #[test]
    fn the_sent_log_keeps_each_key_with_its_time_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SentLog::open(dir.path()).unwrap();
        assert_eq!(log.sent_at("phieu|99001-ktxh-2026-10|ab"), None);
        log.record(&mail("phieu|99001-ktxh-2026-10|ab"), "2026-10-19 06:30:00")
            .unwrap();
        log.record(
            &mail("cong-van|ktxh|2026-10|xa|don-doc|99001"),
            "2026-10-19 06:40:00",
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(SENT_LOG)).unwrap();
        assert_eq!(
            text,
            "sent_at,key,unit,to,subject,attachments\n\
             2026-10-19 06:30:00,phieu|99001-ktxh-2026-10|ab,\"Xã An, Bình (99001)\",a@x.gov.vn b@x.gov.vn,\"Phiếu kết quả: \"\"tháng 10\"\", lần 2\",da-gui/2026-10-19/a.xlsx da-gui/2026-10-19/a.docx\n\
             2026-10-19 06:40:00,cong-van|ktxh|2026-10|xa|don-doc|99001,\"Xã An, Bình (99001)\",a@x.gov.vn b@x.gov.vn,\"Phiếu kết quả: \"\"tháng 10\"\", lần 2\",da-gui/2026-10-19/a.xlsx da-gui/2026-10-19/a.docx\n"
        );
        // What was mailed is kept as it was sent.
        assert_eq!(
            std::fs::read(dir.path().join("da-gui/2026-10-19/a.docx")).unwrap(),
            [2]
        );
        let again = SentLog::open(dir.path()).unwrap();
        assert_eq!(
            again.sent_at("phieu|99001-ktxh-2026-10|ab"),
            Some("2026-10-19 06:30:00")
        );
        assert!(again.any_sent("phieu|99001-ktxh-2026-10|"));
        assert!(!again.any_sent("phieu|99002-ktxh-2026-10|"));
    }

    #[test]
    fn a_dry_run_lists_what_is_not_yet_sent_and_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SentLog::open(dir.path()).unwrap();
        log.record(&mail("k1"), "2026-10-19 06:30:00").unwrap();
        let mut none = mail("k3");
        none.to.clear();
        let done = send_all(None, &[mail("k1"), mail("k2"), none], &mut log, false);
        let fates: Vec<Fate> = done.fates.into_iter().map(|f| f.1).collect();
        assert_eq!(
            fates,
            [
                Fate::AlreadySent("2026-10-19 06:30:00".to_string()),
                Fate::DryRun,
                Fate::NoAddress
            ]
        );
        assert!(done.stopped.is_none());
        assert_eq!(log.sent_at("k2"), None);
        let resend = send_all(None, &[mail("k1")], &mut log, true);
        assert_eq!(resend.fates[0].1, Fate::DryRun);
    }
}
