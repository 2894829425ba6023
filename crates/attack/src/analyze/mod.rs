//! The token analyzer (`sessionlab analyze`): how unpredictable are an app's
//! session IDs? As Burp Sequencer does it, the bits of the decoded tokens
//! are tested per bit position (FIPS 140-2 on 20,000 tokens, a monobit and a
//! runs test at 1% on fewer), and the positions that pass are the effective
//! entropy. Bit tests alone pass a hashed counter, so the decoded values are
//! also searched for counters and timestamps (fields that vary within a
//! narrow range). CWE-330 / CWE-331; ASVS 4.0.3 V3.2.2, V3.2.4.

pub mod collect;
pub mod decode;
pub mod fips;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use decode::{Decoded, Encoding, Signed, decode_all};
use fips::{FIPS_BITS, Fips, fips, small_sample};

/// The fewest tokens worth analysing (Burp's minimum is 100).
pub const MIN_TOKENS: usize = 100;

/// ZAP's bands of effective entropy, from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// A counter or timestamp was found: whatever the bits say, IDs can be computed.
    Predictable,
    /// Under 20 bits.
    Deterministic,
    /// 20 to 40 bits.
    Vulnerable,
    /// 40 to 60 bits.
    Weak,
    /// 60 to 80 bits.
    Good,
    /// 80 bits or more.
    Excellent,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Predictable => "predictable",
            Self::Deterministic => "deterministic",
            Self::Vulnerable => "vulnerable",
            Self::Weak => "weak",
            Self::Good => "good",
            Self::Excellent => "excellent",
        }
    }

    fn of(effective_bits: usize, structured: bool) -> Self {
        match effective_bits {
            _ if structured => Self::Predictable,
            0..20 => Self::Deterministic,
            20..40 => Self::Vulnerable,
            40..60 => Self::Weak,
            60..80 => Self::Good,
            _ => Self::Excellent,
        }
    }

    /// Whether an attacker can hope to compute or guess IDs.
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            Self::Predictable | Self::Deterministic | Self::Vulnerable | Self::Weak
        )
    }
}

/// A field of the decoded tokens that counts (or tells the time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Structure {
    /// `counter` or `timestamp`.
    pub kind: &'static str,
    /// Byte range in the decoded token.
    pub bytes: (usize, usize),
    pub big_endian: bool,
    /// Smallest and largest value seen (as decimal text: up to 128 bits).
    pub min: String,
    pub max: String,
    /// The difference between consecutive tokens when it is one constant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The largest value seen, as a number (what an attacker extrapolates from).
    #[serde(skip)]
    pub max_value: u128,
    /// The smallest gap between two distinct values seen (the counter's
    /// step, when the tokens were collected out of order).
    pub gap: String,
    #[serde(skip)]
    pub gap_value: u128,
    /// What it means, in one line.
    pub note: String,
}

/// The FIPS results on the tokens' bits taken as one stream, block by block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StreamFips {
    pub blocks: usize,
    pub monobit: usize,
    pub poker: usize,
    pub runs: usize,
    pub long_run: usize,
}

/// Everything the analyzer found; the CLI renders it as a table, JSON or HTML.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Where the tokens came from ("profile insecure", a URL, a file).
    pub source: String,
    pub tokens: usize,
    /// Tokens of another decoded length than the most common one: left out.
    pub skipped: usize,
    pub distinct: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<Signed>,
    pub encoding: Encoding,
    /// Decoded length in bits.
    pub bits: usize,
    /// Whether the per-position tests are FIPS 140-2 (20,000 tokens or more)
    /// or the small-sample tests.
    pub fips_per_position: bool,
    /// Per bit position: Shannon entropy of that bit over the tokens (0 to 1).
    pub bit_entropy: Vec<f64>,
    /// Per bit position: whether it passed its tests.
    pub bit_passed: Vec<bool>,
    /// Per bit position, with 20,000 tokens or more: the four FIPS results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bit_fips: Vec<Fips>,
    /// Per character position of the (signature-stripped) ID: Shannon entropy in bits.
    pub char_entropy: Vec<f64>,
    /// FIPS 140-2 on all the bits as one stream, in 20,000-bit blocks.
    pub stream: StreamFips,
    /// Whether the first block passed all four tests.
    pub first_block_passed: bool,
    /// [`Analysis::passes_fips`], for the JSON.
    pub passes_fips_140_2: bool,
    /// The bit positions that pass: the effective entropy estimate, in bits.
    pub effective_bits: usize,
    pub structures: Vec<Structure>,
    pub band: Band,
    /// The verdict in one sentence.
    pub verdict: String,
    pub collect_ms: u64,
    pub analyse_ms: u64,
}

