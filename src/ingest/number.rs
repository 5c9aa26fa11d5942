//! Reading numbers typed as text, in the vi-VN form ("1.234,5") and the English form
//! ("1,234.5"), with "%" signs and spaces. Where a text can be read both ways ("1.234" or
//! "1,234" alone) the vi-VN reading is taken and the caller is told it was ambiguous.

/// The outcome of reading a text number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// One reading only.
    Value(f64),
    /// Read the vi-VN way (`value`); the English reading would give `other`.
    Ambiguous { value: f64, other: f64 },
    /// Not a number.
    Invalid,
}

/// Reads a number typed as text. Empty text is not a number: callers treat empty cells as
/// "not reported" before calling this.
pub fn read_number(text: &str) -> Reading {
    let Some((s, negative)) = digits_and_sign(text) else {
        return Reading::Invalid;
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let result = match (dots, commas) {
        (0, 0) => value(&s, None, None, sign).map(Reading::Value),
        (_, 0) | (0, _) => one_separator(&s, dots, commas, sign),
        _ => both_separators(&s, sign),
    };
    result.unwrap_or(Reading::Invalid)
}

/// A text number's digits and separators (spaces, apostrophes, a "%" sign and the sign
/// dropped), and whether it is negative ("-", "−" or parentheses); `None` where anything
/// else is left.
fn digits_and_sign(text: &str) -> Option<(String, bool)> {
    let mut s: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if let Some(stripped) = s.strip_suffix('%') {
        s = stripped.to_string();
    }
    let negative = if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
        s = rest.to_string();
        true
    } else if let Some(rest) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        s = rest.to_string();
        true
    } else {
        s = s.strip_prefix('+').unwrap_or(&s).to_string();
        false
    };
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    Some((s, negative))
}

/// The number of an integer part (its thousands grouped by `group_sep`, if any) and a
/// decimal part, times `sign`.
fn value(int_part: &str, group_sep: Option<char>, frac: Option<&str>, sign: f64) -> Option<f64> {
    let digits = match group_sep {
        Some(sep) => grouped(int_part, sep)?,
        None => {
            if int_part.is_empty() {
                return None;
            }
            int_part.to_string()
        }
    };
    let text = match frac {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{digits}.{f}")
        }
        Some(_) => return None,
        None => digits,
    };
    // A digit string too long for a number is not one (it would read as infinity).
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v * sign)
}

/// A number with one kind of separator (`dots` dots or `commas` commas, one of them 0):
/// several group thousands; one followed by three digits reads both ways; else a decimal.
fn one_separator(s: &str, dots: usize, commas: usize, sign: f64) -> Option<Reading> {
    let sep = if dots > 0 { '.' } else { ',' };
    let count = dots.max(commas);
    let (head, tail) = s.rsplit_once(sep).expect("separator present");
    if count > 1 {
        // Several of the same separator: thousands grouping only.
        value(s, Some(sep), None, sign).map(Reading::Value)
    } else if tail.len() == 3 && !head.is_empty() && head.len() <= 3 && head != "0" {
        // "1.234" or "1,234": thousands in one convention, decimals in the other.
        let grouped_value = value(s, Some(sep), None, sign);
        let decimal_value = value(head, None, Some(tail), sign);
        match (grouped_value, decimal_value) {
            (Some(g), Some(d)) => Some(if sep == '.' {
                Reading::Ambiguous { value: g, other: d }
            } else {
                Reading::Ambiguous { value: d, other: g }
            }),
            _ => None,
        }
    } else {
        // One separator not followed by exactly three digits: a decimal point.
        value(head, None, Some(tail), sign).map(Reading::Value)
    }
}

/// A number with both separators: the last one is the decimal separator, the other groups
/// thousands.
fn both_separators(s: &str, sign: f64) -> Option<Reading> {
    let last_dot = s.rfind('.').expect("dot");
    let last_comma = s.rfind(',').expect("comma");
    let (dec, group) = if last_comma > last_dot {
        (',', '.')
    } else {
        ('.', ',')
    };
    if s.matches(dec).count() != 1 {
        None
    } else {
        let (head, tail) = s.split_once(dec).expect("decimal separator");
        value(head, Some(group), Some(tail), sign).map(Reading::Value)
    }
}

/// "1.234.567" with `sep` '.' → "1234567", if every group after the first has 3 digits.
fn grouped(s: &str, sep: char) -> Option<String> {
    let groups: Vec<&str> = s.split(sep).collect();
    let first = groups.first()?;
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if groups[1..]
        .iter()
        .any(|g| g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vi_vn_form_uses_dot_for_thousands_and_comma_for_decimals() {
        assert_eq!(read_number("1.234,5"), Reading::Value(1234.5));
        assert_eq!(read_number("1.234.567"), Reading::Value(1_234_567.0));
        assert_eq!(read_number("12,5"), Reading::Value(12.5));
        assert_eq!(read_number("1.234.567,89"), Reading::Value(1_234_567.89));
    }

    #[test]
    fn english_form_uses_comma_for_thousands_and_dot_for_decimals() {
        assert_eq!(read_number("1,234.5"), Reading::Value(1234.5));
        assert_eq!(read_number("1,234,567"), Reading::Value(1_234_567.0));
        assert_eq!(read_number("1234.5"), Reading::Value(1234.5));
        assert_eq!(read_number("0.125"), Reading::Value(0.125));
    }

    #[test]
    fn a_lone_group_of_three_is_ambiguous_and_read_the_vietnamese_way() {
        assert_eq!(
            read_number("1.234"),
            Reading::Ambiguous {
                value: 1234.0,
                other: 1.234
            }
        );
        assert_eq!(
            read_number("1,234"),
            Reading::Ambiguous {
                value: 1.234,
                other: 1234.0
            }
        );
    }

    #[test]
    fn percent_signs_spaces_and_signs() {
        assert_eq!(read_number("12,5%"), Reading::Value(12.5));
        assert_eq!(read_number(" 98 % "), Reading::Value(98.0));
        assert_eq!(read_number("1 234 567"), Reading::Value(1_234_567.0));
        assert_eq!(read_number("-12,5"), Reading::Value(-12.5));
        assert_eq!(read_number("(3)"), Reading::Value(-3.0));
        assert_eq!(read_number("0"), Reading::Value(0.0));
    }

    #[test]
    fn malformed_text_is_invalid() {
        for bad in [
            "1.234.5",
            "1,23,4",
            "abc",
            "12a",
            "1.2.3,4,5",
            "",
            "%",
            ",5.",
            "1..2",
            "12 ha",
        ] {
            assert_eq!(read_number(bad), Reading::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn a_number_too_large_for_a_double_is_not_a_number() {
        let huge = format!("1{}", "0".repeat(400));
        assert_eq!(read_number(&huge), Reading::Invalid);
        assert_eq!(read_number("1e309"), Reading::Invalid);
    }
}
