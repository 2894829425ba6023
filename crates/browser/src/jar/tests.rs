//! The jar's unit tests, one rule at a time ("rule n" = rule n of section 2 of
//! `docs/reference/session-security.md`). They sit in their own file so `jar.rs` reads as the
//! rules alone; as a child module they can still reach the jar's private helpers.
use super::*;

const T0: Duration = Duration::from_secs(1_700_000_000);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + T0
}

fn after(seconds: u64) -> SystemTime {
    t0() + Duration::from_secs(seconds)
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("test URL")
}

const APP_HTTP: &str = "http://app.lab.test:8080/login";
const APP_HTTPS: &str = "https://app.lab.test:8080/login";
const EVIL_HTTP: &str = "http://evil.lab.test:9090/lure";
const EVIL_HTTPS: &str = "https://evil.lab.test:9090/lure";

fn set(jar: &mut CookieJar, at: &str, header: &str) -> SetCookieOutcome {
    jar.set_cookie(&url(at), header, CookieSource::Http, t0())
}

fn rejected_for(outcome: &SetCookieOutcome) -> Option<&RejectReason> {
    match outcome {
        SetCookieOutcome::Rejected { reason, .. } => Some(reason),
        _ => None,
    }
}

fn stored(outcome: SetCookieOutcome) -> StoredCookie {
    match outcome {
        SetCookieOutcome::Stored(cookie) | SetCookieOutcome::Replaced(cookie) => cookie,
        other => panic!("expected a stored cookie, got {other:?}"),
    }
}

/// The Cookie header for a same-site (no initiator) top-level GET at `at`.
fn header_for(jar: &mut CookieJar, at: &str) -> Option<String> {
    header_with(jar, at, "GET", true, None, t0())
}

fn header_with(
    jar: &mut CookieJar,
    at: &str,
    method: &str,
    top_level: bool,
    initiator: Option<&str>,
    now: SystemTime,
) -> Option<String> {
    decisions_with(jar, at, method, top_level, initiator, now).0
}

fn decisions_with(
    jar: &mut CookieJar,
    at: &str,
    method: &str,
    top_level: bool,
    initiator: Option<&str>,
    now: SystemTime,
) -> (Option<String>, Vec<CookieDecision>) {
    let target = url(at);
    let initiator = initiator.map(url);
    let ctx = RequestContext {
        url: &target,
        method,
        top_level,
        initiator: initiator.as_ref(),
    };
    jar.cookies_for(&ctx, now)
}

fn withheld_reason(decisions: &[CookieDecision], name: &str) -> Option<WithholdReason> {
    decisions.iter().find_map(|decision| match decision {
        CookieDecision::Withheld { cookie, reason } if cookie.name == name => Some(reason.clone()),
        _ => None,
    })
}

// ---- rule 1: line-level checks ----

#[test]
fn rule1_accepts_a_plain_cookie() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(&mut jar, APP_HTTP, "sid=abc"));
    assert_eq!(
        (cookie.name.as_str(), cookie.value.as_str()),
        ("sid", "abc")
    );
    assert_eq!(header_for(&mut jar, APP_HTTP).as_deref(), Some("sid=abc"));
}

#[test]
fn rule1_rejects_control_characters() {
    let mut jar = CookieJar::new();
    for line in [
        "sid=a\u{1}b",
        "sid=ab; Path=/\u{7f}",
        "sid=a\rb",
        "sid=a\nSet-Cookie: x=y",
    ] {
        assert_eq!(
            rejected_for(&set(&mut jar, APP_HTTP, line)),
            Some(&RejectReason::ControlCharacter),
            "{line:?}"
        );
    }
    // A horizontal tab is the one control character allowed.
    assert!(rejected_for(&set(&mut jar, APP_HTTP, "sid=a\tb")).is_none());
}

#[test]
fn rule1_rejects_name_and_value_over_4096_bytes() {
    let mut jar = CookieJar::new();
    let just_fits = format!("n={}", "v".repeat(4095));
    assert!(rejected_for(&set(&mut jar, APP_HTTP, &just_fits)).is_none());
    let too_big = format!("n={}", "v".repeat(4096));
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, &too_big)),
        Some(&RejectReason::TooLarge)
    );
}

