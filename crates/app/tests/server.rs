//! Tests against a real server: `start()` on 127.0.0.1, port 0.

mod common;

use std::time::{Duration, Instant};

use common::{exchange, header, headers_named, plain, serve, tls_connector, to_app};
use sessionlab_app::{Profile, ProfileName, ServeError, ServeOptions, start};
use tokio::net::TcpStream;

fn get(path: &str, host: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

#[tokio::test]
async fn answers_at_once_and_shuts_down() {
    for name in ProfileName::ALL {
        let started = Instant::now();
        let server = serve(name).await;
        let response = plain(server.addr, &get("/", "app.lab.test", "")).await;
        let elapsed = started.elapsed();
        eprintln!("{name}: first response {elapsed:?} after start()");
        // The hardened profile's plain side redirects to https.
        let expected = if name == ProfileName::Hardened {
            "HTTP/1.1 301"
        } else {
            "HTTP/1.1 200"
        };
        assert!(response.starts_with(expected), "{name}: {response}");
        if name == ProfileName::Hardened {
            tokio::time::timeout(Duration::from_secs(5), server.shutdown())
                .await
                .expect("shutdown finishes");
            continue;
        }
        // The goal is 50 ms; the bound leaves room for a busy 2-core CI machine.
        assert!(
            elapsed < Duration::from_secs(1),
            "{name}: first response after {elapsed:?}"
        );
        assert_eq!(server.scheme(), "http");
        assert_eq!(server.url(), format!("http://{}/", server.addr));
        // Distinct names: profiles side by side on 127.0.0.1 share a cookie jar.
        let expected_name = match name {
            ProfileName::Tutorial => "connect.sid",
            _ => "sid",
        };
        assert_eq!(server.session_cookie_name(), expected_name);
        assert!(
            server
                .accounts
                .iter()
                .any(|a| a.username == "alice" && a.password == "wonderland")
        );
        assert!(
            server
                .accounts
                .iter()
                .any(|a| a.username == "bob" && a.password == "builder")
        );
        assert!(server.certificate_pem().is_none());
        assert!(server.certificate_der().is_none());

        // An idle connection does not hold the shutdown up.
        let idle = TcpStream::connect(server.addr).await.expect("connect");
        let addr = server.addr;
        tokio::time::timeout(Duration::from_secs(5), server.shutdown())
            .await
            .expect("shutdown finishes");
        drop(idle);
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "{name}: still accepting after shutdown"
        );
    }
}

