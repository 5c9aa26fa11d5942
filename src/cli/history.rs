//! `baocao history --unit U --indicator I [--regime ID] [--history DIR] [--format table|json]`
//! and `baocao import-history [--history DIR] PATH...`.
//!
//! `history` prints a value's stored figures, period by period (every vintage), and the
//! revisions of the audit log. `import-history` loads earlier consolidated outputs
//! (`du-lieu.csv`, the exchange format) into the store, so that a province can start with
//! last year's figures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{pick_regime, CliError, CliResult, Format, EXIT_OK};
use crate::catalog::{Config, InputColumn};
use crate::fault::Fault;
use crate::ingest::collect_files;
use crate::model::{cell_key, parse_key, Disagg};
use crate::output::table;
use crate::period::Period;
use crate::store::{default_dir, Store, StoredValue, ValueStatus};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mã đơn vị (như 99011, hay 99 cho số tổng hợp của tỉnh).
    #[arg(long)]
    pub unit: String,
    /// Mã chỉ tiêu, hay ô của nó: NN05, TT01[nguon=truc_tuyen].
    #[arg(long)]
    pub indicator: String,
    /// Mã chế độ báo cáo (mặc định: chế độ duy nhất trong cấu hình).
    #[arg(long)]
    pub regime: Option<String>,
    /// Thư mục kho lịch sử (mặc định: <root>/history).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Thư mục kho lịch sử (mặc định: <root>/history).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Tệp du-lieu.csv hoặc thư mục chứa chúng.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Row {
    period: String,
    column: &'static str,
    status: &'static str,
    value: f64,
    file: String,
    received_at: String,
    source_period: String,
}

pub fn store_of(config: &Config, dir: Option<&PathBuf>) -> Store {
    Store::new(dir.cloned().unwrap_or_else(|| default_dir(&config.root)))
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let regime = pick_regime(config, args.regime.as_deref())?;
    if config.units.get(&args.unit).is_none() {
        return Err(CliError::Usage(format!(
            "không có đơn vị \"{}\" trong units.toml",
            args.unit
        )));
    }
    // `--indicator` is a cell key: `TT01`, or `TT01[nguon=truc_tuyen]` for one cell.
    let key = parse_key(&args.indicator)
        .and_then(|(code, d)| config.check_cell(&code, &d).map(|()| cell_key(&code, &d)))
        .map_err(|why| {
            CliError::Usage(format!(
                "chỉ tiêu \"{}\" không hợp lệ: {why}",
                args.indicator
            ))
        })?;
    let store = store_of(config, args.history.as_ref());
    let err = |e: crate::store::StoreError| match e
        .fault(|io| Fault::reading(io, "không đọc được kho lịch sử", &store.dir))
    {
        Ok(f) => CliError::Machine(f),
        Err(e) => CliError::Internal(e.to_string()),
    };
    let mut rows = Vec::new();
    for p in store.periods(&regime.id) {
        for v in store.read(&regime.id, p).map_err(err)? {
            if v.unit_code == args.unit && v.indicator_code == key {
                rows.push(Row {
                    period: p.code(),
                    column: v.column.key(),
                    status: v.status.key(),
                    value: v.value,
                    file: v.file.to_string(),
                    received_at: v.received_at.to_string(),
                    source_period: v.source_period.to_string(),
                });
            }
        }
    }
    let revisions = store.audit(Some(&args.unit), Some(&key)).map_err(err)?;
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({ "unit": args.unit, "indicator": args.indicator, "values": rows, "revisions": revisions });
            println!("{}", crate::output::json(&doc));
        }
        Format::Table | Format::Csv => {
            let ind = config.indicator_of_key(&key).expect("checked");
            let unit = config.units.get(&args.unit).expect("checked");
            println!(
                "{} ({}) — {} {} ({})",
                unit.name, unit.code, key, ind.name, ind.unit
            );
            if rows.is_empty() {
                println!("Kho lịch sử {} chưa có số liệu này.", store.dir.display());
            } else {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.period.clone(),
                            r.column.to_string(),
                            r.status.to_string(),
                            crate::text::fmt_vn(r.value, 4),
                            r.received_at.clone(),
                            r.file.clone(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &["Kỳ", "Cột", "Loại số", "Giá trị", "Nhận lúc", "Tệp"],
                        &cells
                    )
                );
            }
            if !revisions.is_empty() {
                println!("\nĐiều chỉnh:");
                for r in &revisions {
                    let f = |v: Option<f64>| {
                        v.map(|x| crate::text::fmt_vn(x, 4))
                            .unwrap_or_else(|| "—".to_string())
                    };
                    println!(
                        "  {} {} {}: {} → {} ({}, nhận {})",
                        r.period,
                        r.column,
                        r.status,
                        f(r.old_value),
                        f(r.new_value),
                        r.file,
                        r.received_at
                    );
                }
            }
        }
    }
    Ok(EXIT_OK)
}

