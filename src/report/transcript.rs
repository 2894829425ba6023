//! The one renderer of a run's steps and their HTTP, for the lesson at a
//! terminal and for the reports' pages.
//!
//! Everything shown is what the run recorded (`sessionlab_attack::outcome`):
//! the request line, the headers that matter, the status, a body excerpt and
//! what the cookie jar did each way. Nothing is re-created for display.

use colored::{ColoredString, Colorize};
use sessionlab_attack::outcome::{CookieAction, CookieNote, HttpExchange};
use sessionlab_attack::{Actor, Step};

/// Where a transcript is read, which decides how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// The lesson at a terminal: colour as `main` set it, lines wrapped to the
    /// terminal, a long run of exchanges and long bodies cut.
    Terminal,
    /// A report's page (HTML): plain text the page escapes and folds away,
    /// every exchange, every body excerpt whole.
    Page,
    /// The lesson `--brief`: as at a terminal, with a shorter body excerpt
    /// and without the jar's "sent" notes, which the `Cookie` line already shows.
    Brief,
}

/// How many exchanges of one step a terminal shows before it summarises the rest.
const EXCHANGES_SHOWN: usize = 8;
/// How much of a body excerpt a terminal shows.
const BODY_SHOWN: usize = 240;
/// How much of a body excerpt `--brief` shows: about one line.
const BODY_SHOWN_BRIEF: usize = 60;

/// `victim: logged in. the account page`: a step in one line, as the
/// reports' step lists and the lesson's hardened run show it.
pub fn step_line(step: &Step) -> String {
    format!("{}: {}", actor_label(step.actor), step_text(step))
}

/// `logged in. the account page`: what a step did and saw, for a page that
/// sets the actor's label apart (emphasised in Markdown and HTML).
pub fn step_text(step: &Step) -> String {
    format!("{}. {}", step.action, sentence_start(&step.observed))
}

/// `the app answered` → `The app answered`: the second of two joined
/// sentences starts with a capital. A first word that is not plain
/// lowercase letters (`sid=…`, `/account`, `Set-Cookie:`) stays as it is.
fn sentence_start(text: &str) -> String {
    let first_word = text.split([' ', ',', ';', ':']).next().unwrap_or_default();
    if first_word.is_empty()
        || !first_word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '\'')
    {
        return text.to_string();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// One step in full: who did what, what they saw, and the HTTP behind it,
/// with an optional remark after the heading ("where the attack broke").
/// With `brief`, each login (the login page, the form's POST and its
/// redirects) is one line with the cookie that resulted.
pub fn step(
    number: usize,
    total: usize,
    step: &Step,
    remark: Option<ColoredString>,
    brief: bool,
) -> String {
    let remark = remark.map(|r| format!(" ({r})")).unwrap_or_default();
    let mut out = format!(
        "{} {}{remark}\n",
        format!("Step {number} of {total} ·").dimmed(),
        actor_colour(step.actor, actor_name(step.actor))
    );
    out.push_str(&crate::report::hanging("  action    ", &step.action));
    out.push('\n');
    out.push_str(&crate::report::hanging("  observed  ", &step.observed));
    out.push('\n');
    if brief {
        out.push_str(&brief_exchanges(&step.exchanges));
    } else {
        out.push_str(&exchanges(&step.exchanges, Medium::Terminal));
    }
    out
}

/// A step's exchanges at a terminal with each login collapsed to one line.
fn brief_exchanges(all: &[HttpExchange]) -> String {
    if all.is_empty() {
        return exchanges(all, Medium::Terminal);
    }
    let several_browsers = all.iter().any(|x| x.browser != all[0].browser);
    let mut out = String::new();
    let mut rest: Vec<HttpExchange> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        match login_run(all, i) {
            Some(end) => {
                if !rest.is_empty() {
                    out.push_str(&exchanges(&std::mem::take(&mut rest), Medium::Brief));
                }
                out.push_str(&login_line(&all[i..end], several_browsers));
                i = end;
            }
            None => {
                rest.push(all[i].clone());
                i += 1;
            }
        }
    }
    if !rest.is_empty() {
        out.push_str(&exchanges(&rest, Medium::Brief));
    }
    out
}

/// The end (exclusive) of the login that starts at `start`: requests for
/// `/login` up to its form's POST, then the redirects that follow it, all
/// by one browser. None when no POST to `/login` is among them.
fn login_run(all: &[HttpExchange], start: usize) -> Option<usize> {
    if path_of(&all[start].url) != "/login" {
        return None;
    }
    let browser = &all[start].browser;
    let mut posted = false;
    let mut end = start;
    while let Some(x) = all.get(end).filter(|x| &x.browser == browser) {
        let login_page = !posted && path_of(&x.url) == "/login";
        let redirected = end > start && (300..400).contains(&all[end - 1].status);
        if !(login_page || redirected) {
            break;
        }
        posted |= x.method == "POST";
        end += 1;
    }
    posted.then_some(end)
}

