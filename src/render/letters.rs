//! Reminder letters (công văn nhắc, đôn đốc gửi báo cáo), in the administrative layout of
//! Nghị định 30/2020: from the receiver to the units of one level that have not sent a
//! period's report — "nhắc" from `remind_days` before their deadline, "đôn đốc" after it. Each
//! names the units, the report and its form, the period and the deadline. Written by
//! `due --letters DIR` as `<regime>-<period>-<level>-<nhac|don-doc>.docx`.

use chrono::NaiveDate;

use crate::catalog::Config;
use crate::due::DueRow;
use crate::period::Period;
use crate::schedule::vn_date;

/// Before the deadline, or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nhắc: the deadline is near.
    Remind,
    /// Đôn đốc: the deadline has passed.
    Urge,
}

impl Kind {
    /// The word of the letter's summary: "nhắc", "đôn đốc".
    pub fn word(self) -> &'static str {
        match self {
            Kind::Remind => "nhắc",
            Kind::Urge => "đôn đốc",
        }
    }

    /// The file name's part: "nhac", "don-doc".
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Remind => "nhac",
            Kind::Urge => "don-doc",
        }
    }
}

/// A unit the letter goes to: code, name, and whether its report was returned (sent, but
/// refused, and not sent again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub code: String,
    pub name: String,
    pub returned: bool,
}

/// One letter: to the units of one level that have not sent one period's report.
#[derive(Debug, Clone)]
pub struct Letter {
    pub kind: Kind,
    pub regime: String,
    pub period: Period,
    pub level: String,
    pub deadline: NaiveDate,
    pub today: NaiveDate,
    pub units: Vec<Addressee>,
    /// The whole text, ready for the document.
    narrative: super::narrative::Narrative,
}

impl Letter {
    /// `<regime>-<period>-<level>-<nhac|don-doc>.docx`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}-{}.docx",
            self.regime,
            self.period.code(),
            self.level,
            self.kind.slug()
        )
    }

    /// The letter as a docx, dated the day it is written.
    pub fn docx(&self) -> Result<Vec<u8>, String> {
        super::docx::narrative_docx(&self.narrative, self.today)
    }

    /// The letter's body (Markdown), for a message that carries it.
    /// The sent-log key of this letter to `unit` (`mail::send::SentLog`): each unit gets one
    /// reminder and one urging letter per period, however many mornings the cron writes them.
    pub fn key(&self, unit: &str) -> String {
        format!(
            "cong-van|{}|{}|{}|{}|{unit}",
            self.regime,
            self.period.code(),
            self.level,
            self.kind.slug()
        )
    }

    pub fn body(&self) -> &str {
        &self.narrative.body
    }

    /// "V/v đôn đốc gửi …", the letter's summary.
    pub fn subject(&self) -> &str {
        self.narrative.letterhead.subject.as_deref().unwrap_or("")
    }
}

/// The letters of the due rows that list units not sent (`due --inbox`): a reminder where
/// the deadline is `remind_days` away or less, an urging letter where it has passed.
pub fn letters(config: &Config, rows: &[DueRow], today: NaiveDate) -> Vec<Letter> {
    rows.iter()
        .filter_map(|row| letter(config, row, today))
        .collect()
}

fn letter(config: &Config, row: &DueRow, today: NaiveDate) -> Option<Letter> {
    let regime = config.regime(&row.regime)?;
    let kind = if row.deadline < today {
        Kind::Urge
    } else if (row.deadline - today).num_days() <= i64::from(regime.remind_days) {
        Kind::Remind
    } else {
        return None;
    };
    let period: Period = row.period.parse().ok()?;
    let name = |code: &String| {
        config
            .units
            .get(code)
            .map_or_else(|| code.clone(), |u| u.name.clone())
    };
    let mut units: Vec<Addressee> = Vec::new();
    for (codes, returned) in [(&row.missing, false), (&row.rejected, true)] {
        for code in codes.iter().flatten() {
            units.push(Addressee {
                code: code.clone(),
                name: name(code),
                returned,
            });
        }
    }
    if units.is_empty() {
        return None;
    }
    let receiver = config.units.get(&regime.receiver)?;
    let agency = receiver.agency_name().to_string();
    let place = receiver
        .place
        .clone()
        .unwrap_or_else(|| receiver.name.clone());
    // "Báo cáo tình hình kinh tế - xã hội tháng 10 năm 2026": the regime's name says
    // "báo cáo" already, or is given it.
    let name = regime.name.trim();
    let report = match name.to_lowercase().starts_with("báo cáo") {
        true => format!("{name} {}", crate::text::lower_first(&period.label())),
        false => format!(
            "báo cáo {name} {}",
            crate::text::lower_first(&period.label())
        ),
    };
    let letterhead = super::narrative::Letterhead {
        agency: agency.to_uppercase(),
        number: format!(
            "Số:       /{}",
            regime.letter_symbol.as_deref().unwrap_or("VP")
        ),
        place_date: format!("{place}, {}", crate::text::date_words(today)),
        subject: Some(format!("V/v {} gửi {report}", kind.word())),
    };
    let body = body(kind, (row, today), &units, (&agency, &report), regime);
    let closing =
        super::narrative::Closing::of_agency(regime, receiver, vec!["Như trên".to_string()]);
    let narrative = super::narrative::Narrative {
        md: body.clone(),
        html: String::new(),
        letterhead,
        body,
        closing,
        title: format!("Công văn {} gửi {report}", kind.word()),
        form_table: None,
    };
    Some(Letter {
        kind,
        regime: regime.id.clone(),
        period,
        level: row.level.clone(),
        deadline: row.deadline,
        today,
        units,
        narrative,
    })
}

