//! `--with` and `--without`: defenses put onto or taken off a built-in profile.

use sessionlab_app::{Defense, Profile, ProfileName};

use crate::lab::builtin_profiles;

/// The demo's three columns with the user's toggles: `without` comes off the
/// hardened profile, `with` goes onto the insecure one, tutorial stays the
/// seed's code.
pub fn toggled_profiles(without: &[Defense], with: &[Defense]) -> Vec<Profile> {
    builtin_profiles()
        .into_iter()
        .map(|profile| match profile.name {
            ProfileName::Hardened => without.iter().fold(profile, |p, &d| p.without(d)),
            ProfileName::Insecure => with.iter().fold(profile, |p, &d| p.with(d)),
            ProfileName::Tutorial => profile,
        })
        .collect()
}

/// A profile with the user's `--with` / `--without` applied (`serve`, `attack --profile`).
pub fn toggled(name: ProfileName, without: &[Defense], with: &[Defense]) -> Profile {
    let profile = with.iter().fold(Profile::new(name), |p, &d| p.with(d));
    without.iter().fold(profile, |p, &d| p.without(d))
}

/// A defense named in both `--with` and `--without`: a usage error, with a message.
pub fn contradictory_toggles(without: &[Defense], with: &[Defense]) -> Option<String> {
    with.iter().find(|d| without.contains(d)).map(|d| {
        format!("--with {d} and --without {d} contradict each other; name each defense once")
    })
}

/// The defenses that make a profile's session cookie one no browser keeps:
/// a `Secure` or `__Host-` cookie set over plain HTTP is refused, so nobody
/// can log in and every scenario against the profile ends in error. Empty
/// for a usable profile. The claim check ([`crate::claims`]) and the
/// warning below both rely on it.
pub fn unusable_cookie(profile: &Profile) -> Vec<Defense> {
    if profile.has(Defense::Tls) {
        return Vec::new();
    }
    [Defense::SecureCookie, Defense::HostPrefix]
        .into_iter()
        .filter(|&d| profile.has(d))
        .collect()
}

/// A warning for a profile whose session cookie no browser will keep
/// (`serve --profile hardened --without tls`). Such a profile is a
/// legitimate experiment (the ablation runs it), but a person at a browser
/// should know before wondering why the login form "does nothing".
pub fn unusable_cookie_warning(profile: &Profile) -> Option<String> {
    let reasons: Vec<&str> = unusable_cookie(profile)
        .into_iter()
        .map(Defense::id)
        .collect();
    if reasons.is_empty() {
        return None;
    }
    Some(format!(
        "{} has {} but not tls: browsers refuse its session cookie over plain HTTP, \
         so nobody can log in (every scenario against it ends in error); \
         keep tls on, or take {} off as well",
        profile.label(),
        reasons.join(" and "),
        reasons.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secure_cookie_without_tls_is_warned_about() {
        let hardened = Profile::new(ProfileName::Hardened);
        assert_eq!(unusable_cookie_warning(&hardened), None);
        let warning =
            unusable_cookie_warning(&hardened.clone().without(Defense::Tls)).expect("a warning");
        assert!(
            warning.contains("secure-cookie and host-prefix"),
            "{warning}"
        );
        assert!(warning.contains("nobody can log in"), "{warning}");
        let plain = hardened
            .without(Defense::Tls)
            .without(Defense::SecureCookie)
            .without(Defense::HostPrefix);
        assert_eq!(unusable_cookie_warning(&plain), None);
        assert_eq!(
            unusable_cookie_warning(&Profile::new(ProfileName::Insecure)),
            None
        );
    }
}
