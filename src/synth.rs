//! Deterministic generators of filled submissions: the bundled samples' inboxes (with the
//! faults officers make, on purpose) and synthetic provinces of any size for benchmarks.
//!
//! Everything here is seeded: the same call writes the same bytes. Values are plausible, not
//! real: each (unit, indicator, month) draws from its own seed, so year-to-date columns add
//! up across periods and parts never exceed their totals unless a fault says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use crate::catalog::{Config, Indicator, InputColumn, Regime, Unit, ValueType};
use crate::output::write_atomic;
use crate::period::Period;
use crate::render::form::CellValue;
use crate::render::{form_file_name, unit_form, Fill};

mod answers;
mod lists;
pub use answers::write_answer_inbox;

/// Indicators whose period value is a level (a stock), not a flow: their year-to-date is the
/// latest value, not a sum.
fn is_stock(ind: &Indicator) -> bool {
    !ind.is_flow()
}

fn seed_of(parts: &[&str]) -> u64 {
    // FNV-1a: stable across platforms and releases.
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// Typical monthly size of an indicator for one reporting unit.
fn base(ind: &Indicator, unit: &Unit) -> f64 {
    let mut rng = fastrand::Rng::with_seed(seed_of(&[&unit.code, &ind.code, "base"]));
    let spread = 0.6 + rng.f64() * 0.8;
    let b = match ind.code.as_str() {
        "NN02" => 420.0,
        "NN03" => 260.0,
        "NN04" => 58.0,
        "NN05" => 1900.0,
        "NN06" => 5200.0,
        "NN07" => 6.0,
        "CN01" => 109.0,
        "CN02" => 5200.0,
        "CN03" => 14.0,
        "TM01" => 6100.0,
        "TM02" => 310.0,
        "TM03" => 190.0,
        "DL01" => 9500.0,
        "DL03" => 780.0,
        "NS01" => 1450.0,
        "NS02" => 1210.0,
        "NS03" => 1620.0,
        "NS04" => 3.2,
        "DT01" => 95.0,
        "DT02" => 7.5,
        "DN01" => 120.0,
        "DN02" => 1350.0,
        "DN03" => 45.0,
        "DN04" => 8600.0,
        "LD01" => 85.0,
        "GN02" => 6200.0,
        "YT02" => 23000.0,
        "YT04" => 4.0,
        "GD01" => 310.0,
        "HC01" => 420.0,
        "HC05" => 88.0,
        "AN01" => 1.2,
        "AN02" => 0.6,
        "AN03" => 42.0,
        "AN04" => 0.5,
        _ => 100.0,
    };
    if matches!(ind.code.as_str(), "CN01" | "HC05" | "NN04") {
        b * (0.95 + rng.f64() * 0.1)
    } else {
        b * spread
    }
}

/// A unit's figure for one month (flows) or at the end of it (stocks), before rounding.
fn month_value(ind: &Indicator, unit: &Unit, year: i32, month: u32) -> f64 {
    let mut rng = fastrand::Rng::with_seed(seed_of(&[
        &unit.code,
        &ind.code,
        &year.to_string(),
        &month.to_string(),
    ]));
    let noise = 0.9 + rng.f64() * 0.2;
    let season = 1.0 + 0.05 * ((month as f64) / 12.0 * std::f64::consts::TAU).sin();
    let growth = 1.0 + 0.08 * f64::from(year - 2025) + 0.004 * month as f64;
    base(ind, unit) * noise * season * growth
}

fn round_for(ind: &Indicator, v: f64) -> f64 {
    let v = match ind.upper_bound() {
        Some(hi) => v.min(hi * 0.99),
        None => v,
    };
    match ind.value_type {
        ValueType::Integer => v.round(),
        _ => (v * 100.0).round() / 100.0,
    }
}

/// Parts and totals agree: totals from their parts, "trong đó" parts as shares of totals.
fn consistent(map: &mut BTreeMap<String, f64>) {
    if let (Some(a), Some(b)) = (map.get("NN02").copied(), map.get("NN03").copied()) {
        map.insert("NN01".into(), ((a + b) * 100.0).round() / 100.0);
    }
    let mut share = |part: &str, total: &str, ratio: f64, int: bool| {
        if let Some(t) = map.get(total).copied() {
            if map.contains_key(part) {
                let v = t * ratio;
                map.insert(
                    part.into(),
                    if int {
                        v.round()
                    } else {
                        (v * 100.0).round() / 100.0
                    },
                );
            }
        }
    };
    share("DL02", "DL01", 0.12, true);
    share("LD02", "LD01", 0.15, true);
    share("GN01", "GN02", 0.035, true);
    share("YT01", "YT02", 0.93, true);
    share("HC02", "HC01", 0.97, true);
    share("HC04", "HC01", 0.62, true);
    share("NS02", "NS01", 0.84, false);
}

/// The unit's twelve monthly reports of `year` on `rows`: rounded, parts consistent with
/// totals.
fn monthly_reports(rows: &[&Indicator], unit: &Unit, year: i32) -> Vec<BTreeMap<String, f64>> {
    (1..=12)
        .map(|m| {
            let mut map: BTreeMap<String, f64> = rows
                .iter()
                .map(|ind| {
                    (
                        ind.code.clone(),
                        round_for(ind, month_value(ind, unit, year, m)),
                    )
                })
                .collect();
            consistent(&mut map);
            map
        })
        .collect()
}

/// Filled values of one unit for one period, consistent across indicators.
pub fn unit_values(
    config: &Config,
    regime: &Regime,
    unit: &Unit,
    period: Period,
) -> BTreeMap<(String, InputColumn), f64> {
    let (first, last) = period.month_span();
    let year = period.year();
    let rows = config.rows_for_unit(regime, unit);
    // Each month as the unit would report it (rounded, parts consistent with totals); a
    // period's flows and the year-to-date then add up exactly from the monthly reports.
    let months = monthly_reports(&rows, unit, year);
    let mut thuc: BTreeMap<String, f64> = BTreeMap::new();
    let mut luy: BTreeMap<String, f64> = BTreeMap::new();
    let mut plan: BTreeMap<String, f64> = BTreeMap::new();
    for ind in &rows {
        let at = |m: u32| months[m as usize - 1][&ind.code];
        let mean_ytd =
            crate::history::ytd::OverTime::of(ind) == crate::history::ytd::OverTime::Mean;
        let (t, l) = if mean_ytd {
            // An average's year-to-date is the mean over the months.
            (at(last), (1..=last).map(at).sum::<f64>() / f64::from(last))
        } else if is_stock(ind) {
            (at(last), at(last))
        } else {
            (
                (first..=last).map(at).sum::<f64>(),
                (1..=last).map(at).sum::<f64>(),
            )
        };
        thuc.insert(ind.code.clone(), round_for(ind, t));
        luy.insert(ind.code.clone(), round_for(ind, l));
        let v = |m: u32| month_value(ind, unit, year, m);
        let p = if is_stock(ind) {
            v(12) * 1.02
        } else {
            (1..=12).map(v).sum::<f64>() * 1.05
        };
        plan.insert(ind.code.clone(), round_for(ind, p));
    }
    consistent(&mut plan);
    let mut out = BTreeMap::new();
    for (code, v) in thuc {
        out.insert((code, InputColumn::ThucHien), v);
    }
    for (code, v) in luy {
        out.insert((code, InputColumn::LuyKe), v);
    }
    for (code, v) in plan {
        out.insert((code, InputColumn::KeHoach), v);
    }
    out.retain(|(_, c), _| regime.form.columns.contains(c));
    out
}

/// A deliberate fault in a sample file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Received after the deadline.
    Late,
    /// Not sent at all.
    Missing,
    /// Figures typed as text in the vi-VN form, one of them ambiguous ("2.345").
    TextNumbers,
    /// Two title rows inserted above the header block.
    InsertedRows,
    /// The previous period's form used.
    WrongPeriod,
    /// A "trong đó" part larger than its total.
    PartOverTotal,
}