#[test]
fn rule1_rejects_empty_name_and_value() {
    let mut jar = CookieJar::new();
    for line in ["=", " = ; Path=/", ""] {
        assert_eq!(
            rejected_for(&set(&mut jar, APP_HTTP, line)),
            Some(&RejectReason::EmptyNameAndValue),
            "{line:?}"
        );
    }
    // A nameless cookie with a value is legal and is sent as the bare value.
    let cookie = stored(set(&mut jar, APP_HTTP, "=lonely"));
    assert_eq!(cookie.name, "");
    assert_eq!(header_for(&mut jar, APP_HTTP).as_deref(), Some("lonely"));
}

#[test]
fn rule1_attribute_names_are_case_insensitive_and_last_wins() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(
        &mut jar,
        APP_HTTPS,
        "sid=1; SECURE; httponly; pAtH=/a; path=/b; SAMESITE=strict; samesite=None",
    ));
    assert!(cookie.secure && cookie.http_only);
    assert_eq!(cookie.path, "/b");
    assert_eq!(
        (cookie.same_site, cookie.same_site_explicit),
        (SameSite::None, true)
    );
}

#[test]
fn rule1_garbage_never_panics() {
    let mut jar = CookieJar::new();
    for line in [
        ";;;",
        "; Path=/",
        "a=b; Max-Age=",
        "a=b; Max-Age=-",
        "a=b; Expires=never",
        "a=b; Domain=.",
        "é=ü; Domain=ü",
    ] {
        let _ = set(&mut jar, APP_HTTP, line);
    }
    let _ = jar.set_cookie(&url("data:text/plain,hi"), "a=b", CookieSource::Http, t0());
}

#[test]
fn rule1_no_panic_on_thousands_of_generated_lines() {
    const PIECES: &[&str] = &[
        "sid",
        "=",
        ";",
        " ",
        "Domain=",
        "lab.test",
        ".",
        "Path=",
        "/",
        "Max-Age=",
        "-",
        "0",
        "99999999999999999999",
        "Expires=",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Secure",
        "HttpOnly",
        "SameSite=",
        "None",
        "__Host-",
        "__Secure-",
        "é",
        "\t",
        "\"",
        ",",
        "127.0.0.1",
        "[::1]",
    ];
    let urls = [
        APP_HTTP,
        APP_HTTPS,
        "http://127.0.0.1:1/a/b",
        "https://[::1]:1/",
        "http://localhost/",
    ]
    .map(url);
    let mut jar = CookieJar::new();
    let mut seed: u64 = 42;
    let mut next = |bound: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        usize::try_from(seed >> 33).unwrap_or_default() % bound
    };
    for _ in 0..2000 {
        let line: String = (0..next(12)).map(|_| PIECES[next(PIECES.len())]).collect();
        let at = &urls[next(urls.len())];
        let source = if next(2) == 0 {
            CookieSource::Http
        } else {
            CookieSource::Script
        };
        let _ = jar.set_cookie(at, &line, source, t0());
        let initiator = &urls[next(urls.len())];
        let ctx = RequestContext {
            url: at,
            method: "POST",
            top_level: true,
            initiator: Some(initiator),
        };
        let _ = jar.cookies_for(&ctx, t0());
        let _ = jar.document_cookie(at, t0());
    }
}

// ---- rule 2: lifetime ----

#[test]
fn rule2_max_age_beats_expires() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(
        &mut jar,
        APP_HTTP,
        "sid=1; Max-Age=60; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
    ));
    assert_eq!(cookie.expires, Some(after(60)));
    // Order does not matter.
    let cookie = stored(set(
        &mut jar,
        APP_HTTP,
        "sid=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=60",
    ));
    assert_eq!(cookie.expires, Some(after(60)));
}

#[test]
fn rule2_expires_sets_the_lifetime() {
    let mut jar = CookieJar::new();
    // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
    let cookie = stored(set(
        &mut jar,
        APP_HTTP,
        "sid=1; Expires=Tue, 14 Nov 2023 22:14:20 GMT",
    ));
    assert_eq!(cookie.expires, Some(after(60)));
}

