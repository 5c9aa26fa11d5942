//! Signing keys — a PEM file (PKCS#8, encrypted PKCS#8, PKCS#1 RSA or SEC1 EC) or a key held
//! on a PKCS#11 token (a USB e-Token, SoftHSM) — and the public keys that check signatures.
//! RSA (2048 bits or more, PKCS#1 v1.5 with SHA-256) and ECDSA on P-256 with SHA-256.

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use p256::pkcs8::DecodePrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::{SignatureEncoding, Signer, Verifier};
use spki::SubjectPublicKeyInfoOwned;

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1,
    SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};

/// The smallest RSA key accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The kind of key, which fixes the signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA, PKCS#1 v1.5 with SHA-256 (`sha256WithRSAEncryption`).
    Rsa,
    /// ECDSA on P-256 with SHA-256 (`ecdsa-with-SHA256`).
    EcP256,
}

impl KeyKind {
    /// The CMS signature algorithm identifier.
    pub fn signature_algorithm(self) -> spki::AlgorithmIdentifierOwned {
        match self {
            KeyKind::Rsa => spki::AlgorithmIdentifierOwned {
                oid: SHA_256_WITH_RSA_ENCRYPTION,
                parameters: Some(der::asn1::Null.into()),
            },
            KeyKind::EcP256 => spki::AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA_256,
                parameters: None,
            },
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::EcP256 => "ECDSA P-256",
        }
    }
}

/// Where the signing key is.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A PEM file; `passphrase` opens an encrypted PKCS#8 key.
    File {
        path: PathBuf,
        passphrase: Option<String>,
    },
    /// A key on a PKCS#11 token: the module (`.so`), the token's label, the key's label, the PIN.
    Pkcs11 {
        module: PathBuf,
        token: String,
        key_label: String,
        pin: String,
    },
}

/// A key that can sign: `sign` returns the signature as CMS carries it (RSA: the PKCS#1 v1.5
/// block; ECDSA: the DER `Ecdsa-Sig-Value`).
pub trait SigningKey {
    fn kind(&self) -> KeyKind;
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String>;
    /// The certificate the key's holder keeps with it (a token's certificate object), DER.
    fn certificate(&self) -> Option<Vec<u8>> {
        None
    }
}

enum FileKey {
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
    Ec(p256::ecdsa::SigningKey),
}

impl SigningKey for FileKey {
    fn kind(&self) -> KeyKind {
        match self {
            FileKey::Rsa(_) => KeyKind::Rsa,
            FileKey::Ec(_) => KeyKind::EcP256,
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            FileKey::Rsa(k) => k
                .try_sign(message)
                .map(|s| s.to_vec())
                .map_err(|e| format!("ký bằng khóa RSA lỗi: {e}")),
            FileKey::Ec(k) => {
                let sig: p256::ecdsa::Signature = k
                    .try_sign(message)
                    .map_err(|e| format!("ký bằng khóa ECDSA lỗi: {e}"))?;
                Ok(sig.to_der().to_vec())
            }
        }
    }
}

/// Opens the signing key. An error says what is wrong with the file or token in Vietnamese.
pub fn open(source: &KeySource) -> Result<Box<dyn SigningKey>, String> {
    match source {
        KeySource::File { path, passphrase } => open_file(path, passphrase.as_deref()),
        KeySource::Pkcs11 {
            module,
            token,
            key_label,
            pin,
        } => Ok(Box::new(TokenKey::open(module, token, key_label, pin)?)),
    }
}

/// Whether the PEM file holds an encrypted key (so a passphrase is needed).
pub fn needs_passphrase(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|t| t.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        .unwrap_or(false)
}

