//! Signing a run's output set and checking it: `baocao sign` writes `manifest.json.p7s`, a
//! detached CMS signature over `manifest.json` (which holds the SHA-256 and size of every
//! input and output); `baocao verify` checks that signature, the signer's chain up to a CA the
//! receiver trusts, and then every file the manifest lists.
//!
//! What this proves: the output set is the one the holder of the key produced, unchanged. It
//! does not replace the legally binding digital signature the agency puts on the PDF report
//! with its own certificate.

pub mod detached;
pub mod keys;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use der::{DecodePem, Encode};
use x509_cert::Certificate;

use crate::diag::{Code, Diagnostic, Location};
use crate::fault::{Failed, Fault};
use crate::output::names::{MANIFEST, SIGNATURE};
use crate::output::write_atomic;
use crate::render::exchange::FileEntry;
use keys::{KeySource, PublicKey, SigningKey};

/// Printable copies `run --pdf` writes beside the outputs; not in the manifest (LibreOffice
/// does not make them byte for byte the same twice), signed by the agency on their own.
pub const PDF_COPIES: [&str; 2] = [
    crate::output::names::NARRATIVE_PDF,
    crate::output::names::WORKBOOK_PDF,
];

/// Reads every certificate in a PEM file.
pub fn read_certificates(path: &Path) -> Result<Vec<Certificate>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "không đọc được chứng thư số {shown}: {}",
            crate::fault::reason(&e)
        )
    })?;
    let certs = Certificate::load_pem_chain(&bytes)
        .or_else(|_| Certificate::from_pem(&bytes).map(|c| vec![c]))
        .map_err(|e| format!("tệp {shown} không phải chứng thư số PEM đọc được: {e}"))?;
    if certs.is_empty() {
        return Err(format!("tệp {shown} không có chứng thư số nào"));
    }
    Ok(certs)
}

/// The certificate's subject, as a distinguished name (`CN=…,O=…`).
pub fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate().subject().to_string()
}

/// A key ready to sign, with its certificate and chain.
pub struct Signer {
    key: Box<dyn SigningKey>,
    cert: Certificate,
    chain: Vec<Certificate>,
}

impl Signer {
    /// Opens the key and reads the certificates. A certificate that is not valid today is
    /// refused: a signature made with it would not be trusted.
    /// Without `cert`, the certificate stored on the token beside the key (same label).
    pub fn open(
        source: &KeySource,
        cert: Option<&Path>,
        chain: Option<&Path>,
    ) -> Result<Signer, String> {
        let key = keys::open(source)?;
        let mut certs = match cert {
            Some(path) => read_certificates(path)?,
            None => {
                let der = key.certificate().ok_or_else(|| {
                    "cần chứng thư số của người ký: --cert CERT.pem (thiết bị ký không có chứng thư số cùng nhãn với khóa)".to_string()
                })?;
                vec![der::Decode::from_der(&der)
                    .map_err(|e| format!("chứng thư số trên thiết bị ký hỏng: {e}"))?]
            }
        };
        let cert = certs.remove(0);
        let mut chain_certs = certs;
        if let Some(c) = chain {
            chain_certs.extend(read_certificates(c)?);
        }
        valid_at(&cert, SystemTime::now()).map_err(|e| format!("chứng thư số ký {e}"))?;
        let public = PublicKey::from_spki(cert.tbs_certificate().subject_public_key_info())?;
        if public.kind() != key.kind() {
            return Err(format!(
                "khóa ký là {} nhưng chứng thư số (--cert) là của khóa {}",
                key.kind().label(),
                public.kind().label()
            ));
        }
        Ok(Signer {
            key,
            cert,
            chain: chain_certs,
        })
    }

    /// The signer's subject.
    pub fn subject(&self) -> String {
        subject(&self.cert)
    }

    /// Signs `dir/manifest.json` into `dir/manifest.json.p7s` (written atomically).
    pub fn sign_dir(&self, dir: &Path, at: DateTime<Utc>) -> Result<PathBuf, Failed> {
        let manifest = dir.join(MANIFEST);
        let content = std::fs::read(&manifest).map_err(|e| {
            format!(
                "không đọc được {}: {e}; thư mục này có phải kết quả của `baocao run` không?",
                manifest.display()
            )
        })?;
        let der =
            detached::sign_detached(&content, self.key.as_ref(), &self.cert, &self.chain, at)?;
        let out = dir.join(SIGNATURE);
        write_atomic(&out, &der).map_err(|e| {
            Fault::writing(&e, "không ghi được chữ ký", &out).kept(
                "Bộ kết quả vẫn nguyên vẹn, chưa được ký: chạy lại `baocao sign` sau khi sửa.",
            )
        })?;
        Ok(out)
    }
}