#[test]
fn rule2_lifetime_is_capped_at_400_days() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(&mut jar, APP_HTTP, "sid=1; Max-Age=999999999"));
    assert_eq!(cookie.expires, Some(t0() + MAX_LIFETIME));
}

#[test]
fn rule2_max_age_zero_or_negative_deletes() {
    let mut jar = CookieJar::new();
    for delete in [
        "sid=; Max-Age=0",
        "sid=x; Max-Age=-1",
        "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ] {
        stored(set(&mut jar, APP_HTTP, "sid=1"));
        assert_eq!(
            set(&mut jar, APP_HTTP, delete),
            SetCookieOutcome::Deleted { name: "sid".into() },
            "{delete}"
        );
        assert!(jar.get("sid").is_none(), "{delete}");
    }
}

#[test]
fn rule2_no_lifetime_means_session_cookie() {
    let mut jar = CookieJar::new();
    assert_eq!(stored(set(&mut jar, APP_HTTP, "sid=1")).expires, None);
}

#[test]
fn rule2_expired_cookies_are_dropped() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; Max-Age=60"));
    let (header, decisions) = decisions_with(&mut jar, APP_HTTP, "GET", true, None, after(61));
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::Expired)
    );
    assert!(jar.cookies().is_empty());
}

// ---- rule 3: Domain ----

#[test]
fn rule3_no_domain_is_host_only() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(&mut jar, "http://lab.test:1/", "sid=1"));
    assert!(cookie.host_only);
    assert_eq!(cookie.domain, "lab.test");
    let (header, decisions) =
        decisions_with(&mut jar, "http://app.lab.test:1/", "GET", true, None, t0());
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::DomainMismatch)
    );
}

#[test]
fn rule3_domain_leading_dot_is_stripped_and_lowercased() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(&mut jar, APP_HTTP, "sid=1; Domain=.LAB.Test"));
    assert_eq!(cookie.domain, "lab.test");
    assert!(!cookie.host_only);
}

#[test]
fn rule3_domain_cookie_reaches_sibling_hosts() {
    // Cookie tossing: evil.lab.test sets a cookie that app.lab.test will receive.
    let mut jar = CookieJar::new();
    stored(set(
        &mut jar,
        EVIL_HTTP,
        "sid=attacker; Domain=lab.test; Path=/",
    ));
    assert_eq!(
        header_for(&mut jar, APP_HTTP).as_deref(),
        Some("sid=attacker")
    );
}

#[test]
fn rule3_domain_must_domain_match_request_host() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, "sid=1; Domain=other.test")),
        Some(&RejectReason::DomainMismatch {
            domain: "other.test".into(),
            host: "app.lab.test".into()
        })
    );
    // A subdomain of the host is not a parent either.
    assert!(matches!(
        rejected_for(&set(&mut jar, APP_HTTP, "sid=1; Domain=x.app.lab.test")),
        Some(RejectReason::DomainMismatch { .. })
    ));
    // Suffix without a dot boundary does not match.
    assert!(matches!(
        rejected_for(&set(
            &mut jar,
            "http://evillab.test:1/",
            "sid=1; Domain=lab.test"
        )),
        Some(RejectReason::DomainMismatch { .. })
    ));
}

#[test]
fn rule3_never_a_domain_on_an_ip_host() {
    let mut jar = CookieJar::new();
    for domain in ["127.0.0.1", "0.0.1"] {
        let line = format!("sid=1; Domain={domain}");
        assert_eq!(
            rejected_for(&set(&mut jar, "http://127.0.0.1:1/", &line)),
            Some(&RejectReason::DomainOnIpHost)
        );
    }
    let cookie = stored(set(&mut jar, "http://127.0.0.1:1/", "sid=1"));
    assert!(cookie.host_only);
    assert_eq!(cookie.domain, "127.0.0.1");
    assert_eq!(
        header_for(&mut jar, "http://127.0.0.1:2/").as_deref(),
        Some("sid=1")
    );
    // An IP address never domain-matches a "parent": 1.2.3.4 is not under 3.4.
    assert!(!domain_matches("1.2.3.4", "3.4"));
}

