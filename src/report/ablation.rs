//! The reports of `sessionlab ablate`.
//!
//! Every defense × every scenario does not fit a projector as a grid, so people
//! get two short tables: the removals that reopen something (and only what
//! they reopen), then per scenario what holds it. Runs without a verdict (the
//! run ended in error) are counted and listed apart, never as a reopening. The HTML page adds the full
//! coloured grid for those who want every cell.

use colored::Colorize;
use comfy_table::Cell;
use serde::Serialize;
use sessionlab_attack::{Outcome, RunResult};

use super::junit::{self, Case};
use super::{claim, coloured, markdown, new_table, steps_of};
use sessionlab_harness::ablation::{Ablation, Holding};
use sessionlab_harness::says;
use sessionlab_protocol::escape_html;

/// The whole report in `format`.
pub fn render(ablation: &Ablation, format: super::Format) -> String {
    match format {
        super::Format::Table => table(ablation),
        super::Format::Json => format!("{}\n", json(ablation)),
        super::Format::Markdown => markdown_page(ablation),
        super::Format::Html => html_page(ablation),
        super::Format::Junit => junit_report(ablation),
    }
}

/// `ablate --format junit`. A healthy tree is green: a test case fails only
/// where its run contradicts the scenario files (a removal reopens an attack
/// whose file names neither that defense nor what its layers require; a
/// file's sole blocker, removed, does not reopen it; intact hardened falls).
/// A removal's run that ended in error is skipped, with the reason: the app
/// could not work that way (hardened without tls keeps no session), so there
/// is nothing to judge. An expected reopening passes, its evidence in
/// system-out. The intact hardened profile ending in error is an error.
pub fn junit_report(ablation: &Ablation) -> String {
    let contradictions = ablation.contradictions();
    let baseline = sessionlab_app::Profile::new(sessionlab_app::ProfileName::Hardened).label();
    let case = |r: &RunResult| {
        if r.outcome == Outcome::Error {
            return if r.profile == baseline {
                Case::Error
            } else {
                Case::Skipped(format!(
                    "no verdict, the run ended in error: {}",
                    r.evidence
                ))
            };
        }
        let contradicted: Vec<String> = contradictions
            .iter()
            .filter(|c| c.claim.scenario == r.scenario && c.claim.profile.label() == r.profile)
            .map(|c| says::file_claim_is_false(&r.scenario, &c.claim.says))
            .collect();
        if contradicted.is_empty() {
            Case::Passed
        } else {
            Case::Failed {
                kind: "contradicts-scenario-file".into(),
                message: format!(
                    "{} ({}: {})",
                    contradicted.join("; "),
                    r.outcome,
                    r.evidence
                ),
            }
        }
    };
    junit::render_with(&ablation.all_results(), &case)
}

