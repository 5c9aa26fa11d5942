//! `bang-tin.html`: the public display board, one static page for a wall screen in the office
//! hall — large type, every status in words as well as colour, trend lines as inline SVG, no
//! request of any kind (no script, font, style sheet or image from elsewhere), an optional
//! refresh interval, printable on A4 landscape.

use crate::board::{Board, IndicatorPanel, PeriodPanel, TaskPanel};
use crate::schedule::vn_date;
use crate::text::{fmt_vn, fmt_vn_fixed};
use crate::validate::Timeliness;

fn e(s: &str) -> String {
    tera::escape_html(s)
}

/// Class and label of a unit's standing.
fn status(t: Timeliness) -> (&'static str, &'static str) {
    match t {
        Timeliness::OnTime => ("xanh", "Đúng hạn"),
        Timeliness::Late => ("vang", "Muộn"),
        Timeliness::Rejected => ("do", "Bị từ chối"),
        Timeliness::Missing => ("do", "Chưa gửi"),
        Timeliness::NotYetDue => ("xam", "Chưa đến hạn"),
    }
}

fn period_html(p: &PeriodPanel) -> String {
    let mut s = format!(
        "<section class=\"ky\">\n<h2>{} — {}</h2>\n<p class=\"ty-le\">Tỷ lệ báo cáo: <b>{}%</b> · Tỷ lệ báo cáo đúng hạn: <b>{}%</b>{}</p>\n<ul class=\"don-vi\">\n",
        e(&p.regime),
        e(&p.period),
        fmt_vn_fixed(p.reporting_rate, 1),
        fmt_vn_fixed(p.on_time_rate, 1),
        p.deadline
            .map(|d| format!(" · Hạn gửi: {}", vn_date(d)))
            .unwrap_or_default()
    );
    for u in &p.units {
        let (class, label) = status(u.status);
        s.push_str(&format!(
            "<li class=\"{class}\"><span class=\"ten\">{}</span> <span class=\"nhan\">{label}</span></li>\n",
            e(&u.name)
        ));
    }
    s.push_str("</ul>\n</section>\n");
    s
}

