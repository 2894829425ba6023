//! `sessionlab`: the command line of the lab.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use clap::builder::TypedValueParser;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use colored::Colorize;
use indicatif::{ProgressBar, ProgressStyle};
use sessionlab::report::{self, Format, ListFormat};
use sessionlab::{demo, out, outln};
use sessionlab_app::clock_control::LabClockKey;
use sessionlab_app::{Defense, Limits, Profile, ProfileName, ServeOptions, StoreChoice};
use sessionlab_attack::BrowserKind;
use sessionlab_attack::lab::HttpClockControl;
use sessionlab_attack::{
    Credentials, RunResult, Target, TargetError, catalog, run_scenarios, select,
};
use sessionlab_harness::{self as harness, OnResult, ablation, toggles};

/// Exit code when the command line was wrong (clap uses it too).
const EXIT_USAGE: u8 = 2;
/// Exit code when the target could not be reached or is not a sessionlab app.
const EXIT_UNREACHABLE: u8 = 3;
/// Exit code for any other failure (a port that cannot be bound, ...).
const EXIT_FAILURE: u8 = 1;

#[derive(Parser)]
#[command(
    name = "sessionlab",
    version,
    about = "Attack-versus-defense lab for web session management",
    long_about = long_about(),
    after_help = "Start here:\n  sessionlab demo                      every scenario against every profile\n  \
        sessionlab list                      the scenarios, in teaching order\n  \
        sessionlab lesson hijack-xss         one attack, step by step, with its HTTP\n  \
        sessionlab serve --profile insecure  a target to attack by hand or with `attack`\n  \
        sessionlab ablate                    which defense stops which attack\n\n\
        Exit codes: 0 the run completed (whatever the outcomes), 2 usage error,\n\
        3 target unreachable or not a sessionlab app, 1 other failure."
)]
struct Cli {
    /// When to colour output; NO_COLOR in the environment also turns it off.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Print only the result: no progress bar, no banners, no hints.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Plain ASCII output: no box drawing, arrows or check marks (screen readers, logs).
    /// TERM=dumb implies it, and no colour.
    #[arg(long, global = true)]
    ascii: bool,
    #[command(subcommand)]
    command: Command,
}