fn fault_for(period: Period, unit: &str) -> Fault {
    if period.code() != "2026-10" {
        return Fault::None;
    }
    match unit {
        "99021" => Fault::Late,
        "99024" => Fault::Missing,
        "99012" => Fault::TextNumbers,
        "99015" => Fault::InsertedRows,
        "99010" => Fault::WrongPeriod,
        "99004" => Fault::PartOverTotal,
        _ => Fault::None,
    }
}

/// Writes `inbox/<period>/` for each period: one filled form per reporting unit, the receipt
/// log `nhan.csv`, and for 2026-10 the deliberate faults listed in `samples/README.md`.
pub fn write_sample_inbox(
    config: &Config,
    regime: &Regime,
    periods: &[Period],
    inbox: &Path,
) -> std::io::Result<usize> {
    let mut written = 0;
    for &period in periods {
        let dir = inbox.join(period.code());
        let mut log = String::from("file,received_at\n");
        for unit in config.reporting_units(regime, regime.window(period).to) {
            let fault = fault_for(period, &unit.code);
            if fault == Fault::Missing {
                continue;
            }
            let form = SampleForm {
                config,
                regime,
                period,
                unit,
                fault,
            };
            form.write(&dir, &mut log)?;
            written += 1;
        }
        write_atomic(&dir.join("nhan.csv"), log.as_bytes())?;
    }
    Ok(written)
}

/// One unit's filled form of a sample inbox for one period, with its fault.
struct SampleForm<'a> {
    config: &'a Config,
    regime: &'a Regime,
    period: Period,
    unit: &'a Unit,
    fault: Fault,
}

impl SampleForm<'_> {
    /// Writes the form into `dir`, its receipt in `log` (communes) or its footer
    /// (departments).
    fn write(&self, dir: &Path, log: &mut String) -> std::io::Result<()> {
        let (config, regime, period, unit, fault) =
            (self.config, self.regime, self.period, self.unit, self.fault);
        let form_period = if fault == Fault::WrongPeriod {
            period.previous()
        } else {
            period
        };
        let mut fill = self.fill(form_period);
        let received = self.received();
        // Departments sign the footer; communes are logged in nhan.csv.
        let name = form_file_name(unit, period);
        if unit.level == "so" && fault == Fault::None {
            fill.signed_on = Some(received.date());
        } else {
            writeln!(log, "{name},{}", received.format("%Y-%m-%dT%H:%M")).expect("write to string");
        }
        let bytes = unit_form(config, regime, form_period, unit, Some(&fill))
            .map_err(std::io::Error::other)?;
        write_atomic(&dir.join(&name), &bytes)
    }

    /// The unit's figures for `form_period`, with the fault planted in them.
    fn fill(&self, form_period: Period) -> Fill {
        let values = unit_values(self.config, self.regime, self.unit, form_period);
        let mut fill = Fill::default();
        for ((code, col), v) in &values {
            fill.values
                .insert((code.clone(), *col), CellValue::Number(*v));
        }
        plant_fault(&mut fill, self.fault);
        fill
    }

    /// When the form was received: two working days after the deadline when late, else on
    /// the deadline or the first working day after the period, at a seeded time.
    fn received(&self) -> NaiveDateTime {
        let (config, regime, period, unit) = (self.config, self.regime, self.period, self.unit);
        let deadline = regime
            .deadline(period, &unit.level, &config.calendar)
            .expect("deadline");
        match self.fault {
            Fault::Late => config
                .calendar
                .add_working_days(deadline, 2)
                .and_time(hm(9, 30)),
            _ => {
                let mut rng =
                    fastrand::Rng::with_seed(seed_of(&[&unit.code, &period.code(), "received"]));
                let day = if rng.bool() {
                    deadline
                } else {
                    config
                        .calendar
                        .add_working_days(regime.window(period).to, 1)
                };
                day.and_time(hm(7 + rng.u32(0..9), rng.u32(0..60)))
            }
        }
    }
}

