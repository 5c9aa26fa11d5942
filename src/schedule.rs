//! Report calendar: turns a regime's cutoff and deadline rules into dates.
//!
//! Owns working-day arithmetic and the holiday data (built-in years plus the config root's
//! `calendar.toml`). Knows nothing about files or indicators; callers pass rules and a
//! `Period` and get a `Window` or a deadline date.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

use crate::period::{Frequency, Period};

/// Official days off shipped with baocao, one table per year with its source.
const BUILTIN_HOLIDAYS: &str = include_str!("data/holidays.toml");

/// Data cutoff rule (thời gian chốt số liệu), a property of the regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CutoffRule {
    /// Decree 09 Art. 12: 15th of the month before the period → 14th of its last month.
    Nd09,
    /// Statistical periods: 1st of the first month → last day of the last month.
    Calendar,
    /// An explicit cutoff day D: day D+1 of the month before → day D of the last month.
    Day { day: u32 },
}

impl CutoffRule {
    /// Checks the rule's own numbers; returns a Vietnamese reason when they are wrong.
    pub fn check(&self) -> Result<(), String> {
        match *self {
            CutoffRule::Day { day } if !(1..=27).contains(&day) => Err(format!(
                "ngày chốt số liệu {day} không hợp lệ: phải từ 1 đến 27 (dùng rule = \"calendar\" cho kỳ theo tháng dương lịch)"
            )),
            _ => Ok(()),
        }
    }

    /// The cutoff window of `period`.
    pub fn window(&self, period: Period) -> Window {
        let (first, last) = period.month_span();
        let year = period.year();
        match *self {
            CutoffRule::Calendar => Window {
                from: ymd(year, first, 1),
                to: last_day_of_month(year, last),
            },
            CutoffRule::Nd09 => CutoffRule::Day { day: 14 }.window(period),
            CutoffRule::Day { day } => {
                let (py, pm) = if first == 1 {
                    (year - 1, 12)
                } else {
                    (year, first - 1)
                };
                Window {
                    from: ymd(py, pm, day + 1),
                    to: ymd(year, last, day),
                }
            }
        }
    }
}

/// A closed date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Deadline rule (thời hạn gửi), chosen per regime and reporting level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DeadlineRule {
    /// The N-th working day after the cutoff end (the end day itself is not counted).
    WorkingDays { days: u32 },
    /// N calendar days after the cutoff end; moved to the next working day if that is a day off.
    CalendarDays { days: u32 },
    /// Day D of the period's last month (plus `month_offset` months); moved to the next
    /// working day if that is a day off. Day 31 in a 30-day month is its last day.
    DayOfMonth {
        day: u32,
        #[serde(default)]
        month_offset: u32,
    },
}

impl DeadlineRule {
    pub fn check(&self) -> Result<(), String> {
        match *self {
            DeadlineRule::WorkingDays { days: 0 } => {
                Err("số ngày làm việc phải lớn hơn 0".to_string())
            }
            DeadlineRule::DayOfMonth { day, .. } if !(1..=31).contains(&day) => {
                Err(format!("ngày {day} không hợp lệ: phải từ 1 đến 31"))
            }
            DeadlineRule::DayOfMonth { month_offset, .. } if month_offset > 12 => Err(format!(
                "month_offset = {month_offset} quá lớn: tối đa 12 tháng"
            )),
            _ => Ok(()),
        }
    }

    /// The deadline of `period` whose cutoff window is `window`.
    pub fn deadline(&self, period: Period, window: Window, cal: &WorkCalendar) -> NaiveDate {
        match *self {
            DeadlineRule::WorkingDays { days } => cal.add_working_days(window.to, days),
            DeadlineRule::CalendarDays { days } => {
                cal.next_working_day_from(window.to + Days::new(u64::from(days)))
            }
            DeadlineRule::DayOfMonth { day, month_offset } => {
                let (_, last) = period.month_span();
                let months = period.year() * 12 + (last as i32 - 1) + month_offset as i32;
                let (y, m) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
                let d = day.min(last_day_of_month(y, m).day());
                cal.next_working_day_from(ymd(y, m, d))
            }
        }
    }
}

