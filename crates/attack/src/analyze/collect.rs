//! Collecting session IDs: fresh anonymous visits, many at once but never
//! more than [`CONCURRENCY`] in flight, each answered with a new cookie.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sessionlab_browser::pinned_client_config;

use crate::lab::{APP_HOST, Target};

/// Requests in flight at once.
pub const CONCURRENCY: usize = 32;
/// The most tokens one live collection asks for (the lab app keeps 100,000 sessions).
pub const MAX_LIVE_TOKENS: usize = 100_000;
/// How long one visit may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Visits `path` on the target `n` times without cookies and keeps the value
/// of the session cookie each answer sets, in the order they arrived.
pub async fn collect(target: &Target, path: &str, n: usize) -> Result<Vec<String>, String> {
    if n > MAX_LIVE_TOKENS {
        return Err(format!(
            "-n {n} is more than one collection asks for (at most {MAX_LIVE_TOKENS})"
        ));
    }
    let trusted: Vec<Vec<u8>> = target.certificate.iter().cloned().collect();
    let client = reqwest::Client::builder()
        .resolve(APP_HOST, target.addr)
        .use_preconfigured_tls(pinned_client_config(&trusted))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let url = target.app_url(path);
    let cookie = Arc::new(target.session_cookie.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY.min(n.max(1)) {
        let (client, url, cookie, next) =
            (client.clone(), url.clone(), cookie.clone(), next.clone());
        workers.spawn(async move {
            let mut mine = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let response = client
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| format!("GET {url}: {e}"))?;
                let value = response
                    .headers()
                    .get_all(reqwest::header::SET_COOKIE)
                    .iter()
                    .filter_map(|h| h.to_str().ok())
                    .find_map(|line| {
                        let pair = line.split(';').next()?;
                        let (name, value) = pair.split_once('=')?;
                        (name.trim() == cookie.as_str()).then(|| value.trim().to_string())
                    });
                match value {
                    Some(value) => mine.push(value),
                    None => {
                        return Err(format!(
                            "GET {url} answered {} without a {} cookie: the app does not start a session for anonymous visitors there",
                            response.status(),
                            cookie
                        ));
                    }
                }
                // Drain the body so the connection goes back to the pool.
                let _ = response.bytes().await;
            }
            Ok::<_, String>(mine)
        });
    }
    let mut tokens = Vec::with_capacity(n);
    while let Some(joined) = workers.join_next().await {
        let mine = joined.map_err(|e| format!("a collecting task failed: {e}"))??;
        tokens.extend(mine);
    }
    Ok(tokens)
}
