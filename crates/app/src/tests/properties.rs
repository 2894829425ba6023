//! Property-based tests (proptest) of what a client controls byte for byte:
//! cookie headers, session-ID values and form bodies. Seeded with the bad
//! inputs of issue 14 and earlier reports; each property runs [`CASES`]
//! generated inputs on top of its seeds, so the whole file stays within a
//! few seconds in CI (4 properties x 256 cases).
//!
//! The rule they check: malformed input is a 4xx, never a 5xx or a panic,
//! and the parsers agree with one another.

use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use proptest::prelude::*;

use super::*;
use crate::hygiene::form_fields;
use crate::malformed_cookies::{ID_LEN, SIGNATURE_LEN, shape_problem};

/// Generated inputs per property (on top of the seeds).
const CASES: u32 = 256;

/// Bad inputs seen in reports, tried first by every property that fits.
const SEEDS: &[&[u8]] = &[
    b"%FF%FE%FD",
    b"new_password=%FF%FE",
    b"\xff\xfe\xc3\x28\x80",
    b"\xe2\x82",
    b"s%69d=AAAAAAAAAAAAAAAAAAAAAA",
    b"__Host%2Dsid=x",
    b"sid=AAAAAAAAAAAAAAAAAAAAAB",
    b"sid=",
    b"=;=;;;",
    b"a=%",
    b"%%%%",
    b"a=1&a=2&&=&",
    b"username=%00&password=%0D%0A",
];

/// One runtime and one app per profile for all cases: building an app starts
/// its password hashing, far too slow to repeat per case.
struct Apps {
    runtime: tokio::runtime::Runtime,
    routers: Vec<Router>,
}

fn apps() -> &'static Apps {
    static APPS: std::sync::OnceLock<Apps> = std::sync::OnceLock::new();
    APPS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let routers = runtime.block_on(async {
            ProfileName::ALL
                .into_iter()
                .map(|name| app(&builtin(name)).0)
                .collect()
        });
        Apps { runtime, routers }
    })
}

fn answer(profile: usize, request: Request<Body>) -> Reply {
    let apps = apps();
    apps.runtime.block_on(send(&apps.routers[profile], request))
}

/// Bytes a client can put in a header: `http` refuses control characters
/// (so does hyper), everything else may come.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|seed| seed.to_vec()).collect();
    prop_oneof![
        proptest::sample::select(seeds),
        proptest::collection::vec(
            prop_oneof![
                0x20u8..=0x7e,
                0x80u8..=0xff,
                Just(b';'),
                Just(b'='),
                Just(b'%')
            ],
            0..200
        ),
    ]
}

fn form_bytes() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|seed| seed.to_vec()).collect();
    prop_oneof![
        proptest::sample::select(seeds),
        proptest::collection::vec(any::<u8>(), 0..300),
        "[a-z_]{1,12}=(%[0-9A-Fa-f]{2}|[a-z+%&=]){0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    /// The form check never panics and agrees with a plain UTF-8 decoder: a
    /// form passes exactly when every decoded name and value is UTF-8.
    #[test]
    fn form_check_agrees_with_utf8_decoding(body in form_bytes()) {
        let refused = form_fields::check(&body).is_some();
        let all_utf8 = body.split(|&b| b == b'&').all(|pair| {
            pair.split(|&b| b == b'=').all(|part| {
                // `=` inside a value is kept by the check: decode the whole rest.
                std::str::from_utf8(&form_fields::decode(part)).is_ok()
            })
        });
        prop_assert_eq!(refused, !all_utf8);
    }

    /// A value passes the shape check only if tower-sessions reads an ID in it.
    #[test]
    fn a_well_shaped_session_id_always_decodes(value in "[A-Za-z0-9_-]{20,24}|[A-Za-z0-9+/]{43}=[A-Za-z0-9_-]{22}") {
        for signed in [false, true] {
            if shape_problem(&value, signed).is_none() {
                let id = &value[value.len() - ID_LEN..];
                prop_assert!(id.parse::<tower_sessions::session::Id>().is_ok());
                prop_assert_eq!(value.len(), if signed { SIGNATURE_LEN + ID_LEN } else { ID_LEN });
            }
        }
    }

    /// Whatever the Cookie header holds, every profile answers below 500.
    #[test]
    fn any_cookie_header_is_answered_below_500(cookie in header_bytes(), profile in 0usize..3) {
        let Ok(value) = HeaderValue::from_bytes(&cookie) else { return Ok(()) };
        let mut request = Request::builder().uri("/login").body(Body::empty()).expect("request");
        request.headers_mut().insert(header::COOKIE, value);
        let reply = answer(profile, request);
        prop_assert!(reply.status.as_u16() < 500, "{}: {}", reply.status, reply.body);
    }

    /// Whatever a login form holds, every profile answers below 500.
    #[test]
    fn any_login_form_is_answered_below_500(body in form_bytes(), profile in 0usize..3) {
        let request = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let reply = answer(profile, request);
        prop_assert!(reply.status.as_u16() < 500, "{}: {}", reply.status, reply.body);
    }
}