/// The long `--help` text; the number of attacks comes from the catalog.
fn long_about() -> String {
    format!(
        "Attack-versus-defense lab for web session management.\n\n\
         A target app runs as an insecure, a tutorial or a hardened profile; an attacker\n\
         with a simulated victim replays {} session attacks against it (hijacking, fixation,\n\
         reuse after logout, timeouts, CSRF, ...) and proves each success by reading the\n\
         victim's private note, or by the victim seeing her account changed.",
        catalog::all().len()
    )
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Start all three profiles in-process, run every scenario against each, print the matrix.
    #[command(
        after_help = "Examples:\n  sessionlab demo --scenario hijack-xss --format json\n  \
        sessionlab demo --scenario hijack-xss --without escape-output --without csp\n  \
        sessionlab demo --format html > report.html\n  \
        sessionlab demo --serve            then open the printed URLs in a browser\n\n\
        `sessionlab defenses` lists the defense ids for --with and --without."
    )]
    Demo {
        /// Scenario ids to run (repeatable or comma-separated; `sessionlab list` shows them); default: all.
        #[arg(long = "scenario", short, value_delimiter = ',', value_name = "ID")]
        scenarios: Vec<String>,
        /// Take this defense off the hardened column (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        without: Vec<Defense>,
        /// Put this defense on the insecure column (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        with: Vec<Defense>,
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// After the matrix, run three fresh apps (same profiles) for a browser, until Ctrl-C.
        #[arg(long)]
        serve: bool,
        /// Where sessions live: memory (default), sqlite:PATH (survives a restart),
        /// redis://HOST:PORT[/DB] (a redis-server several instances share).
        #[arg(long, default_value = "memory", value_name = "STORE")]
        store: StoreChoice,
        /// The victim's browser: the lab's simulated one, or Debian's headless Chromium (see --help).
        #[arg(long, value_enum, default_value_t = BrowserArg::Sim)]
        browser: BrowserArg,
        /// With --serve: the first app's address; the others take the next ports
        /// (insecure 8080, tutorial 8081, hardened 8082 from 127.0.0.1:8080). Loopback only.
        #[arg(long, value_name = "IP:PORT", requires = "serve")]
        addr: Option<SocketAddr>,
        /// With --serve: let `sessionlab attack --lab-clock-key KEY` move each app's clock
        /// (the timeout lessons by hand); each app prints its key.
        #[arg(long, requires = "serve")]
        lab_clock: bool,
    },
    /// Run the target app in one profile and print its URL and demo accounts.
    #[command(
        after_help = "Examples:\n  sessionlab serve --profile insecure --addr 127.0.0.1:8080\n  \
        sessionlab serve --profile hardened --without http-only --without csp\n\n\
        The insecure and tutorial profiles are deliberately vulnerable: they bind to\n\
        loopback only unless you pass --expose-vulnerable-app."
    )]
    Serve {
        /// Which app to run.
        #[arg(long, value_enum)]
        profile: ProfileArg,
        /// Take this defense off the profile (repeatable or comma-separated; `sessionlab defenses` lists them).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        without: Vec<Defense>,
        /// Put this defense on the profile (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        with: Vec<Defense>,
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
        addr: SocketAddr,
        /// Allow a vulnerable profile to listen beyond loopback, where others can attack it.
        #[arg(long)]
        expose_vulnerable_app: bool,
        /// Let `sessionlab attack --lab-clock-key KEY` move this app's clock (the timeout
        /// scenarios): opens POST /.well-known/sessionlab/clock, guarded by a key printed at start-up.
        #[arg(long)]
        lab_clock: bool,
        /// With --lab-clock: read the key from this file instead of making one (or set
        /// SESSIONLAB_CLOCK_KEY): a fixed key that never shows in `ps` or shell history.
        #[arg(long, value_name = "PATH", requires = "lab_clock")]
        lab_clock_key_file: Option<PathBuf>,
        /// Whole-request deadline in seconds, body included (1 to 30): past it, 408 and close.
        #[arg(long, value_name = "SECS", default_value_t = 30,
              value_parser = clap::value_parser!(u64).range(1..=30))]
        request_timeout: u64,
        /// Connections served at once; the next one gets 503. Keep it under `ulimit -n`.
        #[arg(long, value_name = "N", default_value_t = sessionlab_app::bounds::connection_cap::DEFAULT,
              value_parser = clap::value_parser!(u64).range(1..=1_000_000).map(|n| n as usize))]
        max_connections: usize,
        /// Where sessions live: memory (default), sqlite:PATH (sessions and logouts
        /// survive a restart), redis://HOST:PORT[/DB] (a redis-server). Instances of
        /// one profile on one store share sessions (docs/deploy.md).
        #[arg(long, default_value = "memory", value_name = "STORE")]
        store: StoreChoice,
        /// Sessions the memory or Redis store keeps; past it anonymous ones are evicted, oldest first.
        #[arg(long, value_name = "N", default_value_t = sessionlab_app::Limits::default().max_sessions,
              value_parser = clap::value_parser!(u64).range(1..=100_000_000).map(|n| n as usize))]
        max_sessions: usize,
    },
    /// Run a hands-on class: one isolated lab per student, a victim bot, the attacker's site, a scoreboard.
    #[command(
        after_help = "Examples:\n  SESSIONLAB_INSTRUCTOR_KEY=... sessionlab class --profile insecure\n  \
        sessionlab class --profile hardened --without csrf-token --instructor-key-file key.txt\n\n\
        Students open http://localhost:8080/, sign in with a name and attack their own lab at\n\
        app.NAME-SECRET.localhost:8080, linked from their lab page: the seat's SECRET keeps\n\
        other students out. The class binds loopback only unless --expose-vulnerable-app.\n\
        docs/classroom.md has the workshop plan and the difficulty ladder."
    )]
    Class(sessionlab::class::ClassArgs),
    /// Replay scenarios against an app started with `sessionlab serve`, or one started in-process.
    #[command(
        group(clap::ArgGroup::new("app").required(true).args(["target", "profile", "target_file"])),
        after_help = "Examples:\n  sessionlab attack --target http://127.0.0.1:8080 --scenario fixation-cookie\n  \
        sessionlab attack --target-file examples/express-tutorial/target.toml\n  \
        sessionlab attack --profile hardened --without server-logout --scenario logout-reuse\n\n\
        The victim and the attacker's own account default to the demo accounts\n\
        alice:wonderland and bob:builder.\n\n\
        The timeout scenarios (idle-timeout, absolute-timeout) let hours of lab time pass:\n\
        with --profile the app runs in this process and they just work; with --target,\n\
        start the app with `sessionlab serve --lab-clock` and pass the key it prints\n\
        with --lab-clock-key KEY.\n\n\
        cross-instance-logout needs two instances of the app on one store: with\n\
        --profile a second one is started beside the first; with --target, start two\n\
        `sessionlab serve --store redis://HOST:PORT` on different ports and name the\n\
        second with --instance URL (docs/deploy.md).\n\n\
        --target-file FILE attacks an app the lab did not write (Express, Django, ...):\n\
        the file names its login, logout, accounts and a proof page with text only the\n\
        victim sees (keys: url, [login] path username_field password_field, [logout]\n\
        path method, [accounts] victim attacker, [proof] path victim_marker, [session]\n\
        cookie url_parameter, [csrf] form_page action field effect_path value;\n\
        `sessionlab target init URL` writes a starter, and\n\
        docs/your-own-app.md explains each). The accounts come from the file, not\n\
        --victim/--attacker. Scenarios that need the lab app's own pages are reported\n\
        not-applicable, with the reason."
    )]
    Attack {
        /// Base URL of the target app, e.g. http://127.0.0.1:8080 (loopback only unless authorised).
        #[arg(long, value_name = "URL")]
        target: Option<String>,
        /// With --target: another instance of the same app on the same session store
        /// (another `serve` on the same --store), where cross-instance-logout replays the cookie.
        #[arg(long, value_name = "URL", requires = "target")]
        instance: Option<String>,
        /// Instead of --target: start this profile in-process (no server needed).
        #[arg(long, value_enum)]
        profile: Option<ProfileArg>,
        /// Instead of --target: a TOML file describing an app the lab did not write
        /// (`sessionlab target init URL` writes one; see docs/your-own-app.md).
        /// Its accounts come from the file.
        #[arg(long, value_name = "FILE", conflicts_with_all = [
            "without", "with", "victim", "attacker", "lab_clock_key", "lab_clock_key_file", "browser",
        ])]
        target_file: Option<PathBuf>,
        /// With --target-file: run idle-timeout, really waiting this long with the
        /// session unused (e.g. 90s, 31m, 2h; at most 24h).
        #[arg(long, value_name = "DURATION", conflicts_with_all = ["target", "profile"],
              value_parser = sessionlab::own_app::parse_duration)]
        idle_wait: Option<Duration>,
        /// With --profile: take this defense off (repeatable or comma-separated; `sessionlab defenses` lists them).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        without: Vec<Defense>,
        /// With --profile: put this defense on (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "DEFENSE")]
        with: Vec<Defense>,
        /// Scenario ids to run (repeatable or comma-separated; `sessionlab list` shows them), or `all` (default).
        #[arg(long = "scenario", short, value_delimiter = ',', value_name = "ID")]
        scenarios: Vec<String>,
        /// The victim's account, USER:PASS.
        #[arg(long, default_value = "alice:wonderland", value_name = "USER:PASS")]
        victim: Credentials,
        /// The attacker's own account, USER:PASS.
        #[arg(long, default_value = "bob:builder", value_name = "USER:PASS")]
        attacker: Credentials,
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// State that you are authorised to attack a target outside loopback.
        #[arg(long)]
        authorized_target: bool,
        /// The key `sessionlab serve --lab-clock` printed: lets the timeout scenarios move the app's clock.
        /// Visible in `ps` and shell history: prefer --lab-clock-key-file or SESSIONLAB_CLOCK_KEY.
        #[arg(long, value_name = "KEY", conflicts_with_all = ["profile", "lab_clock_key_file"])]
        lab_clock_key: Option<String>,
        /// Read the lab clock key from this file (SESSIONLAB_CLOCK_KEY in the environment works too).
        #[arg(long, value_name = "PATH", conflicts_with = "profile")]
        lab_clock_key_file: Option<PathBuf>,
        /// With --profile: where sessions live: memory (default), sqlite:PATH, redis://HOST:PORT[/DB].
        #[arg(
            long,
            default_value = "memory",
            value_name = "STORE",
            conflicts_with = "target"
        )]
        store: StoreChoice,
        /// The victim's browser: the lab's simulated one, or Debian's headless Chromium (see --help).
        #[arg(long, value_enum, default_value_t = BrowserArg::Sim)]
        browser: BrowserArg,
    },
    /// Every scenario against the hardened profile minus one defense, for each defense.
    #[command(after_help = "Examples:\n  sessionlab ablate\n  \
        sessionlab ablate --scenario hijack-xss,csrf --format html > ablation.html\n\n\
        Shows which single defense is what stops which attack, and where defense in\n\
        depth means that no single removal reopens an attack. One app per defense,\n\
        and one intact hardened, run in-process.\n\
        --format junit fails only where a run contradicts a scenario file; removals\n\
        that leave an app unable to work (no tls) are skipped.")]
    Ablate {
        /// Scenario ids to run (repeatable or comma-separated; `sessionlab list` shows them); default: all.
        #[arg(long = "scenario", short, value_delimiter = ',', value_name = "ID")]
        scenarios: Vec<String>,
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Where sessions live: memory (default), sqlite:PATH (survives a restart),
        /// redis://HOST:PORT[/DB] (a redis-server several instances share).
        #[arg(long, default_value = "memory", value_name = "STORE")]
        store: StoreChoice,
        /// The victim's browser: the lab's simulated one, or Debian's headless Chromium (see --help).
        #[arg(long, value_enum, default_value_t = BrowserArg::Sim)]
        browser: BrowserArg,
    },
    /// List every defense with one line and the scenarios whose files claim it.
    #[command(after_help = "Example:\n  sessionlab defenses --format markdown\n\n\
        The ids are what --with and --without take. The claims are the scenario files';\n\
        the test suite (tests/ablation.rs) checks them against real runs, and\n\
        `sessionlab ablate` shows what removing each defense alone does.")]
    Defenses {
        /// How to print the list.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Walk through one attack step by step: the HTTP, the cookies, the defense that stops it.
    #[command(
        after_help = "Examples:\n  sessionlab lesson                       the lessons, in teaching order\n  \
        sessionlab lesson fixation-cookie       step by step, a key between steps (q quits)\n  \
        sessionlab lesson 5 --brief             lesson 5, each login in one line (f: full HTTP)\n  \
        sessionlab lesson csrf --no-pause       all at once (scripts, CI)\n\n\
        The attack runs against the insecure profile, then against the hardened one,\n\
        which names the defense that broke it and the file:line of its code."
    )]
    Lesson {
        /// The scenario to learn, by id or by its number in the list (`sessionlab lesson` without it lists them).
        #[arg(value_name = "ID|NUMBER")]
        id: Option<String>,
        /// Print the whole lesson without waiting for a key (it never waits unless stdin and stdout are both terminals).
        #[arg(long)]
        no_pause: bool,
        /// Where sessions live: memory (default), sqlite:PATH (survives a restart),
        /// redis://HOST:PORT[/DB] (a redis-server several instances share).
        #[arg(long, default_value = "memory", value_name = "STORE")]
        store: StoreChoice,
        /// The victim's browser: the lab's simulated one, or Debian's headless Chromium (see --help).
        #[arg(long, value_enum, default_value_t = BrowserArg::Sim)]
        browser: BrowserArg,
        /// Show each login (login page, POST, redirects) as one line with the cookie that resulted;
        /// `f` at the pause shows the step's full HTTP.
        #[arg(long)]
        brief: bool,
        /// Write a one-lesson handout instead (story, steps with their HTTP, the hardened
        /// replay, the defense, the recap, references): `> lesson.html`.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<sessionlab::lesson::HandoutFormat>,
    },
    /// Print a shell completion script: `sessionlab completions bash > ~/.local/share/bash-completion/completions/sessionlab`.
    #[command(
        after_help = "Examples:\n  sessionlab completions bash > ~/.local/share/bash-completion/completions/sessionlab\n  \
        sessionlab completions zsh > ~/.zfunc/_sessionlab\n  \
        sessionlab completions fish > ~/.config/fish/completions/sessionlab.fish"
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Measure how unpredictable an app's session IDs are, as Burp Sequencer does.
    #[command(
        group(clap::ArgGroup::new("source").required(true).args(["target", "target_file", "profile", "tokens"])),
        after_help = "Examples:\n  sessionlab analyze --profile insecure\n  \
        sessionlab analyze --profile hardened -n 20000 --format html > ids.html\n  \
        sessionlab analyze --target-file examples/express-tutorial/target.toml -n 5000\n  \
        sessionlab analyze --tokens ids.txt\n\n\
        It collects N session IDs from fresh anonymous visits to the login page (32 at\n\
        a time), decodes them (hex, base64; express's s:<id>.<signature> and the lab's\n\
        signed cookies with the signature stripped), runs the FIPS 140-2 tests (monobit,\n\
        poker, runs, long run) per bit position on 20,000 tokens (a monobit and a runs\n\
        test at 1% on fewer) and on the whole stream, measures entropy per bit and per\n\
        character, looks for counters and timestamps, and gives a band: excellent (80+\n\
        bits), good, weak, vulnerable, deterministic, or predictable (a counter or\n\
        timestamp, whatever the bits say)."
    )]
    Analyze {
        /// A sessionlab app started with `serve`, e.g. http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        target: Option<String>,
        /// An app the lab did not write, described by a target file.
        #[arg(long, value_name = "FILE")]
        target_file: Option<PathBuf>,
        /// A profile started in this process.
        #[arg(long, value_enum)]
        profile: Option<ProfileArg>,
        /// A file of tokens, one per line (collected elsewhere); -n does not apply.
        #[arg(long, value_name = "FILE")]
        tokens: Option<PathBuf>,
        /// How many tokens to collect (100 to 100,000; FIPS 140-2 per bit needs 20,000).
        #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 20_000,
              value_parser = clap::value_parser!(u64).range(100..=100_000).map(|n| n as usize))]
        count: usize,
        /// How to print the analysis.
        #[arg(long, value_enum, default_value_t = report::analysis::AnalysisFormat::Table)]
        format: report::analysis::AnalysisFormat,
        /// State that you are authorised to test an app outside loopback.
        #[arg(long)]
        authorized_target: bool,
    },
    /// Describe an app the lab did not write, for `attack --target-file`.
    #[command(
        after_help = "Example:\n  sessionlab target init http://127.0.0.1:3000/login\n  \
        sessionlab attack --target-file target.toml\n\n\
        See docs/your-own-app.md for every key of a target file."
    )]
    Target {
        #[command(subcommand)]
        action: TargetAction,
    },
    /// List the scenarios in teaching order.
    #[command(after_help = "Example:\n  sessionlab list --format json")]
    List {
        /// How to print the list.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Subcommand)]
enum TargetAction {
    /// Fetch the login page at URL, find the form with a password input, and write a
    /// starter target file; it prints what it guessed and what it could not tell.
    #[command(
        after_help = "Example:\n  sessionlab target init http://127.0.0.1:3000/login -o express.toml\n\n\
        It signs in once with the placeholder account alice:alice-password, to find the\n\
        page a signed-in user lands on and its logout. Replace the placeholder accounts\n\
        with two accounts of your own before attacking anything but a toy app."
    )]
    Init {
        /// The login page, e.g. http://127.0.0.1:3000/login (loopback only unless authorised).
        #[arg(value_name = "URL")]
        url: String,
        /// Where to write the file (`-` for stdout).
        #[arg(long, short, default_value = "target.toml", value_name = "FILE")]
        output: PathBuf,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
        /// State that you are authorised to test an app outside loopback.
        #[arg(long)]
        authorized_target: bool,
    },
}

