//! The victim's browser: the simulated one, or real Chromium.
//!
//! The scenarios whose verdict depends on what a browser does (hijack-xss,
//! csrf, hijack-sniff, fixation-cookie, referer-leak) drive their victim
//! through [`VictimBrowser`], so `--browser chromium` replays them with a real
//! browser: same steps, and a transcript built from Chromium's own Network
//! events. [`Drive`] is the handful of operations they and the shared actor
//! helpers ([`crate::actors::log_in`], ...) need; the attacker's simulated
//! [`Browser`] has them too.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use sessionlab_browser::{Browser, Exchange, Network, Page, StoredCookie};
use sessionlab_chromium::{ChromiumBrowser, ChromiumError};
use url::Url;

use crate::lab::RunError;

/// Which browser a run's victim uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BrowserKind {
    /// The lab's simulated browser (`crates/browser`).
    #[default]
    Sim,
    /// Debian's headless Chromium, through the DevTools protocol (`crates/chromium`).
    Chromium,
}

impl BrowserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sim => "sim",
            Self::Chromium => "chromium",
        }
    }
}

/// The scenarios whose victim is real Chromium under `--browser chromium`;
/// in the others the browser only carries a cookie, and the victim stays simulated.
pub const CHROMIUM_VICTIM_SCENARIOS: &[&str] = &[
    "hijack-xss",
    "hijack-sniff",
    "fixation-cookie",
    "referer-leak",
    "csrf",
];

/// What a browser does for a scenario's actor.
// Used with concrete types only (never `dyn`), so the futures' Send-ness is known.
#[allow(async_fn_in_trait)]
pub trait Drive {
    /// Opens `url` as if typed into the address bar.
    async fn open(&mut self, url: &Url) -> Result<Page, RunError>;
    /// Fills and submits the form of `page` that posts to `action` (a path).
    async fn submit_form(
        &mut self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, RunError>;
    /// Clicks the first link of `page` whose text or address contains `contains`.
    async fn follow_link(&mut self, page: &Page, contains: &str) -> Result<Page, RunError>;
    /// Every exchange this browser made, in order.
    fn exchanges(&self) -> &[Exchange];
    /// The values of the cookies called `name` in its store.
    fn cookie_values(&self, name: &str) -> Vec<String>;
}

impl Drive for Browser {
    async fn open(&mut self, url: &Url) -> Result<Page, RunError> {
        Ok(Browser::open(self, url, None).await?)
    }

    async fn submit_form(
        &mut self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, RunError> {
        Ok(Browser::submit_form(self, page, action, fields).await?)
    }

    async fn follow_link(&mut self, page: &Page, contains: &str) -> Result<Page, RunError> {
        Ok(Browser::follow_link(self, page, contains).await?)
    }

    fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    fn cookie_values(&self, name: &str) -> Vec<String> {
        self.jar
            .cookies()
            .iter()
            .filter(|c| c.name == name)
            .map(|c| c.value.clone())
            .collect()
    }
}

/// The victim's browser in the browser-dependent scenarios (one per run: boxing the
/// simulated one would only add an allocation).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum VictimBrowser {
    Sim(Browser),
    Chromium(Box<ChromiumBrowser>),
}

impl VictimBrowser {
    /// The lab network as the victim sees it (routes to the evil sites, the
    /// relay); Chromium reads it when it starts, at the first request.
    pub fn network_mut(&mut self) -> &mut Network {
        match self {
            Self::Sim(browser) => &mut browser.network,
            Self::Chromium(browser) => &mut browser.network,
        }
    }

    pub fn kind(&self) -> BrowserKind {
        match self {
            Self::Sim(_) => BrowserKind::Sim,
            Self::Chromium(_) => BrowserKind::Chromium,
        }
    }

    /// How long `cookie` (as sent) has been in the store.
    pub fn age_of(&self, cookie: &StoredCookie) -> Duration {
        let (now, created) = match self {
            Self::Sim(browser) => (browser.now(), cookie.created),
            Self::Chromium(browser) => (
                SystemTime::now(),
                browser.stored_at(&cookie.name).unwrap_or(cookie.created),
            ),
        };
        now.duration_since(created).unwrap_or(Duration::ZERO)
    }

    /// Failures of requests the page's scripts made (the simulated browser's record).
    pub fn script_errors(&self) -> Vec<String> {
        match self {
            Self::Sim(browser) => browser.script_errors.clone(),
            Self::Chromium(_) => Vec::new(),
        }
    }
}

fn chromium(error: ChromiumError) -> RunError {
    RunError::Lab(error.to_string())
}

impl Drive for VictimBrowser {
    async fn open(&mut self, url: &Url) -> Result<Page, RunError> {
        match self {
            Self::Sim(browser) => Drive::open(browser, url).await,
            Self::Chromium(browser) => browser.open(url).await.map_err(chromium),
        }
    }

    async fn submit_form(
        &mut self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, RunError> {
        match self {
            Self::Sim(browser) => Drive::submit_form(browser, page, action, fields).await,
            Self::Chromium(browser) => browser.submit_form(action, fields).await.map_err(chromium),
        }
    }

    async fn follow_link(&mut self, page: &Page, contains: &str) -> Result<Page, RunError> {
        match self {
            Self::Sim(browser) => Drive::follow_link(browser, page, contains).await,
            Self::Chromium(browser) => browser.follow_link(contains).await.map_err(chromium),
        }
    }

    fn exchanges(&self) -> &[Exchange] {
        match self {
            Self::Sim(browser) => &browser.exchanges,
            Self::Chromium(browser) => &browser.exchanges,
        }
    }

    fn cookie_values(&self, name: &str) -> Vec<String> {
        match self {
            Self::Sim(browser) => Drive::cookie_values(browser, name),
            Self::Chromium(browser) => browser.cookie_values(name),
        }
    }
}