/// `cert` is valid at `at` (not before its start, not after its end).
fn valid_at(cert: &Certificate, at: SystemTime) -> Result<(), String> {
    let v = cert.tbs_certificate().validity();
    let (from, to) = (v.not_before.to_system_time(), v.not_after.to_system_time());
    let day = |t: SystemTime| DateTime::<Utc>::from(t).format("%d/%m/%Y").to_string();
    if at < from {
        return Err(format!(
            "\"{}\" chưa có hiệu lực (từ {})",
            subject(cert),
            day(from)
        ));
    }
    if at > to {
        return Err(format!("\"{}\" đã hết hạn ngày {}", subject(cert), day(to)));
    }
    Ok(())
}

/// `child` was signed by `issuer`'s key.
fn issued_by(child: &Certificate, issuer: &Certificate) -> bool {
    if child.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return false;
    }
    let Ok(public) = PublicKey::from_spki(issuer.tbs_certificate().subject_public_key_info())
    else {
        return false;
    };
    let Ok(tbs) = child.tbs_certificate().to_der() else {
        return false;
    };
    public
        .verify(
            &child.signature_algorithm().oid,
            &tbs,
            child.signature().raw_bytes(),
        )
        .is_ok()
}

/// Follows the chain from `signer` through `others` to one of `anchors`, each link's
/// signature checked and each certificate valid at `at`.
fn chain_to(
    signer: &Certificate,
    others: &[Certificate],
    anchors: &[Certificate],
    at: SystemTime,
) -> Result<(), String> {
    let mut current = signer.clone();
    for _ in 0..10 {
        valid_at(&current, at).map_err(|e| format!("chứng thư số {e}"))?;
        if anchors.contains(&current) || anchors.iter().any(|a| issued_by(&current, a)) {
            return Ok(());
        }
        let Some(next) = others
            .iter()
            .find(|o| *o != &current && issued_by(&current, o))
        else {
            return Err(format!(
                "chứng thư số \"{}\" (do \"{}\" cấp) không dẫn tới chứng thư gốc tin cậy (--ca)",
                subject(&current),
                current.tbs_certificate().issuer()
            ));
        };
        current = next.clone();
    }
    Err("chuỗi chứng thư số quá dài".to_string())
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Verification {
    /// The signer's subject, when the signature is valid.
    pub signer: Option<String>,
    pub signing_time: Option<DateTime<Utc>>,
    /// The chain was checked against `--ca` and reaches it.
    pub trusted: bool,
    /// Files the manifest lists that were found intact.
    pub intact: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Verification {
    /// Everything matches: no blocking finding.
    pub fn ok(&self) -> bool {
        !self.diagnostics.iter().any(|d| d.is_blocking())
    }
}

#[derive(serde::Deserialize)]
struct Listed {
    outputs: Vec<FileEntry>,
}

/// Checks the output folder `dir`: the signature (when there is one) and its chain up to `ca`
/// (when given), then every output the manifest lists (size and SHA-256), and the files in
/// the folder the manifest does not list.
pub fn verify_dir(dir: &Path, ca: Option<&[Certificate]>) -> Verification {
    let mut v = Verification::default();
    let Some(manifest) = read_manifest(dir, &mut v.diagnostics) else {
        return v;
    };
    check_signature(dir, &manifest, ca, &mut v);
    let Some(listed) = parse_listed(&manifest, &mut v.diagnostics) else {
        return v;
    };
    let known = check_listed(dir, &listed, &mut v);
    check_unlisted(dir, &known, &mut v.diagnostics);
    v
}

/// The bytes of `dir/manifest.json`; none when it cannot be read (said in `diags`).
fn read_manifest(dir: &Path, diags: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    match std::fs::read(dir.join(MANIFEST)) {
        Ok(m) => Some(m),
        Err(e) => {
            push(
                diags,
                Code::ManifestUnreadable,
                MANIFEST,
                format!(
                    "Không đọc được {} trong {}: {}. Thư mục kết quả phải có bảng kê do `baocao run` ghi.",
                    MANIFEST,
                    dir.display(),
                    crate::fault::reason(&e)
                ),
            );
            None
        }
    }
}

/// The signature over `manifest` (`dir/manifest.json.p7s`), when there is one: valid, and its
/// signer trusted when `ca` is given; the signer and signing time go into `v`.
fn check_signature(dir: &Path, manifest: &[u8], ca: Option<&[Certificate]>, v: &mut Verification) {
    let p7s = dir.join(SIGNATURE);
    match std::fs::read(&p7s) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => push(
            &mut v.diagnostics,
            Code::Unsigned,
            MANIFEST,
            format!(
                "Bộ kết quả chưa được ký (không có {SIGNATURE}): chỉ kiểm được mã băm, không kiểm được ai tạo ra nó. Ký bằng `baocao sign`."
            ),
        ),
        Err(e) => push(
            &mut v.diagnostics,
            Code::BadSignature,
            SIGNATURE,
            format!("Không đọc được {SIGNATURE}: {}.", crate::fault::reason(&e)),
        ),
        Ok(der) => match detached::verify_detached(&der, manifest) {
            Err(e) => push(
                &mut v.diagnostics,
                Code::BadSignature,
                SIGNATURE,
                format!("Chữ ký không hợp lệ: {e}. Bộ kết quả không được tin: xin cấp dưới gửi lại."),
            ),
            Ok(signed) => check_signer(&signed, ca, v),
        },
    }
}

/// A valid signature's signer: its chain up to `ca` (when given), else said unchecked; the
/// signer and signing time go into `v`.
fn check_signer(signed: &detached::Signed, ca: Option<&[Certificate]>, v: &mut Verification) {
    let at = signed
        .signing_time
        .map(SystemTime::from)
        .unwrap_or_else(SystemTime::now);
    match ca {
        Some(anchors) => match chain_to(&signed.signer, &signed.others, anchors, at) {
            Ok(()) => v.trusted = true,
            Err(e) => push(
                &mut v.diagnostics,
                Code::UntrustedSigner,
                SIGNATURE,
                format!("Chữ ký đúng nhưng người ký không được tin: {e}."),
            ),
        },
        None => push(
            &mut v.diagnostics,
            Code::ChainNotChecked,
            SIGNATURE,
            format!(
                "Chữ ký đúng, người ký \"{}\"; chưa kiểm chuỗi chứng thư vì không có --ca CA.pem.",
                subject(&signed.signer)
            ),
        ),
    }
    v.signer = Some(subject(&signed.signer));
    v.signing_time = signed.signing_time;
}

/// The files `manifest` lists; none when it does not parse (said in `diags`).
fn parse_listed(manifest: &[u8], diags: &mut Vec<Diagnostic>) -> Option<Listed> {
    match serde_json::from_slice(manifest) {
        Ok(l) => Some(l),
        Err(e) => {
            push(
                diags,
                Code::ManifestUnreadable,
                MANIFEST,
                format!("{MANIFEST} không đọc được ({e}): không kiểm được các tệp."),
            );
            None
        }
    }
}

/// Every file the manifest lists, checked in `dir` (size and SHA-256); intact ones go into
/// `v.intact`. Returns the names the folder may hold: the manifest, its signature and the
/// listed files.
fn check_listed(dir: &Path, listed: &Listed, v: &mut Verification) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = [MANIFEST, SIGNATURE].map(String::from).into();
    for entry in &listed.outputs {
        known.insert(entry.file.clone());
        let path = dir.join(&entry.file);
        if entry.file.contains(['/', '\\']) || entry.file.starts_with('.') {
            push(
                &mut v.diagnostics,
                Code::FileTampered,
                MANIFEST,
                format!(
                    "{MANIFEST} liệt kê \"{}\", không phải một tệp trong thư mục kết quả.",
                    entry.file
                ),
            );
            continue;
        }
        check_entry(&path, entry, v);
    }
    known
}

