//! `baocao run --regime ID --period P --inbox DIR --out DIR [--as-of D]`
//!
//! The month's batch: ingest → validate → consolidate → render, into
//! `OUT/<regime>/<period>/`: `tong-hop.xlsx`, `bao-cao.md`, `bao-cao.html`, `du-lieu.csv`,
//! `manifest.json`. Accepted figures go on; rejected files are listed, never dropped silently.
//! Every output is rendered in memory first and then written atomically (temp file, rename),
//! the manifest last: a failed run leaves the previous outputs in place.
//! `--inbox` is either the period's folder or an inbox root holding `<period>/` folders; with
//! a root, the previous period's folder (if any) gives the "so với tháng trước" comparisons.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use super::{
    parse_date, parse_period, pick_regime, today, CliError, CliResult, EXIT_FINDINGS, EXIT_OK,
};
use crate::catalog::{Config, Regime};
use crate::consolidate::{consolidate, Consolidated};
use crate::ingest::{collect_files, read_all, read_all_with, Expect};
use crate::output::write_atomic;
use crate::period::Period;
use crate::render::exchange::{du_lieu, manifest, FileEntry};
use crate::render::{narrative, workbook, Report};
use crate::validate::{validate, Batch, Timeliness};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub regime: Option<String>,
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// Thư mục nhận báo cáo: thư mục của kỳ, hoặc thư mục gốc chứa các thư mục <kỳ>/.
    #[arg(long)]
    pub inbox: PathBuf,
    /// Thư mục ghi kết quả; kết quả nằm trong <out>/<chế độ>/<kỳ>/.
    #[arg(long)]
    pub out: PathBuf,
    /// Ngày xét hạn (mặc định: hôm nay), để chạy lại một kỳ đã qua.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv): tổng hợp vào báo cáo nếu chế độ có phần nhiệm vụ.
    #[arg(long)]
    pub tasks: Option<PathBuf>,
    /// Thư mục kho lịch sử (mặc định: <root>/history).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Không đọc, không ghi kho lịch sử.
    #[arg(long)]
    pub no_history: bool,
    /// Không in tiến trình.
    #[arg(long, short)]
    pub quiet: bool,
}

pub const OUTPUTS: [&str; 5] = [
    "tong-hop.xlsx",
    "bao-cao.md",
    "bao-cao.html",
    "du-lieu.csv",
    "manifest.json",
];

/// The folder of `period` under an inbox root, or the inbox itself.
fn period_dir(inbox: &Path, period: Period) -> (PathBuf, bool) {
    let sub = inbox.join(period.code());
    if sub.is_dir() {
        (sub, true)
    } else {
        (inbox.to_path_buf(), false)
    }
}

