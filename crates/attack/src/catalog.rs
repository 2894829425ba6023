//! Scenario metadata, read from `scenarios/*.toml` and compiled into the binary
//! so the lab runs from anywhere with no files beside it.

use std::collections::BTreeMap;

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

/// What the defenses of `blocked_by` cannot work without.
///
/// ```toml
/// requires = ["tls"]                    # every defense in blocked_by needs tls
/// requires = { host-prefix = ["tls"] }  # only host-prefix needs it
/// ```
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Requires {
    /// The same prerequisites for every defense of `blocked_by`.
    Every(Vec<String>),
    /// Prerequisites per defense of `blocked_by`; the others need none.
    Each(BTreeMap<String, Vec<String>>),
}

impl Default for Requires {
    fn default() -> Self {
        Self::Every(Vec::new())
    }
}

impl Requires {
    /// What the `blocked_by` defense `id` needs to have any effect.
    pub fn of(&self, id: &str) -> &[String] {
        match self {
            Self::Every(ids) => ids,
            Self::Each(map) => map.get(id).map_or(&[], Vec::as_slice),
        }
    }

    /// Every defense named as a prerequisite, once each, in file order.
    pub fn all(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        let named: Vec<&String> = match self {
            Self::Every(ids) => ids.iter().collect(),
            Self::Each(map) => map.values().flatten().collect(),
        };
        for id in named {
            if !all.contains(id) {
                all.push(id.clone());
            }
        }
        all
    }

    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }
}

/// What the tutorial profile (the seed article's final code) does against a
/// scenario, and why: `tests/matrix.rs` checks it against real runs.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TutorialOutcome {
    pub outcome: ExpectedOutcome,
    pub why: String,
}

/// The verdict a scenario file expects of a run.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedOutcome {
    Compromised,
    Blocked,
}

impl ExpectedOutcome {
    /// The run outcome this expectation names.
    pub fn outcome(self) -> crate::Outcome {
        match self {
            Self::Compromised => crate::Outcome::Compromised,
            Self::Blocked => crate::Outcome::Blocked,
        }
    }
}

/// One `scenarios/<id>.toml`.
///
/// What the defense fields claim, checked against real runs by
/// `tests/ablation.rs` (so the files cannot drift from the code):
///
/// ```toml
/// blocked_by = ["secure-cookie", "hsts", "host-prefix"]  # the defenses that stop the attack
/// requires = ["tls"]  # optional: what they cannot work without (see [`Requires`])
/// layers = "any"      # "any": each of blocked_by (with what it requires) stops it alone
///                     # "all": only all of blocked_by together stop it
/// ```
///
/// Checked claims, "insecure + X" meaning the insecure profile with X added
/// and "hardened - X" the hardened profile with X removed:
///
/// - `layers = "any"`: for each defense D of `blocked_by`, insecure + D + what
///   D requires blocks the attack; hardened - all of `blocked_by` is compromised;
/// - `layers = "all"`: insecure + all of `blocked_by` + `requires` blocks it;
///   hardened - D is compromised for each D of `blocked_by`;
/// - each prerequisite is real: insecure + D without what D requires does not
///   block, and a prerequisite added alone to insecure does not block either;
/// - nothing is missing: insecure + D blocks for no D outside `blocked_by`,
///   and hardened - D is compromised for no D outside `blocked_by` and `requires`.
///
/// Removing a prerequisite from hardened usually breaks more than one attack:
/// without `tls` the hardened app cannot keep a session at all (its Secure,
/// `__Host-` cookie is refused over plain HTTP), so its runs end in `error`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    pub id: String,
    pub title: String,
    /// Teaching order, 1 first: the scenario's place in the registry
    /// ([`crate::scenarios::REGISTRY`]), not a field of the file.
    #[serde(skip_deserializing)]
    pub order: u32,
    pub category: String,
    pub story: String,
    pub fix: String,
    /// Defense ids (see `sessionlab_app::Defense::id`) that block this attack, combined per `layers`.
    pub blocked_by: Vec<String>,
    /// What the defenses of `blocked_by` cannot work without (e.g. `tls`
    /// under `secure-cookie` and `hsts`); empty when nothing.
    #[serde(default)]
    pub requires: Requires,
    pub layers: Layers,
    /// Whether the attacker's tossed cookie carries the victim's session by
    /// itself: then a profile whose own cookie no browser keeps over plain
    /// HTTP (`secure-cookie` without `tls`) still has a session, the
    /// attacker's, and the run gets a verdict instead of an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tossed_cookie_keeps_session: bool,
    /// What the tutorial profile does against it, and why.
    pub tutorial: TutorialOutcome,
    pub refs: References,
    /// The hands-on challenge (`sessionlab class`), or why there is none.
    /// Absent only in a file not yet given one: the class lists such a
    /// scenario as "no hands-on challenge yet", and a test fails on it.
    #[serde(default)]
    pub challenge: Option<ChallengeSpec>,
}

