//! Raw-socket helpers shared by the app's end-to-end tests: a server on
//! 127.0.0.1, a request written by hand, the response read until the server
//! closes, over plain TCP or TLS trusting exactly the app's certificate.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sessionlab_app::{Profile, ProfileName, RunningServer, ServeOptions, start};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// One profile on 127.0.0.1, an ephemeral port, default limits.
pub async fn serve(name: ProfileName) -> RunningServer {
    let options = ServeOptions::new(Profile::new(name), "127.0.0.1:0".parse().expect("addr"));
    start(options).await.expect("server starts")
}

/// Writes `request`, reads until the server closes (or 5 s pass).
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &[u8]) -> String {
    // A server may answer and close before reading everything (431): read anyway.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// `request` over plain TCP to `addr`.
pub async fn plain(addr: SocketAddr, request: &[u8]) -> String {
    exchange(TcpStream::connect(addr).await.expect("connect"), request).await
}

/// A TLS client that trusts exactly the app's certificate.
pub fn tls_connector(server: &RunningServer) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let der = server.certificate_der().expect("a certificate").to_vec();
    roots
        .add(rustls::pki_types::CertificateDer::from(der))
        .expect("trust the lab certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Sends `request` to the app itself: over TLS when the profile has it.
pub async fn to_app(server: &RunningServer, request: &[u8]) -> String {
    let tcp = TcpStream::connect(server.addr).await.expect("connect");
    if server.certificate_der().is_none() {
        return exchange(tcp, request).await;
    }
    let name = rustls::pki_types::ServerName::try_from("app.lab.test").expect("server name");
    let tls = tls_connector(server)
        .connect(name, tcp)
        .await
        .expect("handshake");
    exchange(tls, request).await
}

/// Every value of the response header `name` (e.g. each `Set-Cookie`).
pub fn headers_named<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .skip(1)
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
        .collect()
}

/// The first value of the response header `name`.
pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    headers_named(response, name).into_iter().next()
}