/// The previous period consolidated from the inbox root, quietly, if it is there.
fn previous(
    config: &Config,
    regime: &Regime,
    period: Period,
    inbox: &Path,
    as_of: NaiveDate,
) -> Option<Consolidated> {
    let prev = period.previous();
    let dir = inbox.join(prev.code());
    if !dir.is_dir() {
        return None;
    }
    let reports = read_all(
        &[dir],
        Expect {
            config,
            regime,
            period: prev,
        },
    );
    let batch = validate(config, regime, prev, as_of, reports);
    consolidate(config, regime, prev, &batch.accepted).ok()
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let regime = pick_regime(config, args.regime.as_deref())?;
    if !args.inbox.is_dir() {
        return Err(CliError::Usage(format!(
            "không có thư mục nhận báo cáo {}",
            args.inbox.display()
        )));
    }
    super::ensure_frequency(regime, args.period)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let (dir, is_root) = period_dir(&args.inbox, args.period);
    let expect = Expect {
        config,
        regime,
        period: args.period,
    };

    // BAOCAO_TIMING=1 prints the time of each stage on stderr (for the benchmark).
    let timing = std::env::var_os("BAOCAO_TIMING").is_some();
    let clock = std::time::Instant::now();
    let lap = |stage: &str| {
        if timing {
            eprintln!(
                "[thời gian] {stage}: {:.3} s",
                clock.elapsed().as_secs_f64()
            );
        }
    };
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} Đọc báo cáo {pos}/{len} [{bar:30}] {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let reports = read_all_with(
        std::slice::from_ref(&dir),
        expect,
        &|n| bar.set_length(n as u64),
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    lap("đọc tệp");
    let batch = validate(config, regime, args.period, as_of, reports);
    lap("kiểm tra");
    let consolidated = consolidate(config, regime, args.period, &batch.accepted)
        .map_err(|e| CliError::Internal(e.to_string()))?;
    lap("tổng hợp");
    let prev = if is_root {
        previous(config, regime, args.period, &args.inbox, as_of)
    } else {
        None
    };
    lap("kỳ trước");
    let mut task_diags = Vec::new();
    let task_summary = match (&args.tasks, &regime.tasks) {
        (Some(path), Some(section)) => {
            if !path.is_file() {
                return Err(CliError::Usage(format!("không có tệp sổ nhiệm vụ {}", path.display())));
            }
            let (_, summary, diags) = super::tasks::load(config, path, as_of, section.within);
            task_diags = diags;
            Some(summary)
        }
        (Some(_), None) => {
            return Err(CliError::Usage(format!(
                "chế độ \"{}\" không có phần nhiệm vụ ([tasks] trong regime.toml) nên không dùng --tasks",
                regime.id
            )))
        }
        _ => None,
    };
    let mut batch = batch;
    batch.diagnostics.extend(task_diags);
    // History: the same period last year, year-to-date and outlier checks, from the store.
    let store = (!args.no_history).then(|| super::history::store_of(config, args.history.as_ref()));
    let (last_year, successors) = store
        .as_ref()
        .and_then(|s| {
            crate::history::consolidated_from_store(
                config,
                regime,
                s,
                args.period.same_period_last_year(),
            )
        })
        .map_or((None, Vec::new()), |(c, succ)| (Some(c), succ));
    if let Some(s) = &store {
        let accepted = &batch.accepted;
        let mut found = crate::history::ytd_warnings(
            config,
            regime,
            s,
            args.period,
            accepted,
            regime.ytd_tolerance,
        );
        found.extend(crate::history::outlier_warnings(
            config,
            regime,
            s,
            args.period,
            accepted,
            regime.outlier_threshold,
        ));
        found.extend(crate::history::carry_over_warnings(
            config,
            regime,
            s,
            args.period,
            accepted,
        ));
        batch.diagnostics.extend(found);
    }
    lap("lịch sử");
    let report = Report {
        config,
        regime,
        period: args.period,
        as_of,
        consolidated: &consolidated,
        previous: prev.as_ref(),
        batch: &batch,
        tasks: task_summary.as_ref(),
        last_year: last_year.as_ref(),
        successors,
    };

    // Render everything in memory first: nothing is written unless all of it succeeded.
    let xlsx = workbook::tong_hop(&report)
        .map_err(|e| CliError::Internal(format!("không tạo được tong-hop.xlsx: {e}")))?;
    let (md, html) = narrative::render(&report).map_err(|e| {
        CliError::Usage(format!(
            "mẫu đề cương của chế độ \"{}\" lỗi: {e}",
            regime.id
        ))
    })?;
    lap("tong-hop.xlsx, bao-cao");
    let csv = du_lieu(&report);
    let outputs: Vec<(&str, Vec<u8>)> = vec![
        (OUTPUTS[0], xlsx),
        (OUTPUTS[1], md.into_bytes()),
        (OUTPUTS[2], html.into_bytes()),
        (OUTPUTS[3], csv.into_bytes()),
    ];
    let mut inputs = Vec::new();
    for (path, shown) in collect_files(std::slice::from_ref(&dir)) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        inputs.push(FileEntry::of(shown, &bytes));
    }
    let log = dir.join("nhan.csv");
    if log.is_file() {
        inputs.push(FileEntry::of(
            "nhan.csv",
            &std::fs::read(&log).unwrap_or_default(),
        ));
    }
    let entries: Vec<FileEntry> = outputs.iter().map(|(n, b)| FileEntry::of(*n, b)).collect();
    let manifest = manifest(&report, inputs, entries);

    let target = args.out.join(&regime.id).join(args.period.code());
    let write = |name: &str, bytes: &[u8]| {
        write_atomic(&target.join(name), bytes).map_err(|e| {
            CliError::Internal(format!(
                "không ghi được {}: {e}",
                target.join(name).display()
            ))
        })
    };
    for (name, bytes) in &outputs {
        write(name, bytes)?;
    }
    write(OUTPUTS[4], manifest.as_bytes())?;
    if let Some(s) = &store {
        let status = crate::store::ValueStatus::from_key(&regime.value_status)
            .unwrap_or(crate::store::ValueStatus::ThucHien);
        let rows: Vec<crate::store::StoredValue> = batch
            .accepted
            .iter()
            .flat_map(|sub| {
                sub.values
                    .iter()
                    .map(move |((code, col), v)| crate::store::StoredValue {
                        unit_code: sub.unit_code.clone(),
                        indicator_code: code.clone(),
                        column: *col,
                        value: v.value,
                        status: if *col == crate::catalog::InputColumn::KeHoach {
                            crate::store::ValueStatus::KeHoach
                        } else {
                            status
                        },
                        source_period: String::new(),
                        file: sub.file.clone(),
                        received_at: sub
                            .received_at
                            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
                            .unwrap_or_default(),
                    })
            })
            .collect();
        // The previous period's actuals a form carries revise that period: a new vintage
        // beside its estimate, recorded as written by this period's run.
        let (revising, own): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|r| r.column == crate::catalog::InputColumn::KyTruoc);
        let revising: Vec<crate::store::StoredValue> = revising
            .into_iter()
            .map(|mut r| {
                r.column = crate::catalog::InputColumn::ThucHien;
                r.status = crate::store::ValueStatus::ThucHien;
                r
            })
            .collect();
        let mut revisions = s
            .record(&regime.id, args.period, args.period, own)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        if !revising.is_empty()
            || !s
                .read(&regime.id, args.period.previous())
                .map(|v| v.is_empty())
                .unwrap_or(true)
        {
            revisions.extend(
                s.record(&regime.id, args.period.previous(), args.period, revising)
                    .map_err(|e| CliError::Internal(e.to_string()))?,
            );
        }
        if !revisions.is_empty() && !args.quiet {
            eprintln!(
                "Kho lịch sử {}: ghi {} thay đổi (xem audit.csv).",
                s.dir.display(),
                revisions.len()
            );
        }
    }
    lap("ghi kết quả");

    print_summary(config, regime, args.period, &batch, &target);
    let missing = batch.count(Timeliness::Missing);
    Ok(if batch.rejected.is_empty() && missing == 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn print_summary(config: &Config, regime: &Regime, period: Period, b: &Batch, target: &Path) {
    println!("{} — {} ({})", regime.name, period.label(), period.code());
    println!("  Tệp đã đọc:            {}", b.files_read);
    println!(
        "  Báo cáo được chấp nhận: {} (đúng hạn {}, muộn {})",
        b.accepted.len(),
        b.count(Timeliness::OnTime),
        b.count(Timeliness::Late)
    );
    println!("  Tệp bị từ chối:        {}", b.rejected.len());
    println!(
        "  Đơn vị chưa gửi:       {} quá hạn, {} chưa đến hạn",
        b.count(Timeliness::Missing),
        b.count(Timeliness::NotYetDue)
    );
    println!(
        "  Chẩn đoán:             {} lỗi chặn, {} cảnh báo",
        b.blocking_count(),
        b.diagnostics.len() - b.blocking_count()
    );
    for r in &b.rejected {
        let who = r
            .unit_code
            .as_deref()
            .and_then(|c| config.units.get(c))
            .map(|u| format!(" ({})", u.name))
            .unwrap_or_default();
        println!("  ✗ Từ chối {}{who}: {}", r.file, r.codes.join(", "));
    }
    for c in b
        .compliance
        .iter()
        .filter(|c| c.status == Timeliness::Missing)
    {
        println!("  ✗ Chưa gửi: {} ({})", c.unit_name, c.unit_code);
    }
    println!("  Đã ghi vào {}:", target.display());
    for o in OUTPUTS {
        println!("    {o}");
    }
}
