//! `tls`: the app speaks https; its plain-http side only redirects.
//!
//! **What it does.** At start-up the app makes a self-signed ECDSA P-256
//! certificate (rcgen) for `app.lab.test`, `localhost`, `127.0.0.1` and `::1`
//! and serves the app over TLS (rustls, ring provider). The *same* port also
//! answers plain HTTP: the first byte of a connection tells them apart (0x16
//! opens every TLS handshake), and a plain request only ever gets
//! `301 Location: https://<same host and port><same path>`: no cookies, no
//! page. An HSTS upgrade in a browser therefore lands on the same port, as it
//! would on 80/443.
//!
//! **Why it matters.** Over plain HTTP every cookie, password and private
//! note crosses the network readable by anyone on the path (shared Wi-Fi, a
//! proxy, the lab's sniffing relay).
//!
//! **The weakness when off.** The port serves the app over plain HTTP only.
//!
//! CWE-319 · ASVS 4.0.3 9.1.1 · ASVS 5.0.0 12.2.1 · WSTG-SESS-04

use std::sync::Arc;

use axum::body::Body;
use base64::Engine;
use axum::http::uri::Authority;
use axum::http::{Request, Response, StatusCode, header};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::{Defense, Profile};

pub const SUBJECT_ALT_NAMES: [&str; 4] = ["app.lab.test", "localhost", "127.0.0.1", "::1"];

pub fn is_on(profile: &Profile) -> bool {
    profile.has(Defense::Tls)
}

/// The first byte of a TLS connection: a handshake record (content type 22).
pub fn starts_tls_handshake(first_byte: u8) -> bool {
    first_byte == 0x16
}

/// What the server needs to speak TLS, and the certificate for clients to trust.
pub struct TlsSetup {
    pub acceptor: TlsAcceptor,
    pub certificate_pem: String,
    pub certificate_der: Vec<u8>,
    /// The base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo):
    /// what `chromium --ignore-certificate-errors-spki-list=` trusts.
    pub spki_sha256: String,
}

/// A fresh self-signed certificate and the rustls configuration that serves it.
pub fn self_signed() -> Result<TlsSetup, String> {
    let key_pair =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let names: Vec<String> = SUBJECT_ALT_NAMES
        .iter()
        .map(|name| name.to_string())
        .collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sessionlab app.lab.test");
    let certificate = params.self_signed(&key_pair).map_err(|e| e.to_string())?;
    let spki = rcgen::PublicKeyData::subject_public_key_info(&key_pair);
    let spki_sha256 = base64::engine::general_purpose::STANDARD
        .encode(ring::digest::digest(&ring::digest::SHA256, &spki));

    let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certificate.der().to_vec())],
            private_key,
        )
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate_pem: certificate.pem(),
        certificate_der: certificate.der().to_vec(),
        spki_sha256,
    })
}

/// The whole plain-HTTP side of a TLS profile: every request gets a 301 to
/// the same host, port, path and query over https.
pub fn redirect_to_https<B>(request: &Request<B>) -> Response<Body> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    // Only a plain `host[:port]` is echoed into the Location header.
    let authority = host.and_then(|host| host.parse::<Authority>().ok());
    let Some(authority) = authority.filter(|authority| !authority.as_str().contains('@')) else {
        return plain_status(StatusCode::BAD_REQUEST);
    };
    let path_and_query = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let path_and_query = if path_and_query.starts_with('/') {
        path_and_query
    } else {
        "/"
    };
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(
            header::LOCATION,
            format!("https://{authority}{path_and_query}"),
        )
        .body(Body::empty())
        .unwrap_or_else(|_| plain_status(StatusCode::BAD_REQUEST))
}

fn plain_status(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}
