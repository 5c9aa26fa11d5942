//! One message taken apart: each attachment that is a report goes to its regime's and
//! period's inbox folder with a row in the receipt log; the rest is said (see `mail`).

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use mail_parser::{MessageParser, MimeHeaders};

use crate::catalog::Config;
use crate::diag::{Code, Diagnostic, Location};
use crate::period::Period;

/// At most this many attachments are taken from one message; a message with more is held
/// whole (no office form needs them, and a thousand parts is an attack or a mistake).
pub const MAX_ATTACHMENTS: usize = 100;

/// One message as the server gave it.
#[derive(Debug, Clone)]
pub struct Message {
    pub uid: u32,
    /// The server's receipt time (INTERNALDATE) in Vietnam's time, UTC+7.
    pub received: Option<NaiveDateTime>,
    pub bytes: Vec<u8>,
}

/// What became of the messages: the files put in the inbox and those held back, each with
/// its path under the root, and what was said.
#[derive(Debug, Clone, Default)]
pub struct Routed {
    pub messages: usize,
    pub written: Vec<PathBuf>,
    pub held: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The message's own facts, for the receipt log and the diagnostics.
struct Envelope {
    uid: u32,
    sender: Option<String>,
    message_id: String,
    subject: String,
    received: Option<NaiveDateTime>,
}

impl Envelope {
    /// "thư số 12 (xa-a@…, "Báo cáo tháng 10")": how a diagnostic names the message.
    fn shown(&self) -> String {
        format!(
            "thư số {} ({}, \"{}\")",
            self.uid,
            self.sender.as_deref().unwrap_or("không rõ người gửi"),
            self.subject
        )
    }

    fn say(&self, out: &mut Routed, code: Code, file: &str, message: String) {
        let at = if file.is_empty() {
            self.shown()
        } else {
            format!("{} › {file}", self.shown())
        };
        out.diagnostics
            .push(Diagnostic::new(code, Location::file(at), message));
    }
}

/// Routes one message's attachments under `root`.
pub fn route(config: &Config, root: &Path, m: &Message, out: &mut Routed) -> std::io::Result<()> {
    out.messages += 1;
    let Some(parsed) = MessageParser::default().parse(&m.bytes[..]) else {
        let env = Envelope {
            uid: m.uid,
            sender: None,
            message_id: String::new(),
            subject: String::new(),
            received: m.received,
        };
        env.say(
            out,
            Code::MailUnreadable,
            "",
            "Thư không đọc được (không đúng định dạng thư điện tử); không tệp nào được lấy.\nĐề nghị đơn vị gửi lại thư có đính kèm biểu."
                .to_string(),
        );
        return Ok(());
    };
    let env = Envelope {
        uid: m.uid,
        sender: parsed
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty()),
        message_id: parsed.message_id().unwrap_or_default().to_string(),
        subject: parsed.subject().unwrap_or_default().trim().to_string(),
        received: m.received,
    };
    let parts: Vec<_> = parsed.attachments().collect();
    if parts.is_empty() {
        env.say(
            out,
            Code::MailNotAReport,
            "",
            "Thư không có tệp đính kèm nào.\nNếu đơn vị định gửi báo cáo, đề nghị gửi lại thư có đính kèm biểu."
                .to_string(),
        );
        return Ok(());
    }
    if parts.len() > MAX_ATTACHMENTS {
        env.say(
            out,
            Code::MailTooManyParts,
            "",
            format!(
                "Thư có {} tệp đính kèm, quá {MAX_ATTACHMENTS} tệp: không tệp nào được lấy.\nĐề nghị đơn vị gửi mỗi thư một biểu báo cáo.",
                parts.len()
            ),
        );
        return Ok(());
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let given = part.attachment_name().unwrap_or_default().to_string();
        let name = safe_name(&given, i + 1);
        if name != given {
            env.say(
                out,
                Code::MailBadName,
                &name,
                format!(
                    "Tên tệp đính kèm \"{}\" có ký tự hoặc thư mục không được phép; tệp được lưu với tên \"{name}\".",
                    given.escape_default()
                ),
            );
        }
        let bytes = part.contents();
        let sha = crate::hash::sha256_hex(bytes);
        if seen.contains(&sha) {
            env.say(
                out,
                Code::MailDuplicate,
                &name,
                "Thư đính kèm cùng một tệp hai lần; chỉ lấy một lần.".to_string(),
            );
            continue;
        }
        seen.push(sha.clone());
        take(config, root, &env, (&name, bytes, &sha), out)?;
    }
    Ok(())
}