#[test]
fn rule3_public_suffix_domain_is_rejected() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, "sid=1; Domain=test")),
        Some(&RejectReason::DomainIsPublicSuffix("test".into()))
    );
    assert_eq!(
        rejected_for(&set(
            &mut jar,
            "http://shop.example.co.uk:1/",
            "sid=1; Domain=co.uk"
        )),
        Some(&RejectReason::DomainIsPublicSuffix("co.uk".into()))
    );
    // lab.test is a registrable domain, not a suffix.
    assert!(rejected_for(&set(&mut jar, APP_HTTP, "sid=1; Domain=lab.test")).is_none());
}

#[test]
fn rule3_public_suffix_equal_to_host_becomes_host_only() {
    let mut jar = CookieJar::new();
    let cookie = stored(set(
        &mut jar,
        "http://localhost:1/",
        "sid=1; Domain=localhost",
    ));
    assert!(cookie.host_only);
    assert_eq!(cookie.domain, "localhost");
}

// ---- rule 4: Path ----

#[test]
fn rule4_default_path_is_the_request_directory() {
    let mut jar = CookieJar::new();
    assert_eq!(
        stored(set(
            &mut jar,
            "http://app.lab.test:1/account/settings",
            "a=1"
        ))
        .path,
        "/account"
    );
    assert_eq!(
        stored(set(&mut jar, "http://app.lab.test:1/login", "b=1")).path,
        "/"
    );
    assert_eq!(
        stored(set(&mut jar, "http://app.lab.test:1/", "c=1")).path,
        "/"
    );
    assert_eq!(
        stored(set(&mut jar, "http://app.lab.test:1/a/b/", "d=1")).path,
        "/a/b"
    );
    // A Path that does not start with / is ignored in favour of the default.
    assert_eq!(
        stored(set(&mut jar, "http://app.lab.test:1/a/b", "e=1; Path=x")).path,
        "/a"
    );
}

#[test]
fn rule4_path_match_needs_a_slash_boundary() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; Path=/app"));
    assert_eq!(
        header_for(&mut jar, "http://app.lab.test:8080/app").as_deref(),
        Some("sid=1")
    );
    assert_eq!(
        header_for(&mut jar, "http://app.lab.test:8080/app/x").as_deref(),
        Some("sid=1")
    );
    let (header, decisions) = decisions_with(
        &mut jar,
        "http://app.lab.test:8080/application",
        "GET",
        true,
        None,
        t0(),
    );
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::PathMismatch)
    );
    assert_eq!(header_for(&mut jar, "http://app.lab.test:8080/"), None);
    // A path ending in / matches everything under it.
    stored(set(&mut jar, APP_HTTP, "t=1; Path=/docs/"));
    assert_eq!(
        header_for(&mut jar, "http://app.lab.test:8080/docs/x").as_deref(),
        Some("t=1")
    );
}

// ---- rule 5: Secure ----

#[test]
fn rule5_secure_cookie_from_http_is_rejected() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, "sid=1; Secure")),
        Some(&RejectReason::SecureFromInsecureOrigin)
    );
    assert!(stored(set(&mut jar, APP_HTTPS, "sid=1; Secure")).secure);
}

#[test]
fn rule5_secure_cookie_is_sent_only_over_https() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTPS, "sid=1; Secure; Path=/"));
    assert_eq!(header_for(&mut jar, APP_HTTPS).as_deref(), Some("sid=1"));
    let (header, decisions) = decisions_with(&mut jar, APP_HTTP, "GET", true, None, t0());
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::SecureOverHttp)
    );
}

