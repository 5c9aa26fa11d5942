//! Diagnostics: what is wrong with an input, where, and what the officer should do.
//!
//! Owns the stable codes, their severities and the `Diagnostic` value that every stage
//! produces. Every code is documented in `docs/diagnostics.md`; a test keeps the two in step.
//! Messages are Vietnamese and end with what to fix.

use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file (or the unit's report) cannot be accepted as it is.
    Blocking,
    /// Accepted, but the officer should look.
    Warning,
}

impl Severity {
    /// Vietnamese word used in tables and workbooks.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Blocking => "chặn",
            Severity::Warning => "cảnh báo",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal; )*) => {
        /// Stable diagnostic codes. Never renumber one: scripts and officers rely on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// A short Vietnamese title, as in `docs/diagnostics.md`.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }
        }
    };
}

codes! {
    FileUnreadable = "BC0101", Blocking, "Không mở được tệp";
    FileEmpty = "BC0102", Blocking, "Tệp rỗng";
    NoTable = "BC0103", Blocking, "Không tìm thấy bảng số liệu";
    UnsupportedFile = "BC0104", Warning, "Tệp không phải Excel hoặc CSV, bỏ qua";
    CsvHeader = "BC0105", Blocking, "Tiêu đề cột CSV không đúng";
    CsvRow = "BC0106", Blocking, "Dòng CSV không đọc được";
    NotARegularFile = "BC0107", Blocking, "Không phải tệp thông thường";
    OverLimit = "BC0108", Blocking, "Tệp vượt giới hạn đọc";
    XmlEntity = "BC0109", Blocking, "Tệp có khai báo hoặc tham chiếu thực thể XML";
    OutsideReadArea = "BC0110", Warning, "Ô ngoài vùng đọc bị bỏ qua";
    FormulaNoValue = "BC0201", Blocking, "Công thức chưa có giá trị";
    AmbiguousNumber = "BC0202", Warning, "Số viết có thể hiểu hai cách";
    InvalidNumber = "BC0203", Blocking, "Không phải là số hợp lệ";
    ErrorCell = "BC0204", Blocking, "Ô có lỗi công thức";
    UnknownRow = "BC0205", Warning, "Dòng không khớp chỉ tiêu nào";
    FuzzyNameMatch = "BC0206", Warning, "Khớp chỉ tiêu theo tên gần đúng";
    DuplicateRow = "BC0207", Blocking, "Chỉ tiêu xuất hiện hai lần";
    AnswerNormalized = "BC0208", Warning, "Câu trả lời viết khác danh sách, đã hiểu theo danh sách";
    UnknownAnswer = "BC0209", Blocking, "Câu trả lời không có trong danh sách";
    TextTooLong = "BC0210", Warning, "Ô chữ dài hơn độ dài cho phép";
    ListInvalid = "BC0211", Warning, "Ô của danh sách không hợp lệ, để trống";
    ListRequiredMissing = "BC0212", Warning, "Ô bắt buộc của danh sách để trống";
    ListDateOutsidePeriod = "BC0213", Warning, "Ngày trong danh sách ngoài kỳ báo cáo";
    ListNotFound = "BC0214", Warning, "Không tìm thấy danh sách";
    ListColumnMissing = "BC0215", Blocking, "Danh sách thiếu cột bắt buộc";
    ListsOnly = "BC0216", Warning, "Chỉ gửi danh sách, không có biểu số liệu";
    UnknownUnit = "BC0301", Blocking, "Đơn vị không có trong danh mục";
    UnitNotIdentified = "BC0302", Blocking, "Không xác định được đơn vị báo cáo";
    PeriodMismatch = "BC0303", Blocking, "Kỳ báo cáo không đúng";
    RegimeMismatch = "BC0304", Blocking, "Không phải biểu của chế độ báo cáo này";
    InferredIdentity = "BC0305", Warning, "Đơn vị/kỳ xác định từ tiêu đề hoặc tên tệp";
    NotAReporter = "BC0306", Blocking, "Đơn vị không thuộc đối tượng báo cáo";
    PeriodNotIdentified = "BC0307", Blocking, "Không xác định được kỳ báo cáo";
    ReplacedPeriod = "BC0308", Warning, "Báo cáo của kỳ đã được thay, nhận là báo cáo thay";
    FolderNotRead = "BC0309", Warning, "Thư mục nhận có tệp nhưng không lần chạy nào đọc";
    UnitNotInBeing = "BC0310", Blocking, "Đơn vị không hoạt động trong kỳ báo cáo";
    NotInteger = "BC0401", Blocking, "Chỉ tiêu phải là số nguyên";
    BelowMinimum = "BC0402", Blocking, "Giá trị nhỏ hơn mức cho phép";
    AboveMaximum = "BC0403", Blocking, "Giá trị lớn hơn mức cho phép";
    RequiredMissing = "BC0404", Blocking, "Thiếu chỉ tiêu bắt buộc";
    PartExceedsTotal = "BC0405", Blocking, "Số \"trong đó\" lớn hơn tổng";
    PartsDoNotAddUp = "BC0406", Blocking, "Tổng các phần không bằng tổng số";
    BreakdownMismatch = "BC0407", Warning, "Tổng số không bằng tổng các phân tổ";
    BreakdownExceedsTotal = "BC0408", Warning, "Các phân tổ cộng lại lớn hơn tổng số";
    TotalComputed = "BC0409", Warning, "Tổng số để trống, đã tính từ các phân tổ";
    Overflow = "BC0410", Warning, "Số tổng hợp vượt giới hạn, để trống";
    IfRule = "BC0411", Blocking, "Không thỏa điều kiện \"nếu … thì …\"";
    ListFigureMismatch = "BC0412", Warning, "Số trên biểu khác số đếm từ danh sách";
    Late = "BC0501", Warning, "Gửi sau thời hạn";
    ReceivedFromMtime = "BC0502", Warning, "Thời điểm nhận lấy từ ngày sửa tệp";
    ReceiptLogRow = "BC0503", Warning, "Dòng sổ nhận (nhan.csv) không đọc được";
    Missing = "BC0504", Blocking, "Đơn vị chưa gửi báo cáo đã quá hạn";
    SignedBeforeCutoff = "BC0505", Warning, "Ngày ký trên biểu trước ngày chốt số liệu, không dùng";
    DuplicateSubmission = "BC0601", Warning, "Đơn vị gửi nhiều lần cùng kỳ";
    RegisterColumns = "BC0701", Blocking, "Sổ nhiệm vụ thiếu cột bắt buộc";
    InvalidDate = "BC0702", Blocking, "Ngày không hợp lệ";
    UnknownLeadUnit = "BC0703", Blocking, "Đơn vị chủ trì không có trong danh mục";
    CompletedBeforeAssigned = "BC0704", Blocking, "Ngày hoàn thành trước ngày giao";
    LateWithoutExplanation = "BC0705", Warning, "Hoàn thành quá hạn chưa có giải trình";
    DuplicateTask = "BC0706", Blocking, "Mã nhiệm vụ trùng";
    TaskIncomplete = "BC0707", Blocking, "Thiếu mã hoặc nội dung nhiệm vụ";
    FuzzyUnitMatch = "BC0708", Warning, "Khớp đơn vị theo tên gần đúng";
    UnknownTask = "BC0709", Blocking, "Nhiệm vụ không có trong sổ theo dõi";
    NotOwnTask = "BC0710", Blocking, "Đơn vị cập nhật nhiệm vụ không do mình chủ trì";
    CompletedInFuture = "BC0711", Blocking, "Ngày hoàn thành sau ngày xét";
    ImportConflict = "BC0712", Warning, "Sổ và tệp nhập ghi khác nhau";
    YtdMismatch = "BC0801", Warning, "Lũy kế trên biểu khác lũy kế từ kho lịch sử";
    Outlier = "BC0802", Warning, "Số liệu khác thường so với lịch sử của đơn vị";
    CarryOverMismatch = "BC0803", Warning, "Số chuyển từ kỳ trước khác số tồn cuối kỳ trước";
    YtdIncomplete = "BC0804", Warning, "Lũy kế thiếu số của kỳ trước trong kho lịch sử";
    StockYtdMismatch = "BC0805", Warning, "Lũy kế của chỉ tiêu thời điểm khác số kỳ báo cáo";
    OutlierSkipped = "BC0806", Warning, "Chưa kiểm tra số liệu khác thường theo mùa vụ";
    PdfFailed = "BC0901", Warning, "Không chuyển được sang PDF";
    PdfUnavailable = "BC0902", Warning, "Không có LibreOffice để tạo PDF";
    FileTampered = "BC1001", Blocking, "Tệp kết quả đã bị thay đổi";
    FileMissing = "BC1002", Blocking, "Thiếu tệp kết quả có trong bảng kê";
    UnexpectedFile = "BC1003", Blocking, "Tệp lạ không có trong bảng kê";
    BadSignature = "BC1004", Blocking, "Chữ ký không hợp lệ";
    UntrustedSigner = "BC1005", Blocking, "Người ký không được tin";
    Unsigned = "BC1006", Warning, "Bộ kết quả chưa được ký";
    ManifestUnreadable = "BC1007", Blocking, "Không đọc được bảng kê manifest.json";
    ChainNotChecked = "BC1008", Warning, "Chưa kiểm chuỗi chứng thư số";
    PdfNotListed = "BC1009", Warning, "Bản PDF không có trong bảng kê";
    DiskFull = "BC1101", Blocking, "Ổ đĩa đầy";
    NoPermission = "BC1102", Blocking, "Không có quyền đọc hoặc ghi";
    ReadOnlyFolder = "BC1103", Blocking, "Thư mục chỉ đọc";
    Vanished = "BC1104", Blocking, "Thư mục hoặc tệp không còn";
    FileLocked = "BC1105", Blocking, "Tệp đang bị chương trình khác mở";
    PathTooLong = "BC1106", Blocking, "Đường dẫn quá dài";
    DeviceError = "BC1107", Blocking, "Ổ đĩa báo lỗi đọc ghi";
    MailUnreadable = "BC1201", Warning, "Thư không đọc được";
    MailUnknownSender = "BC1202", Warning, "Người gửi không phải địa chỉ thư của đơn vị nào";
    MailNotAReport = "BC1203", Warning, "Tệp đính kèm không phải biểu báo cáo";
    MailTooLarge = "BC1204", Warning, "Thư hoặc tệp đính kèm quá lớn";
    MailBadName = "BC1205", Warning, "Tên tệp đính kèm không hợp lệ";
    MailUnrouted = "BC1206", Warning, "Không xác định được chế độ, kỳ của tệp đính kèm";
    MailTooManyParts = "BC1207", Warning, "Thư có quá nhiều tệp đính kèm";
    MailDuplicate = "BC1208", Warning, "Tệp đính kèm trùng tệp đã nhận";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Text shared by many locations (a file's name, a sheet's name): every figure read from a
/// form points at its file and sheet, so they are one allocation per file, not per figure.
/// A thin pointer (8 bytes, the text behind one more indirection): a batch holds two per
/// figure read and five per figure stored, a million of each in a nation's month.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(clippy::redundant_allocation)]
pub struct Shared(std::sync::Arc<Box<str>>);

impl Shared {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<String> for Shared {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Shared {
        Shared(std::sync::Arc::new(s.into()))
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Shared {
        Shared(std::sync::Arc::new(s.into_boxed_str()))
    }
}

impl From<&String> for Shared {
    fn from(s: &String) -> Shared {
        Shared::from(s.as_str())
    }
}

impl From<&Shared> for Shared {
    fn from(s: &Shared) -> Shared {
        s.clone()
    }
}

/// Texts made `Shared` once each: one allocation per distinct text, however often it repeats.
/// The last text is kept aside, so a text repeated row after row (a unit's file in the store's
/// sorted rows) is found without hashing.
#[derive(Debug, Default)]
pub struct SharedPool {
    known: foldhash::HashMap<String, Shared>,
    last: Option<Shared>,
}

impl SharedPool {
    pub fn share(&mut self, text: &str) -> Shared {
        if let Some(l) = self.last.as_ref().filter(|l| l.as_str() == text) {
            return l.clone();
        }
        let x = match self.known.get(text) {
            Some(x) => x.clone(),
            None => {
                let x = Shared::from(text);
                self.known.insert(text.to_string(), x.clone());
                x
            }
        };
        self.last = Some(x.clone());
        x
    }
}

/// A cell reference (`D12`) or another short location text, kept inline up to 24 bytes: a
/// batch holds one per figure read, a million in a nation's month.
pub type CellText = compact_str::CompactString;

/// Where in the inputs a diagnostic points. Empty strings where a part does not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: Shared,
    pub sheet: Shared,
    pub cell: CellText,
}

impl Location {
    pub fn file(file: impl Into<Shared>) -> Location {
        Location {
            file: file.into(),
            ..Location::default()
        }
    }

    pub fn cell(
        file: impl Into<Shared>,
        sheet: impl Into<Shared>,
        cell: impl Into<CellText>,
    ) -> Self {
        Location {
            file: file.into(),
            sheet: sheet.into(),
            cell: cell.into(),
        }
    }
}

/// The cell text of a figure the engine computed (a total left empty, made from its parts):
/// `=E16+F16+G16`, the cells it was computed from.
const COMPUTED: char = '=';

impl Location {
    /// Where a figure computed from `parts` comes from: the parts' file and sheet, and their
    /// cells (`cited` says "tính từ các ô …"; a diagnostic points at the first part).
    pub fn computed<'a>(parts: impl IntoIterator<Item = &'a Location>) -> Location {
        let parts: Vec<&Location> = parts.into_iter().collect();
        let mut cell = CellText::default();
        cell.push(COMPUTED);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                cell.push('+');
            }
            // A part computed itself stands for all its cells.
            cell.push_str(p.cell.strip_prefix(COMPUTED).unwrap_or(&p.cell));
        }
        Location {
            file: parts.first().map(|p| p.file.clone()).unwrap_or_default(),
            sheet: parts.first().map(|p| p.sheet.clone()).unwrap_or_default(),
            cell,
        }
    }

    /// A figure the engine computed rather than read.
    pub fn is_computed(&self) -> bool {
        self.cell.starts_with(COMPUTED)
    }

    /// The first real cell behind this location (a computed figure's first part).
    fn anchor_cell(&self) -> &str {
        match self.cell.strip_prefix(COMPUTED) {
            Some(parts) => parts.split('+').next().unwrap_or(""),
            None => &self.cell,
        }
    }

    /// This location with a real cell: a computed figure's first part.
    pub fn anchor(&self) -> Location {
        if !self.is_computed() {
            return self.clone();
        }
        Location {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            cell: self.anchor_cell().into(),
        }
    }

    /// The cell a message quotes for a figure: "ô E16", or "tính từ các ô E16, F16, G16" for a
    /// computed one, or "ô không rõ" when it was not read from a cell.
    pub fn cited(&self) -> String {
        match self.cell.strip_prefix(COMPUTED) {
            Some(parts) => format!("tính từ các ô {}", cell_runs(parts.split('+'))),
            None if self.cell.is_empty() => "ô không rõ".to_string(),
            None => format!("ô {}", self.cell),
        }
    }
}

