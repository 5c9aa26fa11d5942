//! `baocao regime …`: working on a regime's config. `draft` reads an official Excel form and
//! writes a draft config reproducing it (the work is in `crate::draft`); needs no config root.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, CliResult, EXIT_OK};
use crate::draft::{draft_config, DraftError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RegimeCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegimeCommand {
    /// Soạn bản nháp cấu hình chế độ báo cáo từ biểu mẫu Excel ban hành (các việc cần quyết định ghi TODO).
    Draft(DraftArgs),
}

#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// Tệp biểu mẫu Excel (.xlsx hoặc .xls) ban hành kèm văn bản.
    pub form: PathBuf,
    /// Mã chế độ báo cáo (tên thư mục report-templates/<mã>), ví dụ tcd.
    #[arg(long)]
    pub id: String,
    /// Thư mục cấu hình ghi bản nháp vào (tạo nếu chưa có).
    #[arg(long)]
    pub out: PathBuf,
    /// Trang tính chứa biểu (mặc định: trang đầu tiên có bảng).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Ghi đè regime.toml, danh mục chỉ tiêu và đề cương đã có của chế độ này.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> CliResult {
    match args.command {
        RegimeCommand::Draft(a) => draft(a),
    }
}

fn draft(a: DraftArgs) -> CliResult {
    let written =
        draft_config(&a.form, &a.id, &a.out, a.sheet.as_deref(), a.force).map_err(|e| match e {
            DraftError::Usage(m) => CliError::Usage(m),
            DraftError::Io(m) => CliError::Internal(m),
        })?;
    let (d, f) = (&written.draft, &written.form);
    println!(
        "Đã soạn bản nháp chế độ báo cáo \"{}\" từ {} (trang \"{}\"):",
        a.id, f.source, f.sheet
    );
    for (rel, _) in &d.files {
        println!("  {}", a.out.join(rel).display());
    }
    println!(
        "  {} dòng, {} cột số liệu, {} việc cần quyết định (TODO).",
        d.rows, d.columns, d.todos
    );
    println!(
        "Bước tiếp theo: baocao --root {} check-config, sửa các dòng TODO, rồi baocao --root {} form --regime {} --period <kỳ> --out <thư mục>.",
        a.out.display(),
        a.out.display(),
        a.id
    );
    Ok(EXIT_OK)
}
