//! The commands for an app the lab did not write: `target init` and the
//! `--idle-wait` duration of `attack --target-file`.

use std::time::Duration;

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
