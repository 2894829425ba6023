//! The browser against a self-signed https server on 127.0.0.1 (like the app's `tls` defense):
//! Secure and `__Host-` cookies, HSTS learned over https, and an http link upgraded before it
//! leaves. Nothing here leaves loopback.
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::{SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use axum::response::AppendHeaders;
use axum::routing::get;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sessionlab_browser::{
    Browser, CookieDecision, Network, RequestContext, SetCookieOutcome, WithholdReason,
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

/// A fresh self-signed certificate for app.lab.test, as the app makes one at start-up.
fn acceptor() -> TlsAcceptor {
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
    TlsAcceptor::from(Arc::new(config))
}

async fn start_https() -> SocketAddr {
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
    let listener = TlsListener {
        tcp,
        acceptor: acceptor(),
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn secure_cookie_and_hsts_over_real_tls() {
    let addr = start_https().await;
    let port = addr.port();
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", port, addr),
    );
    let https =
        |path: &str| Url::parse(&format!("https://app.lab.test:{port}{path}")).expect("URL");
    let http = |path: &str| Url::parse(&format!("http://app.lab.test:{port}{path}")).expect("URL");

    // Over https: the self-signed certificate is accepted, the __Host- cookie stored, HSTS noted.
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
    let addr = start_https().await;
    let port = addr.port();
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", port, addr),
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
