//! What a scenario run produces: an outcome, the decisive evidence, and the steps.

use serde::Serialize;
use sessionlab_browser::{CookieDecision, Exchange, SetCookieOutcome};

/// The verdict of one scenario against one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The attacker read the victim's private note.
    Compromised,
    /// The attack stopped at a step; the evidence says where and why.
    Blocked,
    /// The run could not complete (target unreachable, login failed, ...).
    Error,
    /// The scenario does not apply to this target (an app the lab did not
    /// write lacks the page it needs, or the target file does not name it,
    /// or the run found its cookies hold nothing the attack works on); the
    /// evidence says why. Never a verdict on the app's defenses.
    #[serde(rename = "not-applicable")]
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compromised => "compromised",
            Self::Blocked => "blocked",
            Self::Error => "error",
            Self::NotApplicable => "not-applicable",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    Victim,
    Attacker,
    /// The on-path observer of the sniffing scenario.
    Observer,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Victim => "victim",
            Self::Attacker => "attacker",
            Self::Observer => "observer",
        }
    }
}

/// One step of a run: who did what, what they observed, and the HTTP their
/// browsers exchanged with any server since their previous step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub actor: Actor,
    pub action: String,
    pub observed: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<HttpExchange>,
}

/// The request headers a session lesson is about (the others, e.g. User-Agent, are noise here).
pub const REQUEST_HEADERS_SHOWN: &[&str] = &["cookie", "referer", "origin", "sec-fetch-site"];

/// The response headers a session lesson is about.
pub const RESPONSE_HEADERS_SHOWN: &[&str] = &[
    "location",
    "set-cookie",
    "referrer-policy",
    "content-security-policy",
    "strict-transport-security",
    "clear-site-data",
];

/// How much of a response body a transcript keeps.
pub const BODY_EXCERPT_CHARS: usize = 300;

/// How much of the text before a proof an excerpt around it keeps.
const CONTEXT_BEFORE_PROOF_CHARS: usize = 120;

/// One request and its response as an actor's browser made it, cut to what a
/// lesson shows: the headers that matter, a short body, and what the cookie
/// jar did on the way out and on the way back.
#[derive(Debug, Clone, Serialize)]
pub struct HttpExchange {
    /// The browser that made it: "victim", "victim-phone", "attacker", ...
    pub browser: String,
    pub method: String,
    pub url: String,
    /// The `http://` URL that HSTS rewrote into `url` before the request left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgraded_from: Option<String>,
    /// The [`REQUEST_HEADERS_SHOWN`] the request carried; JSON: `"Name: value"` lines.
    #[serde(serialize_with = "header_lines")]
    pub request_headers: Vec<(String, String)>,
    pub status: u16,
    /// The [`RESPONSE_HEADERS_SHOWN`] of the response; JSON: `"Name: value"` lines.
    #[serde(serialize_with = "header_lines")]
    pub response_headers: Vec<(String, String)>,
    pub body: BodyExcerpt,
    /// The jar's decision for each stored cookie that could have gone with the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cookies_out: Vec<CookieNote>,
    /// What the jar did with each `Set-Cookie` of the response.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cookies_in: Vec<CookieNote>,
}

impl HttpExchange {
    pub fn new(browser: &str, exchange: &Exchange) -> Self {
        Self {
            browser: browser.to_string(),
            method: exchange.method.clone(),
            url: exchange.url.to_string(),
            upgraded_from: exchange.upgraded_from.as_ref().map(ToString::to_string),
            request_headers: headers_shown(&exchange.request_headers, REQUEST_HEADERS_SHOWN),
            status: exchange.status,
            response_headers: headers_shown(&exchange.response_headers, RESPONSE_HEADERS_SHOWN),
            body: BodyExcerpt::of(&exchange.body, is_html(exchange)),
            cookies_out: exchange
                .cookie_decisions
                .iter()
                .map(CookieNote::from_decision)
                .collect(),
            cookies_in: exchange
                .set_cookie_outcomes
                .iter()
                .map(CookieNote::from_outcome)
                .collect(),
        }
    }