fn open_file(path: &Path, passphrase: Option<&str>) -> Result<Box<dyn SigningKey>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "không đọc được tệp khóa {shown}: {}",
            crate::fault::reason(&e)
        )
    })?;
    let rsa_key = |k: rsa::PrivateKey| -> Result<Box<dyn SigningKey>, String> {
        let bits = k.n().bit_width() as usize;
        if bits < MIN_RSA_BITS {
            return Err(format!(
                "khóa RSA trong {shown} chỉ có {bits} bit; cần từ {MIN_RSA_BITS} bit trở lên"
            ));
        }
        Ok(Box::new(FileKey::Rsa(Box::new(
            rsa::pkcs1v15::SigningKey::<Sha256>::new(k),
        ))))
    };
    let ec_key = |k: p256::ecdsa::SigningKey| -> Result<Box<dyn SigningKey>, String> {
        Ok(Box::new(FileKey::Ec(k)))
    };
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let Some(pass) = passphrase else {
            return Err(format!(
                "khóa {shown} được mã hóa: cần mật khẩu (biến môi trường BAOCAO_KEY_PASSPHRASE hoặc nhập khi được hỏi)"
            ));
        };
        let bad = |_| format!("không mở được khóa {shown}: sai mật khẩu hoặc khóa hỏng");
        let doc = pkcs8::EncryptedPrivateKeyInfoRef::try_from(
            pem_der(&text, "ENCRYPTED PRIVATE KEY")
                .ok_or_else(|| format!("tệp {shown} không phải khóa PEM đọc được"))?
                .as_slice(),
        )
        .map_err(|e| format!("khóa {shown} hỏng: {e}"))?
        .decrypt(pass)
        .map_err(bad)?;
        return from_pkcs8_der(doc.as_bytes(), &shown.to_string(), rsa_key, ec_key);
    }
    if let Some(der) = pem_der(&text, "PRIVATE KEY") {
        return from_pkcs8_der(&der, &shown.to_string(), rsa_key, ec_key);
    }
    if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        if text.contains("ENCRYPTED") {
            return Err(format!(
                "khóa {shown} mã hóa kiểu cũ (PEM \"Proc-Type\"); đổi sang PKCS#8: openssl pkcs8 -topk8 -in {shown} -out khoa-pkcs8.pem"
            ));
        }
        let k = rsa::PrivateKey::from_pkcs1_pem(&text)
            .map_err(|e| format!("khóa RSA {shown} hỏng: {e}"))?;
        return rsa_key(k);
    }
    if text.contains("-----BEGIN EC PRIVATE KEY-----") {
        let k = p256::SecretKey::from_sec1_pem(&text).map_err(|_| {
            format!("khóa EC {shown} không đọc được hoặc không phải đường cong P-256")
        })?;
        return ec_key(k.into());
    }
    Err(format!(
        "tệp {shown} không chứa khóa riêng PEM (cần \"BEGIN PRIVATE KEY\", \"BEGIN ENCRYPTED PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" hoặc \"BEGIN EC PRIVATE KEY\")"
    ))
}

/// The DER bytes of the first PEM block with this label.
fn pem_der(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let start = text.find(&begin)?;
    let end_marker = format!("-----END {label}-----");
    let end = text[start..].find(&end_marker)? + start + end_marker.len();
    let (found, der) = pem_rfc7468::decode_vec(&text.as_bytes()[start..end]).ok()?;
    (found == label).then_some(der)
}

fn from_pkcs8_der(
    der: &[u8],
    shown: &str,
    rsa_key: impl Fn(rsa::PrivateKey) -> Result<Box<dyn SigningKey>, String>,
    ec_key: impl Fn(p256::ecdsa::SigningKey) -> Result<Box<dyn SigningKey>, String>,
) -> Result<Box<dyn SigningKey>, String> {
    let info =
        pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|e| format!("khóa {shown} hỏng: {e}"))?;
    let alg = info.algorithm.oid;
    if alg == RSA_ENCRYPTION {
        rsa_key(
            rsa::PrivateKey::from_pkcs8_der(der)
                .map_err(|e| format!("khóa RSA {shown} hỏng: {e}"))?,
        )
    } else if alg == ID_EC_PUBLIC_KEY {
        ec_key(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| {
            format!("khóa EC {shown} không phải đường cong P-256 (chỉ hỗ trợ RSA và ECDSA P-256)")
        })?)
    } else {
        Err(format!(
            "khóa {shown} dùng thuật toán {alg}; chỉ hỗ trợ RSA (từ {MIN_RSA_BITS} bit) và ECDSA P-256"
        ))
    }
}