/// Plants a fault that shows in the figures: numbers typed as text, inserted rows, a part
/// over its total.
fn plant_fault(fill: &mut Fill, fault: Fault) {
    match fault {
        Fault::TextNumbers => {
            // "1.912,35": the vi-VN form, read without a warning.
            if let Some(CellValue::Number(v)) = fill
                .values
                .get(&("NN05".to_string(), InputColumn::ThucHien))
                .cloned()
            {
                let text = crate::text::fmt_vn_fixed(v, 2);
                fill.values.insert(
                    ("NN05".into(), InputColumn::ThucHien),
                    CellValue::Text(text),
                );
            }
            // An ambiguous one: "2.345" read as 2345 visitors, with a warning.
            fill.values.insert(
                ("DL01".into(), InputColumn::ThucHien),
                CellValue::Text("2.345".into()),
            );
            fill.values.insert(
                ("DL02".into(), InputColumn::ThucHien),
                CellValue::Text("281".into()),
            );
        }
        Fault::InsertedRows => fill.extra_top_rows = 2,
        Fault::PartOverTotal => {
            if let Some(CellValue::Number(total)) = fill
                .values
                .get(&("DL01".to_string(), InputColumn::ThucHien))
                .cloned()
            {
                fill.values.insert(
                    ("DL02".into(), InputColumn::ThucHien),
                    CellValue::Number((total * 1.4).round()),
                );
            }
        }
        _ => {}
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// A synthetic province for benchmarks: `units` communes under `units / 100 + 1` intermediate
/// units, the sample regime's indicators, and one filled form (or exchange CSV) per commune.
pub fn write_bench_root(
    samples: &Config,
    regime_id: &str,
    units: usize,
    root: &Path,
) -> std::io::Result<()> {
    if samples.regime(regime_id).is_none() {
        return Err(std::io::Error::other(format!("no regime {regime_id}")));
    }
    std::fs::create_dir_all(root.join("indicators"))?;
    std::fs::create_dir_all(root.join("report-templates").join(regime_id))?;
    // A root that reads the library reads it here too.
    let library = samples.root.join(crate::catalog::library::LIBRARY_FILE);
    if library.is_file() {
        std::fs::copy(&library, root.join(crate::catalog::library::LIBRARY_FILE))?;
    }
    for dir in ["indicators", &format!("report-templates/{regime_id}")] {
        let Ok(rd) = std::fs::read_dir(samples.root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            // The catalog's option lists are needed; the regime's plan files name the
            // sample's own units, not the synthetic ones.
            let plan = dir != "indicators" && e.file_name().to_string_lossy().ends_with(".csv");
            if e.path().is_file() && !plan {
                std::fs::copy(e.path(), root.join(dir).join(e.file_name()))?;
            }
        }
    }
    let mut toml = String::from(
        "[[level]]\nname = \"tinh\"\nlabel = \"Cấp tỉnh\"\n\n[[level]]\nname = \"xa\"\nlabel = \"Cấp xã\"\n\n[[level]]\nname = \"so\"\nlabel = \"Sở, ngành\"\n\n[[level]]\nname = \"vung\"\nlabel = \"Vùng\"\n\n",
    );
    toml.push_str("[[unit]]\ncode = \"99\"\nname = \"Tỉnh Thử Nghiệm\"\nlevel = \"tinh\"\nkind = \"tinh\"\n\n");
    // Departments are needed by the owners declared in the indicators.
    for u in samples.units.iter().filter(|u| u.level == "so") {
        writeln!(toml, "[[unit]]\ncode = \"{}\"\nname = \"{}\"\nlevel = \"so\"\nkind = \"so\"\nparent = \"99\"\n", u.code, u.name).expect("string");
    }
    let groups = units / 100 + 1;
    for g in 0..groups {
        writeln!(toml, "[[unit]]\ncode = \"V{g:03}\"\nname = \"Vùng {g}\"\nlevel = \"vung\"\nkind = \"vung\"\nparent = \"99\"\n").expect("string");
    }
    for i in 0..units {
        writeln!(
            toml,
            "[[unit]]\ncode = \"{:05}\"\nname = \"Xã Thử {i}\"\nlevel = \"xa\"\nkind = \"xa\"\nparent = \"V{:03}\"\n",
            10000 + i,
            i % groups
        )
        .expect("string");
    }
    std::fs::write(root.join("units.toml"), toml)?;
    Ok(())
}

/// Fills `inbox` with one form per reporting unit of the bench root, received on time.
pub fn write_bench_inbox(
    config: &Config,
    regime: &Regime,
    period: Period,
    inbox: &Path,
) -> std::io::Result<usize> {
    use rayon::prelude::*;
    let units = config.reporting_units(regime, regime.window(period).to);
    let received: NaiveDateTime = NaiveDate::from_ymd_opt(period.year(), period.month_span().1, 15)
        .expect("date")
        .and_time(hm(8, 0));
    let log: String = std::iter::once("file,received_at\n".to_string())
        .chain(units.iter().map(|u| {
            format!(
                "{},{}\n",
                form_file_name(u, period),
                received.format("%Y-%m-%dT%H:%M")
            )
        }))
        .collect();
    units
        .par_iter()
        .try_for_each(|unit| -> std::io::Result<()> {
            let mut fill = Fill::default();
            // A matrix form's cells are keyed by lĩnh vực (and the other disaggregations).
            let values = if config.layout(&regime.id).is_some() {
                matrix_values(config, unit, period)
            } else {
                unit_values(config, regime, unit, period)
            };
            for ((code, col), v) in values {
                fill.values.insert((code, col), CellValue::Number(v));
            }
            let bytes = unit_form(config, regime, period, unit, Some(&fill))
                .map_err(std::io::Error::other)?;
            write_atomic(&inbox.join(form_file_name(unit, period)), &bytes)
        })?;
    write_atomic(&inbox.join("nhan.csv"), log.as_bytes())?;
    Ok(units.len())
}

/// A history store as the engine would have it after running `periods` on complete inboxes:
/// every reporting unit's figures, received on its deadline.
pub fn write_history(
    config: &Config,
    regime: &Regime,
    periods: &[Period],
    store: &crate::store::Store,
) -> Result<usize, crate::store::StoreError> {
    let mut n = 0;
    for &period in periods {
        let mut rows = Vec::new();
        for unit in config.reporting_units(regime, regime.window(period).to) {
            let due = regime
                .deadline(period, &unit.level, &config.calendar)
                .expect("deadline");
            let received = due
                .and_time(hm(8, 0))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string();
            let file = form_file_name(unit, period);
            for ((code, column), value) in unit_values(config, regime, unit, period) {
                rows.push(crate::store::StoredValue {
                    unit_code: unit.code.as_str().into(),
                    indicator_code: code.into(),
                    column,
                    value,
                    status: if column == InputColumn::KeHoach {
                        crate::store::ValueStatus::KeHoach
                    } else {
                        crate::store::ValueStatus::ThucHien
                    },
                    source_period: "".into(),
                    file: file.as_str().into(),
                    received_at: received.as_str().into(),
                });
            }
        }
        n += rows.len();
        store.record(&regime.id, period, period, rows)?;
    }
    Ok(n)
}

/// The task registers of `samples/nhiem-vu/`: `lam-dong-2020.csv`, the figures reported for
/// Lâm Đồng in 2020 (77 tasks: 33 completed, 30 on time and 3 late, 44 in progress within
/// their deadlines, as of 31/12/2020), with the sample province's departments as lead units;
/// and `so-theo-doi-2026.xlsx`, a register with tasks in every status as of 20/11/2026, its
/// dates written as Excel dates, serial numbers and dd/mm/yyyy text.
pub fn write_task_samples(config: &Config, dir: &Path) -> std::io::Result<()> {
    let csv = lam_dong_2020_csv(config);
    write_atomic(&dir.join("lam-dong-2020.csv"), csv.as_bytes())?;
    let bytes = an_lac_2026_xlsx(config)?;
    write_atomic(&dir.join("so-theo-doi-2026.xlsx"), &bytes)
}

/// The subjects of the sample tasks, taken in turn.
const TASK_TOPICS: [&str; 6] = [
    "Hoàn thiện hồ sơ trình phê duyệt",
    "Tham mưu kế hoạch triển khai",
    "Rà soát, báo cáo kết quả thực hiện",
    "Xây dựng đề án",
    "Kiểm tra, xử lý kiến nghị của cử tri",
    "Tổng kết, đánh giá và đề xuất giải pháp",
];

/// A date of the sample registers (always valid).
const fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// A date as officers type it: dd/mm/yyyy.
fn vn_date(x: NaiveDate) -> String {
    x.format("%d/%m/%Y").to_string()
}

/// `lam-dong-2020.csv`: Lâm Đồng's 77 tasks of 2020, the sample province's departments as
/// lead units in turn.
fn lam_dong_2020_csv(config: &Config) -> String {
    let leads: Vec<&Unit> = config.units.iter().filter(|u| u.level == "so").collect();
    let mut csv = String::from("Mã nhiệm vụ,Nội dung nhiệm vụ,Văn bản giao (số/ký hiệu),Ngày giao,Cơ quan giao,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn,Thời hạn điều chỉnh (gia hạn),Ngày hoàn thành,Tiến độ / kết quả,Giải trình\n");
    for i in 0..77u32 {
        let lead = leads[i as usize % leads.len()];
        let assigned = ymd(2020, 1 + i % 9, 1 + i % 27);
        let (deadline, done, result, why) = lam_dong_outcome(i);
        writeln!(
            csv,
            "NV-2020-{:03},\"{} ({})\",{}/TB-UBND,{},UBND tỉnh,{},,{},,{},{result},{why}",
            i + 1,
            TASK_TOPICS[i as usize % TASK_TOPICS.len()],
            lead.name,
            100 + i,
            vn_date(assigned),
            lead.code,
            vn_date(deadline),
            done.map(vn_date).unwrap_or_default()
        )
        .expect("write to string");
    }
    csv
}

/// Task `i` of Lâm Đồng 2020 as of 31/12/2020: its deadline, completion date, result and
/// explanation (the first 30 completed on time, the next 3 late, the rest in progress).
fn lam_dong_outcome(i: u32) -> (NaiveDate, Option<NaiveDate>, &'static str, &'static str) {
    if i < 30 {
        let dl = ymd(2020, 10 + i % 3, 15);
        (
            dl,
            Some(dl - Days::new(u64::from(i % 20))),
            "Đã hoàn thành",
            "",
        )
    } else if i < 33 {
        let dl = ymd(2020, 9, 30);
        (
            dl,
            Some(ymd(2020, 10, 10 + i - 30)),
            "Đã hoàn thành",
            "Chờ ý kiến thống nhất của các bộ, ngành",
        )
    } else {
        (ymd(2021, 1 + i % 6, 28), None, "Đang triển khai", "")
    }
}

// (lead, deadline, extended, completed, result, explanation, how dates are written)
type TaskRow<'a> = (
    &'a str,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    &'a str,
    &'a str,
);

/// The tasks of An Lạc 2026, in every status as of 20/11/2026.
const AN_LAC_TASKS: [TaskRow<'static>; 14] = [
    (
        "STC",
        Some(ymd(2026, 6, 30)),
        None,
        Some(ymd(2026, 6, 30)),
        "Đã trình UBND tỉnh",
        "",
    ),
    (
        "SCT",
        Some(ymd(2026, 9, 15)),
        None,
        Some(ymd(2026, 9, 2)),
        "Đã ban hành kế hoạch",
        "",
    ),
    (
        "SXD",
        Some(ymd(2026, 7, 31)),
        None,
        Some(ymd(2026, 8, 12)),
        "Đã hoàn thành",
        "Chờ thẩm định của Bộ Xây dựng",
    ),
    (
        "SNNMT",
        Some(ymd(2026, 8, 31)),
        None,
        Some(ymd(2026, 9, 10)),
        "Đã hoàn thành",
        "",
    ),
    (
        "SYT",
        Some(ymd(2026, 6, 30)),
        Some(ymd(2026, 10, 31)),
        Some(ymd(2026, 10, 20)),
        "Đã hoàn thành",
        "Được gia hạn theo Văn bản 512/UBND-TH",
    ),
    (
        "SGDDT",
        Some(ymd(2026, 11, 25)),
        None,
        None,
        "Đang lấy ý kiến các sở",
        "",
    ),
    (
        "SNV",
        Some(ymd(2026, 11, 27)),
        None,
        None,
        "Đang hoàn thiện dự thảo",
        "",
    ),
    (
        "STC",
        Some(ymd(2026, 12, 31)),
        None,
        None,
        "Đang triển khai",
        "",
    ),
    (
        "SKHCN",
        Some(ymd(2026, 10, 15)),
        None,
        None,
        "Chưa hoàn thành",
        "",
    ),
    (
        "SVHTTDL",
        Some(ymd(2026, 9, 30)),
        Some(ymd(2026, 11, 15)),
        None,
        "Chưa hoàn thành",
        "",
    ),
    ("CAT", None, None, None, "Thực hiện thường xuyên", ""),
    (
        "SCT",
        Some(ymd(2026, 12, 15)),
        None,
        Some(ymd(2026, 12, 1)),
        "Dự kiến hoàn thành đầu tháng 12",
        "",
    ),
    (
        "SXD",
        Some(ymd(2026, 3, 31)),
        None,
        Some(ymd(2026, 3, 20)),
        "Đã hoàn thành",
        "",
    ),
    (
        "SYT",
        Some(ymd(2026, 11, 20)),
        None,
        None,
        "Đang triển khai",
        "",
    ),
];

/// A worksheet write's result as an I/O one.
fn xl(
    r: Result<&mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError>,
) -> std::io::Result<()> {
    r.map(|_| ()).map_err(std::io::Error::other)
}

/// `so-theo-doi-2026.xlsx`: An Lạc's 2026 register, a title, the header row and one row per
/// task of `AN_LAC_TASKS`.
fn an_lac_2026_xlsx(config: &Config) -> std::io::Result<Vec<u8>> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 11, 20).map_err(std::io::Error::other)?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_author("baocao")
            .set_creation_datetime(&created),
    );
    let ws = wb.add_worksheet();
    ws.set_name("Nhiệm vụ").map_err(std::io::Error::other)?;
    let bold = Format::new().set_bold().set_font_name("Times New Roman");
    let date_fmt = Format::new()
        .set_num_format("dd/mm/yyyy")
        .set_font_name("Times New Roman");
    write_register_heading(ws, &bold)?;
    for (i, task) in AN_LAC_TASKS.iter().enumerate() {
        write_register_task(ws, config, i, task, &date_fmt)?;
    }
    wb.save_to_buffer().map_err(std::io::Error::other)
}