/// `/login` from `http://app.lab.test:1234/login?next=%2F`.
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// `⇢ login: GET /login 200 · POST /login 303 · GET /account 200; cookie sid stored`
fn login_line(run: &[HttpExchange], show_browser: bool) -> String {
    let hops: Vec<String> = run
        .iter()
        .map(|x| format!("{} {} {}", x.method, path_of(&x.url), x.status))
        .collect();
    // The cookie the login left: the last one the jar took, with its value
    // from the response that set it.
    let cookie = run
        .iter()
        .rev()
        .find_map(|x| {
            let note = x.cookies_in.iter().rfind(|note| {
                matches!(note.action, CookieAction::Stored | CookieAction::Replaced)
            })?;
            let pair = x
                .response_headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
                .filter_map(|(_, value)| value.split(';').next())
                .rfind(|pair| pair.split('=').next() == Some(note.cookie.as_str()))
                .unwrap_or(&note.cookie);
            Some(format!("{pair} ({})", note.action.as_str()))
        })
        .unwrap_or_else(|| "no new cookie".to_string());
    let who = if show_browser {
        format!(" [{}]", run[0].browser)
    } else {
        String::new()
    };
    let lead = format!("\n  {} ", "⇢ login".bold());
    format!(
        "{}\n",
        crate::report::hanging(
            &lead,
            &format!("{}{who}; cookie {cookie}", hops.join(" · "))
        )
    )
}

/// A step's exchanges; at a terminal a long run of them (a guessing loop) is
/// cut in the middle. The browser is named only when several took part.
pub fn exchanges(exchanges: &[HttpExchange], medium: Medium) -> String {
    if exchanges.is_empty() {
        return format!("  {}\n", paint(medium, "(no HTTP in this step)".dimmed()));
    }
    let several_browsers = exchanges.iter().any(|x| x.browser != exchanges[0].browser);
    let each = |shown: &[HttpExchange]| -> String {
        let mut seen: Vec<(String, String)> = Vec::new();
        shown
            .iter()
            .map(|x| exchange_after(x, several_browsers, medium, &mut seen))
            .collect()
    };
    if medium == Medium::Page || exchanges.len() <= EXCHANGES_SHOWN {
        return each(exchanges);
    }
    let head = EXCHANGES_SHOWN / 2;
    let tail = exchanges.len() - (EXCHANGES_SHOWN - head);
    let cut = format!(
        "… {} more exchanges like these (all of them: sessionlab demo --scenario ID --format json)",
        exchanges.len() - EXCHANGES_SHOWN
    );
    format!(
        "{}\n  {}\n{}",
        each(&exchanges[..head]),
        cut.dimmed(),
        each(&exchanges[tail..])
    )
}

/// One request and its response: the headers that matter highlighted, the
/// body excerpt, and what the cookie jar did each way.
pub fn exchange(exchange: &HttpExchange, show_browser: bool, medium: Medium) -> String {
    exchange_after(exchange, show_browser, medium, &mut Vec::new())
}

/// The first cookie name a `Cookie` header carries more than once, as in
/// cookie tossing's `sid=X; sid=X`.
fn repeated_cookie(header: &str) -> Option<&str> {
    let names: Vec<&str> = header
        .split(';')
        .filter_map(|pair| pair.trim().split('=').next())
        .collect();
    names
        .iter()
        .enumerate()
        .find(|(i, name)| names[..*i].contains(name))
        .map(|(_, name)| *name)
}

/// A cookie value longer than this is cut in `--brief` (a JWT runs to 150
/// characters and would push a step off the screen).
const COOKIE_VALUE_SHOWN_BRIEF: usize = 24;

