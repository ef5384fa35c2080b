//! Mutual TLS with `rustls` (ring): the console's server configuration (agents' certificates
//! checked against its CA and its revocation list; a connection without one may only
//! enrol), the agent's configuration once enrolled, and the one it enrols with, which trusts
//! a console only if the CA it presents has the public key the token pins.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::pki::{key_fingerprint, CONSOLE_NAME};
use crate::{Error, Result};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls(e: impl std::fmt::Display) -> Error {
    Error::Broken(format!("TLS configuration: {e}"))
}

/// The name agents check in the console's certificate.
pub fn console_name() -> ServerName<'static> {
    ServerName::try_from(CONSOLE_NAME).expect("CONSOLE_NAME is a DNS name")
}

/// The console's TLS configuration: its certificate chain and key; agents' certificates are
/// checked against `ca` and `crls`; a connection without a certificate is let in to enrol.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca: &CertificateDer<'static>,
    crls: Vec<CertificateRevocationListDer<'static>>,
) -> Result<Arc<ServerConfig>> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).map_err(tls)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(crls)
        .allow_unauthenticated()
        .build()
        .map_err(tls)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(tls)?;
    Ok(Arc::new(config))
}

/// An enrolled agent's configuration: the console must show a certificate for
/// [`CONSOLE_NAME`] from `ca`; the agent shows its own.
pub fn agent_config(
    ca: &CertificateDer<'static>,
    certificate: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).map_err(tls)?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls)?
        .with_root_certificates(roots)
        .with_client_auth_cert(certificate, key)
        .map_err(tls)?;
    Ok(Arc::new(config))
}

/// The configuration an agent enrols with: no certificate of its own yet, and a console is
/// trusted only if the CA it sends after its certificate has the public key `pin` names
/// (and the certificate is that CA's, for [`CONSOLE_NAME`]).
pub fn enrol_config(pin: &str) -> Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedCa {
            pin: pin.to_ascii_lowercase(),
            provider: provider(),
        }))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Trusts the chain whose CA's key has the pinned fingerprint, verified as webpki would
/// with that CA as the only root.
#[derive(Debug)]
struct PinnedCa {
    pin: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let pinned = intermediates
            .iter()
            .find(|ca| key_fingerprint(ca).is_ok_and(|f| f == self.pin))
            .ok_or_else(|| {
                tracing::warn!("refused a console whose CA does not match the token's pin");
                rustls::Error::General("the console's CA does not match the token's pin".into())
            })?;
        let mut roots = RootCertStore::empty();
        roots
            .add(pinned.clone().into_owned())
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        verifier.verify_server_cert(end_entity, &[], server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
