//! The draft config as text: `report-templates/<id>/regime.toml`, `indicators/<id>.toml`, the
//! outline and (when the root has none) `units.toml`, from a form read by `draft`. Every
//! decision a person must make is a `# TODO:` comment (`{# TODO: … #}` in the outline), one per
//! line, so that `check-config` lists exactly them. Same form, same text, byte for byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::body::{plan, Dim, PlannedRow, Selector};
use super::FormDraft;
use crate::catalog::Numbering;
use crate::text::fold;

/// A TOML basic string: quotes, backslashes and control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text from the source put into a comment: one line, and never read as a TODO itself.
fn comment_text(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace("TODO", "todo")
}

/// Who reports to whom: from an existing `units.toml`, or the minimal one the draft writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Units {
    pub receiver: String,
    pub reporter_levels: Vec<String>,
    /// The text of a new `units.toml`; `None` when the root has one.
    pub new_file: Option<String>,
}

/// The receiver and reporting levels of an existing `units.toml`: the first unit without a
/// parent, and the levels of the units directly under it.
pub fn units_of(text: &str) -> Result<Units, String> {
    #[derive(serde::Deserialize)]
    struct Level {
        name: String,
    }
    #[derive(serde::Deserialize)]
    struct Unit {
        code: String,
        name: String,
        level: String,
        parent: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        level: Vec<Level>,
        #[serde(default)]
        unit: Vec<Unit>,
    }
    let file: File = toml::from_str(text).map_err(|e| format!("units.toml không đọc được: {e}"))?;
    let root = file
        .unit
        .iter()
        .find(|u| u.parent.is_none())
        .ok_or("units.toml không có đơn vị cấp cao nhất (đơn vị không có parent)")?;
    let mut levels: Vec<String> = Vec::new();
    for l in &file.level {
        let under = file
            .unit
            .iter()
            .any(|u| u.parent.as_deref() == Some(&root.code) && u.level == l.name);
        if under && !levels.contains(&l.name) {
            levels.push(l.name.clone());
        }
    }
    if levels.is_empty() {
        return Err(format!(
            "units.toml không có đơn vị nào trực thuộc {} ({}) để làm đơn vị báo cáo",
            root.code, root.name
        ));
    }
    Ok(Units {
        receiver: root.code.clone(),
        reporter_levels: levels,
        new_file: None,
    })
}

/// The minimal `units.toml`: one receiving unit (named from "Đơn vị nhận báo cáo: …" when the
/// form says it) and two reporting units.
pub fn new_units(form: &FormDraft) -> Units {
    let receiver = form
        .hints
        .iter()
        .find(|h| fold(h).starts_with("don vi nhan bao cao"))
        .and_then(|h| h.split_once(':'))
        .map(|(_, n)| n.trim().trim_matches(['.', '…']).trim().to_string())
        .filter(|n| !n.is_empty() && !n.contains(".."))
        .unwrap_or_else(|| "Đơn vị nhận báo cáo".to_string());
    let mut t = String::new();
    t.push_str("# Danh mục đơn vị tối thiểu do baocao regime draft soạn.\n");
    t.push_str("# TODO: thay bằng danh mục đơn vị thật: mã, tên, cấp, đơn vị cấp trên\n\n");
    t.push_str("[[level]]\nname = \"tinh\"\nlabel = \"Cấp tỉnh\"\n\n");
    t.push_str("[[level]]\nname = \"xa\"\nlabel = \"Cấp xã\"\n\n");
    let _ = writeln!(
        t,
        "[[unit]]\ncode = \"99\"\nname = {}\nlevel = \"tinh\"\n",
        quote(&receiver)
    );
    for (code, name) in [("99001", "Đơn vị báo cáo 1"), ("99002", "Đơn vị báo cáo 2")] {
        let _ = writeln!(
            t,
            "[[unit]]\ncode = \"{code}\"\nname = \"{name}\"\nlevel = \"xa\"\nparent = \"99\"\n"
        );
    }
    Units {
        receiver: "99".to_string(),
        reporter_levels: vec!["xa".to_string()],
        new_file: Some(t.trim_end().to_string() + "\n"),
    }
}

/// The draft's files (paths relative to the config root) and its counts.
#[derive(Debug, Clone)]
pub struct Draft {
    pub files: Vec<(PathBuf, String)>,
    pub rows: usize,
    pub columns: usize,
    pub todos: usize,
}

