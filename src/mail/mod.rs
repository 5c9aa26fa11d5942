//! The office mailbox (`baocao nhan`): reports taken from mail with the server's receipt time.
//!
//! `fetch` reads the messages not seen before over IMAP (read-only: the mailbox is examined and
//! bodies are peeked, so nothing is flagged or deleted), remembering the mailbox's UIDVALIDITY
//! and the last UID in a state file under the inbox root. `route` takes each message apart and
//! puts each report it carries where `run` reads it: `ROOT/<regime>/<period>/`, with a row in
//! that folder's receipt log (`nhan.csv`) giving the server's receipt time (INTERNALDATE, in
//! Vietnam's time), the sender, the Message-ID and the file's SHA-256. A sender that is not one
//! of the unit's addresses, or a file whose regime or period cannot be told, goes to
//! `ROOT/chua-xu-ly/` with a diagnostic and is never consolidated. Hostile mail is normal mail:
//! every oddity is a coded diagnostic, nothing is written outside the root, and the other
//! messages are processed. `send` mails the result sheets and the reminder letters back to the
//! units over SMTP (`--send`).

pub mod fetch;
pub mod route;
pub mod send;

pub use fetch::{fetch_new, Account, MailError};
pub use route::{route, Message, Routed};

/// The folder of the files held back (unknown sender, regime or period not told).
pub const HELD: &str = "chua-xu-ly";

/// The state file under the inbox root: per account and mailbox, UIDVALIDITY and last UID.
pub const STATE: &str = ".nhan-imap.json";

/// Whether `host` is this machine (the only place plain text is allowed).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host` or `host:port`, the port `default` where none is given; `flag` names the option in
/// the error.
pub fn host_port(text: &str, default: u16, flag: &str) -> Result<(String, u16), String> {
    match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => p
            .parse()
            .map(|p| (h.to_string(), p))
            .map_err(|_| format!("cổng \"{p}\" của {flag} không hợp lệ")),
        _ => Ok((text.to_string(), default)),
    }
}
