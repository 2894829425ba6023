//! Profiles and the defenses they switch on.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

pub use crate::defenses::Defense;

/// The three built-in profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileName {
    /// Every weakness on: the app every scenario breaks.
    Insecure,
    /// What the seed article's final code does, translated faithfully.
    Tutorial,
    /// Every defense on.
    Hardened,
}

impl ProfileName {
    pub const ALL: [ProfileName; 3] = [Self::Insecure, Self::Tutorial, Self::Hardened];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insecure => "insecure",
            Self::Tutorial => "tutorial",
            Self::Hardened => "hardened",
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProfileName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown profile {s:?}; valid profiles: insecure, tutorial, hardened")
            })
    }
}

/// A profile: a name for the banner and reports, and the set of defenses that are on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: ProfileName,
    pub defenses: BTreeSet<Defense>,
}

impl Profile {
    pub fn new(name: ProfileName) -> Self {
        let defenses = match name {
            ProfileName::Insecure => BTreeSet::new(),
            // The seed article's final code: express-session (random IDs, unknown IDs rejected,
            // cookie only), destroy() + clearCookie() at logout, httpOnly: true, secure: false,
            // the secret read from the environment (its .env), sessions kept on the server
            // (express-session's MemoryStore). Its login stores any username without
            // looking at the password ("validate your username and password here").
            ProfileName::Tutorial => BTreeSet::from([
                Defense::SignedCookie,
                Defense::SecretFromEnv,
                Defense::ServerSideSessions,
                Defense::RandomIds,
                Defense::StrictIds,
                Defense::CookieOnlyIds,
                Defense::ServerLogout,
                Defense::HttpOnly,
                // express-session asks its store on every request, with no cache in front.
                Defense::SharedStore,
            ]),
            ProfileName::Hardened => Defense::ALL.into_iter().collect(),
        };
        Self { name, defenses }
    }

    pub fn has(&self, defense: Defense) -> bool {
        self.defenses.contains(&defense)
    }

    /// The profile with one more defense on.
    pub fn with(mut self, defense: Defense) -> Self {
        self.defenses.insert(defense);
        self
    }

    /// The profile with one defense off.
    pub fn without(mut self, defense: Defense) -> Self {
        self.defenses.remove(&defense);
        self
    }

    /// "hardened", or "hardened -csp +..." when toggles changed the built-in set.
    pub fn label(&self) -> String {
        let base = Profile::new(self.name);
        let mut label = self.name.to_string();
        for d in Defense::ALL {
            match (base.has(d), self.has(d)) {
                (true, false) => label.push_str(&format!(" -{d}")),
                (false, true) => label.push_str(&format!(" +{d}")),
                _ => {}
            }
        }
        label
    }
}
