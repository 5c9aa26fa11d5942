//! `baocao board --out DIR [--today D] [--tasks FILE] [--inbox ROOT] [--history DIR] [--refresh S]`
//!
//! The public display board `DIR/bang-tin.html` across every regime of the config root:
//! compliance of the periods due (from the inbox), key indicators and their trend (from the
//! history store), assigned tasks (from the register).

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{parse_date, today, CliResult, EXIT_OK};
use crate::catalog::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Thư mục ghi bang-tin.html.
    #[arg(long)]
    pub out: PathBuf,
    /// Ngày xét (mặc định hôm nay).
    #[arg(long, value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub tasks: Option<PathBuf>,
    /// Thư mục nhận báo cáo (<chế độ>/<kỳ>/ hoặc <kỳ>/): tình hình gửi báo cáo của từng đơn vị.
    #[arg(long)]
    pub inbox: Option<PathBuf>,
    /// Thư mục kho lịch sử (mặc định: <root>/history).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Số giây giữa hai lần tải lại trang trên màn hình.
    #[arg(long)]
    pub refresh: Option<u32>,
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let today = args.today.unwrap_or_else(today);
    let tasks = match &args.tasks {
        Some(path) => {
            super::task_cycle::ensure_file(path)?;
            Some(crate::ingest::register::load(config, path, today, 7).0)
        }
        None => None,
    };
    if let Some(inbox) = &args.inbox {
        crate::pipeline::inbox_folder(inbox)?;
    }
    let store = super::history::store_of(config, args.history.as_ref());
    let board = crate::board::gather(
        config,
        today,
        args.inbox.as_deref(),
        Some(&store),
        tasks.as_deref(),
    );
    let html = crate::render::board::html(&board, args.refresh);
    let target = args.out.join(crate::output::names::BOARD);
    super::write_file(&target, html.as_bytes())?;
    println!(
        "Đã ghi {} ({} kỳ báo cáo, {} chỉ tiêu{})",
        target.display(),
        board.periods.len(),
        board.indicators.len(),
        if board.tasks.is_some() {
            ", nhiệm vụ"
        } else {
            ""
        }
    );
    Ok(EXIT_OK)
}
