//! Apps that stay up until Ctrl-C (`serve`, `demo --serve`), then stop cleanly.
//! The CLI prints what runs where; this module only keeps the lifecycle right.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use sessionlab_app::RunningServer;

use crate::lab::{LabProfile, stop};

/// A Ctrl-C that is already listened for.
pub type CtrlC = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

/// Ctrl-C, listened for from the moment this returns. tokio installs its
/// SIGINT handler on the first poll of `ctrl_c()`, so poll it once now: a
/// Ctrl-C pressed right after the "Ctrl-C stops ..." line is never lost to
/// the default handler (which would kill the process without a clean stop).
/// Arm it before saying that Ctrl-C stops anything.
pub fn ctrl_c_armed() -> CtrlC {
    let mut ctrl_c: CtrlC = Box::pin(tokio::signal::ctrl_c());
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(result) = ctrl_c.as_mut().poll(&mut cx) {
        return Box::pin(std::future::ready(result));
    }
    ctrl_c
}

/// Waits for `signal` (an armed Ctrl-C, perhaps followed by a goodbye),
/// then stops every app of `lab`. A failure to listen for the signal stops
/// the apps too: nothing is left running.
pub async fn serve_until<T>(signal: impl Future<Output = T>, lab: Vec<LabProfile>) {
    let _ = signal.await;
    stop(lab).await;
}

/// [`serve_until`] for one server started by hand (`sessionlab serve`).
pub async fn serve_one_until<T>(signal: impl Future<Output = T>, server: RunningServer) {
    let _ = signal.await;
    server.shutdown().await;
}
