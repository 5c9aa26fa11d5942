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