/// Cells listed for a reader: runs down one column written as a range (`C4:C13, E2`).
fn cell_runs<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let split = |c: &'a str| {
        let at = c.find(|x: char| x.is_ascii_digit()).unwrap_or(c.len());
        (&c[..at], c[at..].parse::<u64>().ok())
    };
    let mut runs: Vec<(&str, &str, u64, &str)> = Vec::new(); // column, first, last row, last
    for c in cells {
        let (col, row) = split(c);
        match (runs.last_mut(), row) {
            (Some(run), Some(row)) if run.0 == col && run.2 + 1 == row => {
                run.2 = row;
                run.3 = c;
            }
            _ => runs.push((col, c, row.unwrap_or(0), c)),
        }
    }
    runs.iter()
        .map(|(_, first, _, last)| match first == last {
            true => first.to_string(),
            false => format!("{first}:{last}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [self.file.as_str(), self.sheet.as_str(), self.cell.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            f.write_str("(không có tệp)")
        } else {
            f.write_str(&parts.join(" › "))
        }
    }
}

/// One finding about an input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub location: Location,
    pub code: Code,
    pub severity: Severity,
    /// What is wrong, then what to do, in Vietnamese.
    pub message: String,
    /// The unit a finding is about when no file is (a report not sent, a period missing from
    /// the store): the summaries name it instead of "no file".
    pub unit: Option<String>,
}

