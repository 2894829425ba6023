//! The machinery of PHP's `session.use_trans_sid`, used only by the
//! `cookie-only-ids` weakness (`defenses/cookie_only_ids.rs`, which decides
//! when it runs): reading a `?sid=` into the `Cookie` header, and writing the
//! current ID into the links, form actions and redirects of a response.

use axum::body::{Body, HttpBody, to_bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::cookie::Cookie;

/// Largest page the link writer buffers; the app's own pages are a few KiB.
pub(crate) const MAX_REWRITTEN_PAGE_BYTES: usize = 1024 * 1024;

/// The request's `Cookie` header with the session cookie replaced by
/// `name=sid` (the other cookies kept), or `None` if that is no valid header.
pub(crate) fn cookie_header_with_sid(
    request_headers: &HeaderMap,
    name: &str,
    sid: &str,
) -> Option<HeaderValue> {
    let mut pairs: Vec<String> = request_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty() && pair.split('=').next().map(str::trim) != Some(name))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{name}={sid}"));
    HeaderValue::from_str(&pairs.join("; ")).ok()
}

/// The session cookie's value in the request's `Cookie` header.
pub(crate) fn sent_cookie_value(request_headers: &HeaderMap, name: &str) -> Option<String> {
    request_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The session cookie's value in the response's `Set-Cookie`, "" when it is being removed.
pub(crate) fn set_cookie_value(response_headers: &HeaderMap, name: &str) -> Option<String> {
    response_headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| Cookie::parse(v.to_str().ok()?).ok())
        .find(|cookie| cookie.name() == name)
        .map(|cookie| {
            let removed = cookie.max_age().is_some_and(|age| age.is_zero());
            if removed {
                String::new()
            } else {
                cookie.value().to_owned()
            }
        })
}

/// `response` with `sid=<ID>` in its `Location` and, for an HTML page, in its
/// app links. A page that may be larger than [`MAX_REWRITTEN_PAGE_BYTES`]
/// goes out as it is: unrewritten links are better than a lost page.
pub(crate) async fn write_sid_into_response(response: Response, sid: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        && let Ok(rewritten) = HeaderValue::from_str(&with_sid(location, sid))
    {
        parts.headers.insert(header::LOCATION, rewritten);
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let may_exceed_limit = body
        .size_hint()
        .upper()
        .is_none_or(|upper| upper > MAX_REWRITTEN_PAGE_BYTES as u64);
    if !is_html || may_exceed_limit {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_REWRITTEN_PAGE_BYTES).await else {
        // The body broke its own size hint or failed mid-way: it is gone, and an
        // empty 200 would pass for a page. Say that it failed.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = add_sid_to_links(&String::from_utf8_lossy(&bytes), sid);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// `href="/..."` and `action="/..."` with `sid=<ID>` added to the URL. Links to
/// other sites (`http://...`, `//host/...`) are left alone, as PHP does.
fn add_sid_to_links(html: &str, sid: &str) -> String {
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

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::body::Bytes;
    use http_body_util::BodyExt;
    use hyper::body::{Frame, SizeHint};

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

    /// A body that says what `hint` says about its size, whatever it holds.
    struct Hinted {
        chunk: Option<Bytes>,
        hint: SizeHint,
    }

    impl HttpBody for Hinted {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.chunk.take().map(|chunk| Ok(Frame::data(chunk))))
        }
        fn size_hint(&self) -> SizeHint {
            self.hint
        }
    }

    fn html(body: Body) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(body)
            .expect("response")
    }

    async fn body_of(response: Response) -> Bytes {
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
    }

    #[tokio::test]
    async fn a_small_page_gets_the_id_in_its_links() {
        let response =
            write_sid_into_response(html(Body::from("<a href=\"/x\">x</a>")), "ID").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_of(response).await, "<a href=\"/x?sid=ID\">x</a>");
    }

    #[tokio::test]
    async fn a_page_that_may_exceed_the_limit_goes_out_whole() {
        let big = format!(
            "<a href=\"/x\">x</a>{}",
            "y".repeat(MAX_REWRITTEN_PAGE_BYTES)
        );
        let response = write_sid_into_response(html(Body::from(big.clone())), "ID").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_of(response).await, big.as_bytes());

        // A body that does not say how long it is may exceed the limit too.
        let unsized_page = Hinted {
            chunk: Some(Bytes::from_static(b"<a href=\"/x\">x</a>")),
            hint: SizeHint::default(),
        };
        let response = write_sid_into_response(html(Body::new(unsized_page)), "ID").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_of(response).await, "<a href=\"/x\">x</a>");
    }

    #[tokio::test]
    async fn a_body_bigger_than_it_said_is_an_error_not_an_empty_page() {
        let liar = Hinted {
            chunk: Some(Bytes::from(vec![b'y'; MAX_REWRITTEN_PAGE_BYTES + 1])),
            hint: SizeHint::with_exact(10),
        };
        let response = write_sid_into_response(html(Body::new(liar)), "ID").await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