/// `--browser`: who plays the victim in the browser-dependent scenarios.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BrowserArg {
    /// The lab's simulated browser (RFC 6265bis jar, HSTS, script model).
    Sim,
    /// Debian's headless Chromium (package `chromium`), driven over the DevTools protocol,
    /// as the victim of hijack-xss, hijack-sniff, fixation-cookie, referer-leak and csrf.
    /// In the other scenarios the victim's browser only carries a cookie, and stays simulated.
    Chromium,
}

impl Command {
    /// The `--browser` of the commands that run scenarios.
    /// `--store` for the apps this process starts in the harness.
    fn store(&self) -> StoreChoice {
        match self {
            Self::Demo { store, .. }
            | Self::Attack { store, .. }
            | Self::Ablate { store, .. }
            | Self::Lesson { store, .. } => store.clone(),
            _ => StoreChoice::memory(),
        }
    }

    fn browser(&self) -> BrowserArg {
        match self {
            Self::Demo { browser, .. }
            | Self::Attack { browser, .. }
            | Self::Ablate { browser, .. }
            | Self::Lesson { browser, .. } => *browser,
            _ => BrowserArg::Sim,
        }
    }
}

/// Chooses the victims' browser for this process; `--browser chromium`
/// without Chromium stops here, exit 3, never falling back to the simulation.
fn choose_browser(browser: BrowserArg) -> Result<(), ExitCode> {
    if browser == BrowserArg::Chromium {
        if sessionlab_chromium::find_chromium().is_none() {
            return Err(fail(
                EXIT_UNREACHABLE,
                &sessionlab_chromium::ChromiumError::Missing.to_string(),
            ));
        }
        sessionlab_attack::lab::set_default_victim_browser(BrowserKind::Chromium);
    }
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    /// Every weakness on.
    Insecure,
    /// What the seed article's final code does.
    Tutorial,
    /// Every defense on.
    Hardened,
}