/// The diagnostics of one code, counted by where they come from (a unit's report, or a file):
/// the summary an officer reads before the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGroup {
    pub code: Code,
    pub severity: Severity,
    pub count: usize,
    /// (source, count), most first, then by name.
    pub sources: Vec<(String, usize)>,
}

impl CodeGroup {
    /// "Xã A (99001): 10; Xã B (99002): 8; … và 3 nguồn khác" — the `max` largest sources.
    pub fn sources_text(&self, max: usize) -> String {
        let mut parts: Vec<String> = self
            .sources
            .iter()
            .take(max)
            .map(|(who, n)| format!("{who}: {n}"))
            .collect();
        if self.sources.len() > max {
            parts.push(format!("… và {} nơi khác", self.sources.len() - max));
        }
        parts.join("; ")
    }
}

/// Groups `diags` by code (blocking codes first, then by code), each group counting its
/// diagnostics by source (`source_of` a diagnostic: the unit it concerns, or its file).
pub fn group_by_code(
    diags: &[Diagnostic],
    source_of: &dyn Fn(&Diagnostic) -> String,
) -> Vec<CodeGroup> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(Severity, Code), BTreeMap<String, usize>> = BTreeMap::new();
    for d in diags {
        *groups
            .entry((d.severity, d.code))
            .or_default()
            .entry(source_of(d))
            .or_default() += 1;
    }
    groups
        .into_iter()
        .map(|((severity, code), by)| {
            let mut sources: Vec<(String, usize)> = by.into_iter().collect();
            sources.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            CodeGroup {
                code,
                severity,
                count: sources.iter().map(|s| s.1).sum(),
                sources,
            }
        })
        .collect()
}

