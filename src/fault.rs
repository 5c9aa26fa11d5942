//! Faults of the machine: a full disk, a missing permission, a read-only or vanished folder, a
//! file another program holds, a path too long, a failing device.
//!
//! Such a fault is nobody's bug and no input's fault: the officer (or the machine's keeper)
//! fixes it and runs again. `Fault` says it in Vietnamese — which file or folder, what
//! happened, what to do, what stayed whole — with a stable code (`BC11xx`, in
//! `docs/diagnostics.md`) and its own exit code, `exit::MACHINE` (5); "Lỗi nội bộ" (3) stays for
//! bugs. The operating system's own words are English on most machines: only its error number
//! is kept, for the IT staff.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::diag::Code;

/// What kind of fault the machine had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DiskFull,
    NoPermission,
    ReadOnly,
    Vanished,
    Locked,
    PathTooLong,
    Device,
}

impl Kind {
    /// The kind of an I/O error: by its kind, then by the operating system's number where the
    /// standard library leaves it uncategorised (Windows' sharing violations).
    pub fn of(e: &std::io::Error) -> Kind {
        if let Some(kind) = os_number(e).and_then(by_number) {
            return kind;
        }
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Kind::DiskFull,
            ErrorKind::ReadOnlyFilesystem => Kind::ReadOnly,
            ErrorKind::PermissionDenied => Kind::NoPermission,
            // A folder on the path is a file (ENOTDIR, or EEXIST when the folder is made).
            ErrorKind::NotFound
            | ErrorKind::NotADirectory
            | ErrorKind::AlreadyExists
            | ErrorKind::StaleNetworkFileHandle
            | ErrorKind::NotConnected
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset => Kind::Vanished,
            ErrorKind::ResourceBusy | ErrorKind::ExecutableFileBusy => Kind::Locked,
            ErrorKind::InvalidFilename => Kind::PathTooLong,
            _ => Kind::Device,
        }
    }

    pub fn code(self) -> Code {
        match self {
            Kind::DiskFull => Code::DiskFull,
            Kind::NoPermission => Code::NoPermission,
            Kind::ReadOnly => Code::ReadOnlyFolder,
            Kind::Vanished => Code::Vanished,
            Kind::Locked => Code::FileLocked,
            Kind::PathTooLong => Code::PathTooLong,
            Kind::Device => Code::DeviceError,
        }
    }

    /// What happened, in a few words ("ổ đĩa đầy").
    pub fn what(self) -> &'static str {
        match self {
            Kind::DiskFull => "ổ đĩa đầy",
            Kind::NoPermission => "không có quyền",
            Kind::ReadOnly => "thư mục chỉ đọc",
            Kind::Vanished => "thư mục hoặc tệp không còn",
            Kind::Locked => "tệp đang bị chương trình khác mở",
            Kind::PathTooLong => "đường dẫn quá dài",
            Kind::Device => "ổ đĩa báo lỗi đọc ghi",
        }
    }

    /// What to do, for a fault on `path` while reading or writing.
    pub fn advice(self, path: &Path, access: Access) -> String {
        let shown = path.display();
        // A disk or a mount is a folder's: a file's faults of that kind are told by its folder.
        let folder = match path.parent() {
            Some(p) if path.is_file() && !p.as_os_str().is_empty() => p,
            _ => path,
        };
        match self {
            Kind::DiskFull => format!(
                "Giải phóng dung lượng trên ổ đĩa chứa {} (xoá bớt tệp không cần, dọn thùng rác) hoặc chọn thư mục trên ổ khác, rồi chạy lại.",
                folder.display()
            ),
            Kind::NoPermission => format!(
                "Tài khoản đang chạy lệnh không có quyền {} {shown}: nhờ quản trị cấp quyền cho tài khoản này (hoặc chạy bằng tài khoản có quyền), rồi chạy lại.",
                access.verb()
            ),
            Kind::ReadOnly => format!(
                "Thư mục {} nằm trên ổ chỉ cho đọc (ổ mạng chia sẻ chỉ đọc, ổ gắn chỉ đọc hoặc thẻ nhớ bị khoá ghi): chọn thư mục ghi được hoặc nhờ quản trị mở quyền ghi, rồi chạy lại.",
                folder.display()
            ),
            Kind::Vanished => format!(
                "Kiểm tra {shown} còn mở được không (thư mục bị xoá, đổi tên, ổ mạng bị ngắt, hay một phần của đường dẫn là tệp chứ không phải thư mục): kết nối lại ổ mạng, tạo lại thư mục hoặc sửa đường dẫn, rồi chạy lại."
            ),
            Kind::Locked => format!(
                "Đóng {shown} trong chương trình đang mở nó (thường là Excel hoặc Word, có khi là phần mềm diệt virus hay đồng bộ đang quét), rồi chạy lại."
            ),
            Kind::PathTooLong => format!(
                "Đường dẫn {shown} dài quá giới hạn của hệ điều hành: chọn thư mục có đường dẫn ngắn hơn (gần gốc ổ đĩa), rồi chạy lại."
            ),
            Kind::Device => format!(
                "Ổ đĩa chứa {shown} gặp lỗi (ổ hỏng, ổ USB bị rút, ổ mạng chập chờn): kiểm tra ổ đĩa hoặc nhờ quản trị xem, rồi chạy lại."
            ),
        }
    }
}

