//! `sessionlab class`: the hands-on class server (`crates/classroom`), its
//! command line and its start-up banner.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sessionlab_app::{Defense, ProfileName};
use sessionlab_classroom::class::{EXPOSED_WARNING, NEED_TLS};
use sessionlab_classroom::{BotBrowser, ClassConfig, challenges};

/// The environment variable that carries the instructor's key.
pub const INSTRUCTOR_KEY_VARIABLE: &str = "SESSIONLAB_INSTRUCTOR_KEY";

/// Which browser the victim bot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VictimBrowserArg {
    /// Real Chromium when a visit renders a page a student wrote (a guestbook
    /// with entries, the attacker's page) and Chromium is installed; simulated otherwise.
    Auto,
    /// Always the lab's simulated browser (no payload but the lab's own two programs runs).
    Sim,
    /// Always real Chromium (Debian package `chromium`).
    Chromium,
}

#[derive(Debug, clap::Args)]
pub struct ClassArgs {
    /// The profile every student's lab runs (the difficulty: see docs/classroom.md).
    #[arg(long, default_value = "insecure", value_name = "PROFILE")]
    pub profile: ProfileName,
    /// Take this defense off the profile (repeatable or comma-separated): "hardened minus one defense".
    #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
    pub without: Vec<Defense>,
    /// Put this defense on the profile (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
    pub with: Vec<Defense>,
    /// The one port of the whole class (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    pub addr: SocketAddr,
    /// Allow the class to listen beyond loopback (every page then says so).
    #[arg(long)]
    pub expose_vulnerable_app: bool,
    /// The domain the lab's host names end in (app.NAME-SECRET.DOMAIN, ...).
    #[arg(long, default_value = "localhost", value_name = "DOMAIN")]
    pub domain: String,
    /// alice's browser.
    #[arg(long, value_enum, default_value_t = VictimBrowserArg::Auto)]
    pub victim_browser: VictimBrowserArg,
    /// Minutes between alice's visits to each lab on her own (0: only when a student sends her).
    #[arg(long, default_value_t = 5, value_name = "MINUTES",
          value_parser = clap::value_parser!(u64).range(0..=1440))]
    pub alice_every: u64,
    /// Only codes issued on the instructor's page open new labs (a name alone is refused).
    #[arg(long)]
    pub require_code: bool,
    /// Run as one of several instances of one class, sharing the roster
    /// (seats, sign-ins, codes, progress) through this Redis; each lab runs on
    /// the instance that opened it, and the others forward to it (docs/deploy.md).
    #[arg(long, value_name = "redis://HOST:PORT[/DB]")]
    pub share: Option<sessionlab_app::StoreChoice>,
    /// With --share: the address the other instances reach this one at (default: --addr).
    #[arg(long, value_name = "IP:PORT", requires = "share")]
    pub peer_addr: Option<SocketAddr>,
    /// The port in the class's links when students come through a load balancer on another port than --addr's.
    #[arg(long, value_name = "PORT")]
    pub public_port: Option<u16>,
    /// Read the instructor's key from this file (or set SESSIONLAB_INSTRUCTOR_KEY);
    /// without either, a key is made and printed once.
    #[arg(long, value_name = "PATH")]
    pub instructor_key_file: Option<PathBuf>,
}

/// The instructor's key, and whether it was made here (then it is printed).
fn instructor_key(file: Option<&std::path::Path>) -> Result<(String, bool), String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            format!(
                "cannot read the instructor key file {}: {e}",
                file.display()
            )
        })?;
        let key = text.trim().to_owned();
        if key.len() < 12 {
            return Err(format!(
                "{}: the instructor key needs at least 12 characters",
                file.display()
            ));
        }
        return Ok((key, false));
    }
    match std::env::var(INSTRUCTOR_KEY_VARIABLE) {
        Ok(key) if key.trim().len() >= 12 => Ok((key.trim().to_owned(), false)),
        Ok(_) => Err(format!(
            "{INSTRUCTOR_KEY_VARIABLE} needs at least 12 characters"
        )),
        Err(_) => Ok((sessionlab_classroom::random_token(), true)),
    }
}

