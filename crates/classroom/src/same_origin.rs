//! The hub's CSRF rule: a POST is served only when the browser says it came
//! from one of the hub's own pages.
//!
//! A student's attacker site (`NAME-SECRET.attacker.localhost`) could otherwise
//! drive another student's hub: reset their lab, send alice, save a page.
//! The hub's cookies are `SameSite=Strict`, and on top of that every POST
//! must show where it came from, in one of two headers the browser writes
//! and a page's script cannot:
//!
//! - `Origin` equal to the hub's own origin (`http://HOST`), or
//! - `Sec-Fetch-Site: same-origin` (Fetch metadata), with `Origin` absent
//!   or `null`.
//!
//! Anything else is refused with 403 and a page that says why: a foreign
//! `Origin`, a `Sec-Fetch-Site` other than `same-origin`, or neither header
//! (a request a browser did not make, or one that hides where it came from).
//!
//! Why both, and why the hub's pages send `Referrer-Policy: same-origin`:
//! the first version of this rule compared `Origin` alone while the pages
//! sent `Referrer-Policy: no-referrer`. Under that policy Chromium sends
//! `Origin: null` even on a same-origin form POST, so every hub form was
//! refused in a real browser, and no test noticed because the tests set
//! `Origin` by hand. It is the same trap as the app's `origin-check`
//! defense under `no-referrer` (`crates/app/src/defenses/origin_check.rs`):
//! a referrer policy decides what `Origin` says. With `same-origin` the
//! browser sends the real origin to the hub itself and no `Referer` to any
//! other site. Fetch metadata is the second witness: browsers send it to
//! potentially trustworthy origins, which `http://localhost` and
//! `http://*.localhost` are, so Chromium and Firefox say `same-origin` for
//! the hub's own forms whatever the referrer policy; on a class served under
//! other names over plain HTTP, `Origin` alone decides.
//!
//! CWE-352 (cross-site request forgery); ASVS 4.0.3 V4.2.2; ASVS 5.0 V3.5.1.

use axum::http::{HeaderMap, Method, header};

/// What the hub makes of a request's method and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostCheck {
    /// Not a POST, or a POST from one of the hub's own pages.
    Allowed,
    /// A POST refused, with the reason a person reads on the 403 page.
    Refused(String),
}

/// Judges one request to the hub served as `host` (its `Host` header).
pub fn check(method: &Method, headers: &HeaderMap, host: &str) -> PostCheck {
    if method != Method::POST {
        return PostCheck::Allowed;
    }
    let own_origin = format!("http://{host}");
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = text(header::ORIGIN.as_str());
    let fetch_site = text("sec-fetch-site");
    if let Some(origin) = origin.filter(|o| *o != "null" && *o != own_origin) {
        return PostCheck::Refused(format!(
            "A form from {origin} may not post to the class hub at {own_origin}: \
             only the hub's own pages may change your lab."
        ));
    }
    if let Some(site) = fetch_site.filter(|s| *s != "same-origin") {
        return PostCheck::Refused(format!(
            "Your browser says this form came from a {site} page (Sec-Fetch-Site: {site}): \
             only the hub's own pages may change your lab."
        ));
    }
    if origin == Some(own_origin.as_str()) || fetch_site == Some("same-origin") {
        return PostCheck::Allowed;
    }
    PostCheck::Refused(
        "This request does not say where it came from (no Origin, or Origin: null, and no \
         Sec-Fetch-Site): the hub only takes forms posted from its own pages by a browser."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&'static str, &'static str)]) -> PostCheck {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        check(&Method::POST, &map, "localhost:8080")
    }

    #[test]
    fn the_hubs_own_forms_pass_in_either_way_a_browser_says_so() {
        assert_eq!(
            post(&[("origin", "http://localhost:8080")]),
            PostCheck::Allowed
        );
        // Chromium under `Referrer-Policy: no-referrer`: Origin null, but Fetch metadata.
        assert_eq!(
            post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            PostCheck::Allowed
        );
        assert_eq!(
            post(&[
                ("origin", "http://localhost:8080"),
                ("sec-fetch-site", "same-origin")
            ]),
            PostCheck::Allowed
        );
        assert_eq!(
            check(&Method::GET, &HeaderMap::new(), "localhost:8080"),
            PostCheck::Allowed
        );
    }

    #[test]
    fn other_sites_and_silent_requests_are_refused() {
        let refused = |headers| matches!(post(headers), PostCheck::Refused(_));
        assert!(refused(&[("origin", "http://ann.attacker.localhost:8080")]));
        assert!(refused(&[("origin", "http://localhost:9999")]));
        assert!(refused(&[("origin", "null")]));
        assert!(refused(&[]));
        assert!(refused(&[("sec-fetch-site", "cross-site")]));
        assert!(refused(&[
            ("origin", "null"),
            ("sec-fetch-site", "same-site")
        ]));
        // A foreign Origin is refused even beside a same-origin claim.
        assert!(refused(&[
            ("origin", "http://evil.ann.localhost:8080"),
            ("sec-fetch-site", "same-origin")
        ]));
    }
}
