//! Text normalization for matching: NFC first, then (only as a fallback) a folded form that
//! ignores case and diacritics. Owns nothing else.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// NFC-normalized, trimmed, inner whitespace collapsed to single spaces.
pub fn nfc(s: &str) -> String {
    // Most text is already NFC (what Excel writes): then only the spaces change.
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        return collapse_whitespace(s.chars(), s.len());
    }
    let n: String = s.nfc().collect();
    collapse_whitespace(n.chars(), n.len())
}

/// `chars` trimmed, each run of whitespace inside made one space.
fn collapse_whitespace(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = Collapsed::with_capacity(len);
    chars.for_each(|c| out.push(c));
    out.text
}

/// Case- and diacritic-insensitive form: "Đặc khu Hòn Ngọc" → "dac khu hon ngoc".
///
/// Each character is decomposed on its own (NFD without the reordering of marks, which are
/// all dropped anyway), so nothing is buffered; whitespace is collapsed on the way (every
/// label of every file read is folded: one pass, one allocation).
pub fn fold(s: &str) -> String {
    let mut out = Collapsed::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        decompose_canonical(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            match d {
                'đ' | 'Đ' => out.push('d'),
                d => d.to_lowercase().for_each(|l| out.push(l)),
            }
        });
    }
    out.text
}

/// Text built as `collapse_whitespace` makes it, a character at a time.
struct Collapsed {
    text: String,
    space: bool,
}

impl Collapsed {
    fn with_capacity(len: usize) -> Collapsed {
        Collapsed {
            text: String::with_capacity(len),
            space: false,
        }
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.space = !self.text.is_empty();
        } else {
            if self.space {
                self.text.push(' ');
                self.space = false;
            }
            self.text.push(c);
        }
    }
}

/// A file-name slug: folded, with every run of other characters turned into one '-'.
/// "Xã Phước An" → "xa-phuoc-an".
/// Whether folded text (`fold`) holds a date line, "…, ngày 20 tháng 10 năm 2026" or
/// "ngày 05 tháng 01 năm 2027": the date of a document as Nghị định 30/2020/NĐ-CP (Phụ lục I)
/// writes it, a day below 10 and the months 1 and 2 with a leading zero ("ngày 20 tháng 3 năm
/// 2027" otherwise).
pub fn date_words(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (day, month) = (d.day(), d.month());
    let month = if month <= 2 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("ngày {day:02} tháng {month} năm {}", d.year())
}

/// "ngày … tháng … năm …": "ngay", "thang" and "nam" in that order with only a number, dots or
/// blanks between them and after — not a label that happens to hold the three words ("số ngày
/// công trong tháng của lao động nam", "ngày tháng năm sinh").
pub fn has_date_line(folded: &str) -> bool {
    let filler = |s: &str| {
        s.chars().all(|c| {
            c.is_ascii_digit() || c.is_whitespace() || matches!(c, '.' | '…' | '_' | '/' | '-')
        })
    };
    let words = |s: &str, w: &str| {
        let mut at = 0;
        std::iter::from_fn(move || {
            let i = s[at..].find(w)? + at;
            at = i + w.len();
            Some(i)
        })
        .filter(|&i| {
            let before = s[..i].chars().next_back();
            let after = s[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphabetic)
        })
        .collect::<Vec<usize>>()
    };
    words(folded, "ngay").into_iter().any(|d| {
        let rest = &folded[d + 4..];
        words(rest, "thang").into_iter().any(|m| {
            filler(&rest[..m]) && {
                let tail = &rest[m + 5..];
                words(tail, "nam").first().is_some_and(|&y| {
                    filler(&tail[..y]) && tail[y + 3..].chars().all(|c| !c.is_alphabetic())
                })
            }
        })
    })
}