/// The longest message or location part a diagnostic keeps, in characters: messages quote
/// input text, and no input may make an output refuse it (a spreadsheet cell holds at most
/// 32,767 characters).
pub const MAX_TEXT: usize = 2_000;

/// `s` cut to `max` characters, with an ellipsis where it was cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl Diagnostic {
    pub fn new(
        code: Code,
        location: impl Into<Location>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let location: Location = location.into();
        let shared = |t: Shared| {
            if t.chars().nth(MAX_TEXT).is_some() {
                Shared::from(clip(&t, MAX_TEXT))
            } else {
                t
            }
        };
        // A diagnostic points at a cell someone can open: a computed figure's first part.
        let location = location.anchor();
        let location = Location {
            file: shared(location.file),
            sheet: shared(location.sheet),
            cell: if location.cell.chars().nth(MAX_TEXT).is_some() {
                clip(&location.cell, MAX_TEXT).into()
            } else {
                location.cell
            },
        };
        Diagnostic {
            code,
            severity: code.severity(),
            location,
            message: clip(&message.into(), MAX_TEXT),
            unit: None,
        }
    }

    /// The finding as about `unit` (`unit`).
    pub fn of_unit(mut self, unit: &str) -> Diagnostic {
        self.unit = Some(unit.to_string());
        self
    }

    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }

    /// One line for listings: code, severity, where, the first line of the message.
    pub fn line(&self) -> String {
        format!(
            "{} {:<8} {}  {}",
            self.code,
            self.severity.label(),
            self.location,
            self.summary()
        )
    }

    /// The first line of the message, for one-line listings.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}  {}\n  {}",
            self.code,
            self.severity.label(),
            self.location,
            self.message.replace('\n', "\n  ")
        )
    }
}