/// The register's title (row 1) and header row (row 3), in bold.
fn write_register_heading(
    ws: &mut rust_xlsxwriter::Worksheet,
    bold: &rust_xlsxwriter::Format,
) -> std::io::Result<()> {
    xl(ws.write_string_with_format(
        0,
        0,
        "SỔ THEO DÕI NHIỆM VỤ UBND TỈNH AN LẠC GIAO NĂM 2026",
        bold,
    ))?;
    let header = [
        "STT",
        "Mã nhiệm vụ",
        "Nội dung nhiệm vụ",
        "Văn bản giao (số/ký hiệu)",
        "Ngày giao",
        "Cơ quan giao",
        "Đơn vị chủ trì",
        "Đơn vị phối hợp",
        "Thời hạn",
        "Thời hạn điều chỉnh (gia hạn)",
        "Ngày hoàn thành",
        "Tiến độ / kết quả",
        "Giải trình",
    ];
    for (c, h) in header.iter().enumerate() {
        xl(ws.write_string_with_format(2, c as u16, *h, bold))?;
    }
    Ok(())
}

/// Task `i` of the register on its row: number, code, subject, assigning document, dates
/// (written the `i % 3`-th way), lead unit (by name, the first by code), result, explanation.
fn write_register_task(
    ws: &mut rust_xlsxwriter::Worksheet,
    config: &Config,
    i: usize,
    (lead, deadline, extended, done, result, why): &TaskRow,
    date_fmt: &rust_xlsxwriter::Format,
) -> std::io::Result<()> {
    let r = 3 + i as u32;
    let assigned = ymd(2026, 1 + (i as u32 % 5), 5 + i as u32);
    xl(ws.write_number(r, 0, (i + 1) as f64))?;
    xl(ws.write_string(r, 1, format!("NV-2026-{:03}", i + 1)))?;
    let unit = config
        .units
        .get(lead)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    xl(ws.write_string(
        r,
        2,
        format!(
            "{} về lĩnh vực của {}",
            TASK_TOPICS[i % TASK_TOPICS.len()],
            unit
        ),
    ))?;
    xl(ws.write_string(r, 3, format!("{}/TB-UBND", 20 + i)))?;
    let put = RegisterDate {
        r,
        how: i % 3,
        date_fmt,
    };
    put.write(ws, 4, Some(assigned))?;
    xl(ws.write_string(r, 5, "UBND tỉnh"))?;
    // Lead units by name (as officers write them), one by code.
    xl(ws.write_string(r, 6, if i == 0 { lead.to_string() } else { unit }))?;
    xl(ws.write_string(
        r,
        7,
        if i.is_multiple_of(4) {
            "Sở Tài chính; Sở Nội vụ"
        } else {
            ""
        },
    ))?;
    if deadline.is_none() {
        xl(ws.write_string(r, 8, "Thường xuyên"))?;
    }
    put.write(ws, 8, *deadline)?;
    put.write(ws, 9, *extended)?;
    put.write(ws, 10, *done)?;
    xl(ws.write_string(r, 11, *result))?;
    xl(ws.write_string(r, 12, *why))
}

