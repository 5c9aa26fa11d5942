//! `bao-cao.md` and `bao-cao.html`: the narrative report, from the regime's outline template
//! (tera) with the consolidated figures filled in.
//!
//! The template writes Markdown; HTML is made from it with every raw-HTML fragment escaped, so
//! that no unit name or figure can inject markup. The HTML and the docx (`render::docx`) lay
//! out the parts of an administrative document (Nghị định 30/2020) themselves: the letterhead
//! (agency and number left, Quốc hiệu and Tiêu ngữ right, place and date), the body — the
//! outline from its first level-1 heading ("# BÁO CÁO") to its "Nơi nhận:" paragraph — and the
//! closing (recipients left, the signing block right, from the regime's `signing`).

use std::collections::BTreeMap;

use chrono::Datelike;
use pulldown_cmark::{html, Event, Options, Parser};
use serde::Serialize;

use super::workbook::fmt_value;
use super::Report;
use crate::catalog::{error_chain, InputColumn, ValueType};
use crate::model::cell_key;
use crate::text::{fmt_vn, fmt_vn_fixed};
use crate::validate::Timeliness;

#[derive(Debug, Clone, Serialize)]
struct IndicatorCtx {
    code: String,
    name: String,
    /// The name as the form's row prints it: a "trong đó" part as "Trong đó: Nữ" or "- Thanh
    /// niên" (`sections[].items`), else the name.
    label: String,
    unit: String,
    has_value: bool,
    value: String,
    ytd: String,
    plan: String,
    pct_plan: String,
    prev: String,
    change: String,
    change_pct: Option<f64>,
    contributors: usize,
    /// The same period last year, and the comparison with it in the regime's wording.
    last_year: String,
    yoy: String,
    /// "bằng 28,4% dự toán Trung ương giao, bằng 19,2% dự toán tỉnh giao"
    baselines: String,
    /// The year-to-date of the same period last year, and the year-to-date compared with it.
    ytd_last_year: String,
    ytd_yoy: String,
    /// `higher_is_better = false` (tỷ lệ hộ nghèo): a fall is good news.
    lower_is_better: bool,
    /// What the change against last year means: "tích cực", "chưa tích cực" or "".
    yoy_verdict: String,
    /// The year-to-date against the annual plan in words ("đạt 82,4% kế hoạch năm"; for a
    /// lower-is-better indicator "thấp hơn kế hoạch năm (đạt mục tiêu)").
    plan_words: String,
}

#[derive(Debug, Serialize)]
struct SectionCtx {
    number: String,
    title: String,
    rows: Vec<String>,
    /// The rows as the form prints them: `code`, `stt` ("1", "2", "–"), `label`, `sub`.
    items: Vec<ItemCtx>,
}

/// A row of a section as the form prints it (`render::form::section_items`).
#[derive(Debug, Clone, Serialize)]
struct ItemCtx {
    code: String,
    stt: String,
    label: String,
    sub: bool,
}

#[derive(Debug, Serialize)]
struct ComplianceCtx {
    total: usize,
    on_time: usize,
    late: usize,
    missing: usize,
    rejected: usize,
    not_yet_due: usize,
    late_units: Vec<String>,
    missing_units: Vec<String>,
    rejected_units: Vec<String>,
}

/// A comparison with the same period last year in the regime's wording: growth ("tăng 13,0%
/// so với cùng kỳ") or index ("bằng 113,0% so với cùng kỳ").
fn yoy_words(growth_pct: f64, style: crate::catalog::Comparison) -> String {
    match style {
        crate::catalog::Comparison::Growth => change_words(growth_pct, "cùng kỳ năm trước"),
        crate::catalog::Comparison::Index => {
            format!(
                "bằng {}% so với cùng kỳ năm trước",
                fmt_vn_fixed(100.0 + growth_pct, 1)
            )
        }
    }
}

/// Whether a change is good news: a rise of a figure where higher is better, a fall of one
/// where lower is (tỷ lệ hộ nghèo, tai nạn giao thông).
fn verdict(change: f64, higher_is_better: bool) -> &'static str {
    if change.abs() < 1e-9 {
        ""
    } else if (change > 0.0) == higher_is_better {
        "tích cực"
    } else {
        "chưa tích cực"
    }
}

/// The year-to-date against the annual plan in words: "đạt 82,4% kế hoạch năm"; for an
/// indicator where lower is better the plan is a ceiling: "thấp hơn kế hoạch năm (3,5), đạt
/// mục tiêu" or "cao hơn kế hoạch năm (3,5), chưa đạt mục tiêu".
fn plan_words(
    done: Option<f64>,
    plan: Option<f64>,
    pct: Option<f64>,
    higher_is_better: bool,
    decimals: usize,
) -> String {
    match (done, plan, pct) {
        (_, _, Some(p)) if higher_is_better => format!("đạt {}% kế hoạch năm", fmt_vn_fixed(p, 1)),
        (Some(d), Some(plan), _) if !higher_is_better => {
            let plan_text = fmt_vn(plan, decimals);
            if d <= plan {
                format!("không vượt kế hoạch năm ({plan_text}), đạt mục tiêu")
            } else {
                format!("cao hơn kế hoạch năm ({plan_text}), chưa đạt mục tiêu")
            }
        }
        _ => String::new(),
    }
}

