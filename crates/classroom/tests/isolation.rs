//! A lab only its own student can solve or spoil (issue 19 item 3;
//! docs/classroom.md, "Isolation"). A lab's host names carry a secret of its
//! seat that only its student's own pages show, so bea, who knows ann's
//! name and nothing else, cannot reach ann's lab: every request to it gets
//! the 404 of a name nobody signed in with. And every form of the hub acts
//! on the seat of the cookie that sent it, so bea cannot reset ann's lab.
//! The rule: authorization on every request, by something the caller holds
//! rather than something they can name (CWE-639, CWE-284; ASVS V4.1.5,
//! V4.2.1).
//!
//! The attempt is forged-cookie (a token signed with a cracked key, sent to
//! the app): before issue 19 it solved ann's challenge when anyone sent it
//! to `app.ann.localhost`.

mod common;

use common::forgery::{bobs_cookies, forged_tokens, with_token};
use common::{Student, app_origin, class, form_token, lab_label_on, note_of, set_cookie_pair};
use reqwest::{Client, StatusCode};
use sessionlab_app::ProfileName;
use sessionlab_classroom::class::new_host_secret;
use sessionlab_classroom::{BotBrowser, RunningClass};

const CHALLENGE: &str = "forged-cookie";

/// One request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: StatusCode,
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        Self {
            status: response.status(),
            body: response.text().await.unwrap(),
        }
    }
}

/// What the forged-cookie attempt at one app host got back: every
/// request's answer, in order (bob's login page, his login, then /account
/// with each forged token).
#[derive(Debug)]
struct Forgery {
    host: String,
    answers: Vec<Answer>,
}

impl Forgery {
    /// Whether an answer showed alice's private `note`: the forgery worked.
    fn showed(&self, note: &str) -> bool {
        self.answers.iter().any(|a| a.body.contains(note))
    }

    /// The statuses, in order.
    fn statuses(&self) -> Vec<StatusCode> {
        self.answers.iter().map(|a| a.status).collect()
    }

    /// The answers with this attempt's host written `HOST`, to compare
    /// with the answers at another host.
    fn answers_at_any_host(&self) -> Vec<Answer> {
        self.answers
            .iter()
            .map(|a| Answer {
                status: a.status,
                body: a.body.replace(&self.host, "HOST"),
            })
            .collect()
    }
}

/// forged-cookie, request by request, with `client` at the app on `host`
/// (`app.LABEL.localhost:PORT`, whoever's lab it names): bob's login, then
/// /account in his session with each token [`forged_tokens`] makes. It
/// goes on where an answer is a refusal, so it sends the same kind of
/// requests to every host.
async fn forge_at(client: &Client, host: &str) -> Forgery {
    let origin = format!("http://{host}");
    let mut answers = Vec::new();
    let login_page = client.get(format!("{origin}/login")).send().await.unwrap();
    let anonymous = set_cookie_pair(&login_page);
    let page = Answer::of(login_page).await;
    let token = form_token(&page.body);
    answers.push(page);
    let mut login = client
        .post(format!("{origin}/login"))
        .header("origin", &origin)
        .form(&[
            ("username", "bob"),
            ("password", "builder"),
            ("csrf_token", token.as_str()),
        ]);
    if let Some(anonymous) = &anonymous {
        login = login.header("cookie", anonymous);
    }
    let login = login.send().await.unwrap();
    let cookies = bobs_cookies(&login, anonymous);
    answers.push(Answer::of(login).await);
    for forged in forged_tokens(&cookies) {
        let account = client
            .get(format!("{origin}/account"))
            .header("cookie", with_token(&cookies, &forged))
            .send()
            .await
            .unwrap();
        answers.push(Answer::of(account).await);
    }
    Forgery {
        host: host.to_owned(),
        answers,
    }
}

/// The four host names of the lab labelled `label`, with the port.
fn lab_hosts(label: &str, port: u16) -> [String; 4] {
    [
        format!("app.{label}.localhost:{port}"),
        format!("app2.{label}.localhost:{port}"),
        format!("evil.{label}.localhost:{port}"),
        format!("{label}.attacker.localhost:{port}"),
    ]
}

/// The app host of the lab labelled `label`, with the port.
fn app_host(label: &str, port: u16) -> String {
    lab_hosts(label, port)[0].clone()
}

/// A host bea tries for ann's lab, knowing her name: `label` in place of
/// ann's, and `unknown`, the same with a name nobody signed in with.
struct Guess {
    what: &'static str,
    label: String,
    unknown: String,
}

/// What bea can put in place of ann's label: ann's name alone (the host
/// names before issue 19), with a made-up secret, and with bea's own.
fn guesses(bea: &Student, ann: &Student) -> Vec<Guess> {
    let made_up = std::iter::repeat_with(new_host_secret)
        .find(|s| *s != ann.host_secret())
        .unwrap();
    [
        ("ann's name alone", String::new()),
        ("a made-up secret", made_up),
        ("bea's own secret", bea.host_secret()),
    ]
    .into_iter()
    .map(|(what, secret)| {
        let with = |name: &str| match secret.as_str() {
            "" => name.to_owned(),
            secret => format!("{name}-{secret}"),
        };
        Guess {
            what,
            label: with(&ann.name),
            unknown: with("nobody"),
        }
    })
    .collect()
}

