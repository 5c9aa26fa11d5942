//! `baocao nhan --imap HOST[:PORT] --user U [--mailbox INBOX] --inbox ROOT [--insecure] [--ca FILE]`
//!
//! Takes the reports that came by mail since the last time (`mail`): each into
//! `ROOT/<regime>/<period>/` with the server's receipt time in that folder's `nhan.csv`, or
//! into `ROOT/chua-xu-ly/` with the reason. The password is read from `BAOCAO_IMAP_PASSWORD`,
//! never from the command line. Exit 0 when every file found its folder, 1 when something was
//! held or said.

use std::path::PathBuf;

use super::{CliError, CliResult};
use crate::catalog::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Máy chủ thư IMAP, dạng máy[:cổng] (mặc định cổng 993 với TLS, 143 với --insecure).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub imap: String,
    /// Tên đăng nhập hộp thư (mật khẩu trong biến môi trường BAOCAO_IMAP_PASSWORD).
    #[arg(long)]
    pub user: String,
    /// Hộp thư đọc.
    #[arg(long, default_value = "INBOX")]
    pub mailbox: String,
    /// Thư mục gốc nhận báo cáo (nhan/): tệp vào nhan/<chế độ>/<kỳ>/.
    #[arg(long)]
    pub inbox: PathBuf,
    /// Không mã hoá: chỉ với máy chủ trên chính máy này (127.0.0.1).
    #[arg(long)]
    pub insecure: bool,
    /// Chứng thư CA (PEM) tin cậy thêm, cho máy chủ thư dùng chứng thư của cơ quan.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let password = std::env::var("BAOCAO_IMAP_PASSWORD").map_err(|_| {
        CliError::Usage(
            "chưa có mật khẩu hộp thư: đặt biến môi trường BAOCAO_IMAP_PASSWORD (không ghi mật khẩu trên dòng lệnh)"
                .to_string(),
        )
    })?;
    let default = if args.insecure { 143 } else { 993 };
    let (host, port) =
        crate::mail::host_port(&args.imap, default, "--imap").map_err(CliError::Usage)?;
    let account = crate::mail::Account {
        host,
        port,
        user: args.user,
        password,
        mailbox: args.mailbox,
        insecure: args.insecure,
        ca: args.ca,
    };
    let routed = crate::mail::fetch_new(config, &account, &args.inbox)?;
    for d in &routed.diagnostics {
        println!("{}", d.line());
    }
    let shown = |p: &PathBuf| {
        p.strip_prefix(&args.inbox)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    for p in &routed.written {
        println!("  + {}", shown(p));
    }
    for p in &routed.held {
        println!("  ? {}", shown(p));
    }
    println!(
        "Đã xét {} thư mới: {} tệp vào thư mục nhận, {} tệp để ở {}/.",
        routed.messages,
        routed.written.len(),
        routed.held.len(),
        crate::mail::HELD
    );
    Ok(crate::exit::of_findings(
        !routed.held.is_empty() || !routed.diagnostics.is_empty(),
    ))
}