/// The draft of regime `id` from `form`.
pub fn draft(form: &FormDraft, id: &str, units: &Units) -> Result<Draft, String> {
    let prefix = match super::ascii_code(id) {
        c if c.starts_with(|x: char| x.is_ascii_lowercase()) => c,
        c => format!("bm_{c}").trim_end_matches('_').to_string(),
    };
    let (rows, dims) = plan(&form.rows, &form.stub, &prefix);
    if rows.iter().all(|r| r.selector == Selector::Heading) {
        return Err(format!(
            "{}, trang \"{}\": bảng không có dòng số liệu nào dưới tiêu đề (chỉ có dòng đề mục hoặc không có dòng nào)",
            form.source, form.sheet
        ));
    }
    let code_base = id.to_ascii_uppercase().replace('-', "_");
    let codes: Vec<String> = (1..=form.columns.len())
        .map(|i| format!("{code_base}{i:02}"))
        .collect();
    let dir = Path::new("report-templates").join(id);
    let mut files = vec![
        (
            dir.join("regime.toml"),
            regime_toml(form, id, units, &rows, &dims, &codes),
        ),
        (
            PathBuf::from("indicators").join(format!("{id}.toml")),
            indicators_toml(form, &dims, &codes),
        ),
        (dir.join("de-cuong.md.tera"), outline(form, id)),
    ];
    if let Some(text) = &units.new_file {
        files.push((PathBuf::from("units.toml"), text.clone()));
    }
    let todos = files
        .iter()
        .map(|(_, t)| t.lines().filter(|l| l.contains("TODO")).count())
        .sum();
    Ok(Draft {
        files,
        rows: rows.len(),
        columns: form.columns.len(),
        todos,
    })
}

/// The frequency a "Kỳ báo cáo …" line above the table names, else quarterly.
fn frequency(form: &FormDraft) -> String {
    let line = form
        .hints
        .iter()
        .map(|h| fold(h))
        .find(|f| f.starts_with("ky bao cao"));
    let first = match line.as_deref() {
        Some(f) if f.contains("6 thang") || f.contains("sau thang") => "half-yearly",
        Some(f) if f.contains("9 thang") || f.contains("chin thang") => "nine-months",
        Some(f) if f.contains("quy") => "quarterly",
        Some(f) if f.contains("thang") => "monthly",
        Some(f) if f.contains("nam") => "yearly",
        _ => "quarterly",
    };
    // "6 tháng/năm", "quý, năm", "quý và năm": the year's report too ("Quý … năm 20…" is
    // the period's year, not a report of its own).
    let yearly_too = first != "yearly"
        && line.as_deref().is_some_and(|f| {
            let f = f.replace(" /", "/").replace("/ ", "/").replace(" ,", ",");
            f.contains("/nam") || f.contains(", nam") || f.contains(",nam") || f.contains(" va nam")
        });
    match yearly_too {
        true => format!("\"{first}\", \"yearly\""),
        false => format!("\"{first}\""),
    }
}

/// The levels as a TOML array.
fn levels(units: &Units) -> String {
    let q: Vec<String> = units.reporter_levels.iter().map(|l| quote(l)).collect();
    format!("[{}]", q.join(", "))
}

/// `report-templates/<id>/regime.toml`: the regime's settings, then its form.
fn regime_toml(
    form: &FormDraft,
    id: &str,
    units: &Units,
    rows: &[PlannedRow],
    dims: &[Dim],
    codes: &[String],
) -> String {
    let mut t = String::new();
    regime_identity(&mut t, form, id);
    regime_schedule(&mut t, form, units);
    form_header(&mut t, form, id);
    t.push_str(&matrix_toml(form, rows, dims, codes));
    t
}

