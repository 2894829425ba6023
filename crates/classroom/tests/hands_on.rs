//! The class end to end, with a plain HTTP client standing in for the
//! student's hands (what curl and a browser's address bar do), the victim
//! bot as alice, and the scoreboard read back from the hub: solved only when
//! the server saw it.

mod common;

use common::{Student, class, form_token, note_of};
use reqwest::StatusCode;
use sessionlab_app::ProfileName;
use sessionlab_classroom::{BotBrowser, RunningClass};

/// session-puzzling by hand: no password, no alice; the forgot form, then /account.
async fn session_puzzling(class: &RunningClass, student: &Student) -> bool {
    let (_, _, cookie) = student.app_get("/login", None).await;
    let cookie = cookie.expect("an anonymous session");
    let response = student
        .client
        .post(student.app("/forgot"))
        .header("cookie", &cookie)
        .form(&[("username", "alice")])
        .send()
        .await
        .unwrap();
    // hardened refuses the form without its token (403): an attempt that fails.
    let _ = response;
    let (_, body, _) = student.app_get("/account", Some(&cookie)).await;
    body.contains(&note_of(class, &student.name))
}

/// logout-reuse by hand: alice visits and logs out; the copy of her cookie still opens her account.
async fn logout_reuse(class: &RunningClass, student: &Student) -> bool {
    student.send_alice(false).await;
    let copy = student.copy_of_alices_cookie().await;
    let (_, body, _) = student.app_get("/account", Some(&copy)).await;
    body.contains(&note_of(class, &student.name))
}

/// password-change and concurrent-sessions by hand: alice leaves her laptop
/// signed in, then does `visit` on her phone; the laptop's copy still works?
async fn after_phone_visit(class: &RunningClass, student: &Student, visit: &str) -> bool {
    student.send_alice(true).await;
    let copy = student.copy_of_alices_cookie().await;
    student.send_alice_to(visit).await;
    let (_, body, _) = student.app_get("/account", Some(&copy)).await;
    body.contains(&note_of(class, &student.name))
}