impl From<ProfileArg> for ProfileName {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Insecure => ProfileName::Insecure,
            ProfileArg::Tutorial => ProfileName::Tutorial,
            ProfileArg::Hardened => ProfileName::Hardened,
        }
    }
}

fn main() -> ExitCode {
    sessionlab::return_argon2_memory_to_the_system();
    let cli = Cli::parse();
    let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
    configure_colour(cli.color, dumb);
    sessionlab::stdout::set_ascii(cli.ascii || dumb);
    let quiet = cli.quiet;
    if let Err(code) = choose_browser(cli.command.browser()) {
        return code;
    }
    harness::lab::use_store(cli.command.store());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            return fail(
                EXIT_FAILURE,
                &format!("cannot start the async runtime: {e}"),
            );
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Demo {
                scenarios,
                without,
                with,
                format,
                serve,
                addr,
                lab_clock,
                ..
            } => {
                let serving = serve.then_some(DemoServe { addr, lab_clock });
                run_demo(
                    &scenarios,
                    Toggles::new(without, with),
                    format,
                    serving,
                    quiet,
                )
                .await
            }
            Command::Serve {
                profile,
                without,
                with,
                addr,
                expose_vulnerable_app,
                lab_clock,
                lab_clock_key_file,
                request_timeout,
                max_connections,
                max_sessions,
                store,
            } => {
                let toggles = Toggles::new(without, with);
                if let Some(message) = toggles.contradiction() {
                    return fail(EXIT_USAGE, &message);
                }
                let profile = toggles.apply(profile.into());
                warn_about_unusable_cookies(std::slice::from_ref(&profile));
                let fixed_key = if lab_clock {
                    match LabClockKey::configured(lab_clock_key_file.as_deref()) {
                        Ok(key) => key,
                        Err(e) => return fail(EXIT_USAGE, &e),
                    }
                } else {
                    None
                };
                let mut options = ServeOptions::new(profile, addr);
                options.allow_non_loopback = expose_vulnerable_app;
                options.lab_clock = lab_clock;
                options.lab_clock_key = fixed_key;
                // One namespace per profile label: the same app restarted, or
                // several instances of it, share their sessions.
                options.store = store.shared_as(options.profile.label());
                options.limits = Limits {
                    request_timeout: Duration::from_secs(request_timeout),
                    max_connections,
                    max_sessions,
                };
                serve(options, quiet).await
            }
            Command::Attack {
                target_file: Some(file),
                scenarios,
                format,
                authorized_target,
                idle_wait,
                ..
            } => {
                let options = sessionlab_attack::AppOptions {
                    authorized: authorized_target,
                    idle_wait,
                };
                attack_app_file(&file, &options, &scenarios, format, quiet).await
            }
            Command::Attack {
                target,
                profile,
                without,
                with,
                scenarios,
                victim,
                attacker,
                format,
                authorized_target,
                lab_clock_key,
                lab_clock_key_file,
                instance,
                ..
            } => {
                // The command line first, then a file, then the environment.
                let lab_clock_key = match lab_clock_key {
                    Some(key) => Some(key),
                    None => match LabClockKey::configured(lab_clock_key_file.as_deref()) {
                        Ok(key) => key.map(|key| key.as_str().to_owned()),
                        Err(e) => return fail(EXIT_USAGE, &e),
                    },
                };
                let app = match (target, profile) {
                    (Some(_), _) if !without.is_empty() || !with.is_empty() => {
                        return fail(
                            EXIT_USAGE,
                            "--with and --without need --profile: a running server's defenses are \
                             fixed when it starts (restart it with `sessionlab serve --without ...`)",
                        );
                    }
                    (Some(url), _) => AttackApp::Url {
                        url,
                        instance,
                        authorized: authorized_target,
                        lab_clock_key,
                    },
                    (None, Some(profile)) => {
                        AttackApp::InProcess(profile.into(), Toggles::new(without, with))
                    }
                    // clap requires one of the two.
                    (None, None) => return fail(EXIT_USAGE, "give --target URL or --profile P"),
                };
                attack(app, &scenarios, &victim, &attacker, format, quiet).await
            }
            Command::Ablate {
                scenarios, format, ..
            } => ablate(&scenarios, format, quiet).await,
            Command::Defenses { format } => {
                out!("{}", report::defenses::render(&catalog::all(), format));
                ExitCode::SUCCESS
            }
            Command::Lesson {
                id,
                no_pause,
                brief,
                format,
                ..
            } => lesson(id.as_deref(), no_pause, brief, format, quiet).await,
            Command::Completions { shell } => {
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "sessionlab", &mut script);
                out!("{}", String::from_utf8_lossy(&script));
                ExitCode::SUCCESS
            }
            Command::Class(args) => sessionlab::class::run(args, quiet).await,
            Command::Analyze {
                target,
                target_file,
                profile,
                tokens,
                count,
                format,
                authorized_target,
            } => {
                use sessionlab::own_app::{AnalyzeError, TokenSource};
                let source = match (target, target_file, profile, tokens) {
                    (Some(url), ..) => TokenSource::Url {
                        url,
                        authorized: authorized_target,
                    },
                    (_, Some(path), ..) => TokenSource::File {
                        path,
                        authorized: authorized_target,
                    },
                    (_, _, Some(profile), _) => TokenSource::Profile(profile.into()),
                    (_, _, _, Some(path)) => TokenSource::Tokens(path),
                    // clap requires one of the four.
                    _ => return fail(EXIT_USAGE, "give --target, --target-file, --profile or --tokens"),
                };
                chatter(
                    Format::Table,
                    quiet || format != report::analysis::AnalysisFormat::Table,
                    &format!("{} collecting and analysing session IDs...\n", "sessionlab analyze:".bold()),
                );
                match sessionlab::own_app::analyze_tokens(source, count).await {
                    Ok(analysis) => {
                        out!("{}", report::analysis::render(&analysis, format));
                        ExitCode::SUCCESS
                    }
                    Err(AnalyzeError::Usage(e)) => fail(EXIT_USAGE, &e),
                    Err(AnalyzeError::Unreachable(e)) => fail(EXIT_UNREACHABLE, &e),
                    Err(AnalyzeError::Failed(e)) => fail(EXIT_FAILURE, &e),
                }
            }
            Command::Target {
                action:
                    TargetAction::Init {
                        url,
                        output,
                        force,
                        authorized_target,
                    },
            } => target_init(&url, &output, force, authorized_target).await,
            Command::List { format } => {
                out!("{}", report::scenario_listing(&catalog::all(), format));
                ExitCode::SUCCESS
            }
        }
    })
}

