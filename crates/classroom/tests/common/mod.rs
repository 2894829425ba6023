//! What the class's tests share: a class on a loopback port, and a student
//! driven by a plain HTTP client.
#![allow(dead_code)]

pub mod balancer;

use std::net::SocketAddr;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use sessionlab_app::{Profile, ProfileName};
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

/// A student: an HTTP client that reaches the lab's host names on loopback,
/// follows no redirect and keeps cookies by hand, as with curl.
pub struct Student {
    pub name: String,
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
    /// spreads the student's requests over the instances.
    pub async fn sign_in_at(addr: SocketAddr, name: &str) -> Self {
        let mut builder = Client::builder()
            .redirect(Policy::none())
            .pool_max_idle_per_host(0);
        for host in [
            "localhost".to_string(),
            format!("app.{name}.localhost"),
            format!("app2.{name}.localhost"),
            format!("evil.{name}.localhost"),
            format!("{name}.attacker.localhost"),
        ] {
            builder = builder.resolve(&host, addr);
        }
        let client = builder.build().unwrap();
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
        Self {
            name: name.into(),
            port,
            client,
            hub_cookie,
        }
    }

    pub fn app(&self, path: &str) -> String {
        format!("http://app.{}.localhost:{}{path}", self.name, self.port)
    }

    /// The same path on the second instance of the student's app.
    pub fn app2(&self, path: &str) -> String {
        format!("http://app2.{}.localhost:{}{path}", self.name, self.port)
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
        format!("http://app.{}.localhost:{}", self.name, self.port)
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
    /// (`evil.NAME.localhost`) sets `cookie` (`name=value`) for the whole
    /// site, `Domain=NAME.localhost`, and bob's message sends alice there.
    pub async fn toss_to_alice(&self, cookie: &str) {
        let saved = self
            .hub_post(
                "/lab/page",
                &[
                    ("html", "<!DOCTYPE html><p>Nothing to see.</p>"),
                    (
                        "set_cookie",
                        &format!("{cookie}; Domain={}.localhost; Path=/", self.name),
                    ),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "the page is saved");
        self.message_alice(&format!(
            "http://evil.{}.localhost:{}/",
            self.name, self.port
        ))
        .await;
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