/// A scenario's hands-on challenge, as its file's `[challenge]` table says:
/// either `solve` with three `hints` (and what the lab hands the student as
/// the story's `premise`), or `not-hands-on` with the reason.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChallengeSpec {
    /// What the class server must see to mark the challenge solved.
    #[serde(default)]
    pub solve: Option<SolveCondition>,
    /// Why the scenario has no hands-on challenge (instead of `solve`).
    #[serde(default)]
    pub not_hands_on: Option<String>,
    /// What the story gives the attacker, as the challenge page says it.
    #[serde(default)]
    pub premise: Option<String>,
    /// Three levels: a nudge, the mechanism, the steps.
    #[serde(default)]
    pub hints: Vec<String>,
}

/// What the class server sees when a challenge is solved. Every condition is
/// a request the student's app answered, never the student's claim; "not
/// alice" means a request that did not come through the victim bot's door.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum SolveCondition {
    /// Not alice reads her account in a session her own login made, whose ID
    /// was never handed out, lured, tossed or leaked: a guessed ID.
    GuessedSession,
    /// Alice's note, or the ID of a session she logged in, reached the
    /// attacker's site in a URL or body, and (for an ID) then opened her account.
    Exfiltrated,
    /// Not alice reads her account in a session whose ID came to her in a link she followed.
    FixedByLink,
    /// Not alice reads her account in a session whose ID the attacker's site
    /// set as a cookie in her browser, an ID the server had issued (to anyone).
    FixedByToss,
    /// Not alice reads her account in a session whose ID the attacker's site
    /// set as a cookie in her browser, an ID the server never issued: the app
    /// adopted it (the app says so at her login, `IdOrigin::Adopted`).
    FixedByInventedToss,
    /// Not alice reads her account in a session she logged out of, on the
    /// instance of the app that handled her logout.
    ReadAfterLogout,
    /// Not alice reads her account in a session she logged out of, on an
    /// instance of the app other than the one that handled her logout (a
    /// class lab runs two over one store).
    LoggedOutElsewhere,
    /// Not alice reads her account in a session alice left idle for more than 15 minutes of lab time.
    ReadAfterIdle,
    /// Not alice reads her account in a session she logged in more than 8 hours of lab time before.
    ReadAfterLifetime,
    /// Not alice reads her account in a session she had not logged out of
    /// when she changed her password on another device.
    ReadAfterPasswordChange,
    /// Not alice reads her account in a session she had not logged out of
    /// when she pressed "Log out everywhere" on another device.
    ReadAfterLogOutEverywhere,
    /// The ID of a session alice logged in reached the attacker's site in a
    /// `Referer`, and then opened her account.
    LeakedByReferer,
    /// Alice's address changed by a request from her own browser that another site started.
    ForgedChange,
    /// Not alice reads her account in a session nobody logged in as alice.
    NoLogin,
    /// Not alice reads her account in a session logged in as alice by someone else.
    ForeignLogin,
    /// Not alice reads her account with a validly signed session token that
    /// no login handed out: signed by someone who has the key.
    ForgedToken,
    /// Not alice reads her account with a session token whose header says
    /// `alg: none`, believed with no signature.
    UnsignedToken,
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

/// Parses one scenario file.
pub fn parse(text: &str) -> Result<ScenarioMeta, toml::de::Error> {
    toml::from_str(text)
}

/// Every scenario's metadata in teaching order (the registry's,
/// [`crate::scenarios::REGISTRY`]). Panics only if a compiled-in file is
/// invalid or names another id than its registry line, which the test suite
/// rules out.
pub fn all() -> Vec<ScenarioMeta> {
    crate::scenarios::REGISTRY
        .iter()
        .zip(1..)
        .map(|(scenario, order)| {
            let mut meta = parse(scenario.metadata)
                .unwrap_or_else(|e| panic!("scenarios/{}.toml: {e}", scenario.id));
            assert_eq!(
                meta.id, scenario.id,
                "scenarios/{}.toml: its id",
                scenario.id
            );
            meta.order = order;
            meta
        })
        .collect()
}