/// Words for a change of a rate: "tăng 0,45 điểm phần trăm so với tháng trước" (with up to
/// `decimals` places).
fn points_words(d: f64, against: &str, decimals: usize) -> String {
    if d.abs() < 0.005 {
        format!("tương đương {against}")
    } else {
        format!(
            "{} {} điểm phần trăm so với {against}",
            if d > 0.0 { "tăng" } else { "giảm" },
            fmt_vn(d.abs(), decimals)
        )
    }
}

/// Words for a change: "tăng 3,2% so với tháng trước".
fn change_words(pct: f64, against: &str) -> String {
    if pct.abs() < 0.05 {
        format!("tương đương {against}")
    } else if pct > 0.0 {
        format!("tăng {}% so với {against}", fmt_vn_fixed(pct, 1))
    } else {
        format!("giảm {}% so với {against}", fmt_vn_fixed(-pct, 1))
    }
}

/// The letterhead of the report (thể thức: tên cơ quan, số, ký hiệu, Quốc hiệu, Tiêu ngữ,
/// địa danh và ngày tháng).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// The issuing agency, in capitals ("ỦY BAN NHÂN DÂN TỈNH AN LẠC").
    pub agency: String,
    /// "Số:      /BC-UBND".
    pub number: String,
    /// "An Lạc, ngày 22 tháng 11 năm 2026".
    pub place_date: String,
    /// A letter's summary under its number ("V/v đôn đốc gửi báo cáo …"); none on a report.
    pub subject: Option<String>,
}

/// The closing: recipients (nơi nhận) and the signing block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub recipients: Vec<String>,
    /// "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH".
    pub signing: Vec<String>,
    pub signer: Option<String>,
}

/// The narrative in its parts.
#[derive(Debug, Clone)]
pub struct Narrative {
    /// The whole outline as rendered (`bao-cao.md`).
    pub md: String,
    pub html: String,
    pub letterhead: Letterhead,
    /// The body: from the first level-1 heading to the "Nơi nhận:" paragraph.
    pub body: String,
    pub closing: Closing,
    /// The document's title (for the HTML title and the docx properties).
    pub title: String,
    /// The consolidated matrix form, for `{{ bieu_tong_hop }}` in bao-cao.docx.
    pub form_table: Option<FormTable>,
}

/// Where an outline puts the consolidated matrix form (`{{ bieu_tong_hop }}`): this comment,
/// then the form as a plain Markdown table (headers joined); bao-cao.docx draws it as the form
/// is printed, with its merged header groups and numbering row.
pub const FORM_TABLE_MARK: &str = "<!-- bieu-tong-hop -->";

/// The consolidated matrix form of the receiver, as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormTable {
    /// Header rows of the block.
    pub depth: u32,
    pub header: Vec<super::matrix::HeaderCell>,
    pub numbering: Vec<String>,
    pub rows: Vec<FormTableRow>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormTableRow {
    pub stt: String,
    pub label: String,
    /// A heading or a total row: printed bold.
    pub strong: bool,
    /// A "trong đó" row: its label printed italic.
    pub sub: bool,
    pub values: Vec<String>,
}

impl FormTable {
    /// The receiver's consolidated figures in the regime's matrix layout, if it has one.
    fn of(report: &Report<'_>) -> Option<FormTable> {
        let config = report.config;
        let layout = config.layout(&report.regime.id)?;
        let printed = layout.printed(true);
        let root = &report.regime.receiver;
        let rows = layout
            .rows
            .iter()
            .map(|row| FormTableRow {
                stt: row.stt.clone(),
                label: row.printed.clone(),
                strong: row.heading || row.total,
                sub: row.sub && !row.heading,
                values: printed
                    .iter()
                    .map(|ci| {
                        row.cells[*ci]
                            .as_ref()
                            .and_then(|cell| {
                                let ind = config.indicator(&cell.indicator)?;
                                let v = report.consolidated.get(root, &cell.key, cell.column)?;
                                Some(fmt_value(v, ind))
                            })
                            .unwrap_or_default()
                    })
                    .collect(),
            })
            .collect();
        Some(FormTable {
            depth: layout.header_depth() as u32,
            header: super::matrix::header_cells(layout, &printed),
            numbering: super::matrix::numbering(layout, printed.len() + 2),
            rows,
        })
    }