/// How the dates of one register row are written: on row `r`, the `how`-th way.
struct RegisterDate<'a> {
    r: u32,
    how: usize,
    date_fmt: &'a rust_xlsxwriter::Format,
}

impl RegisterDate<'_> {
    /// Dates three ways: Excel dates, serial numbers and dd/mm/yyyy text; nothing for none.
    fn write(
        &self,
        ws: &mut rust_xlsxwriter::Worksheet,
        c: u16,
        x: Option<NaiveDate>,
    ) -> std::io::Result<()> {
        use rust_xlsxwriter::ExcelDateTime;
        let Some(x) = x else { return Ok(()) };
        let r = self.r;
        match self.how {
            0 => {
                use chrono::Datelike;
                let x = ExcelDateTime::from_ymd(x.year() as u16, x.month() as u8, x.day() as u8)
                    .map_err(std::io::Error::other)?;
                xl(ws.write_datetime_with_format(r, c, &x, self.date_fmt))
            }
            1 => xl(ws.write_number(
                r,
                c,
                (x - NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch")).num_days() as f64,
            )),
            _ => xl(ws.write_string(r, c, vn_date(x))),
        }
    }
}

/// The rows a unit lists on each of the regime's lists (varying in number, without planted
/// faults), as typed on the form.
pub fn list_rows(
    config: &Config,
    regime: &Regime,
    unit: &Unit,
    period: Period,
) -> BTreeMap<String, Vec<Vec<String>>> {
    regime
        .lists
        .iter()
        .map(|spec| {
            let rows = lists::rows(config, spec, unit, period, regime.window(period), false);
            (spec.code.clone(), rows)
        })
        .collect()
}

