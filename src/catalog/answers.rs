//! Answers (yes/no, category, year) and the counts and shares of them, as the catalog loads
//! them: each question's answers resolved (a category's from its dimension), each count's
//! question and answer checked. What an answer is lives in `indicators`.

use std::collections::BTreeMap;

use super::dimensions::Dimension;
use super::indicators::{AnswerOptions, REPORTING_UNITS};
use super::{Aggregation, Indicator, Loader, ValueType};

/// Resolves every question's answers and checks the fields answers and counts use.
pub(super) fn check(
    l: &mut Loader,
    indicators: &mut BTreeMap<String, Indicator>,
    defined_in: &BTreeMap<String, String>,
    dimensions: &BTreeMap<String, Dimension>,
) {
    for (code, ind) in indicators.iter_mut() {
        let dim = match &ind.options {
            Some(AnswerOptions::Dimension(d)) => dimensions.get(d),
            _ => None,
        };
        ind.resolve_answers(dim);
        if code == REPORTING_UNITS {
            continue;
        }
        let place = &defined_in[code];
        let (file, key) = place.split_once(" › ").unwrap_or((place, ""));
        for (field, message) in problems(ind, dimensions) {
            l.problem(file, format!("{key}.{field}"), message);
        }
    }
    let questions: BTreeMap<String, Indicator> = indicators
        .iter()
        .filter(|(_, i)| i.is_answer())
        .map(|(c, i)| (c.clone(), i.clone()))
        .collect();
    for (code, ind) in indicators.iter() {
        if !ind.is_counted() || code == REPORTING_UNITS {
            continue;
        }
        let place = &defined_in[code];
        let (file, key) = place.split_once(" › ").unwrap_or((place, ""));
        for (field, message) in count_problems(ind, indicators, &questions) {
            l.problem(file, format!("{key}.{field}"), message);
        }
    }
}

/// What is wrong with a question's own fields (labels, options) or their use elsewhere.
fn problems(
    ind: &Indicator,
    dimensions: &BTreeMap<String, Dimension>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match ind.value_type {
        ValueType::YesNo => yes_no_labels(ind, &mut out),
        ValueType::Category => category_options(ind, dimensions, &mut out),
        _ => {}
    }
    fields_of_other_types(ind, &mut out);
    text_problems(ind, &mut out);
    answer_problems(ind, &mut out);
    if ind.is_derived() && (ind.min.is_some() || ind.max.is_some()) {
        out.push(("min", "chỉ tiêu tính toán (aggregation = \"derived\") không được đơn vị nhập nên min/max của nó không bao giờ được kiểm tra: bỏ min/max, hoặc đặt giới hạn cho các chỉ tiêu thành phần".to_string()));
    }
    if !ind.is_counted() && (ind.of.is_some() || ind.answer.is_some()) {
        out.push((
            "of",
            "of và answer chỉ dùng với aggregation = \"count\" hoặc \"share\"".to_string(),
        ));
    }
    out
}

