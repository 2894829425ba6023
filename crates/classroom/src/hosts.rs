//! Which host name is whose: the hub, each student's app (its two
//! instances), and the two hosts of each student's attacker site, all on one
//! port.
//!
//! A lab's hosts carry its **label**, `NAME-SECRET` ([`LabLabel`]): the
//! student's name and the seat's host secret, random letters and digits
//! that only the student's own pages show. Without the secret no request
//! reaches the lab, so no other student can solve or spoil it (see
//! "Isolation" in `docs/classroom.md`). With the domain `localhost` (the
//! default), for a student `ann` whose label is `ann-7f3kq2xwm`:
//!
//! | host | what | site (scheme-less) |
//! |---|---|---|
//! | `localhost` | the hub: sign-in, challenges, scoreboard, instructor | `localhost` |
//! | `app.ann-7f3kq2xwm.localhost` | ann's app (its first instance; alice's way in) | `ann-7f3kq2xwm.localhost` |
//! | `app2.ann-7f3kq2xwm.localhost` | the second instance of ann's app, over the same store | same site |
//! | `evil.ann-7f3kq2xwm.localhost` | ann's attacker site, a sibling of her app | same site |
//! | `ann-7f3kq2xwm.attacker.localhost` | ann's attacker site on another site | `attacker.localhost`: cross-site |
//!
//! Browsers treat `localhost` as a top-level name (no public-suffix entry,
//! so the default rule makes the last label the suffix): `LABEL.localhost`
//! is a registrable domain, `app.LABEL.localhost`, `app2.LABEL.localhost`
//! and `evil.LABEL.localhost` are the same site, and
//! `LABEL.attacker.localhost` is another. The app's session cookie is host-only (no `Domain`), so a browser
//! that signed in on one instance's name does not send it to the other's:
//! the student replays a copy by hand (`cross-instance-logout`), and alice
//! reaches both instances through one name (`lab.rs`, [`Balancer`]). Two
//! students' apps (`ann-....localhost`, `bob-....localhost`) are different sites, so
//! one student's sibling host cannot toss a cookie into another's app. See
//! `docs/classroom.md` for what Chromium and Firefox do with these names.
//!
//! [`Balancer`]: crate::lab::Balancer

use std::fmt;

use sessionlab_app::observer::Instance;
use subtle::ConstantTimeEq;

/// Names a student may not take: they would collide with the lab's own labels.
pub const RESERVED: &[&str] = &[
    "app",
    "app2",
    "evil",
    "attacker",
    "www",
    "class",
    "instructor",
    "localhost",
];
/// The longest student name.
pub const MAX_NAME_CHARS: usize = 20;

/// Characters in a seat's host secret: 9 of a 31-letter alphabet, about
/// 44.6 random bits: at 100,000 guesses a second, about four years on
/// average to find one seat's (docs/classroom.md, "Isolation").
pub const HOST_SECRET_CHARS: usize = 9;
/// The longest DNS label.
pub const MAX_DNS_LABEL: usize = 63;
// The longest name, `-` and the secret still make one DNS label.
const _: () = assert!(MAX_NAME_CHARS + 1 + HOST_SECRET_CHARS <= MAX_DNS_LABEL);

/// A lab's label in its host names, `NAME-SECRET`: the student's name
/// (which may hold `-`) and the seat's host secret (which holds none, so
/// the label splits at its last `-`). The secret is what authorizes a
/// request to the lab, not the name anyone can read off the projector
/// (CWE-639, authorization by a key the user controls; ASVS V4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabLabel {
    pub name: String,
    pub secret: String,
}

impl LabLabel {
    /// The label of `name`'s lab with `secret`.
    pub fn new(name: &str, secret: &str) -> Self {
        Self {
            name: name.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// Reads a host's label: `None` unless it is a valid name, `-`, and a
    /// well-formed secret (a bare name, `app.ann.localhost`, is no lab's).
    pub fn parse(label: &str) -> Option<Self> {
        let (name, secret) = label.rsplit_once('-')?;
        let well_formed = secret.len() == HOST_SECRET_CHARS
            && secret
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        (well_formed && valid_name(name).is_ok()).then(|| Self::new(name, secret))
    }

    /// Whether this label carries the seat's `secret`. Compared in constant
    /// time: a comparison that stopped at the first wrong character would
    /// tell a patient guesser, by its timing, how much of a guess was right.
    pub fn carries(&self, secret: &str) -> bool {
        bool::from(self.secret.as_bytes().ct_eq(secret.as_bytes()))
    }
}

impl fmt::Display for LabLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.secret)
    }
}

/// What a request's `Host` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Hub,
    /// A student's app (by the label its host carries): which instance of it.
    App(LabLabel, Instance),
    /// The attacker site (by its label); `true` on the sibling host.
    Attacker(LabLabel, bool),
    Unknown,
}

/// The host names of one class.
#[derive(Debug, Clone)]
pub struct Hosts {
    pub domain: String,
    pub port: u16,
}

/// The host methods take a lab's label (`NAME-SECRET`, [`LabLabel`]'s
/// `Display`; `StudentLab::label`), never a bare name.
impl Hosts {
    pub fn hub(&self) -> String {
        self.domain.clone()
    }
    pub fn app(&self, label: &str) -> String {
        format!("app.{label}.{}", self.domain)
    }
    /// The second instance of the student's app.
    pub fn second_app(&self, label: &str) -> String {
        format!("app2.{label}.{}", self.domain)
    }
    pub fn sibling(&self, label: &str) -> String {
        format!("evil.{label}.{}", self.domain)
    }
    pub fn cross_site(&self, label: &str) -> String {
        format!("{label}.attacker.{}", self.domain)
    }
    /// `http://HOST:PORT` of a host.
    pub fn origin(&self, host: &str) -> String {
        format!("http://{host}:{}", self.port)
    }

