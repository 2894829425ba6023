//! Scenario metadata, read from `scenarios/*.toml` and compiled into the binary
//! so the lab runs from anywhere with no files beside it.

use serde::{Deserialize, Serialize};

/// References for one scenario, as the scenario file lists them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct References {
    pub cwe: Vec<String>,
    pub asvs4: Vec<String>,
    pub asvs5: Vec<String>,
    pub wstg: Vec<String>,
}

/// How the defenses of `blocked_by` combine.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Layers {
    /// Each listed defense (with `requires`) blocks the attack on its own: they
    /// are layers of defense in depth, and the attack gets through only when
    /// all of them are off.
    Any,
    /// The listed defenses (with `requires`) block it only together: turning
    /// any one of them off reopens the attack.
    All,
}

/// One `scenarios/<id>.toml`.
///
/// What the defense fields claim, checked against real runs by
/// `tests/ablation.rs` (so the files cannot drift from the code):
///
/// ```toml
/// blocked_by = ["secure-cookie", "hsts"]  # the defenses that stop the attack
/// requires = ["tls"]                      # optional: without these, blocked_by does nothing
/// layers = "any"                          # "any": each of blocked_by alone (with requires)
///                                         # "all": only all of blocked_by together (with requires)
/// ```
///
/// - each `requires` defense, removed from the hardened profile, reopens the attack;
/// - `layers = "any"`: each `blocked_by` defense, added with `requires` to the
///   insecure profile, blocks it; removing every `blocked_by` defense from
///   hardened reopens it;
/// - `layers = "all"`: removing any one `blocked_by` defense from hardened
///   reopens it; adding all of them with `requires` to insecure blocks it;
/// - no defense outside `blocked_by` and `requires`, removed from hardened,
///   reopens it (or the file is missing a claim).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    pub id: String,
    pub title: String,
    /// Teaching order, 1 first.
    pub order: u32,
    pub category: String,
    pub story: String,
    pub fix: String,
    /// Defense ids (see `sessionlab_app::Defense::id`) that block this attack, combined per `layers`.
    pub blocked_by: Vec<String>,
    /// Defense ids without which none of `blocked_by` has any effect (e.g. `tls`
    /// under `secure-cookie` and `hsts`); empty when there are none.
    #[serde(default)]
    pub requires: Vec<String>,
    pub layers: Layers,
    pub refs: References,
}

impl ScenarioMeta {
    /// Path of the lesson page, relative to the repository root.
    pub fn lesson_path(&self) -> String {
        format!("docs/lessons/{}.md", self.id)
    }

    /// "CWE-79, CWE-1004 · ASVS 4.0.3 3.4.2 · WSTG-SESS-02" for one-line listings.
    pub fn reference_line(&self) -> String {
        let mut parts = vec![self.refs.cwe.join(", ")];
        if !self.refs.asvs4.is_empty() {
            parts.push(format!("ASVS 4.0.3 {}", self.refs.asvs4.join(", ")));
        }
        if !self.refs.asvs5.is_empty() {
            parts.push(format!("ASVS 5.0 {}", self.refs.asvs5.join(", ")));
        }
        if !self.refs.wstg.is_empty() {
            parts.push(self.refs.wstg.join(", "));
        }
        parts.join(" · ")
    }
}

/// The raw scenario files, by id. A test checks this list against the `scenarios/` folder.
pub const SCENARIO_FILES: &[(&str, &str)] = &[
    (
        "hijack-predict",
        include_str!("../../../scenarios/hijack-predict.toml"),
    ),
    (
        "hijack-xss",
        include_str!("../../../scenarios/hijack-xss.toml"),
    ),
    (
        "hijack-sniff",
        include_str!("../../../scenarios/hijack-sniff.toml"),
    ),
    (
        "fixation-url",
        include_str!("../../../scenarios/fixation-url.toml"),
    ),
    (
        "fixation-cookie",
        include_str!("../../../scenarios/fixation-cookie.toml"),
    ),
    (
        "logout-reuse",
        include_str!("../../../scenarios/logout-reuse.toml"),
    ),
    (
        "idle-timeout",
        include_str!("../../../scenarios/idle-timeout.toml"),
    ),
    (
        "absolute-timeout",
        include_str!("../../../scenarios/absolute-timeout.toml"),
    ),
    (
        "password-change",
        include_str!("../../../scenarios/password-change.toml"),
    ),
    (
        "concurrent-sessions",
        include_str!("../../../scenarios/concurrent-sessions.toml"),
    ),
    (
        "referer-leak",
        include_str!("../../../scenarios/referer-leak.toml"),
    ),
    ("csrf", include_str!("../../../scenarios/csrf.toml")),
    (
        "session-puzzling",
        include_str!("../../../scenarios/session-puzzling.toml"),
    ),
    (
        "credential-bypass",
        include_str!("../../../scenarios/credential-bypass.toml"),
    ),
];

/// Parses one scenario file.
pub fn parse(text: &str) -> Result<ScenarioMeta, toml::de::Error> {
    toml::from_str(text)
}

/// Every scenario's metadata in teaching order. Panics only if a compiled-in
/// file is invalid, which the test suite rules out.
pub fn all() -> Vec<ScenarioMeta> {
    let mut metas: Vec<ScenarioMeta> = SCENARIO_FILES
        .iter()
        .map(|(id, text)| parse(text).unwrap_or_else(|e| panic!("scenarios/{id}.toml: {e}")))
        .collect();
    metas.sort_by_key(|m| m.order);
    metas
}
