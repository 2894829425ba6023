//! The attacker site's bounds, from the outside: what a student who floods
//! the collector, posts a huge body or a huge address, or saves a huge page
//! gets back. Each bound is read from the crate's constants, and each answer
//! must be a 4xx that says what the bound is.

mod common;

use std::time::Duration;

use common::{Student, class};
use reqwest::StatusCode;
use sessionlab_app::ProfileName;
use sessionlab_classroom::BotBrowser;
use sessionlab_classroom::attacker_site::{
    MAX_COLLECT_BYTES, MAX_PAGE_BYTES, MAX_SET_COOKIE_BYTES, MAX_TARGET_BYTES, RATE_LIMIT,
    RATE_WINDOW,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn collector(student: &Student, path: &str) -> String {
    student.cross_site(path)
}

async fn post(student: &Student, url: &str, body: String) -> (StatusCode, String) {
    let response = student.client.post(url).body(body).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn get(student: &Student, url: &str) -> (StatusCode, String) {
    let response = student.client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Sends `request` as it is over TCP (what no HTTP client library would
/// build: a chunked body of a chosen size, an address of a megabyte); the
/// answer's status line, headers and body, as text.
async fn raw(student: &Student, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", student.port))
        .await
        .unwrap();
    // The server may answer, and close, before it has read everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A chunked POST: no Content-Length, the server learns the size only by reading.
async fn chunked_post(student: &Student, path: &str, body: &[u8]) -> String {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        student.cross_site_host()
    )
    .into_bytes();
    for chunk in body.chunks(1000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    raw(student, &request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_keeps_its_size_bounds_with_a_clear_4xx() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let lab = class.class.lab("ann").unwrap();
    let url = collector(&ann, "/c");

    // A body at the bound is kept; one byte more is refused, saying the bound.
    let (status, _) = post(&ann, &url, "a".repeat(MAX_COLLECT_BYTES)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, text) = post(&ann, &url, "a".repeat(MAX_COLLECT_BYTES + 1)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains(&MAX_COLLECT_BYTES.to_string()), "{text}");
    // The same without a Content-Length to refuse it by.
    let answer = chunked_post(&ann, "/c", "b".repeat(MAX_COLLECT_BYTES + 1).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(&MAX_COLLECT_BYTES.to_string()), "{answer}");
    let answer = chunked_post(&ann, "/c", "b".repeat(MAX_COLLECT_BYTES).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");

    // An address at the bound is read; one byte more is refused, saying the bound.
    let at_bound = |extra: usize| {
        let path = "/c?d=";
        format!(
            "{path}{}",
            "q".repeat(MAX_TARGET_BYTES - path.len() + extra)
        )
    };
    let (status, _) = get(&ann, &collector(&ann, &at_bound(0))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, text) = get(&ann, &collector(&ann, &at_bound(1))).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG, "{text}");
    assert!(text.contains(&MAX_TARGET_BYTES.to_string()), "{text}");
    // Far beyond (more than any HTTP library will send), the class port's
    // bound on a request's head answers first: still a 4xx.
    let huge = format!(
        "GET /c?d={} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        "q".repeat(1 << 20),
        ann.cross_site_host()
    );
    let answer = raw(&ann, huge.as_bytes()).await;
    let status_line = answer.lines().next().unwrap_or("(no answer)");
    assert!(
        status_line.starts_with("HTTP/1.1 4"),
        "a 1 MiB address: {status_line}"
    );
    eprintln!("a 1 MiB address: {status_line}");

    // Only what was accepted is in the access log.
    let kept: Vec<String> = lab
        .site
        .log()
        .iter()
        .map(|hit| hit.request.method.clone())
        .collect();
    assert_eq!(
        kept,
        ["POST", "POST", "GET"],
        "the accepted body, chunked body and address"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_answers_429_past_its_rate_for_that_student_only() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let flood = Student::sign_in(&class, "flood").await;
    let calm = Student::sign_in(&class, "calm").await;
    let lab = class.class.lab("flood").unwrap();
    for i in 0..RATE_LIMIT {
        let (status, _) = get(&flood, &collector(&flood, &format!("/c?i={i}"))).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "request {i} of {RATE_LIMIT}"
        );
    }
    let (status, text) = get(&flood, &collector(&flood, "/c?one-more")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(
        text.contains(&format!(
            "more than {RATE_LIMIT} requests in {} s",
            RATE_WINDOW.as_secs()
        )),
        "{text}"
    );
    // The bound is the whole site's: the page too, on either host.
    let sibling = flood.sibling("/");
    let (status, _) = get(&flood, &sibling).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        lab.site.log().len(),
        RATE_LIMIT as usize,
        "a refused request is not logged"
    );
    // Another student's site is not slowed by it.
    let (status, _) = get(&calm, &collector(&calm, "/c?hello")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // After the window, the flooded site answers again.
    tokio::time::sleep(RATE_WINDOW + Duration::from_millis(500)).await;
    let (status, text) = get(&flood, &collector(&flood, "/c?later")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attacker_page_takes_its_bound_and_no_more() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let page_url = ann.sibling("/");
    // A page at the bound made of what a form encodes as three bytes each:
    // it fits the hub's form bound, so only the page's own bound decides.
    let full = "<".repeat(MAX_PAGE_BYTES);
    let saved = ann.hub_post("/lab/page", &[("html", full.as_str())]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (status, served) = get(&ann, &page_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, full);

    let over = "<".repeat(MAX_PAGE_BYTES + 1);
    let refused = ann.hub_post("/lab/page", &[("html", over.as_str())]).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains(&format!(
            "the page is {} bytes; at most {MAX_PAGE_BYTES} are kept",
            MAX_PAGE_BYTES + 1
        )),
        "{text}"
    );
    let cookie = format!("sid={}", "v".repeat(MAX_SET_COOKIE_BYTES));
    let refused = ann
        .hub_post(
            "/lab/page",
            &[("html", "x"), ("set_cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains(&format!("longer than {MAX_SET_COOKIE_BYTES} bytes")),
        "{text}"
    );
    let refused = ann
        .hub_post(
            "/lab/page",
            &[
                ("html", "x"),
                ("set_cookie", "sid=1\r\nLocation: /elsewhere"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("one line of visible ASCII")
    );
    // Beyond the hub's form limit ('<' is 3 bytes percent-encoded), the limit
    // answers: still a 413. (Small enough that the whole request fits in the
    // loopback socket's buffers: a client still writing when the server has
    // answered and closed sees a broken pipe, not the answer.)
    let huge = "<".repeat(sessionlab_classroom::class::MAX_FORWARDED_BODY / 3 + 1024);
    let refused = ann.hub_post("/lab/page", &[("html", huge.as_str())]).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing refused replaced the page.
    let (_, served) = get(&ann, &page_url).await;
    assert_eq!(served, full);
    class.shutdown().await;
}
