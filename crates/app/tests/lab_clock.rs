//! The lab clock's HTTP control against a real server on 127.0.0.1: absent
//! without `lab_clock`, guarded by its key with it, strict about its input.

use std::time::Duration;

use sessionlab_app::clock_control::{MAX_ADVANCE_SECONDS, PATH};
use sessionlab_app::{Profile, ProfileName, RunningServer, ServeOptions, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve(lab_clock: bool) -> RunningServer {
    start(ServeOptions {
        profile: Profile::new(ProfileName::Insecure),
        addr: "127.0.0.1:0".parse().expect("addr"),
        allow_non_loopback: false,
        lab_clock,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: Default::default(),
    })
    .await
    .expect("server starts")
}

/// One plain HTTP/1.1 request; the whole response as text.
async fn send(server: &RunningServer, request: String) -> String {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// `POST /.well-known/sessionlab/clock` with an optional key and a raw body.
async fn post_clock(
    server: &RunningServer,
    key: Option<&str>,
    content_type: &str,
    body: &str,
) -> String {
    let key_header = key
        .map(|k| format!("Lab-Clock-Key: {k}\r\n"))
        .unwrap_or_default();
    send(
        server,
        format!(
            "POST {PATH} HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n{key_header}\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

const FORM: &str = "application/x-www-form-urlencoded";

fn status(response: &str) -> &str {
    response.get(9..12).unwrap_or("")
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

async fn well_known(server: &RunningServer) -> serde_json::Value {
    let response = send(
        server,
        "GET /.well-known/sessionlab HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\r\n"
            .into(),
    )
    .await;
    serde_json::from_str(body(&response)).expect("JSON")
}

#[tokio::test]
async fn without_the_option_there_is_no_route_and_no_key() {
    let server = serve(false).await;
    assert!(server.lab_clock_key().is_none());
    let response = post_clock(&server, Some("anything"), FORM, "advance_seconds=60").await;
    assert_eq!(status(&response), "404", "{response}");
    assert_eq!(server.clock().offset(), time::Duration::ZERO);
    assert_eq!(well_known(&server).await["lab_clock"], false);
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_refused_and_time_stands_still() {
    let server = serve(true).await;
    let key = server.lab_clock_key().expect("a key").to_string();
    let mut wrong = key.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(wrong).expect("ascii");
    for offered in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(&key[..21]),
        Some(&*format!("{key}x")),
    ] {
        let response = post_clock(&server, offered, FORM, "advance_seconds=60").await;
        assert_eq!(status(&response), "403", "{offered:?}: {response}");
        assert!(!response.contains(&key), "the answer never shows the key");
    }
    assert_eq!(server.clock().offset(), time::Duration::ZERO);
    assert_eq!(well_known(&server).await["lab_clock"], true);
    assert!(!well_known(&server).await.to_string().contains(&key));
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_input_is_a_400_and_time_stands_still() {
    let server = serve(true).await;
    let key = server.lab_clock_key().expect("a key").to_string();
    let too_many = (MAX_ADVANCE_SECONDS + 1).to_string();
    let bad_bodies = [
        (FORM, "".to_string()),
        (FORM, "advance_seconds=".to_string()),
        (FORM, "advance_seconds=0".to_string()),
        (FORM, "advance_seconds=-60".to_string()),
        (FORM, "advance_seconds=%2B60".to_string()),
        (FORM, "advance_seconds=1.5".to_string()),
        (FORM, "advance_seconds=ten".to_string()),
        (FORM, format!("advance_seconds={too_many}")),
        (
            FORM,
            "advance_seconds=99999999999999999999999999".to_string(),
        ),
        (FORM, "advance_seconds=60&advance_seconds=60".to_string()),
        (FORM, "advance_seconds=%ff%fe".to_string()),
        ("application/json", r#"{"advance_seconds":60}"#.to_string()),
        ("text/plain", "advance_seconds=60".to_string()),
    ];
    for (content_type, body_text) in bad_bodies {
        let response = post_clock(&server, Some(&key), content_type, &body_text).await;
        assert_eq!(
            status(&response),
            "400",
            "{content_type} {body_text:?}: {response}"
        );
        assert!(body(&response).contains("advance_seconds"), "{response}");
    }
    let huge = format!("advance_seconds=60&pad={}", "x".repeat(4096));
    assert_eq!(
        status(&post_clock(&server, Some(&key), FORM, &huge).await),
        "413"
    );
    assert_eq!(server.clock().offset(), time::Duration::ZERO);
    server.shutdown().await;
}

#[tokio::test]
async fn the_right_key_moves_the_clock_forward_and_reports_the_offset() {
    let server = serve(true).await;
    let key = server.lab_clock_key().expect("a key").to_string();
    let response = post_clock(&server, Some(&key), FORM, "advance_seconds=1860").await;
    assert_eq!(status(&response), "200", "{response}");
    let json: serde_json::Value = serde_json::from_str(body(&response)).expect("JSON");
    assert_eq!(json["advanced_seconds"], 1860);
    assert_eq!(json["offset_seconds"], 1860);
    assert_eq!(server.clock().offset(), time::Duration::seconds(1860));

    let response = post_clock(&server, Some(&key), FORM, "advance_seconds=60").await;
    let json: serde_json::Value = serde_json::from_str(body(&response)).expect("JSON");
    assert_eq!(json["offset_seconds"], 1920);
    assert_eq!(server.clock().offset(), time::Duration::seconds(1920));
    server.shutdown().await;
}

#[tokio::test]
async fn every_start_makes_a_new_key() {
    let (a, b) = (serve(true).await, serve(true).await);
    assert_ne!(a.lab_clock_key(), b.lab_clock_key());
    a.shutdown().await;
    b.shutdown().await;
}