/// fixation-url by hand: an invented ID in a login link to alice, then /account with it.
async fn fixation_url(class: &RunningClass, student: &Student) -> bool {
    let invented =
        sessionlab_attack::scenarios::hijack_predict::encode_id(rand::random::<i64>().into());
    student
        .message_alice(&student.app(&format!("/login?sid={invented}")))
        .await;
    student.send_alice(false).await;
    let (_, body, _) = student
        .app_get(
            &format!("/account?sid={invented}"),
            Some(&format!("sid={invented}")),
        )
        .await;
    body.contains(&note_of(class, &student.name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_hand_against_insecure_the_server_marks_each_solved() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let student = Student::sign_in(&class, "ann").await;
    for challenge in ["session-puzzling", "logout-reuse", "fixation-url"] {
        assert!(
            !student.solved(challenge).await,
            "{challenge} solved before any attempt"
        );
    }
    assert!(
        session_puzzling(&class, &student).await,
        "session-puzzling showed the note"
    );
    assert!(student.solved("session-puzzling").await);
    assert!(
        !student.solved("logout-reuse").await,
        "one solve marks one challenge"
    );
    assert!(
        logout_reuse(&class, &student).await,
        "logout-reuse showed the note"
    );
    assert!(student.solved("logout-reuse").await);
    assert!(
        fixation_url(&class, &student).await,
        "fixation-url showed the note"
    );
    assert!(student.solved("fixation-url").await);
    assert!(
        !student.solved("fixation-invented").await,
        "an invented ID in a link is fixation-url's, not a tossed one"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_hand_against_hardened_the_same_attempts_stay_unsolved() {
    let class = class(ProfileName::Hardened, BotBrowser::Sim).await;
    let student = Student::sign_in(&class, "ann").await;
    assert!(!session_puzzling(&class, &student).await);
    assert!(!logout_reuse(&class, &student).await);
    assert!(!fixation_url(&class, &student).await);
    // alice did visit: her own reads are in the lab, and none counts.
    let lab = student.hub_get("/lab").await;
    assert!(lab.contains("logged in and read her account"), "{lab}");
    for challenge in ["session-puzzling", "logout-reuse", "fixation-url"] {
        assert!(
            !student.solved(challenge).await,
            "{challenge} marked solved against hardened"
        );
    }
    class.shutdown().await;
}

/// The CSRF page bob writes: alice's browser posts it to the app on arrival.
fn csrf_page(student: &Student, action: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(n, v)| format!("<input type=\"hidden\" name=\"{n}\" value=\"{v}\">"))
        .collect();
    format!(
        "<!DOCTYPE html><form method=\"POST\" action=\"{}\">{inputs}</form>\
         <script>document.forms[0].submit()</script>",
        student.app(action)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_students_csrf_and_log_out_everywhere_leave_anothers_alice_alone() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let bea = Student::sign_in(&class, "bea").await;
    // Both alices stay signed in (they walk away).
    ann.send_alice(true).await;
    bea.send_alice(true).await;
    let bea_lab = class.class.lab("bea").unwrap();
    assert_eq!(bea_lab.app.handle.signed_in_sessions("alice").await, 1);

    let cross = ann.cross_site("/");
    let page = csrf_page(&ann, "/account/email", &[("email", "ann@evil.test")]);
    let saved = ann
        .hub_post("/lab/page", &[("html", page.as_str()), ("set_cookie", "")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    ann.message_alice(&cross).await;
    ann.send_alice(true).await;
    let ann_lab = class.class.lab("ann").unwrap();
    assert_eq!(
        ann_lab.app.handle.email("alice").as_deref(),
        Some("ann@evil.test")
    );
    assert!(ann.solved("csrf").await, "csrf solved in ann's lab");

    let page = csrf_page(&ann, "/account/sessions/end-all", &[]);
    ann.hub_post("/lab/page", &[("html", page.as_str())]).await;
    ann.send_alice(true).await;

    assert_eq!(
        bea_lab.app.handle.email("alice").as_deref(),
        Some("alice@lab.test")
    );
    assert_eq!(
        bea_lab.app.handle.signed_in_sessions("alice").await,
        1,
        "bea's alice is still signed in"
    );
    assert!(!bea.solved("csrf").await);
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_and_markup_stays_text() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let student = Student::sign_in(&class, "ann").await;
    // Over the hub's form bound, yet small enough to fit in the loopback
    // socket's buffers (a client still writing when the answer comes sees a
    // broken pipe instead of the answer).
    let huge = "x".repeat(sessionlab_classroom::class::MAX_FORWARDED_BODY + 1024);
    let response = student
        .hub_post("/lab/page", &[("html", huge.as_str())])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = student
        .hub_post("/lab/page", &[("html", &"y".repeat(20_000))])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = student
        .hub_post("/lab/message", &[("url", "http://example.com/")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = student.hub_post("/lab/time", &[("minutes", "99999")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let collector = student.cross_site("/c");
    let response = student
        .client
        .post(&collector)
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A name that is markup is refused; a page that is markup shows as text.
    let response = student
        .client
        .post(student.hub("/signin"))
        .header("origin", student.hub_origin())
        .form(&[("name", "<b>x</b>")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    student
        .hub_post("/lab/page", &[("html", "<script>alert(1)</script>")])
        .await;
    let lab = student.hub_get("/lab").await;
    assert!(!lab.contains("<script>alert(1)"));
    assert!(lab.contains("&lt;script&gt;alert(1)"));
    // Another origin's form may not drive the hub.
    let response = student
        .client
        .post(student.hub("/lab/reset"))
        .header("cookie", &student.hub_cookie)
        .header("origin", student.cross_site_origin())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instructor_sees_progress_behind_the_key_and_resets_labs() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let student = Student::sign_in(&class, "ann").await;
    assert!(session_puzzling(&class, &student).await);
    assert!(student.solved("session-puzzling").await);
    let instructor = |form: &[(&str, &str)], cookie: Option<&str>, path: &str| {
        let mut request = student
            .client
            .post(student.hub(path))
            .header("origin", student.hub_origin())
            .form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let wrong = instructor(&[("key", "not the key")], None, "/instructor/signin")
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A student's cookie is no instructor's.
    let refused = instructor(
        &[("name", "*")],
        Some(&student.hub_cookie),
        "/instructor/reset",
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let signed_in = instructor(
        &[("key", common::INSTRUCTOR_KEY)],
        None,
        "/instructor/signin",
    )
    .await
    .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = common::set_cookie_pair(&signed_in).unwrap();
    let view = student
        .client
        .get(student.hub("/instructor"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        view.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let view = view.text().await.unwrap();
    assert!(
        view.contains("<td>ann</td>") && view.contains("class=\"solved\""),
        "{view}"
    );
    let reset = instructor(&[("name", "*")], Some(&cookie), "/instructor/reset")
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert!(
        !student.solved("session-puzzling").await,
        "reset clears progress"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_code_signs_in_again_and_an_issued_code_opens_a_seat() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let lab = ann.hub_get("/lab").await;
    let start = lab.find("<code id=\"seat-code\">").unwrap() + "<code id=\"seat-code\">".len();
    let code = &lab[start..start + lab[start..].find('<').unwrap()];
    // Another browser: no cookie, only the code.
    let again = ann
        .client
        .post(ann.hub("/signin"))
        .header("origin", ann.hub_origin())
        .form(&[("name", ""), ("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let cookie = common::set_cookie_pair(&again).unwrap();
    assert_ne!(cookie, ann.hub_cookie);
    let page = ann
        .client
        .get(ann.hub("/lab"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Lab of ann</h1>"));
    let wrong = ann
        .client
        .post(ann.hub("/signin"))
        .header("origin", ann.hub_origin())
        .form(&[("name", "eve"), ("code", "not-a-code")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let issued = class.class.issue_codes(1).await.unwrap().remove(0);
    assert_eq!(
        class.class.pending_codes().await.unwrap(),
        vec![issued.clone()]
    );
    let token = class.class.sign_in_with_code("cat", &issued).await.unwrap();
    assert_eq!(
        class.class.student_of(&token).await.unwrap().as_deref(),
        Some("cat")
    );
    assert!(
        class.class.pending_codes().await.unwrap().is_empty(),
        "an issued code opens one seat"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_session_outlives_the_phones_password_change_and_log_out_everywhere_in_insecure_only()
 {
    for (profile, expected) in [
        (ProfileName::Insecure, true),
        (ProfileName::Hardened, false),
    ] {
        let class = class(profile, BotBrowser::Sim).await;
        let student = Student::sign_in(&class, "ann").await;
        for (visit, challenge) in [
            ("change-password", "password-change"),
            ("log-out-everywhere", "concurrent-sessions"),
        ] {
            assert_eq!(
                after_phone_visit(&class, &student, visit).await,
                expected,
                "{profile} {visit}"
            );
            assert_eq!(
                student.solved(challenge).await,
                expected,
                "{profile} {challenge}"
            );
        }
        let lab = student.hub_get("/lab").await;
        assert!(lab.contains("changed her password"), "{lab}");
        assert!(
            lab.contains("pressed &quot;Log out everywhere&quot;"),
            "{lab}"
        );
        class.shutdown().await;
    }
}

/// Logs in to the student's app as `user` with `password`, at the form;
/// the status and the session's cookie.
async fn log_in(student: &Student, user: &str, password: &str) -> (StatusCode, String) {
    let (answer, anonymous) = student.log_in(user, password).await;
    let cookie = common::set_cookie_pair(&answer).unwrap_or(anonymous);
    (answer.status(), cookie)
}

/// credential-bypass: alice's name with a made-up password.
async fn credential_bypass(class: &RunningClass, student: &Student) -> bool {
    let (_, cookie) = log_in(student, "alice", "made-up").await;
    let (_, body, _) = student.app_get("/account", Some(&cookie)).await;
    body.contains(&note_of(class, &student.name))
}

/// idle-timeout: alice walks away, 31 minutes pass, the copy is replayed.
async fn idle_timeout(class: &RunningClass, student: &Student) -> bool {
    student.send_alice(true).await;
    let copy = student.copy_of_alices_cookie().await;
    student.hub_post("/lab/time", &[("minutes", "31")]).await;
    let (_, body, _) = student.app_get("/account", Some(&copy)).await;
    body.contains(&note_of(class, &student.name))
}

/// absolute-timeout: the copy kept busy every 50 minutes for 9 hours.
async fn absolute_timeout(class: &RunningClass, student: &Student) -> bool {
    student.send_alice(true).await;
    let copy = student.copy_of_alices_cookie().await;
    for _ in 0..11 {
        student.app_get("/account", Some(&copy)).await;
        student.hub_post("/lab/time", &[("minutes", "50")]).await;
    }
    let (_, body, _) = student.app_get("/account", Some(&copy)).await;
    body.contains(&note_of(class, &student.name))
}

/// hijack-predict: bob's own anonymous ID, then alice logs in; the IDs just
/// after bob's, tried on /account.
async fn hijack_predict(class: &RunningClass, student: &Student) -> bool {
    use sessionlab_attack::scenarios::hijack_predict::{decode_id, encode_id};
    let (_, _, cookie) = student.app_get("/login", None).await;
    let cookie = cookie.expect("an anonymous session");
    let mine = cookie.split_once('=').unwrap().1.to_owned();
    student.send_alice(true).await;
    let Some(value) = decode_id(&mine) else {
        return false; // random IDs: nothing to count from
    };
    for next in 1..=5 {
        let guess = format!("sid={}", encode_id(value + next));
        let (_, body, _) = student.app_get("/account", Some(&guess)).await;
        if body.contains(&note_of(class, &student.name)) {
            return true;
        }
    }
    false
}

/// referer-leak: a link in the guestbook to the attacker's site; alice clicks
/// it from a page whose URL carries her ID; the access log's Referer has it.
async fn referer_leak(class: &RunningClass, student: &Student) -> bool {
    let (_, cookie) = log_in(student, "bob", "builder").await;
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
    let link = student.cross_site("/hello");
    student
        .client
        .post(student.app("/guestbook"))
        .header("cookie", &cookie)
        .header("origin", student.app_origin())
        .form(&[
            ("message", format!("Look: {link}").as_str()),
            ("csrf_token", form_token(&page).as_str()),
        ])
        .send()
        .await
        .unwrap();
    student.send_alice(true).await;
    let lab = class.class.lab("ann").unwrap();
    let leaked: Vec<String> = lab
        .site
        .log()
        .iter()
        .filter_map(|hit| hit.request.referer.clone())
        .filter_map(|referer| {
            referer
                .split("sid=")
                .nth(1)
                .map(|id| id.split('&').next().unwrap_or("").to_owned())
        })
        .collect();
    for id in leaked {
        let (_, body, _) = student
            .app_get("/account", Some(&format!("sid={id}")))
            .await;
        if body.contains(&note_of(class, &student.name)) {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_challenges_solve_against_insecure_and_stay_open_against_hardened() {
    for (profile, expected) in [
        (ProfileName::Insecure, true),
        (ProfileName::Hardened, false),
    ] {
        let class = class(profile, BotBrowser::Sim).await;
        // One student per challenge, so no attempt leans on another's state.
        let cases: [(&str, &str); 5] = [
            ("credential-bypass", "s1"),
            ("idle-timeout", "s2"),
            ("absolute-timeout", "s3"),
            ("hijack-predict", "s4"),
            ("referer-leak", "ann"),
        ];
        for (challenge, name) in cases {
            let student = Student::sign_in(&class, name).await;
            let shown = match challenge {
                "credential-bypass" => credential_bypass(&class, &student).await,
                "idle-timeout" => idle_timeout(&class, &student).await,
                "absolute-timeout" => absolute_timeout(&class, &student).await,
                "hijack-predict" => hijack_predict(&class, &student).await,
                _ => referer_leak(&class, &student).await,
            };
            assert_eq!(
                shown, expected,
                "{profile}: {challenge} showed alice's note"
            );
            assert_eq!(
                student.solved(challenge).await,
                expected,
                "{profile}: {challenge} on the scoreboard"
            );
        }
        class.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_against_hardened_changes_nothing() {
    let class = class(ProfileName::Hardened, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let page = csrf_page(&ann, "/account/email", &[("email", "ann@evil.test")]);
    ann.hub_post("/lab/page", &[("html", page.as_str())]).await;
    ann.message_alice(&ann.cross_site("/")).await;
    ann.send_alice(false).await;
    let lab = ann.hub_get("/lab").await;
    assert!(
        lab.contains("opened bob&#39;s link again, logged in this time"),
        "{lab}"
    );
    let alice = class.class.lab("ann").unwrap();
    assert_eq!(
        alice.app.handle.email("alice").as_deref(),
        Some("alice@lab.test")
    );
    assert!(!ann.solved("csrf").await);
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposed_class_warns_on_every_page() {
    let running = sessionlab_classroom::start(sessionlab_classroom::ClassConfig {
        profile: sessionlab_app::Profile::new(ProfileName::Insecure),
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        domain: "localhost".into(),
        // Still on loopback in the test: only the flag is under test.
        exposed: true,
        victim_browser: BotBrowser::Sim,
        instructor_key: common::INSTRUCTOR_KEY.into(),
        alice_every: None,
        require_code: false,
        shared: None,
        peer_addr: None,
        public_port: None,
        visit_timeout: sessionlab_classroom::bot::VISIT_TIMEOUT,
    })
    .await
    .unwrap();
    let ann = Student::sign_in(&running, "ann").await;
    assert!(ann.hub_get("/lab").await.contains("id=\"exposed-warning\""));
    let (_, app_page, _) = ann.app_get("/login", None).await;
    assert!(app_page.contains("id=\"exposed-warning\""), "{app_page}");
    running.shutdown().await;
}

/// The cookie-tossing challenges by hand: bob's page on the sibling host
/// tosses `id` as the session cookie for the whole of LABEL.localhost, bob's
/// message sends alice there, she logs in (and walks away), and bob opens
/// /account with `id`. Whether it showed alice's note.
async fn toss_then_read(class: &RunningClass, student: &Student, id: &str) -> bool {
    let name = &student.name;
    let cookie = class.class.lab(name).unwrap().app.info.session_cookie_name;
    student.toss_to_alice(&format!("{cookie}={id}")).await;
    student.send_alice(true).await;
    let (_, body, _) = student
        .app_get("/account", Some(&format!("{cookie}={id}")))
        .await;
    body.contains(&note_of(class, name))
}

/// fixation-invented: an ID bob made up, shaped like the app's own.
fn invented_id() -> String {
    sessionlab_attack::scenarios::hijack_predict::encode_id(rand::random::<i64>().into())
}

/// fixation-cookie: an ID the app issued to bob at /login.
async fn issued_id(student: &Student) -> String {
    let (_, _, cookie) = student.app_get("/login", None).await;
    let cookie = cookie.expect("an anonymous session");
    cookie.split_once('=').unwrap().1.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tossed_invented_id_solves_fixation_invented_and_an_issued_one_fixation_cookie() {
    // (profile, whether the invented ID opens alice's account, whether the issued one does)
    for (profile, invented_opens, issued_opens) in [
        (ProfileName::Insecure, true, true),
        // strict IDs: the invented one is refused; no rotation: the issued one is kept.
        (ProfileName::Tutorial, false, true),
        (ProfileName::Hardened, false, false),
    ] {
        let class = class(profile, BotBrowser::Sim).await;
        // One student per attempt: alice's browser keeps no tossed cookie across.
        let ann = Student::sign_in(&class, "ann").await;
        let id = invented_id();
        assert_eq!(
            toss_then_read(&class, &ann, &id).await,
            invented_opens,
            "{profile}: the tossed invented ID opened alice's account"
        );
        assert_eq!(
            ann.solved("fixation-invented").await,
            invented_opens,
            "{profile}: fixation-invented, by the server"
        );
        assert!(
            !ann.solved("fixation-cookie").await,
            "{profile}: an invented ID is not fixation-cookie's issued one"
        );

        let bea = Student::sign_in(&class, "bea").await;
        let id = issued_id(&bea).await;
        assert_eq!(
            toss_then_read(&class, &bea, &id).await,
            issued_opens,
            "{profile}: the tossed issued ID opened alice's account"
        );
        assert_eq!(
            bea.solved("fixation-cookie").await,
            issued_opens,
            "{profile}: fixation-cookie, by the server"
        );
        assert!(
            !bea.solved("fixation-invented").await,
            "{profile}: an issued ID is not fixation-invented's"
        );
        class.shutdown().await;
    }
}