/// `sid=…; token=eyJhbGciOiJIUzI1NiIsInR5…`: a `Cookie` header with each long
/// value cut, for `--brief`.
fn long_values_cut(header: &str) -> String {
    header
        .split("; ")
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if value.chars().count() > COOKIE_VALUE_SHOWN_BRIEF => {
                let kept: String = value.chars().take(COOKIE_VALUE_SHOWN_BRIEF).collect();
                format!("{name}={kept}…")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The response headers every page of a profile repeats: `--brief` shows
/// each value once per step.
const REPEATED_HEADERS: &[&str] = &[
    "content-security-policy",
    "strict-transport-security",
    "referrer-policy",
];

/// [`exchange`], after the exchanges whose repeated headers are in `seen`.
fn exchange_after(
    exchange: &HttpExchange,
    show_browser: bool,
    medium: Medium,
    seen: &mut Vec<(String, String)>,
) -> String {
    let mut out = String::from("\n");
    let browser = if show_browser {
        paint(medium, format!("  [{}]", exchange.browser).dimmed())
    } else {
        String::new()
    };
    out.push_str(&format!(
        "  {} {}{browser}\n",
        paint(medium, "→".bold()),
        paint(medium, exchange.request_line().bold())
    ));
    if let Some(from) = &exchange.upgraded_from {
        let note = format!("(HSTS rewrote {from} before it left the browser)");
        out.push_str(&format!("      {}\n", paint(medium, note.green())));
    }
    for (name, value) in &exchange.request_headers {
        if medium == Medium::Brief && name.eq_ignore_ascii_case("cookie") {
            out.push_str(&header_line(name, &long_values_cut(value), medium));
        } else {
            out.push_str(&header_line(name, value, medium));
        }
        if name.eq_ignore_ascii_case("cookie")
            && let Some(twice) = repeated_cookie(value)
        {
            let note = format!(
                "({twice} twice: two cookies of that name, for different domains or paths; \
                 a Cookie header says only name=value, never whose)"
            );
            out.push_str(&format!("{}\n", wrap(medium, "        ", &note)));
        }
    }
    for note in &exchange.cookies_out {
        if medium == Medium::Brief && note.action == CookieAction::Sent && note.reason.is_none() {
            continue;
        }
        out.push_str(&cookie_line(note, medium));
    }
    out.push_str(&format!(
        "  {} {}\n",
        paint(medium, "←".bold()),
        paint(medium, status_word(exchange.status))
    ));
    for (name, value) in &exchange.response_headers {
        let key = (name.to_ascii_lowercase(), value.clone());
        if medium == Medium::Brief && REPEATED_HEADERS.contains(&key.0.as_str()) {
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
        }
        out.push_str(&header_line(name, value, medium));
    }
    for note in &exchange.cookies_in {
        out.push_str(&cookie_line(note, medium));
    }
    out.push_str(&body_line(exchange, medium));
    out
}

/// `200 OK` in green, a redirect in cyan, anything else in red.
fn status_word(status: u16) -> ColoredString {
    let reason = match status {
        200 => " OK",
        302 => " Found",
        303 => " See Other",
        307 => " Temporary Redirect",
        308 => " Permanent Redirect",
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        413 => " Content Too Large",
        422 => " Unprocessable Content",
        _ => "",
    };
    let text = format!("{status}{reason}");
    match status {
        200..=299 => text.green().bold(),
        300..=399 => text.cyan().bold(),
        _ => text.red().bold(),
    }
}

/// `Cookie` and `Set-Cookie` stand out most: they are what every lesson is about.
fn header_line(name: &str, value: &str, medium: Medium) -> String {
    let label = format!("{name}:");
    let label = match name.to_ascii_lowercase().as_str() {
        "cookie" | "set-cookie" => label.yellow().bold(),
        "location" | "referer" => label.cyan().bold(),
        _ => label.blue().bold(),
    };
    let lead = format!("      {} ", paint(medium, label));
    format!("{}\n", wrap(medium, &lead, value))
}

/// `browser: withheld sid (a SameSite=Strict cookie ...)`: the jar's decision and why.
fn cookie_line(note: &CookieNote, medium: Medium) -> String {
    let word = note.action.as_str();
    let word = match note.action {
        CookieAction::Sent | CookieAction::Stored | CookieAction::Replaced => word.green(),
        CookieAction::Withheld | CookieAction::Rejected => word.red().bold(),
        CookieAction::Deleted => word.yellow(),
    };
    let lead = format!(
        "      {} {} {} ",
        paint(medium, "browser:".dimmed()),
        paint(medium, word),
        note.cookie
    );
    match &note.reason {
        Some(reason) => format!("{}\n", wrap(medium, &lead, &format!("({reason})"))),
        None => format!("{}\n", lead.trim_end()),
    }
}

/// The body's length and its excerpt, with `…` wherever text was left out:
/// before it (a window around a proof), after it, or cut for the terminal.
fn body_line(exchange: &HttpExchange, medium: Medium) -> String {
    let body = &exchange.body;
    if body.excerpt.is_empty() {
        let text = format!("(body: {} bytes)", body.length);
        return format!("      {}\n", paint(medium, text.dimmed()));
    }
    let limit = match medium {
        Medium::Terminal => BODY_SHOWN,
        Medium::Brief => BODY_SHOWN_BRIEF,
        Medium::Page => usize::MAX,
    };
    let mut shown = String::new();
    if body.skipped > 0 {
        shown.push('…');
    }
    shown.extend(body.excerpt.chars().take(limit));
    if body.truncated || body.excerpt.chars().count() > limit {
        shown.push('…');
    }
    let what = if body.from_main {
        format!("      body, {} bytes; its <main>: ", body.length)
    } else {
        format!("      body, {} bytes: ", body.length)
    };
    // Not dim: faint text washes out on a projector.
    format!("{}\n", wrap(medium, &paint(medium, what.normal()), &shown))
}

/// Who acted, in words: "the victim".
pub fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Victim => "the victim",
        Actor::Attacker => "the attacker",
        Actor::Observer => "the on-path observer",
    }
}

