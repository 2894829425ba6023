//! Referrer Policy (W3C Referrer Policy, section 8.3 "Determine request's Referrer").
//!
//! A page's `Referrer-Policy` response header decides how much of the page's URL the browser
//! puts in the `Referer` of requests the page starts. Without one, browsers use
//! `strict-origin-when-cross-origin` (Chromium since 85, Firefox since 87, Safari since 14.1):
//! a request to another origin carries only `scheme://host:port/`, and an https page sends
//! nothing to an http URL. That default is what saves a session ID that leaked into a URL; the
//! `referer-leak` lesson needs an app that loosens it (`unsafe-url`).

use url::Url;

/// The policies of the W3C Referrer Policy spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrerPolicy {
    NoReferrer,
    NoReferrerWhenDowngrade,
    SameOrigin,
    Origin,
    StrictOrigin,
    OriginWhenCrossOrigin,
    StrictOriginWhenCrossOrigin,
    UnsafeUrl,
}

/// Longest referrer URL sent in full; longer ones are cut to the origin (spec step 6).
const MAX_REFERRER_URL_BYTES: usize = 4096;

impl ReferrerPolicy {
    /// What browsers use when a page names no (known) policy.
    pub const DEFAULT: ReferrerPolicy = ReferrerPolicy::StrictOriginWhenCrossOrigin;

    /// Parses a `Referrer-Policy` header value: a comma-separated list in which the last
    /// token the browser knows wins (so sites can list a new policy after a fallback).
    /// Unknown tokens are skipped; `None` when no token is known.
    pub fn parse(header: &str) -> Option<ReferrerPolicy> {
        header
            .split(',')
            .filter_map(|token| Self::from_token(token.trim()))
            .next_back()
    }

    fn from_token(token: &str) -> Option<ReferrerPolicy> {
        Some(match token.to_ascii_lowercase().as_str() {
            "no-referrer" => Self::NoReferrer,
            "no-referrer-when-downgrade" => Self::NoReferrerWhenDowngrade,
            "same-origin" => Self::SameOrigin,
            "origin" => Self::Origin,
            "strict-origin" => Self::StrictOrigin,
            "origin-when-cross-origin" => Self::OriginWhenCrossOrigin,
            "strict-origin-when-cross-origin" => Self::StrictOriginWhenCrossOrigin,
            "unsafe-url" => Self::UnsafeUrl,
            _ => return None,
        })
    }

    /// The `Referer` a request from `page` to `target` carries under this policy, if any.
    pub fn referrer(self, page: &Url, target: &Url) -> Option<String> {
        if !matches!(page.scheme(), "http" | "https") {
            return None;
        }
        let full = strip_for_referrer(page);
        let origin = format!("{}/", page.origin().ascii_serialization());
        let full = if full.len() > MAX_REFERRER_URL_BYTES {
            origin.clone()
        } else {
            full
        };
        let same_origin = page.origin() == target.origin();
        // A "downgrade": a secure page asking for a non-secure URL.
        let downgrade = page.scheme() == "https" && target.scheme() != "https";
        match self {
            Self::NoReferrer => None,
            Self::UnsafeUrl => Some(full),
            Self::Origin => Some(origin),
            Self::NoReferrerWhenDowngrade => (!downgrade).then_some(full),
            Self::StrictOrigin => (!downgrade).then_some(origin),
            Self::SameOrigin => same_origin.then_some(full),
            Self::OriginWhenCrossOrigin => Some(if same_origin { full } else { origin }),
            Self::StrictOriginWhenCrossOrigin => match (same_origin, downgrade) {
                (true, _) => Some(full),
                (false, true) => None,
                (false, false) => Some(origin),
            },
        }
    }
}

impl ReferrerPolicy {
    /// The `Origin` header of a form POST from `page` to `target` (Fetch, "serializing a request
    /// origin"): the page's origin, or `null` where the policy would hide even that. So an app
    /// that sends `no-referrer` receives `Origin: null` from its own forms.
    pub fn origin_header(self, page: &Url, target: &Url) -> String {
        let downgrade = page.scheme() == "https" && target.scheme() != "https";
        let hidden = match self {
            Self::NoReferrer => true,
            Self::NoReferrerWhenDowngrade
            | Self::StrictOrigin
            | Self::StrictOriginWhenCrossOrigin => downgrade,
            Self::SameOrigin => page.origin() != target.origin(),
            Self::Origin | Self::OriginWhenCrossOrigin | Self::UnsafeUrl => false,
        };
        if hidden {
            "null".to_string()
        } else {
            page.origin().ascii_serialization()
        }
    }
}