/// The JSON shape of a diagnostic: `{"code","severity","file","sheet","cell","message"}`.
#[derive(Debug, Serialize)]
pub struct DiagnosticJson<'a> {
    pub code: &'a str,
    pub severity: Severity,
    pub file: &'a str,
    pub sheet: &'a str,
    pub cell: &'a str,
    pub message: &'a str,
}

impl<'a> From<&'a Diagnostic> for DiagnosticJson<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        DiagnosticJson {
            code: d.code.as_str(),
            severity: d.severity,
            file: &d.location.file,
            sheet: &d.location.sheet,
            cell: &d.location.cell,
            message: &d.message,
        }
    }
}

/// Where a figure was read (`model::Value`), in 16 bytes where a `Location` takes 40: the
/// figures of one sheet share its file and sheet (`place`, a location without a cell) and
/// each keeps its row and column; any other location (a line of a CSV file, a computed
/// figure, none) is its own `place`. A batch holds one per figure read, a million in a
/// nation's month.
#[derive(Debug, Clone)]
pub struct At {
    place: std::sync::Arc<Location>,
    /// One-based row and zero-based column of the cell in `place`'s sheet; row 0: `place` is
    /// the whole location.
    row: u32,
    col: u32,
}

impl At {
    /// The sheet's figures' shared place: the sheet's location without a cell.
    pub fn sheet(file: impl Into<Shared>, sheet: impl Into<Shared>) -> std::sync::Arc<Location> {
        std::sync::Arc::new(Location::cell(file, sheet, ""))
    }

