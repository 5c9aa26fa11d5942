//! `baocao pdf DIR`
//!
//! PDF copies for signing of a run's output folder: `bao-cao.pdf` and `tong-hop.pdf`, made by
//! LibreOffice in headless mode (`pdf`). Without `soffice` on the PATH: says what to install.

use std::path::PathBuf;

use super::{CliError, CliResult, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Thư mục kết quả của một kỳ (out/<chế độ>/<kỳ>).
    pub dir: PathBuf,
    /// Số giây tối đa cho mỗi tệp.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
}

pub fn run(args: Args) -> CliResult {
    if !args.dir.is_dir() {
        return Err(CliError::Usage(format!(
            "không có thư mục {}",
            args.dir.display()
        )));
    }
    if !crate::pdf::SOURCES
        .iter()
        .any(|f| args.dir.join(f).is_file())
    {
        return Err(CliError::Usage(format!(
            "{} không phải thư mục kết quả của một kỳ (không có {}): chỉ định thư mục out/<chế độ>/<kỳ>, ví dụ out/ktxh/2026-10",
            args.dir.display(),
            crate::pdf::SOURCES.join(", ")
        )));
    }
    let Some(soffice) = crate::pdf::soffice() else {
        return Err(CliError::Usage(format!(
            "không có soffice (LibreOffice) trên máy này; {}",
            crate::pdf::INSTALL_HINT
        )));
    };
    let (written, diags) = crate::pdf::convert(
        &soffice,
        &args.dir,
        std::time::Duration::from_secs(args.timeout),
    );
    for name in &written {
        println!("Đã ghi {}", args.dir.join(name).display());
    }
    for d in &diags {
        println!("{}", d.line());
    }
    Ok(if diags.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