/// A public key from a certificate, to check signatures with.
pub enum PublicKey {
    Rsa(rsa::PublicKey),
    EcP256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, String> {
        let der = spki
            .to_der()
            .map_err(|e| format!("khóa công khai hỏng: {e}"))?;
        let oid = spki.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            rsa::PublicKey::from_public_key_der(&der)
                .map(PublicKey::Rsa)
                .map_err(|e| format!("khóa công khai RSA hỏng: {e}"))
        } else if oid == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
            if curve != Some(SECP_256_R_1) {
                return Err("khóa EC không phải đường cong P-256".to_string());
            }
            p256::ecdsa::VerifyingKey::from_public_key_der(&der)
                .map(PublicKey::EcP256)
                .map_err(|e| format!("khóa công khai EC hỏng: {e}"))
        } else {
            Err(format!("thuật toán khóa {oid} không được hỗ trợ"))
        }
    }

    pub fn kind(&self) -> KeyKind {
        match self {
            PublicKey::Rsa(_) => KeyKind::Rsa,
            PublicKey::EcP256(_) => KeyKind::EcP256,
        }
    }

    /// Checks `signature` over `message` made with `algorithm` (an X.509 or CMS signature
    /// algorithm: RSA with SHA-256/384/512, or ECDSA with SHA-256; `rsaEncryption` alone
    /// means the digest is SHA-256, as CMS signer infos sometimes write it).
    pub fn verify(
        &self,
        algorithm: &der::asn1::ObjectIdentifier,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        let bad = |_| "chữ ký không khớp".to_string();
        match self {
            PublicKey::Rsa(k) => {
                let sig = rsa::pkcs1v15::Signature::try_from(signature)
                    .map_err(|_| "chữ ký RSA hỏng".to_string())?;
                let a = *algorithm;
                if a == SHA_256_WITH_RSA_ENCRYPTION || a == RSA_ENCRYPTION {
                    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k.clone())
                        .verify(message, &sig)
                        .map_err(bad)
                } else if a == SHA_384_WITH_RSA_ENCRYPTION {
                    rsa::pkcs1v15::VerifyingKey::<Sha384>::new(k.clone())
                        .verify(message, &sig)
                        .map_err(bad)
                } else if a == SHA_512_WITH_RSA_ENCRYPTION {
                    rsa::pkcs1v15::VerifyingKey::<Sha512>::new(k.clone())
                        .verify(message, &sig)
                        .map_err(bad)
                } else {
                    Err(format!(
                        "thuật toán chữ ký {a} không được hỗ trợ với khóa RSA"
                    ))
                }
            }
            PublicKey::EcP256(k) => {
                if *algorithm != ECDSA_WITH_SHA_256 && *algorithm != ID_EC_PUBLIC_KEY {
                    return Err(format!(
                        "thuật toán chữ ký {algorithm} không được hỗ trợ với khóa P-256"
                    ));
                }
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| "chữ ký ECDSA hỏng".to_string())?;
                k.verify(message, &sig).map_err(bad)
            }
        }
    }
}

/// A key on a PKCS#11 token, logged in for the life of this value.
struct TokenKey {
    session: cryptoki::session::Session,
    key: cryptoki::object::ObjectHandle,
    kind: KeyKind,
    /// The certificate object with the key's label, if the token has one.
    certificate: Option<Vec<u8>>,
    // Kept after the session: dropping the context finalizes the module.
    _pkcs11: cryptoki::context::Pkcs11,
}

