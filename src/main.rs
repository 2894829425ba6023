//! `sessionlab`: the command line of the lab.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use colored::Colorize;
use indicatif::{ProgressBar, ProgressStyle};
use sessionlab::demo;
use sessionlab::report::{self, Format};
use sessionlab_app::{Profile, ProfileName, ServeOptions};
use sessionlab_attack::lab::ClockControl;
use sessionlab_attack::{
    Credentials, RunResult, Target, TargetError, catalog, run_scenarios, select,
};

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
    long_about = "Attack-versus-defense lab for web session management.\n\n\
        A target app runs as an insecure, a tutorial or a hardened profile; an attacker\n\
        with a simulated victim replays session attacks against it (hijacking, fixation,\n\
        post-logout reuse) and proves each success by reading the victim's private note.",
    after_help = "Start here:\n  sessionlab demo                      every scenario against every profile\n  \
        sessionlab list                      the scenarios, in teaching order\n  \
        sessionlab serve --profile insecure  a target to attack by hand or with `attack`\n\n\
        Exit codes: 0 the run completed (whatever the outcomes), 2 usage error,\n\
        3 target unreachable or not a sessionlab app, 1 other failure."
)]
struct Cli {
    /// When to colour output; NO_COLOR in the environment also turns it off.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
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
    #[command(after_help = "Example:\n  sessionlab demo --scenario hijack-xss --format json")]
    Demo {
        /// Scenario ids to run (repeatable or comma-separated; `sessionlab list` shows them); default: all.
        #[arg(long = "scenario", short, value_delimiter = ',', value_name = "ID")]
        scenarios: Vec<String>,
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the target app in one profile and print its URL and demo accounts.
    #[command(
        after_help = "Example:\n  sessionlab serve --profile insecure --addr 127.0.0.1:8080\n\n\
        The insecure and tutorial profiles are deliberately vulnerable: they bind to\n\
        loopback only unless you pass --expose-vulnerable-app."
    )]
    Serve {
        /// Which app to run.
        #[arg(long, value_enum)]
        profile: ProfileArg,
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
    },
    /// Replay scenarios against an app started with `sessionlab serve`.
    #[command(
        after_help = "Example:\n  sessionlab attack --target http://127.0.0.1:8080 --scenario fixation-cookie\n\n\
        The victim and the attacker's own account default to the demo accounts\n\
        alice:wonderland and bob:builder.\n\n\
        The timeout scenarios (idle-timeout, absolute-timeout) let hours of lab time pass:\n\
        start the app with `sessionlab serve --lab-clock` and pass the key it prints\n\
        with --lab-clock-key KEY."
    )]
    Attack {
        /// Base URL of the target app, e.g. http://127.0.0.1:8080 (loopback only unless authorised).
        #[arg(long, value_name = "URL")]
        target: String,
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
        #[arg(long, value_name = "KEY")]
        lab_clock_key: Option<String>,
    },
    /// List the scenarios in teaching order.
    List {
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
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
    configure_colour(cli.color);
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
            Command::Demo { scenarios, format } => run_demo(&scenarios, format).await,
            Command::Serve {
                profile,
                addr,
                expose_vulnerable_app,
                lab_clock,
            } => {
                serve(
                    Profile::new(profile.into()),
                    addr,
                    expose_vulnerable_app,
                    lab_clock,
                )
                .await
            }
            Command::Attack {
                target,
                scenarios,
                victim,
                attacker,
                format,
                authorized_target,
                lab_clock_key,
            } => {
                attack(
                    &target,
                    &scenarios,
                    &victim,
                    &attacker,
                    format,
                    authorized_target,
                    lab_clock_key,
                )
                .await
            }
            Command::List { format } => list(format),
        }
    })
}

fn configure_colour(choice: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
    };
    colored::control::set_override(on);
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("{} {message}", "error:".red().bold());
    ExitCode::from(code)
}

