//! `hijack-sniff`: an on-path observer reads the session cookie off the wire.
//!
//! Every connection of the victim's browser to the app goes through a relay
//! that records what crosses it. The victim logs in at the app's normal
//! address, then follows an old `http://` link. Plain HTTP is readable; TLS is
//! not; HSTS upgrades the link before it leaves; a Secure cookie is never put
//! on a plain-HTTP request in the first place.

use crate::actors::{judge, log_in, read_own_note, replay_signed_session, short, signature_cookie};
use crate::lab::{APP_HOST, RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::relay::SniffingRelay;
use crate::victim::Drive;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let relay = SniffingRelay::start(ctx.target.addr)
        .await
        .map_err(|e| RunError::Lab(format!("could not start the observer's relay: {e}")))?;
    let mut victim = ctx.victim_browser("victim");
    // The observer sits on the victim's path: app.lab.test now leads through the relay.
    victim
        .network_mut()
        .route(APP_HOST, ctx.target.addr.port(), relay.addr());

    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!(
            "{} logged in at {} and opened her account",
            ctx.victim.username,
            ctx.app_url("/")
        ),
        "saw her private note",
    );

    let old_link = ctx
        .target
        .app_url_with_scheme("http", ctx.target.proof_path());
    let landed = victim.open(&old_link).await?;
    let first = victim
        .exchanges()
        .iter()
        .rev()
        .find(|x| x.upgraded_from.is_some() || x.url == old_link);
    let what_left = match first {
        Some(x) if x.upgraded_from.is_some() => {
            "HSTS, remembered from the app's answers over its trusted certificate, upgraded it to https:// before it left".to_string()
        }
        Some(x)
            if x.request_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie")) =>
        {
            "it went out over plain HTTP with the session cookie".to_string()
        }
        Some(_) => "it went out over plain HTTP without the session cookie (Secure)".to_string(),
        None => "it went out".to_string(),
    };
    let followed = ctx.step(
        Actor::Victim,
        format!("followed an old link {old_link} from an e-mail"),
        format!("{what_left}; landed on {} ({})", landed.url, landed.status),
    );

    let connections = relay.connections();
    let tls = connections.iter().filter(|c| c.is_tls()).count();
    let plain = connections.len() - tls;
    let cookie_headers: Vec<String> = connections
        .iter()
        .flat_map(|c| c.cookie_headers())
        .collect();
    let password_seen = connections.iter().any(|c| c.shows_password());
    let pairs: Vec<(String, String)> = cookie_headers
        .iter()
        .flat_map(|h| {
            h.split(';')
                .filter_map(|p| {
                    let (name, value) = p.trim().split_once('=')?;
                    Some((name.to_string(), value.to_string()))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let captured_as = |wanted: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(name, _)| name == wanted)
            .map(|(_, value)| value.clone())
            .collect()
    };
    let captured = captured_as(&ctx.target.session_cookie);
    // A signed cookie's companion crosses in the same header.
    let signature = captured_as(&signature_cookie(&ctx.target.session_cookie))
        .last()
        .cloned();
    let mut seen = format!(
        "{} connection(s): {tls} TLS (the hostname readable in its ClientHello, SNI; the HTTP inside encrypted), {plain} plain HTTP",
        connections.len()
    );
    if password_seen {
        seen.push_str("; the login password crossed in plaintext");
    }
    match captured.last() {
        Some(id) => seen.push_str(&format!("; session cookie in plaintext: {}", short(id))),
        None => seen.push_str("; no session cookie in any plaintext"),
    }
    ctx.step(
        Actor::Observer,
        "read everything that crossed the relay",
        &seen,
    );

    let Some(stolen) = captured.last() else {
        return Ok(Verdict::blocked(
            format!("the old http:// link: {what_left}; the observer saw {seen}"),
            followed,
        ));
    };
    let account = ctx.proof_url();
    let probe = replay_signed_session(ctx, stolen, signature.as_deref(), account).await?;
    Ok(judge(
        ctx,
        "replayed the sniffed session cookie",
        &probe,
        &note,
        "the observer read the session cookie in plaintext",
        "replayed, it",
    ))
}
