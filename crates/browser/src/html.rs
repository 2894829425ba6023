//! Small HTML helpers for pages the actors read: forms, elements by id, inline scripts.
//!
//! Pages are parsed with `scraper` (html5ever, the HTML5 parsing algorithm browsers use), so the
//! model sees the same tree a browser would: `&lt;script&gt;` in escaped output is text, not a
//! script element, and entities are decoded. The results are plain owned values, so no parsed
//! document is held across an `.await` (scraper's tree is not `Send`).
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// A form found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: Url,
    pub method: String,
    /// name -> value of every input/textarea with a name (hidden fields included).
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The value of the first field with this name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The forms of a page, with `action` resolved against `base`.
///
/// HTML's form-submission rules, trimmed: a missing or empty action means the page's own URL; a
/// method other than `post` (case-insensitive) means GET; the fields are the named controls in
/// document order that a browser would submit (see `field_of`). A form whose action cannot be
/// resolved to a URL cannot be submitted, so it is left out.
pub fn forms(html: &str, base: &Url) -> Vec<Form> {
    let document = Html::parse_document(html);
    let controls = selector("input, textarea, select");
    document
        .select(&selector("form"))
        .filter_map(|form| {
            let action = form_action(form, base)?;
            let method = form_method(form);
            let fields = form.select(&controls).filter_map(field_of).collect();
            Some(Form {
                action,
                method,
                fields,
            })
        })
        .collect()
}

/// A sign-in form as a person recognises one: the form with a password input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// The form as [`forms`] reads it (action resolved, hidden fields kept).
    pub form: Form,
    /// The name of its (first) `type=password` input.
    pub password_field: String,
    /// The name of the text-like input before the password (`text`, `email`,
    /// or no type), if there is one: where the username goes.
    pub username_field: Option<String>,
}

/// The first form of the page with a named password input, and its username
/// input: how `sessionlab target init` and a target file without field names
/// find the login form of an app the lab did not write.
pub fn login_form(html: &str, base: &Url) -> Option<LoginForm> {
    let document = Html::parse_document(html);
    let controls = selector("input, textarea, select");
    let inputs = selector("input");
    document.select(&selector("form")).find_map(|form| {
        let mut username = None;
        let mut password = None;
        for input in form.select(&inputs) {
            let element = input.value();
            let Some(name) = element.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            let kind = element.attr("type").unwrap_or("text").to_ascii_lowercase();
            match kind.as_str() {
                "password" => {
                    password = Some(name.to_string());
                    break;
                }
                "text" | "email" | "" if username.is_none() => username = Some(name.to_string()),
                _ => {}
            }
        }
        let password_field = password?;
        Some(LoginForm {
            form: Form {
                action: form_action(form, base)?,
                method: form_method(form),
                fields: form.select(&controls).filter_map(field_of).collect(),
            },
            password_field,
            username_field: username,
        })
    })
}

/// A link (`<a href>`) on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link's visible text, trimmed.
    pub text: String,
    /// `href` resolved against the page URL.
    pub href: Url,
}

/// Every `<a href>` of the page in document order, hrefs resolved against `base` (links whose
/// href does not resolve are skipped, as a browser cannot follow them).
pub fn links(html: &str, base: &Url) -> Vec<Link> {
    let document = Html::parse_document(html);
    document
        .select(&selector("a[href]"))
        .filter_map(|a| {
            let href = base.join(a.value().attr("href")?.trim()).ok()?;
            let text = a.text().collect::<String>().trim().to_string();
            Some(Link { text, href })
        })
        .collect()
}

/// The form's `action` resolved against the page URL; the page URL itself when absent or empty.
fn form_action(form: ElementRef<'_>, base: &Url) -> Option<Url> {
    match form.value().attr("action").map(str::trim) {
        None | Some("") => Some(base.clone()),
        Some(action) => base.join(action).ok(),
    }
}

/// `POST` for `method="post"` in any case; `GET` for anything else, HTML's default for missing and
/// invalid values.
fn form_method(form: ElementRef<'_>) -> String {
    match form.value().attr("method") {
        Some(method) if method.trim().eq_ignore_ascii_case("post") => "POST".to_string(),
        _ => "GET".to_string(),
    }
}

