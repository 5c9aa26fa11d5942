//! Mail to the units (`--send`): each unit's result sheet, as a reply to the message its
//! report came in (In-Reply-To, from the receipt log), and the reminder letters to the units
//! they name. Without `--smtp` nothing is sent: what would be sent is listed (a dry run).

use std::collections::HashMap;
use std::path::Path;

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
}

/// Sends each mail through `relay`, or with none lists them (a dry run).
pub fn send_all(
    relay: Option<&Relay>,
    mails: &[Outgoing],
) -> Result<Vec<(String, Fate)>, MailError> {
    let transport = relay.map(transport).transpose()?;
    let mut out = Vec::new();
    for m in mails {
        let fate = match (&transport, relay) {
            _ if m.to.is_empty() => Fate::NoAddress,
            (Some(t), Some(r)) => {
                let message = build(r, m)?;
                t.send(&message).map_err(|e| {
                    MailError::Server(format!(
                        "máy chủ thư {} không nhận thư gửi {} ({e}); các thư trước đã gửi, chạy lại sẽ gửi lại từ đầu",
                        r.host, m.unit
                    ))
                })?;
                Fate::Sent
            }
            _ => Fate::DryRun,
        };
        out.push((describe(m), fate));
    }
    Ok(out)
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

fn build(r: &Relay, m: &Outgoing) -> Result<Message, MailError> {
    let address = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| MailError::Said(format!("địa chỉ thư \"{a}\" không hợp lệ ({e})")))
    };
    let mut b = Message::builder()
        .from(address(&r.from)?)
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
