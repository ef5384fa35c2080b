//! The console's private certificate authority: made on first use and kept in the console's
//! data folder (the key readable only by its owner), it signs the console's own server
//! certificate and each enrolled agent's, and lists the revoked ones. An agent's identity is
//! its key: `id` = the first 128 bits of the SHA-256 of its public key, named in its
//! certificate as `urn:vigil:agent:<id>`. Certificates with `rcgen`, no home-made cryptography.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{Error, Result};

/// The DNS name in the console's server certificate: agents connect to whatever address
/// they were given and check this name against the pinned CA, so a laptop whose address
/// changes stays the console.
pub const CONSOLE_NAME: &str = "console.vigil.invalid";

/// How long an agent's certificate holds; it renews at two thirds of it.
pub const AGENT_CERT_DAYS: i64 = 90;

/// The prefix of an agent's identity in its certificate.
const AGENT_URN: &str = "urn:vigil:agent:";

/// The SHA-256 of a certificate's public key (its SubjectPublicKeyInfo), hex: what a token
/// pins the console's CA by.
pub fn key_fingerprint(cert: &CertificateDer<'_>) -> Result<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert)
        .map_err(|e| Error::Refused(format!("not a certificate: {e}")))?;
    Ok(hex(&Sha256::digest(parsed.public_key().raw)))
}

/// The agent id a public key (SubjectPublicKeyInfo, DER) gives.
pub fn agent_id_of_key(spki: &[u8]) -> String {
    hex(&Sha256::digest(spki)[..16])
}

/// The agent a certificate names (`urn:vigil:agent:<id>`), checked against the key it holds:
/// a certificate whose name is not its key's is no agent's.
pub fn agent_of(cert: &CertificateDer<'_>) -> Result<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert)
        .map_err(|e| Error::Refused(format!("not a certificate: {e}")))?;
    let named = parsed
        .subject_alternative_name()
        .ok()
        .flatten()
        .into_iter()
        .flat_map(|san| san.value.general_names.iter())
        .find_map(|name| match name {
            x509_parser::extensions::GeneralName::URI(uri) => uri.strip_prefix(AGENT_URN),
            _ => None,
        })
        .ok_or_else(|| Error::Refused("the certificate names no agent".into()))?;
    let id = agent_id_of_key(parsed.public_key().raw);
    if named != id {
        return Err(Error::Refused(format!(
            "the certificate names agent {named} but holds the key of {id}"
        )));
    }
    Ok(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A certificate issued to an agent.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The agent's id (from its key).
    pub agent: String,
    /// The certificate's serial number, for revocation.
    pub serial: u64,
    pub certificate_pem: String,
    pub not_after: OffsetDateTime,
}

/// The console's certificate authority, kept in a folder.
pub struct Authority {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    cert: CertificateDer<'static>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").field("dir", &self.dir).finish()
    }
}