/// A yes/no question's labels, when written: two, different, "yes" first.
fn yes_no_labels(ind: &Indicator, out: &mut Vec<(&'static str, String)>) {
    if let Some(labels) = &ind.labels {
        let folded: Vec<String> = labels.iter().map(|x| crate::text::fold(x)).collect();
        if labels.len() != 2 || folded.iter().any(String::is_empty) || folded[0] == folded[1] {
            out.push(("labels", format!(
                "labels cần đúng hai nhãn khác nhau, nhãn \"có\" trước: ví dụ labels = [\"Đạt\", \"Chưa đạt\"] (đang ghi {labels:?})"
            )));
        }
    }
}

/// A category question's options: declared, a dimension that exists, not empty, and no two
/// answers alike once accents and case are folded.
fn category_options(
    ind: &Indicator,
    dimensions: &BTreeMap<String, Dimension>,
    out: &mut Vec<(&'static str, String)>,
) {
    match &ind.options {
        None => out.push((
            "options",
            "type = \"category\" cần khai báo options: mã một phân tổ ([[dimension]]) hoặc danh sách [{ code = \"…\", name = \"…\" }, …]".to_string(),
        )),
        Some(AnswerOptions::Dimension(d)) if !dimensions.contains_key(d) => out.push((
            "options",
            format!("phân tổ \"{d}\" không có trong danh mục ([[dimension]])"),
        )),
        Some(_) if ind.answers.is_empty() => {
            out.push(("options", "danh sách câu trả lời rỗng".to_string()))
        }
        Some(_) => {
            let mut seen = std::collections::BTreeSet::new();
            for o in &ind.answers {
                if !seen.insert(crate::text::fold(&o.name)) || !seen.insert(format!("\u{0}{}", crate::text::fold(&o.code))) {
                    out.push(("options", format!(
                        "câu trả lời \"{}\" ({}) trùng với một câu trả lời khác khi bỏ dấu và chữ hoa/thường: người điền sẽ không phân biệt được",
                        o.name, o.code
                    )));
                }
            }
        }
    }
}

/// Fields of another type written on this one (labels, options, max_length), and a
/// max_length of 0.
fn fields_of_other_types(ind: &Indicator, out: &mut Vec<(&'static str, String)>) {
    if ind.labels.is_some() && ind.value_type != ValueType::YesNo {
        out.push((
            "labels",
            "labels chỉ dùng với type = \"yes_no\"".to_string(),
        ));
    }
    if ind.options.is_some() && ind.value_type != ValueType::Category {
        out.push((
            "options",
            "options chỉ dùng với type = \"category\"".to_string(),
        ));
    }
    if ind.max_length.is_some() && !ind.is_text() {
        out.push((
            "max_length",
            "max_length chỉ dùng với type = \"text\"".to_string(),
        ));
    }
    if ind.max_length == Some(0) {
        out.push(("max_length", "max_length phải lớn hơn 0".to_string()));
    }
}

/// A text cell is not consolidated and has no bounds or disaggregations.
fn text_problems(ind: &Indicator, out: &mut Vec<(&'static str, String)>) {
    if ind.is_text() {
        if ind.aggregation != Aggregation::None {
            out.push(("aggregation", "ô chữ (type = \"text\") không tổng hợp lên cấp trên: ghi aggregation = \"none\"; nó có trong danh sách đơn vị ([unit_table])".to_string()));
        }
        if ind.min.is_some() || ind.max.is_some() || !ind.disaggregations.is_empty() {
            out.push((
                "min",
                "ô chữ (type = \"text\") không có min/max hay phân tổ; độ dài tối đa là max_length"
                    .to_string(),
            ));
        }
    }
}

/// An answer is not summed and has no bounds or disaggregations.
fn answer_problems(ind: &Indicator, out: &mut Vec<(&'static str, String)>) {
    if ind.is_answer() {
        if !matches!(ind.aggregation, Aggregation::None | Aggregation::Last) {
            out.push(("aggregation", format!(
                "câu trả lời ({}) không cộng dồn được: ghi aggregation = \"none\", rồi khai báo chỉ tiêu đếm (aggregation = \"count\", of = \"{}\", answer = \"…\") hoặc tỷ lệ (aggregation = \"share\") để tổng hợp",
                ind.value_type_name(), ind.code
            )));
        }
        if ind.min.is_some() || ind.max.is_some() {
            out.push((
                "min",
                "câu trả lời không có min/max: giá trị hợp lệ là các câu trả lời của nó"
                    .to_string(),
            ));
        }
        if !ind.disaggregations.is_empty() {
            out.push((
                "disaggregations",
                "câu trả lời không có phân tổ".to_string(),
            ));
        }
    }
}

/// What is wrong with a count's or a share's question and answer.
fn count_problems(
    ind: &Indicator,
    indicators: &BTreeMap<String, Indicator>,
    questions: &BTreeMap<String, Indicator>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    out.extend(result_type_problem(ind));
    let Some(of) = &ind.of else {
        out.push(("of", format!(
            "aggregation = \"{}\" cần of = \"mã câu trả lời\" và answer = \"câu trả lời được đếm\" (số đơn vị báo cáo có sẵn là {REPORTING_UNITS})",
            if ind.aggregation == Aggregation::Share { "share" } else { "count" }
        )));
        return out;
    };
    let Some(q) = questions.get(of) else {
        out.push(("of", if indicators.contains_key(of) {
            format!("\"{of}\" không phải câu trả lời (type = \"yes_no\" hoặc \"category\"): chỉ đếm được câu trả lời")
        } else {
            format!("chỉ tiêu \"{of}\" không có trong danh mục")
        }));
        return out;
    };
    out.extend(counted_answer_problem(ind, of, q));
    out
}

/// A count is an integer, a share a percent: the problem when `type` says otherwise.
fn result_type_problem(ind: &Indicator) -> Option<(&'static str, String)> {
    let wanted = match ind.aggregation {
        Aggregation::Share => ValueType::Percent,
        _ => ValueType::Integer,
    };
    if ind.value_type == wanted {
        return None;
    }
    Some((
        "type",
        format!(
            "aggregation = \"{}\" cho ra {}: ghi type = \"{}\"",
            if wanted == ValueType::Percent {
                "share"
            } else {
                "count"
            },
            if wanted == ValueType::Percent {
                "một tỷ lệ phần trăm"
            } else {
                "một số đơn vị"
            },
            if wanted == ValueType::Percent {
                "percent"
            } else {
                "integer"
            },
        ),
    ))
}

/// The answer a count of question `q` (`of`) counts: written, and one of `q`'s answers.
fn counted_answer_problem(
    ind: &Indicator,
    of: &str,
    q: &Indicator,
) -> Option<(&'static str, String)> {
    match &ind.answer {
        None => Some((
            "answer",
            format!(
                "cần answer = câu trả lời được đếm, một trong: {}",
                q.answers
                    .iter()
                    .map(|o| format!("\"{}\"", o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        Some(a) if q.answer_named(a).is_none() => Some((
            "answer",
            format!(
                "\"{a}\" không phải câu trả lời của {of}; chọn một trong: {}",
                q.answers
                    .iter()
                    .map(|o| format!("\"{}\"", o.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        Some(_) => None,
    }
}

impl Indicator {
    /// The `type` as written in the catalog.
    pub fn value_type_name(&self) -> &'static str {
        match self.value_type {
            ValueType::Integer => "integer",
            ValueType::Decimal => "decimal",
            ValueType::Percent => "percent",
            ValueType::YesNo => "yes_no",
            ValueType::Category => "category",
            ValueType::Year => "year",
            ValueType::Text => "text",
        }
    }
}
