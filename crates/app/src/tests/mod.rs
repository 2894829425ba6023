//! In-process tests: requests go straight into the `Router` with
//! `tower::ServiceExt::oneshot`; no socket is opened.

mod account_sessions;
mod bad_input;
mod class_app;
mod clear_trap;
mod defenses;
mod forgery;
mod hygiene;
mod load;
mod observer;
mod properties;
mod routes;
mod sign_in;
mod stores;
mod tokens;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_sessions::session::Id;

use crate::{AppInfo, Profile, ProfileName, build_router_with_session_secret};

pub(crate) fn app(profile: &Profile) -> (Router, AppInfo) {
    build_router_with_session_secret(profile, Some("38sisjsk92".into()))
}

pub(crate) fn builtin(name: ProfileName) -> Profile {
    Profile::new(name)
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The `Set-Cookie` header for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&prefix))
            .map(str::to_owned)
    }
    /// The value of the `Set-Cookie` for `name`.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let set_cookie = self.set_cookie(name)?;
        let pair = set_cookie.split(';').next()?;
        Some(pair[name.len() + 1..].to_owned())
    }
    /// The `Location` header, minus the `?sid=` that the `cookie-only-ids` weakness
    /// writes into redirects (tested on its own in `defenses.rs`).
    pub fn location(&self) -> Option<&str> {
        let location = self.raw_location()?;
        Some(match location.split_once("?sid=") {
            Some((path, _)) => path,
            None => location,
        })
    }
    pub fn raw_location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `request` as an HTTP/1.1 client would: with a `Host` header (the
/// app refuses a request without one, `hygiene/host_header.rs`).
pub(crate) async fn send(router: &Router, mut request: Request<Body>) -> Reply {
    if !request.headers().contains_key(header::HOST) {
        request.headers_mut().insert(
            header::HOST,
            header::HeaderValue::from_static("app.lab.test"),
        );
    }
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A browser reduced to one cookie, the session cookie, and the last form
/// token a page showed it (the `csrf-token` defense's hidden field).
pub(crate) struct Visitor {
    pub router: Router,
    pub cookie_name: &'static str,
    pub cookie: Option<String>,
    /// Sent with every POST that does not name its own, as a page's form would.
    pub csrf_token: Option<String>,
}

impl Visitor {
    pub fn new(router: &Router, info: &AppInfo) -> Self {
        Self {
            router: router.clone(),
            cookie_name: info.session_cookie_name,
            cookie: None,
            csrf_token: None,
        }
    }

    pub async fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("{}={cookie}", self.cookie_name));
        }
        let with_token;
        let form = match (&self.csrf_token, form) {
            (Some(token), form)
                if method == "POST" && !form.unwrap_or("").contains("csrf_token=") =>
            {
                with_token = match form {
                    Some(fields) if !fields.is_empty() => format!("{fields}&csrf_token={token}"),
                    _ => format!("csrf_token={token}"),
                };
                Some(with_token.as_str())
            }
            (_, form) => form,
        };
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.to_owned())
            }
            None => Body::empty(),
        };
        let reply = send(&self.router, request.body(body).expect("request")).await;
        if let Some(value) = reply.cookie_value(self.cookie_name) {
            self.cookie = (!value.is_empty()).then_some(value);
        }
        if let Some(token) = form_token(&reply.body) {
            self.csrf_token = Some(token.to_owned());
        }
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &str) -> Reply {
        self.request("POST", path, Some(form)).await
    }

    pub async fn log_in_as_alice(&mut self) -> Reply {
        self.get("/login").await;
        let reply = self
            .post("/login", "username=alice&password=wonderland")
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "login failed: {}",
            reply.body
        );
        // Follow the redirect, as a browser does: the login renewed the form token.
        self.get("/account").await;
        reply
    }
}

/// The value of the first hidden `csrf_token` field on a page.
pub(crate) fn form_token(body: &str) -> Option<&str> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(&body[start..end])
}

/// The session ID inside a cookie value (signed values carry a 44-character
/// base64 HMAC in front of the 22-character ID).
pub(crate) fn session_id(cookie_value: &str) -> Id {
    let start = cookie_value.len().saturating_sub(22);
    cookie_value[start..].parse().expect("a session ID")
}

/// `value` signed with `key`, as tower-sessions would write it.
pub(crate) fn signed_value(key: &tower_sessions::cookie::Key, name: &str, value: &str) -> String {
    use tower_sessions::cookie::{Cookie, CookieJar};
    let mut jar = CookieJar::new();
    jar.signed_mut(key)
        .add(Cookie::new(name.to_owned(), value.to_owned()));
    jar.get(name).expect("just added").value().to_owned()
}

/// The private note shown on an account page.
pub(crate) fn private_note(body: &str) -> Option<&str> {
    element_text(body, sessionlab_protocol::element::PRIVATE_NOTE)
}

/// The text of the page's `<p id="{id}">`.
pub(crate) fn element_text<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let open = format!("<p id=\"{id}\">");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find("</p>")? + start;
    Some(&body[start..end])
}