/// The (name, value) a control contributes to the form data set, if any (HTML "constructing the
/// entry list", trimmed to what the lab's pages use): controls need a name and must not be
/// disabled; unchecked checkboxes and radios, and reset / button / image / file inputs, send nothing.
fn field_of(control: ElementRef<'_>) -> Option<(String, String)> {
    let element = control.value();
    let name = element.attr("name").filter(|name| !name.is_empty())?;
    if element.attr("disabled").is_some() {
        return None;
    }
    let value = match element.name() {
        "textarea" => control.text().collect::<String>(),
        "select" => selected_option_value(control)?,
        _ => {
            let kind = element.attr("type").unwrap_or("text").to_ascii_lowercase();
            match kind.as_str() {
                "reset" | "button" | "image" | "file" => return None,
                "checkbox" | "radio" if element.attr("checked").is_none() => return None,
                "checkbox" | "radio" => element.attr("value").unwrap_or("on").to_string(),
                _ => element.attr("value").unwrap_or_default().to_string(),
            }
        }
    };
    Some((name.to_string(), value))
}

/// A `<select>`'s value: its selected option, else its first option; an option's value is its
/// `value` attribute, else its text with whitespace collapsed.
fn selected_option_value(select: ElementRef<'_>) -> Option<String> {
    let options: Vec<ElementRef<'_>> = select.select(&selector("option")).collect();
    let chosen = options
        .iter()
        .find(|option| option.value().attr("selected").is_some())
        .or_else(|| options.first())?;
    Some(match chosen.value().attr("value") {
        Some(value) => value.to_string(),
        None => chosen
            .text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// The text content of the element with this id, whitespace-trimmed.
///
/// Entities are decoded (`&amp;` is `&`), as a reader of the page sees the text. The first element
/// with the id wins, as `document.getElementById` does.
pub fn text_by_id(html: &str, id: &str) -> Option<String> {
    let document = Html::parse_document(html);
    document
        .select(&selector("[id]"))
        .find(|element| element.value().id() == Some(id))
        .map(|element| element.text().collect::<String>().trim().to_string())
}

/// The source text of every inline `<script>` element (as a browser's parser sees them).
///
/// Scripts with a `src` are external, not inline; scripts whose `type` is not JavaScript (for
/// example `application/ld+json` or `text/template`) are data that no browser runs.
pub fn inline_scripts(html: &str) -> Vec<String> {
    inline_scripts_in_place(html)
        .into_iter()
        .map(|script| script.source)
        .collect()
}

/// An inline script and where it stands in its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineScript {
    pub source: String,
    /// How many `<form>` elements come before it in the document. A classic inline script runs
    /// as the parser reaches it, so the forms after it do not exist yet: `document.forms` holds
    /// only these.
    pub forms_before: usize,
}

/// [`inline_scripts`] with where each stands: the forms that precede it.
pub fn inline_scripts_in_place(html: &str) -> Vec<InlineScript> {
    let document = Html::parse_document(html);
    let mut forms_before = 0;
    let mut scripts = Vec::new();
    // A selector list matches in document order.
    for element in document.select(&selector("form, script")) {
        if element.value().name() == "form" {
            forms_before += 1;
        } else if element.value().attr("src").is_none()
            && is_javascript_type(element.value().attr("type"))
        {
            scripts.push(InlineScript {
                source: element.text().collect(),
                forms_before,
            });
        }
    }
    scripts
}

/// HTML's "classic or module script" test: no type, an empty one, `module`, or a JavaScript MIME type.
fn is_javascript_type(kind: Option<&str>) -> bool {
    let Some(kind) = kind.map(|k| k.trim().to_ascii_lowercase()) else {
        return true;
    };
    kind.is_empty()
        || kind == "module"
        || kind.ends_with("/javascript")
        || kind.ends_with("/ecmascript")
        || kind.ends_with("/x-javascript")
}

/// A selector from a literal in this file; the literals are valid CSS, so parsing cannot fail.
fn selector(css: &'static str) -> Selector {
    Selector::parse(css).expect("the selector literals in html.rs are valid CSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://app.lab.test:4000/guestbook?page=2").expect("test URL")
    }

    const LOGIN: &str = r#"<html><body>
        <form action="/login" method="post">
          <input type="hidden" name="csrf" value="t0k&amp;en">
          <input name="username">
          <input type="password" name="password" value="">
          <input type="submit" value="Log in">
          <input type="submit" name="go" value="Go">
        </form>
        <form><textarea name="message">
hello &lt;b&gt;</textarea><select name="color"><option value="r">Red</option><option selected>  Dark
 blue </option></select>
          <input type="checkbox" name="remember">
          <input type="checkbox" name="agree" checked>
          <input name="off" disabled value="x">
          <button name="b">B</button>
        </form>
        <form action="https://evil.lab.test:5000/x?y=1" method="GeT"></form>
        <form action="   "></form>
    </body></html>"#;

    #[test]
    fn forms_resolve_action_and_method() {
        let found = forms(LOGIN, &base());
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].action.as_str(), "http://app.lab.test:4000/login");
        assert_eq!(found[0].method, "POST");
        assert_eq!(found[1].action, base(), "a missing action is the page URL");
        assert_eq!(found[1].method, "GET", "the default method is GET");
        assert_eq!(found[2].action.as_str(), "https://evil.lab.test:5000/x?y=1");
        assert_eq!(found[2].method, "GET");
        assert_eq!(found[3].action, base(), "an empty action is the page URL");
    }

    #[test]
    fn forms_collect_named_fields_in_order_with_decoded_values() {
        let found = forms(LOGIN, &base());
        let fields: Vec<(&str, &str)> = found[0]
            .fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("csrf", "t0k&en"),
                ("username", ""),
                ("password", ""),
                ("go", "Go")
            ]
        );
        assert_eq!(found[0].field("csrf"), Some("t0k&en"));
    }

    #[test]
    fn forms_handle_textarea_select_and_checkboxes() {
        let found = forms(LOGIN, &base());
        let fields: Vec<(&str, &str)> = found[1]
            .fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("message", "hello <b>"),
                ("color", "Dark blue"),
                ("agree", "on")
            ]
        );
    }

    #[test]
    fn text_by_id_trims_and_decodes() {
        let html = r#"<p id="private-note">
            Alice &amp; the <em>rabbit</em>
        </p><p id="private-note">second</p>"#;
        assert_eq!(
            text_by_id(html, "private-note").as_deref(),
            Some("Alice & the rabbit")
        );
        assert_eq!(text_by_id(html, "missing"), None);
        assert_eq!(
            text_by_id(html, "\"]"),
            None,
            "odd ids are compared, never turned into selectors"
        );
    }

    #[test]
    fn inline_scripts_are_real_script_elements_without_src() {
        let html = r#"<head><script src="/app.js"></script><script>one()</script></head>
            <body><p>&lt;script&gt;escaped()&lt;/script&gt;</p>
            <script type="application/ld+json">{"data": 1}</script>
            <script type="text/javascript">two(&amp;)</script>
            <script type="module">three()</script></body>"#;
        assert_eq!(inline_scripts(html), ["one()", "two(&amp;)", "three()"]);
    }

    #[test]
    fn malformed_html_never_panics() {
        for html in [
            "",
            "<form",
            "<<<>>>",
            "<script>",
            "<select name=s></select>",
            "<form action='http://[::1'><input name=a></form>",
        ] {
            let _ = forms(html, &base());
            let _ = text_by_id(html, "x");
            let _ = inline_scripts(html);
        }
        assert!(forms("<form action='http://[::1'></form>", &base()).is_empty());
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_page_and_keep_their_text() {
        let base = Url::parse("http://app.lab.test:1/guestbook?sid=X").unwrap();
        let page = r#"<a href="/account?sid=X"> Account </a><a>no href</a><a href="http://evil.lab.test/d">deal</a>"#;
        let found = links(page, &base);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].text, "Account");
        assert_eq!(
            found[0].href.as_str(),
            "http://app.lab.test:1/account?sid=X"
        );
        assert_eq!(found[1].href.as_str(), "http://evil.lab.test/d");
    }

    #[test]
    fn a_script_sees_only_the_forms_before_it() {
        let page = "<script>a()</script><form action=/x></form><script>b()</script>\
                    <form action=/y></form><script type=application/ld+json>{}</script>";
        let scripts = inline_scripts_in_place(page);
        assert_eq!(
            scripts,
            [
                InlineScript {
                    source: "a()".into(),
                    forms_before: 0
                },
                InlineScript {
                    source: "b()".into(),
                    forms_before: 1
                },
            ]
        );
    }
}

#[cfg(test)]
mod login_form_tests {
    use super::*;

    #[test]
    fn the_form_with_a_password_input_is_the_login_form() {
        let base = Url::parse("http://app.lab.test:3000/login").unwrap();
        let page = r#"<form action="/search"><input name="q"></form>
            <form method="post" action="/session"><input type="hidden" name="csrf" value="t">
            <input type="email" name="user_email"><input type="password" name="pw"></form>"#;
        let found = login_form(page, &base).expect("a login form");
        assert_eq!(found.password_field, "pw");
        assert_eq!(found.username_field.as_deref(), Some("user_email"));
        assert_eq!(found.form.action.path(), "/session");
        assert_eq!(found.form.method, "POST");
        assert_eq!(found.form.field("csrf"), Some("t"));
        assert_eq!(login_form("<form><input name=q></form>", &base), None);
    }
}