/// One entry of a holiday table: a day or a range of days off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayEntry {
    #[serde(default, deserialize_with = "toml_date::optional")]
    pub date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "toml_date::optional")]
    pub from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "toml_date::optional")]
    pub to: Option<NaiveDate>,
    pub name: String,
}

/// A make-up working day (ngày làm bù).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkdayEntry {
    #[serde(deserialize_with = "toml_date::required")]
    pub date: NaiveDate,
    pub name: String,
}

/// The shape of `calendar.toml` in a config root.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFile {
    #[serde(default)]
    pub holiday: Vec<HolidayEntry>,
    #[serde(default)]
    pub workday: Vec<WorkdayEntry>,
}

#[derive(Debug, Deserialize)]
struct BuiltinYear {
    year: i32,
    source: String,
    #[serde(default)]
    holiday: Vec<HolidayEntry>,
    #[serde(default)]
    workday: Vec<WorkdayEntry>,
}

#[derive(Debug, Deserialize)]
struct BuiltinFile {
    year: Vec<BuiltinYear>,
}

/// Working-day calendar: weekends, days off and make-up working days.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeMap<NaiveDate, String>,
    /// Years covered by official data, with their source.
    sources: BTreeMap<i32, String>,
}

impl HolidayEntry {
    /// The days of this entry, or a Vietnamese reason why it is malformed.
    pub fn days(&self) -> Result<Vec<NaiveDate>, String> {
        let (from, to) = match (self.date, self.from, self.to) {
            (Some(d), None, None) => (d, d),
            (None, Some(f), Some(t)) => (f, t),
            (None, Some(f), None) => (f, f),
            _ => {
                return Err(
                    "cần \"date\" (một ngày) hoặc \"from\" và \"to\" (một khoảng ngày)".to_string(),
                )
            }
        };
        if to < from {
            return Err(format!("\"to\" ({to}) đứng trước \"from\" ({from})"));
        }
        if (to - from).num_days() > 31 {
            return Err(format!("khoảng nghỉ {from} → {to} dài hơn 31 ngày"));
        }
        Ok(from.iter_days().take_while(|d| *d <= to).collect())
    }
}

impl WorkCalendar {
    /// The built-in official days off (2024–2027).
    pub fn builtin() -> WorkCalendar {
        let file: BuiltinFile =
            toml::from_str(BUILTIN_HOLIDAYS).expect("built-in holiday data is valid TOML");
        let mut cal = WorkCalendar::default();
        for y in file.year {
            for h in &y.holiday {
                for d in h.days().expect("built-in holiday entries are valid") {
                    cal.holidays.insert(d, h.name.clone());
                }
            }
            for w in &y.workday {
                cal.workdays.insert(w.date, w.name.clone());
            }
            cal.sources.insert(y.year, y.source);
        }
        cal
    }

    /// Adds a config root's `calendar.toml` on top of this calendar. Entries that are
    /// malformed are returned as (index, reason) and skipped.
    pub fn extend(&mut self, file: &CalendarFile) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (i, h) in file.holiday.iter().enumerate() {
            match h.days() {
                Ok(days) => {
                    for d in days {
                        self.holidays.insert(d, h.name.clone());
                        self.workdays.remove(&d);
                    }
                }
                Err(reason) => problems.push((format!("[[holiday]] thứ {}", i + 1), reason)),
            }
        }
        for w in &file.workday {
            self.workdays.insert(w.date, w.name.clone());
        }
        problems
    }

    /// Source of the official data for `year`, if baocao ships it.
    pub fn source_of(&self, year: i32) -> Option<&str> {
        self.sources.get(&year).map(String::as_str)
    }

    /// Years with official data.
    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.sources.keys().copied()
    }

    /// Name of the day off on `date`, if it is a holiday (not merely a weekend).
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains_key(&date) {
            return true;
        }
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        if self.holidays.contains_key(&date) {
            return false;
        }
        // Outside the years with official data, the fixed solar-calendar holidays of
        // Bộ luật Lao động 2019 Art. 112 still apply.
        if !self.sources.contains_key(&date.year()) {
            let md = (date.month(), date.day());
            if matches!(md, (1, 1) | (4, 30) | (5, 1) | (9, 2)) {
                return false;
            }
        }
        true
    }

    /// `date` itself if it is a working day, else the next working day (BLDS 2015 Art. 148.5).
    pub fn next_working_day_from(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            d = d.succ_opt().expect("date in range");
        }
        d
    }

    /// The `n`-th working day after `start`; `start` itself is not counted (BLDS Art. 147).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().expect("date in range");
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in the half-open range (`after`, `until`].
    pub fn working_days_between(&self, after: NaiveDate, until: NaiveDate) -> u32 {
        after
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= until)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