/// One unit's figures for a matrix form of the 06a kind (TT01 received by source, TT02
/// settled by timeliness, TT03 pending by deadline, each per lĩnh vực), consistent: every
/// total is the sum of its parts, settled ≤ received, pending = received − settled.
pub fn matrix_values(
    config: &Config,
    unit: &Unit,
    period: Period,
) -> BTreeMap<(String, InputColumn), f64> {
    let mut out: BTreeMap<(String, InputColumn), f64> = BTreeMap::new();
    let Some(fields) = config.dimension("linh_vuc") else {
        return out;
    };
    let mut add = |code: &str, d: &crate::model::Disagg, v: f64| {
        let key = crate::model::cell_key(code, d);
        *out.entry((key, InputColumn::ThucHien)).or_insert(0.0) += v;
    };
    let none = crate::model::Disagg::default();
    for o in &fields.options {
        let mut rng =
            fastrand::Rng::with_seed(seed_of(&[&unit.code, &o.code, &period.code(), "tthc"]));
        let l = none.with("linh_vuc", &o.code);
        for (code, dim, parts) in tthc_parts(&mut rng) {
            let total: f64 = parts.iter().map(|p| p.1).sum();
            add(code, &l, total);
            add(code, &none, total);
            for (opt, v) in parts {
                add(code, &l.with(dim, opt), v);
                add(code, &none.with(dim, opt), v);
            }
        }
    }
    out
}

