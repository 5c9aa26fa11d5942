//! The messages not seen before, over IMAP: TLS by default (the system's CA certificates, and
//! `--ca` for an office's own), plain text only to a loopback address with `--insecure`. The
//! mailbox is examined read-only and bodies are peeked: nothing is flagged or deleted.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::catalog::Config;

use super::route::{route, Message, Routed};

/// A message larger than this is not downloaded (said instead): no report is that large.
pub const MAX_MESSAGE: u32 = 64 << 20;

/// Messages fetched per round trip.
const BATCH: usize = 20;

/// Where and as whom to read.
#[derive(Debug, Clone)]
pub struct Account {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub mailbox: String,
    /// Plain text, allowed only to a loopback address (a test server, a local relay).
    pub insecure: bool,
    /// Further CA certificates (PEM) to trust.
    pub ca: Option<PathBuf>,
}

/// Why the mailbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The user's mistake: what to fix.
    #[error("{0}")]
    Said(String),
    /// The network or the server failed.
    #[error("{0}")]
    Server(String),
    /// Writing under the inbox root failed.
    #[error("{0}")]
    Machine(crate::fault::Fault),
}

/// Per account and mailbox: the mailbox's UIDVALIDITY and the last UID taken.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Seen {
    uid_validity: u32,
    last_uid: u32,
}

/// Reads the account's new messages and routes them under `root`.
pub fn fetch_new(config: &Config, account: &Account, root: &Path) -> Result<Routed, MailError> {
    if account.insecure && !super::is_loopback(&account.host) {
        return Err(MailError::Said(format!(
            "--insecure chỉ dùng được với máy chủ trên chính máy này (127.0.0.1, localhost), không với {}: bỏ --insecure để dùng TLS",
            account.host
        )));
    }
    let state_file = root.join(super::STATE);
    let mut state = read_state(&state_file)?;
    let key = format!(
        "{}@{}:{}/{}",
        account.user, account.host, account.port, account.mailbox
    );
    let tcp = TcpStream::connect((account.host.as_str(), account.port)).map_err(|e| {
        MailError::Server(format!(
            "không kết nối được máy chủ thư {}:{} ({e}): kiểm tra tên máy, cổng và mạng rồi chạy lại",
            account.host, account.port
        ))
    })?;
    let timeout = Some(Duration::from_secs(120));
    let _ = tcp.set_read_timeout(timeout);
    let _ = tcp.set_write_timeout(timeout);
    let mut out = Routed::default();
    if account.insecure {
        read_with(
            config,
            account,
            root,
            tcp,
            state.entry(key).or_default(),
            &mut out,
        )?;
    } else {
        let tls = tls_stream(account, tcp)?;
        read_with(
            config,
            account,
            root,
            tls,
            state.entry(key).or_default(),
            &mut out,
        )?;
    }
    write_state(&state_file, &state)?;
    Ok(out)
}

