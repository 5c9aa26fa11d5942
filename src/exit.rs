//! The process exit codes, defined once (the README's "Mã thoát" lists them): scripts and cron
//! wrappers act on them.

/// Done, nothing to look at.
pub const OK: i32 = 0;
/// Done, but a report was rejected or a unit is missing past its deadline (`check`: a
/// blocking diagnostic).
pub const FINDINGS: i32 = 1;
/// A command-line or configuration error: nothing was done.
pub const USAGE: i32 = 2;
/// A bug ("Lỗi nội bộ").
pub const INTERNAL: i32 = 3;
/// Another run holds the output folder's lock and did not release it in time.
pub const BUSY: i32 = 4;
/// The machine failed the command: a full disk, a read-only or vanished folder (`fault`).
pub const MACHINE: i32 = 5;
/// The mail server (`nhan`'s IMAP, `--send`'s SMTP) could not be reached or failed mid-way:
/// nothing is lost, what was done is kept, and the next run takes up the rest.
pub const NETWORK: i32 = 6;
/// The output went to a pipe the reader closed (`| head`): the status a shell expects of a
/// process ended by SIGPIPE (128 + 13).
pub const CLOSED_PIPE: i32 = 141;

/// `FINDINGS` when there are findings, else `OK`.
pub fn of_findings(findings: bool) -> i32 {
    if findings {
        FINDINGS
    } else {
        OK
    }
}
