//! `origin-check`: unsafe requests must come from the app's own pages.
//!
//! **What it does.** A middleware over every route refuses (403) a request
//! with an unsafe method when the browser says it was started elsewhere:
//! `Sec-Fetch-Site` other than `same-origin` or `none` (typed, bookmarked),
//! or an `Origin` that is not the app's own (`<scheme>://<Host>`). This is
//! the rule of Go's `http.CrossOriginProtection`.
//!
//! **The two headers.** Browsers send `Origin` with every cross-origin POST,
//! over plain HTTP too. `Sec-Fetch-Site` (with the other `Sec-Fetch-*`
//! headers) they send only to *potentially trustworthy* origins: `https`,
//! and `localhost` / `127.0.0.1`. To `http://app.lab.test` a real Chromium
//! sends none, so over plain HTTP `Origin` alone decides. A request with
//! neither header passes: it was not started by another site's page in a
//! browser that could carry the victim's cookie (it is curl, a script, a
//! test), and the token covers the rest.
//!
//! **`Origin: null`** is refused unless `Sec-Fetch-Site` vouches for the
//! request: browsers send `null` from sandboxed or opaque pages, which may
//! be anyone's. But they also send it for the app's *own* forms when its
//! pages say `Referrer-Policy: no-referrer` (the hardened profile's do).
//! Over https `Sec-Fetch-Site: same-origin` comes along and the form passes.
//! Over plain HTTP nothing comes along, so with `origin-check` and
//! `referrer-policy` both on (`serve --profile insecure --with
//! origin-check,referrer-policy`) a real browser's own login POST is
//! refused. The check stays honest, a null origin proves nothing, and the
//! 403 says why in its first line; the fix is TLS (as in hardened) or a
//! referrer policy that keeps the origin (`strict-origin-when-cross-origin`).
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
    // The first line of the body says why: a learner reads it in the browser.
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
        return fetch_site.is_none().then(|| null_origin_reason(scheme));
    }
    let own = text(header::HOST).map(|host| format!("{scheme}://{host}"));
    match own {
        Some(own) if same_origin(&origin, &own, scheme) => None,
        Some(own) => Some(format!("Origin {origin} is not {own}")),
        None => Some(format!("Origin {origin}, and no Host to compare it with")),
    }
}

/// Why `Origin: null` without `Sec-Fetch-Site` is refused; over plain HTTP
/// that is also what a real browser sends for the app's own form under
/// `Referrer-Policy: no-referrer`, and the reason says so.
fn null_origin_reason(scheme: &str) -> String {
    let why = "Origin: null and no Sec-Fetch-Site, so nothing shows that this app's own page sent it";
    if scheme == "http" {
        format!(
            "{why} (over plain HTTP browsers send no Sec-Fetch-* headers, and under \
             Referrer-Policy: no-referrer even the app's own forms send Origin: null; \
             serve it over https or with a policy that keeps the origin)"
        )
    } else {
        why.to_owned()
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

    #[test]
    fn a_null_origin_over_plain_http_says_why() {
        let null = headers(&[("host", "app.lab.test"), ("origin", "null")]);
        let http = refusal(&null, "http").expect("refused");
        assert!(
            http.starts_with("Origin: null and no Sec-Fetch-Site")
                && http.contains("over plain HTTP browsers send no Sec-Fetch-* headers")
                && http.contains("Referrer-Policy: no-referrer")
                && !http.contains('\n'),
            "{http}"
        );
        let https = refusal(&null, "https").expect("refused");
        assert!(!https.contains("plain HTTP"), "{https}");
    }
}