/// Whether the fault came while reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    fn verb(self) -> &'static str {
        match self {
            Access::Read => "đọc",
            Access::Write => "ghi vào",
        }
    }
}

/// A machine fault while doing one thing to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: Kind,
    /// What could not be done, as the start of a sentence ("không ghi được tệp bao-cao.md vào").
    pub doing: String,
    /// The file or folder it was done to, as the officer knows it.
    pub path: PathBuf,
    pub access: Access,
    /// What stayed whole ("Bộ kết quả trước của kỳ này vẫn nguyên vẹn."), if the caller knows.
    pub kept: Option<String>,
    /// The operating system's error number, if it gave one.
    pub os: Option<i32>,
}

impl Fault {
    /// A fault while writing `path`; `doing` starts the sentence ("không ghi được tệp X vào").
    pub fn writing(
        e: &std::io::Error,
        doing: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Fault {
        Fault::new(e, doing, path, Access::Write)
    }

    /// A fault while reading `path`.
    pub fn reading(
        e: &std::io::Error,
        doing: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Fault {
        Fault::new(e, doing, path, Access::Read)
    }

    fn new(
        e: &std::io::Error,
        doing: impl Into<String>,
        path: impl Into<PathBuf>,
        access: Access,
    ) -> Fault {
        Fault {
            kind: Kind::of(e),
            doing: doing.into(),
            path: path.into(),
            access,
            kept: None,
            os: os_number(e),
        }
    }

    /// The same fault, saying what stayed whole.
    pub fn kept(mut self, kept: impl Into<String>) -> Fault {
        self.kept = Some(kept.into());
        self
    }

    pub fn code(&self) -> Code {
        self.kind.code()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} {}.\n{}",
            self.code().as_str(),
            self.kind.what(),
            self.doing,
            self.path.display(),
            self.kind.advice(&self.path, self.access)
        )?;
        if let Some(kept) = &self.kept {
            write!(f, "\n{kept}")?;
        }
        if let Some(n) = self.os {
            write!(f, "\n(Mã lỗi của hệ điều hành: {n}.)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

/// Why a step stopped: what the caller asked or gave (said in Vietnamese), or the machine.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error("{0}")]
    Said(String),
    #[error("{0}")]
    Machine(Fault),
}

impl From<String> for Failed {
    fn from(s: String) -> Failed {
        Failed::Said(s)
    }
}

impl From<Fault> for Failed {
    fn from(f: Fault) -> Failed {
        Failed::Machine(f)
    }
}

/// Writes `bytes` to `path` whole (`output::write_atomic`); a failure as the machine's fault,
/// saying what stayed whole (`kept`).
pub fn write_file(path: &Path, bytes: &[u8], kept: &str) -> Result<(), Fault> {
    crate::output::write_atomic(path, bytes)
        .map_err(|e| Fault::writing(&e, "không ghi được", path).kept(kept))
}

/// A short Vietnamese reason for an I/O error, for a message that goes on (a diagnostic, a
/// config problem): "ổ đĩa đầy (mã lỗi 28)".
pub fn reason(e: &std::io::Error) -> String {
    let what = Kind::of(e).what();
    match os_number(e) {
        Some(n) => format!("{what} (mã lỗi {n})"),
        None => what.to_string(),
    }
}

/// `reason` for a CSV reader's error when it is the disk's, else the reader's own words.
pub fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => reason(io),
        _ => e.to_string(),
    }
}

/// The operating system's number of an error, looking through the wrappers that add a path
/// (tempfile's) or a message.
fn os_number(e: &std::io::Error) -> Option<i32> {
    if let Some(n) = e.raw_os_error() {
        return Some(n);
    }
    let mut source = e
        .get_ref()
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if let Some(n) = io.raw_os_error() {
                return Some(n);
            }
        }
        source = s.source();
    }
    None
}

/// Numbers the standard library leaves uncategorised (or calls an invalid file name) on this
/// system.
fn by_number(n: i32) -> Option<Kind> {
    if cfg!(windows) {
        by_windows_number(n)
    } else if cfg!(unix) && n == 36 {
        // ENAMETOOLONG: "invalid file name" to the standard library, too long to us.
        Some(Kind::PathTooLong)
    } else {
        None
    }
}

