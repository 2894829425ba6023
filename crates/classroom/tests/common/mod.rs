//! What the class's tests share: a class on a loopback port, and a student
//! driven by a plain HTTP client.
#![allow(dead_code)]

pub mod balancer;
pub mod forgery;

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use sessionlab_app::{Profile, ProfileName};
use sessionlab_classroom::hosts::LabLabel;
use sessionlab_classroom::{BotBrowser, ClassConfig, RunningClass, start};

pub const INSTRUCTOR_KEY: &str = "test-instructor-key";

pub async fn class(profile: ProfileName, victim_browser: BotBrowser) -> RunningClass {
    start_class(config(profile, victim_browser)).await
}

/// The configuration [`class`] starts, for a test that changes a field first.
pub fn config(profile: ProfileName, victim_browser: BotBrowser) -> ClassConfig {
    ClassConfig {
        profile: Profile::new(profile),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        domain: "localhost".into(),
        exposed: false,
        victim_browser,
        instructor_key: INSTRUCTOR_KEY.into(),
        alice_every: None,
        require_code: false,
        shared: None,
        peer_addr: None,
        public_port: None,
        visit_timeout: sessionlab_classroom::bot::VISIT_TIMEOUT,
    }
}

pub async fn start_class(config: ClassConfig) -> RunningClass {
    start(config).await.expect("the class starts")
}

/// Whether a Chromium test must skip: Chromium is missing and not required.
/// With `SESSIONLAB_REQUIRE_CHROMIUM=1` (set by `.ci/run`) a missing Chromium fails.
pub fn chromium_missing() -> bool {
    sessionlab_chromium::missing_for_test("class test")
}

/// Resolves `localhost` and every name under it to the class, as browsers
/// do (RFC 6761 section 6.3: `*.localhost` is loopback). So a student's client
/// reaches whatever lab host name they type: their own, with its secret, or
/// a guess at another student's.
struct LocalhostIsTheClass(SocketAddr);

impl Resolve for LocalhostIsTheClass {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let class = self.0;
        Box::pin(async move {
            if host == "localhost" || host.ends_with(".localhost") {
                // The URL's port replaces this one (the class's, or a balancer's).
                Ok(Box::new(std::iter::once(class)) as Addrs)
            } else {
                Err(format!("{host} is not under localhost").into())
            }
        })
    }
}

/// A student: an HTTP client that reaches the lab's host names on loopback,
/// follows no redirect and keeps cookies by hand, as with curl.
pub struct Student {
    pub name: String,
    /// The label in the lab's host names, `NAME-SECRET`, as the links on
    /// the student's own lab page show it (only there: see "Isolation" in
    /// docs/classroom.md).
    pub label: String,
    pub port: u16,
    pub client: Client,
    pub hub_cookie: String,
}

impl Student {
    pub async fn sign_in(class: &RunningClass, name: &str) -> Self {
        Self::sign_in_at(class.addr, name).await
    }

