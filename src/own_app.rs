//! The commands for an app the lab did not write: `target init` and the
//! `--idle-wait` duration of `attack --target-file`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sessionlab_app::{Profile, ProfileName};
use sessionlab_attack::analyze::{self, Analysis, collect::collect};
use sessionlab_attack::{AppOptions, Target, TargetFile};

/// The longest `--idle-wait`: the wait is real, and a run must end.
pub const MAX_IDLE_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `90s`, `31m`, `2h`, or plain seconds; at most [`MAX_IDLE_WAIT`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 90s, 31m or 2h, got {text:?}"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use s, m or h (90s, 31m, 2h)"
            ));
        }
    };
    let wait = Duration::from_secs(seconds);
    if wait.is_zero() || wait > MAX_IDLE_WAIT {
        return Err(format!(
            "--idle-wait must be between 1s and {}h",
            MAX_IDLE_WAIT.as_secs() / 3600
        ));
    }
    Ok(wait)
}

/// Where `sessionlab analyze` gets its tokens.
pub enum TokenSource {
    /// A sessionlab app started with `serve`.
    Url { url: String, authorized: bool },
    /// An app the lab did not write, described by a target file.
    File { path: PathBuf, authorized: bool },
    /// A profile started in this process.
    Profile(ProfileName),
    /// A file of tokens, one per line.
    Tokens(PathBuf),
}

/// Why `analyze` stopped: a usage problem (exit 2), an app it could not
/// reach (exit 3), or anything else (exit 1).
pub enum AnalyzeError {
    Usage(String),
    Unreachable(String),
    Failed(String),
}

fn target_error(e: sessionlab_attack::TargetError) -> AnalyzeError {
    use sessionlab_attack::TargetError::{BadUrl, NotLoopback};
    match e {
        e @ (BadUrl(_) | NotLoopback(_)) => AnalyzeError::Usage(e.to_string()),
        e => AnalyzeError::Unreachable(e.to_string()),
    }
}

/// Collects `n` tokens from `source` (a file: all of its lines) and analyses them.
pub async fn analyze_tokens(source: TokenSource, n: usize) -> Result<Analysis, AnalyzeError> {
    let started = Instant::now();
    let (label, tokens) = match source {
        TokenSource::Tokens(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| AnalyzeError::Usage(format!("cannot read {}: {e}", path.display())))?;
            let tokens: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            (path.display().to_string(), tokens)
        }
        TokenSource::Url { url, authorized } => {
            let target = Target::discover(&url, authorized)
                .await
                .map_err(target_error)?;
            let tokens = collect(&target, "/login", n)
                .await
                .map_err(AnalyzeError::Failed)?;
            (format!("{url} ({})", target.profile), tokens)
        }
        TokenSource::File { path, authorized } => {
            let file = TargetFile::read(&path).map_err(AnalyzeError::Usage)?;
            let options = AppOptions {
                authorized,
                idle_wait: None,
            };
            let target = Target::from_app_file(&file, &options)
                .await
                .map_err(target_error)?;
            let tokens = collect(&target, target.login_path(), n)
                .await
                .map_err(AnalyzeError::Failed)?;
            (format!("{} {}", file.url, target.login_path()), tokens)
        }
        TokenSource::Profile(name) => {
            let lab = sessionlab_harness::start_profiles(&[Profile::new(name)])
                .await
                .map_err(|e| AnalyzeError::Failed(format!("could not start the app: {e:#}")))?;
            let collected = collect(&lab[0].target, "/login", n).await;
            sessionlab_harness::stop(lab).await;
            (
                format!("the {name} profile, GET /login"),
                collected.map_err(AnalyzeError::Failed)?,
            )
        }
    };
    let collect_ms = started.elapsed().as_millis() as u64;
    let mut analysis = analyze::analyse(&label, &tokens).map_err(AnalyzeError::Failed)?;
    analysis.collect_ms = collect_ms;
    Ok(analysis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("31m"), Ok(Duration::from_secs(31 * 60)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("25h").is_err());
        assert!(parse_duration("3d").unwrap_err().contains("s, m or h"));
        assert!(parse_duration("soon").is_err());
    }
}