    /// The form as a Markdown table after `FORM_TABLE_MARK`: each column headed by its
    /// groups and label joined, the numbering row first.
    fn markdown(&self) -> String {
        let columns = self.numbering.len();
        let heads: Vec<String> = (0..columns)
            .map(|c| {
                let mut parts: Vec<&str> = self
                    .header
                    .iter()
                    .filter(|h| h.col <= c && c <= h.last_col)
                    .map(|h| h.text.as_str())
                    .collect();
                parts.dedup();
                parts.join(" – ")
            })
            .collect();
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = format!("{FORM_TABLE_MARK}\n\n");
        out.push_str(&line(&heads));
        out.push_str(&line(&vec!["---".to_string(); columns]));
        out.push_str(&line(&self.numbering));
        for row in &self.rows {
            let mut cells = vec![row.stt.clone(), row.label.clone()];
            cells.extend(row.values.iter().cloned());
            if row.strong {
                for c in cells.iter_mut().filter(|c| !c.is_empty()) {
                    *c = format!("**{c}**");
                }
            } else if row.sub && !row.label.is_empty() {
                cells[1] = format!("*{}*", row.label);
            }
            out.push_str(&line(&cells));
        }
        out
    }
}

/// An outline cut into the report's body and its closing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutlineParts {
    /// From the first line starting `# ` (all of it when there is none) to the line naming
    /// "Nơi nhận:".
    pub body: String,
    /// The recipients: the items on the "Nơi nhận:" line (split on `;`) and the list under it
    /// ("- Bộ Nội vụ;" a line each), "Lưu" left out (it is added once).
    pub recipients: Vec<String>,
    /// The signing block the outline writes after the recipients: its bold lines (the
    /// authority: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", …) and its last plain line (the name).
    pub signing: Vec<String>,
    pub signer: Option<String>,
}

