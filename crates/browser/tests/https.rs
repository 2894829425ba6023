//! The browser against a self-signed https server on 127.0.0.1 (like the app's `tls` defense):
//! Secure and `__Host-` cookies, HSTS learned over https, and an http link upgraded before it
//! leaves; trusting exactly the server's certificate, refusing others, and what clicking through
//! the certificate warning costs (no HSTS). Nothing here leaves loopback.
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::{SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use axum::response::AppendHeaders;
use axum::routing::get;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sessionlab_browser::{
    Browser, BrowserError, CookieDecision, Network, RequestContext, SetCookieOutcome,
    WithholdReason, fetch_peer_certificate,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use url::Url;

/// A TCP listener that hands axum only connections whose TLS handshake succeeded.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A fresh self-signed certificate for app.lab.test, as the app makes one at start-up, and the
/// certificate (DER) it presents.
fn acceptor() -> (TlsAcceptor, Vec<u8>) {
    let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key pair");
    let params = rcgen::CertificateParams::new(vec!["app.lab.test".to_string()]).expect("params");
    let certificate = params.self_signed(&key_pair).expect("certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(certificate.der().to_vec())], key)
    .expect("server config");
    (
        TlsAcceptor::from(Arc::new(config)),
        certificate.der().to_vec(),
    )
}

/// An https server with a fresh certificate: its address and its certificate (DER).
async fn start_https() -> (SocketAddr, Vec<u8>) {
    let tcp = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = tcp.local_addr().expect("local address");
    let app = Router::new()
        .route(
            "/login",
            get(|| async {
                AppendHeaders([
                    (SET_COOKIE, "__Host-sid=s3cret; Secure; HttpOnly; Path=/"),
                    (STRICT_TRANSPORT_SECURITY, "max-age=3600; includeSubDomains"),
                ])
            }),
        )
        .route(
            "/echo",
            get(|headers: HeaderMap| async move {
                let get = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                format!("host={} cookie={}", get("host"), get("cookie"))
            }),
        );
    let (acceptor, certificate) = acceptor();
    let listener = TlsListener { tcp, acceptor };
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, certificate)
}

fn url(port: u16, scheme_and_path: (&str, &str)) -> Url {
    let (scheme, path) = scheme_and_path;
    Url::parse(&format!("{scheme}://app.lab.test:{port}{path}")).expect("URL")
}

#[tokio::test]
async fn secure_cookie_and_hsts_over_real_tls() {
    let (addr, certificate) = start_https().await;
    let port = addr.port();
    let mut browser = Browser::new(
        "victim",
        Network::new()
            .with_route("app.lab.test", port, addr)
            .with_trusted_certificate(certificate),
    );
    let https =
        |path: &str| Url::parse(&format!("https://app.lab.test:{port}{path}")).expect("URL");
    let http = |path: &str| Url::parse(&format!("http://app.lab.test:{port}{path}")).expect("URL");

    // Over https: the pinned self-signed certificate is trusted, the __Host- cookie stored, HSTS
    // noted.
    browser
        .open(&https("/login"), None)
        .await
        .expect("https login page");
    let outcomes = &browser
        .last_exchange()
        .expect("exchange")
        .set_cookie_outcomes;
    assert!(
        matches!(outcomes.as_slice(), [SetCookieOutcome::Stored(cookie)] if cookie.secure),
        "{outcomes:?}"
    );
    assert!(browser.hsts.is_known("app.lab.test", browser.now()));
    let exchange = browser.last_exchange().expect("exchange");
    assert_eq!(exchange.certificate_trusted, Some(true));
    // https is potentially trustworthy: Fetch Metadata goes along.
    assert_eq!(exchange.request_header("sec-fetch-site"), Some("none"));
    assert_eq!(exchange.request_header("sec-fetch-mode"), Some("navigate"));
    assert_eq!(exchange.request_header("sec-fetch-dest"), Some("document"));

    // An http link: upgraded before it leaves, so the Secure cookie travels - encrypted.
    let page = browser
        .open(&http("/echo"), None)
        .await
        .expect("upgraded request");
    assert_eq!(page.url, https("/echo"));
    assert_eq!(
        page.body,
        format!("host=app.lab.test:{port} cookie=__Host-sid=s3cret")
    );
    let exchange = browser.last_exchange().expect("exchange");
    assert_eq!(exchange.upgraded_from, Some(http("/echo")));
    assert!(matches!(
        exchange.cookie_decisions.as_slice(),
        [CookieDecision::Sent(_)]
    ));
}

#[tokio::test]
async fn secure_cookie_is_withheld_from_plain_http() {
    let (addr, certificate) = start_https().await;
    let port = addr.port();
    let mut browser = Browser::new(
        "victim",
        Network::new()
            .with_route("app.lab.test", port, addr)
            .with_trusted_certificate(certificate),
    );
    browser
        .open(
            &Url::parse(&format!("https://app.lab.test:{port}/login")).expect("URL"),
            None,
        )
        .await
        .expect("login");
    // Were it not for HSTS, an http request would go out - without the Secure cookie.
    let http = Url::parse(&format!("http://app.lab.test:{port}/echo")).expect("URL");
    let ctx = RequestContext {
        url: &http,
        method: "GET",
        top_level: true,
        initiator: None,
    };
    let now = browser.now();
    let (header, decisions) = browser.jar.cookies_for(&ctx, now);
    assert_eq!(header, None);
    assert!(matches!(
        decisions.as_slice(),
        [CookieDecision::Withheld {
            reason: WithholdReason::SecureOverHttp,
            ..
        }]
    ));
}

#[tokio::test]
async fn clicking_through_the_certificate_warning_switches_hsts_off() {
    let (addr, _certificate) = start_https().await;
    let port = addr.port();
    // The certificate is not trusted, but the user clicks "Proceed".
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", port, addr),
    );
    browser.click_through_certificate_warnings();
    browser
        .open(&url(port, ("https", "/login")), None)
        .await
        .expect("the page loads after the click-through");
    let exchange = browser.last_exchange().expect("exchange");
    assert_eq!(exchange.certificate_trusted, Some(false));
    assert!(
        exchange
            .response_header("strict-transport-security")
            .is_some(),
        "the server did send HSTS"
    );
    // RFC 6797 8.1: the header came over a connection with a certificate error, so it is ignored.
    assert!(!browser.hsts.is_known("app.lab.test", browser.now()));
    assert_eq!(
        browser
            .hsts
            .upgrade(&url(port, ("http", "/echo")), browser.now()),
        None,
        "a later http link would go out in clear text"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_naming_the_host() {
    let (addr, _certificate) = start_https().await;
    let port = addr.port();
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", port, addr),
    );
    let error = browser
        .open(&url(port, ("https", "/login")), None)
        .await
        .expect_err("no trusted certificate, no click-through");
    assert!(
        matches!(&error, BrowserError::UntrustedCertificate { host } if host == "app.lab.test"),
        "{error:?}"
    );
    assert!(error.to_string().contains("app.lab.test"), "{error}");
    // Nothing was exchanged: the request (and any cookie) never left the browser.
    assert!(browser.exchanges.is_empty());
    assert!(!browser.hsts.is_known("app.lab.test", browser.now()));
}

#[tokio::test]
async fn a_different_certificate_than_the_trusted_one_is_refused() {
    let (addr, _served) = start_https().await;
    let (_other_addr, other_certificate) = start_https().await;
    let port = addr.port();
    // The browser trusts another server's certificate, not the one this server presents.
    let mut browser = Browser::new(
        "victim",
        Network::new()
            .with_route("app.lab.test", port, addr)
            .with_trusted_certificate(other_certificate),
    );
    let error = browser
        .open(&url(port, ("https", "/login")), None)
        .await
        .expect_err("the wrong certificate");
    assert!(
        matches!(&error, BrowserError::UntrustedCertificate { host } if host == "app.lab.test"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_learned_certificate_can_be_trusted_later() {
    let (addr, certificate) = start_https().await;
    let port = addr.port();
    // Trust on first use: the lab asks the server which certificate it presents.
    let learned = fetch_peer_certificate(addr, "app.lab.test")
        .await
        .expect("the handshake");
    assert_eq!(learned, certificate);
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", port, addr),
    );
    let refused = browser.open(&url(port, ("https", "/login")), None).await;
    assert!(matches!(
        refused,
        Err(BrowserError::UntrustedCertificate { .. })
    ));
    // Trusting it on the browser's network takes effect for the next request.
    browser.network.trust_certificate(learned);
    browser
        .open(&url(port, ("https", "/login")), None)
        .await
        .expect("trusted now");
    assert_eq!(
        browser.last_exchange().and_then(|e| e.certificate_trusted),
        Some(true)
    );
    assert!(browser.hsts.is_known("app.lab.test", browser.now()));
}

#[tokio::test]
async fn learning_a_certificate_from_a_plain_http_server_fails() {
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("address");
    tokio::spawn(async move {
        // Answers the ClientHello with plain HTTP, as a server without TLS does.
        use tokio::io::AsyncWriteExt;
        if let Ok((mut stream, _)) = tcp.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let error = fetch_peer_certificate(addr, "app.lab.test")
        .await
        .expect_err("no TLS there");
    assert!(
        matches!(error, BrowserError::Unreachable { .. }),
        "{error:?}"
    );
}