/// The header comments and what the regime is: id, name, legal basis, content, method,
/// instructions.
fn regime_identity(t: &mut String, form: &FormDraft, id: &str) {
    let title = form.title.clone().unwrap_or_default();
    let sentence = match title.to_lowercase() {
        t if t.is_empty() => "Báo cáo".to_string(),
        t => format!("Báo cáo {t}"),
    };
    let legal_hint = form
        .hints
        .iter()
        .find(|h| {
            let f = fold(h);
            f.contains("thong tu") || f.contains("nghi dinh") || f.contains("quyet dinh")
        })
        .map(|h| format!("; biểu gốc ghi: {}", comment_text(h)))
        .unwrap_or_default();
    let _ = writeln!(
        t,
        "# Chế độ báo cáo do baocao regime draft soạn từ biểu mẫu {}, trang {}.",
        comment_text(&form.source),
        comment_text(&form.sheet)
    );
    t.push_str("# Các việc người soạn cần quyết định ghi ở các dòng chú thích đánh dấu; check-config liệt kê chúng.\n\n");
    let _ = writeln!(t, "id = {}", quote(id));
    let _ = writeln!(
        t,
        "# TODO: tên báo cáo theo văn bản ban hành chế độ báo cáo\nname = {}",
        quote(&sentence)
    );
    let _ = writeln!(t, "# TODO: căn cứ ban hành chế độ báo cáo{legal_hint}\nlegal_basis = {}", quote("Nghị định số 09/2019/NĐ-CP ngày 24/01/2019 của Chính phủ quy định về chế độ báo cáo của cơ quan hành chính nhà nước"));
    let _ = writeln!(
        t,
        "# TODO: nội dung yêu cầu báo cáo\ncontent = {}",
        quote(&sentence)
    );
    let _ = writeln!(
        t,
        "# TODO: phương thức gửi, nhận báo cáo\nmethod = {}",
        quote("Gửi tệp Excel theo biểu mẫu; văn bản ký số")
    );
    let _ = writeln!(
        t,
        "# TODO: hướng dẫn quy trình lập biểu\ninstructions = {}",
        quote("Nhập số liệu vào các ô trắng của biểu, không sửa cấu trúc biểu.")
    );
}

/// When and between whom: frequencies, cutoff, receiver, upward, reporters, outline and the
/// deadline.
fn regime_schedule(t: &mut String, form: &FormDraft, units: &Units) {
    let receiver_hint = form
        .hints
        .iter()
        .find(|h| fold(h).starts_with("don vi nhan bao cao"))
        .map(|h| format!("; biểu gốc ghi: {}", comment_text(h)))
        .unwrap_or_default();
    let _ = writeln!(t, "# TODO: tần suất báo cáo (monthly, quarterly, half-yearly, nine-months, yearly); báo cáo năm thay báo cáo kỳ cuối năm thì thêm [[replace]] (xem docs/configuration.md)\nfrequencies = [{}]", frequency(form));
    t.push_str("# TODO: thời gian chốt số liệu (nd09: từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối kỳ; calendar: theo tháng dương lịch)\ncutoff = { rule = \"nd09\" }\n");
    let _ = writeln!(
        t,
        "# TODO: cơ quan nhận báo cáo, mã đơn vị trong units.toml{receiver_hint}\nreceiver = {}",
        quote(&units.receiver)
    );
    let _ = writeln!(
        t,
        "# TODO: nơi đơn vị nhận gửi tiếp báo cáo tổng hợp (cơ quan cấp trên), in ở dòng \"Đơn vị nhận báo cáo\" của biểu tổng hợp\nupward = {}",
        quote("Cơ quan cấp trên")
    );
    let _ = writeln!(t, "# TODO: đối tượng thực hiện báo cáo, các cấp trong units.toml\nreporters = {{ levels = {} }}", levels(units));
    t.push_str("outline = \"de-cuong.md.tera\"\n\n");
    let _ = writeln!(t, "# TODO: thời hạn gửi báo cáo của từng cấp\n[[deadline]]\nlevels = {}\nrule = \"working-days\"\ndays = 2\n", levels(units));
}

/// `[form]` before the matrix: number, title, and the source's lines above the table as
/// comments.
fn form_header(t: &mut String, form: &FormDraft, id: &str) {
    t.push_str("[form]\n");
    match &form.number {
        Some(n) => {
            let _ = writeln!(t, "number = {}", quote(n));
        }
        None => {
            let _ = writeln!(
                t,
                "# TODO: số hiệu biểu (biểu gốc không ghi \"Biểu số …\")\nnumber = {}",
                quote(&format!("Biểu số …/{}", id.to_uppercase()))
            );
        }
    }
    match &form.title {
        Some(x) => {
            let _ = writeln!(t, "title = {}", quote(x));
        }
        None => {
            let _ = writeln!(t, "# TODO: tên biểu (biểu gốc không có dòng chữ in hoa trên bảng)\ntitle = \"BIỂU SỐ LIỆU\"");
        }
    }
    for h in &form.hints {
        let _ = writeln!(t, "# Dòng trên bảng của biểu gốc: {}", comment_text(h));
    }
    t.push('\n');
}