    /// `GET http://app.lab.test:41234/account`
    pub fn request_line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// First kept request header with this (case-insensitive) name.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        first_header(&self.request_headers, name)
    }

    /// First kept response header with this (case-insensitive) name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        first_header(&self.response_headers, name)
    }
}

/// Headers as they read on the wire, one string each: shorter JSON than pairs.
fn header_lines<S: serde::Serializer>(
    headers: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(
        headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}")),
    )
}

fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The headers named in `shown`, in wire order, with their names as a browser's
/// developer tools print them (`Set-Cookie`, not `set-cookie`).
fn headers_shown(headers: &[(String, String)], shown: &[&str]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| shown.iter().any(|s| name.eq_ignore_ascii_case(s)))
        .map(|(name, value)| (title_case(name), value.clone()))
        .collect()
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn is_html(exchange: &Exchange) -> bool {
    exchange
        .response_header("content-type")
        .is_some_and(|kind| kind.to_ascii_lowercase().contains("text/html"))
}

/// A response body, abbreviated: its length and a window of its text with
/// whitespace collapsed. An HTML page shows its `<main>`, past the head and
/// the profile banner every page repeats. The window is the start of the
/// text, or, for the exchange a proof was read from, the text around the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyExcerpt {
    /// The whole body's length in bytes.
    pub length: usize,
    pub excerpt: String,
    /// Whether `excerpt` is the page's `<main>` element rather than the start of the body.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_main: bool,
    /// How many characters of the collapsed text come before `excerpt` (0: it starts at the start).
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    /// Whether `excerpt` stops before the end of what it shows.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl BodyExcerpt {
    /// The start of the body.
    pub fn of(body: &str, html: bool) -> Self {
        Self::window(body, html, |_| 0)
    }

    /// The window of the body that holds `value` (the start, if it is there
    /// already); `None` when the body's collapsed text does not contain it.
    pub fn around(body: &str, html: bool, value: &str) -> Option<Self> {
        let excerpt = Self::window(body, html, |text| {
            let at = text[..text.find(value).unwrap_or(0)].chars().count();
            let end = at + value.chars().count();
            if end <= BODY_EXCERPT_CHARS {
                0
            } else {
                at.saturating_sub(CONTEXT_BEFORE_PROOF_CHARS)
            }
        });
        excerpt.excerpt.contains(value).then_some(excerpt)
    }

    /// `BODY_EXCERPT_CHARS` characters of the collapsed text, from the character `start` picks.
    fn window(body: &str, html: bool, start: impl Fn(&str) -> usize) -> Self {
        let main = html
            .then(|| {
                let start = body.find("<main>")? + "<main>".len();
                let end = body[start..]
                    .find("</main>")
                    .map_or(body.len(), |e| start + e);
                Some(&body[start..end])
            })
            .flatten();
        let collapsed = main
            .unwrap_or(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let skipped = start(&collapsed);
        let total = collapsed.chars().count();
        Self {
            length: body.len(),
            excerpt: collapsed
                .chars()
                .skip(skipped)
                .take(BODY_EXCERPT_CHARS)
                .collect(),
            from_main: main.is_some(),
            skipped,
            truncated: total > skipped + BODY_EXCERPT_CHARS,
        }
    }
}

/// What the browser's cookie jar did with one cookie on one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CookieNote {
    pub cookie: String,
    pub action: CookieAction,
    /// Why, for a withheld or rejected cookie: the jar's own sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Outgoing: sent or withheld; incoming: stored, replaced, deleted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieAction {
    Sent,
    Withheld,
    Stored,
    Replaced,
    Deleted,
    Rejected,
}

impl CookieAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Withheld => "withheld",
            Self::Stored => "stored",
            Self::Replaced => "replaced",
            Self::Deleted => "deleted",
            Self::Rejected => "rejected",
        }
    }
}

impl CookieNote {
    pub fn from_decision(decision: &CookieDecision) -> Self {
        match decision {
            CookieDecision::Sent(cookie) => Self {
                cookie: cookie.name.clone(),
                action: CookieAction::Sent,
                reason: None,
            },
            CookieDecision::Withheld { cookie, reason } => Self {
                cookie: cookie.name.clone(),
                action: CookieAction::Withheld,
                reason: Some(reason.to_string()),
            },
        }
    }