    /// The cell at zero-based `row` and `col` of `place`'s sheet (`At::sheet`).
    pub fn cell(place: &std::sync::Arc<Location>, row: u32, col: u32) -> At {
        At {
            place: place.clone(),
            row: row.saturating_add(1),
            col,
        }
    }

    /// Line `line` of `place`'s file (a CSV file's record): "dòng 12".
    pub fn line(place: &std::sync::Arc<Location>, line: u32) -> At {
        At {
            place: place.clone(),
            row: line.saturating_add(1),
            col: At::LINE,
        }
    }

    /// The column of a line (`At::line`), not of a cell.
    const LINE: u32 = u32::MAX;

    pub fn location(&self) -> Location {
        let cell = match (self.row, self.col) {
            (0, _) => return (*self.place).clone(),
            (row, At::LINE) => CellText::from(format!("dòng {}", row - 1)),
            (row, col) => cell_ref(row - 1, col),
        };
        Location {
            file: self.place.file.clone(),
            sheet: self.place.sheet.clone(),
            cell,
        }
    }

    pub fn file(&self) -> &Shared {
        &self.place.file
    }

    /// As `Location::cited`.
    pub fn cited(&self) -> String {
        self.location().cited()
    }

    /// The same place in a file renamed `file`; `renamed` keeps the places already renamed,
    /// so that the figures of one sheet keep sharing theirs.
    pub fn rename(
        &mut self,
        from: &str,
        file: &Shared,
        renamed: &mut Vec<(std::sync::Arc<Location>, std::sync::Arc<Location>)>,
    ) {
        if self.place.file.as_str() != from {
            return;
        }
        let new = match renamed
            .iter()
            .find(|(old, _)| std::sync::Arc::ptr_eq(old, &self.place))
        {
            Some((_, new)) => new.clone(),
            None => {
                let mut place = (*self.place).clone();
                place.file = file.clone();
                let new = std::sync::Arc::new(place);
                renamed.push((self.place.clone(), new.clone()));
                new
            }
        };
        self.place = new;
    }
}

impl From<Location> for At {
    fn from(location: Location) -> At {
        At {
            place: std::sync::Arc::new(location),
            row: 0,
            col: 0,
        }
    }
}

