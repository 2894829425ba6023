//! alice's visits have a time bound: a page on the attacker's site that never
//! finishes loading (a script that never returns) is left when the class's
//! `visit_timeout` runs out, the lab page says so, her Chromium is gone, and
//! the class answers everyone meanwhile.
//!
//! Alone in its test binary: it checks that no Chromium profile of this
//! process is left, which another test's browser would make untrue.
//!
//! Needs Debian's `chromium`; skips without it unless
//! `SESSIONLAB_REQUIRE_CHROMIUM=1` (set by `.ci/run`).

mod common;

use std::time::{Duration, Instant};

use common::{Student, chromium_missing, config, start_class};
use reqwest::StatusCode;
use sessionlab_app::ProfileName;
use sessionlab_classroom::BotBrowser;

/// The test's bound: below the Chromium client's own wait for a page to
/// settle (15 s, after Chromium has started), so only the visit's bound can
/// end this visit as the test expects; and long enough for a slow machine to
/// start Chromium and reach the page within it (the bound counts the start).
const BOUND: Duration = Duration::from_secs(10);

/// Chromium profiles this test process has left in the temporary directory.
fn chromium_profiles_left() -> Vec<String> {
    let prefix = format!("sessionlab-chromium-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_never_finishes_ends_alices_visit_at_the_bound() {
    if chromium_missing() {
        return;
    }
    let mut config = config(ProfileName::Insecure, BotBrowser::Chromium);
    config.visit_timeout = BOUND;
    let class = start_class(config).await;
    let ann = Student::sign_in(&class, "ann").await;
    let page = "<!DOCTYPE html><title>Loading</title><p>Almost there...</p>\
                <script>for (;;) {}</script><p>never parsed</p>";
    let saved = ann.hub_post("/lab/page", &[("html", page)]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    ann.message_alice(&ann.cross_site("/")).await;

    // "Send alice", as the student's browser would, left waiting for the visit.
    let began = Instant::now();
    let sending = tokio::spawn({
        let request = ann
            .client
            .post(ann.hub("/lab/alice"))
            .header("origin", ann.hub_origin())
            .header("cookie", &ann.hub_cookie)
            .form(&[("visit", "ordinary")]);
        async move { request.send().await.unwrap().status() }
    });
    let lab = class.class.lab("ann").unwrap();
    let arrived = |lab: &sessionlab_classroom::lab::StudentLab| {
        lab.site
            .log()
            .iter()
            .any(|hit| hit.request.from_victim && hit.request.target == "/")
    };
    while !arrived(&lab) {
        assert!(
            began.elapsed() < BOUND,
            "alice's browser did not ask for the page within the bound"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // She is stuck on the page; the class answers the hub and the app, and
    // refuses a second visit rather than queueing it.
    let busy = ann.hub_post("/lab/alice", &[("visit", "ordinary")]).await;
    assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(busy.text().await.unwrap().contains("alice is on a visit"));
    let lab_page = ann.hub_get("/lab").await;
    assert!(lab_page.contains("<h1>Lab of ann</h1>"));
    let (status, _, _) = ann.app_get("/login", None).await;
    assert_eq!(status, StatusCode::OK);
    let other = Student::sign_in(&class, "bea").await;
    assert!(other.hub_get("/lab").await.contains("<h1>Lab of bea</h1>"));
    assert!(
        !sending.is_finished(),
        "the visit was still under way while the class answered"
    );

    let status = sending.await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(began.elapsed() >= BOUND, "the visit ended before its bound");
    let report = lab.with_state(|s| s.visits.last().cloned()).unwrap();
    let ended = format!(
        "the visit took longer than {} s and was ended",
        BOUND.as_secs()
    );
    assert_eq!(report.error.as_deref(), Some(ended.as_str()), "{report:?}");
    assert_eq!(report.browser, "chromium");
    assert!(ann.hub_get("/lab").await.contains(&ended));
    assert_eq!(
        chromium_profiles_left(),
        Vec::<String>::new(),
        "the ended visit's Chromium and its profile are gone"
    );

    // Without the page in bob's message, her next visit is whole again.
    let cleared = ann.hub_post("/lab/message", &[("url", "")]).await;
    assert_eq!(cleared.status(), StatusCode::SEE_OTHER);
    ann.send_alice(false).await;
    let report = lab.with_state(|s| s.visits.last().cloned()).unwrap();
    assert_eq!(report.error, None, "{report:?}");
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.starts_with("clicked \"Log out\"")),
        "{report:?}"
    );
    class.shutdown().await;
}
