//! `origin-check`: unsafe requests must come from the app's own pages.
//!
//! **What it does.** A middleware over every route refuses (403) a request
//! with an unsafe method when the browser says it was started elsewhere:
//! `Sec-Fetch-Site` other than `same-origin` or `none` (typed, bookmarked),
//! or an `Origin` that is not the app's own (`<scheme>://<Host>`). A request
//! with neither header passes: every current browser sends `Sec-Fetch-Site`,
//! and `Origin` on every cross-origin POST, so a request without both was not
//! started by another site's page in a browser that could carry the victim's
//! cookie (it is curl, a script, a test), and the token covers the rest. This
//! is the rule of Go's `http.CrossOriginProtection`.
//!
//! `Origin: null` is refused unless `Sec-Fetch-Site` vouches for the request:
//! browsers send `null` from sandboxed or opaque pages, but also for the
//! app's own forms when its pages say `Referrer-Policy: no-referrer`, as the
//! hardened profile's do. `Sec-Fetch-Site` does not depend on that policy.
//!
//! **Why it matters.** It needs no state and no change to any form: the
//! browser itself reports where a request came from, and a page on another
//! site cannot make it lie. Sites that share the registrable domain
//! (`evil.lab.test` next to `app.lab.test`) are `same-site`, which SameSite
//! cookies let through; this check refuses them too.
//!
//! **The weakness when off.** The app accepts a POST whatever page sent it.
//!
//! CWE-352, CWE-1275 · ASVS 4.0.3 4.2.2 · ASVS 5.0.0 3.5.1, 3.5.3 · WSTG-SESS-05

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::App;
use crate::defenses::tls;
use crate::{Defense, Profile};

/// The middleware over every route.
pub(crate) async fn check_unsafe_requests(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    if !app.profile.has(Defense::OriginCheck) || request.method().is_safe() {
        return next.run(request).await;
    }
    match refusal(request.headers(), own_scheme(&app.profile)) {
        None => next.run(request).await,
        Some(reason) => (
            StatusCode::FORBIDDEN,
            [(header::CACHE_CONTROL, "no-store")],
            format!(
                "Cross-origin request refused: {reason}.\nOnly the app's own pages may send this form.\n"
            ),
        )
            .into_response(),
    }
}

/// Why an unsafe request must be refused, or `None` to let it through.
fn refusal(headers: &HeaderMap, scheme: &str) -> Option<String> {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap_or("(not text)").trim().to_owned())
    };
    let fetch_site = text(header::HeaderName::from_static("sec-fetch-site"));
    if let Some(site) = &fetch_site
        && !matches!(site.as_str(), "same-origin" | "none")
    {
        return Some(format!("Sec-Fetch-Site is {site}"));
    }
    let origin = text(header::ORIGIN)?;
    if origin == "null" {
        return fetch_site
            .is_none()
            .then(|| "Origin is null and no Sec-Fetch-Site vouches for it".to_owned());
    }
    let own = text(header::HOST).map(|host| format!("{scheme}://{host}"));
    match own {
        Some(own) if same_origin(&origin, &own, scheme) => None,
        Some(own) => Some(format!("Origin {origin} is not {own}")),
        None => Some(format!("Origin {origin}, and no Host to compare it with")),
    }
}

/// "https" when the app speaks TLS: plain requests never reach the routes then.
fn own_scheme(profile: &Profile) -> &'static str {
    if tls::is_on(profile) { "https" } else { "http" }
}

/// Serialized origins compared as browsers write them: lower-case, without the scheme's default port.
fn same_origin(a: &str, b: &str, scheme: &str) -> bool {
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let normal = |o: &str| {
        let o = o.to_ascii_lowercase();
        o.strip_suffix(default_port).map(str::to_owned).unwrap_or(o)
    };
    normal(a) == normal(b)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::refusal;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn own_pages_and_typed_requests_pass() {
        let host = ("host", "app.lab.test:4000");
        for pairs in [
            vec![host, ("sec-fetch-site", "same-origin")],
            vec![host, ("sec-fetch-site", "none")],
            vec![host, ("origin", "http://app.lab.test:4000")],
            vec![host, ("origin", "http://APP.lab.test:4000")],
            vec![
                host,
                ("origin", "http://app.lab.test:4000"),
                ("sec-fetch-site", "same-origin"),
            ],
            // Referrer-Policy: no-referrer makes browsers send `Origin: null` from the app's own forms.
            vec![host, ("origin", "null"), ("sec-fetch-site", "same-origin")],
            // Neither header: not a page in a browser (curl, a test).
            vec![host],
        ] {
            assert_eq!(refusal(&headers(&pairs), "http"), None, "{pairs:?}");
        }
        let https = headers(&[
            ("host", "app.lab.test:443"),
            ("origin", "https://app.lab.test"),
        ]);
        assert_eq!(refusal(&https, "https"), None);
    }

    #[test]
    fn other_sites_and_origins_are_refused() {
        let host = ("host", "app.lab.test:4000");
        for pairs in [
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("sec-fetch-site", "nonsense")],
            vec![host, ("origin", "http://evil.test:4000")],
            vec![host, ("origin", "http://evil.lab.test:4000")],
            vec![host, ("origin", "http://app.lab.test:4001")],
            vec![host, ("origin", "https://app.lab.test:4000")],
            vec![host, ("origin", "null")],
            vec![("origin", "http://app.lab.test:4000")],
            // A same-origin claim does not excuse a foreign Origin.
            vec![
                host,
                ("origin", "http://evil.test:4000"),
                ("sec-fetch-site", "same-origin"),
            ],
        ] {
            assert!(refusal(&headers(&pairs), "http").is_some(), "{pairs:?}");
        }
    }
}