/// A trend line of the figures (gaps where a period has none), with its last point marked.
fn sparkline(trend: &[(String, Option<f64>)]) -> String {
    let (w, h) = (360.0, 80.0);
    let values: Vec<f64> = trend.iter().filter_map(|t| t.1).collect();
    if values.len() < 2 {
        return String::new();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = w / (trend.len().max(2) - 1) as f64;
    let mut path = String::new();
    let mut last = None;
    let mut pen_down = false;
    for (i, (_, v)) in trend.iter().enumerate() {
        match v {
            Some(v) => {
                let x = i as f64 * step;
                let y = h - 8.0 - (v - lo) / span * (h - 16.0);
                path.push_str(&format!(
                    "{}{x:.1},{y:.1} ",
                    if pen_down { "L" } else { "M" }
                ));
                pen_down = true;
                last = Some((x, y));
            }
            None => pen_down = false,
        }
    }
    let dot = last
        .map(|(x, y)| format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#0b4f8a\"/>"))
        .unwrap_or_default();
    let first = trend.first().map(|t| e(&t.0)).unwrap_or_default();
    let end = trend.last().map(|t| e(&t.0)).unwrap_or_default();
    format!(
        "<svg class=\"xu-huong\" viewBox=\"-8 0 {} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Xu hướng từ {first} đến {end}\"><path d=\"{}\" fill=\"none\" stroke=\"#0b4f8a\" stroke-width=\"4\"/>{dot}</svg>",
        w + 16.0,
        path.trim_end()
    )
}

fn indicator_html(i: &IndicatorPanel) -> String {
    let value = i
        .value
        .map(|v| format!("{} {}", fmt_vn(v, 2), e(&i.unit)))
        .unwrap_or_else(|| "chưa có số liệu".to_string());
    let yoy = i
        .yoy
        .map(|y| {
            // Green for good news, red for bad: a fall of a lower-is-better figure (tỷ lệ hộ
            // nghèo) is good news.
            let word = if y >= 0.0 { "tăng" } else { "giảm" };
            let good = (y >= 0.0) == i.higher_is_better;
            let class = if good { "tot" } else { "chua-tot" };
            format!(
                "<span class=\"{class}\">{word} {}% so với cùng kỳ</span>",
                fmt_vn_fixed(y.abs(), 1)
            )
        })
        .unwrap_or_default();
    format!(
        "<div class=\"chi-tieu\"><div class=\"ten\">{} <small>({})</small></div><div class=\"so\">{value}</div><div>{yoy}</div>{}</div>\n",
        e(&i.name),
        e(&i.period),
        sparkline(&i.trend)
    )
}

fn tasks_html(t: &TaskPanel) -> String {
    let mut s = String::from(
        "<section class=\"nhiem-vu\">\n<h2>Thực hiện nhiệm vụ được giao (Quyết định 42/2014/QĐ-TTg)</h2>\n<table>\n<tr><th>Đơn vị chủ trì</th><th>Đã hoàn thành</th><th>Đang thực hiện</th><th>Sắp đến hạn</th><th>Quá hạn</th></tr>\n",
    );
    for (name, done, open, soon, late) in &t.units {
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{done} hoàn thành</td><td>{open}</td><td class=\"{}\">{soon} sắp đến hạn</td><td class=\"{}\">{late} quá hạn</td></tr>\n",
            e(name),
            if *done > 0 { "xanh" } else { "" },
            if *soon > 0 { "vang" } else { "" },
            if *late > 0 { "do" } else { "" },
        ));
    }
    s.push_str("</table>\n");
    if !t.overdue.is_empty() {
        s.push_str("<h3>Nhiệm vụ quá hạn</h3>\n<ul class=\"qua-han\">\n");
        for (code, content, unit, days) in &t.overdue {
            s.push_str(&format!(
                "<li class=\"do\"><b>{}</b> {} — {} <span class=\"nhan\">quá hạn {days} ngày</span></li>\n",
                e(code),
                e(content),
                e(unit)
            ));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
    s
}

const STYLE: &str = "@page { size: A4 landscape; margin: 12mm; }
body { font-family: \"Times New Roman\", \"Liberation Serif\", serif; font-size: 26px; margin: 24px; color: #111; background: #fff; }
h1 { font-size: 44px; margin: 0 0 4px; color: #0b4f8a; }
h2 { font-size: 34px; margin: 24px 0 8px; }
h3 { font-size: 30px; }
.ngay { font-size: 28px; margin: 0 0 16px; }
.ty-le { font-size: 28px; margin: 4px 0 12px; }
ul.qua-han { list-style: none; padding: 0; }
ul.don-vi { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 8px; }
ul.don-vi li, ul.qua-han li { padding: 8px 12px; border-radius: 6px; border: 2px solid #555; }
.nhan { font-weight: bold; float: right; }
.xanh { background: #c6efce; }
.vang { background: #ffeb9c; }
.do { background: #ffc7ce; }
.xam { background: #e7e6e6; }
.chi-tieu-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
.chi-tieu { border: 2px solid #0b4f8a; border-radius: 8px; padding: 12px; }
.chi-tieu .so { font-size: 40px; font-weight: bold; }
.tot { color: #006100; font-weight: bold; }
.chua-tot { color: #9c0006; font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 2px solid #555; padding: 6px 10px; text-align: left; }
@media print { body { font-size: 14pt; } ul.don-vi, .chi-tieu-list { grid-template-columns: repeat(3, 1fr); } }";

/// The board's page; `refresh` (seconds) reloads it on the wall screen.
pub fn html(board: &Board, refresh: Option<u32>) -> String {
    let refresh = refresh
        .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">\n"))
        .unwrap_or_default();
    let mut body = format!(
        "<h1>Bảng thông tin công khai — {}</h1>\n<p class=\"ngay\">Cập nhật ngày {}</p>\n",
        e(&board.office),
        vn_date(board.today)
    );
    if board.periods.is_empty() {
        body.push_str("<p>Không có kỳ báo cáo nào đang đến hạn.</p>\n");
    }
    for p in &board.periods {
        body.push_str(&period_html(p));
    }
    if !board.indicators.is_empty() {
        body.push_str("<section>\n<h2>Chỉ tiêu chủ yếu</h2>\n<div class=\"chi-tieu-list\">\n");
        for i in &board.indicators {
            body.push_str(&indicator_html(i));
        }
        body.push_str("</div>\n</section>\n");
    }
    if let Some(t) = &board.tasks {
        body.push_str(&tasks_html(t));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n{refresh}<title>Bảng thông tin công khai — {}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        e(&board.office)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::UnitStanding;

    fn board() -> Board {
        Board {
            office: "UBND tỉnh <An Lạc>".into(),
            today: "2026-11-20".parse().unwrap(),
            periods: vec![PeriodPanel {
                regime: "Báo cáo kinh tế - xã hội".into(),
                period: "Tháng 10 năm 2026".into(),
                deadline: Some("2026-10-16".parse().unwrap()),
                units: vec![
                    UnitStanding {
                        code: "99024".into(),
                        name: "Xã Vĩnh Hưng".into(),
                        status: Timeliness::Missing,
                    },
                    UnitStanding {
                        code: "99001".into(),
                        name: "Phường An Lạc".into(),
                        status: Timeliness::OnTime,
                    },
                ],
                reporting_rate: 50.0,
                on_time_rate: 50.0,
            }],
            indicators: vec![IndicatorPanel {
                name: "Thu ngân sách".into(),
                unit: "tỷ đồng".into(),
                period: "tháng 10".into(),
                value: Some(1234.5),
                yoy: Some(-4.0),
                trend: vec![
                    ("tháng 8".into(), Some(1.0)),
                    ("tháng 9".into(), None),
                    ("tháng 10".into(), Some(3.0)),
                ],
                higher_is_better: true,
            }],
            tasks: None,
        }
    }

    #[test]
    fn a_fall_is_good_news_where_lower_is_better() {
        let mut b = board();
        assert!(html(&b, None).contains("<span class=\"chua-tot\">giảm 4,0% so với cùng kỳ</span>"));
        b.indicators[0].higher_is_better = false;
        assert!(html(&b, None).contains("<span class=\"tot\">giảm 4,0% so với cùng kỳ</span>"));
    }

    #[test]
    fn every_status_is_in_words_and_nothing_is_fetched() {
        let html = html(&board(), Some(300));
        assert!(html.contains("<li class=\"do\"><span class=\"ten\">Xã Vĩnh Hưng</span> <span class=\"nhan\">Chưa gửi</span></li>"));
        assert!(html.contains("<span class=\"nhan\">Đúng hạn</span>"));
        assert!(html.contains("UBND tỉnh &lt;An Lạc&gt;"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"300\">"));
        assert!(html.contains("1.234,5 tỷ đồng"));
        assert!(html.contains("giảm 4,0% so với cùng kỳ"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link"));
        // A gap in the trend lifts the pen.
        assert!(html.contains("M0.0,72.0 M360.0,8.0"), "{html}");
    }
}