#[test]
fn rule5_http_cannot_overwrite_or_shadow_a_secure_cookie() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTPS, "sid=good; Secure; Path=/"));
    // Overwrite, shadow from a sibling via Domain, shadow with a deeper path: all refused.
    for line in [
        "sid=evil; Path=/",
        "sid=evil; Domain=lab.test; Path=/",
        "sid=evil; Path=/account",
    ] {
        assert_eq!(
            rejected_for(&set(&mut jar, APP_HTTP, line)),
            Some(&RejectReason::WouldOverwriteSecureCookie),
            "{line}"
        );
    }
    assert_eq!(
        rejected_for(&set(
            &mut jar,
            EVIL_HTTP,
            "sid=evil; Domain=lab.test; Path=/"
        )),
        Some(&RejectReason::WouldOverwriteSecureCookie)
    );
    assert_eq!(jar.get("sid").map(|c| c.value.as_str()), Some("good"));
    // Another name is fine; and https may overwrite.
    assert!(rejected_for(&set(&mut jar, APP_HTTP, "other=1; Path=/")).is_none());
    assert!(matches!(
        set(&mut jar, APP_HTTPS, "sid=new; Secure; Path=/"),
        SetCookieOutcome::Replaced(_)
    ));
}

// ---- rule 6: HttpOnly ----

#[test]
fn rule6_http_only_is_invisible_to_document_cookie() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=secret; HttpOnly; Path=/"));
    stored(set(&mut jar, APP_HTTP, "theme=dark; Path=/"));
    assert_eq!(jar.document_cookie(&url(APP_HTTP), t0()), "theme=dark");
    // ...but it is still sent to the server.
    assert_eq!(
        header_for(&mut jar, APP_HTTP).as_deref(),
        Some("sid=secret; theme=dark")
    );
}

#[test]
fn rule6_script_cannot_set_an_http_only_cookie() {
    let mut jar = CookieJar::new();
    let outcome = jar.set_cookie(
        &url(APP_HTTP),
        "sid=1; HttpOnly",
        CookieSource::Script,
        t0(),
    );
    assert_eq!(
        rejected_for(&outcome),
        Some(&RejectReason::HttpOnlyFromScript)
    );
    // A script may set an ordinary cookie.
    assert!(
        rejected_for(&jar.set_cookie(&url(APP_HTTP), "theme=dark", CookieSource::Script, t0()))
            .is_none()
    );
}

#[test]
fn rule6_script_cannot_overwrite_an_http_only_cookie() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=good; HttpOnly; Path=/"));
    for line in ["sid=evil; Path=/", "sid=; Path=/; Max-Age=0"] {
        let outcome = jar.set_cookie(&url(APP_HTTP), line, CookieSource::Script, t0());
        assert_eq!(
            rejected_for(&outcome),
            Some(&RejectReason::HttpOnlyFromScript),
            "{line}"
        );
    }
    assert_eq!(jar.get("sid").map(|c| c.value.as_str()), Some("good"));
}

#[test]
fn rule6_document_cookie_applies_path_secure_and_expiry() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTPS, "s=1; Secure; Path=/"));
    stored(set(&mut jar, APP_HTTP, "p=1; Path=/other"));
    stored(set(&mut jar, APP_HTTP, "e=1; Path=/; Max-Age=10"));
    assert_eq!(jar.document_cookie(&url(APP_HTTP), t0()), "e=1");
    assert_eq!(jar.document_cookie(&url(APP_HTTPS), after(11)), "s=1");
}

// ---- rule 7: SameSite ----

#[test]
fn rule7_missing_or_unknown_same_site_is_default_lax() {
    let mut jar = CookieJar::new();
    for line in [
        "a=1",
        "a=1; SameSite=bogus",
        "a=1; SameSite=Strict; SameSite=bogus",
        "a=1; SameSite=Lax; SameSite",
    ] {
        let cookie = stored(set(&mut jar, APP_HTTP, line));
        assert_eq!(
            (cookie.same_site, cookie.same_site_explicit),
            (SameSite::Lax, false),
            "{line}"
        );
    }
    let cookie = stored(set(&mut jar, APP_HTTP, "a=1; samesite=lax"));
    assert_eq!(
        (cookie.same_site, cookie.same_site_explicit),
        (SameSite::Lax, true)
    );
}

#[test]
fn rule7_same_site_none_requires_secure() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, "a=1; SameSite=None")),
        Some(&RejectReason::SameSiteNoneWithoutSecure)
    );
    assert_eq!(
        stored(set(&mut jar, APP_HTTPS, "a=1; SameSite=None; Secure")).same_site,
        SameSite::None
    );
}

