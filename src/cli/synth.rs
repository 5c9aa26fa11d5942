//! `baocao synth samples|bench` (hidden): the deterministic generators kept in the repo.
//!
//! `synth samples --out samples/inbox` rewrites the bundled sample inboxes.
//! `synth bench --units N --out DIR` writes a synthetic province (DIR/root) and a filled
//! inbox (DIR/inbox/<period>) for the benchmark in `bench/run.sh`.

use std::path::PathBuf;

use super::{parse_period, pick_regime, CliError, CliResult, EXIT_OK};
use crate::catalog::Config;
use crate::period::Period;
use crate::synth;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Hộp thư mẫu của samples/ (có lỗi cố ý).
    Samples {
        #[arg(long)]
        regime: Option<String>,
        #[arg(long)]
        out: PathBuf,
        /// Mặc định: 2026-08, 2026-09, 2026-10, 2026-Q3 (ktxh); 2026-Q3 (biểu ma trận).
        #[arg(long, value_parser = parse_period, num_args = 1..)]
        periods: Vec<Period>,
    },
    /// Kho lịch sử mẫu (samples/history): các tháng trước kỳ mẫu.
    History {
        #[arg(long)]
        regime: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_parser = parse_period, num_args = 1..)]
        periods: Vec<Period>,
    },
    /// Sổ theo dõi nhiệm vụ mẫu (samples/nhiem-vu).
    Tasks {
        #[arg(long)]
        out: PathBuf,
    },
    /// Tỉnh giả lập để đo hiệu năng.
    Bench {
        #[arg(long)]
        regime: Option<String>,
        #[arg(long)]
        units: usize,
        #[arg(long, value_parser = parse_period, default_value = "2026-10")]
        period: Period,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(config: &Config, args: Args) -> CliResult {
    // A machine fault while writing into `dir`.
    let io = |dir: &std::path::Path| {
        let dir = dir.to_path_buf();
        move |e: std::io::Error| {
            CliError::Machine(crate::fault::Fault::writing(
                &e,
                "không ghi được dữ liệu mẫu vào",
                dir,
            ))
        }
    };
    match args.what {
        What::Samples {
            regime,
            out,
            periods,
        } => {
            let regime = pick_regime(config, regime.as_deref())?;
            let n = sample_inbox(config, regime, periods, &out).map_err(io(&out))?;
            println!("Đã ghi {n} báo cáo mẫu vào {}", out.display());
        }
        What::History {
            regime,
            out,
            periods,
        } => {
            let regime = pick_regime(config, regime.as_deref())?;
            let n = synth::write_history(config, regime, &periods, &crate::store::Store::new(&out))
                .map_err(|e| CliError::Internal(e.to_string()))?;
            println!(
                "Đã ghi {n} số liệu của {} kỳ vào {}",
                periods.len(),
                out.display()
            );
        }
        What::Tasks { out } => {
            synth::write_task_samples(config, &out).map_err(io(&out))?;
            println!("Đã ghi sổ nhiệm vụ mẫu vào {}", out.display());
        }
        What::Bench {
            regime,
            units,
            period,
            out,
        } => {
            let regime = pick_regime(config, regime.as_deref())?;
            let root = out.join("root");
            synth::write_bench_root(config, &regime.id, units, &root).map_err(io(&root))?;
            let bench = Config::load(&root).map_err(|e| CliError::Internal(e.to_string()))?;
            let regime = bench.regime(&regime.id).expect("copied regime");
            let inbox = out.join("inbox").join(period.code());
            let n = synth::write_bench_inbox(&bench, regime, period, &inbox).map_err(io(&inbox))?;
            println!(
                "Đã ghi tỉnh giả lập {} và {n} báo cáo vào {}",
                root.display(),
                inbox.display()
            );
        }
    }
    Ok(EXIT_OK)
}

/// The sample inbox of `regime` for `periods` (by default the samples' own: 2026-H1 for a
/// regime of answers, 2026-Q3 for a matrix form, else 2026-08 to 2026-10 and 2026-Q3), with its
/// planted faults; the number of reports written.
fn sample_inbox(
    config: &Config,
    regime: &crate::catalog::Regime,
    periods: Vec<Period>,
    out: &std::path::Path,
) -> std::io::Result<usize> {
    let asks_answers = regime
        .form_codes()
        .any(|c| config.indicator(c).is_some_and(|i| i.is_answer()));
    Ok(if asks_answers {
        let periods = if periods.is_empty() {
            vec![Period::Half {
                year: 2026,
                half: 1,
            }]
        } else {
            periods
        };
        let mut n = 0;
        for p in periods {
            n += synth::write_answer_inbox(config, regime, p, &out.join(p.code()))?;
        }
        n
    } else if regime.is_matrix() {
        let periods = if periods.is_empty() {
            vec![Period::Quarter {
                year: 2026,
                quarter: 3,
            }]
        } else {
            periods
        };
        let mut n = 0;
        for p in periods {
            let faults = p.code() == "2026-Q3";
            n += synth::write_matrix_inbox(config, regime, p, &out.join(p.code()), faults)?;
        }
        n
    } else {
        let periods = if periods.is_empty() {
            ["2026-08", "2026-09", "2026-10", "2026-Q3"]
                .iter()
                .map(|p| p.parse().expect("valid period"))
                .collect()
        } else {
            periods
        };
        synth::write_sample_inbox(config, regime, &periods, out)?
    })
}