pub fn slug(s: &str) -> String {
    let f = fold(s);
    let mut out = String::new();
    for c in f.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A number the vi-VN way: "." between thousands, "," before decimals: 1234.5 → "1.234,5".
/// At most `decimals` decimal places; trailing zeros are dropped.
pub fn fmt_vn(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let neg = v < 0.0 && (grouped.chars().any(|c| c != '0' && c != '.') || !frac.is_empty());
    let sign = if neg { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// Like `fmt_vn` but always with exactly `decimals` places: 113.0 → "113,0".
pub fn fmt_vn_fixed(v: f64, decimals: usize) -> String {
    let s = fmt_vn(v, decimals);
    if decimals == 0 {
        return s;
    }
    let (int, frac) = s.split_once(',').unwrap_or((&s, ""));
    format!("{int},{frac:0<decimals$}")
}

/// The first letter raised, the rest kept.
pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The first letter lowered, the rest kept: "quý III năm 2026" from "Quý III năm 2026" (a
/// whole-text lowercase would also lower a Roman numeral).
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_date_has_a_leading_zero_below_day_10_and_in_january_and_february() {
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date_words(d(2027, 1, 20)), "ngày 20 tháng 01 năm 2027");
        assert_eq!(date_words(d(2027, 2, 5)), "ngày 05 tháng 02 năm 2027");
        assert_eq!(date_words(d(2026, 3, 9)), "ngày 09 tháng 3 năm 2026");
        assert_eq!(date_words(d(2026, 12, 31)), "ngày 31 tháng 12 năm 2026");
        // Read back as the footer of a filled form is.
        assert!(has_date_line(&fold(&date_words(d(2027, 1, 5)))));
    }

    #[test]
    fn a_date_line_is_told_from_a_label_with_the_same_words() {
        for line in [
            "An Lạc, ngày 20 tháng 10 năm 2026",
            "..., ngày ... tháng ... năm ...",
            "Ngày    tháng    năm 2026",
            "Hà Nội, ngày 05/ tháng 01 / năm 2027",
        ] {
            assert!(has_date_line(&fold(line)), "{line}");
        }
        for label in [
            "Số ngày công trong tháng của lao động nam",
            "Số ngày nghỉ bình quân một tháng, nam giới",
            "Tổng số ngày điều trị trong tháng (năm nay)",
            "Ngày tháng năm sinh",
            "Số tháng, năm",
        ] {
            assert!(!has_date_line(&fold(label)), "{label}");
        }
    }

    /// `fold` as it was before it collapsed whitespace on the way: letters, then collapsed.
    fn fold_in_two_passes(s: &str) -> String {
        let mut letters = String::new();
        for c in s.chars() {
            if c.is_ascii() {
                letters.push(c.to_ascii_lowercase());
                continue;
            }
            decompose_canonical(c, |d| {
                if is_combining_mark(d) {
                    return;
                }
                match d {
                    'đ' | 'Đ' => letters.push('d'),
                    d => letters.extend(d.to_lowercase()),
                }
            });
        }
        collapse_whitespace(letters.chars(), letters.len())
    }

    #[test]
    fn fold_in_one_pass_is_fold_in_two() {
        for s in [
            "",
            "   ",
            "Đặc khu Hòn Ngọc",
            "  Số hồ sơ\u{a0}\u{a0}tiếp nhận \t\n trực tuyến ",
            "\u{3000}Ủy ban\u{2003}nhân dân\u{3000}",
            "İstanbul ǅ ǈ ẞ Σ",
            "e\u{301}\u{302} NFD ",
            "Tỷ lệ (%)\r\n",
        ] {
            assert_eq!(fold(s), fold_in_two_passes(s), "{s:?}");
        }
    }

    #[test]
    fn nfc_joins_decomposed_vietnamese() {
        // "ế" written as e + circumflex + acute (NFD) equals the precomposed form.
        let decomposed = "Kinh te\u{302}\u{301}";
        assert_eq!(nfc(decomposed), "Kinh tế");
        assert_eq!(nfc("  Thu   ngân sách "), "Thu ngân sách");
    }

    #[test]
    fn fold_drops_case_and_diacritics() {
        assert_eq!(fold("Đặc khu Hòn Ngọc"), "dac khu hon ngoc");
        assert_eq!(fold("THỰC HIỆN kỳ báo cáo"), "thuc hien ky bao cao");
        // Decomposed input (marks in any order), other whitespace, and the spaces around.
        assert_eq!(fold(" Ke\u{302}\u{301}\tHOA\u{323}\u{300}CH  "), "ke hoach");
        assert_eq!(fold("ĐƯỜNG Ở ĐÂU"), "duong o dau");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn nfc_of_text_already_composed_only_collapses_spaces() {
        assert_eq!(nfc("\tĐơn vị\u{a0} báo cáo:\n"), "Đơn vị báo cáo:");
        assert_eq!(nfc("   "), "");
    }

    #[test]
    fn vietnamese_number_formatting() {
        assert_eq!(fmt_vn(1234.5, 2), "1.234,5");
        assert_eq!(fmt_vn(1_234_567.0, 0), "1.234.567");
        assert_eq!(fmt_vn(-12.345, 2), "-12,35");
        assert_eq!(fmt_vn(0.0, 2), "0");
        assert_eq!(fmt_vn(999.0, 1), "999");
        assert_eq!(fmt_vn_fixed(113.0, 1), "113,0");
        assert_eq!(fmt_vn_fixed(1523.76, 2), "1.523,76");
    }

    #[test]
    fn slug_for_file_names() {
        assert_eq!(slug("Xã Phước An"), "xa-phuoc-an");
        assert_eq!(
            slug("Sở Văn hóa, Thể thao và Du lịch"),
            "so-van-hoa-the-thao-va-du-lich"
        );
    }
}