impl At {
    /// A figure read from no cell (the store's, a computed one): one place for all of them.
    pub fn nowhere() -> At {
        static NOWHERE: std::sync::OnceLock<std::sync::Arc<Location>> = std::sync::OnceLock::new();
        At {
            place: NOWHERE.get_or_init(Default::default).clone(),
            row: 0,
            col: 0,
        }
    }
}

impl From<At> for Location {
    fn from(at: At) -> Location {
        at.location()
    }
}

impl From<&At> for Location {
    fn from(at: &At) -> Location {
        at.location()
    }
}

impl Default for At {
    fn default() -> At {
        At::nowhere()
    }
}

/// Two `At`s are equal where their locations are, however each is kept.
impl PartialEq for At {
    fn eq(&self, other: &At) -> bool {
        match (self.row, other.row) {
            (0, 0) => self.place == other.place,
            (a, b) if a != 0 && b != 0 => {
                (a, self.col) == (b, other.col)
                    && self.place.file == other.place.file
                    && self.place.sheet == other.place.sheet
            }
            _ => self.location() == other.location(),
        }
    }
}

/// Excel-style cell reference from zero-based row and column: (13, 5) → "F14".
pub fn cell_ref(row: u32, col: u32) -> CellText {
    // Letters backwards from the last, then the row number: at most 7 + 10 bytes, inline.
    let mut letters = [0u8; 8];
    let mut n = 0;
    let mut c = u64::from(col) + 1;
    while c > 0 {
        letters[n] = b'A' + ((c - 1) % 26) as u8;
        n += 1;
        c = (c - 1) / 26;
    }
    let mut out = CellText::default();
    for &b in letters[..n].iter().rev() {
        out.push(char::from(b));
    }
    out.push_str(itoa::Buffer::new().format(u64::from(row) + 1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figures_place_gives_back_the_location_it_was_read_at() {
        let sheet = At::sheet("xa-01.xlsx", "Biểu 01");
        // Zero-based (13, 5) is F14, as `cell_ref` writes it.
        let f14 = At::cell(&sheet, 13, 5);
        assert_eq!(
            f14.location(),
            Location::cell("xa-01.xlsx", "Biểu 01", "F14")
        );
        assert_eq!(f14.cited(), "ô F14");
        assert_eq!(f14.file().as_str(), "xa-01.xlsx");
        // A CSV record's line.
        let csv = At::sheet("du-lieu.csv", "");
        assert_eq!(At::line(&csv, 12).location().cell, "dòng 12");
        // Equal where the locations are, however each is kept.
        assert_eq!(
            f14,
            At::from(Location::cell("xa-01.xlsx", "Biểu 01", "F14"))
        );
        assert_ne!(f14, At::cell(&sheet, 13, 6));
        assert_ne!(f14, At::cell(&At::sheet("xa-02.xlsx", "Biểu 01"), 13, 5));
        assert_eq!(At::nowhere().location(), Location::default());
        // A rename keeps one place for the figures of a sheet.
        let (mut a, mut b) = (f14.clone(), At::cell(&sheet, 2, 2));
        let (new, mut renamed) = (Shared::from("hop-thu/xa-01.xlsx"), Vec::new());
        a.rename("xa-01.xlsx", &new, &mut renamed);
        b.rename("xa-01.xlsx", &new, &mut renamed);
        assert_eq!(
            a.location(),
            Location::cell("hop-thu/xa-01.xlsx", "Biểu 01", "F14")
        );
        assert_eq!(b.location().cell, "C3");
        assert!(std::sync::Arc::ptr_eq(&a.place, &b.place));
        assert_eq!(renamed.len(), 1);
        // Another file's figure is left as it was.
        let mut other = At::cell(&At::sheet("xa-02.xlsx", "Biểu 01"), 0, 0);
        other.rename("xa-01.xlsx", &new, &mut renamed);
        assert_eq!(other.file().as_str(), "xa-02.xlsx");
    }

    #[test]
    fn diagnostics_are_grouped_by_code_blocking_first_then_by_source() {
        let d = |code: Code, file: &str| Diagnostic::new(code, Location::file(file), "…");
        let diags = [
            d(Code::BreakdownMismatch, "a.xlsx"),
            d(Code::BreakdownMismatch, "b.xlsx"),
            d(Code::RequiredMissing, "c.xlsx"),
            d(Code::BreakdownMismatch, "b.xlsx"),
            d(Code::BreakdownMismatch, "c.xlsx"),
        ];
        let groups = group_by_code(&diags, &|d| d.location.file.to_string());
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].code, Code::RequiredMissing);
        assert_eq!(groups[0].count, 1);
        assert_eq!(groups[1].code, Code::BreakdownMismatch);
        assert_eq!(groups[1].count, 4);
        assert_eq!(
            groups[1].sources,
            [
                ("b.xlsx".to_string(), 2),
                ("a.xlsx".to_string(), 1),
                ("c.xlsx".to_string(), 1)
            ]
        );
        assert_eq!(
            groups[1].sources_text(2),
            "b.xlsx: 2; a.xlsx: 1; … và 1 nơi khác"
        );
    }

    #[test]
    fn a_computed_figure_cites_its_cells_and_a_diagnostic_points_at_the_first() {
        let at = |c: &str| Location::cell("x.xlsx", "Biểu", c);
        let parts = [
            at("E16"),
            at("F16"),
            at("G16"),
            at("C4"),
            at("C5"),
            at("C6"),
            at("C8"),
        ];
        let total = Location::computed(&parts);
        assert!(total.is_computed());
        // A total of computed totals names every cell read.
        let grand = Location::computed(&[Location::computed(&parts[..2]), at("H16")]);
        assert_eq!(grand.cited(), "tính từ các ô E16, F16, H16");
        assert_eq!(total.cited(), "tính từ các ô E16, F16, G16, C4:C6, C8");
        assert_eq!(at("E16").cited(), "ô E16");
        assert_eq!(Location::file("x.xlsx").cited(), "ô không rõ");
        let d = Diagnostic::new(Code::BreakdownMismatch, total, "…");
        assert_eq!(d.location, at("E16"));
    }

    #[test]
    fn cell_references_are_excel_style() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(13, 5), "F14");
        assert_eq!(cell_ref(0, 25), "Z1");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(9, 27), "AB10");
        // Excel's last cell, and the largest any u32 pair can name.
        assert_eq!(cell_ref(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_ref(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.len() == 6 && s.starts_with("BC"), "{s}");
            assert!(s[2..].bytes().all(|b| b.is_ascii_digit()), "{s}");
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../docs/diagnostics.md");
        for c in Code::ALL {
            assert!(
                doc.contains(&format!("## {}", c.as_str())),
                "{} is missing from docs/diagnostics.md",
                c.as_str()
            );
        }
    }

    #[test]
    fn display_follows_the_house_style() {
        let d = Diagnostic::new(
            Code::InvalidNumber,
            Location::cell("xa-phuoc-an.xlsx", "Biểu 01", "F14"),
            "Chỉ tiêu 2.1: \"1.234.5\" không phải là số hợp lệ.\nGõ số theo dạng 1.234,5.",
        );
        let text = d.to_string();
        assert!(text.starts_with("BC0203 chặn  xa-phuoc-an.xlsx › Biểu 01 › F14\n  Chỉ tiêu"));
        assert_eq!(
            d.summary(),
            "Chỉ tiêu 2.1: \"1.234.5\" không phải là số hợp lệ."
        );
    }

    #[test]
    fn a_quoted_text_of_any_length_is_cut_with_an_ellipsis() {
        let long = "ậ".repeat(40_000);
        let d = Diagnostic::new(
            Code::UnknownRow,
            Location::file("a.xlsx"),
            format!("Dòng \"{long}\""),
        );
        assert_eq!(d.message.chars().count(), MAX_TEXT + 1);
        assert!(d.message.ends_with('…'));
        assert_eq!(clip("ngắn", 10), "ngắn");
        assert_eq!(clip("abcdef", 3), "abc…");
    }
}
