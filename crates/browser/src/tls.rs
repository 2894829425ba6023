//! TLS in the lab: which certificates a browser trusts, and what clicking through a warning costs.
//!
//! The lab's https server makes a self-signed certificate at start-up (rcgen). No CA signed it,
//! so a real browser shows a warning page, and the learner has two ways past it:
//!
//! - **Trust the certificate.** The browser is told exactly which certificate is the lab's
//!   ([`Network::trust_certificate`](crate::Network::trust_certificate)), as Chromium is with
//!   `--ignore-certificate-errors-spki-list`. A connection whose certificate is exactly that one
//!   counts as trusted, and everything https promises holds, HSTS included.
//! - **Click through the warning**
//!   ([`Browser::click_through_certificate_warnings`](crate::Browser::click_through_certificate_warnings)).
//!   The page loads, but RFC 6797 §8.1 tells the browser to ignore `Strict-Transport-Security`
//!   received over a connection with certificate errors (Chromium does, and so does the lab
//!   browser): the HSTS defence silently stops working. That is a lesson of its own.
//!
//! A browser that does neither refuses the site, as a real one stops at the warning page.
//!
//! The certificate is compared byte for byte (its DER encoding), whatever host name it was made
//! for: a pinned certificate is trusted for any lab host. The lab certificate is not a CA, so it
//! is never added as a root. The handshake signatures are still checked with the ring provider,
//! so a server must hold the private key of the certificate it shows.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::BrowserError;

/// How many certificates a browser refused so far. The browser compares the count before and
/// after a request to tell "refused the certificate" from any other failed connection (the
/// rustls error itself arrives wrapped in several layers of I/O errors).
#[derive(Debug, Clone, Default)]
pub(crate) struct Refusals(Arc<AtomicUsize>);

impl Refusals {
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    fn note(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The TLS client configuration of a browser that trusts exactly `trusted` (DER-encoded leaf
/// certificates), and, if `click_through`, goes on past any other certificate too. Each
/// certificate it refuses is counted in `refusals`.
pub(crate) fn client_config(
    trusted: &[Vec<u8>],
    click_through: bool,
    refusals: &Refusals,
) -> rustls::ClientConfig {
    let verifier = LabVerifier {
        trusted: trusted.to_vec(),
        click_through,
        algorithms: provider().signature_verification_algorithms,
        refusals: refusals.clone(),
    };
    config_with(verifier)
}

/// A TLS client configuration that trusts exactly `trusted` (DER-encoded leaf certificates)
/// and nothing else: for the lab's own requests that no browser makes (the lab clock's
/// control carries a key, which must never go to an impostor).
pub fn pinned_client_config(trusted: &[Vec<u8>]) -> rustls::ClientConfig {
    client_config(trusted, false, &Refusals::default())
}

/// Which certificate an https server presents (its DER-encoded leaf certificate), learned by
/// a TLS handshake with `addr`, naming `server_name` (SNI).
///
/// This is trust on first use: the lab asks the server it just started, or the target a
/// learner named with `sessionlab attack --target URL`, and pins the answer into the browsers'
/// [`Network`](crate::Network). Nothing is sent after the handshake.
///
/// # Errors
/// [`BrowserError::Unreachable`] when the connection or the handshake fails (no TLS there, or
/// a handshake signature that does not verify), and [`BrowserError::BadUrl`] for a
/// `server_name` that is no host name.
pub async fn fetch_peer_certificate(
    addr: SocketAddr,
    server_name: &str,
) -> Result<Vec<u8>, BrowserError> {
    let where_ = format!("https://{server_name} at {addr}");
    let failed = |reason: String| BrowserError::Unreachable {
        url: where_.clone(),
        reason,
    };
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|_| BrowserError::BadUrl(format!("{server_name:?} is not a host name")))?;
    // Any certificate is accepted here: the point is to learn it, not to judge it.
    let config = client_config(&[], true, &Refusals::default());
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| failed(format!("TLS handshake: {error}")))?;
    let (_, connection) = tls.get_ref();
    connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|leaf| leaf.as_ref().to_vec())
        .ok_or_else(|| failed("the server presented no certificate".to_string()))
}

/// The crypto the lab uses everywhere: rustls with ring.
fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A rustls client configuration around `verifier`, no client certificate.
fn config_with(verifier: LabVerifier) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth()
}

/// The lab browser's certificate check: the leaf must be one of `trusted`, unless the user
/// clicks through warnings. The handshake signatures are verified either way.
#[derive(Debug)]
struct LabVerifier {
    trusted: Vec<Vec<u8>>,
    click_through: bool,
    algorithms: WebPkiSupportedAlgorithms,
    refusals: Refusals,
}

impl ServerCertVerifier for LabVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let pinned = self
            .trusted
            .iter()
            .any(|trusted| trusted.as_slice() == end_entity.as_ref());
        if pinned || self.click_through {
            Ok(ServerCertVerified::assertion())
        } else {
            // What a browser without the lab certificate sees: no CA it knows signed this one.
            self.refusals.note();
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