/// `sessionlab lesson [ID]`: the list, or one lesson (see `sessionlab::lesson`).
async fn lesson(
    id: Option<&str>,
    no_pause: bool,
    brief: bool,
    format: Option<sessionlab::lesson::HandoutFormat>,
    quiet: bool,
) -> ExitCode {
    let Some(id) = id else {
        out!("{}", sessionlab::lesson::list(quiet));
        return ExitCode::SUCCESS;
    };
    let meta = match sessionlab::lesson::find(id) {
        Ok(meta) => meta,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    if let Some(format) = format {
        return match sessionlab::lesson::handout(&meta, format).await {
            Ok(page) => {
                out!("{page}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(
                EXIT_FAILURE,
                &format!("the handout could not be made: {e:#}"),
            ),
        };
    }
    let options = sessionlab::lesson::Options {
        pace: sessionlab::lesson::Pace::choose(no_pause),
        quiet,
        brief,
    };
    match sessionlab::lesson::run(&meta, options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(EXIT_FAILURE, &format!("the lesson could not run: {e:#}")),
    }
}

fn configure_colour(choice: ColorChoice, dumb_terminal: bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && !dumb_terminal && std::io::stdout().is_terminal(),
    };
    colored::control::set_override(on);
}

/// A warning on stderr: the run goes on.
fn warn(message: &str) {
    eprintln!("{} {message}", "warning:".yellow().bold());
}

/// Warns about each profile whose session cookie no browser would keep.
fn warn_about_unusable_cookies(profiles: &[Profile]) {
    for warning in profiles.iter().filter_map(toggles::unusable_cookie_warning) {
        warn(&warning);
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("{} {message}", "error:".red().bold());
    ExitCode::from(code)
}

/// `--without` and `--with`, as given.
struct Toggles {
    without: Vec<Defense>,
    with: Vec<Defense>,
}

impl Toggles {
    fn new(without: Vec<Defense>, with: Vec<Defense>) -> Self {
        Self { without, with }
    }

    fn contradiction(&self) -> Option<String> {
        toggles::contradictory_toggles(&self.without, &self.with)
    }

    fn apply(&self, name: ProfileName) -> Profile {
        toggles::toggled(name, &self.without, &self.with)
    }
}

/// A progress bar on stderr, for a person watching a table being made:
/// hidden with --quiet, for the other formats, or when stderr is no terminal.
fn progress(total: usize, format: Format, quiet: bool) -> ProgressBar {
    if quiet || !format.is_for_people() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} runs {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

/// Lines around a table for people (a title, a next step); never with
/// --quiet or a format that programs or files read.
fn chatter(format: Format, quiet: bool, text: &str) {
    if format.is_for_people() && !quiet {
        outln!("{text}");
    }
}

/// `demo --serve`: where the fresh apps listen, and whether their clocks may move.
struct DemoServe {
    addr: Option<SocketAddr>,
    lab_clock: bool,
}

/// The address of the `index`th app of `demo --serve --addr base`: the next
/// ports after the base's; port 0 stays 0 (each picks a free one).
fn nth_addr(base: SocketAddr, index: usize) -> Result<SocketAddr, String> {
    if base.port() == 0 {
        return Ok(base);
    }
    let port = u16::try_from(usize::from(base.port()) + index).map_err(|_| {
        format!(
            "--addr {base}: the apps need {} consecutive ports",
            index + 1
        )
    })?;
    Ok(SocketAddr::new(base.ip(), port))
}

async fn run_demo(
    requested: &[String],
    toggles: Toggles,
    format: Format,
    keep_serving: Option<DemoServe>,
    quiet: bool,
) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    // No contradiction possible: --without and --with change different columns.
    let profiles = toggles::toggled_profiles(&toggles.without, &toggles.with);
    warn_about_unusable_cookies(&profiles);
    let lab = match harness::start_profiles(&profiles).await {
        Ok(lab) => lab,
        Err(e) => return fail(EXIT_FAILURE, &format!("could not start the lab: {e:#}")),
    };
    let labels: Vec<String> = lab.iter().map(|p| p.target.profile.clone()).collect();
    chatter(
        format,
        quiet,
        &format!(
            "{} {} scenario(s) against {}\n",
            "sessionlab demo:".bold(),
            scenarios.len(),
            labels.join(", ")
        ),
    );
    let bar = progress(scenarios.len() * lab.len(), format, quiet);
    let on_result = |r: &RunResult| {
        bar.set_message(format!("{} vs {}", r.scenario, r.profile));
        bar.inc(1);
    };
    let results = harness::run_matrix(&lab, &scenarios, &on_result).await;
    bar.finish_and_clear();
    out!(
        "{}",
        report::results("demo", &scenarios, &labels, &results, format)
    );
    let Some(serving) = keep_serving else {
        chatter(
            format,
            quiet,
            "\nNext: `sessionlab lesson <scenario>` walks through one attack step by step; \
             `--serve` runs fresh apps for a browser; `--format html > report.html` makes a handout.",
        );
        harness::stop(lab).await;
        return ExitCode::SUCCESS;
    };
    // The matrix's apps carry its traces (a script in the insecure guestbook,
    // alice's sessions): a browser gets apps of its own, as fresh as `serve`'s.
    harness::stop(lab).await;
    let base = serving
        .addr
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let mut fresh = Vec::with_capacity(profiles.len());
    for (i, profile) in profiles.iter().enumerate() {
        let addr = match nth_addr(base, i) {
            Ok(addr) => addr,
            Err(e) => return fail(EXIT_USAGE, &e),
        };
        match harness::lab::start_profile_at(profile, addr, serving.lab_clock).await {
            Ok(app) => fresh.push(app),
            Err(e) => {
                harness::stop(fresh).await;
                return fail(EXIT_FAILURE, &format!("could not start the apps: {e:#}"));
            }
        }
    }
    // With a machine format stdout holds the report alone: the URLs go to stderr.
    let mut out: Box<dyn std::io::Write> = if format.is_for_people() {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::io::stderr())
    };
    demo::serve_until_ctrl_c(fresh, &mut out, quiet).await;
    ExitCode::SUCCESS
}

async fn serve(options: ServeOptions, quiet: bool) -> ExitCode {
    // A key the operator chose is theirs already: never printed.
    let key_is_fixed = options.lab_clock_key.is_some();
    let server = match sessionlab_app::start(options).await {
        Ok(s) => s,
        Err(e @ sessionlab_app::ServeError::RefusedAddress(_)) => {
            return fail(EXIT_USAGE, &e.to_string());
        }
        Err(e) => return fail(EXIT_FAILURE, &e.to_string()),
    };
    let ctrl_c = harness::ctrl_c::ctrl_c_armed();
    let shown_key = server.lab_clock_key().filter(|_| !key_is_fixed);
    if quiet {
        outln!("  URL       {}", server.url());
        if let Some(key) = shown_key {
            outln!("  lab clock {key}");
        }
        harness::ctrl_c::serve_one_until(ctrl_c, server).await;
        return ExitCode::SUCCESS;
    }
    let defenses: Vec<&str> = server.profile.defenses.iter().map(|d| d.id()).collect();
    outln!(
        "{} {}",
        "sessionlab serve:".bold(),
        server.profile.label().bold()
    );
    outln!(
        "  defenses  {}",
        if defenses.is_empty() {
            "none".to_string()
        } else {
            defenses.join(", ")
        }
    );
    outln!("  store     {}", server.store_name());
    outln!("  URL       {}", server.url().underline());
    for account in &server.accounts {
        outln!("  account   {} / {}", account.username, account.password);
    }
    if let Some(notice) = &server.notice {
        outln!("  {} {notice}", "note:".yellow());
    }
    if let Some(spki) = server.certificate_spki_sha256() {
        outln!("  TLS       {}", sessionlab::demo::trust_hint(spki));
    }
    if let Some(key) = shown_key {
        outln!(
            "  lab clock {key}  (this key moves the app's clock: keep it to yourself, pass it to `attack`,\n            \
             e.g. in SESSIONLAB_CLOCK_KEY or a file for --lab-clock-key-file, out of `ps` and shell history)"
        );
    } else if server.lab_clock_key().is_some() {
        outln!(
            "  lab clock the key you gave (pass `attack` the same, by SESSIONLAB_CLOCK_KEY or --lab-clock-key-file)"
        );
    }
    let key_flag = if server.lab_clock_key().is_some() {
        " --lab-clock-key-file KEYFILE"
    } else {
        ""
    };
    outln!(
        "\nAttack it:  sessionlab attack --target {} --scenario all{key_flag}",
        server.url()
    );
    if server.lab_clock_key().is_none() {
        outln!("(The timeout scenarios also need --lab-clock here, and the key it prints.)");
    }
    outln!("Ctrl-C stops the server.");
    harness::ctrl_c::serve_one_until(ctrl_c, server).await;
    ExitCode::SUCCESS
}

/// The app `attack` works against.
enum AttackApp {
    /// One started with `sessionlab serve`, found by its URL.
    Url {
        url: String,
        /// `--instance`: a second instance of it on the same store.
        instance: Option<String>,
        authorized: bool,
        lab_clock_key: Option<String>,
    },
    /// One started here, in this process, with the clock in hand.
    InProcess(ProfileName, Toggles),
}

async fn attack(
    app: AttackApp,
    requested: &[String],
    victim: &Credentials,
    attacker: &Credentials,
    format: Format,
    quiet: bool,
) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let (target, lab) = match app {
        AttackApp::Url {
            url,
            instance,
            authorized,
            lab_clock_key,
        } => match discover(&url, authorized, lab_clock_key).await {
            Ok(target) => match instance {
                None => (target, None),
                Some(other) => match target.with_instance_at(&other, authorized).await {
                    Ok(target) => (target, None),
                    Err(e @ (TargetError::BadUrl(_) | TargetError::NotLoopback(_))) => {
                        return fail(EXIT_USAGE, &format!("--instance: {e}"));
                    }
                    Err(e) => return fail(EXIT_UNREACHABLE, &format!("--instance: {e}")),
                },
            },
            Err(code) => return code,
        },
        AttackApp::InProcess(name, toggles) => {
            if let Some(message) = toggles.contradiction() {
                return fail(EXIT_USAGE, &message);
            }
            let profile = toggles.apply(name);
            warn_about_unusable_cookies(std::slice::from_ref(&profile));
            match harness::start_profiles(&[profile]).await {
                Ok(mut lab) => (lab[0].target.clone(), lab.pop()),
                Err(e) => return fail(EXIT_FAILURE, &format!("could not start the app: {e:#}")),
            }
        }
    };
    chatter(
        format,
        quiet,
        &format!(
            "{} {} scenario(s) against {} at {}://{}\n",
            "sessionlab attack:".bold(),
            scenarios.len(),
            target.profile,
            target.scheme,
            target.addr
        ),
    );
    let bar = progress(scenarios.len(), format, quiet);
    let on_result = |r: &RunResult| {
        bar.set_message(r.scenario.clone());
        bar.inc(1);
    };
    let results = run_scenarios(&scenarios, &target, victim, attacker, &on_result).await;
    bar.finish_and_clear();
    if let Some(lab) = lab {
        harness::stop(vec![lab]).await;
    }
    out!(
        "{}",
        report::results(
            "attack",
            &scenarios,
            std::slice::from_ref(&target.profile),
            &results,
            format
        )
    );
    ExitCode::SUCCESS
}