/// `name`'s lab as the class runs it now: its generation (a reset raises
/// it) and alice's note in it.
fn lab_now(class: &RunningClass, name: &str) -> (u64, String) {
    let lab = class.class.lab(name).unwrap();
    (lab.generation, note_of(class, name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_student_who_knows_only_the_name_cannot_solve_the_first_ones_lab() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let bea = Student::sign_in(&class, "bea").await;

    // First, that the attempt works: at ann's own host, it solves her
    // challenge (so the test below can fail).
    let at_home = forge_at(&ann.client, &app_host(&ann.label, ann.port)).await;
    assert!(
        at_home.showed(&note_of(&class, "ann")),
        "the forgery opens alice's account at ann's host: {:?}",
        at_home.statuses()
    );
    assert!(ann.solved(CHALLENGE).await, "solved at ann's own host");
    // ann starts over: progress cleared, the same host names.
    let reset = ann.hub_post("/lab/reset", &[]).await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert!(!ann.solved(CHALLENGE).await, "a reset clears progress");
    assert_eq!(
        lab_label_on(&ann.hub_get("/lab").await),
        ann.label,
        "the seat's secret outlives a reset"
    );
    let note = note_of(&class, "ann");

    // bea sends the same attempt to ann's lab with what she can guess.
    for guess in guesses(&bea, &ann) {
        let tried = forge_at(&bea.client, &app_host(&guess.label, bea.port)).await;
        assert!(
            tried
                .statuses()
                .iter()
                .all(|status| *status == StatusCode::NOT_FOUND),
            "{}: every request is refused: {:?}",
            guess.what,
            tried.statuses()
        );
        assert!(!tried.showed(&note), "{}", guess.what);
        let nobody = forge_at(&bea.client, &app_host(&guess.unknown, bea.port)).await;
        assert_eq!(
            tried.answers_at_any_host(),
            nobody.answers_at_any_host(),
            "{}: the same answers as for a name nobody signed in with",
            guess.what
        );
        // Nor do the lab's other hosts answer to it.
        for host in lab_hosts(&guess.label, bea.port) {
            let response = bea
                .client
                .get(format!("http://{host}/"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{host}");
        }
    }
    assert!(
        !ann.solved(CHALLENGE).await,
        "nothing bea sent solved ann's challenge"
    );
    assert!(
        !bea.solved(CHALLENGE).await,
        "nor is anything credited to bea"
    );
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_student_cannot_reset_the_first_ones_lab() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let bea = Student::sign_in(&class, "bea").await;
    forge_at(&ann.client, &app_host(&ann.label, ann.port)).await;
    assert!(ann.solved(CHALLENGE).await, "ann solved her challenge");
    let ann_before = lab_now(&class, "ann");
    let bea_before = lab_now(&class, "bea");

    // The hub's reset takes no name: whatever bea adds, it resets the lab
    // of her own cookie's seat.
    let reset = bea
        .hub_post("/lab/reset?name=ann", &[("name", "ann")])
        .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    let bea_after = lab_now(&class, "bea");
    assert!(
        bea_after.0 > bea_before.0 && bea_after.1 != bea_before.1,
        "bea's own lab was reset"
    );
    // The instructor's reset, which takes a name, is not a student's.
    let refused = bea.hub_post("/instructor/reset", &[("name", "ann")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // No cookie for ann's seat either: the name is taken, and a seat's
    // code is shown on its own lab page only.
    let taken = bea
        .client
        .post(bea.hub("/signin"))
        .header("origin", bea.hub_origin())
        .form(&[("name", "ann")])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        set_cookie_pair(&taken),
        None,
        "no hub cookie for ann's seat"
    );
    // ann's lab's own endpoints that spoil it (log alice out everywhere,
    // the hub's reset on a lab host) at what bea can guess: 404.
    for guess in guesses(&bea, &ann) {
        for path in ["/account/sessions/end-all", "/lab/reset"] {
            let origin = app_origin(&guess.label, bea.port);
            let response = bea
                .client
                .post(format!("{origin}{path}"))
                .header("origin", &origin)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{}: {path}",
                guess.what
            );
        }
    }

    assert_eq!(lab_now(&class, "ann"), ann_before, "ann's lab is as it was");
    assert!(ann.solved(CHALLENGE).await, "ann's solve stands");
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_students_own_pages_show_their_labs_secret() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let bea = Student::sign_in(&class, "bea").await;
    assert_ne!(ann.host_secret(), bea.host_secret(), "one secret per seat");
    assert!(ann.hub_get("/lab").await.contains(&ann.app("/")));

    // bea's alice goes to bea's lab only, even sent to ann's real address;
    // the refusal names bea's hosts, not ann's.
    let refused = bea
        .hub_post("/lab/message", &[("url", &ann.app("/"))])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = refused.text().await.unwrap();
    let pages = [
        ("bea's refused message", refusal),
        ("bea's lab page", bea.hub_get("/lab").await),
        ("bea's scoreboard", bea.hub_get("/scoreboard").await),
        ("bea's progress", bea.hub_get("/scoreboard.json").await),
    ];
    for (what, page) in pages {
        assert!(
            !page.contains(&ann.host_secret()),
            "{what} shows ann's secret: {page}"
        );
    }
    class.shutdown().await;
}