/// Serde helpers for dates written as TOML dates (`2026-02-14`) or as strings.
pub mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    fn convert<E: serde::de::Error>(raw: Raw) -> Result<NaiveDate, E> {
        match raw {
            Raw::Toml(dt) => {
                let d = dt
                    .date
                    .ok_or_else(|| E::custom(format!("\"{dt}\" không phải là ngày")))?;
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| E::custom(format!("ngày {dt} không tồn tại")))
            }
            Raw::Text(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| E::custom(format!("ngày \"{s}\" không hợp lệ: viết dạng 2026-02-14"))),
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        convert(Raw::deserialize(d)?)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<Raw>::deserialize(d)? {
            Some(raw) => convert(raw).map(Some),
            None => Ok(None),
        }
    }
}

/// A date from parts known to be valid.
pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid calendar date")
}

/// The last day of the last month `p` spans: the day a unit must be in being to have it.
pub fn last_day_of(p: Period) -> NaiveDate {
    last_day_of_month(p.year(), p.month_span().1)
}

pub fn last_day_of_month(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1).pred_opt().expect("date in range")
}

/// The periods of `year` for the given frequencies, in calendar order of their end.
pub fn periods_of_year(year: i32, frequencies: &[Frequency]) -> Vec<Period> {
    let mut out = Vec::new();
    for f in Frequency::ALL {
        if frequencies.contains(&f) {
            out.extend(f.periods_of_year(year));
        }
    }
    out
}