/// Runs the class until Ctrl-C. Exit 2 for a usage error, 1 when it cannot start.
pub async fn run(args: ClassArgs, quiet: bool) -> ExitCode {
    if let Some(d) = args.with.iter().find(|d| args.without.contains(d)) {
        return fail(
            2,
            &format!("--with {d} and --without {d} contradict each other; name each defense once"),
        );
    }
    let (key, made_here) = match instructor_key(args.instructor_key_file.as_deref()) {
        Ok(key) => key,
        Err(e) => return fail(2, &e),
    };
    let shared = match &args.share {
        None => None,
        Some(choice) if matches!(choice.kind, sessionlab_app::StoreKind::Redis { .. }) => {
            Some(choice.to_string())
        }
        Some(choice) => {
            return fail(
                2,
                &format!(
                    "--share {choice}: instances share a class through Redis only (redis://HOST:PORT[/DB])"
                ),
            );
        }
    };
    let profile = sessionlab_harness::toggles::toggled(args.profile, &args.without, &args.with);
    let dropped: Vec<&str> = NEED_TLS
        .iter()
        .filter(|d| profile.has(**d))
        .map(|d| d.id())
        .collect();
    let config = ClassConfig {
        profile,
        addr: args.addr,
        domain: args.domain.to_ascii_lowercase(),
        exposed: args.expose_vulnerable_app,
        victim_browser: match args.victim_browser {
            VictimBrowserArg::Auto => BotBrowser::Auto,
            VictimBrowserArg::Sim => BotBrowser::Sim,
            VictimBrowserArg::Chromium => BotBrowser::Chromium,
        },
        instructor_key: key.clone(),
        alice_every: (args.alice_every > 0).then(|| Duration::from_secs(args.alice_every * 60)),
        require_code: args.require_code,
        shared,
        peer_addr: args.peer_addr,
        public_port: args.public_port,
        visit_timeout: sessionlab_classroom::bot::VISIT_TIMEOUT,
    };
    if config.victim_browser == BotBrowser::Chromium
        && sessionlab_chromium::find_chromium().is_none()
    {
        return fail(3, &sessionlab_chromium::ChromiumError::Missing.to_string());
    }
    let running = match sessionlab_classroom::start(config).await {
        Ok(running) => running,
        Err(
            e @ (sessionlab_classroom::StartError::RefusedAddress(_)
            | sessionlab_classroom::StartError::NoPeerAddress(_)),
        ) => {
            return fail(2, &e.to_string());
        }
        Err(e) => return fail(1, &e.to_string()),
    };
    let ctrl_c = sessionlab_harness::ctrl_c::ctrl_c_armed();
    let class = &running.class;
    crate::outln!("sessionlab class: {}", class.config.profile.label());
    crate::outln!("  hub        {}", running.hub_url());
    crate::outln!(
        "  a student  app.LABEL.{d} (and app2.LABEL.{d}), evil.LABEL.{d}, LABEL.attacker.{d} (port {}),\n             \
         LABEL being NAME-SECRET: the seat's secret is shown on its own lab page only",
        class.hosts.port,
        d = class.hosts.domain
    );
    if let Some(url) = &class.config.shared {
        crate::outln!(
            "  shared     roster in {url}; this instance is {} (labs opened here run here)",
            class.me
        );
    }
    if !dropped.is_empty() {
        crate::outln!(
            "  without    {} (the class serves plain HTTP on one port; these need TLS)",
            dropped.join(", ")
        );
    }
    let count = challenges::challenges().count();
    crate::outln!(
        "  challenges {count} of {} scenarios",
        challenges::all().len()
    );
    for entry in challenges::all() {
        if let Some(why) = entry.why_not() {
            crate::outln!("             {}: {why}", entry.id);
        }
    }
    if made_here {
        crate::outln!(
            "  instructor key {key}  (made now; set {INSTRUCTOR_KEY_VARIABLE} or --instructor-key-file to choose one)"
        );
    } else {
        crate::outln!("  instructor key the one you gave");
    }
    if class.config.exposed {
        eprintln!("{EXPOSED_WARNING}");
    }
    if !quiet {
        crate::outln!("Ctrl-C stops the class.");
    }
    let _ = ctrl_c.await;
    running.shutdown().await;
    ExitCode::SUCCESS
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}