/// A line without Markdown emphasis marks and hard-break spaces.
fn plain(line: &str) -> String {
    line.chars()
        .filter(|c| !matches!(c, '*' | '_'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// A recipient's text: without list marks and the `;` or `.` that ends it.
fn recipient(text: &str) -> String {
    text.trim()
        .trim_start_matches(['-', '+', '•', '–'])
        .trim()
        .trim_end_matches([';', '.', ','])
        .trim()
        .to_string()
}

/// Cuts an outline into body and closing (`OutlineParts`).
pub fn split_outline(md: &str) -> OutlineParts {
    let lines: Vec<&str> = md.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("# ")).unwrap_or(0);
    let end = lines[start..]
        .iter()
        .position(|l| plain(l).starts_with("Nơi nhận:"))
        .map_or(lines.len(), |i| start + i);
    let mut parts = OutlineParts {
        body: lines[start..end].join("\n") + "\n",
        ..OutlineParts::default()
    };
    let Some(first) = lines.get(end) else {
        return parts;
    };
    let mut recipients: Vec<String> = plain(first)
        .split_once("Nơi nhận:")
        .map(|x| x.1)
        .unwrap_or("")
        .split(';')
        .map(recipient)
        .collect();
    // The list under "Nơi nhận:", then the signing block.
    let mut rest = lines[end + 1..]
        .iter()
        .skip_while(|l| l.trim().is_empty())
        .peekable();
    while let Some(line) = rest.next_if(|l| {
        let p = plain(l);
        p.starts_with(['-', '+', '•', '–'])
    }) {
        recipients.push(recipient(&plain(line)));
    }
    parts.recipients = recipients
        .into_iter()
        .filter(|r| !r.is_empty() && !crate::text::fold(r).starts_with("luu"))
        .collect();
    let block: Vec<&&str> = rest.filter(|l| !l.trim().is_empty()).collect();
    for (i, line) in block.iter().enumerate() {
        let bold = line.trim_start().starts_with("**");
        if bold {
            parts.signing.push(plain(line));
        } else if i == block.len() - 1 && !parts.signing.is_empty() {
            parts.signer = Some(plain(line));
        }
    }
    parts
}

/// The recipients' lines as an administrative document ends them: "- X;" each, then
/// "- Lưu: VT.".
pub fn recipient_lines(closing: &Closing) -> Vec<String> {
    closing
        .recipients
        .iter()
        .map(|r| format!("- {r};"))
        .chain(std::iter::once("- Lưu: VT.".to_string()))
        .collect()
}

/// The form's sections with their rows as the form prints them (`render::form::section_items`).
fn section_contexts(
    regime: &crate::catalog::Regime,
    on_form: &[&crate::catalog::Indicator],
) -> Vec<SectionCtx> {
    regime
        .form
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| SectionCtx {
            number: crate::period::roman(i as u32 + 1),
            title: s.title.clone(),
            rows: s.rows.clone(),
            items: super::form::section_items(s, on_form)
                .into_iter()
                .map(|it| ItemCtx {
                    code: it.indicator.code.clone(),
                    stt: it.stt,
                    label: it.label,
                    sub: it.sub,
                })
                .collect(),
        })
        .collect()
}

pub fn render(report: &Report<'_>) -> Result<Narrative, String> {
    let config = report.config;
    let regime = report.regime;
    let root = config
        .units
        .get(&regime.receiver)
        .expect("receiver checked at load");
    let on_form: Vec<_> = regime
        .form_codes()
        .filter_map(|code| config.indicator(code))
        .collect();
    let sections = section_contexts(regime, &on_form);
    let figures = Figures::of(report, &root.code, &on_form, &sections);
    let (rises, falls) = figures.movers();
    let mut ctx = tera::Context::new();
    insert_header(&mut ctx, report, root);
    ctx.insert("indicators", &figures.indicators);
    ctx.insert("cells", &figures.cells);
    let form_table = FormTable::of(report);
    ctx.insert(
        "bieu_tong_hop",
        &form_table
            .as_ref()
            .map(FormTable::markdown)
            .unwrap_or_default(),
    );
    insert_tables(&mut ctx, report);
    ctx.insert("sections", &sections);
    ctx.insert("rises", &rises);
    ctx.insert("falls", &falls);
    ctx.insert("has_previous", &report.previous.is_some());
    ctx.insert("has_last_year", &report.last_year.is_some());
    ctx.insert("successions", &succession_sentences(report));
    let b = report.batch;
    ctx.insert("compliance", &ComplianceCtx::of(b));
    ctx.insert(
        "diagnostics",
        &serde_json::json!({
            "blocking": b.blocking_count(), "warning": b.diagnostics.len() - b.blocking_count(),
        }),
    );
    ctx.insert("tasks", &tasks_value(report));
    let md = render_outline(report, &ctx)?;
    Ok(assemble(report, root, md, form_table))
}

/// The narrative from its rendered outline `md`: its title, letterhead, body and closing, and
/// the HTML page of them.
fn assemble(
    report: &Report<'_>,
    root: &crate::catalog::Unit,
    md: String,
    form_table: Option<FormTable>,
) -> Narrative {
    let regime = report.regime;
    let title = format!(
        "{} {}",
        regime.name,
        crate::text::lower_first(&report.period.label())
    );
    let letterhead = Letterhead::of(report, root);
    let parts = split_outline(&md);
    let body = parts.body.clone();
    let closing = Closing::of(regime, root, parts);
    let html = to_html(&body, &title, &letterhead, &closing);
    Narrative {
        md,
        html,
        letterhead,
        body,
        closing,
        title,
        form_table,
    }
}

/// The outline's context of the form's figures: every cell by indicator and disaggregation
/// (`cells.TT02["tien_do=dung_han"]`, the total under `""`), the totals also as
/// `indicators.TT02`, and the totals' changes against the previous period (the movers).
struct Figures {
    indicators: BTreeMap<String, IndicatorCtx>,
    cells: BTreeMap<String, BTreeMap<String, IndicatorCtx>>,
    /// (change in %, indicator) of the totals that are not computed.
    movers: Vec<(f64, String)>,
}

impl Figures {
    fn of(
        report: &Report<'_>,
        root: &str,
        on_form: &[&crate::catalog::Indicator],
        sections: &[SectionCtx],
    ) -> Figures {
        let config = report.config;
        let label_of = |ind: &crate::catalog::Indicator, d: &crate::model::Disagg| {
            sections
                .iter()
                .flat_map(|s| &s.items)
                .find(|it| it.code == ind.code && d.is_total())
                .map_or_else(|| config.cell_name(ind, d), |it| it.label.clone())
        };
        let mut figures = Figures {
            indicators: BTreeMap::new(),
            cells: BTreeMap::new(),
            movers: Vec::new(),
        };
        for ind in on_form.iter().copied() {
            for d in config.cells_of(ind) {
                let (cell, change_pct) = cell_ctx(report, root, ind, &d, label_of(ind, &d));
                if let (Some(pct), false, true) = (change_pct, ind.is_derived(), d.is_total()) {
                    figures.movers.push((pct, ind.code.clone()));
                }
                if d.is_total() {
                    figures.indicators.insert(ind.code.clone(), cell.clone());
                }
                figures
                    .cells
                    .entry(ind.code.clone())
                    .or_default()
                    .insert(d.to_string(), cell);
            }
        }
        figures
    }

    /// The three totals that rose most and the three that fell most (by more than 0.05%).
    fn movers(&self) -> (Vec<String>, Vec<String>) {
        let mut movers = self.movers.clone();
        movers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let rises: Vec<String> = movers
            .iter()
            .filter(|m| m.0 > 0.05)
            .take(3)
            .map(|m| m.1.clone())
            .collect();
        let falls: Vec<String> = movers
            .iter()
            .rev()
            .filter(|m| m.0 < -0.05)
            .take(3)
            .map(|m| m.1.clone())
            .collect();
        (rises, falls)
    }
}

/// One cell of the receiver's consolidated form in the outline's words, and its change in %
/// against the previous period (none for a percentage, or without a previous figure).
fn cell_ctx(
    report: &Report<'_>,
    root: &str,
    ind: &crate::catalog::Indicator,
    d: &crate::model::Disagg,
    label: String,
) -> (IndicatorCtx, Option<f64>) {
    let (config, regime, c) = (report.config, report.regime, report.consolidated);
    let against = report.period.previous_name();
    let key = cell_key(&ind.code, d);
    let get = |col| c.get(root, &key, col);
    let value = get(InputColumn::ThucHien);
    let prev = report
        .previous
        .and_then(|p| p.get(root, &key, InputColumn::ThucHien));
    let (change, change_pct) = change_against(ind, value, prev, against);
    let last_year_of = |col| report.last_year.and_then(|l| l.get(root, &key, col));
    let last_year = last_year_of(InputColumn::ThucHien);
    let ytd = get(InputColumn::LuyKe);
    let ytd_last_year = last_year_of(InputColumn::LuyKe);
    let fmt = |v: Option<f64>| v.map(|v| fmt_value(v, ind)).unwrap_or_default();
    let year_on_year =
        |v: Option<f64>, l: Option<f64>| against_last_year(ind, regime.comparison, v, l);
    let cell = IndicatorCtx {
        code: key.clone(),
        name: config.cell_name(ind, d),
        label,
        unit: ind.unit.clone(),
        has_value: value.is_some(),
        value: fmt(value),
        ytd: fmt(ytd),
        ytd_last_year: fmt(ytd_last_year),
        ytd_yoy: year_on_year(ytd, ytd_last_year),
        lower_is_better: !ind.higher_is_better,
        yoy_verdict: match (value, last_year) {
            (Some(v), Some(l)) => verdict(v - l, ind.higher_is_better).to_string(),
            _ => String::new(),
        },
        plan_words: plan_words(
            ytd.or(value),
            get(InputColumn::KeHoach),
            c.percent_of_plan(root, &key),
            ind.higher_is_better,
            ind.decimals(),
        ),
        plan: fmt(get(InputColumn::KeHoach)),
        pct_plan: c
            .percent_of_plan(root, &key)
            .map(|v| fmt_vn_fixed(v, 1))
            .unwrap_or_default(),
        prev: fmt(prev),
        change,
        change_pct,
        last_year: fmt(last_year),
        baselines: baselines(report, root, &key),
        yoy: year_on_year(value, last_year),
        contributors: c.contributors(root, &key).unwrap_or(0),
    };
    (cell, change_pct)
}

/// A cell's change against the previous period in words, and in % (none for a percentage,
/// whose change is in points, or without a previous figure).
fn change_against(
    ind: &crate::catalog::Indicator,
    value: Option<f64>,
    prev: Option<f64>,
    against: &str,
) -> (String, Option<f64>) {
    let change_pct = match (value, prev) {
        (Some(v), Some(p)) if p != 0.0 && ind.value_type != ValueType::Percent => {
            Some((v / p - 1.0) * 100.0)
        }
        _ => None,
    };
    let change = match (value, prev, change_pct) {
        (_, _, Some(pct)) => change_words(pct, against),
        (Some(v), Some(p), None) if ind.value_type == ValueType::Percent => {
            points_words(v - p, against, ind.decimals())
        }
        _ => String::new(),
    };
    (change, change_pct)
}

/// A figure `v` against last year's `l` in words, in the regime's `comparison` style (in
/// points for a percentage); "" without both.
fn against_last_year(
    ind: &crate::catalog::Indicator,
    comparison: crate::catalog::Comparison,
    v: Option<f64>,
    l: Option<f64>,
) -> String {
    match (v, l) {
        (Some(v), Some(l)) if l != 0.0 && ind.value_type != ValueType::Percent => {
            yoy_words((v / l - 1.0) * 100.0, comparison)
        }
        (Some(v), Some(l)) if ind.value_type == ValueType::Percent => {
            points_words(v - l, "cùng kỳ năm trước", ind.decimals())
        }
        _ => String::new(),
    }
}

/// A cell's figure as a percentage of each of the regime's baselines, in words.
fn baselines(report: &Report<'_>, root: &str, key: &str) -> String {
    report
        .regime
        .plan
        .iter()
        .filter_map(|b| {
            report
                .percent_of_baseline(root, key, &b.key)
                .map(|p| format!("bằng {}% {}", fmt_vn_fixed(p, 1), b.label))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl ComplianceCtx {
    /// Who reported on time, late, not at all, or was rejected.
    fn of(b: &crate::validate::Batch) -> ComplianceCtx {
        let names = |t: Timeliness| -> Vec<String> {
            b.compliance
                .iter()
                .filter(|r| r.status == t)
                .map(|r| r.unit_name.clone())
                .collect()
        };
        ComplianceCtx {
            total: b.compliance.len(),
            on_time: b.count(Timeliness::OnTime),
            late: b.count(Timeliness::Late),
            missing: b.count(Timeliness::Missing),
            rejected: b.count(Timeliness::Rejected),
            not_yet_due: b.count(Timeliness::NotYetDue),
            late_units: names(Timeliness::Late),
            missing_units: names(Timeliness::Missing),
            rejected_units: names(Timeliness::Rejected),
        }
    }
}

/// The outline's `regime`, `period`, `unit` and `date`.
fn insert_header(ctx: &mut tera::Context, report: &Report<'_>, root: &crate::catalog::Unit) {
    let regime = report.regime;
    let d = report.as_of;
    ctx.insert(
        "regime",
        &serde_json::json!({
            "id": regime.id, "name": regime.name, "form_number": regime.form.number,
            "symbol": regime.report_symbol.clone().unwrap_or_else(|| "BC".into()),
            "legal_basis": regime.legal_basis, "upward": regime.upward.clone().unwrap_or_default(),
            "signing": { "title": regime.signing.title, "name": regime.signing.name.clone().unwrap_or_default() },
        }),
    );
    ctx.insert(
        "period",
        &serde_json::json!({
            "code": report.period.code(), "label": report.period.label(),
            "in_sentence": crate::text::lower_first(&report.period.label()),
            "short": report.period.short_label(), "previous": report.period.previous_name(),
            "year": report.period.year(),
        }),
    );
    ctx.insert(
        "unit",
        &serde_json::json!({
            "code": root.code, "name": root.name, "agency": root.agency_name(),
            "agency_upper": root.agency_name().to_uppercase(),
            "place": root.place.clone().unwrap_or_else(|| root.name.clone()),
        }),
    );
    ctx.insert(
        "date",
        &serde_json::json!({
            "day": d.day(), "month": d.month(), "year": d.year(),
            "text": crate::text::date_words(d),
        }),
    );
}

/// The outline's `dimensions`, the `lists` gathered up the tree (`lists.<code>.rows`,
/// `.count`, `.markdown`), and the table of units where the regime declares one (`units`, each
/// unit's row, and `bang_don_vi`, the table in Markdown).
fn insert_tables(ctx: &mut tera::Context, report: &Report<'_>) {
    let (config, regime) = (report.config, report.regime);
    let dimensions: BTreeMap<&str, serde_json::Value> = config
        .dimensions
        .values()
        .map(|d| {
            let options: Vec<serde_json::Value> = d
                .options
                .iter()
                .map(|o| serde_json::json!({ "code": o.code, "name": o.name }))
                .collect();
            (
                d.code.as_str(),
                serde_json::json!({ "code": d.code, "name": d.name, "options": options }),
            )
        })
        .collect();
    ctx.insert("dimensions", &dimensions);
    let look = crate::catalog::lists::Lookup {
        dimensions: &config.dimensions,
        units: &config.units,
    };
    let gathered = crate::consolidate::gather_lists(config, regime, &report.batch.accepted);
    let lists: serde_json::Map<String, serde_json::Value> = regime
        .lists
        .iter()
        .map(|spec| {
            let lines = gathered.get(&spec.code).map_or(&[][..], Vec::as_slice);
            (
                spec.code.clone(),
                super::lists::outline_value(spec, &look, lines),
            )
        })
        .collect();
    ctx.insert("lists", &lists);
    let unit_table = super::unit_table::of(report);
    ctx.insert(
        "units",
        &unit_table
            .as_ref()
            .map(|t| t.units.clone())
            .unwrap_or_default(),
    );
    ctx.insert(
        "bang_don_vi",
        &unit_table
            .as_ref()
            .map(super::unit_table::Table::markdown)
            .unwrap_or_default(),
    );
}

/// A sentence for each unit whose last-year figures include its merged predecessors'.
fn succession_sentences(report: &Report<'_>) -> Vec<String> {
    let config = report.config;
    report
        .successors
        .iter()
        .filter_map(|code| config.successions.iter().find(|s| s.new == *code))
        .map(|s| {
            let name = |c: &str| config.units.label_of(c);
            format!(
                "Số liệu cùng kỳ năm trước của {} gồm cả số liệu của các đơn vị đã sắp xếp vào đơn vị này từ ngày {}: {} (các chỉ tiêu cộng được).{}",
                name(&s.new),
                crate::schedule::vn_date(s.date),
                s.old.iter().map(|o| name(o)).collect::<Vec<_>>().join(", "),
                s.note
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| format!(" Ghi chú: {}.", n.trim_end_matches('.')))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// The outline's `tasks`: the summary of the task register where the run has one and the
/// regime a task section, else `false`.
fn tasks_value(report: &Report<'_>) -> serde_json::Value {
    let (Some(summary), Some(section)) = (report.tasks, &report.regime.tasks) else {
        return serde_json::Value::Bool(false);
    };
    let config = report.config;
    let o = &summary.overall;
    let overdue_units: Vec<String> = summary
        .by_unit
        .iter()
        .filter(|(_, c)| c.get(crate::tasks::TaskStatus::Overdue) > 0)
        .map(|(u, c)| {
            let name = config
                .units
                .get(u)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| u.clone());
            format!("{name} ({})", c.get(crate::tasks::TaskStatus::Overdue))
        })
        .collect();
    serde_json::json!({
        "title": section.title,
        "sentence": crate::tasks::sentence(o),
        "total": o.total,
        "by_status": o.by_status,
        "nearly_due": o.nearly_due,
        "late_without_explanation": o.late_without_explanation,
        "percent_on_time": o.percent_on_time.map(|p| fmt_vn_fixed(p, 1)).unwrap_or_default(),
        "overdue_units": overdue_units,
    })
}

/// The regime's outline rendered with `ctx` (Markdown).
fn render_outline(report: &Report<'_>, ctx: &tera::Context) -> Result<String, String> {
    let template = report
        .config
        .outlines
        .get(&report.regime.id)
        .ok_or("thiếu mẫu đề cương")?;
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_template("outline", template)
        .map_err(|e| error_chain(&e))?;
    tera.render("outline", ctx).map_err(|e| error_chain(&e))
}

impl Letterhead {
    /// The receiver's agency, the report's number and the place and date line.
    fn of(report: &Report<'_>, root: &crate::catalog::Unit) -> Letterhead {
        let d = report.as_of;
        Letterhead {
            agency: root.agency_name().to_uppercase(),
            number: format!(
                "Số:       /{}",
                report
                    .regime
                    .report_symbol
                    .clone()
                    .unwrap_or_else(|| "BC".into())
            ),
            place_date: format!(
                "{}, {}",
                root.place.clone().unwrap_or_else(|| root.name.clone()),
                crate::text::date_words(d)
            ),
            subject: None,
        }
    }
}

impl Closing {
    /// The closing: the outline's recipients; the signing block the regime's, else the
    /// outline's, else the head of the agency; the signer the regime's, else the outline's.
    fn of(
        regime: &crate::catalog::Regime,
        root: &crate::catalog::Unit,
        parts: OutlineParts,
    ) -> Closing {
        let agency = Closing::of_agency(regime, root, parts.recipients);
        Closing {
            recipients: agency.recipients,
            signing: if regime.signing.title.is_empty() && !parts.signing.is_empty() {
                parts.signing
            } else {
                agency.signing
            },
            signer: regime
                .signing
                .name
                .clone()
                .or(parts.signer)
                .filter(|n| !n.trim().is_empty()),
        }
    }

    /// A closing signed as the regime says, else by the head of the agency (a letter of the
    /// receiver: a reminder, a result sheet).
    pub fn of_agency(
        regime: &crate::catalog::Regime,
        root: &crate::catalog::Unit,
        recipients: Vec<String>,
    ) -> Closing {
        Closing {
            recipients,
            signing: if !regime.signing.title.is_empty() {
                regime.signing.title.clone()
            } else {
                vec![
                    format!("TM. {}", root.agency_name().to_uppercase()),
                    "CHỦ TỊCH".to_string(),
                ]
            },
            signer: regime.signing.name.clone().filter(|n| !n.trim().is_empty()),
        }
    }
}

/// The body (Markdown) → a standalone HTML page with the letterhead and the closing, printed
/// on A4 with the Nghị định 30 margins; raw HTML in the Markdown is shown as text.
pub fn to_html(md: &str, title: &str, head: &Letterhead, closing: &Closing) -> String {
    // An outline's comments (column widths, where the form goes) are for bao-cao.docx.
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES)
        .filter(|e| !matches!(e, Event::Html(t) if t.trim_start().starts_with("<!--")))
        .map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            other => other,
        });
    let mut body = String::new();
    html::push_html(&mut body, parser);
    let e = |s: &str| tera::escape_html(s);
    let title_esc = e(title);
    let agency = super::docx::agency_lines(&head.agency)
        .iter()
        .map(|l| e(l))
        .collect::<Vec<_>>()
        .join("<br>");
    let recipients: String = recipient_lines(closing)
        .iter()
        .map(|r| format!("{}<br>", e(r)))
        .collect();
    let signing: String = closing
        .signing
        .iter()
        .map(|l| format!("<b>{}</b><br>", e(l)))
        .collect();
    let signer = closing
        .signer
        .as_deref()
        .map(|n| format!("<br><br><br><b>{}</b>", e(n)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title_esc}</title>\n<style>\n@page {{ size: A4 portrait; margin: 20mm 15mm 20mm 30mm; }}\nbody {{ font-family: \"Times New Roman\", serif; font-size: 14pt; max-width: 165mm; margin: 2em auto; line-height: 1.45; }}\n@media print {{ body {{ max-width: none; margin: 0; }} }}\np {{ text-align: justify; text-indent: 1cm; margin: 0 0 6pt; }}\ntable.thethuc {{ width: 100%; border: none; font-size: 13pt; margin-bottom: 12pt; }}\ntable.thethuc td {{ border: none; text-align: center; vertical-align: top; padding: 0; }}\n.quoc-hieu {{ font-weight: bold; }}\n.tieu-ngu {{ font-weight: bold; text-decoration: underline; font-size: 14pt; }}\n.dia-danh {{ font-style: italic; font-size: 14pt; }}\ntable.ky td:first-child {{ text-align: left; font-size: 12pt; }}\ntable {{ border-collapse: collapse; font-size: 12pt; }}\nth, td {{ border: 1px solid #444; padding: 2px 6px; }}\ntd {{ text-align: right; }}\ntd:first-child, td:nth-child(2) {{ text-align: left; }}\nh1, h2 {{ text-align: center; font-size: 14pt; margin: 6pt 0; }}\n</style>\n</head>\n<body>\n<table class=\"thethuc\"><tr><td style=\"width:40%\"><b>{agency}</b><br>{number}</td><td><span class=\"quoc-hieu\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</span><br><span class=\"tieu-ngu\">Độc lập - Tự do - Hạnh phúc</span><br><br><span class=\"dia-danh\">{place_date}</span></td></tr></table>\n{body}<table class=\"thethuc ky\"><tr><td style=\"width:50%\"><b><i>Nơi nhận:</i></b><br>{recipients}</td><td>{signing}{signer}</td></tr></table>\n</body>\n</html>\n",
        agency = agency,
        number = e(&head.number),
        place_date = e(&head.place_date),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_raw_markup() {
        let head = Letterhead {
            agency: "ỦY BAN NHÂN DÂN TỈNH <AN LẠC>".into(),
            number: "Số:       /BC-UBND".into(),
            place_date: "An Lạc, ngày 22 tháng 11 năm 2026".into(),
            subject: None,
        };
        let closing = Closing {
            recipients: vec!["Văn phòng Chính phủ".into()],
            signing: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
            signer: None,
        };
        let html = to_html(
            "Đơn vị <script>alert(1)</script> & **đậm**",
            "Báo cáo <x>",
            &head,
            &closing,
        );
        assert!(html.contains("TỈNH &lt;AN LẠC&gt;"), "{html}");
        assert!(
            html.contains("- Văn phòng Chính phủ;<br>- Lưu: VT.<br>"),
            "{html}"
        );
        assert!(html.contains("@page { size: A4 portrait; margin: 20mm 15mm 20mm 30mm; }"));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<strong>đậm</strong>"));
        assert!(html.contains("<title>Báo cáo &lt;x&gt;</title>"), "{html}");
    }

    #[test]
    fn the_body_runs_from_the_first_heading_to_the_recipients() {
        let md = "**ỦY BAN NHÂN DÂN**  \nSố: /BC\n\n# BÁO CÁO\n\n## Tình hình\n\nNội dung.\n\n*Nơi nhận:* Văn phòng Chính phủ; Bộ Tài chính; lưu VT.\n\n**TM. ỦY BAN NHÂN DÂN**\n";
        let parts = split_outline(md);
        assert_eq!(parts.body, "# BÁO CÁO\n\n## Tình hình\n\nNội dung.\n\n");
        assert_eq!(parts.recipients, ["Văn phòng Chính phủ", "Bộ Tài chính"]);
        assert_eq!(parts.signing, ["TM. ỦY BAN NHÂN DÂN"]);
        let none = split_outline("Chỉ có nội dung.\n");
        assert_eq!(none.body, "Chỉ có nội dung.\n");
        assert!(none.recipients.is_empty());
    }

    #[test]
    fn recipients_listed_a_line_each_are_all_kept_and_the_signing_block_follows() {
        let md = "# BÁO CÁO\n\nNội dung.\n\n**Nơi nhận:**  \n- Văn phòng Chính phủ;  \n- Bộ Nội vụ;\n- Lưu: VT.\n\n**TM. ỦY BAN NHÂN DÂN**  \n**KT. CHỦ TỊCH**  \n**PHÓ CHỦ TỊCH**\n\n\n\nNguyễn Văn An\n";
        let parts = split_outline(md);
        assert_eq!(parts.recipients, ["Văn phòng Chính phủ", "Bộ Nội vụ"]);
        assert_eq!(
            parts.signing,
            ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
        );
        assert_eq!(parts.signer.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(parts.body, "# BÁO CÁO\n\nNội dung.\n\n");
    }

    #[test]
    fn same_period_comparisons_as_growth_or_index() {
        use crate::catalog::Comparison;
        assert_eq!(
            yoy_words(13.0, Comparison::Growth),
            "tăng 13,0% so với cùng kỳ năm trước"
        );
        assert_eq!(
            yoy_words(13.0, Comparison::Index),
            "bằng 113,0% so với cùng kỳ năm trước"
        );
        assert_eq!(
            yoy_words(-4.0, Comparison::Index),
            "bằng 96,0% so với cùng kỳ năm trước"
        );
    }

    #[test]
    fn a_rate_changes_by_points_and_a_fall_of_a_lower_is_better_one_is_good_news() {
        assert_eq!(
            points_words(1.5933 - 1.2957, "cùng kỳ năm trước", 2),
            "tăng 0,3 điểm phần trăm so với cùng kỳ năm trước"
        );
        assert_eq!(
            points_words(0.001, "tháng trước", 2),
            "tương đương tháng trước"
        );
        assert_eq!(verdict(-0.3, false), "tích cực");
        assert_eq!(verdict(0.3, false), "chưa tích cực");
        assert_eq!(verdict(0.3, true), "tích cực");
        assert_eq!(
            plan_words(Some(3.2), Some(3.5), Some(91.4), false, 2),
            "không vượt kế hoạch năm (3,5), đạt mục tiêu"
        );
        assert_eq!(
            plan_words(Some(3.8), Some(3.5), Some(108.6), false, 2),
            "cao hơn kế hoạch năm (3,5), chưa đạt mục tiêu"
        );
        assert_eq!(
            plan_words(Some(80.0), Some(100.0), Some(80.0), true, 2),
            "đạt 80,0% kế hoạch năm"
        );
    }

    #[test]
    fn change_words_in_vietnamese() {
        assert_eq!(change_words(13.0, "cùng kỳ"), "tăng 13,0% so với cùng kỳ");
        assert_eq!(
            change_words(-2.345, "tháng trước"),
            "giảm 2,3% so với tháng trước"
        );
        assert_eq!(change_words(0.01, "tháng trước"), "tương đương tháng trước");
    }
}