/// `attack --target-file`: an app the lab did not write, its accounts from the file.
async fn attack_app_file(
    path: &std::path::Path,
    options: &sessionlab_attack::AppOptions,
    requested: &[String],
    format: Format,
    quiet: bool,
) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let file = match sessionlab_attack::TargetFile::read(path) {
        Ok(file) => file,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let target = match Target::from_app_file(&file, options).await {
        Ok(target) => target,
        Err(e @ (TargetError::BadUrl(_) | TargetError::NotLoopback(_))) => {
            return fail(EXIT_USAGE, &format!("{}: {e}", path.display()));
        }
        Err(e) => return fail(EXIT_UNREACHABLE, &e.to_string()),
    };
    let app = target
        .app
        .clone()
        .expect("a target file's target describes its app");
    chatter(
        format,
        quiet,
        &format!(
            "{} {} scenario(s) against {} (session cookie {})\n",
            "sessionlab attack:".bold(),
            scenarios.len(),
            target.profile,
            app.session_cookie
        ),
    );
    let bar = progress(scenarios.len(), format, quiet);
    let on_result = |r: &RunResult| {
        bar.set_message(r.scenario.clone());
        bar.inc(1);
    };
    let results = run_scenarios(&scenarios, &target, &app.victim, &app.attacker, &on_result).await;
    bar.finish_and_clear();
    out!(
        "{}",
        report::app_results(
            &scenarios,
            std::slice::from_ref(&target.profile),
            &results,
            &app,
            format
        )
    );
    ExitCode::SUCCESS
}