pub fn import(config: &Config, args: ImportArgs) -> CliResult {
    super::paths_exist(&args.paths)?;
    let store = store_of(config, args.history.as_ref());
    let mut groups: BTreeMap<(String, Period), Vec<StoredValue>> = BTreeMap::new();
    let mut skipped = 0usize;
    let mut outside: BTreeMap<String, std::collections::BTreeSet<Period>> = BTreeMap::new();
    for (path, shown) in collect_files(&args.paths) {
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let mut rdr = csv::Reader::from_path(&path).map_err(|e| {
            CliError::Usage(format!(
                "không đọc được {shown}: {}",
                crate::fault::csv_reason(&e)
            ))
        })?;
        let headers = rdr
            .headers()
            .map_err(|e| CliError::Usage(format!("{shown}: {e}")))?
            .clone();
        let cols = crate::ingest::exchange::Columns::of(&headers).map_err(|missing| {
            CliError::Usage(format!(
                "{shown}: tiêu đề phải có regime,period,unit_code,indicator_code,value (thiếu {})",
                missing.join(", ")
            ))
        })?;
        for rec in rdr.records() {
            let rec = rec.map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
            let row = cols.row(&rec);
            let (Ok(period), Ok(value)) = (row.period.parse::<Period>(), row.value.parse::<f64>())
            else {
                skipped += 1;
                continue;
            };
            let column = row
                .column
                .and_then(InputColumn::from_key)
                .unwrap_or(InputColumn::ThucHien);
            let regime = row.regime.to_string();
            let cell = Disagg::parse(row.disagg)
                .ok()
                .filter(|d| config.check_cell(row.indicator, d).is_ok());
            let known = config.regime(&regime).is_some()
                && (config.units.get(row.unit).is_some() || config.successor(row.unit).is_some())
                && config
                    .indicator(row.indicator)
                    .is_some_and(|i| !i.is_derived());
            let Some(cell) = cell.filter(|_| known) else {
                skipped += 1;
                continue;
            };
            // Loaded all the same (the past is as it was sent), but said: a code typed wrong
            // or a date in units.toml that is.
            let last_day = crate::schedule::last_day_of(period);
            if let Some(u) = config
                .units
                .get(row.unit)
                .filter(|u| !u.is_valid_on(last_day))
            {
                outside
                    .entry(config.units.label_of(&u.code))
                    .or_default()
                    .insert(period);
            }
            groups
                .entry((regime, period))
                .or_default()
                .push(StoredValue {
                    unit_code: row.unit.into(),
                    indicator_code: cell_key(row.indicator, &cell).into(),
                    column,
                    value,
                    status: if column == InputColumn::KeHoach {
                        ValueStatus::KeHoach
                    } else {
                        ValueStatus::ThucHien
                    },
                    source_period: "".into(),
                    file: shown.as_str().into(),
                    received_at: "".into(),
                });
        }
    }
    let mut n = 0;
    for ((regime, period), rows) in groups {
        n += rows.len();
        store
            .record(&regime, period, period, rows)
            .map_err(|e| {
                let said = |io: &std::io::Error| {
                    Fault::writing(io, "không nạp được vào kho lịch sử", &store.dir).kept(
                        "Các kỳ đã lưu trong kho vẫn nguyên vẹn; các kỳ báo \"đã nạp\" bên trên đã vào kho.",
                    )
                };
                match e.fault(said) {
                    Ok(f) => CliError::Machine(f),
                    Err(e) => CliError::Internal(e.to_string()),
                }
            })?;
        println!("  {regime} {}: đã nạp", period.code());
    }
    println!("Đã nạp {n} số liệu vào {} ({skipped} dòng bỏ qua: đơn vị, chỉ tiêu hoặc chế độ không có trong cấu hình, hoặc chỉ tiêu tính toán).", store.dir.display());
    if !outside.is_empty() {
        let units: Vec<String> = outside
            .iter()
            .map(|(unit, periods)| {
                let periods: Vec<String> = periods.iter().map(|p| p.code()).collect();
                format!("{unit}: {}", periods.join(", "))
            })
            .collect();
        eprintln!(
            "Cảnh báo: đã nạp số liệu của đơn vị không hoạt động trong kỳ của số liệu (theo valid_from, valid_to trong units.toml) — {}.\nKiểm tra mã đơn vị trong tệp, hoặc ngày hiệu lực của đơn vị trong units.toml.",
            units.join("; ")
        );
    }
    Ok(EXIT_OK)
}
