//! Which host name is whose: the hub, each student's app (its two
//! instances), and the two hosts of each student's attacker site, all on one
//! port.
//!
//! With the domain `localhost` (the default), for a student `ann`:
//!
//! | host | what | site (scheme-less) |
//! |---|---|---|
//! | `localhost` | the hub: sign-in, challenges, scoreboard, instructor | `localhost` |
//! | `app.ann.localhost` | ann's app (its first instance; alice's way in) | `ann.localhost` |
//! | `app2.ann.localhost` | the second instance of ann's app, over the same store | `ann.localhost`: same site |
//! | `evil.ann.localhost` | ann's attacker site, a sibling of her app | `ann.localhost`: same site |
//! | `ann.attacker.localhost` | ann's attacker site on another site | `attacker.localhost`: cross-site |
//!
//! Browsers treat `localhost` as a top-level name (no public-suffix entry,
//! so the default rule makes the last label the suffix): `ann.localhost` is
//! a registrable domain, `app.ann.localhost`, `app2.ann.localhost` and
//! `evil.ann.localhost` are the same site, and `ann.attacker.localhost` is
//! another. The app's session cookie is host-only (no `Domain`), so a browser
//! that signed in on one instance's name does not send it to the other's:
//! the student replays a copy by hand (`cross-instance-logout`), and alice
//! reaches both instances through one name (`lab.rs`, [`Balancer`]). Two
//! students' apps (`ann.localhost`, `bob.localhost`) are different sites, so
//! one student's sibling host cannot toss a cookie into another's app. See
//! `docs/classroom.md` for what Chromium and Firefox do with these names.
//!
//! [`Balancer`]: crate::lab::Balancer

use sessionlab_app::observer::Instance;

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

/// What a request's `Host` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Hub,
    /// A student's app: which instance of it.
    App(String, Instance),
    /// The attacker site; `true` on the sibling host.
    Attacker(String, bool),
    Unknown,
}

/// The host names of one class.
#[derive(Debug, Clone)]
pub struct Hosts {
    pub domain: String,
    pub port: u16,
}

impl Hosts {
    pub fn hub(&self) -> String {
        self.domain.clone()
    }
    pub fn app(&self, name: &str) -> String {
        format!("app.{name}.{}", self.domain)
    }
    /// The second instance of the student's app.
    pub fn second_app(&self, name: &str) -> String {
        format!("app2.{name}.{}", self.domain)
    }
    pub fn sibling(&self, name: &str) -> String {
        format!("evil.{name}.{}", self.domain)
    }
    pub fn cross_site(&self, name: &str) -> String {
        format!("{name}.attacker.{}", self.domain)
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
        match labels.as_slice() {
            ["app", name] if valid_name(name).is_ok() => {
                Place::App((*name).to_owned(), Instance::First)
            }
            ["app2", name] if valid_name(name).is_ok() => {
                Place::App((*name).to_owned(), Instance::Second)
            }
            ["evil", name] if valid_name(name).is_ok() => Place::Attacker((*name).to_owned(), true),
            [name, "attacker"] if valid_name(name).is_ok() => {
                Place::Attacker((*name).to_owned(), false)
            }
            _ => Place::Unknown,
        }
    }

    /// Whether `url` is on one of this student's lab hosts and this port:
    /// the only places the victim bot goes.
    pub fn is_lab_url(&self, name: &str, url: &url::Url) -> bool {
        url.scheme() == "http"
            && url.port_or_known_default() == Some(self.port)
            && url.host_str().is_some_and(|h| {
                [
                    self.app(name),
                    self.second_app(name),
                    self.sibling(name),
                    self.cross_site(name),
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

    #[test]
    fn hosts_name_their_places() {
        let hosts = Hosts {
            domain: "localhost".into(),
            port: 8080,
        };
        assert_eq!(hosts.place("localhost:8080"), Place::Hub);
        assert_eq!(
            hosts.place("app.ann.localhost:8080"),
            Place::App("ann".into(), Instance::First)
        );
        assert_eq!(
            hosts.place("APP2.ann.localhost:8080"),
            Place::App("ann".into(), Instance::Second)
        );
        assert_eq!(hosts.place("app3.ann.localhost"), Place::Unknown);
        assert_eq!(
            hosts.place("evil.ann.localhost"),
            Place::Attacker("ann".into(), true)
        );
        assert_eq!(
            hosts.place("ann.attacker.localhost:8080"),
            Place::Attacker("ann".into(), false)
        );
        assert_eq!(hosts.place("app.ann.example:8080"), Place::Unknown);
        assert_eq!(hosts.place("x.app.ann.localhost"), Place::Unknown);
        assert_eq!(hosts.place("app.APP.localhost"), Place::Unknown);
        assert!(valid_name("attacker").is_err());
        assert!(valid_name("app2").is_err());
        let lab_url = |u: &str| hosts.is_lab_url("ann", &url::Url::parse(u).unwrap());
        assert!(lab_url("http://app2.ann.localhost:8080/account"));
        assert!(!lab_url("http://app2.bea.localhost:8080/account"));
        assert!(!lab_url("http://app2.ann.localhost:8081/account"));
        assert!(valid_name("-x").is_err());
        assert!(valid_name("ann-2").is_ok());
    }
}
