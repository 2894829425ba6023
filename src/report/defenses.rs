//! `sessionlab defenses`: every defense, one line, and the scenarios whose
//! files claim it (checked against real runs by `tests/ablation.rs`).

use serde::Serialize;
use sessionlab_app::Defense;
use sessionlab_attack::ScenarioMeta;

use super::{ListFormat, markdown, new_table};

/// One defense and the claims made about it.
#[derive(Debug, Clone, Serialize)]
pub struct DefenseRow {
    pub id: &'static str,
    pub summary: &'static str,
    /// Scenarios whose file lists it in `blocked_by`.
    pub stops: Vec<String>,
    /// Scenarios whose file lists it in `requires`: their other defenses need it.
    pub required_by: Vec<String>,
    /// Where its code lives, both behaviours side by side.
    pub source: String,
}

/// Every defense, in `Defense::ALL` order.
pub fn rows(scenarios: &[ScenarioMeta]) -> Vec<DefenseRow> {
    Defense::ALL
        .into_iter()
        .map(|d| {
            let listing = |pick: fn(&ScenarioMeta) -> Vec<String>| {
                scenarios
                    .iter()
                    .filter(|m| pick(m).iter().any(|id| id == d.id()))
                    .map(|m| m.id.clone())
                    .collect()
            };
            DefenseRow {
                id: d.id(),
                summary: d.summary(),
                stops: listing(|m| m.blocked_by.clone()),
                required_by: listing(|m| m.requires.all()),
                source: source_path(d),
            }
        })
        .collect()
}

/// `crates/app/src/defenses/<id>.rs`.
pub fn source_path(defense: Defense) -> String {
    format!(
        "crates/app/src/defenses/{}.rs",
        defense.id().replace('-', "_")
    )
}

/// The scenarios column: "hijack-xss, csrf", with the ones it is required by marked.
fn claimed(row: &DefenseRow) -> String {
    let mut parts: Vec<String> = row.stops.clone();
    parts.extend(row.required_by.iter().map(|id| format!("{id} (required)")));
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

pub fn render(scenarios: &[ScenarioMeta], format: ListFormat) -> String {
    let rows = rows(scenarios);
    match format {
        ListFormat::Table => {
            let mut table = new_table();
            table.set_header(vec!["defense", "what it does", "stops (scenario files)"]);
            for row in &rows {
                table.add_row(vec![
                    row.id.to_string(),
                    row.summary.to_string(),
                    claimed(row),
                ]);
            }
            format!("{table}\n")
        }
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        ),
        ListFormat::Markdown => {
            let mut out = String::from(
                "| defense | what it does | stops (scenario files) |\n|---|---|---|\n",
            );
            for row in &rows {
                out.push_str(&format!(
                    "| [`{}`]({}) | {} | {} |\n",
                    row.id,
                    row.source,
                    markdown::escape(row.summary),
                    markdown::escape(&claimed(row))
                ));
            }
            out
        }
    }
}
