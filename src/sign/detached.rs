//! The detached CMS (PKCS#7) signature over `manifest.json`: a DER `ContentInfo` holding
//! `SignedData` with no content, SHA-256, the signed attributes content-type, signing-time
//! and message-digest, and the signer's certificate and chain (RFC 5652).

use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5911::{
    ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME,
};
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::time::Time;
use x509_cert::Certificate;

use super::keys::{PublicKey, SigningKey};

fn sha256_alg() -> spki::AlgorithmIdentifierOwned {
    spki::AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: der::asn1::ObjectIdentifier, value: Any) -> Result<Attribute, String> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(|e| e.to_string())?;
    Ok(Attribute { oid, values })
}

fn der_err(e: der::Error) -> String {
    format!("lỗi mã hóa ASN.1: {e}")
}

/// Signs `content` (detached) with `key`, whose certificate is `cert`; `chain` goes into the
/// signature too. Returns the DER bytes of the `ContentInfo`.
pub fn sign_detached(
    content: &[u8],
    key: &dyn SigningKey,
    cert: &Certificate,
    chain: &[Certificate],
    at: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let digest = Sha256::digest(content);
    let since_epoch = std::time::Duration::from_secs(at.timestamp().max(0) as u64);
    let time = Time::try_from(std::time::UNIX_EPOCH + since_epoch).map_err(der_err)?;
    let mut attrs = SetOfVec::new();
    for a in [
        attribute(
            ID_CONTENT_TYPE,
            Any::encode_from(&ID_DATA).map_err(der_err)?,
        )?,
        attribute(ID_SIGNING_TIME, Any::encode_from(&time).map_err(der_err)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec()).map_err(der_err)?)
                .map_err(der_err)?,
        )?,
    ] {
        attrs.insert(a).map_err(der_err)?;
    }
    // The signature is over the DER of the attributes as a SET OF (RFC 5652 §5.4).
    let to_sign = attrs.to_der().map_err(der_err)?;
    let signature = key.sign(&to_sign)?;
    // A signature the certificate's key does not verify means key and certificate differ.
    let public = PublicKey::from_spki(cert.tbs_certificate().subject_public_key_info())?;
    let alg = key.kind().signature_algorithm();
    if public.kind() != key.kind() || public.verify(&alg.oid, &to_sign, &signature).is_err() {
        return Err(
            "khóa ký không khớp với chứng thư số (--cert): chứng thư là của một khóa khác"
                .to_string(),
        );
    }
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: sha256_alg(),
        signed_attrs: Some(attrs),
        signature_algorithm: alg,
        signature: OctetString::new(signature).map_err(der_err)?,
        unsigned_attrs: None,
    };
    let mut digests = SetOfVec::new();
    digests.insert(sha256_alg()).map_err(der_err)?;
    let mut certs = SetOfVec::new();
    for c in std::iter::once(cert).chain(chain) {
        let choice = CertificateChoices::Certificate(c.clone());
        if !certs.iter().any(|x| x == &choice) {
            certs.insert(choice).map_err(der_err)?;
        }
    }
    let mut signers = SetOfVec::new();
    signers.insert(signer).map_err(der_err)?;
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: digests,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(certs)),
        crls: None,
        signer_infos: SignerInfos(signers),
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(der_err)?,
    };
    info.to_der().map_err(der_err)
}

/// What a valid signature says.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The signer's certificate.
    pub signer: Certificate,
    /// The other certificates the signature carries.
    pub others: Vec<Certificate>,
    pub signing_time: Option<DateTime<Utc>>,
}

/// Checks the detached signature `p7s` (DER) over `content`: the digest, then the signature
/// with the signer's certificate from the signature itself. The certificate's trust is the
/// caller's (`super::chain`).
pub fn verify_detached(p7s: &[u8], content: &[u8]) -> Result<Signed, String> {
    let info = ContentInfo::from_der(p7s)
        .map_err(|e| format!("tệp chữ ký không phải CMS/PKCS#7 DER đọc được: {e}"))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(format!(
            "tệp chữ ký chứa {} chứ không phải SignedData",
            info.content_type
        ));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| format!("SignedData hỏng: {e}"))?;
    let certs: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let Some(si) = signed.signer_infos.0.iter().next() else {
        return Err("tệp chữ ký không có người ký nào".to_string());
    };
    if si.digest_alg.oid != ID_SHA_256 {
        return Err(format!(
            "thuật toán băm {} không được hỗ trợ (cần SHA-256)",
            si.digest_alg.oid
        ));
    }
    let signer = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => certs.iter().find(|c| {
            c.tbs_certificate().issuer() == &ias.issuer
                && c.tbs_certificate().serial_number() == &ias.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(_) => None,
    }
    .ok_or_else(|| "tệp chữ ký không chứa chứng thư số của người ký".to_string())?
    .clone();
    let Some(attrs) = &si.signed_attrs else {
        return Err("chữ ký không có thuộc tính được ký (message-digest)".to_string());
    };
    let attr = |oid| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let digest: OctetString = attr(ID_MESSAGE_DIGEST)
        .ok_or_else(|| "chữ ký thiếu thuộc tính message-digest".to_string())?
        .decode_as()
        .map_err(|e| format!("thuộc tính message-digest hỏng: {e}"))?;
    if digest.as_bytes() != Sha256::digest(content).as_slice() {
        return Err(
            "manifest.json đã bị thay đổi sau khi ký (mã băm không khớp chữ ký)".to_string(),
        );
    }
    let content_type: der::asn1::ObjectIdentifier = attr(ID_CONTENT_TYPE)
        .ok_or_else(|| "chữ ký thiếu thuộc tính content-type".to_string())?
        .decode_as()
        .map_err(|e| format!("thuộc tính content-type hỏng: {e}"))?;
    if content_type != ID_DATA {
        return Err(format!(
            "nội dung được ký có kiểu {content_type}, không phải data"
        ));
    }
    let signing_time = attr(ID_SIGNING_TIME)
        .and_then(|v| v.decode_as::<Time>().ok())
        .map(|t| DateTime::<Utc>::from(t.to_system_time()));
    let to_verify = attrs.to_der().map_err(der_err)?;
    let public = PublicKey::from_spki(signer.tbs_certificate().subject_public_key_info())?;
    public
        .verify(
            &si.signature_algorithm.oid,
            &to_verify,
            si.signature.as_bytes(),
        )
        .map_err(|e| format!("chữ ký không hợp lệ: {e}"))?;
    let others = certs.into_iter().filter(|c| c != &signer).collect();
    Ok(Signed {
        signer,
        others,
        signing_time,
    })
}