    /// Signs in through `addr` (a class instance, or a load balancer in
    /// front of several), one connection per request: a balancer then
    /// spreads the student's requests over the instances. The lab's label
    /// is read off the lab page's link to the app, as a student finds it.
    pub async fn sign_in_at(addr: SocketAddr, name: &str) -> Self {
        let client = Client::builder()
            .redirect(Policy::none())
            .pool_max_idle_per_host(0)
            .dns_resolver(Arc::new(LocalhostIsTheClass(addr)))
            .build()
            .unwrap();
        let port = addr.port();
        let response = client
            .post(format!("http://localhost:{port}/signin"))
            .header("origin", format!("http://localhost:{port}"))
            .form(&[("name", name)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in");
        let hub_cookie = set_cookie_pair(&response).expect("the hub's cookie");
        let mut student = Self {
            name: name.into(),
            label: String::new(),
            port,
            client,
            hub_cookie,
        };
        student.label = lab_label_on(&student.hub_get("/lab").await);
        student
    }

    /// The seat's host secret: the part of the label after the name.
    pub fn host_secret(&self) -> String {
        LabLabel::parse(&self.label).expect("a lab label").secret
    }

    pub fn app(&self, path: &str) -> String {
        format!("{}{path}", self.app_origin())
    }

    /// The same path on the second instance of the student's app.
    pub fn app2(&self, path: &str) -> String {
        format!("http://app2.{}.localhost:{}{path}", self.label, self.port)
    }

    /// The same path on the attacker site's sibling host (same site as the app).
    pub fn sibling(&self, path: &str) -> String {
        format!("http://evil.{}.localhost:{}{path}", self.label, self.port)
    }

    /// The same path on the attacker site's cross-site host.
    pub fn cross_site(&self, path: &str) -> String {
        format!("{}{path}", self.cross_site_origin())
    }

    /// The attacker site's cross-site host's origin, as its pages send it in `Origin`.
    pub fn cross_site_origin(&self) -> String {
        format!("http://{}", self.cross_site_host())
    }

    /// The attacker site's cross-site host and port, as a `Host` header names it.
    pub fn cross_site_host(&self) -> String {
        format!("{}.attacker.localhost:{}", self.label, self.port)
    }

    pub fn hub(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    /// The hub's origin, as a browser sends it in `Origin` on the hub's own
    /// forms (`same_origin.rs`: a POST without it is refused).
    pub fn hub_origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub async fn hub_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.hub(path))
            .header("origin", self.hub_origin())
            .header("cookie", &self.hub_cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn hub_get(&self, path: &str) -> String {
        let response = self
            .client
            .get(self.hub(path))
            .header("cookie", &self.hub_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }

    pub async fn send_alice(&self, walk_away: bool) {
        self.send_alice_to(if walk_away { "walk-away" } else { "ordinary" })
            .await;
    }

    /// One of alice's visits by its form value (`ordinary`, `walk-away`, ...).
    pub async fn send_alice_to(&self, visit: &str) {
        let response = self.hub_post("/lab/alice", &[("visit", visit)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{visit}");
    }

    pub async fn message_alice(&self, url: &str) {
        let response = self.hub_post("/lab/message", &[("url", url)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "message {url}");
    }

    /// Takes the copy of alice's cookie she left behind (the lab page's
    /// button; the stories' premise) and reads it off the lab page.
    pub async fn copy_of_alices_cookie(&self) -> String {
        let taken = self.hub_post("/lab/copy", &[]).await;
        assert_eq!(taken.status(), StatusCode::SEE_OTHER);
        let lab = self.hub_get("/lab").await;
        let start = lab.find("<code id=\"copy\">").expect("the copy") + "<code id=\"copy\">".len();
        let copy = lab[start..start + lab[start..].find('<').unwrap()].to_owned();
        assert!(copy.contains('='), "alice left a cookie: {copy}");
        copy
    }

    /// The student's app's origin, as its forms send it in `Origin`.
    pub fn app_origin(&self) -> String {
        app_origin(&self.label, self.port)
    }

    /// Logs in to the student's app as `user` with `password`, as a person
    /// at the form would (the page's token, the app's `Origin`): the app's
    /// answer, and the anonymous session's cookie the form came with.
    pub async fn log_in(&self, user: &str, password: &str) -> (reqwest::Response, String) {
        let login = self.client.get(self.app("/login")).send().await.unwrap();
        let anonymous = set_cookie_pair(&login).expect("an anonymous session");
        let token = form_token(&login.text().await.unwrap());
        let answer = self
            .client
            .post(self.app("/login"))
            .header("cookie", &anonymous)
            .header("origin", self.app_origin())
            .form(&[
                ("username", user),
                ("password", password),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        (answer, anonymous)
    }

    /// Cookie tossing by hand: the attacker page on the sibling host
    /// (`evil.LABEL.localhost`) sets `cookie` (`name=value`) for the whole
    /// site, `Domain=LABEL.localhost`, and bob's message sends alice there.
    pub async fn toss_to_alice(&self, cookie: &str) {
        let saved = self
            .hub_post(
                "/lab/page",
                &[
                    ("html", "<!DOCTYPE html><p>Nothing to see.</p>"),
                    (
                        "set_cookie",
                        &format!("{cookie}; Domain={}.localhost; Path=/", self.label),
                    ),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "the page is saved");
        self.message_alice(&self.sibling("/")).await;
    }

    /// Whether the scoreboard's row for `challenge` says solved.
    pub async fn solved(&self, challenge: &str) -> bool {
        let board = self.hub_get("/scoreboard").await;
        let start = board
            .find(&format!("id=\"challenge-{challenge}\""))
            .unwrap_or_else(|| panic!("no row for {challenge}"));
        let row = &board[start..];
        let row = &row[..row.find("</tr>").unwrap()];
        row.contains("class=\"solved\"")
    }

    /// An app request with `cookie` as the Cookie header (a curl -b).
    pub async fn app_get(
        &self,
        path: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, String, Option<String>) {
        let mut request = self.client.get(self.app(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let set = set_cookie_pair(&response);
        (response.status(), response.text().await.unwrap(), set)
    }
}

/// The origin of the app of the lab labelled `label`: `http://app.LABEL.localhost:PORT`.
pub fn app_origin(label: &str, port: u16) -> String {
    format!("http://app.{label}.localhost:{port}")
}

/// The lab's label in a lab page: the host of its link to the app
/// (`id="app-url"`), `app.LABEL.localhost`.
pub fn lab_label_on(lab_page: &str) -> String {
    let link = lab_page
        .split("id=\"app-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no link to the app on the lab page: {lab_page}"));
    let url = url::Url::parse(link).expect("the app's link is a URL");
    let host = url.host_str().expect("a host");
    host.strip_prefix("app.")
        .and_then(|rest| rest.strip_suffix(".localhost"))
        .unwrap_or_else(|| panic!("not an app host: {host}"))
        .to_owned()
}

/// The page's form token (`csrf-token`), or nothing where the profile has none.
pub fn form_token(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned()
}

/// `name=value` of the response's first Set-Cookie.
pub fn set_cookie_pair(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get("set-cookie")?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_owned())
}

pub fn note_of(class: &RunningClass, student: &str) -> String {
    class
        .class
        .lab(student)
        .unwrap()
        .app
        .handle
        .private_note("alice")
        .unwrap()
}