/// How many bit positions may fail the four tests by chance alone. On a
/// perfect source one position fails one of them about once in 700 (monobit
/// and poker about 1 in 10,000 each, the six run lengths about 1 in 1,000
/// together, the long run about 1 in 3,000), so with 128 positions one in six
/// samples has a failing position. More than three fail together about once in
/// 20,000 samples; a counter or a timestamp fails dozens.
pub const CHANCE_FAILURES: usize = 3;

impl Analysis {
    /// "Passes FIPS 140-2": every bit position passed the four tests (on
    /// 20,000 tokens), but for the few a perfect source fails by chance
    /// ([`CHANCE_FAILURES`]), and so did the first 20,000 bits of the stream,
    /// the sample the standard specifies. (Further blocks are reported: on a
    /// perfect source each test still fails about one block in several
    /// thousand.)
    pub fn passes_fips(&self) -> bool {
        let failing = self.bit_passed.iter().filter(|&&p| !p).count();
        self.fips_per_position && failing <= CHANCE_FAILURES && self.first_block_passed
    }
}

fn shannon(counts: impl Iterator<Item = usize>, total: usize) -> f64 {
    counts
        .filter(|&c| c > 0)
        .map(|c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Analyses `tokens` (cookie values, in the order they were collected).
pub fn analyse(source: &str, tokens: &[String]) -> Result<Analysis, String> {
    let started = std::time::Instant::now();
    if tokens.len() < MIN_TOKENS {
        return Err(format!(
            "{} token(s) is too few to measure anything: give at least {MIN_TOKENS}",
            tokens.len()
        ));
    }
    let decoded: Vec<Decoded> = decode_all(tokens);
    // The most common decoded length is the sample; other lengths are left out.
    let mut lengths: HashMap<usize, usize> = HashMap::new();
    for d in &decoded {
        *lengths.entry(d.bytes.len()).or_default() += 1;
    }
    let (&length, _) = lengths
        .iter()
        .max_by_key(|(len, n)| (**n, **len))
        .expect("at least one token");
    let sample: Vec<&Decoded> = decoded.iter().filter(|d| d.bytes.len() == length).collect();
    if length == 0 || sample.len() < MIN_TOKENS {
        return Err("the tokens have no common decoded length worth analysing".into());
    }
    let n = sample.len();
    let bits = length * 8;
    let bit = |d: &Decoded, i: usize| (d.bytes[i / 8] >> (7 - i % 8)) & 1;

    let fips_per_position = n >= FIPS_BITS;
    let mut bit_entropy = Vec::with_capacity(bits);
    let mut bit_passed = Vec::with_capacity(bits);
    let mut bit_fips = Vec::new();
    let mut column = Vec::with_capacity(n);
    for i in 0..bits {
        column.clear();
        column.extend(sample.iter().map(|d| bit(d, i)));
        let ones = column.iter().filter(|&&b| b == 1).count();
        bit_entropy.push(shannon([ones, n - ones].into_iter(), n));
        if fips_per_position {
            let result = fips(&column[..FIPS_BITS]).expect("20,000 bits");
            bit_passed.push(result.all());
            bit_fips.push(result);
        } else {
            bit_passed.push(small_sample(&column));
        }
    }

    let mut stream = StreamFips {
        blocks: 0,
        monobit: 0,
        poker: 0,
        runs: 0,
        long_run: 0,
    };
    let all_bits: Vec<u8> = sample
        .iter()
        .flat_map(|d| (0..bits).map(move |i| bit(d, i)))
        .collect();
    let mut first_block_passed = false;
    for block in all_bits.chunks_exact(FIPS_BITS) {
        let result = fips(block).expect("a full block");
        if stream.blocks == 0 {
            first_block_passed = result.all();
        }
        stream.blocks += 1;
        stream.monobit += usize::from(result.monobit);
        stream.poker += usize::from(result.poker);
        stream.runs += usize::from(result.runs);
        stream.long_run += usize::from(result.long_run);
    }

    let char_len = sample
        .iter()
        .map(|d| d.id.chars().count())
        .min()
        .unwrap_or(0);
    let char_entropy = (0..char_len)
        .map(|position| {
            let mut counts: HashMap<char, usize> = HashMap::new();
            for d in &sample {
                if let Some(c) = d.id.chars().nth(position) {
                    *counts.entry(c).or_default() += 1;
                }
            }
            shannon(counts.into_values(), n)
        })
        .collect();

    let structures = find_structures(&sample);
    let effective_bits = bit_passed.iter().filter(|&&p| p).count();
    let band = Band::of(effective_bits, !structures.is_empty());
    let distinct = {
        let mut ids: Vec<&[u8]> = sample.iter().map(|d| d.bytes.as_slice()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let verdict = match structures.first() {
        Some(s) => format!(
            "{}: {}. The next IDs can be computed, whatever the bit tests say",
            band.as_str(),
            s.note
        ),
        None => format!(
            "{}: about {effective_bits} of {bits} bits pass the {} tests; no counter or timestamp found",
            band.as_str(),
            if fips_per_position {
                "FIPS 140-2"
            } else {
                "small-sample (monobit and runs, 1%)"
            }
        ),
    };
    let mut analysis = Analysis {
        source: source.to_string(),
        tokens: tokens.len(),
        skipped: tokens.len() - n,
        distinct,
        signed: sample[0].signed,
        encoding: sample[0].encoding,
        bits,
        fips_per_position,
        bit_entropy,
        bit_passed,
        bit_fips,
        char_entropy,
        stream,
        first_block_passed,
        effective_bits,
        structures,
        band,
        verdict,
        passes_fips_140_2: false,
        collect_ms: 0,
        analyse_ms: 0,
    };
    analysis.passes_fips_140_2 = analysis.passes_fips();
    analysis.analyse_ms = started.elapsed().as_millis() as u64;
    Ok(analysis)
}

/// Field widths searched for counters, in bytes.
const WIDTHS: [usize; 3] = [4, 8, 16];
/// A field counts when its values span at most this much per token.
const COUNTER_GAP: u128 = 1 << 12;
/// How far from now a value may be and still read as a timestamp.
const DAY_SECONDS: u128 = 86_400;

/// Fields of the decoded tokens that vary within a narrow range (a counter)
/// or near the current time (a timestamp). The widest such field at the
/// lowest offset is reported once.
fn find_structures(sample: &[&Decoded]) -> Vec<Structure> {
    let length = sample[0].bytes.len();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Each unit, the time now in it, and one day in it.
    let clocks = [
        ("seconds", now.as_secs() as u128, DAY_SECONDS),
        ("milliseconds", now.as_millis(), DAY_SECONDS * 1_000),
        ("microseconds", now.as_micros(), DAY_SECONDS * 1_000_000),
        ("nanoseconds", now.as_nanos(), DAY_SECONDS * 1_000_000_000),
    ];
    let mut found: Vec<Structure> = Vec::new();
    for width in WIDTHS.into_iter().rev() {
        if width > length {
            continue;
        }
        for offset in 0..=length - width {
            if found
                .iter()
                .any(|s| offset < s.bytes.1 && s.bytes.0 < offset + width)
            {
                continue;
            }
            for big_endian in [false, true] {
                let values: Vec<u128> = sample
                    .iter()
                    .map(|d| {
                        let field = &d.bytes[offset..offset + width];
                        let mut buf = [0u8; 16];
                        if big_endian {
                            buf[16 - width..].copy_from_slice(field);
                            u128::from_be_bytes(buf)
                        } else {
                            buf[..width].copy_from_slice(field);
                            u128::from_le_bytes(buf)
                        }
                    })
                    .collect();
                let (min, max) = (
                    *values.iter().min().expect("values"),
                    *values.iter().max().expect("values"),
                );
                let span = max - min;
                let range_bits = (width * 8) as u32;
                let clock = clocks
                    .iter()
                    .find(|(_, now, day)| min.abs_diff(*now) <= *day);
                let small = span <= COUNTER_GAP * values.len() as u128
                    && (range_bits >= 128 || span < (1u128 << (range_bits - 4)));
                // A constant field is no counter, but a constant time still tells the time.
                if !(small && (span > 0 || clock.is_some())) {
                    continue;
                }
                let steps: Vec<i128> = values
                    .windows(2)
                    .map(|w| w[1] as i128 - w[0] as i128)
                    .collect();
                let step = steps
                    .first()
                    .filter(|&&s| s != 0 && steps.iter().all(|x| x == &s))
                    .map(|s| s.to_string());
                let gap = {
                    let mut sorted = values.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    sorted.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(0)
                };
                let (kind, note) = match clock {
                    Some((unit, _, _)) => (
                        "timestamp",
                        format!(
                            "bytes {offset}..{} read as a {} integer are the current time in {unit}",
                            offset + width,
                            if big_endian {
                                "big-endian"
                            } else {
                                "little-endian"
                            }
                        ),
                    ),
                    None => (
                        "counter",
                        format!(
                            "bytes {offset}..{} read as a {} integer count: {} tokens span only {min}..{max}{}",
                            offset + width,
                            if big_endian {
                                "big-endian"
                            } else {
                                "little-endian"
                            },
                            values.len(),
                            step.as_ref()
                                .map(|s| format!(", step {s}"))
                                .unwrap_or_default()
                        ),
                    ),
                };
                found.push(Structure {
                    kind,
                    bytes: (offset, offset + width),
                    big_endian,
                    min: min.to_string(),
                    max: max.to_string(),
                    step,
                    max_value: max,
                    gap: gap.to_string(),
                    gap_value: gap,
                    note,
                });
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rand::Rng;

    use super::*;

    #[test]
    fn a_counter_is_predictable_and_random_ids_are_excellent() {
        let counter: Vec<String> = (1000u128..1300)
            .map(|v| URL_SAFE_NO_PAD.encode(v.to_le_bytes()))
            .collect();
        let analysis = analyse("test", &counter).unwrap();
        assert_eq!(analysis.band, Band::Predictable, "{}", analysis.verdict);
        assert_eq!(analysis.structures[0].kind, "counter");
        assert_eq!(analysis.structures[0].step.as_deref(), Some("1"));
        assert!(analysis.effective_bits < 8, "{}", analysis.effective_bits);

        let mut rng = rand::rng();
        let random: Vec<String> = (0..500)
            .map(|_| URL_SAFE_NO_PAD.encode(rng.random::<u128>().to_le_bytes()))
            .collect();
        let analysis = analyse("test", &random).unwrap();
        assert!(analysis.structures.is_empty(), "{:?}", analysis.structures);
        assert_eq!(analysis.band, Band::Excellent, "{}", analysis.verdict);
        assert!(analysis.effective_bits > 110, "{}", analysis.effective_bits);
    }

    #[test]
    fn a_few_positions_may_fail_by_chance_and_no_more() {
        let mut rng = rand::rng();
        let random: Vec<String> = (0..500)
            .map(|_| URL_SAFE_NO_PAD.encode(rng.random::<u128>().to_le_bytes()))
            .collect();
        let mut analysis = analyse("test", &random).unwrap();
        // As if the sample had been the 20,000 tokens FIPS 140-2 sizes.
        analysis.fips_per_position = true;
        analysis.first_block_passed = true;
        analysis.bit_passed.fill(true);
        analysis.bit_passed[..CHANCE_FAILURES].fill(false);
        assert!(analysis.passes_fips());
        analysis.bit_passed[CHANCE_FAILURES] = false;
        assert!(!analysis.passes_fips());
    }

    #[test]
    fn a_timestamp_is_found() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let tokens: Vec<String> = (0..200u64)
            .map(|i| {
                let mut bytes = (now + i * 7).to_be_bytes().to_vec();
                bytes.extend(rand::rng().random::<u64>().to_be_bytes());
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            })
            .collect();
        let analysis = analyse("test", &tokens).unwrap();
        assert_eq!(
            analysis.structures[0].kind, "timestamp",
            "{:?}",
            analysis.structures
        );
        assert_eq!(analysis.band, Band::Predictable);
    }

    #[test]
    fn too_few_tokens_is_an_error() {
        assert!(analyse("test", &["abc".to_string()]).is_err());
    }
}