fn matrix_toml(form: &FormDraft, rows: &[PlannedRow], dims: &[Dim], codes: &[String]) -> String {
    let mut t = String::from("[form.matrix]\n");
    let _ = writeln!(
        t,
        "stt = {}\nstub = {}\nstub_width = {}",
        quote(&form.stt),
        quote(&form.stub),
        form.stub_width
    );
    let numbering = match form.numbering {
        Numbering::Numbers => "numbers",
        Numbering::Letters => "letters",
    };
    let _ = writeln!(t, "numbering = \"{numbering}\"");
    for n in &form.notes {
        let _ = writeln!(t, "# TODO: {}", comment_text(n));
    }
    for r in rows {
        t.push('\n');
        if let Some(n) = &r.note {
            let _ = writeln!(t, "# TODO: {}", comment_text(n));
        }
        t.push_str("[[form.matrix.row]]\n");
        if !r.stt.is_empty() {
            let _ = writeln!(t, "stt = {}", quote(&r.stt));
        }
        let _ = writeln!(t, "label = {}", quote(&r.label));
        match &r.selector {
            Selector::Total => t.push_str("# Dòng tổng: số tổng của chỉ tiêu mỗi cột.\n"),
            Selector::Heading => t.push_str("heading = true\n"),
            Selector::Option { dim, option } => {
                let d = &dims[*dim];
                let _ = writeln!(
                    t,
                    "cell = {}",
                    quote(&format!("[{}={}]", d.code, d.options[*option].0))
                );
            }
        }
        if r.sub {
            t.push_str("sub = true\n");
        }
    }
    for (c, code) in form.columns.iter().zip(codes) {
        t.push_str("\n[[form.matrix.column]]\n");
        if !c.group.is_empty() {
            let g: Vec<String> = c.group.iter().map(|x| quote(x)).collect();
            let _ = writeln!(t, "group = [{}]", g.join(", "));
        }
        let _ = writeln!(
            t,
            "label = {}\ncell = {}\nwidth = {}",
            quote(&c.label),
            quote(code),
            c.width
        );
    }
    t
}

/// A unit of measure guessed from a column's header path, else the form's "Đơn vị tính".
fn unit_of(path: &[&str], hint: Option<&str>) -> String {
    const WORDS: [(&str, &str); 8] = [
        ("luot", "lượt"),
        ("nguoi", "người"),
        ("vu viec", "vụ việc"),
        ("so doan", "đoàn"),
        ("doan", "đoàn"),
        ("ho so", "hồ sơ"),
        ("don", "đơn"),
        ("vu", "vụ"),
    ];
    for p in path.iter().rev() {
        if let Some(u) = stated_unit(p) {
            return u;
        }
        let f = fold(p);
        if let Some((_, u)) = WORDS.iter().find(|(w, _)| f == *w) {
            return u.to_string();
        }
    }
    hint.map(str::to_string).unwrap_or_else(|| "số".to_string())
}

/// The unit a header states in its closing parenthesis: "Kiến nghị thu hồi (triệu đồng)".
fn stated_unit(header: &str) -> Option<String> {
    let inner = header.trim().strip_suffix(')')?;
    let (_, unit) = inner.rsplit_once('(')?;
    let unit = unit.trim();
    let short = !unit.is_empty() && unit.chars().count() <= 20;
    (short && !unit.chars().any(|c| c.is_ascii_digit())).then(|| unit.to_string())
}

/// The value type a unit of measure implies: money and measures have decimals.
fn type_of(unit: &str) -> &'static str {
    let f = fold(unit);
    if unit == "%" || f == "phan tram" {
        "percent"
    } else if ["dong", "ha", "tan", "m2", "km", "ty", "trieu"]
        .iter()
        .any(|w| f.split_whitespace().any(|x| x == *w))
    {
        "decimal"
    } else {
        "integer"
    }
}

fn indicators_toml(form: &FormDraft, dims: &[Dim], codes: &[String]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Chỉ tiêu và phân tổ do baocao regime draft soạn từ biểu mẫu {}, trang {}:",
        comment_text(&form.source),
        comment_text(&form.sheet)
    );
    t.push_str(
        "# mỗi cột số liệu là một chỉ tiêu; các dòng của biểu là phương án của các phân tổ.\n",
    );
    let used: Vec<&Dim> = dims.iter().filter(|d| !d.options.is_empty()).collect();
    for d in &used {
        let _ = writeln!(t, "\n# TODO: tên phân tổ, mã các phương án; exhaustive = true khi các phương án cộng lại bằng tổng số");
        let _ = writeln!(
            t,
            "[[dimension]]\ncode = {}\nname = {}\nexhaustive = {}\noptions = [",
            quote(&d.code),
            quote(&d.name),
            d.exhaustive
        );
        for (code, name) in &d.options {
            let _ = writeln!(t, "  {{ code = {}, name = {} }},", quote(code), quote(name));
        }
        t.push_str("]\n");
    }
    let disaggs: Vec<String> = used
        .iter()
        .map(|d| format!("[{}]", quote(&d.code)))
        .collect();
    for (c, code) in form.columns.iter().zip(codes) {
        let mut path: Vec<&str> = c.group.iter().map(String::as_str).collect();
        path.push(&c.label);
        let _ = writeln!(
            t,
            "\n# TODO: mã, đơn vị tính, cách tổng hợp của {code} ({})",
            comment_text(&path.join(" › "))
        );
        let unit = unit_of(&path, form.unit_hint.as_deref());
        let _ = writeln!(
            t,
            "[[indicator]]\ncode = {}\nname = {}\nunit = {}",
            quote(code),
            quote(&path.join(" - ")),
            quote(&unit)
        );
        let _ = writeln!(t, "type = \"{}\"\naggregation = \"sum\"", type_of(&unit));
        if !disaggs.is_empty() {
            let _ = writeln!(t, "disaggregations = [{}]", disaggs.join(", "));
        }
    }
    t
}