#[test]
fn rule7_strict_is_never_sent_cross_site() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; SameSite=Strict; Path=/"));
    let (header, decisions) = decisions_with(
        &mut jar,
        APP_HTTP,
        "GET",
        true,
        Some("http://evil.example:1/"),
        t0(),
    );
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::SameSiteStrictCrossSite)
    );
    // Same-site (even another host of lab.test) and no initiator both count as same-site.
    assert!(header_with(&mut jar, APP_HTTP, "POST", false, Some(EVIL_HTTP), t0()).is_some());
    assert!(header_with(&mut jar, APP_HTTP, "POST", false, None, t0()).is_some());
}

#[test]
fn rule7_lax_is_sent_cross_site_only_on_top_level_get() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; SameSite=Lax; Path=/"));
    let evil = Some("http://evil.example:1/");
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "GET", true, evil, t0()).as_deref(),
        Some("sid=1")
    );
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "HEAD", true, evil, t0()).as_deref(),
        Some("sid=1")
    );
    let (header, decisions) = decisions_with(&mut jar, APP_HTTP, "POST", true, evil, t0());
    assert_eq!(header, None);
    assert_eq!(
        withheld_reason(&decisions, "sid"),
        Some(WithholdReason::SameSiteLaxCrossSite)
    );
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "GET", false, evil, t0()),
        None
    );
}

#[test]
fn rule7_none_is_sent_cross_site() {
    let mut jar = CookieJar::new();
    stored(set(
        &mut jar,
        APP_HTTPS,
        "sid=1; SameSite=None; Secure; Path=/",
    ));
    assert!(
        header_with(
            &mut jar,
            APP_HTTPS,
            "POST",
            false,
            Some("https://evil.example:1/"),
            t0()
        )
        .is_some()
    );
}

#[test]
fn rule7_lax_plus_post_two_minute_allowance() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; Path=/"));
    let evil = Some("http://evil.example:1/");
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "POST", true, evil, after(119)).as_deref(),
        Some("sid=1")
    );
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "POST", true, evil, after(120)),
        None
    );
    // Only for top-level navigations...
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "POST", false, evil, after(1)),
        None
    );
    // ...and only for cookies that are Lax by default, not an explicit SameSite=Lax.
    let mut explicit = CookieJar::new();
    stored(set(&mut explicit, APP_HTTP, "sid=1; Path=/; SameSite=Lax"));
    assert_eq!(
        header_with(&mut explicit, APP_HTTP, "POST", true, evil, after(1)),
        None
    );
}

#[test]
fn rule7_same_site_is_schemeful_and_uses_the_registrable_domain() {
    assert!(same_site(
        &url("http://app.lab.test:1/"),
        &url("http://evil.lab.test:2/")
    ));
    assert!(same_site(
        &url("http://app.lab.test/"),
        &url("http://lab.test/")
    ));
    assert!(!same_site(
        &url("http://app.lab.test/"),
        &url("https://app.lab.test/")
    ));
    assert!(!same_site(
        &url("http://app.lab.test/"),
        &url("http://app.other.test/")
    ));
    assert!(!same_site(
        &url("https://a.github.io/"),
        &url("https://b.github.io/")
    ));
    assert!(same_site(
        &url("http://127.0.0.1:1/"),
        &url("http://127.0.0.1:2/")
    ));
    assert!(!same_site(
        &url("http://127.0.0.1/"),
        &url("http://127.0.0.2/")
    ));
    assert!(!same_site(
        &url("data:text/plain,x"),
        &url("data:text/plain,x")
    ));
    // A cross-scheme initiator makes the request cross-site.
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=1; SameSite=Strict; Path=/"));
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "GET", true, Some(APP_HTTPS), t0()),
        None
    );
}

// ---- rule 8: prefixes ----

#[test]
fn rule8_secure_prefix_requires_secure() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTPS, "__Secure-sid=1")),
        Some(&RejectReason::SecurePrefixWithoutSecure)
    );
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTP, "__Secure-sid=1; Secure")),
        Some(&RejectReason::SecureFromInsecureOrigin)
    );
    assert!(
        stored(set(
            &mut jar,
            APP_HTTPS,
            "__Secure-sid=1; Secure; Domain=lab.test"
        ))
        .secure
    );
}