/// `sessionlab target init URL`.
async fn target_init(
    url: &str,
    output: &std::path::Path,
    force: bool,
    authorized: bool,
) -> ExitCode {
    let to_stdout = output.as_os_str() == "-";
    if !to_stdout && !force && output.exists() {
        return fail(
            EXIT_USAGE,
            &format!(
                "{} exists: pass --force to overwrite it, or -o another file",
                output.display()
            ),
        );
    }
    let starter = match sessionlab_attack::target_init::starter(url, authorized).await {
        Ok(starter) => starter,
        Err(e @ (TargetError::BadUrl(_) | TargetError::NotLoopback(_))) => {
            return fail(EXIT_USAGE, &e.to_string());
        }
        Err(e) => return fail(EXIT_UNREACHABLE, &e.to_string()),
    };
    let text = starter.to_toml();
    if to_stdout {
        out!("{text}");
    } else if let Err(e) = std::fs::write(output, &text) {
        return fail(
            EXIT_FAILURE,
            &format!("cannot write {}: {e}", output.display()),
        );
    }
    // What it did goes to stderr, so `-o -` stays a clean file.
    let mut report = String::new();
    if !to_stdout {
        report.push_str(&format!("{} {}\n", "wrote".bold(), output.display()));
    }
    report.push_str(&format!("{}\n", "guessed:".bold()));
    for line in &starter.guessed {
        report.push_str(&format!("  {line}\n"));
    }
    if !starter.unknown.is_empty() {
        report.push_str(&format!(
            "{}\n",
            "could not tell (check these):".yellow().bold()
        ));
        for line in &starter.unknown {
            report.push_str(&format!("  {line}\n"));
        }
    }
    report.push_str(&format!(
        "then: sessionlab attack --target-file {}\n",
        if to_stdout {
            "FILE".to_string()
        } else {
            output.display().to_string()
        }
    ));
    eprint!("{report}");
    ExitCode::SUCCESS
}

