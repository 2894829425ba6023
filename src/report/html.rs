//! `--format html`: one self-contained page an instructor can hand out. No
//! external assets (the style is inline), so it opens from a USB stick or an
//! e-mail attachment exactly as it looked on the projector.

use sessionlab_attack::outcome::HttpExchange;
use sessionlab_attack::{Outcome, RunResult, ScenarioMeta, Step};
use sessionlab_protocol::escape_html;

use super::transcript::{self as shared, Medium, actor_label, step_text};
use super::{cell, steps_of};

const STYLE: &str = "\
body{font:18px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
h1{font-size:2rem}h2{margin-top:2.5rem;border-bottom:2px solid #ddd}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.4rem .9rem;text-align:center}\
th:first-child,td:first-child{text-align:left}\
.compromised{background:#b3261e;color:#fff;font-weight:bold}.blocked{background:#1e6b34;color:#fff}\
.error{background:#f2c200;color:#1b1b1b;font-weight:bold}\
.evidence{margin:.6rem 0}.tag{display:inline-block;min-width:8rem;padding:0 .5rem;border-radius:4px}\
details{margin:.2rem 0 1rem 1rem}.lesson{border-left:4px solid #ddd;padding-left:1rem}ol{margin:.3rem 0}.actor{font-weight:bold}.refs{color:#555}\
footer{margin-top:3rem;color:#555;font-size:.9rem}\
pre{font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.5rem}";

/// The whole page.
pub fn render(
    title: &str,
    scenarios: &[ScenarioMeta],
    profiles: &[String],
    results: &[RunResult],
) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        title = escape_html(title)
    );
    out.push_str(&matrix(scenarios, profiles, results));
    for meta in scenarios {
        let rows: Vec<&RunResult> = results.iter().filter(|r| r.scenario == meta.id).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "<h2 id=\"{id}\">{id}: {title}</h2>\n<p>{story}</p>\n<p><strong>Fix:</strong> {fix}</p>\n\
             <p class=\"refs\">{refs}</p>\n",
            id = escape_html(&meta.id),
            title = escape_html(&meta.title),
            story = sessionlab_attack::lessons::inline_html(&meta.story),
            fix = sessionlab_attack::lessons::inline_html(&meta.fix),
            refs = escape_html(&meta.reference_line()),
        ));
        out.push_str(&lesson_section(&meta.id, scenarios));
        for r in rows {
            out.push_str(&format!(
                "<p class=\"evidence\"><span class=\"tag {class}\">{profile}: {word}</span> {evidence}</p>\n",
                class = r.outcome.as_str(),
                profile = escape_html(&r.profile),
                word = r.outcome.as_str(),
                evidence = code_spans(&escape_html(&r.evidence)),
            ));
            out.push_str("<details><summary>Steps</summary><ol>\n");
            for step in steps_of(r) {
                out.push_str(&step_item(step));
            }
            out.push_str("</ol></details>\n");
        }
    }
    out.push_str(&format!(
        "<footer>sessionlab {} · every compromise above was proven by the attacker reading the \
         victim's private note (or, for a forged request, by the victim seeing her changed \
         account), never by a status code.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// The lesson's text, folded: embedded, so the page needs no `docs/` beside
/// it. A link to another lesson on the page goes to its section.
pub(super) fn lesson_section(id: &str, on_page: &[ScenarioMeta]) -> String {
    let anchor = |lesson: &str| {
        if on_page.iter().any(|meta| meta.id == lesson) {
            format!("#{lesson}")
        } else {
            format!("#lesson-{lesson}")
        }
    };
    match sessionlab_attack::lessons::html(id, 1, true, &anchor) {
        Some(text) => format!(
            "<details class=\"lesson\" id=\"lesson-{id}\"><summary>The lesson: {id}</summary>\n{text}</details>\n",
            id = escape_html(id)
        ),
        None => String::new(),
    }
}

fn matrix(scenarios: &[ScenarioMeta], profiles: &[String], results: &[RunResult]) -> String {
    let mut out = String::from("<table>\n<tr><th>scenario</th>");
    for profile in profiles {
        out.push_str(&format!("<th>{}</th>", escape_html(profile)));
    }
    out.push_str("</tr>\n");
    for meta in scenarios {
        out.push_str(&format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td>",
            id = escape_html(&meta.id)
        ));
        for profile in profiles {
            match cell(results, &meta.id, profile) {
                Some(r) => out.push_str(&format!(
                    "<td class=\"{}\">{}</td>",
                    r.outcome.as_str(),
                    symbol(r.outcome)
                )),
                None => out.push_str("<td>-</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// One step in a list: who did what and saw what, then its HTTP, folded.
pub(super) fn step_item(step: &Step) -> String {
    format!(
        "<li><span class=\"actor\">{}</span>: {}{}</li>\n",
        actor_label(step.actor),
        code_spans(&escape_html(&step_text(step))),
        transcript(&step.exchanges)
    )
}

/// A step's HTTP, folded: the shared transcript as plain text. Everything
/// escaped: bodies carry the lab's own attack payloads.
pub(super) fn transcript(exchanges: &[HttpExchange]) -> String {
    if exchanges.is_empty() {
        return String::new();
    }
    let text = shared::exchanges(exchanges, Medium::Page);
    format!(
        "<details class=\"http\"><summary>HTTP ({} exchanges)</summary><pre>{}</pre></details>",
        exchanges.len(),
        escape_html(text.trim_matches('\n'))
    )
}

fn symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Compromised => "✗ compromised",
        Outcome::Blocked => "✓ blocked",
        Outcome::Error => "! error",
        Outcome::NotApplicable => "– not applicable",
    }
}

/// `` `x` `` in already escaped text as `<code>x</code>`, so no literal
/// backtick reaches the page; an unpaired backtick is left as it is.
fn code_spans(escaped: &str) -> String {
    let pieces: Vec<&str> = escaped.split('`').collect();
    if pieces.len().is_multiple_of(2) {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, piece) in pieces.iter().enumerate() {
        if !i.is_multiple_of(2) {
            out.push_str("<code>");
            out.push_str(piece);
            out.push_str("</code>");
        } else {
            out.push_str(piece);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_are_escaped() {
        let body = "<script>fetch('//evil')</script>";
        let exchange = HttpExchange {
            browser: "victim".into(),
            method: "GET".into(),
            url: "http://app.lab.test:1/guestbook".into(),
            upgraded_from: None,
            request_headers: vec![("Cookie".into(), "sid=a".into())],
            status: 200,
            response_headers: Vec::new(),
            body: sessionlab_attack::outcome::BodyExcerpt::of(body, false),
            cookies_out: Vec::new(),
            cookies_in: Vec::new(),
        };
        let html = transcript(std::slice::from_ref(&exchange));
        assert!(html.contains("&lt;script&gt;fetch("), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Cookie: sid=a"), "{html}");
        assert_eq!(transcript(&[]), "");
    }
}