/// One listed file, read from `path`: missing, unreadable, changed, or intact.
fn check_entry(path: &Path, entry: &FileEntry, v: &mut Verification) {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => push(
            &mut v.diagnostics,
            Code::FileMissing,
            &entry.file,
            format!(
                "Thiếu {}: bảng kê có tệp này nhưng thư mục không có.",
                entry.file
            ),
        ),
        Err(e) => push(
            &mut v.diagnostics,
            Code::FileMissing,
            &entry.file,
            format!(
                "Không đọc được {}: {}.",
                entry.file,
                crate::fault::reason(&e)
            ),
        ),
        Ok(bytes) => {
            let sha = crate::hash::sha256_hex(&bytes);
            if bytes.len() as u64 != entry.size || sha != entry.sha256 {
                push(
                    &mut v.diagnostics,
                    Code::FileTampered,
                    &entry.file,
                    format!(
                        "{} đã bị thay đổi: {} byte, SHA-256 {}, nhưng bảng kê ghi {} byte, SHA-256 {}.",
                        entry.file,
                        bytes.len(),
                        sha,
                        entry.size,
                        entry.sha256
                    ),
                );
            } else {
                v.intact.push(entry.file.clone());
            }
        }
    }
}

/// The files in `dir` that are not `known`, in name order: a PDF copy, or a file added.
fn check_unlisted(dir: &Path, known: &BTreeSet<String>, diags: &mut Vec<Diagnostic>) {
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    present.sort();
    for name in present.iter().filter(|n| !known.contains(*n)) {
        if PDF_COPIES.contains(&name.as_str()) {
            push(
                diags,
                Code::PdfNotListed,
                name,
                format!(
                    "{name} là bản in PDF, không có trong bảng kê nên không được kiểm ở đây; bản PDF được kiểm bằng chữ ký số của cơ quan trên chính tệp đó."
                ),
            );
        } else {
            push(
                diags,
                Code::UnexpectedFile,
                name,
                format!("{name} không có trong bảng kê: tệp lạ được thêm vào sau khi chạy."),
            );
        }
    }
}

fn push(diags: &mut Vec<Diagnostic>, code: Code, file: &str, message: String) {
    diags.push(Diagnostic::new(code, Location::file(file), message));
}