/// "✗ hijack-predict  ✗ fixation-url": the attacks one removal reopened.
fn reopens_cell(ablation: &Ablation, defense: sessionlab_app::Defense, colour: bool) -> String {
    ablation
        .reopens(defense)
        .into_iter()
        .map(|id| {
            let text = format!("✗ {id}");
            if colour {
                coloured(Outcome::Compromised, &text)
            } else {
                text
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// The runs of one removal that ended in error: no verdict either way, so
/// never under "reopens". One run says its evidence; a removal that broke
/// every run of several says so once.
fn no_verdict_cell(ablation: &Ablation, defense: sessionlab_app::Defense, colour: bool) -> String {
    let errors = ablation.errors(defense);
    let text = match errors.as_slice() {
        [] => return String::new(),
        [_, _, ..] if ablation.breaking().contains(&defense) => breaking_text(ablation, defense),
        [only] => match ablation.result(defense, only) {
            Some(run) => format!("! {only}: {}", run.evidence),
            None => format!("! {only}"),
        },
        several => several
            .iter()
            .map(|id| format!("! {id}"))
            .collect::<Vec<_>>()
            .join("  "),
    };
    if colour {
        coloured(Outcome::Error, &text)
    } else {
        text
    }
}

/// "! every run ended in error, e.g. ...": a removal that broke the app itself.
fn breaking_text(ablation: &Ablation, defense: sessionlab_app::Defense) -> String {
    let results: Vec<_> = ablation
        .scenarios
        .iter()
        .filter_map(|m| ablation.result(defense, &m.id))
        .collect();
    // Every run broke the same way (the app cannot keep a session): the first says why.
    let example = results
        .first()
        .map(|r| format!(", e.g. {}: {}", r.scenario, r.evidence))
        .unwrap_or_default();
    format!(
        "! the app did not work: all {} runs ended in error{example}",
        results.len()
    )
}

fn heading(ablation: &Ablation) -> String {
    let scenarios = match ablation.scenarios.len() {
        1 => "1 scenario".to_string(),
        n => format!("{n} scenarios"),
    };
    let no_verdict = match ablation.no_verdict().len() {
        0 => String::new(),
        1 => "; 1 run without a verdict (it ended in error), counted apart".to_string(),
        n => format!("; {n} runs without a verdict (they ended in error), counted apart"),
    };
    format!(
        "{scenarios} × {} defenses removed one at a time: {} runs, intact hardened included{no_verdict}",
        ablation.removals.len(),
        ablation.run_count()
    )
}

fn no_single_effect(ablation: &Ablation) -> String {
    ablation
        .without_single_effect()
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table for people: removals that reopen something, then what holds each attack.
pub fn table(ablation: &Ablation) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        "Ablation: the hardened profile minus one defense".bold(),
        heading(ablation).dimmed()
    );
    let mut reopening = new_table();
    reopening.set_header(vec![
        "without",
        "reopens",
        "no verdict (the run ended in error)",
    ]);
    for removal in &ablation.removals {
        let reopened = reopens_cell(ablation, removal.defense, true);
        let no_verdict = no_verdict_cell(ablation, removal.defense, true);
        if !reopened.is_empty() || !no_verdict.is_empty() {
            reopening.add_row(vec![
                Cell::new(removal.defense.id()),
                Cell::new(reopened),
                Cell::new(no_verdict),
            ]);
        }
    }
    if reopening.row_count() == 0 {
        out.push_str("No single removal reopens any of these attacks.\n");
    } else {
        out.push_str(&format!("{reopening}\n"));
    }
    let quiet = no_single_effect(ablation);
    if !quiet.is_empty() {
        out.push_str(&super::hanging("", &format!("{}:", says::REOPEN_NOTHING)));
        out.push('\n');
        out.push_str(&super::hanging("  ", &quiet));
        out.push_str("\n\n");
    }
    let mut holding = new_table();
    holding.set_header(vec!["scenario", "hardened", "what stops it"]);
    for h in ablation.holdings() {
        holding.add_row(vec![
            Cell::new(&h.meta.id),
            Cell::new(super::outcome_word(h.hardened)),
            Cell::new(verdict_with_errors(ablation, &h)),
        ]);
    }
    out.push_str(&format!("{holding}\n"));
    out
}

/// The verdict, and the removals that left this scenario alone without a
/// verdict (those that broke every run are said once, in the first table).
fn verdict_with_errors(ablation: &Ablation, h: &Holding<'_>) -> String {
    let breaking = ablation.breaking();
    let ids: Vec<sessionlab_app::Defense> = h
        .errored_by
        .iter()
        .copied()
        .filter(|d| !breaking.contains(d))
        .collect();
    let verdict = h.verdict().to_string();
    if ids.is_empty() {
        verdict
    } else {
        format!("{verdict}{}", says::no_verdict_without(&ids))
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'static str,
    command: &'static str,
    wall_ms: u64,
    runs: usize,
    /// Runs that ended in error: no verdict, so neither under `reopens` nor
    /// a check of any claim.
    no_verdict_count: usize,
    no_verdict: Vec<JsonNoVerdict<'a>>,
    /// Scenario file claims whose run reached no verdict, in words.
    unchecked_claims: Vec<String>,
    defenses: Vec<JsonRemoval<'a>>,
    scenarios: Vec<JsonHolding>,
    results: Vec<RunResult>,
}

#[derive(Serialize)]
struct JsonNoVerdict<'a> {
    scenario: &'a str,
    /// The removed defense; `null` for the intact hardened profile.
    removed: Option<&'static str>,
    evidence: &'a str,
}

#[derive(Serialize)]
struct JsonRemoval<'a> {
    removed: &'static str,
    reopens: Vec<&'a str>,
    errors: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonHolding {
    id: String,
    hardened: Outcome,
    reopened_by: Vec<&'static str>,
    errored_by: Vec<&'static str>,
    layers: Vec<String>,
    verdict: String,
    file_claims: String,
    lesson: String,
}

pub fn json(ablation: &Ablation) -> String {
    let no_verdict = ablation.no_verdict();
    let report = JsonReport {
        tool: "sessionlab",
        version: env!("CARGO_PKG_VERSION"),
        command: "ablate",
        wall_ms: ablation.wall_ms,
        runs: ablation.run_count(),
        no_verdict_count: no_verdict.len(),
        no_verdict: no_verdict
            .iter()
            .map(|n| JsonNoVerdict {
                scenario: n.scenario,
                removed: n.removed.map(|d| d.id()),
                evidence: n.evidence,
            })
            .collect(),
        unchecked_claims: ablation
            .unchecked()
            .iter()
            .map(ToString::to_string)
            .collect(),
        defenses: ablation
            .removals
            .iter()
            .map(|r| JsonRemoval {
                removed: r.defense.id(),
                reopens: ablation.reopens(r.defense),
                errors: ablation.errors(r.defense),
            })
            .collect(),
        scenarios: ablation
            .holdings()
            .iter()
            .map(|h| JsonHolding {
                id: h.meta.id.clone(),
                hardened: h.hardened,
                reopened_by: h.reopened_by.iter().map(|d| d.id()).collect(),
                errored_by: h.errored_by.iter().map(|d| d.id()).collect(),
                layers: h.layers.clone(),
                verdict: h.verdict().to_string(),
                file_claims: claim(h.meta),
                lesson: h.meta.lesson_path(),
            })
            .collect(),
        results: ablation.all_results(),
    };
    serde_json::to_string_pretty(&report).expect("the ablation serialises")
}

pub fn markdown_page(ablation: &Ablation) -> String {
    let mut out = format!(
        "# sessionlab ablation: hardened minus one defense\n\n{}.\n\n",
        heading(ablation)
    );
    out.push_str(
        "## Which single removal reopens which attack\n\n\
         | without | reopens | no verdict (the run ended in error) |\n|---|---|---|\n",
    );
    for removal in &ablation.removals {
        let reopened = reopens_cell(ablation, removal.defense, false);
        let no_verdict = no_verdict_cell(ablation, removal.defense, false);
        if !reopened.is_empty() || !no_verdict.is_empty() {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                removal.defense.id(),
                markdown::escape(&reopened),
                markdown::escape(&no_verdict)
            ));
        }
    }
    let quiet = no_single_effect(ablation);
    if !quiet.is_empty() {
        out.push_str(&format!(
            "\n{}: {}.\n",
            says::REOPEN_NOTHING,
            markdown::escape(&quiet)
        ));
    }
    out.push_str(
        "\n## What stops each attack in hardened\n\n\
         | scenario | hardened | what stops it | scenario file claims |\n|---|---|---|---|\n",
    );
    for h in ablation.holdings() {
        out.push_str(&format!(
            "| [{}]({}) | {} | {} | {} |\n",
            h.meta.id,
            h.meta.lesson_path(),
            markdown::word(h.hardened),
            markdown::escape(&verdict_with_errors(ablation, &h)),
            markdown::escape(&claim(h.meta))
        ));
    }
    out
}

const STYLE: &str = "\
body{font:18px/1.5 system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
h1{font-size:2rem}h2{margin-top:2.5rem;border-bottom:2px solid #ddd}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.35rem .7rem;text-align:left}\
.grid td{text-align:center;padding:.2rem .35rem;min-width:1.6rem}.grid td:first-child{text-align:left}code{white-space:nowrap}\
.grid th.vertical{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;padding:.5rem .2rem}\
.compromised{background:#b3261e;color:#fff;font-weight:bold}.blocked{background:#e3f1e6;color:#1e6b34}\
.error{background:#f2c200;color:#1b1b1b;font-weight:bold}.baseline{border-right:3px solid #1b1b1b}\
.tag{display:inline-block;min-width:9rem;padding:0 .5rem;border-radius:4px}\
details{margin:.2rem 0 1rem 1rem}.actor{font-weight:bold}.muted{color:#555}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;background:#f4f4f4;padding:.4rem .6rem}\
footer{margin-top:3rem;color:#555;font-size:.9rem}";

fn grid_symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Compromised => "✗",
        Outcome::Blocked => "·",
        Outcome::Error => "!",
        Outcome::NotApplicable => "–",
    }
}

/// The self-contained page: the two summaries, the full grid, and the
/// evidence and steps of every run that reopened an attack.
pub fn html_page(ablation: &Ablation) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>sessionlab ablation</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>sessionlab ablation: hardened minus one defense</h1>\n<p class=\"muted\">{}.</p>\n",
        escape_html(&heading(ablation))
    );
    out.push_str(
        "<h2>Which single removal reopens which attack</h2>\n<table>\n\
         <tr><th>without</th><th>reopens</th><th>no verdict (the run ended in error)</th></tr>\n",
    );
    for removal in &ablation.removals {
        let reopened = ablation.reopens(removal.defense);
        let errors = ablation.errors(removal.defense);
        if reopened.is_empty() && errors.is_empty() {
            continue;
        }
        let reopened_tags: Vec<String> = reopened
            .iter()
            .map(|id| {
                format!(
                    "<a class=\"tag compromised\" href=\"#{id}\">✗ {id}</a>",
                    id = escape_html(id)
                )
            })
            .collect();
        let no_verdict = if errors.is_empty() {
            "<td></td>".to_string()
        } else {
            format!(
                "<td class=\"error\">{}</td>",
                escape_html(&no_verdict_cell(ablation, removal.defense, false))
            )
        };
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td>{no_verdict}</tr>\n",
            removal.defense.id(),
            reopened_tags.join(" ")
        ));
    }
    out.push_str("</table>\n");
    let quiet = no_single_effect(ablation);
    if !quiet.is_empty() {
        out.push_str(&format!(
            "<p>{}: {}.</p>\n",
            escape_html(says::REOPEN_NOTHING),
            escape_html(&quiet)
        ));
    }
    out.push_str(
        "<h2>What stops each attack in hardened</h2>\n<table>\n\
         <tr><th>scenario</th><th>hardened</th><th>what stops it</th><th>scenario file claims</th></tr>\n",
    );
    for h in ablation.holdings() {
        out.push_str(&format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{class}\">{word}</td><td>{verdict}</td><td>{claim}</td></tr>\n",
            id = escape_html(&h.meta.id),
            class = h.hardened.as_str(),
            word = h.hardened.as_str(),
            verdict = escape_html(&verdict_with_errors(ablation, &h)),
            claim = escape_html(&claim(h.meta)),
        ));
    }
    out.push_str("</table>\n");
    out.push_str(&grid(ablation));
    for h in ablation.holdings() {
        out.push_str(&scenario_section(ablation, &h));
    }
    out.push_str(&format!(
        "<footer>sessionlab {} · an attack counts as reopened only when the attacker read the \
         victim's private note (or, for a forged request, the victim saw her changed account) \
         against a profile that intact hardened defends.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// Every cell: scenarios down, removed defenses across, intact hardened first.
fn grid(ablation: &Ablation) -> String {
    let mut out = String::from(
        "<h2>Every run</h2>\n<p class=\"muted\">✗ compromised · · blocked · ! error</p>\n\
         <table class=\"grid\">\n<tr><th>scenario</th><th class=\"vertical baseline\">hardened</th>",
    );
    for removal in &ablation.removals {
        out.push_str(&format!(
            "<th class=\"vertical\">-{}</th>",
            removal.defense.id()
        ));
    }
    out.push_str("</tr>\n");
    for meta in &ablation.scenarios {
        out.push_str(&format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td>",
            id = escape_html(&meta.id)
        ));
        match ablation.baseline.iter().find(|r| r.scenario == meta.id) {
            Some(r) => out.push_str(&format!(
                "<td class=\"{} baseline\" title=\"hardened: {}\">{}</td>",
                r.outcome.as_str(),
                r.outcome.as_str(),
                grid_symbol(r.outcome)
            )),
            None => out.push_str("<td class=\"baseline\">-</td>"),
        }
        for removal in &ablation.removals {
            match ablation.result(removal.defense, &meta.id) {
                Some(r) => out.push_str(&format!(
                    "<td class=\"{}\" title=\"-{}: {}\">{}</td>",
                    r.outcome.as_str(),
                    removal.defense.id(),
                    r.outcome.as_str(),
                    grid_symbol(r.outcome)
                )),
                None => out.push_str("<td>-</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn scenario_section(ablation: &Ablation, h: &Holding<'_>) -> String {
    let meta = h.meta;
    let mut out = format!(
        "<h2 id=\"{id}\">{id}: {title}</h2>\n<p><strong>{verdict}.</strong> \
         Scenario file: {claim}. Lesson: <a href=\"{lesson}\">{lesson}</a></p>\n",
        id = escape_html(&meta.id),
        title = escape_html(&meta.title),
        verdict = escape_html(&verdict_with_errors(ablation, h)),
        claim = escape_html(&claim(meta)),
        lesson = escape_html(&meta.lesson_path()),
    );
    let mut shown: Vec<&RunResult> = ablation
        .baseline
        .iter()
        .filter(|r| r.scenario == meta.id)
        .collect();
    for removal in &ablation.removals {
        if let Some(r) = ablation.result(removal.defense, &meta.id)
            && r.outcome != Outcome::Blocked
        {
            shown.push(r);
        }
    }
    for r in shown {
        out.push_str(&format!(
            "<p><span class=\"tag {class}\">{profile}: {word}</span> {evidence}</p>\n\
             <details><summary>Steps</summary><ol>\n",
            class = r.outcome.as_str(),
            profile = escape_html(&r.profile),
            word = r.outcome.as_str(),
            evidence = escape_html(&r.evidence),
        ));
        for step in steps_of(r) {
            out.push_str(&super::html::step_item(step));
        }
        out.push_str("</ol></details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use sessionlab_app::Defense;
    use sessionlab_attack::catalog;

    use super::*;
    use sessionlab_harness::ablation::{Removal, hardened_without};

    fn run(profile: String, outcome: Outcome) -> RunResult {
        RunResult {
            scenario: "logout-reuse".into(),
            profile,
            base_profile: "hardened".into(),
            outcome,
            evidence: format!("it was {outcome}"),
            decided_at: None,
            proof: None,
            steps: Vec::new(),
            duration_ms: 1,
        }
    }

    /// logout-reuse against hardened and hardened minus each defense; every
    /// removal blocked unless `outcomes` says otherwise.
    fn ablation(outcomes: &[(Defense, Outcome)]) -> Ablation {
        let meta = catalog::all()
            .into_iter()
            .find(|m| m.id == "logout-reuse")
            .expect("logout-reuse");
        Ablation {
            scenarios: vec![meta],
            baseline: vec![run("hardened".into(), Outcome::Blocked)],
            removals: Defense::ALL
                .into_iter()
                .map(|defense| {
                    let outcome = outcomes
                        .iter()
                        .find(|(d, _)| *d == defense)
                        .map_or(Outcome::Blocked, |(_, o)| *o);
                    Removal {
                        defense,
                        results: vec![run(hardened_without(defense).label(), outcome)],
                    }
                })
                .collect(),
            wall_ms: 1,
        }
    }

    /// A count on the report's root element, `<testsuites tests="..." ...>`.
    fn count(xml: &str, attribute: &str) -> String {
        let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
        doc.root_element()
            .attribute(attribute)
            .expect(attribute)
            .to_string()
    }

    #[test]
    fn a_healthy_ablation_is_green_and_a_broken_app_is_skipped() {
        let healthy = ablation(&[
            (Defense::ServerLogout, Outcome::Compromised),
            (Defense::Tls, Outcome::Error),
        ]);
        let xml = junit_report(&healthy);
        // The intact hardened run and one run per removed defense.
        assert_eq!(count(&xml, "tests"), (Defense::ALL.len() + 1).to_string());
        assert_eq!(count(&xml, "failures"), "0", "{xml}");
        assert_eq!(count(&xml, "errors"), "0", "{xml}");
        assert_eq!(count(&xml, "skipped"), "1", "{xml}");
        let verdict = healthy.holdings()[0].verdict().to_string();
        assert_eq!(verdict, "stopped by server-logout alone");
    }

    #[test]
    fn a_run_that_contradicts_the_scenario_file_fails() {
        // The file's sole blocker does not matter, and an unnamed defense does.
        // Without tls the app keeps no session, as in every real run.
        let broken = ablation(&[
            (Defense::Csp, Outcome::Compromised),
            (Defense::Tls, Outcome::Error),
        ]);
        let xml = junit_report(&broken);
        assert_eq!(count(&xml, "failures"), "2", "{xml}");
        assert!(xml.contains("type=\"contradicts-scenario-file\""), "{xml}");
        let verdict = broken.holdings()[0].verdict().to_string();
        assert!(
            verdict.starts_with("removing csp alone reopens it"),
            "{verdict}"
        );
        assert!(verdict.contains("⚠"), "{verdict}");
        assert!(
            verdict.contains("(server-logout) is what holds; removed from hardened"),
            "{verdict}"
        );
    }
}