/// One attachment: said and left where it is not a report or too large; held where its sender
/// or its regime and period are not known; else put in its inbox folder and logged.
fn take(
    config: &Config,
    root: &Path,
    env: &Envelope,
    (name, bytes, sha): (&str, &[u8], &str),
    out: &mut Routed,
) -> std::io::Result<()> {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let report = matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods" | "csv");
    if !report {
        env.say(
            out,
            Code::MailNotAReport,
            name,
            format!(
                "Tệp \"{name}\" không phải biểu báo cáo (chỉ nhận .xlsx, .xls, .ods, .csv; tệp nén, tệp chạy được thì không mở); tệp không được lưu.\nĐề nghị đơn vị gửi biểu Excel theo mẫu, không nén."
            ),
        );
        return Ok(());
    }
    let limit = config.limits.file_bytes;
    if bytes.len() as u64 > limit {
        env.say(
            out,
            Code::MailTooLarge,
            name,
            format!(
                "Tệp \"{name}\" lớn {} MB, quá giới hạn {} MB; tệp không được lưu.",
                bytes.len() >> 20,
                limit >> 20
            ),
        );
        return Ok(());
    }
    match destination(config, env, name, bytes, &ext) {
        Ok((regime, period)) => {
            let dir = root.join(regime).join(period.code());
            put(&dir, name, bytes, sha, env, out)
        }
        Err((code, why)) => {
            env.say(out, code, name, why);
            let held = root.join(super::HELD);
            let file = format!("{}-{name}", env.uid);
            crate::output::write_atomic(&held.join(&file), bytes)?;
            out.held.push(held.join(file));
            Ok(())
        }
    }
}

/// Where a report goes: its regime and period, and a sender that is one of its unit's
/// addresses; else why it is held.
fn destination<'c>(
    config: &'c Config,
    env: &Envelope,
    name: &str,
    bytes: &[u8],
    ext: &str,
) -> Result<(&'c str, Period), (Code, String)> {
    let (regime, period, unit) = match ext {
        "csv" => csv_claim(bytes),
        _ => crate::ingest::workbook::claimed(bytes, name, config),
    };
    let Some(sender) = env.sender.as_deref() else {
        return Err((
            Code::MailUnknownSender,
            "Thư không có địa chỉ người gửi; tệp được để ở chua-xu-ly/, không được tổng hợp.\nXác minh đơn vị gửi rồi chép tệp vào thư mục của kỳ."
                .to_string(),
        ));
    };
    let senders: Vec<&crate::catalog::Unit> = config
        .units
        .iter()
        .filter(|u| u.sends_from(sender))
        .collect();
    let unit = unit.or_else(|| match senders.as_slice() {
        [only] => Some(only.code.clone()),
        _ => None,
    });
    let from_unit = unit
        .as_deref()
        .is_some_and(|u| senders.iter().any(|s| s.code == u));
    if !from_unit {
        let whose = unit
            .as_deref()
            .and_then(|u| config.units.get(u))
            .map(|u| format!(" của {} ({})", u.name, u.code))
            .unwrap_or_default();
        return Err((
            Code::MailUnknownSender,
            format!(
                "Người gửi {sender} không phải địa chỉ thư{whose} trong units.toml (email = [...]); tệp được để ở chua-xu-ly/, không được tổng hợp.\nNếu đúng là của đơn vị, thêm địa chỉ vào units.toml rồi chạy lại, hoặc chép tệp vào thư mục của kỳ."
            ),
        ));
    }
    let words = format!("{} {name}", env.subject).to_lowercase();
    let regime = regime
        .and_then(|r| config.regime(&r))
        .or_else(|| {
            let named: Vec<_> = config
                .regimes
                .values()
                .filter(|r| {
                    words
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == r.id)
                })
                .collect();
            match named.as_slice() {
                [only] => Some(*only),
                _ => None,
            }
        })
        .or_else(|| match config.regimes.len() {
            1 => config.regimes.values().next(),
            _ => None,
        });
    let period = period.or_else(|| Period::from_label(&env.subject));
    match (regime, period) {
        (Some(r), Some(p)) => Ok((r.id.as_str(), p)),
        _ => Err((
            Code::MailUnrouted,
            "Không biết tệp thuộc chế độ báo cáo nào, kỳ nào (biểu không do baocao tạo, tên tệp và tiêu đề thư không nói); tệp được để ở chua-xu-ly/.\nChép tệp vào thư mục nhan/<chế độ>/<kỳ>/ của nó."
                .to_string(),
        )),
    }
}

