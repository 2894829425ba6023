//! `--format markdown`: the matrix and the evidence as a Markdown page, for a
//! wiki, an issue or the workshop's shared notes.

use sessionlab_attack::{Outcome, RunResult, ScenarioMeta};

use super::transcript::{actor_label, step_text};
use super::{cell, steps_of};

/// The scenario × profile matrix, then per scenario its evidence and steps.
pub fn render(scenarios: &[ScenarioMeta], profiles: &[String], results: &[RunResult]) -> String {
    let mut out = String::from("# sessionlab results\n\n");
    out.push_str(&format!("| scenario | {} |\n", profiles.join(" | ")));
    out.push_str(&format!("|---|{}\n", ":---:|".repeat(profiles.len())));
    for meta in scenarios {
        let cells: Vec<String> = profiles
            .iter()
            .map(|profile| match cell(results, &meta.id, profile) {
                Some(r) => word(r.outcome).to_string(),
                None => "-".to_string(),
            })
            .collect();
        out.push_str(&format!(
            "| [{}]({}) | {} |\n",
            meta.id,
            meta.lesson_path(),
            cells.join(" | ")
        ));
    }
    for meta in scenarios {
        let rows: Vec<&RunResult> = results.iter().filter(|r| r.scenario == meta.id).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {}: {}\n\n", meta.id, escape(&meta.title)));
        out.push_str(&format!("{}\n", escape(&meta.reference_line())));
        for r in rows {
            out.push_str(&format!(
                "\n**{}: {}**. {}\n\n",
                escape(&r.profile),
                word(r.outcome),
                escape(&r.evidence)
            ));
            for (i, step) in steps_of(r).iter().enumerate() {
                out.push_str(&format!(
                    "{}. *{}*: {}\n",
                    i + 1,
                    actor_label(step.actor),
                    escape(&step_text(step))
                ));
            }
        }
    }
    out
}

pub(crate) fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Compromised => "❌ compromised",
        Outcome::Blocked => "✅ blocked",
        Outcome::Error => "⚠️ error",
        Outcome::NotApplicable => "➖ not applicable",
    }
}

/// Keeps evidence text from turning into Markdown markup or breaking a table.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_evidence_is_escaped() {
        assert_eq!(escape("<script>|x*"), "\\<script\\>\\|x\\*");
    }
}