/// A TLS stream to the server, its certificate checked against the system's CAs and `--ca`.
fn tls_stream(
    account: &Account,
    tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, MailError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(ca) = &account.ca {
        let certs = CertificateDer::pem_file_iter(ca).map_err(|e| {
            MailError::Said(format!(
                "không đọc được chứng thư CA {} ({e})",
                ca.display()
            ))
        })?;
        for cert in certs {
            let cert = cert.map_err(|e| {
                MailError::Said(format!("chứng thư CA {} không hợp lệ ({e})", ca.display()))
            })?;
            roots.add(cert).map_err(|e| {
                MailError::Said(format!(
                    "chứng thư CA {} không dùng được ({e})",
                    ca.display()
                ))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailError::Server(format!("không khởi tạo được TLS ({e})")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(account.host.clone()).map_err(|_| {
        MailError::Said(format!("tên máy chủ thư \"{}\" không hợp lệ", account.host))
    })?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| MailError::Server(format!("không mở được kết nối TLS ({e})")))?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// Logs in, examines the mailbox and routes each new message, in UID order.
fn read_with<S: Read + Write>(
    config: &Config,
    account: &Account,
    root: &Path,
    stream: S,
    seen: &mut Seen,
    out: &mut Routed,
) -> Result<(), MailError> {
    let server = |e: imap::Error| {
        let text = e.to_string();
        if !account.insecure
            && (text.contains("corrupt message") || text.contains("InvalidContentType"))
        {
            return MailError::Said(format!(
                "máy chủ thư {}:{} không nói TLS ở cổng này ({text}): IMAP có TLS dùng cổng 993 (--imap {}:993); cổng 143 không mã hoá chỉ dùng được với máy chủ trên chính máy này, kèm --insecure",
                account.host, account.port, account.host
            ));
        }
        if text.contains("certificate") || text.contains("Certificate") {
            return MailError::Said(format!(
                "chứng thư của máy chủ thư {} không được tin cậy ({text}): nếu cơ quan dùng chứng thư riêng, chỉ tệp CA của cơ quan bằng --ca",
                account.host
            ));
        }
        MailError::Server(format!(
            "máy chủ thư {} báo lỗi: {text}; chạy lại sau (thư chưa lấy sẽ được lấy lần sau)",
            account.host
        ))
    };
    let mut client = imap::Client::new(stream);
    client.read_greeting().map_err(server)?;
    let mut session = client.login(&account.user, &account.password).map_err(|(e, _)| {
        MailError::Said(format!(
            "máy chủ thư {} không nhận tên đăng nhập hoặc mật khẩu ({e}): kiểm tra --user và biến môi trường BAOCAO_IMAP_PASSWORD",
            account.host
        ))
    })?;
    let mailbox = session.examine(&account.mailbox).map_err(server)?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    if validity != seen.uid_validity {
        // A new mailbox (or one rebuilt): every message again; files already received are
        // recognized by their bytes and not written twice.
        *seen = Seen {
            uid_validity: validity,
            last_uid: 0,
        };
    }
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", seen.last_uid.saturating_add(1)))
        .map_err(server)?
        .into_iter()
        .filter(|u| *u > seen.last_uid)
        .collect();
    uids.sort_unstable();
    for chunk in uids.chunks(BATCH) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sizes = session
            .uid_fetch(&set, "(UID RFC822.SIZE)")
            .map_err(server)?;
        let size: BTreeMap<u32, u32> = sizes
            .iter()
            .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0))))
            .collect();
        for &uid in chunk {
            let bytes = size.get(&uid).copied().unwrap_or(0);
            if bytes > MAX_MESSAGE {
                out.messages += 1;
                out.diagnostics.push(crate::diag::Diagnostic::new(
                    crate::diag::Code::MailTooLarge,
                    crate::diag::Location::file(format!("thư số {uid}")),
                    format!(
                        "Thư lớn {} MB, quá giới hạn {} MB: không tải về.\nĐề nghị đơn vị gửi lại biểu, không kèm tệp khác.",
                        bytes >> 20,
                        MAX_MESSAGE >> 20
                    ),
                ));
            } else {
                let fetched = session
                    .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
                    .map_err(server)?;
                for f in fetched.iter().filter(|f| f.uid == Some(uid)) {
                    let m = Message {
                        uid,
                        received: f.internal_date().map(vietnam_time),
                        bytes: f.body().unwrap_or_default().to_vec(),
                    };
                    route(config, root, &m, out).map_err(|e| {
                        MailError::Machine(crate::fault::Fault::writing(
                            &e,
                            "không ghi được tệp nhận qua thư vào thư mục nhận",
                            root,
                        ))
                    })?;
                }
            }
            seen.last_uid = uid;
        }
    }
    let _ = session.logout();
    Ok(())
}

/// A server time in Vietnam's (UTC+7), where deadlines are.
fn vietnam_time(t: chrono::DateTime<FixedOffset>) -> NaiveDateTime {
    let vn = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    t.with_timezone(&vn).naive_local()
}

fn read_state(path: &Path) -> Result<BTreeMap<String, Seen>, MailError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            MailError::Said(format!(
                "tệp trạng thái {} hỏng ({e}): xoá tệp đó thì lần sau mọi thư được xét lại (tệp đã nhận không bị ghi hai lần)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(MailError::Machine(crate::fault::Fault::reading(
            &e,
            "không đọc được tệp trạng thái nhận thư",
            path,
        ))),
    }
}

fn write_state(path: &Path, state: &BTreeMap<String, Seen>) -> Result<(), MailError> {
    let text = crate::output::json(state);
    crate::fault::write_file(
        path,
        text.as_bytes(),
        "Các tệp đã nhận vẫn nguyên; lần sau các thư này được xét lại nhưng không ghi hai lần.",
    )
    .map_err(MailError::Machine)
}