/// Finds a `sessionlab serve` app by its URL; a failure is already reported.
async fn discover(
    url: &str,
    authorized: bool,
    lab_clock_key: Option<String>,
) -> Result<Target, ExitCode> {
    match Target::discover(url, authorized).await {
        Ok(t) => Ok(match lab_clock_key {
            Some(key) => {
                if !t.lab_clock {
                    warn(
                        "the app does not report a lab clock control: the timeout scenarios \
                         need it started with `sessionlab serve --lab-clock`",
                    );
                }
                t.with_clock_control(HttpClockControl::new(key))
            }
            None => t,
        }),
        Err(e @ (TargetError::BadUrl(_) | TargetError::NotLoopback(_))) => {
            Err(fail(EXIT_USAGE, &e.to_string()))
        }
        Err(e) => Err(fail(EXIT_UNREACHABLE, &e.to_string())),
    }
}

async fn ablate(requested: &[String], format: Format, quiet: bool) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let bar = progress(ablation::planned_runs(&scenarios), format, quiet);
    let ticker = bar.clone();
    let on_result: OnResult = Arc::new(move |r: &RunResult| {
        ticker.set_message(format!("{} vs {}", r.scenario, r.profile));
        ticker.inc(1);
    });
    let ablation = match ablation::run(&scenarios, on_result).await {
        Ok(a) => a,
        Err(e) => return fail(EXIT_FAILURE, &format!("could not run the ablation: {e:#}")),
    };
    bar.finish_and_clear();
    out!("{}", report::ablation::render(&ablation, format));
    chatter(
        format,
        quiet,
        &format!(
            "\n{} runs in {:.1} s. `--format html > ablation.html` shows every cell and the evidence.",
            ablation.run_count(),
            ablation.wall_ms as f64 / 1000.0
        ),
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_apps_take_consecutive_ports() {
        let base: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
        let ports: Vec<u16> = (0..3)
            .map(|i| nth_addr(base, i).expect("fits").port())
            .collect();
        assert_eq!(ports, [8080, 8081, 8082]);
        let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        assert_eq!(nth_addr(any, 2), Ok(any));
        let last: SocketAddr = "127.0.0.1:65535".parse().expect("an address");
        assert!(nth_addr(last, 1).is_err());
    }
}