#[tokio::test]
async fn a_full_login_over_the_socket() {
    let server = serve(ProfileName::Insecure).await;
    let form = "username=alice&password=wonderland";
    let login = format!(
        "POST /login HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let response = plain(server.addr, login.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let cookie = header(&response, "set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_owned();
    let account = plain(
        server.addr,
        &get("/account", "app.lab.test", &format!("Cookie: {cookie}\r\n")),
    )
    .await;
    // The note's text up to its random marker: "private note of alice #".
    let note = sessionlab_protocol::private_note(sessionlab_protocol::DEMO_VICTIM.username, 0);
    let note_start = &note[..=note.find('#').expect("a marker")];
    let shown = format!(
        "<p id=\"{}\">{note_start}",
        sessionlab_protocol::element::PRIVATE_NOTE
    );
    assert!(
        account.starts_with("HTTP/1.1 200") && account.contains(&shown),
        "{account}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_cookie_header_gets_431() {
    for name in ProfileName::ALL {
        let server = serve(name).await;
        let cookie = format!(
            "Cookie: {}={}\r\n",
            server.session_cookie_name(),
            "a".repeat(256 * 1024)
        );
        // Over TLS for the hardened profile would need a handshake first; the
        // plain side parses the head the same way before redirecting.
        let response = plain(server.addr, &get("/login", "127.0.0.1", &cookie)).await;
        assert!(
            response.starts_with("HTTP/1.1 431"),
            "{name}: {}",
            response.lines().next().unwrap_or_default()
        );
        server.shutdown().await;
    }
}

/// `GET /login` whose head (request line, headers, blank line) is exactly
/// `len` bytes, the last header being `name: <prefix>aaa...`.
fn head_of_length(len: usize, name: &str, prefix: &str) -> Vec<u8> {
    let start = "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    let fixed = start.len() + name.len() + ": ".len() + prefix.len() + "\r\n\r\n".len();
    let head = format!("{start}{name}: {prefix}{}\r\n\r\n", "a".repeat(len - fixed));
    assert_eq!(head.len(), len);
    head.into_bytes()
}

#[tokio::test]
async fn a_head_just_over_64_kib_gets_431_and_one_at_the_limit_does_not() {
    use sessionlab_app::server::MAX_REQUEST_HEAD_BYTES;
    for name in ProfileName::ALL {
        let server = serve(name).await;
        let over = MAX_REQUEST_HEAD_BYTES + 1;
        for request in [
            head_of_length(over, "X-Padding", ""),
            head_of_length(over, "Cookie", "theme="),
        ] {
            let response = plain(server.addr, &request).await;
            assert!(
                response.starts_with("HTTP/1.1 431"),
                "{name}: {over} bytes: {}",
                response.lines().next().unwrap_or_default()
            );
        }
        let at_limit = head_of_length(MAX_REQUEST_HEAD_BYTES, "X-Padding", "");
        let response = plain(server.addr, &at_limit).await;
        let status = response.lines().next().unwrap_or_default();
        assert!(
            status.starts_with("HTTP/1.1 2") || status.starts_with("HTTP/1.1 3"),
            "{name}: a head of exactly {MAX_REQUEST_HEAD_BYTES} bytes: {status}"
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn non_utf8_cookie_bytes_get_400_and_are_cleared() {
    for name in ProfileName::ALL {
        let server = serve(name).await;
        let cookie = server.session_cookie_name().to_owned();
        let mut request = format!(
            "GET /login HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\nCookie: {cookie}="
        )
        .into_bytes();
        request.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0x80]);
        request.extend_from_slice(b"; other=\xe2\x82\r\n\r\n");
        let response = to_app(&server, &request).await;
        assert!(response.starts_with("HTTP/1.1 400"), "{name}: {response}");
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{name}"
        );
        assert!(response.contains("reload the page"), "{name}: {response}");
        let secure = if name == ProfileName::Hardened {
            "; Secure"
        } else {
            ""
        };
        let mut set_cookies = headers_named(&response, "set-cookie");
        set_cookies.sort_unstable();
        let mut expected = vec![
            format!("{cookie}=; Max-Age=0; Path=/{secure}"),
            format!("other=; Max-Age=0; Path=/{secure}"),
        ];
        expected.sort_unstable();
        assert_eq!(set_cookies, expected, "{name}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn control_characters_in_a_cookie_get_400() {
    for name in ProfileName::ALL {
        let server = serve(name).await;
        let cookie = server.session_cookie_name().to_owned();
        for bad in ["\x01", "\x7f", "\x1b[31m"] {
            let request = get(
                "/login",
                "app.lab.test",
                &format!("Cookie: {cookie}=a{bad}b\r\n"),
            );
            let response = to_app(&server, &request).await;
            // hyper refuses these bytes in any header before the app sees them.
            assert!(
                response.starts_with("HTTP/1.1 400"),
                "{name} {bad:?}: {}",
                response.lines().next().unwrap_or_default()
            );
        }
        server.shutdown().await;
    }
}

#[tokio::test]
async fn refuses_a_public_address_without_the_flag() {
    let options = ServeOptions {
        profile: Profile::new(ProfileName::Insecure),
        addr: "0.0.0.0:0".parse().expect("addr"),
        allow_non_loopback: false,
        lab_clock: false,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: Default::default(),
    };
    match start(options).await {
        Err(ServeError::RefusedAddress(message)) => {
            assert!(message.contains("--expose-vulnerable-app"))
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(server) => {
            server.shutdown().await;
            panic!("the insecure profile listened on 0.0.0.0");
        }
    }
}

#[tokio::test]
async fn one_port_speaks_tls_and_redirects_plain_http() {
    let server = serve(ProfileName::Hardened).await;
    assert_eq!(server.scheme(), "https");
    assert_eq!(server.session_cookie_name(), "__Host-sid");
    assert!(
        server
            .certificate_pem()
            .is_some_and(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----"))
    );
    let port = server.addr.port();

    // Plain HTTP: a 301 to the same host, port, path and query; nothing else.
    let host = format!("app.lab.test:{port}");
    let response = plain(
        server.addr,
        &get("/login?next=%2Faccount", &host, "Cookie: __Host-sid=x\r\n"),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 301"), "{response}");
    assert_eq!(
        header(&response, "location"),
        Some(format!("https://{host}/login?next=%2Faccount").as_str())
    );
    for absent in [
        "set-cookie",
        "strict-transport-security",
        "content-security-policy",
    ] {
        assert!(
            header(&response, absent).is_none(),
            "{absent} on the redirect"
        );
    }
    // HTTP/1.1 needs a Host (RFC 9112 section 3.2); HTTP/1.0 may go without,
    // and is sent to the address it arrived on.
    let no_host = plain(server.addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").await;
    assert!(no_host.starts_with("HTTP/1.1 400"), "{no_host}");
    let old_client = plain(server.addr, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(
        header(&old_client, "location"),
        Some(format!("https://127.0.0.1:{port}/").as_str()),
        "{old_client}"
    );

    // TLS, for each name in the certificate.
    let connector = tls_connector(&server);
    for name in ["app.lab.test", "localhost", "127.0.0.1", "::1"] {
        let server_name =
            rustls::pki_types::ServerName::try_from(name.to_owned()).expect("server name");
        let tcp = TcpStream::connect(server.addr).await.expect("connect");
        let tls = connector
            .connect(server_name, tcp)
            .await
            .unwrap_or_else(|e| panic!("{name}: handshake: {e}"));
        let response = exchange(tls, &get("/login", &host, "")).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{name}: {response}");
        assert_eq!(
            header(&response, "strict-transport-security"),
            Some("max-age=63072000; includeSubDomains")
        );
        assert!(
            header(&response, "content-security-policy")
                .is_some_and(|csp| csp.contains("script-src 'self'"))
        );
        let cookie = header(&response, "set-cookie").expect("session cookie");
        assert!(
            cookie.starts_with("__Host-sid=")
                && cookie.contains("Secure")
                && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
    }
    server.shutdown().await;
}