/// One indicator of the 06a kind with its breakdown and the breakdown's parts.
type TthcPart = (&'static str, &'static str, Vec<(&'static str, f64)>);

/// The 06a figures of one lĩnh vực, drawn from `rng`: (indicator, breakdown, its parts) for
/// TT01 received by source, TT02 settled by timeliness, TT03 pending by deadline.
fn tthc_parts(rng: &mut fastrand::Rng) -> [TthcPart; 3] {
    // Not every unit handles every field; those it does not are typed as 0.
    let scale = if rng.u32(0..10) < 7 {
        rng.u32(5..120) as f64
    } else {
        0.0
    };
    let online = (scale * (0.3 + rng.f64() * 0.5)).round();
    let direct = (scale * (0.2 + rng.f64() * 0.4)).round();
    let carried = (scale * rng.f64() * 0.2).round();
    let received = online + direct + carried;
    let settled = (received * (0.75 + rng.f64() * 0.2)).round();
    let late = (settled * rng.f64() * 0.04).round();
    let early = (settled * (0.3 + rng.f64() * 0.3)).round();
    let on_time = settled - early - late;
    let pending = received - settled;
    let pending_late = (pending * rng.f64() * 0.1).round();
    [
        (
            "TT01",
            "nguon",
            [
                ("truc_tuyen", online),
                ("truc_tiep", direct),
                ("ky_truoc", carried),
            ]
            .to_vec(),
        ),
        (
            "TT02",
            "tien_do",
            [
                ("truoc_han", early),
                ("dung_han", on_time),
                ("qua_han", late),
            ]
            .to_vec(),
        ),
        (
            "TT03",
            "han",
            [
                ("trong_han", pending - pending_late),
                ("qua_han", pending_late),
            ]
            .to_vec(),
        ),
    ]
}

/// One unit's figures for a matrix form of counts other than the 06a kind (cán bộ by cấp,
/// giới tính, dân tộc, …): a staff of 20–200 people, each with one option of every breakdown
/// that adds up ("chia theo") and, four times in ten, the option of each partial one ("trong
/// đó"); every cell counts the people it selects, so every breakdown adds up to its total and
/// every "trong đó" stays within it, however the form crosses them.
pub fn population_values(
    config: &Config,
    regime: &Regime,
    unit: &Unit,
    period: Period,
) -> BTreeMap<(String, InputColumn), f64> {
    let mut out = BTreeMap::new();
    let Some(layout) = config.layout(&regime.id) else {
        return out;
    };
    let mut rng = fastrand::Rng::with_seed(seed_of(&[&unit.code, &period.code(), &regime.id]));
    let dims: BTreeSet<&str> = layout
        .cells()
        .flat_map(|(_, _, c)| c.disagg.dims())
        .collect();
    let people: Vec<BTreeMap<&str, &str>> = (0..rng.usize(20..200))
        .map(|_| {
            dims.iter()
                .filter_map(|d| {
                    let dim = config.dimension(d)?;
                    let pick = dim.options.get(rng.usize(0..dim.options.len().max(1)))?;
                    (dim.exhaustive || rng.u32(0..10) < 4).then_some((*d, pick.code.as_str()))
                })
                .collect()
        })
        .collect();
    for (_, _, cell) in layout.cells() {
        let counted = config
            .indicator(&cell.indicator)
            .is_some_and(|i| !i.is_computed());
        if !counted || cell.column != InputColumn::ThucHien {
            continue;
        }
        let n = people
            .iter()
            .filter(|p| {
                cell.disagg
                    .dims()
                    .all(|d| p.get(d).copied() == cell.disagg.get(d))
            })
            .count();
        out.insert((cell.key.to_string(), cell.column), n as f64);
    }
    out
}

/// One place of reception of the Biểu 01/TCD kind (a row of the form) in one quarter: turns
/// (lượt), people and cases (vụ việc: cũ, mới phát sinh) by regular and periodic reception, the
/// large groups among them (đoàn đông người), and how many of the cases are complaints and
/// denunciations (the rest are petitions and reports, which the form has no column for).
#[derive(Debug, Default, Clone)]
struct Reception {
    /// Per hình thức (thường xuyên, định kỳ và đột xuất): lượt, người, [cũ, mới phát sinh].
    by_form: [(f64, f64, [f64; 2]); 2],
    groups: f64,
    group_people: f64,
    group_cases: [f64; 2],
    complaints: f64,
    denunciations: f64,
}

impl Reception {
    fn cases(&self) -> f64 {
        self.by_form.iter().map(|f| f.2[0] + f.2[1]).sum()
    }
}

/// One unit's figures for a form of the Biểu 01/TCD kind (indicators TCD01 lượt, TCD02 người,
/// TCD03 vụ việc, TCD04 đoàn; rows by `co_quan`), consistent: every cell, the "Tổng cộng" row
/// included, is the sum of the receptions it selects; the groups' people and cases are within
/// the unit's, complaints + denunciations within its cases. Departments have no Ban Tiếp công
/// dân: their first row is typed as 0.
pub fn reception_values(
    config: &Config,
    regime: &Regime,
    unit: &Unit,
    period: Period,
) -> BTreeMap<(String, InputColumn), f64> {
    let mut out = BTreeMap::new();
    let Some(layout) = config.layout(&regime.id) else {
        return out;
    };
    let Some(places) = config.dimension("co_quan") else {
        return out;
    };
    let rows: Vec<(&str, Reception)> = places
        .options
        .iter()
        .map(|o| (o.code.as_str(), reception_at(unit, o, period)))
        .collect();
    for (_, _, cell) in layout.cells() {
        if cell.column != InputColumn::ThucHien {
            continue;
        }
        let v = reception_cell(&rows, cell);
        out.insert((cell.key.to_string(), cell.column), v);
    }
    out
}

/// One place of reception's quarter for `unit`, drawn from its own seed; nothing at a
/// department's Ban Tiếp công dân.
fn reception_at(unit: &Unit, o: &crate::catalog::DimOption, period: Period) -> Reception {
    let mut rng = fastrand::Rng::with_seed(seed_of(&[&unit.code, &o.code, &period.code(), "tcd"]));
    let mut r = Reception::default();
    let open = !(unit.level == "so" && o.code == "ban_tiep_cong_dan");
    if !open {
        return r;
    }
    let scale = if o.code == "lanh_dao" { 4 } else { 12 };
    for f in r.by_form.iter_mut() {
        let turns = f64::from(rng.u32(0..scale));
        let people = turns + (turns * rng.f64() * 0.6).round();
        let new = (turns * (0.4 + rng.f64() * 0.4)).round();
        let old = (turns * rng.f64() * 0.3).round();
        *f = (turns, people, [old, new]);
    }
    let people: f64 = r.by_form.iter().map(|f| f.1).sum();
    if people >= 10.0 && rng.u32(0..10) < 3 {
        r.groups = 1.0;
        r.group_people = (people * 0.5).round().max(5.0).min(people);
        let cases = r.cases();
        r.group_cases = if cases > 0.0 && rng.bool() {
            [0.0, 1.0]
        } else if cases > 0.0 {
            [1.0, 0.0]
        } else {
            [0.0, 0.0]
        };
        // Within the unit's old and new cases.
        for (l, c) in r.group_cases.iter_mut().enumerate() {
            let of: f64 = r.by_form.iter().map(|f| f.2[l]).sum();
            *c = c.min(of);
        }
    }
    let cases = r.cases();
    r.complaints = (cases * (0.2 + rng.f64() * 0.3)).round();
    r.denunciations = ((cases - r.complaints) * rng.f64() * 0.2).round();
    r
}

/// A "thực hiện" cell of the Biểu 01/TCD kind: the sum over the receptions it selects (by
/// place, hình thức, loại vụ việc, đoàn and nội dung).
fn reception_cell(rows: &[(&str, Reception)], cell: &crate::catalog::BodyCell) -> f64 {
    let form_ix = |h: &str| usize::from(h == "dinh_ky_dot_xuat");
    let case_ix = |l: &str| usize::from(l == "moi_phat_sinh");
    let d = &cell.disagg;
    rows.iter()
        .filter(|(place, _)| d.get("co_quan").is_none_or(|p| p == *place))
        .map(|(_, r)| {
            let forms = r
                .by_form
                .iter()
                .enumerate()
                .filter(|(i, _)| d.get("hinh_thuc").is_none_or(|h| form_ix(h) == *i));
            let old_new = |c: &[f64; 2]| -> f64 {
                match d.get("loai_vu") {
                    Some(l) => c[case_ix(l)],
                    None => c[0] + c[1],
                }
            };
            match (cell.indicator.as_str(), d.get("doan"), d.get("noi_dung")) {
                ("TCD01", ..) => forms.map(|(_, f)| f.0).sum(),
                ("TCD02", Some(_), _) => r.group_people,
                ("TCD02", None, _) => forms.map(|(_, f)| f.1).sum(),
                ("TCD03", _, Some("khieu_nai")) => r.complaints,
                ("TCD03", _, Some(_)) => r.denunciations,
                ("TCD03", Some(_), None) => old_new(&r.group_cases),
                ("TCD03", None, None) => forms.map(|(_, f)| old_new(&f.2)).sum(),
                ("TCD04", ..) => r.groups,
                _ => 0.0,
            }
        })
        .sum()
}

/// The deliberate faults of the sample matrix inboxes (2026-Q3: tthc, tcd), listed in
/// `samples/README.md`.
fn matrix_fault(regime: &str, unit: &str) -> Option<&'static str> {
    match (regime, unit) {
        ("tthc", "99003") => Some("total"),
        ("tthc", "99017") => Some("unknown-row"),
        ("tthc", "SXD") => Some("text-number"),
        ("tcd", "99008") => Some("content-over-cases"),
        ("tcd", "SYT") => Some("total-row"),
        _ => None,
    }
}

/// Writes `dir` (the inbox of one period) for a matrix regime: one filled form per reporting
/// unit and `nhan.csv`, with the faults of `matrix_fault` when `faults` is set.
pub fn write_matrix_inbox(
    config: &Config,
    regime: &Regime,
    period: Period,
    dir: &Path,
    faults: bool,
) -> std::io::Result<usize> {
    let mut log = String::from("file,received_at\n");
    let mut written = 0;
    // The 06a kind's own generator where the form is one (its keys are the form's), else a
    // counted population.
    let keys: BTreeSet<String> = config
        .layout(&regime.id)
        .map(|l| l.cells().map(|(_, _, c)| c.key.to_string()).collect())
        .unwrap_or_default();
    for unit in config.reporting_units(regime, regime.window(period).to) {
        let mut fill = matrix_fill(config, regime, unit, period, &keys);
        if let Some(fault) = matrix_fault(&regime.id, &unit.code).filter(|_| faults) {
            plant_matrix_fault(config, regime, &mut fill, fault);
        }
        for spec in &regime.lists {
            let rows = lists::rows(config, spec, unit, period, regime.window(period), faults);
            fill.lists.insert(spec.code.clone(), rows);
        }
        let mut rng = fastrand::Rng::with_seed(seed_of(&[&unit.code, &period.code(), "tthc-in"]));
        let day = config
            .calendar
            .add_working_days(regime.window(period).to, 1);
        let received = day.and_time(hm(7 + rng.u32(0..9), rng.u32(0..60)));
        let name = form_file_name(unit, period);
        writeln!(log, "{name},{}", received.format("%Y-%m-%dT%H:%M")).expect("write to string");
        let bytes =
            unit_form(config, regime, period, unit, Some(&fill)).map_err(std::io::Error::other)?;
        write_atomic(&dir.join(&name), &bytes)?;
        written += 1;
    }
    write_atomic(&dir.join("nhan.csv"), log.as_bytes())?;
    Ok(written)
}

/// A unit's figures for a matrix form whose cell keys are `keys`: from the 06a kind's
/// generator, the Biểu 01/TCD kind's, or a counted population.
fn matrix_fill(
    config: &Config,
    regime: &Regime,
    unit: &Unit,
    period: Period,
    keys: &BTreeSet<String>,
) -> Fill {
    let mut fill = Fill::default();
    let mut values = matrix_values(config, unit, period);
    if keys.iter().any(|k| k.starts_with("TCD01")) {
        values = reception_values(config, regime, unit, period);
    } else if !values.keys().any(|(k, _)| keys.contains(k)) {
        values = population_values(config, regime, unit, period);
    }
    for (k, v) in values {
        fill.values.insert(k, CellValue::Number(v));
    }
    fill
}

/// The key of a cell's "thực hiện" value.
fn th(k: &str) -> (String, InputColumn) {
    (k.to_string(), InputColumn::ThucHien)
}

/// Plants one of `matrix_fault`'s faults in a unit's filled matrix form.
fn plant_matrix_fault(config: &Config, regime: &Regime, fill: &mut Fill, fault: &str) {
    match fault {
        "content-over-cases" => content_over_cases(fill),
        "total-row" => {
            // "Tổng cộng", column 2 (người tiếp thường xuyên) typed 10 more than rows 1-3.
            let key = "TCD02[hinh_thuc=thuong_xuyen]";
            if let Some(CellValue::Number(v)) = fill.values.get(&th(key)).cloned() {
                fill.values.insert(th(key), CellValue::Number(v + 10.0));
            }
        }
        "total" => {
            // Column 3 of the total row typed 10 more than 4 + 5 + 6.
            if let Some(CellValue::Number(v)) = fill.values.get(&th("TT01")).cloned() {
                fill.values.insert(th("TT01"), CellValue::Number(v + 10.0));
            }
        }
        "unknown-row" => unknown_row(config, regime, fill),
        _ => text_number(fill),
    }
}

/// Row 2 (Lãnh đạo): complaints typed as the row's cases, 7 more (the officer counted the
/// petitions in): khiếu nại + tố cáo exceed the cases.
fn content_over_cases(fill: &mut Fill) {
    let num = |k: &str| match fill.values.get(&th(k)) {
        Some(CellValue::Number(v)) => *v,
        _ => 0.0,
    };
    let row = "co_quan=lanh_dao";
    let cases: f64 = ["dinh_ky_dot_xuat", "thuong_xuyen"]
        .iter()
        .flat_map(|h| {
            ["cu", "moi_phat_sinh"].map(|l| format!("TCD03[{row};hinh_thuc={h};loai_vu={l}]"))
        })
        .map(|k| num(&k))
        .sum();
    let key = format!("TCD03[{row};noi_dung=khieu_nai]");
    let total = "TCD03[noi_dung=khieu_nai]";
    let (old, t) = (num(&key), num(total));
    let new = cases + 7.0;
    fill.values.insert(th(&key), CellValue::Number(new));
    fill.values
        .insert(th(total), CellValue::Number(t + new - old));
}

/// A lĩnh vực the regime does not list, added by the unit.
fn unknown_row(config: &Config, regime: &Regime, fill: &mut Fill) {
    let cells = config
        .layout(&regime.id)
        .and_then(|l| l.rows.first())
        .map(|r| r.cells.clone())
        .unwrap_or_default();
    let cells: Vec<Option<crate::catalog::BodyCell>> = cells
        .into_iter()
        .map(|c| {
            c.map(|mut b| {
                b.key = b.key.replace("ho_tich", "lam_nghiep").into();
                fill.values
                    .insert((b.key.to_string(), b.column), CellValue::Number(4.0));
                b
            })
        })
        .collect();
    fill.extra_rows.push(crate::catalog::LayoutRow {
        stt: String::new(),
        label: "Lâm nghiệp".to_string(),
        printed: "Lâm nghiệp".to_string(),
        heading: false,
        sub: false,
        total: false,
        option: None,
        cells,
    });
}

/// Online applications for hộ tịch typed as text, "1.234": read as 1234 with a warning; the
/// totals include it.
fn text_number(fill: &mut Fill) {
    let key = "TT01[linh_vuc=ho_tich;nguon=truc_tuyen]";
    let old = match fill.values.get(&th(key)) {
        Some(CellValue::Number(v)) => *v,
        _ => 0.0,
    };
    for k in [
        "TT01",
        "TT01[linh_vuc=ho_tich]",
        "TT01[nguon=truc_tuyen]",
        "TT03",
        "TT03[linh_vuc=ho_tich]",
        "TT03[han=trong_han]",
        "TT03[han=trong_han;linh_vuc=ho_tich]",
    ] {
        if let Some(CellValue::Number(v)) = fill.values.get(&th(k)).cloned() {
            fill.values
                .insert(th(k), CellValue::Number(v + 1234.0 - old));
        }
    }
    fill.values.insert(th(key), CellValue::Text("1.234".into()));
}