/// Who acted, as a label: "victim".
pub fn actor_label(actor: Actor) -> &'static str {
    actor.as_str()
}

fn actor_colour(actor: Actor, text: &str) -> ColoredString {
    match actor {
        Actor::Victim => text.cyan().bold(),
        Actor::Attacker => text.magenta().bold(),
        Actor::Observer => text.yellow().bold(),
    }
}

/// The styled text at a terminal; the plain text on a page.
fn paint(medium: Medium, text: ColoredString) -> String {
    match medium {
        Medium::Terminal | Medium::Brief => text.to_string(),
        Medium::Page => text.clear().to_string(),
    }
}

/// `lead` then `text`: wrapped with its column kept at a terminal, one line on a page.
fn wrap(medium: Medium, lead: &str, text: &str) -> String {
    match medium {
        Medium::Terminal | Medium::Brief => crate::report::hanging(lead, text),
        Medium::Page => format!("{lead}{text}"),
    }
}

#[cfg(test)]
mod tests {
    use sessionlab_attack::outcome::BodyExcerpt;

    use super::*;

    fn exchange_with(body: BodyExcerpt) -> HttpExchange {
        HttpExchange {
            browser: "attacker".into(),
            method: "GET".into(),
            url: "http://app.lab.test:1/account".into(),
            upgraded_from: None,
            request_headers: vec![("Cookie".into(), "sid=a".into())],
            status: 200,
            response_headers: Vec::new(),
            body,
            cookies_out: Vec::new(),
            cookies_in: Vec::new(),
        }
    }

    #[test]
    fn a_window_around_a_proof_starts_with_an_ellipsis() {
        let text = format!("{} the proof", "x".repeat(400));
        let body = BodyExcerpt::around(&text, false, "the proof").expect("the proof is there");
        assert!(body.skipped > 0);
        let shown = exchange(&exchange_with(body), false, Medium::Page);
        assert!(shown.contains(": …x"), "{shown}");
        assert!(shown.contains("the proof"), "{shown}");
    }

    #[test]
    fn the_start_of_a_body_has_no_leading_ellipsis() {
        let shown = exchange(
            &exchange_with(BodyExcerpt::of("hello", false)),
            false,
            Medium::Page,
        );
        assert!(shown.contains("body, 5 bytes: hello\n"), "{shown}");
    }

    #[test]
    fn brief_cuts_long_cookie_values_only() {
        let jwt = format!("eyJ{}", "a".repeat(140));
        let cut = long_values_cut(&format!("sid=6AMAAAAAAAAAAAAAAAAAAA; token={jwt}"));
        assert_eq!(
            cut,
            "sid=6AMAAAAAAAAAAAAAAAAAAA; token=eyJaaaaaaaaaaaaaaaaaaaaa…"
        );
    }

    #[test]
    fn a_cookie_name_sent_twice_is_explained() {
        assert_eq!(repeated_cookie("sid=X; sid=X"), Some("sid"));
        assert_eq!(repeated_cookie("a=1; sid=X"), None);
        let mut twice = exchange_with(BodyExcerpt::of("b", false));
        twice.request_headers = vec![("Cookie".into(), "sid=X; sid=X".into())];
        let shown = exchange(&twice, false, Medium::Page);
        assert!(
            shown.contains("(sid twice: two cookies of that name"),
            "{shown}"
        );
    }

    #[test]
    fn a_page_gets_plain_text_and_every_exchange() {
        let many = vec![exchange_with(BodyExcerpt::of("b", false)); EXCHANGES_SHOWN + 3];
        let page = exchanges(&many, Medium::Page);
        assert!(!page.contains('\u{1b}'), "{page}");
        assert_eq!(page.matches("→ GET").count(), EXCHANGES_SHOWN + 3);
        assert!(page.contains("Cookie: sid=a"), "{page}");
    }
}
