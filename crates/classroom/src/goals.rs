//! What solves each challenge, in the words the lab page shows the student.
//!
//! The text is made from the challenge's solve condition (`[challenge]
//! solve` in `scenarios/<id>.toml`), the value `detect.rs` judges by, with
//! the same limits: one `match` over the conditions, so a new condition
//! cannot reach the class without a goal, and no list of challenges here.

use sessionlab_attack::catalog::SolveCondition;

use crate::detect::{IDLE_LIMIT, LIFETIME_LIMIT};

/// What most challenges ask for: the app, not the student's word, shows it.
pub const READ_NOTE: &str =
    "alice's private note is shown at /account to a request that is not from her browser";

/// What the app must answer for a challenge to count as solved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    /// [`READ_NOTE`], in the session or with the token `how` names.
    ReadNote { how: String },
    /// Anything else the app must see: the whole sentence.
    Other(String),
}

impl Goal {
    /// The goal for `condition`.
    pub fn of(condition: SolveCondition) -> Self {
        use SolveCondition::*;
        let read = |how: &str| Goal::ReadNote {
            how: how.to_owned(),
        };
        match condition {
            GuessedSession => read(
                "in a session her own login made, whose ID was never shown to you, \
                 sent in a link, tossed or leaked (an ID you predicted)",
            ),
            FixedByLink => read("in a session whose ID came to her in a link she followed"),
            FixedByToss => read(
                "in a session whose ID your site set as a cookie in her browser, \
                 an ID the app had issued",
            ),
            FixedByInventedToss => read(
                "in a session whose ID your site set as a cookie in her browser, \
                 an ID the app never issued",
            ),
            ReadAfterLogout => read(
                "in a session she logged out of, answered by the instance of the app \
                 that handled her logout",
            ),
            LoggedOutElsewhere => {
                read("in a session she logged out of, answered by the other instance of the app")
            }
            ReadAfterIdle => Goal::ReadNote {
                how: format!(
                    "in a session she left idle for more than {} minutes of lab time",
                    IDLE_LIMIT.whole_minutes()
                ),
            },
            ReadAfterLifetime => Goal::ReadNote {
                how: format!(
                    "in a session she logged in to more than {} hours of lab time before",
                    LIFETIME_LIMIT.whole_hours()
                ),
            },
            ReadAfterPasswordChange => read(
                "in a session she had not logged out of when she changed her password on her phone",
            ),
            ReadAfterLogOutEverywhere => read(
                "in a session she had not logged out of when she pressed \"Log out everywhere\" \
                 on her phone",
            ),
            LeakedByReferer => read("in a session whose ID reached your site in a Referer header"),
            NoLogin => read("in a session nobody logged in to as alice with a password"),
            ForeignLogin => read("in a session logged in as alice, but not by her browser"),
            ForgedToken => read("with a validly signed session token that no login handed out"),
            UnsignedToken => read("with a session token whose header says alg: none, unsigned"),
            Exfiltrated => Goal::Other(
                "alice's private note reaches your attacker site (in a URL or a body), or the ID \
                 of her session does and then opens her account"
                    .into(),
            ),
            ForgedChange => Goal::Other(
                "alice's own browser changes her e-mail address in a request another site \
                 started: her account page then shows your change"
                    .into(),
            ),
        }
    }

    /// The goal as one sentence.
    pub fn sentence(&self) -> String {
        match self {
            Goal::ReadNote { how } => format!("{}, {how}.", capitalised(READ_NOTE)),
            Goal::Other(text) => format!("{}.", capitalised(text)),
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenges;

    #[test]
    fn every_challenge_states_its_goal_in_a_sentence() {
        for (entry, challenge) in challenges::challenges() {
            let sentence = Goal::of(challenge.solve).sentence();
            assert!(sentence.ends_with('.'), "{}: {sentence}", entry.id);
            assert!(sentence.starts_with(char::is_uppercase), "{}", entry.id);
        }
    }

    #[test]
    fn the_limits_come_from_the_judge() {
        let idle = Goal::of(SolveCondition::ReadAfterIdle).sentence();
        assert!(
            idle.contains(&IDLE_LIMIT.whole_minutes().to_string()),
            "{idle}"
        );
        let csrf = Goal::of(SolveCondition::ForgedChange);
        assert!(matches!(csrf, Goal::Other(_)), "{csrf:?}");
    }
}