/// Formats a date the Vietnamese way: 16/10/2026.
pub fn vn_date(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// A date typed as text: 15/10/2026, 5/1/2026, 15-10-2026, 15.10.2026, 2026-10-15.
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    for f in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn win(from: &str, to: &str) -> Window {
        Window {
            from: d(from),
            to: d(to),
        }
    }

    #[test]
    fn monthly_cutoff_starts_on_15th_of_previous_month() {
        assert_eq!(
            CutoffRule::Nd09.window(p("2026-10")),
            win("2026-09-15", "2026-10-14")
        );
    }

    #[test]
    fn january_cutoff_starts_in_the_previous_year() {
        assert_eq!(
            CutoffRule::Nd09.window(p("2026-01")),
            win("2025-12-15", "2026-01-14")
        );
    }

    #[test]
    fn nd09_windows_for_quarter_half_nine_months_and_year() {
        let r = CutoffRule::Nd09;
        assert_eq!(r.window(p("2026-Q1")), win("2025-12-15", "2026-03-14"));
        assert_eq!(r.window(p("2026-Q3")), win("2026-06-15", "2026-09-14"));
        assert_eq!(r.window(p("2026-H1")), win("2025-12-15", "2026-06-14"));
        assert_eq!(r.window(p("2026-H2")), win("2026-06-15", "2026-12-14"));
        assert_eq!(r.window(p("2026-9M")), win("2025-12-15", "2026-09-14"));
        assert_eq!(r.window(p("2026")), win("2025-12-15", "2026-12-14"));
    }

    #[test]
    fn calendar_cutoff_covers_whole_months() {
        let r = CutoffRule::Calendar;
        assert_eq!(r.window(p("2026-02")), win("2026-02-01", "2026-02-28"));
        assert_eq!(r.window(p("2024-02")), win("2024-02-01", "2024-02-29"));
        assert_eq!(r.window(p("2026-Q4")), win("2026-10-01", "2026-12-31"));
        assert_eq!(r.window(p("2026-H1")), win("2026-01-01", "2026-06-30"));
        assert_eq!(r.window(p("2026")), win("2026-01-01", "2026-12-31"));
    }

    #[test]
    fn custom_cutoff_day_25_for_social_insurance() {
        let r = CutoffRule::Day { day: 25 };
        assert_eq!(r.window(p("2026-03")), win("2026-02-26", "2026-03-25"));
        assert_eq!(r.window(p("2026-01")), win("2025-12-26", "2026-01-25"));
        assert!(CutoffRule::Day { day: 30 }.check().is_err());
        assert!(CutoffRule::Day { day: 0 }.check().is_err());
    }

    #[test]
    fn tet_2026_is_nine_days_off() {
        let cal = WorkCalendar::builtin();
        // Friday 13/02/2026 is a working day; Saturday 14 → Sunday 22 are off.
        assert!(cal.is_working_day(d("2026-02-13")));
        for day in 14..=22 {
            assert!(!cal.is_working_day(ymd(2026, 2, day)), "{day}/02/2026");
        }
        assert!(cal.is_working_day(d("2026-02-23")));
        assert_eq!(cal.holiday_name(d("2026-02-17")), Some("Tết Nguyên đán"));
    }

    #[test]
    fn two_working_days_after_cutoff_skip_the_weekend() {
        let cal = WorkCalendar::builtin();
        // Cutoff end Wed 14/10/2026 → Thu 15 (1), Fri 16 (2).
        let rule = DeadlineRule::WorkingDays { days: 2 };
        let period = p("2026-10");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-10-16"));
        // Cutoff end Fri 14/08/2026 → Mon 17 (1), Tue 18 (2).
        let period = p("2026-08");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-08-18"));
    }

    #[test]
    fn working_days_skip_tet_2026() {
        let cal = WorkCalendar::builtin();
        // Cutoff end Sat 14/02/2026, Tết until Sun 22/02 → Mon 23 (1), Tue 24 (2).
        let period = p("2026-02");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(w.to, d("2026-02-14"));
        let rule = DeadlineRule::WorkingDays { days: 2 };
        assert_eq!(rule.deadline(period, w, &cal), d("2026-02-24"));
    }

    #[test]
    fn holiday_on_a_weekend_gets_a_compensatory_day() {
        let cal = WorkCalendar::builtin();
        // Giỗ Tổ Hùng Vương 2026 (10/3 âm lịch) falls on Sunday 26/04; Monday 27/04 is off.
        assert!(!cal.is_working_day(d("2026-04-26")));
        assert!(!cal.is_working_day(d("2026-04-27")));
        assert!(cal.is_working_day(d("2026-04-28")));
        // Cutoff end Tue 14/04/2026: not affected. Period 2026-04 deadline stays Thu 16/04.
        let period = p("2026-04");
        let w = CutoffRule::Nd09.window(period);
        let rule = DeadlineRule::WorkingDays { days: 2 };
        assert_eq!(rule.deadline(period, w, &cal), d("2026-04-16"));
    }

    #[test]
    fn a_make_up_saturday_counts_as_a_working_day() {
        let mut cal = WorkCalendar::builtin();
        // 2024: civil servants worked Saturday 04/05 in exchange for Monday 29/04.
        assert!(cal.is_working_day(d("2024-05-04")));
        assert!(!cal.is_working_day(d("2024-04-29")));
        // A config root may add its own: Saturday 2026-10-17 made a working day.
        let file: CalendarFile =
            toml::from_str("[[workday]]\ndate = 2026-10-17\nname = \"Làm bù\"\n").unwrap();
        assert!(cal.extend(&file).is_empty());
        // Cutoff end Thu 15/10 (custom day 15) → Fri 16 (1), Sat 17 made a working day (2).
        let rule = DeadlineRule::WorkingDays { days: 2 };
        let period = p("2026-10");
        let w = CutoffRule::Day { day: 15 }.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-10-17"));
    }

    #[test]
    fn calendar_toml_adds_holidays_without_repeating_builtin_data() {
        let mut cal = WorkCalendar::builtin();
        let file: CalendarFile = toml::from_str(
            "[[holiday]]\nfrom = 2026-11-23\nto = 2026-11-24\nname = \"Nghỉ địa phương\"\n\
             [[holiday]]\ndate = 2026-11-25\nname = \"Một ngày\"\n",
        )
        .unwrap();
        assert!(cal.extend(&file).is_empty());
        assert!(!cal.is_working_day(d("2026-11-23")));
        assert!(!cal.is_working_day(d("2026-11-24")));
        assert!(!cal.is_working_day(d("2026-11-25")));
        // The built-in Tết is still there.
        assert!(!cal.is_working_day(d("2026-02-18")));
    }

    #[test]
    fn malformed_calendar_entries_are_reported() {
        let mut cal = WorkCalendar::builtin();
        let file: CalendarFile = toml::from_str(
            "[[holiday]]\nfrom = 2026-11-24\nto = 2026-11-20\nname = \"Ngược\"\n\
             [[holiday]]\nname = \"Không ngày\"\n",
        )
        .unwrap();
        let problems = cal.extend(&file);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, "[[holiday]] thứ 1");
        assert_eq!(problems[1].0, "[[holiday]] thứ 2");
    }

    #[test]
    fn day_of_month_deadline_moves_off_a_weekend() {
        let cal = WorkCalendar::builtin();
        let rule = DeadlineRule::DayOfMonth {
            day: 20,
            month_offset: 0,
        };
        // 20/10/2026 is a Tuesday.
        let period = p("2026-10");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-10-20"));
        // 20/09/2026 is a Sunday → Monday 21/09.
        let period = p("2026-Q3");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-09-21"));
        // 20/12/2026 is a Sunday → Monday 21/12 for the year.
        let period = p("2026");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-12-21"));
    }

    #[test]
    fn fixed_date_in_the_following_month() {
        let cal = WorkCalendar::builtin();
        // Half-year report due 10 July; yearly report due 10 January of the next year.
        let rule = DeadlineRule::DayOfMonth {
            day: 10,
            month_offset: 1,
        };
        let h1 = p("2026-H1");
        assert_eq!(
            rule.deadline(h1, CutoffRule::Nd09.window(h1), &cal),
            d("2026-07-10")
        );
        let y = p("2026");
        // 10/01/2027 is a Sunday → Monday 11/01/2027.
        assert_eq!(
            rule.deadline(y, CutoffRule::Nd09.window(y), &cal),
            d("2027-01-11")
        );
        // Day 31 in a 30-day month is its last day: 30/11/2026 (Monday).
        let rule = DeadlineRule::DayOfMonth {
            day: 31,
            month_offset: 1,
        };
        let oct = p("2026-10");
        assert_eq!(
            rule.deadline(oct, CutoffRule::Nd09.window(oct), &cal),
            d("2026-11-30")
        );
    }

    #[test]
    fn calendar_days_after_cutoff_then_next_working_day() {
        let cal = WorkCalendar::builtin();
        let rule = DeadlineRule::CalendarDays { days: 3 };
        // Cutoff end Wed 14/10/2026 + 3 = Sat 17/10 → Mon 19/10.
        let period = p("2026-10");
        let w = CutoffRule::Nd09.window(period);
        assert_eq!(rule.deadline(period, w, &cal), d("2026-10-19"));
    }

    #[test]
    fn national_day_2025_and_new_year_2027() {
        let cal = WorkCalendar::builtin();
        assert!(!cal.is_working_day(d("2025-09-01")));
        assert!(!cal.is_working_day(d("2025-09-02")));
        assert!(cal.is_working_day(d("2025-09-03")));
        assert!(!cal.is_working_day(d("2027-01-01")));
        // Outside the data, the fixed solar holidays still apply.
        assert!(!cal.is_working_day(d("2030-04-30")));
    }

    #[test]
    fn working_days_between_excludes_the_start() {
        let cal = WorkCalendar::builtin();
        assert_eq!(
            cal.working_days_between(d("2026-10-14"), d("2026-10-16")),
            2
        );
        assert_eq!(
            cal.working_days_between(d("2026-10-16"), d("2026-10-18")),
            0
        );
    }
}