    /// Where a `Host` header (port included or not) points.
    pub fn place(&self, host_header: &str) -> Place {
        let host = host_header
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host_header, |(host, _)| host)
            .to_ascii_lowercase();
        if host == self.domain || host == "127.0.0.1" || host == "[::1]" {
            return Place::Hub;
        }
        let Some(rest) = host.strip_suffix(&format!(".{}", self.domain)) else {
            return Place::Unknown;
        };
        let labels: Vec<&str> = rest.split('.').collect();
        let lab = |label: &str| LabLabel::parse(label);
        match labels.as_slice() {
            ["app", label] => lab(label).map_or(Place::Unknown, |l| Place::App(l, Instance::First)),
            ["app2", label] => {
                lab(label).map_or(Place::Unknown, |l| Place::App(l, Instance::Second))
            }
            ["evil", label] => lab(label).map_or(Place::Unknown, |l| Place::Attacker(l, true)),
            [label, "attacker"] => lab(label).map_or(Place::Unknown, |l| Place::Attacker(l, false)),
            _ => Place::Unknown,
        }
    }

    /// Whether `url` is on one of the hosts of the lab labelled `label` and
    /// this port: the only places the victim bot goes.
    pub fn is_lab_url(&self, label: &str, url: &url::Url) -> bool {
        url.scheme() == "http"
            && url.port_or_known_default() == Some(self.port)
            && url.host_str().is_some_and(|h| {
                [
                    self.app(label),
                    self.second_app(label),
                    self.sibling(label),
                    self.cross_site(label),
                ]
                .contains(&h.to_owned())
            })
    }
}

/// A student name: 1 to 20 of `a-z`, `0-9`, `-`, not starting or ending with `-`, not reserved.
pub fn valid_name(name: &str) -> Result<(), String> {
    let well_formed = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !well_formed {
        return Err(format!(
            "a name is 1 to {MAX_NAME_CHARS} lower-case letters, digits or '-' (it becomes part of host names)"
        ));
    }
    if RESERVED.contains(&name) {
        return Err(format!(
            "{name:?} is taken by the lab itself; pick another name"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "7f3kq2xwm";

    fn hosts() -> Hosts {
        Hosts {
            domain: "localhost".into(),
            port: 8080,
        }
    }

    fn ann() -> LabLabel {
        LabLabel::new("ann", SECRET)
    }

    #[test]
    fn hosts_name_their_places() {
        let hosts = hosts();
        assert_eq!(SECRET.len(), HOST_SECRET_CHARS);
        assert_eq!(hosts.place("localhost:8080"), Place::Hub);
        assert_eq!(
            hosts.place(&format!("app.ann-{SECRET}.localhost:8080")),
            Place::App(ann(), Instance::First)
        );
        assert_eq!(
            hosts.place(&format!("APP2.ann-{SECRET}.localhost:8080")),
            Place::App(ann(), Instance::Second)
        );
        assert_eq!(
            hosts.place(&format!("app3.ann-{SECRET}.localhost")),
            Place::Unknown
        );
        assert_eq!(
            hosts.place(&format!("evil.ann-{SECRET}.localhost")),
            Place::Attacker(ann(), true)
        );
        assert_eq!(
            hosts.place(&format!("ann-{SECRET}.attacker.localhost:8080")),
            Place::Attacker(ann(), false)
        );
        assert_eq!(
            hosts.place(&format!("app.ann-{SECRET}.example:8080")),
            Place::Unknown
        );
        assert_eq!(
            hosts.place(&format!("x.app.ann-{SECRET}.localhost")),
            Place::Unknown
        );
        assert!(valid_name("attacker").is_err());
        assert!(valid_name("app2").is_err());
        assert!(valid_name("-x").is_err());
        assert!(valid_name("ann-2").is_ok());
    }

    #[test]
    fn a_lab_host_needs_a_well_formed_secret() {
        let hosts = hosts();
        // The bare name of the hosts before seat secrets: no lab's.
        assert_eq!(hosts.place("app.ann.localhost"), Place::Unknown);
        assert_eq!(hosts.place("ann.attacker.localhost"), Place::Unknown);
        assert_eq!(hosts.place("app.ann-.localhost"), Place::Unknown);
        let short = &SECRET[1..];
        assert_eq!(
            hosts.place(&format!("app.ann-{short}.localhost")),
            Place::Unknown
        );
        // A name with '-' splits at the last one.
        assert_eq!(
            hosts.place(&format!("app.ann-2-{SECRET}.localhost")),
            Place::App(LabLabel::new("ann-2", SECRET), Instance::First)
        );
        assert_eq!(ann().to_string(), format!("ann-{SECRET}"));
        assert!(ann().carries(SECRET));
        assert!(!ann().carries(&SECRET.replace('7', "8")));
        assert!(!ann().carries(""));
    }

    #[test]
    fn the_bot_goes_only_to_its_own_labs_hosts() {
        let hosts = hosts();
        let label = ann().to_string();
        let lab_url = |u: &str| hosts.is_lab_url(&label, &url::Url::parse(u).unwrap());
        assert!(lab_url(&format!(
            "http://app2.{label}.localhost:8080/account"
        )));
        assert!(!lab_url("http://app2.ann.localhost:8080/account"));
        assert!(!lab_url(&format!(
            "http://app2.bea-{SECRET}.localhost:8080/account"
        )));
        assert!(!lab_url(&format!(
            "http://app2.{label}.localhost:8081/account"
        )));
    }
}
