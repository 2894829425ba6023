//! Where did this request come from? The headers a browser adds to say so: `Origin` and the
//! Fetch Metadata headers `Sec-Fetch-Site`, `Sec-Fetch-Mode` and `Sec-Fetch-Dest`.
//!
//! A server-side CSRF defence (the app's `origin-check`) reads them, and a page on another site
//! cannot make the browser lie in them. Two rules decide when they are sent at all:
//!
//! - **Fetch Metadata goes only to potentially trustworthy URLs** (W3C Fetch Metadata Request
//!   Headers §2, "append the Fetch metadata headers": "if r's url is not potentially
//!   trustworthy, return"). Potentially trustworthy (W3C Secure Contexts §3.1) means `https:` /
//!   `wss:`, or a host that is `localhost`, `*.localhost`, in `127.0.0.0/8`, or `::1`. Chromium
//!   does exactly this: over `http://app.lab.test:PORT` it sends no `Sec-Fetch-*` header at all.
//!   The decision is made on the URL *as written*, not on where the lab network routes it: that
//!   `app.lab.test` lands on loopback does not make it trustworthy.
//! - **`Origin`** (Fetch, "append a request Origin header") goes with every CORS request (a
//!   script's `fetch()` to another origin), naming the page's origin as it is, and with every
//!   request whose method is neither GET nor HEAD (a form POST). For the latter the page's
//!   referrer policy may hide the origin: under `Referrer-Policy: no-referrer` even a form
//!   posting to its own site says `Origin: null`.
//!
//! `Sec-Fetch-User` (`?1` on navigations the user activated) is not modelled: a
//! [`RequestSpec`](super::RequestSpec) does not record user activation.
use std::net::IpAddr;

use url::{Host, Url};

use super::RequestKind;
use crate::jar::same_site;
use crate::referrer::ReferrerPolicy;

/// W3C Secure Contexts §3.1 "Is origin potentially trustworthy?", for the URLs a lab browser
/// requests: `https:` and `wss:` are; so is a host that is a loopback address (`127.0.0.0/8`,
/// `::1`) or a `localhost` name (`localhost`, `*.localhost`, with or without a final dot, as
/// "Let localhost be localhost" asks). Everything else, `http://app.lab.test` included, is not.
pub(crate) fn is_potentially_trustworthy(url: &Url) -> bool {
    if matches!(url.scheme(), "https" | "wss") {
        return true;
    }
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            let name = name.strip_suffix('.').unwrap_or(&name);
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// The `Sec-Fetch-*` headers of a request to `url`, in the order Chromium sends them; none at
/// all when `url` is not potentially trustworthy.
pub(super) fn fetch_metadata_headers(
    kind: RequestKind,
    initiator: Option<&Url>,
    url: &Url,
) -> Vec<(String, String)> {
    if !is_potentially_trustworthy(url) {
        return Vec::new();
    }
    vec![
        (
            "Sec-Fetch-Site".to_string(),
            sec_fetch_site(initiator, url).to_string(),
        ),
        (
            "Sec-Fetch-Mode".to_string(),
            sec_fetch_mode(kind).to_string(),
        ),
        (
            "Sec-Fetch-Dest".to_string(),
            sec_fetch_dest(kind).to_string(),
        ),
    ]
}

/// `Sec-Fetch-Site`: `none` for a user-started request (address bar, bookmark), `same-origin`,
/// `same-site` (e.g. `evil.lab.test` -> `app.lab.test`) or `cross-site`.
fn sec_fetch_site(initiator: Option<&Url>, target: &Url) -> &'static str {
    match initiator {
        None => "none",
        Some(page) if page.origin() == target.origin() => "same-origin",
        Some(page) if same_site(page, target) => "same-site",
        Some(_) => "cross-site",
    }
}

/// `Sec-Fetch-Mode`: the request's mode (a navigation, a `no-cors` `<img>`, a `cors` fetch()).
fn sec_fetch_mode(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Navigation => "navigate",
        RequestKind::Subresource => "no-cors",
        RequestKind::Fetch => "cors",
    }
}

/// `Sec-Fetch-Dest`: a navigation loads a `document`; the lab's other requests have no
/// destination the model tracks (`empty`).
fn sec_fetch_dest(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Navigation => "document",
        RequestKind::Subresource | RequestKind::Fetch => "empty",
    }
}