impl TokenKey {
    fn open(module: &Path, token: &str, key_label: &str, pin: &str) -> Result<TokenKey, String> {
        use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
        use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
        use cryptoki::session::UserType;
        let shown = module.display();
        let pkcs11 = Pkcs11::new(module)
            .map_err(|e| format!("không nạp được thư viện PKCS#11 {shown}: {e}"))?;
        pkcs11
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| format!("thư viện PKCS#11 {shown} không khởi động được: {e}"))?;
        let slots = pkcs11
            .get_slots_with_token()
            .map_err(|e| format!("không liệt kê được thiết bị ký: {e}"))?;
        let mut labels = Vec::new();
        let mut slot = None;
        for s in slots {
            if let Ok(info) = pkcs11.get_token_info(s) {
                let label = info.label().trim().to_string();
                if label == token {
                    slot = Some(s);
                    break;
                }
                labels.push(label);
            }
        }
        let Some(slot) = slot else {
            return Err(format!(
                "không thấy thiết bị ký (token) \"{token}\"; đang cắm: {}",
                if labels.is_empty() {
                    "không có".to_string()
                } else {
                    labels.join(", ")
                }
            ));
        };
        let session = pkcs11
            .open_ro_session(slot)
            .map_err(|e| format!("không mở được phiên làm việc với token \"{token}\": {e}"))?;
        session
            .login(
                UserType::User,
                Some(&cryptoki::types::AuthPin::new(pin.into())),
            )
            .map_err(|e| format!("đăng nhập token \"{token}\" không được (sai mã PIN?): {e}"))?;
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(key_label.as_bytes().to_vec()),
            ])
            .map_err(|e| format!("không tìm được khóa trên token: {e}"))?;
        let Some(&key) = found.first() else {
            return Err(format!(
                "token \"{token}\" không có khóa riêng nhãn \"{key_label}\""
            ));
        };
        let attrs = session
            .get_attributes(key, &[AttributeType::KeyType])
            .map_err(|e| format!("không đọc được loại khóa trên token: {e}"))?;
        let kind = match attrs.first() {
            Some(Attribute::KeyType(t)) if *t == KeyType::RSA => KeyKind::Rsa,
            Some(Attribute::KeyType(t)) if *t == KeyType::EC => KeyKind::EcP256,
            _ => {
                return Err(format!(
                    "khóa \"{key_label}\" trên token không phải RSA hay EC"
                ))
            }
        };
        let certificate = session
            .find_objects(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::Label(key_label.as_bytes().to_vec()),
            ])
            .ok()
            .and_then(|found| found.first().copied())
            .and_then(|c| session.get_attributes(c, &[AttributeType::Value]).ok())
            .and_then(|attrs| match attrs.into_iter().next() {
                Some(Attribute::Value(der)) => Some(der),
                _ => None,
            });
        Ok(TokenKey {
            session,
            key,
            kind,
            certificate,
            _pkcs11: pkcs11,
        })
    }
}

impl SigningKey for TokenKey {
    fn kind(&self) -> KeyKind {
        self.kind
    }

    fn certificate(&self) -> Option<Vec<u8>> {
        self.certificate.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        use cryptoki::mechanism::Mechanism;
        let failed = |e: cryptoki::error::Error| format!("token không ký được: {e}");
        match self.kind {
            KeyKind::Rsa => self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, message)
                .map_err(failed),
            KeyKind::EcP256 => {
                // Tokens sign the digest with plain ECDSA and return r ‖ s.
                let digest = Sha256::digest(message);
                let raw = self
                    .session
                    .sign(&Mechanism::Ecdsa, self.key, &digest)
                    .map_err(failed)?;
                let sig = p256::ecdsa::Signature::from_slice(&raw)
                    .map_err(|_| "token trả về chữ ký ECDSA không đọc được".to_string())?;
                Ok(sig.to_der().to_vec())
            }
        }
    }
}