    pub fn from_outcome(outcome: &SetCookieOutcome) -> Self {
        let (cookie, action, reason) = match outcome {
            SetCookieOutcome::Stored(cookie) => (cookie.name.clone(), CookieAction::Stored, None),
            SetCookieOutcome::Replaced(cookie) => {
                (cookie.name.clone(), CookieAction::Replaced, None)
            }
            SetCookieOutcome::Deleted { name } => (name.clone(), CookieAction::Deleted, None),
            SetCookieOutcome::Rejected { name, reason } => (
                name.clone(),
                CookieAction::Rejected,
                Some(reason.to_string()),
            ),
        };
        Self {
            cookie,
            action,
            reason,
        }
    }
}

/// `sent sid`, `withheld sid: <why>`, as the jar's own `Display` says it.
impl std::fmt::Display for CookieNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.action.as_str(), self.cookie)?;
        match &self.reason {
            Some(reason) => write!(f, ": {reason}"),
            None => Ok(()),
        }
    }
}

/// Where one exchange sits in a run's transcript: `steps[step].exchanges[exchange]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExchangeRef {
    pub step: usize,
    pub exchange: usize,
}

/// What a proof of compromise is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProofKind {
    /// The attacker's own response showed the victim's private note, which
    /// is random at every start of the app and shown only to her.
    VictimNote,
    /// The victim's own account page showed the change a forged request
    /// made (the attacker's e-mail address, random per run).
    ForgedChange,
    /// Against an app the lab did not write (a target file): the attacker's
    /// own response on the file's proof page contained its `victim_marker`,
    /// which in the same run showed on the victim's signed-in page and on
    /// neither an anonymous visitor's nor the attacker's own signed-in page.
    VictimMarker,
}

/// The evidence a compromise stands on: what only the victim could see or do,
/// and where in the transcript it showed. Made only by the two
/// [`Verdict`] constructors that produce `compromised`, each of which finds
/// `value` in the recorded response before it makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proof {
    pub kind: ProofKind,
    /// The private note, or the attacker's change, as the response carried it.
    pub value: String,
    /// The step whose exchange showed it (0-based, into `steps`).
    pub step: usize,
    /// The exchange that showed it (0-based, into that step's `exchanges`);
    /// its body excerpt contains `value`.
    pub exchange: usize,
    /// For a forged change: the forged request that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forged_request: Option<ExchangeRef>,
}

impl Proof {
    /// Where the proof showed.
    pub fn at(&self) -> ExchangeRef {
        ExchangeRef {
            step: self.step,
            exchange: self.exchange,
        }
    }
}

/// The result of one scenario against one target.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub scenario: String,
    /// The target's label, with its toggles: `hardened -csp`.
    pub profile: String,
    /// The built-in profile the target started from: `insecure`, `tutorial`, `hardened`
    /// (empty when the run never reached the target).
    pub base_profile: String,
    pub outcome: Outcome,
    /// The step where the attack succeeded or stopped, and what was observed there.
    pub evidence: String,
    /// The step that decided the run (0-based, into `steps`); `None` when the
    /// run stopped before any step.
    pub decided_at: Option<usize>,
    /// What the compromise stands on; `None` unless `outcome` is `compromised`.
    pub proof: Option<Proof>,
    pub steps: Vec<Step>,
    pub duration_ms: u64,
}

impl RunResult {
    /// The exchange a reference points at, if the transcript has it.
    pub fn exchange(&self, at: ExchangeRef) -> Option<&HttpExchange> {
        self.steps.get(at.step)?.exchanges.get(at.exchange)
    }
}

/// How a scenario function ends when nothing went wrong. Its fields are
/// private: `blocked` says where the attack broke, and `compromised` comes
/// only from [`crate::lab::RunContext::victim_note_shown`] and
/// [`crate::lab::RunContext::forged_change_shown`], which find the proof in
/// the recorded traffic first.
#[derive(Debug, Clone)]
pub struct Verdict {
    outcome: Outcome,
    evidence: String,
    decided_at: usize,
    proof: Option<Proof>,
}