/// The `Origin` header of a request, if it gets one (Fetch, "append a request Origin header").
///
/// - A CORS request (a script's `fetch()` to another origin) names the page's origin as it is:
///   the referrer policy hides the origin of non-CORS requests only.
/// - A request whose method is neither GET nor HEAD names the initiating page's origin, or
///   `null` where that page's referrer policy (`policy_of(page)`) hides it (`no-referrer`
///   always; https -> http for the `strict-*` policies) - and `null` with no page at all.
/// - Any other request (a navigation, an `<img>`, a same-origin fetch GET) has none.
pub(super) fn origin_header(
    kind: RequestKind,
    method: &str,
    initiator: Option<&Url>,
    url: &Url,
    policy_of: impl Fn(&Url) -> ReferrerPolicy,
) -> Option<String> {
    let cors_from =
        initiator.filter(|page| kind == RequestKind::Fetch && page.origin() != url.origin());
    if let Some(page) = cors_from {
        return Some(page.origin().ascii_serialization());
    }
    if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
        return None;
    }
    Some(initiator.map_or("null".to_string(), |page| {
        policy_of(page).origin_header(page, url)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn names(headers: &[(String, String)]) -> Vec<&str> {
        headers.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn sec_fetch_site_values() {
        let app = url("http://app.lab.test:1/x");
        assert_eq!(sec_fetch_site(None, &app), "none");
        assert_eq!(
            sec_fetch_site(Some(&url("http://app.lab.test:1/y")), &app),
            "same-origin"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://evil.lab.test:2/")), &app),
            "same-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://app.lab.test:2/")), &app),
            "same-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("https://app.lab.test:1/")), &app),
            "cross-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://evil.example/")), &app),
            "cross-site"
        );
    }

    #[test]
    fn potentially_trustworthy_urls_follow_secure_contexts() {
        for trustworthy in [
            "https://app.lab.test:4000/",
            "wss://app.lab.test:4000/",
            "http://127.0.0.1:4000/",
            "http://127.8.9.10:4000/",
            "http://[::1]:4000/",
            "http://localhost:4000/",
            "http://LOCALHOST.:4000/",
            "http://app.localhost:4000/",
        ] {
            assert!(
                is_potentially_trustworthy(&url(trustworthy)),
                "{trustworthy}"
            );
        }
        for not in [
            "http://app.lab.test:4000/",
            "http://evil.test:4000/",
            "http://10.0.0.1/",
            "http://localhost.example/",
            "http://notlocalhost/",
        ] {
            assert!(!is_potentially_trustworthy(&url(not)), "{not}");
        }
    }

    #[test]
    fn plain_http_to_a_lab_host_gets_no_fetch_metadata() {
        let headers = fetch_metadata_headers(
            RequestKind::Navigation,
            Some(&url("http://evil.test:1/lure")),
            &url("http://app.lab.test:1/change"),
        );
        assert!(headers.is_empty(), "{headers:?}");
    }

    #[test]
    fn https_and_loopback_literals_get_all_three() {
        let https = fetch_metadata_headers(
            RequestKind::Navigation,
            None,
            &url("https://app.lab.test:1/"),
        );
        assert_eq!(
            https,
            [
                ("Sec-Fetch-Site".to_string(), "none".to_string()),
                ("Sec-Fetch-Mode".to_string(), "navigate".to_string()),
                ("Sec-Fetch-Dest".to_string(), "document".to_string()),
            ]
        );
        let loopback = fetch_metadata_headers(
            RequestKind::Fetch,
            Some(&url("http://evil.test:1/")),
            &url("http://127.0.0.1:1/collect"),
        );
        assert_eq!(
            names(&loopback),
            ["Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest"]
        );
        assert_eq!(loopback[0].1, "cross-site");
        assert_eq!(loopback[1].1, "cors");
        assert_eq!(loopback[2].1, "empty");
    }

    #[test]
    fn a_form_post_under_no_referrer_says_origin_null() {
        let page = url("http://app.lab.test:1/login");
        let target = url("http://app.lab.test:1/login");
        let origin = |policy: ReferrerPolicy| {
            origin_header(
                RequestKind::Navigation,
                "POST",
                Some(&page),
                &target,
                |_| policy,
            )
        };
        assert_eq!(origin(ReferrerPolicy::NoReferrer).as_deref(), Some("null"));
        assert_eq!(
            origin(ReferrerPolicy::DEFAULT).as_deref(),
            Some("http://app.lab.test:1")
        );
    }

    #[test]
    fn origin_goes_with_unsafe_methods_and_cors_only() {
        let page = url("http://evil.test:2/lure");
        let app = url("http://app.lab.test:1/x");
        let default = |_: &Url| ReferrerPolicy::DEFAULT;
        // A cross-site navigation GET and an <img> carry no Origin.
        assert_eq!(
            origin_header(RequestKind::Navigation, "GET", Some(&page), &app, default),
            None
        );
        assert_eq!(
            origin_header(RequestKind::Subresource, "GET", Some(&page), &app, default),
            None
        );
        // A script's fetch() to another origin names the page's origin, whatever the policy.
        assert_eq!(
            origin_header(RequestKind::Fetch, "GET", Some(&page), &app, |_| {
                ReferrerPolicy::NoReferrer
            })
            .as_deref(),
            Some("http://evil.test:2")
        );
        // A POST with no page (typed, bookmarked) has an opaque origin.
        assert_eq!(
            origin_header(RequestKind::Navigation, "POST", None, &app, default).as_deref(),
            Some("null")
        );
    }
}