/// The letter's text: to whom, what was asked by when, who has not sent, what to do.
/// How the `i`th of `n` listed items ends: a semicolon, the last a full stop.
fn list_end(i: usize, n: usize) -> char {
    if i + 1 == n {
        '.'
    } else {
        ';'
    }
}

/// The most units a letter names after "Kính gửi:" one by one.
const ADDRESSED_BY_NAME: usize = 3;

fn body(
    kind: Kind,
    (row, today): (&DueRow, NaiveDate),
    units: &[Addressee],
    (agency, report): (&str, &str),
    regime: &crate::catalog::Regime,
) -> String {
    // Past a few units, the letter is addressed to those it lists (Nghị định 30's "có tên
    // tại danh sách"), so that it keeps to one page.
    let mut md = String::from("Kính gửi:");
    if units.len() > ADDRESSED_BY_NAME {
        md.push_str(" Các đơn vị có tên tại danh sách dưới đây.\n\n");
    } else {
        md.push_str("\n\n");
        for (i, u) in units.iter().enumerate() {
            let end = list_end(i, units.len());
            md.push_str(&format!("- {}{end}\n", super::md_text(&u.name)));
        }
        md.push('\n');
    }
    let form = match regime.form.number.trim() {
        "" => String::new(),
        n if n.to_lowercase().starts_with("biểu") => format!(" ({})", super::md_text(n)),
        n => format!(" (biểu số liệu {})", super::md_text(n)),
    };
    md.push_str(&format!(
        "Thực hiện {}, các đơn vị gửi {}{form} về {} chậm nhất ngày {}.\n\n",
        super::md_text(regime.legal_basis.trim_end_matches('.')),
        super::md_text(report),
        super::md_text(agency),
        vn_date(row.deadline)
    ));
    let what = match units.iter().any(|u| u.returned) {
        true => "chưa gửi báo cáo hoặc chưa gửi lại báo cáo đã sửa",
        false => "chưa gửi báo cáo",
    };
    md.push_str(&format!(
        "Đến ngày {}, {} đơn vị sau {what}:\n\n",
        vn_date(today),
        units.len()
    ));
    for (i, u) in units.iter().enumerate() {
        let returned = match u.returned {
            true => ": đã gửi nhưng báo cáo bị trả lại, chưa gửi lại bản đã sửa",
            false => "",
        };
        let end = list_end(i, units.len());
        md.push_str(&format!(
            "{}. {} ({}){returned}{end}\n",
            i + 1,
            super::md_text(&u.name),
            u.code
        ));
    }
    md.push('\n');
    let method = regime.method.trim().trim_end_matches('.');
    let how = match method {
        "" => String::new(),
        m => format!(" ({})", super::md_text(&crate::text::lower_first(m))),
    };
    md.push_str(&match kind {
        Kind::Remind => format!(
            "{} đề nghị các đơn vị hoàn thành và gửi báo cáo đúng thời hạn{how}.\n",
            super::md_text(agency)
        ),
        Kind::Urge => format!(
            "Thời hạn gửi đã qua. {} đề nghị các đơn vị khẩn trương hoàn thành và gửi báo cáo{how}; báo cáo gửi sau thời hạn được ghi nhận là gửi muộn.\n",
            super::md_text(agency)
        ),
    });
    md
}