impl Verdict {
    /// The same verdict, its evidence followed by `also` (a finding beside the
    /// verdict, e.g. a second payload's outcome; it never changes the outcome).
    pub fn also(mut self, also: &str) -> Self {
        self.evidence = format!("{}; {also}", self.evidence);
        self
    }

    /// The attack stopped; `decided_at` is the step where it broke.
    pub fn blocked(evidence: impl Into<String>, decided_at: usize) -> Self {
        Self {
            outcome: Outcome::Blocked,
            evidence: evidence.into(),
            decided_at,
            proof: None,
        }
    }

    /// The run found, at `decided_at`, that an app the lab did not write
    /// offers nothing this attack works on (no JWT among the attacker's own
    /// cookies): neither compromised nor blocked. The lab's own app is always
    /// judged; use [`Verdict::blocked`] there.
    pub fn not_applicable(evidence: impl Into<String>, decided_at: usize) -> Self {
        Self {
            outcome: Outcome::NotApplicable,
            evidence: evidence.into(),
            decided_at,
            proof: None,
        }
    }

    /// Only the proof constructors in `lab.rs` call this.
    pub(crate) fn compromised(evidence: String, proof: Proof) -> Self {
        Self {
            outcome: Outcome::Compromised,
            evidence,
            decided_at: proof.step,
            proof: Some(proof),
        }
    }

    /// A blocked verdict decided at `step` instead: where the attack had
    /// already broken, so that the final replay only confirms it (the victim
    /// never took the attacker's ID, the session had already ended). A
    /// compromise stays decided where its proof showed.
    pub fn or_broke_at(mut self, step: usize) -> Self {
        if self.outcome == Outcome::Blocked {
            self.decided_at = step;
        }
        self
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    pub fn evidence(&self) -> &str {
        &self.evidence
    }

    pub fn decided_at(&self) -> usize {
        self.decided_at
    }

    pub fn proof(&self) -> Option<&Proof> {
        self.proof.as_ref()
    }

    pub(crate) fn into_parts(self) -> (Outcome, String, usize, Option<Proof>) {
        (self.outcome, self.evidence, self.decided_at, self.proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_start_at_main_and_stay_short() {
        let page = format!(
            "<html><head><title>x</title></head><body><header>banner</header><main>\n  <h1>Your account</h1>\n  <p id=\"private-note\">n</p>{}</main></body></html>",
            "x".repeat(1000)
        );
        let excerpt = BodyExcerpt::of(&page, true);
        assert!(excerpt.excerpt.starts_with("<h1>Your account</h1> <p id="));
        assert_eq!(excerpt.excerpt.chars().count(), BODY_EXCERPT_CHARS);
        assert_eq!(excerpt.length, page.len());
        assert!(excerpt.from_main && excerpt.truncated);

        let plain = BodyExcerpt::of("403 CSRF token missing or wrong\n", false);
        assert_eq!(plain.excerpt, "403 CSRF token missing or wrong");
        assert!(!plain.truncated && !plain.from_main);
    }

    #[test]
    fn an_excerpt_around_a_proof_contains_it() {
        let note = "private note of alice #0123456789abcdef";
        let page = format!(
            "<html><body><main><h1>Your account</h1>{}<p id=\"private-note\">{note}</p></main></body></html>",
            "<p>filler</p>".repeat(100)
        );
        assert!(!BodyExcerpt::of(&page, true).excerpt.contains(note));
        let around = BodyExcerpt::around(&page, true, note).expect("the note is there");
        assert!(around.excerpt.contains(note), "{around:?}");
        assert!(around.skipped > 0 && around.from_main);
        // Near the start, the window is the start.
        let short = "<main><p id=\"private-note\">n1</p></main>";
        assert_eq!(BodyExcerpt::around(short, true, "n1").unwrap().skipped, 0);
        assert_eq!(BodyExcerpt::around(short, true, "absent"), None);
    }

    #[test]
    fn header_names_read_as_in_developer_tools() {
        assert_eq!(title_case("set-cookie"), "Set-Cookie");
        assert_eq!(title_case("sec-fetch-site"), "Sec-Fetch-Site");
    }
}