/// Windows' error numbers for the faults its standard library mapping leaves out: a file
/// another program holds open (Excel keeps the workbook it shows), a network share gone, a
/// write-protected medium.
fn by_windows_number(n: i32) -> Option<Kind> {
    match n {
        // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_USER_MAPPED_FILE.
        32 | 33 | 1224 => Some(Kind::Locked),
        // ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL, ERROR_DISK_QUOTA_EXCEEDED.
        39 | 112 | 1295 => Some(Kind::DiskFull),
        // ERROR_FILENAME_EXCED_RANGE.
        206 => Some(Kind::PathTooLong),
        // ERROR_BAD_NETPATH, ERROR_DEV_NOT_EXIST, ERROR_NETNAME_DELETED, ERROR_BAD_NET_NAME.
        53 | 55 | 64 | 67 => Some(Kind::Vanished),
        // ERROR_WRITE_PROTECT.
        19 => Some(Kind::ReadOnly),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Error;

    #[test]
    #[cfg(target_os = "linux")]
    fn linux_errors_are_told_by_kind() {
        let cases = [
            (28, Kind::DiskFull),     // ENOSPC
            (122, Kind::DiskFull),    // EDQUOT
            (30, Kind::ReadOnly),     // EROFS
            (13, Kind::NoPermission), // EACCES
            (1, Kind::NoPermission),  // EPERM
            (2, Kind::Vanished),      // ENOENT
            (20, Kind::Vanished),     // ENOTDIR
            (17, Kind::Vanished),     // EEXIST: a folder on the path is a file
            (116, Kind::Vanished),    // ESTALE (an NFS share gone)
            (107, Kind::Vanished),    // ENOTCONN (a FUSE/SMB mount gone)
            (16, Kind::Locked),       // EBUSY
            (26, Kind::Locked),       // ETXTBSY
            (36, Kind::PathTooLong),  // ENAMETOOLONG
            (5, Kind::Device),        // EIO
        ];
        for (n, kind) in cases {
            assert_eq!(Kind::of(&Error::from_raw_os_error(n)), kind, "errno {n}");
        }
    }

    #[test]
    fn windows_sharing_violations_and_lost_shares_are_told_by_number() {
        assert_eq!(by_windows_number(32), Some(Kind::Locked)); // Excel holds the file
        assert_eq!(by_windows_number(33), Some(Kind::Locked));
        assert_eq!(by_windows_number(112), Some(Kind::DiskFull));
        assert_eq!(by_windows_number(206), Some(Kind::PathTooLong));
        assert_eq!(by_windows_number(64), Some(Kind::Vanished)); // a share cut off
        assert_eq!(by_windows_number(19), Some(Kind::ReadOnly));
        assert_eq!(by_windows_number(2), None); // left to the standard library: not found
    }

    #[test]
    fn a_wrapped_error_keeps_its_kind_and_number() {
        // tempfile wraps the OS error with the path it was creating.
        #[derive(Debug)]
        struct WithPath(Error);
        impl fmt::Display for WithPath {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} at path /x", self.0)
            }
        }
        impl std::error::Error for WithPath {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = Error::from_raw_os_error(28);
        let wrapped = Error::new(inner.kind(), WithPath(inner));
        assert_eq!(Kind::of(&wrapped), Kind::DiskFull);
        assert_eq!(os_number(&wrapped), Some(28));
    }

    #[test]
    fn the_message_names_the_path_what_happened_what_to_do_and_what_stayed() {
        let e = Error::new(ErrorKind::StorageFull, "No space left on device");
        let f = Fault::writing(&e, "không ghi được tệp bao-cao.md vào", "/ra/ktxh/2026-10")
            .kept("Bộ kết quả trước của kỳ này vẫn nguyên vẹn.");
        assert_eq!(
            f.to_string(),
            "BC1101 ổ đĩa đầy: không ghi được tệp bao-cao.md vào /ra/ktxh/2026-10.\n\
             Giải phóng dung lượng trên ổ đĩa chứa /ra/ktxh/2026-10 (xoá bớt tệp không cần, dọn thùng rác) hoặc chọn thư mục trên ổ khác, rồi chạy lại.\n\
             Bộ kết quả trước của kỳ này vẫn nguyên vẹn."
        );
        let denied = Fault::reading(&Error::from_raw_os_error(13), "không đọc được", "/nhan");
        let text = denied.to_string();
        assert!(
            text.starts_with("BC1102 không có quyền: không đọc được /nhan.\n"),
            "{text}"
        );
        assert!(text.contains("không có quyền đọc /nhan"), "{text}");
        assert!(text.ends_with("(Mã lỗi của hệ điều hành: 13.)"), "{text}");
        // No English from the operating system.
        assert!(!text.contains("Permission denied"), "{text}");
    }

    #[test]
    fn a_short_reason_is_vietnamese() {
        assert_eq!(
            reason(&Error::from_raw_os_error(30)),
            "thư mục chỉ đọc (mã lỗi 30)"
        );
        assert_eq!(
            reason(&Error::new(ErrorKind::PermissionDenied, "x")),
            "không có quyền"
        );
    }
}