#[test]
fn rule8_host_prefix_requires_secure_no_domain_and_root_path() {
    let mut jar = CookieJar::new();
    let violation = |jar: &mut CookieJar, line: &str| match set(jar, APP_HTTPS, line) {
        SetCookieOutcome::Rejected {
            reason: RejectReason::HostPrefixViolation(sentence),
            ..
        } => sentence,
        other => panic!("{line}: expected a __Host- violation, got {other:?}"),
    };
    assert!(violation(&mut jar, "__Host-sid=1; Path=/").contains("Secure"));
    assert_eq!(
        violation(
            &mut jar,
            "__Host-sid=1; Secure; Path=/; Domain=app.lab.test"
        ),
        "the __Host- prefix forbids a Domain attribute"
    );
    assert!(violation(&mut jar, "__Host-sid=1; Secure; Path=/account").contains("Path=/"));
    // The default path "/" is not enough: the attribute must be there.
    assert!(violation(&mut jar, "__Host-sid=1; Secure").contains("Path=/"));
    let cookie = stored(set(&mut jar, APP_HTTPS, "__Host-sid=1; Secure; Path=/"));
    assert!(cookie.host_only && cookie.secure);
}

#[test]
fn rule8_prefixes_are_case_insensitive() {
    let mut jar = CookieJar::new();
    assert_eq!(
        rejected_for(&set(&mut jar, APP_HTTPS, "__SECURE-sid=1")),
        Some(&RejectReason::SecurePrefixWithoutSecure)
    );
    assert!(matches!(
        rejected_for(&set(
            &mut jar,
            APP_HTTPS,
            "__host-sid=1; Secure; Path=/; Domain=lab.test"
        )),
        Some(RejectReason::HostPrefixViolation(_))
    ));
}

#[test]
fn rule8_nameless_cookie_cannot_fake_a_prefix() {
    let mut jar = CookieJar::new();
    assert!(matches!(
        rejected_for(&set(
            &mut jar,
            EVIL_HTTPS,
            "=__Host-sid=evil; Domain=lab.test; Path=/"
        )),
        Some(RejectReason::HostPrefixViolation(_))
    ));
}

// ---- rule 9: replacement and order ----

#[test]
fn rule9_same_name_domain_host_only_and_path_replaces() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=old; Path=/"));
    let later = jar.set_cookie(
        &url(APP_HTTP),
        "sid=new; Path=/",
        CookieSource::Http,
        after(30),
    );
    let SetCookieOutcome::Replaced(cookie) = later else {
        panic!("expected Replaced, got {later:?}")
    };
    assert_eq!(cookie.value, "new");
    assert_eq!(
        cookie.created,
        after(30),
        "a new value is a new cookie (Chromium)"
    );
    assert_eq!(jar.cookies().len(), 1);
}

#[test]
fn rule9_the_same_value_again_keeps_the_creation_time() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=same; Path=/"));
    let again = jar.set_cookie(
        &url(APP_HTTP),
        "sid=same; Path=/; Max-Age=3600",
        CookieSource::Http,
        after(30),
    );
    let SetCookieOutcome::Replaced(cookie) = again else {
        panic!("expected Replaced, got {again:?}")
    };
    assert_eq!(cookie.created, t0(), "an unchanged value keeps its age");
}

#[test]
fn rule9_a_login_that_rotates_the_id_starts_a_fresh_lax_post_window() {
    let mut jar = CookieJar::new();
    // The anonymous session cookie, issued when the login page was opened...
    stored(set(&mut jar, APP_HTTP, "sid=anonymous; Path=/"));
    // ...and, 5 minutes later, the login's new ID under the same name.
    let rotated = jar.set_cookie(
        &url(APP_HTTP),
        "sid=signed-in; Path=/",
        CookieSource::Http,
        after(300),
    );
    let SetCookieOutcome::Replaced(cookie) = rotated else {
        panic!("expected Replaced, got {rotated:?}")
    };
    assert_eq!(cookie.created, after(300));
    // A cross-site top-level POST 30 s after the login: inside the new cookie's window
    // (with the anonymous cookie's age it would be 5.5 minutes, long outside).
    let evil = Some("http://evil.example:1/");
    assert_eq!(
        header_with(&mut jar, APP_HTTP, "POST", true, evil, after(330)).as_deref(),
        Some("sid=signed-in")
    );
}