/// A minimal outline: heading, who reported, the consolidated form.
fn outline(form: &FormDraft, id: &str) -> String {
    let title: String = form
        .title
        .clone()
        .unwrap_or_else(|| "Báo cáo".to_string())
        .chars()
        .filter(|c| !"{}%#".contains(*c))
        .collect();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{{#- Đề cương báo cáo của chế độ {id}, do baocao regime draft soạn. -#}}"
    );
    t.push_str("{# TODO: viết đề cương theo mẫu đề cương ban hành kèm chế độ báo cáo (biến có sẵn: xem đề cương của các chế độ trong thư viện report-templates/ của baocao) #}\n");
    t.push_str("**{{ unit.agency_upper }}**\n\n# BÁO CÁO\n\n");
    let _ = writeln!(t, "## {title} {{{{ period.in_sentence }}}}\n");
    t.push_str("Số liệu được tổng hợp từ báo cáo của {{ compliance.on_time + compliance.late }}/{{ compliance.total }} đơn vị.\n\n");
    t.push_str(
        "### PHỤ LỤC: BIỂU TỔNG HỢP {{ regime.form_number | upper }}\n\n{{ bieu_tong_hop }}\n",
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_read_back_the_same() {
        for s in [
            "Tiếp \"định kỳ\" và đột xuất",
            "a\\b",
            "dòng 1\ndòng 2",
            "tab\there",
            "\u{1}",
        ] {
            let doc = format!("x = {}", quote(s));
            let v: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(v["x"].as_str(), Some(s), "{doc}");
        }
    }

    #[test]
    fn the_period_line_gives_the_frequencies() {
        let of = |line: &str| {
            frequency(&FormDraft {
                hints: vec![line.to_string()],
                ..FormDraft::default()
            })
        };
        assert_eq!(of("Kỳ báo cáo: 6 tháng/năm"), "\"half-yearly\", \"yearly\"");
        assert_eq!(of("Kỳ báo cáo: Quý, năm"), "\"quarterly\", \"yearly\"");
        assert_eq!(of("Kỳ báo cáo: Quý ... năm 20..."), "\"quarterly\"");
        assert_eq!(of("Kỳ báo cáo: quý và năm"), "\"quarterly\", \"yearly\"");
        assert_eq!(of("Kỳ báo cáo: 6 tháng"), "\"half-yearly\"");
        assert_eq!(of("Kỳ báo cáo: Năm"), "\"yearly\"");
    }

    #[test]
    fn a_unit_a_header_states_wins_over_the_forms_and_sets_the_type() {
        let path = ["Kiến nghị thu hồi cho Nhà nước (triệu đồng)"];
        assert_eq!(unit_of(&path, Some("Đơn")), "triệu đồng");
        assert_eq!(type_of("triệu đồng"), "decimal");
        assert_eq!(type_of("%"), "percent");
        assert_eq!(type_of("đơn"), "integer");
        // A parenthesis that is not a unit: a column number, or a long note.
        assert_eq!(unit_of(&["Tổng số (1)"], Some("đơn")), "đơn");
        assert_eq!(
            unit_of(
                &["Đã giải quyết (kể cả đơn kỳ trước chuyển sang)"],
                Some("đơn")
            ),
            "đơn"
        );
    }

    #[test]
    fn units_of_measure_come_from_the_header_path() {
        assert_eq!(unit_of(&["Tiếp thường xuyên", "Lượt"], None), "lượt");
        assert_eq!(
            unit_of(&["Đoàn đông người", "Vụ việc", "Cũ"], None),
            "vụ việc"
        );
        assert_eq!(unit_of(&["Khiếu nại"], Some("đơn")), "đơn");
        assert_eq!(unit_of(&["Khiếu nại"], None), "số");
    }
}