impl Authority {
    /// The authority kept in `dir`, made there on first use (`ca.key.pem`, readable only by
    /// its owner, and `ca.cert.pem`).
    pub fn open_or_create(dir: &Path) -> Result<Authority> {
        let key_path = dir.join("ca.key.pem");
        let cert_path = dir.join("ca.cert.pem");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if key_path.exists() {
            let key_pem =
                std::fs::read_to_string(&key_path).map_err(|e| Error::io(&key_path, e))?;
            let cert_pem =
                std::fs::read_to_string(&cert_path).map_err(|e| Error::io(&cert_path, e))?;
            let key = KeyPair::from_pem(&key_pem)
                .map_err(|e| Error::Broken(format!("{}: {e}", key_path.display())))?;
            let der = pem_certificates(&cert_pem)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::Broken(format!("{}: no certificate", cert_path.display())))?;
            let issuer = Issuer::from_ca_cert_der(&der, key)
                .map_err(|e| Error::Broken(format!("{}: {e}", cert_path.display())))?;
            return Ok(Authority {
                dir: dir.to_path_buf(),
                issuer,
                cert: der,
            });
        }
        let key = KeyPair::generate().map_err(crypto)?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        // Named by its key, so that two consoles' CAs never share a name (a certificate of
        // the other is then refused as an unknown issuer, and the log says so).
        let id = &agent_id_of_key(&rcgen::PublicKeyData::subject_public_key_info(&key))[..12];
        name.push(DnType::CommonName, format!("Vigil console CA {id}"));
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(3650);
        let cert = params.self_signed(&key).map_err(crypto)?;
        write_private(&key_path, &key.serialize_pem())?;
        std::fs::write(&cert_path, cert.pem()).map_err(|e| Error::io(&cert_path, e))?;
        Ok(Authority {
            dir: dir.to_path_buf(),
            issuer: Issuer::new(params, key),
            cert: cert.der().clone(),
        })
    }

    /// The CA's own certificate.
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// The CA's certificate as PEM, as agents keep it.
    pub fn certificate_pem(&self) -> String {
        pem_of("CERTIFICATE", &self.cert)
    }

    /// The SHA-256 of the CA's public key, hex: the pin an enrolment token carries.
    pub fn fingerprint(&self) -> Result<String> {
        key_fingerprint(&self.cert)
    }

    fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    /// The console's server certificate (fresh key, named [`CONSOLE_NAME`], a year) with
    /// the CA after it, and its key.
    pub fn server_identity(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
        let key = KeyPair::generate().map_err(crypto)?;
        let mut params = CertificateParams::new(vec![CONSOLE_NAME.to_string()]).map_err(crypto)?;
        params.distinguished_name = DistinguishedName::new();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(365);
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, self.issuer()).map_err(crypto)?;
        let key_der = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| Error::Broken(format!("the console's key: {e}")))?;
        Ok((vec![cert.der().clone(), self.cert.clone()], key_der))
    }

    /// Signs an agent's certificate request: the certificate names the agent its key gives
    /// (whatever the request asks for), for `days` from `now` (the tests make expired ones).
    pub fn sign_agent(
        &self,
        csr_pem: &str,
        serial: u64,
        now: OffsetDateTime,
        days: i64,
    ) -> Result<Issued> {
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| Error::Refused(format!("not a valid certificate request: {e}")))?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(&csr.public_key);
        let agent = agent_id_of_key(&spki);
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.subject_alt_names = vec![SanType::URI(
            format!("{AGENT_URN}{agent}").try_into().map_err(crypto)?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.serial_number = Some(SerialNumber::from(serial));
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + Duration::days(days);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&csr.public_key, self.issuer())
            .map_err(crypto)?;
        Ok(Issued {
            agent,
            serial,
            certificate_pem: cert.pem(),
            not_after: params.not_after,
        })
    }

    /// The revocation list of `serials` (revoked machines), signed now.
    pub fn revocation_list(
        &self,
        serials: &[u64],
    ) -> Result<CertificateRevocationListDer<'static>> {
        let now = OffsetDateTime::now_utc();
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + Duration::days(7),
            crl_number: SerialNumber::from(now.unix_timestamp().unsigned_abs()),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: now - Duration::minutes(1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(self.issuer()).map_err(crypto)?;
        Ok(crl.der().clone())
    }
}

/// An agent's own key and what it asks the console to sign.
pub struct AgentKey {
    key: KeyPair,
}

impl AgentKey {
    /// A new key (made on the agent; it never leaves it).
    pub fn generate() -> Result<AgentKey> {
        Ok(AgentKey {
            key: KeyPair::generate().map_err(crypto)?,
        })
    }

    /// The key kept as PEM.
    pub fn from_pem(pem: &str) -> Result<AgentKey> {
        Ok(AgentKey {
            key: KeyPair::from_pem(pem)
                .map_err(|e| Error::Broken(format!("the agent's key: {e}")))?,
        })
    }

    pub fn to_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// The agent id this key gives.
    pub fn agent_id(&self) -> String {
        agent_id_of_key(&rcgen::PublicKeyData::subject_public_key_info(&self.key))
    }

    /// A certificate request for this key.
    pub fn request(&self) -> Result<String> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        let csr = params.serialize_request(&self.key).map_err(crypto)?;
        csr.pem().map_err(crypto)
    }

    pub fn private_key(&self) -> Result<PrivateKeyDer<'static>> {
        PrivateKeyDer::try_from(self.key.serialize_der())
            .map_err(|e| Error::Broken(format!("the agent's key: {e}")))
    }
}

fn crypto(e: rcgen::Error) -> Error {
    Error::Broken(format!("certificate: {e}"))
}

/// The certificates in a PEM text.
pub fn pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Refused(format!("not PEM certificates: {e}")))
}

fn pem_of(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der))
}

/// Writes a secret file readable only by its owner.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}
