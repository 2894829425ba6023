//! `cookie-only-ids`: the session ID is read from the cookie and nowhere else.
//!
//! **What it does.** With the defense on, nothing happens here: tower-sessions
//! only ever looks at the `Cookie` header.
//!
//! **Why it matters.** An ID in a URL can be chosen by someone else (a link
//! `https://app/login?sid=X` fixes the victim's session to X) and leaks through
//! Referer headers, logs and shared links.
//!
//! **The weakness when off.** PHP's `session.use_trans_sid`, both halves:
//! - *reading*: a `?sid=X` in any URL is taken as the session cookie. A small
//!   request middleware, just inside the malformed-cookie check, rewrites the
//!   request's `Cookie` header to carry `<session cookie name>=X` (replacing any
//!   session cookie already there), so everything downstream believes the
//!   browser sent X. An X not shaped like a session ID is ignored, as PHP
//!   ignores a `PHPSESSID` with illegal characters.
//! - *writing*: every link, form action and redirect to the app's own pages
//!   gets `?sid=<the current ID>` appended, so the ID sits in the address bar,
//!   the history, the server logs and the `Referer` of outbound links.
//!
//! CWE-384, CWE-598 · ASVS 4.0.3 3.1.1, 3.2.1 · WSTG-SESS-03, WSTG-SESS-04

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::malformed_cookies::{SessionCookieRules, is_shaped_like_an_id};
use crate::{Defense, Profile};

/// True when the app must take session IDs from URLs (the weakness).
pub fn ids_from_urls(profile: &Profile) -> bool {
    !profile.has(Defense::CookieOnlyIds)
}

#[derive(serde::Deserialize)]
struct SidParameter {
    sid: Option<String>,
}

/// The weakness, as `axum::middleware::map_request_with_state` middleware.
pub async fn take_session_id_from_url(
    State(rules): State<SessionCookieRules>,
    mut request: Request,
) -> Request {
    let Ok(Query(SidParameter { sid: Some(sid) })) =
        Query::<SidParameter>::try_from_uri(request.uri())
    else {
        return request;
    };
    // Only a value shaped like an ID: `?sid=a;b=c` must not smuggle in more cookies.
    if !is_shaped_like_an_id(&sid, rules.signed) {
        return request;
    }
    let cookie_name = rules.name;
    // Keep the other cookies, drop the session cookie the browser sent, add X.
    let mut pairs: Vec<String> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty() && pair.split('=').next().map(str::trim) != Some(cookie_name)
        })
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{cookie_name}={sid}"));
    if let Ok(cookie_header) = HeaderValue::from_str(&pairs.join("; ")) {
        request.headers_mut().remove(header::COOKIE);
        request.headers_mut().insert(header::COOKIE, cookie_header);
    }
    request
}

/// Largest page the link writer buffers; the app's own pages are a few KiB.
const MAX_REWRITTEN_PAGE_BYTES: usize = 1024 * 1024;

/// The weakness's writing half, as `axum::middleware::from_fn_with_state`
/// middleware: app links in HTML pages and `Location` headers get `sid=<ID>`.
pub async fn write_session_id_into_links(
    State(rules): State<SessionCookieRules>,
    request: Request,
    next: Next,
) -> Response {
    let sent = cookie_value(&request, rules.name);
    let response = next.run(request).await;
    // A new or rotated ID is in this response's Set-Cookie; an emptied one means the session ended.
    let sid = match set_cookie_value(&response, rules.name) {
        Some(set) if set.is_empty() => return response,
        Some(set) => set,
        None => match sent {
            Some(sent) => sent,
            None => return response,
        },
    };
    let (mut parts, body) = response.into_parts();
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        && let Ok(rewritten) = HeaderValue::from_str(&with_sid(location, &sid))
    {
        parts.headers.insert(header::LOCATION, rewritten);
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REWRITTEN_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let page = add_sid_to_links(&String::from_utf8_lossy(&bytes), &sid);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// `href="/..."` and `action="/..."` with `sid=<ID>` added to the URL. Links to
/// other sites (`http://...`, `//host/...`) are left alone, as PHP does.
pub fn add_sid_to_links(html: &str, sid: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = ["href=\"", "action=\""]
        .iter()
        .filter_map(|attr| rest.find(attr).map(|i| i + attr.len()))
        .min()
    {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        let url = &rest[..end];
        if url.starts_with('/') && !url.starts_with("//") {
            out.push_str(&with_sid(url, sid).replace('&', "&amp;"));
        } else {
            out.push_str(url);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A same-site path with `sid=<ID>` in its query (replacing an old one).
fn with_sid(url: &str, sid: &str) -> String {
    if !url.starts_with('/') || url.starts_with("//") {
        return url.to_owned();
    }
    let (path, fragment) = url
        .split_once('#')
        .map_or((url, None), |(p, f)| (p, Some(f)));
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sid="))
        .collect();
    let sid_param = format!("sid={}", percent_encode(sid));
    params.push(&sid_param);
    let mut rewritten = format!("{path}?{}", params.join("&"));
    if let Some(fragment) = fragment {
        rewritten.push('#');
        rewritten.push_str(fragment);
    }
    rewritten
}

/// A signed cookie value carries base64's `+`, `/` and `=`, which a query must escape.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The session cookie's value in the request's `Cookie` header.
fn cookie_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The session cookie's value in the response's `Set-Cookie`, "" when it is being removed.
fn set_cookie_value(response: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(|v| {
            let value = v[prefix.len()..].split(';').next().unwrap_or_default();
            let removed = v.to_ascii_lowercase().contains("max-age=0");
            if removed {
                String::new()
            } else {
                value.to_owned()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_links_and_forms_get_the_id_other_sites_do_not() {
        let page = r#"<a href="/guestbook">G</a> <form action="/login?next=%2F" method="post"></form> <a href="http://evil.lab.test/x">E</a> <a href="//cdn/x">C</a>"#;
        assert_eq!(
            add_sid_to_links(page, "ID"),
            r#"<a href="/guestbook?sid=ID">G</a> <form action="/login?next=%2F&amp;sid=ID" method="post"></form> <a href="http://evil.lab.test/x">E</a> <a href="//cdn/x">C</a>"#
        );
    }

    #[test]
    fn an_old_id_in_a_link_is_replaced_and_fragments_stay_last() {
        assert_eq!(
            with_sid("/account?sid=OLD#note", "NEW"),
            "/account?sid=NEW#note"
        );
        assert_eq!(with_sid("https://elsewhere/", "NEW"), "https://elsewhere/");
        assert_eq!(with_sid("/a", "x+y/z="), "/a?sid=x%2By%2Fz%3D");
    }
}