#[test]
fn rule9_different_path_or_domain_is_another_cookie() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "sid=host; Path=/"));
    assert!(matches!(
        set(&mut jar, APP_HTTP, "sid=deep; Path=/account"),
        SetCookieOutcome::Stored(_)
    ));
    assert!(matches!(
        set(
            &mut jar,
            APP_HTTP,
            "sid=domain; Path=/; Domain=app.lab.test"
        ),
        SetCookieOutcome::Stored(_)
    ));
    assert_eq!(jar.cookies().len(), 3);
}

#[test]
fn rule9_longer_paths_first_then_older_cookies() {
    let mut jar = CookieJar::new();
    jar.set_cookie(&url(APP_HTTP), "b=1; Path=/", CookieSource::Http, after(2));
    jar.set_cookie(&url(APP_HTTP), "a=1; Path=/", CookieSource::Http, after(1));
    jar.set_cookie(
        &url(APP_HTTP),
        "deep=1; Path=/account",
        CookieSource::Http,
        after(3),
    );
    assert_eq!(
        header_with(
            &mut jar,
            "http://app.lab.test:8080/account/x",
            "GET",
            true,
            None,
            after(4)
        )
        .as_deref(),
        Some("deep=1; a=1; b=1")
    );
}

// ---- rule 10: no isolation by port or scheme ----

#[test]
fn rule10_cookies_ignore_port_and_scheme() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, "http://app.lab.test:8080/", "sid=1"));
    assert_eq!(
        header_for(&mut jar, "http://app.lab.test:9999/").as_deref(),
        Some("sid=1")
    );
    assert_eq!(
        header_for(&mut jar, "https://app.lab.test:8443/").as_deref(),
        Some("sid=1")
    );
}

// ---- helpers ----

#[test]
fn decisions_cover_only_cookies_for_this_host() {
    let mut jar = CookieJar::new();
    stored(set(&mut jar, APP_HTTP, "mine=1"));
    stored(set(&mut jar, "http://other.test:1/", "theirs=1"));
    let (_, decisions) = decisions_with(&mut jar, APP_HTTP, "GET", true, None, t0());
    assert_eq!(decisions.len(), 1);
    assert!(matches!(&decisions[0], CookieDecision::Sent(cookie) if cookie.name == "mine"));
}

#[test]
fn plant_stores_a_host_only_root_cookie_without_checks() {
    let mut jar = CookieJar::new();
    let outcome = jar.plant(&url(APP_HTTPS), "__Host-sid", "stolen", t0());
    let cookie = stored(outcome);
    assert!(cookie.host_only && cookie.secure && cookie.path == "/");
    assert_eq!(
        header_for(&mut jar, "https://app.lab.test:8080/account").as_deref(),
        Some("__Host-sid=stolen")
    );
    assert!(matches!(
        jar.plant(&url(APP_HTTPS), "__Host-sid", "again", t0()),
        SetCookieOutcome::Replaced(_)
    ));
    assert_eq!(
        jar.get("__Host-sid").map(|c| c.value.as_str()),
        Some("again")
    );
}

#[test]
fn reasons_read_as_sentences() {
    assert_eq!(
        RejectReason::HostPrefixViolation("the __Host- prefix forbids a Domain attribute".into())
            .to_string(),
        "the __Host- prefix forbids a Domain attribute"
    );
    assert!(
        WithholdReason::SecureOverHttp
            .to_string()
            .contains("plain http")
    );
    let outcome = SetCookieOutcome::Rejected {
        name: "sid".into(),
        reason: RejectReason::SameSiteNoneWithoutSecure,
    };
    assert_eq!(
        outcome.to_string(),
        "rejected sid: SameSite=None is only accepted together with the Secure attribute"
    );
}
