//! `tls`: the app speaks https; its plain-http side only redirects.
//!
//! **What it does.** At start-up the app makes a self-signed ECDSA P-256
//! certificate (rcgen) for `app.lab.test`, `localhost`, `127.0.0.1` and `::1`
//! and serves the app over TLS (rustls, ring provider). The *same* port also
//! answers plain HTTP: the first byte of a connection tells them apart (0x16
//! opens every TLS handshake), and a plain request only ever gets
//! `301 Location: https://<host>:<same port><same path>`: no cookies, no
//! page. An HSTS upgrade in a browser therefore lands on the same port, as it
//! would on 80/443. The host is the app's own, never an echo of the request:
//! the name the client asked for when it is one of the app's names (the
//! certificate's, or the address the connection arrived on), and that
//! address otherwise ([`own_host`]): `Host: evil.example` must not make the
//! app an open redirect to another site (CWE-601). A missing or duplicated
//! `Host` gets 400, as on the app's side (`hygiene/host_header.rs`).
//!
//! **Why it matters.** Over plain HTTP every cookie, password and private
//! note crosses the network readable by anyone on the path (shared Wi-Fi, a
//! proxy, the lab's sniffing relay).
//!
//! **The weakness when off.** The port serves the app over plain HTTP only.
//!
//! CWE-319 · ASVS 4.0.3 9.1.1 · ASVS 5.0.0 12.2.1 · WSTG-SESS-04

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use base64::Engine;
use axum::http::uri::Authority;
use axum::http::{Request, Response, StatusCode, header};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::hygiene::host_header;
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
/// the app's own host ([`own_host`]), on the port the connection arrived on
/// (`local`), with the same path and query, over https.
pub fn redirect_to_https<B>(request: &Request<B>, local: SocketAddr) -> Response<Body> {
    if let Some(problem) = host_header::problem(request.version(), request.headers()) {
        return host_header::bad_request(problem);
    }
    let asked = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.parse::<Authority>().ok());
    let host = own_host(asked.as_ref().map(Authority::host), local.ip());
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
            format!("https://{host}:{}{path_and_query}", local.port()),
        )
        .body(Body::empty())
        .unwrap_or_else(|_| plain_status(StatusCode::BAD_REQUEST))
}

/// The host a redirect names: `asked` (the request's, without its port) if
/// it is one of the app's own names, the certificate's [`SUBJECT_ALT_NAMES`]
/// or the address the connection arrived on; else that address. Never any
/// other name a client sends.
pub fn own_host(asked: Option<&str>, local: IpAddr) -> String {
    let local = local.to_canonical();
    let literal = |ip: IpAddr| match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let Some(asked) = asked else {
        return literal(local);
    };
    let bare = asked.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        let named = SUBJECT_ALT_NAMES.contains(&ip.to_string().as_str());
        return literal(if ip == local || named { ip } else { local });
    }
    SUBJECT_ALT_NAMES
        .iter()
        .find(|name| name.eq_ignore_ascii_case(bare))
        .map_or_else(|| literal(local), |name| (*name).to_owned())
}

fn plain_status(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_name_the_apps_own_host_only() {
        let v4: IpAddr = "127.0.0.1".parse().expect("ip");
        let v6: IpAddr = "::1".parse().expect("ip");
        assert_eq!(own_host(Some("app.lab.test"), v4), "app.lab.test");
        assert_eq!(own_host(Some("APP.lab.test"), v4), "app.lab.test");
        assert_eq!(own_host(Some("localhost"), v4), "localhost");
        assert_eq!(own_host(Some("evil.example"), v4), "127.0.0.1");
        assert_eq!(own_host(Some("10.0.0.9"), v4), "127.0.0.1");
        assert_eq!(own_host(None, v4), "127.0.0.1");
        assert_eq!(own_host(Some("[::1]"), v6), "[::1]");
        assert_eq!(own_host(Some("evil.example"), v6), "[::1]");
        let lan: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(own_host(Some("192.0.2.7"), lan), "192.0.2.7");
        assert_eq!(own_host(Some("evil.example"), lan), "192.0.2.7");
    }
}
