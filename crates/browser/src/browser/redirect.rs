//! Following redirects (Fetch, "HTTP-redirect fetch"): which request a 3xx response leads to.
//!
//! The browser follows redirects itself, one [`Hop`] at a time, so its cookie, HSTS and
//! referrer rules apply at every hop (see [`Browser::fetch`](super::Browser)).
use url::Url;

use super::Exchange;
use crate::referrer::ReferrerPolicy;

/// One hop of a redirect chain: what to request next.
#[derive(Debug, Clone)]
pub(super) struct Hop {
    pub(super) method: String,
    pub(super) url: Url,
    pub(super) form: Option<Vec<(String, String)>>,
    /// Set when a redirect on the way named a `Referrer-Policy` (Fetch, "set request's referrer
    /// policy on redirect"); until then the initiating page's policy applies.
    pub(super) referrer_policy: Option<ReferrerPolicy>,
}

/// The policy a response's `Referrer-Policy` headers name: the last token the browser knows.
pub(super) fn referrer_policy_of(headers: &[(String, String)]) -> Option<ReferrerPolicy> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("referrer-policy"))
        .filter_map(|(_, value)| ReferrerPolicy::parse(value))
        .next_back()
}

/// Fetch "HTTP-redirect fetch": the next hop for a redirect response, if it is one with a usable
/// `Location` (resolved against the current URL). 301/302 turn a POST into a body-less GET and 303
/// turns anything but GET/HEAD into one (what browsers do, so a form POST lands on a page);
/// 307/308 repeat the same method and body. A `Referrer-Policy` on the redirect response becomes
/// the request's policy for the hops that follow.
pub(super) fn redirect_hop(current: &Hop, exchange: &Exchange) -> Option<Hop> {
    if !matches!(exchange.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = exchange.response_header("location")?;
    let url = exchange.url.join(location.trim()).ok()?;
    let becomes_get = match exchange.status {
        301 | 302 => current.method.eq_ignore_ascii_case("POST"),
        303 => {
            !(current.method.eq_ignore_ascii_case("GET")
                || current.method.eq_ignore_ascii_case("HEAD"))
        }
        _ => false,
    };
    let referrer_policy =
        referrer_policy_of(&exchange.response_headers).or(current.referrer_policy);
    Some(if becomes_get {
        Hop {
            method: "GET".to_string(),
            url,
            form: None,
            referrer_policy,
        }
    } else {
        Hop {
            method: current.method.clone(),
            url,
            form: current.form.clone(),
            referrer_policy,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn exchange(status: u16, at: &str, location: Option<&str>) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: url(at),
            upgraded_from: None,
            certificate_trusted: None,
            request_headers: Vec::new(),
            cookie_decisions: Vec::new(),
            status,
            response_headers: location
                .map(|l| vec![("location".to_string(), l.to_string())])
                .unwrap_or_default(),
            set_cookie_outcomes: Vec::new(),
            body: String::new(),
        }
    }

    fn post_hop() -> Hop {
        Hop {
            method: "POST".into(),
            url: url("http://app.lab.test:1/login"),
            form: Some(vec![("a".into(), "1".into())]),
            referrer_policy: None,
        }
    }

    #[test]
    fn redirects_303_and_302_turn_post_into_get() {
        for status in [301, 302, 303] {
            let next = redirect_hop(
                &post_hop(),
                &exchange(status, "http://app.lab.test:1/login", Some("/account")),
            )
            .expect("a redirect");
            assert_eq!(
                (next.method.as_str(), next.url.as_str()),
                ("GET", "http://app.lab.test:1/account")
            );
            assert!(next.form.is_none());
        }
    }

    #[test]
    fn redirects_307_and_308_keep_method_and_body() {
        for status in [307, 308] {
            let next = redirect_hop(
                &post_hop(),
                &exchange(status, "http://app.lab.test:1/a/b", Some("c")),
            )
            .expect("a redirect");
            assert_eq!(
                (next.method.as_str(), next.url.as_str()),
                ("POST", "http://app.lab.test:1/a/c")
            );
            assert!(next.form.is_some());
        }
    }

    #[test]
    fn no_location_or_no_redirect_status_stops() {
        assert!(
            redirect_hop(&post_hop(), &exchange(302, "http://app.lab.test:1/", None)).is_none()
        );
        assert!(
            redirect_hop(
                &post_hop(),
                &exchange(200, "http://app.lab.test:1/", Some("/x"))
            )
            .is_none()
        );
        assert!(
            redirect_hop(
                &post_hop(),
                &exchange(304, "http://app.lab.test:1/", Some("/x"))
            )
            .is_none()
        );
    }
}
