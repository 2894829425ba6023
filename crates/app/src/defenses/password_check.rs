//! `password-check`: login verifies the password against an argon2id hash.
//!
//! **What it does.** `POST /login` signs a user in only when the posted
//! password matches the account's argon2id hash (`users.rs`,
//! `check_password`, on a blocking thread; an unknown username is checked
//! against a decoy hash, so it takes as long as a known one).
//!
//! **Why it matters.** A session is only worth what the login that created it
//! proved. If the login does not look at the password, a session "as alice"
//! proves nothing, and every other session defense guards an open door.
//!
//! **The weakness when off.** The seed article's login: `req.session.username
//! = username`, under the comment "validate your username and password here",
//! and the password is never read. Here a posted username that names an
//! account is signed in whatever the password. An unknown username is still
//! refused: the seed has no user records, so any name is "a user" there,
//! but this app's pages (the private note, the e-mail address) exist only for
//! real accounts, and a session for nobody would open nothing.
//!
//! CWE-287 · ASVS 4.0.3 1.2.3 (and 2.4.1 for the hash) · ASVS 5.0.0 11.4.2 · WSTG-ATHN-04

use crate::users::UserDirectory;
use crate::{Defense, Profile};

/// The username to sign in, if the login form's fields allow it.
pub(crate) async fn check_login(
    users: &UserDirectory,
    profile: &Profile,
    username: &str,
    password: &str,
) -> Option<String> {
    if profile.has(Defense::PasswordCheck) {
        users.check_password(username, password).await
    } else {
        // Weakness: the password is never looked at.
        users.knows(username).then(|| username.to_owned())
    }
}
