//! Apps started in this process, on ephemeral loopback ports, each reached by
//! the engine as a [`Target`] with a hold on the app's lab clock.

use std::net::{Ipv4Addr, SocketAddr};

use sessionlab_app::{Profile, ProfileName, RunningServer, ServeOptions, StoreChoice};
use sessionlab_attack::lab::{ClockControl, ClockFuture, Instance};
use sessionlab_attack::{Credentials, RunResult, Target, run_scenario};

/// The store every app started here uses (`--store`), each app under a
/// namespace of its own; memory unless [`use_store`] said otherwise.
static STORE: std::sync::RwLock<Option<StoreChoice>> = std::sync::RwLock::new(None);

/// Chooses the store of the apps this process starts (`demo`, `lesson`,
/// `ablate`, `attack --profile` call it once, at start-up).
pub fn use_store(choice: StoreChoice) {
    *STORE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(choice);
}

fn chosen_store() -> StoreChoice {
    STORE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
        .unwrap_or_default()
}

/// One running profile: its server, a second instance of it over the same
/// store, and how the engine reaches both.
pub struct LabProfile {
    pub server: RunningServer,
    /// The same app again ([`RunningServer::start_instance`]): what
    /// `cross-instance-logout` reaches as instance B.
    pub second: RunningServer,
    pub target: Target,
}

impl LabProfile {
    /// Stops both instances (the second first: the first empties the store's namespace).
    pub async fn shutdown(self) {
        self.second.shutdown().await;
        self.server.shutdown().await;
    }
}

/// The engine's hold on an in-process app's clock: the timeout scenarios move
/// it through the engine's [`ClockControl`] trait, which never links the app.
#[derive(Debug)]
struct InProcessClock(sessionlab_app::LabClock);

impl ClockControl for InProcessClock {
    fn advance(&self, _target: &Target, by: std::time::Duration) -> ClockFuture<'_> {
        self.0.advance_std(by);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Starts one app per profile on `127.0.0.1:0` and discovers each as a target,
/// with a hold on its lab clock (the apps run in this process).
pub async fn start_profiles(profiles: &[Profile]) -> anyhow::Result<Vec<LabProfile>> {
    let mut lab = Vec::with_capacity(profiles.len());
    for profile in profiles {
        lab.push(start_profile(profile).await?);
    }
    Ok(lab)
}

/// [`start_profiles`] for one profile.
pub async fn start_profile(profile: &Profile) -> anyhow::Result<LabProfile> {
    start_profile_at(profile, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), false).await
}

/// [`start_profile`] at `addr` (loopback; port 0 picks a free one), with the
/// lab clock control open to `sessionlab attack --lab-clock-key` when
/// `lab_clock` (`demo --serve --lab-clock`).
pub async fn start_profile_at(
    profile: &Profile,
    addr: SocketAddr,
    lab_clock: bool,
) -> anyhow::Result<LabProfile> {
    let server = sessionlab_app::start(ServeOptions {
        profile: profile.clone(),
        addr,
        allow_non_loopback: false,
        lab_clock,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: chosen_store(),
    })
    .await?;
    // A second instance over the same store, users, key and clock: cheap
    // (no password hashing of its own), and every run can reach it.
    let second = server
        .start_instance(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await?;
    // The harness started the apps: its browsers trust exactly their certificates.
    let certificate = server.certificate_der().map(<[u8]>::to_vec);
    let target = Target::discover_trusting(&server.url(), false, certificate)
        .await?
        .with_clock_control(InProcessClock(server.clock().clone()))
        .with_instance(Instance {
            addr: second.addr,
            certificate: second.certificate_der().map(<[u8]>::to_vec),
        });
    Ok(LabProfile {
        server,
        second,
        target,
    })
}

/// The three built-in profiles.
pub fn builtin_profiles() -> Vec<Profile> {
    ProfileName::ALL.into_iter().map(Profile::new).collect()
}

/// One scenario against one profile started for it, with the demo accounts;
/// the app stops afterwards.
pub async fn run_once(scenario: &str, profile: &Profile) -> anyhow::Result<RunResult> {
    let lab = start_profile(profile).await?;
    let result = run_scenario(
        scenario,
        &lab.target,
        &Credentials::default_victim(),
        &Credentials::default_attacker(),
    )
    .await;
    lab.shutdown().await;
    Ok(result)
}

/// Stops every server of `lab`.
pub async fn stop(lab: Vec<LabProfile>) {
    for p in lab {
        p.shutdown().await;
    }
}
