//! What `sessionlab demo --serve` says while it keeps fresh apps up for a
//! browser. Starting the apps, the matrix and the Ctrl-C lifecycle are the
//! harness's (`sessionlab_harness::{lab, batch, ctrl_c}`); this is the text.

use std::io::Write;

use colored::Colorize;

use sessionlab_harness::LabProfile;
use sessionlab_harness::ctrl_c::{ctrl_c_armed, serve_until};

/// `demo --serve`: keeps `lab`'s apps (fresh ones, not the matrix's) running
/// for a browser, says where they are and how to log in, and stops them
/// cleanly at Ctrl-C.
pub async fn serve_until_ctrl_c(lab: Vec<LabProfile>, out: &mut dyn Write, quiet: bool) {
    let ctrl_c = ctrl_c_armed();
    let width = lab
        .iter()
        .map(|p| p.target.profile.len())
        .max()
        .unwrap_or(0);
    // Write errors (a closed pipe) must not keep the apps from stopping.
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    if !quiet {
        say(format!(
            "\n{} {}",
            "Fresh apps for your browser:".bold(),
            "(the same profiles; the matrix ran against its own)".dimmed()
        ));
    }
    for p in &lab {
        say(format!(
            "  {:<width$}  {}",
            p.target.profile,
            p.server.url()
        ));
        if let Some(spki) = p.server.certificate_spki_sha256().filter(|_| !quiet) {
            say(format!("  {:<width$}  {}", "", trust_hint(spki)));
        }
        if let Some(key) = p.server.lab_clock_key() {
            say(format!(
                "  {:<width$}  lab clock key {key}  (for sessionlab attack --target {}: in SESSIONLAB_CLOCK_KEY)",
                "",
                p.server.url()
            ));
        }
    }
    if !quiet {
        if let Some(first) = lab.first() {
            let accounts: Vec<String> = first
                .server
                .accounts
                .iter()
                .map(|a| format!("{} / {}", a.username, a.password))
                .collect();
            say(format!("  {:<width$}  {}", "accounts", accounts.join(", ")));
        }
        say(String::new());
        say(
            "By hand: log in to the insecure app as alice, post \
             <script>alert(document.cookie)</script> to its guestbook and watch it run; \
             then try the same on hardened. `sessionlab lesson <scenario>` shows each attack step by step."
                .into(),
        );
        say("Ctrl-C stops the apps.".into());
    }
    // Said before the wait ends, so it is said before the apps stop.
    let stopping = async {
        let _ = ctrl_c.await;
        if !quiet {
            say("Stopping the apps.".into());
        }
    };
    serve_until(stopping, lab).await;
}

/// How to trust a TLS app's self-signed certificate in a real browser, and
/// why not to click through the warning instead.
pub fn trust_hint(spki_sha256: &str) -> String {
    format!(
        "self-signed: trust it, don't click through the warning (that silently turns HSTS off): \
         chromium --ignore-certificate-errors-spki-list={spki_sha256}"
    )
}