/// The page URL without fragment and credentials, which no policy ever sends.
fn strip_for_referrer(page: &Url) -> String {
    let mut referrer = page.clone();
    referrer.set_fragment(None);
    // Both only fail for URLs without a host, which have no credentials to strip.
    let _ = referrer.set_username("");
    let _ = referrer.set_password(None);
    referrer.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const PAGE: &str = "http://app.lab.test:8080/guestbook?sid=SECRET#top";
    const SAME: &str = "http://app.lab.test:8080/account";
    const OTHER: &str = "http://evil.lab.test:9090/deals";

    fn send(policy: ReferrerPolicy, page: &str, target: &str) -> Option<String> {
        policy.referrer(&url(page), &url(target))
    }

    #[test]
    fn the_default_sends_only_the_origin_to_another_origin() {
        assert_eq!(
            send(ReferrerPolicy::DEFAULT, PAGE, OTHER).as_deref(),
            Some("http://app.lab.test:8080/")
        );
        assert_eq!(
            send(ReferrerPolicy::DEFAULT, PAGE, SAME).as_deref(),
            Some("http://app.lab.test:8080/guestbook?sid=SECRET")
        );
    }

    #[test]
    fn the_default_sends_nothing_from_https_to_http() {
        assert_eq!(
            send(
                ReferrerPolicy::DEFAULT,
                "https://app.lab.test/x?sid=1",
                OTHER
            ),
            None
        );
    }

    #[test]
    fn unsafe_url_sends_the_full_url_anywhere_but_never_the_fragment() {
        assert_eq!(
            send(ReferrerPolicy::UnsafeUrl, PAGE, OTHER).as_deref(),
            Some("http://app.lab.test:8080/guestbook?sid=SECRET")
        );
        assert_eq!(
            send(
                ReferrerPolicy::UnsafeUrl,
                "https://user:pw@app.lab.test/x",
                OTHER
            )
            .as_deref(),
            Some("https://app.lab.test/x")
        );
    }

    #[test]
    fn no_referrer_sends_nothing_even_to_the_same_origin() {
        assert_eq!(send(ReferrerPolicy::NoReferrer, PAGE, SAME), None);
        assert_eq!(send(ReferrerPolicy::NoReferrer, PAGE, OTHER), None);
    }

    #[test]
    fn the_other_policies() {
        use ReferrerPolicy::*;
        assert_eq!(send(SameOrigin, PAGE, OTHER), None);
        assert!(send(SameOrigin, PAGE, SAME).unwrap().contains("sid=SECRET"));
        assert_eq!(
            send(Origin, PAGE, SAME).as_deref(),
            Some("http://app.lab.test:8080/")
        );
        assert_eq!(send(StrictOrigin, "https://app.lab.test/x", OTHER), None);
        assert_eq!(
            send(OriginWhenCrossOrigin, PAGE, OTHER).as_deref(),
            Some("http://app.lab.test:8080/")
        );
        assert_eq!(
            send(NoReferrerWhenDowngrade, "https://app.lab.test/x", OTHER),
            None
        );
        assert!(
            send(NoReferrerWhenDowngrade, PAGE, OTHER)
                .unwrap()
                .contains("sid=SECRET")
        );
    }

    #[test]
    fn a_header_list_is_read_from_the_end_and_unknown_tokens_are_skipped() {
        assert_eq!(
            ReferrerPolicy::parse("no-referrer, strict-origin-when-cross-origin"),
            Some(ReferrerPolicy::StrictOriginWhenCrossOrigin)
        );
        assert_eq!(
            ReferrerPolicy::parse("unsafe-url, made-up-policy"),
            Some(ReferrerPolicy::UnsafeUrl)
        );
        assert_eq!(ReferrerPolicy::parse("made-up-policy"), None);
        assert_eq!(
            ReferrerPolicy::parse(" No-Referrer "),
            Some(ReferrerPolicy::NoReferrer)
        );
    }

    #[test]
    fn the_origin_header_is_null_where_the_policy_hides_the_origin() {
        use ReferrerPolicy::*;
        assert_eq!(NoReferrer.origin_header(&url(PAGE), &url(SAME)), "null");
        assert_eq!(
            ReferrerPolicy::DEFAULT.origin_header(&url(PAGE), &url(OTHER)),
            "http://app.lab.test:8080"
        );
        assert_eq!(
            ReferrerPolicy::DEFAULT.origin_header(&url("https://app.lab.test/x"), &url(OTHER)),
            "null"
        );
        assert_eq!(SameOrigin.origin_header(&url(PAGE), &url(OTHER)), "null");
        assert_eq!(
            UnsafeUrl.origin_header(&url(PAGE), &url(OTHER)),
            "http://app.lab.test:8080"
        );
    }

    #[test]
    fn an_overlong_url_is_cut_to_its_origin() {
        let long = format!("http://app.lab.test/{}", "a".repeat(5000));
        assert_eq!(
            send(ReferrerPolicy::UnsafeUrl, &long, OTHER).as_deref(),
            Some("http://app.lab.test/")
        );
    }
}
