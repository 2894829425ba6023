//! The four statistical tests of FIPS 140-2 (section 4.9.1, as the reference
//! lists them) on a stream of exactly 20,000 bits, and the small-sample
//! versions the analyzer uses on a bit position seen in fewer tokens.

use serde::Serialize;

/// The stream length FIPS 140-2 specifies.
pub const FIPS_BITS: usize = 20_000;

/// The allowed counts of runs of length 1, 2, 3, 4, 5 and 6 or more, for
/// runs of zeros and of ones alike.
const RUN_BOUNDS: [(usize, usize); 6] = [
    (2315, 2685),
    (1114, 1386),
    (527, 723),
    (240, 384),
    (103, 209),
    (103, 209),
];

/// A run this long (or longer) fails the long-run test.
const LONG_RUN: usize = 26;

/// The four results on one 20,000-bit stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fips {
    pub monobit: bool,
    pub poker: bool,
    pub runs: bool,
    pub long_run: bool,
}

impl Fips {
    pub fn all(&self) -> bool {
        self.monobit && self.poker && self.runs && self.long_run
    }
}

/// Runs the four tests on `bits` (each 0 or 1); `None` unless exactly [`FIPS_BITS`] long.
pub fn fips(bits: &[u8]) -> Option<Fips> {
    if bits.len() != FIPS_BITS {
        return None;
    }
    let ones: usize = bits.iter().map(|&b| b as usize).sum();
    let monobit = 9725 < ones && ones < 10275;

    let mut groups = [0u64; 16];
    for nibble in bits.chunks_exact(4) {
        let value = nibble.iter().fold(0usize, |v, &b| (v << 1) | b as usize);
        groups[value] += 1;
    }
    let sum_sq: u64 = groups.iter().map(|f| f * f).sum();
    let x = 16.0 / 5000.0 * sum_sq as f64 - 5000.0;
    let poker = 2.16 < x && x < 46.17;

    let mut counts = [[0usize; 6]; 2];
    let mut longest = 0;
    for (value, length) in runs_of(bits) {
        counts[value as usize][length.min(6) - 1] += 1;
        longest = longest.max(length);
    }
    let runs = counts.iter().all(|per_value| {
        per_value
            .iter()
            .zip(RUN_BOUNDS)
            .all(|(&n, (low, high))| low <= n && n <= high)
    });
    Some(Fips {
        monobit,
        poker,
        runs,
        long_run: longest < LONG_RUN,
    })
}

/// Each run of equal bits: its value and its length.
fn runs_of(bits: &[u8]) -> impl Iterator<Item = (u8, usize)> + '_ {
    bits.chunk_by(|a, b| a == b).map(|run| (run[0], run.len()))
}

/// The two-sided 1% critical value of the standard normal distribution.
const Z_1_PERCENT: f64 = 2.576;

/// For fewer bits than FIPS needs: the proportion of ones (monobit) and the
/// number of runs (Wald-Wolfowitz), each at a 1% significance level. A
/// constant stream fails.
pub fn small_sample(bits: &[u8]) -> bool {
    let n = bits.len() as f64;
    let ones = bits.iter().filter(|&&b| b == 1).count() as f64;
    let zeros = n - ones;
    if ones == 0.0 || zeros == 0.0 || n < 2.0 {
        return false;
    }
    let monobit = (ones - n / 2.0).abs() / (n.sqrt() / 2.0) < Z_1_PERCENT;
    let runs = runs_of(bits).count() as f64;
    let mean = 2.0 * ones * zeros / n + 1.0;
    let variance = (mean - 1.0) * (mean - 2.0) / (n - 1.0);
    let runs_ok = variance > 0.0 && (runs - mean).abs() / variance.sqrt() < Z_1_PERCENT;
    monobit && runs_ok
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn random_bits_pass_and_patterns_fail() {
        let mut rng = rand::rng();
        let random: Vec<u8> = (0..FIPS_BITS).map(|_| rng.random_range(0..2)).collect();
        assert!(fips(&random).unwrap().all());
        assert!(small_sample(&random[..500]));
        let alternating: Vec<u8> = (0..FIPS_BITS).map(|i| (i % 2) as u8).collect();
        let result = fips(&alternating).unwrap();
        assert!(
            result.monobit && !result.runs && !result.poker,
            "{result:?}"
        );
        assert!(!small_sample(&alternating[..500]));
        let constant = vec![1u8; FIPS_BITS];
        assert!(!fips(&constant).unwrap().long_run);
        assert!(!small_sample(&constant[..100]));
        assert_eq!(fips(&random[..100]), None);
    }
}