/// The regime, period and unit of an exchange file's first record.
fn csv_claim(bytes: &[u8]) -> (Option<String>, Option<Period>, Option<String>) {
    let text = crate::ingest::csv_text(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let Ok(headers) = rdr.headers().cloned() else {
        return (None, None, None);
    };
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let Some(first) = rdr.records().next().and_then(Result::ok) else {
        return (None, None, None);
    };
    let field = |name: &str| {
        col(name)
            .and_then(|i| first.get(i))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    (
        field("regime"),
        field("period").and_then(|p| p.parse().ok()),
        field("unit_code"),
    )
}

/// Writes a report into its folder and logs its receipt; the same file already there is not
/// written again, a different one of the same name is kept beside it under the message's
/// number (a resubmission: the latest received wins).
fn put(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    sha: &str,
    env: &Envelope,
    out: &mut Routed,
) -> std::io::Result<()> {
    let mut file = name.to_string();
    let target = dir.join(&file);
    if let Ok(old) = std::fs::read(&target) {
        if crate::hash::sha256_hex(&old) == sha {
            env.say(
                out,
                Code::MailDuplicate,
                name,
                format!("Tệp \"{name}\" đã nhận trước đây, giống hệt từng byte; không ghi lại."),
            );
            return Ok(());
        }
        let p = Path::new(name);
        let stem = p.file_stem().unwrap_or_default().to_string_lossy();
        let ext = p.extension().unwrap_or_default().to_string_lossy();
        file = format!("{stem}-thu-{}.{ext}", env.uid);
    }
    crate::output::write_atomic(&dir.join(&file), bytes)?;
    log_receipt(dir, &file, sha, env)?;
    out.written.push(dir.join(file));
    Ok(())
}

/// Appends the file's row to the folder's receipt log (`nhan.csv`), the header first in a new
/// log: `file,received_at,source,sender,message_id,sha256`.
fn log_receipt(dir: &Path, file: &str, sha: &str, env: &Envelope) -> std::io::Result<()> {
    use std::io::Write as _;
    let log = dir.join(crate::ingest::RECEIPT_LOG);
    let new = !log.exists();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    if new {
        w.write_record([
            "file",
            "received_at",
            "source",
            "sender",
            "message_id",
            "sha256",
        ])?;
    }
    let received = env
        .received
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default();
    w.write_record([
        file,
        &received,
        "imap",
        env.sender.as_deref().unwrap_or(""),
        &env.message_id,
        sha,
    ])?;
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)?;
    f.write_all(&bytes)?;
    f.sync_all()
}

/// A file name safe to write under the root: its last path part, without control characters,
/// leading dots or characters Windows refuses; `tep-dinh-kem-<n>` where nothing is left.
pub fn safe_name(given: &str, n: usize) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    let cleaned: String = cleaned.chars().take(120).collect();
    if cleaned.is_empty() {
        format!("tep-dinh-kem-{n}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_kept_inside_the_root() {
        assert_eq!(
            safe_name("99001-xa-an-2026-10.xlsx", 1),
            "99001-xa-an-2026-10.xlsx"
        );
        assert_eq!(safe_name("../../x.xlsx", 1), "x.xlsx");
        assert_eq!(safe_name("..\\..\\evil.xlsx", 1), "evil.xlsx");
        assert_eq!(safe_name("a\u{0}b\nc.xlsx", 1), "abc.xlsx");
        assert_eq!(safe_name("..", 2), "tep-dinh-kem-2");
        assert_eq!(safe_name("", 3), "tep-dinh-kem-3");
        assert_eq!(safe_name(".hidden.csv", 1), "hidden.csv");
    }
}