/// A progress bar on stderr; invisible when stderr is not a terminal or for JSON.
fn progress(total: usize, format: Format) -> ProgressBar {
    if format == Format::Json || !std::io::stderr().is_terminal() {
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

async fn run_demo(requested: &[String], format: Format) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let lab = match demo::start_profiles(&demo::builtin_profiles()).await {
        Ok(lab) => lab,
        Err(e) => return fail(EXIT_FAILURE, &format!("could not start the lab: {e:#}")),
    };
    let bar = progress(scenarios.len() * lab.len(), format);
    let on_result = |r: &RunResult| {
        bar.set_message(format!("{} vs {}", r.scenario, r.profile));
        bar.inc(1);
    };
    let results = demo::run_matrix(&lab, &scenarios, &on_result).await;
    bar.finish_and_clear();
    let profiles: Vec<String> = lab.iter().map(|p| p.target.profile.clone()).collect();
    demo::stop(lab).await;
    print_results("demo", &scenarios, &profiles, &results, format);
    ExitCode::SUCCESS
}

async fn serve(
    profile: Profile,
    addr: SocketAddr,
    allow_non_loopback: bool,
    lab_clock: bool,
) -> ExitCode {
    let server = match sessionlab_app::start(ServeOptions {
        profile,
        addr,
        allow_non_loopback,
        lab_clock,
    })
    .await
    {
        Ok(s) => s,
        Err(e @ sessionlab_app::ServeError::RefusedAddress(_)) => {
            return fail(EXIT_USAGE, &e.to_string());
        }
        Err(e) => return fail(EXIT_FAILURE, &e.to_string()),
    };
    let defenses: Vec<&str> = server.profile.defenses.iter().map(|d| d.id()).collect();
    println!(
        "{} {}",
        "sessionlab serve:".bold(),
        server.profile.label().bold()
    );
    println!(
        "  defenses  {}",
        if defenses.is_empty() {
            "none".to_string()
        } else {
            defenses.join(", ")
        }
    );
    println!("  URL       {}", server.url().underline());
    for account in &server.accounts {
        println!("  account   {} / {}", account.username, account.password);
    }
    if let Some(notice) = &server.notice {
        println!("  {} {notice}", "note:".yellow());
    }
    if let Some(key) = server.lab_clock_key() {
        println!(
            "  lab clock {key}  (this key moves the app's clock: keep it to yourself, pass it to `attack`)"
        );
    }
    let key_flag = server
        .lab_clock_key()
        .map(|key| format!(" --lab-clock-key {key}"))
        .unwrap_or_default();
    println!(
        "\nAttack it:  sessionlab attack --target {} --scenario all{key_flag}",
        server.url()
    );
    if server.lab_clock_key().is_none() {
        println!("(The timeout scenarios also need --lab-clock here, and the key it prints.)");
    }
    println!("Ctrl-C stops the server.");
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

async fn attack(
    target: &str,
    requested: &[String],
    victim: &Credentials,
    attacker: &Credentials,
    format: Format,
    authorized: bool,
    lab_clock_key: Option<String>,
) -> ExitCode {
    let scenarios = match select(requested) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let target = match Target::discover(target, authorized).await {
        Ok(t) => match lab_clock_key {
            Some(key) => {
                if !t.lab_clock {
                    eprintln!(
                        "{} the app does not report a lab clock control: the timeout scenarios \
                         need it started with `sessionlab serve --lab-clock`",
                        "warning:".yellow().bold()
                    );
                }
                t.with_clock_control(ClockControl::Http { key })
            }
            None => t,
        },
        Err(e @ (TargetError::BadUrl(_) | TargetError::NotLoopback(_))) => {
            return fail(EXIT_USAGE, &e.to_string());
        }
        Err(e) => return fail(EXIT_UNREACHABLE, &e.to_string()),
    };
    let bar = progress(scenarios.len(), format);
    let on_result = |r: &RunResult| {
        bar.set_message(r.scenario.clone());
        bar.inc(1);
    };
    let results = run_scenarios(&scenarios, &target, victim, attacker, &on_result).await;
    bar.finish_and_clear();
    print_results(
        "attack",
        &scenarios,
        std::slice::from_ref(&target.profile),
        &results,
        format,
    );
    ExitCode::SUCCESS
}

fn list(format: Format) -> ExitCode {
    let scenarios = catalog::all();
    match format {
        Format::Table => print!("{}", report::scenario_list(&scenarios)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&scenarios).expect("metadata serialises")
        ),
    }
    ExitCode::SUCCESS
}

fn print_results(
    command: &str,
    scenarios: &[sessionlab_attack::ScenarioMeta],
    profiles: &[String],
    results: &[RunResult],
    format: Format,
) {
    match format {
        Format::Table => print!("{}", report::matrix(scenarios, profiles, results)),
        Format::Json => println!("{}", report::json(command, results)),
    }
}
