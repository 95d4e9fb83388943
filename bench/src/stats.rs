//! Paired comparisons. The contenders take turns round by round, so round k
//! of a peer ran beside round k of rinit, under the same load: the ratio of
//! the two within a round cancels most of the drift that moves both, where
//! a comparison of the two medians does not. The interval for the median
//! of those ratios comes from order statistics alone (the sign test's), so
//! it assumes nothing about how the noise is distributed.

use crate::figures::median;

/// The confidence of the intervals.
pub const LEVEL: f64 = 0.95;

/// `LEVEL` shared out among `comparisons` (Bonferroni): for the worst of
/// three peers, 98.3%, so that the chance of reading a difference that is
/// not there stays at 5%.
pub fn shared_level(comparisons: usize) -> f64 {
    1.0 - (1.0 - LEVEL) / comparisons.max(1) as f64
}

/// P(X ≤ j) for X binomial with n trials of probability 1/2, for j = 0..n.
/// Computed in logarithms: 2^-n underflows beyond n = 1,074.
fn binomial_half_cdf(n: usize) -> Vec<f64> {
    let (mut ln_choose, ln_all) = (0.0, n as f64 * std::f64::consts::LN_2);
    let mut sum = 0.0;
    (0..=n)
        .map(|j| {
            if j > 0 {
                ln_choose += ((n - j + 1) as f64).ln() - (j as f64).ln();
            }
            sum += (ln_choose - ln_all).exp();
            sum.min(1.0)
        })
        .collect()
}

/// The ranks (from 1) of the order statistics that bound a distribution-free
/// confidence interval for the median of n values, at least `level` sure:
/// (k, n + 1 - k) for the largest k with P(X ≤ k - 1) ≤ (1 - level) / 2,
/// X binomial (n, 1/2) counting the values below the median. The interval
/// covers the median with probability 1 - 2 P(X ≤ k - 1). `None` when even
/// the smallest and largest value are not that sure (n ≤ 5 at 95%).
pub fn median_ranks(n: usize, level: f64) -> Option<(usize, usize)> {
    let tail = (1.0 - level) / 2.0;
    let cdf = binomial_half_cdf(n);
    let k = cdf.iter().take_while(|&&p| p <= tail).count();
    (n > 0 && k > 0).then_some((k, n + 1 - k))
}

/// Round by round, a peer's figure divided by rinit's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    /// The median of the per-round ratios.
    pub ratio: f64,
    /// Its confidence interval at `level`, if there are rounds enough.
    pub interval: Option<(f64, f64)>,
    /// The confidence of `interval` (`LEVEL`, unless asked otherwise).
    pub level: f64,
}

impl Paired {
    /// Pairs round k of the peer with round k of rinit. A round where
    /// rinit's figure is not above 0 has no ratio and is left out.
    pub fn of(peer: &[f64], rinit: &[f64], level: f64) -> Paired {
        let pairs = peer
            .iter()
            .zip(rinit)
            .filter(|(p, r)| **r > 0.0 && r.is_finite() && p.is_finite());
        Paired::from(pairs.map(|(p, r)| p / r).collect(), level)
    }

    /// For a figure that is a small difference beside the noise of each
    /// run (the start-up overhead: a run's time less the plain run's
    /// median), where a round's ratio swings wildly or has no sign: the
    /// rounds' differences, over rinit's median, plus 1. The interval holds
    /// 1 exactly when the ratios' would (both count the rounds each side
    /// won), and the figure reads as a ratio of the medians would.
    pub fn by_difference(peer: &[f64], rinit: &[f64], level: f64) -> Paired {
        let scale = median(rinit);
        let pairs = peer
            .iter()
            .zip(rinit)
            .filter(|(p, r)| p.is_finite() && r.is_finite());
        let ratios = pairs.map(|(p, r)| 1.0 + (p - r) / scale);
        match scale > 0.0 {
            true => Paired::from(ratios.collect(), level),
            false => Paired::from(Vec::new(), level),
        }
    }

    fn from(mut ratios: Vec<f64>, level: f64) -> Paired {
        ratios.sort_by(f64::total_cmp);
        let interval = median_ranks(ratios.len(), level);
        Paired {
            ratio: median(&ratios),
            interval: interval.map(|(lo, hi)| (ratios[lo - 1], ratios[hi - 1])),
            level,
        }
    }

    /// Whether the interval contains 1: this run cannot tell the two apart.
    pub fn unresolved(&self) -> bool {
        self.interval.is_some_and(|(lo, hi)| lo <= 1.0 && 1.0 <= hi)
    }

    /// "0.97, 95% CI 0.93-1.02", or without the interval when the rounds
    /// are too few for one.
    pub fn text(&self) -> String {
        // 95, or 98.3 for an interval shared out among three peers.
        let level = (self.level * 1000.0).round() / 10.0;
        let ratio = format!("{:.2}", self.ratio);
        match self.interval {
            Some((lo, hi)) => format!("{ratio}, {level}% CI {}-{}", decimals(lo), decimals(hi)),
            None => format!("{ratio}, too few rounds for a {level}% CI"),
        }
    }
}

/// An interval's end with two decimals, or more where two would round it
/// to 1: an interval that ends at 0.998 does not hold 1, and must not read
/// "1.00".
pub fn decimals(ratio: f64) -> String {
    let mut text = format!("{ratio:.2}");
    for d in 3..=5 {
        if ratio == 1.0 || text.trim_end_matches('0') != "1." {
            break;
        }
        text = format!("{ratio:.d$}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coverage of the interval between ranks k and n + 1 - k.
    fn coverage(n: usize, k: usize) -> f64 {
        1.0 - 2.0 * binomial_half_cdf(n)[k - 1]
    }

    #[test]
    fn binomial_tails_match_hand_counts() {
        // n = 10: C(10, 0..=2) = 1, 10, 45, over 2^10.
        let cdf = binomial_half_cdf(10);
        assert!((cdf[0] - 1.0 / 1024.0).abs() < 1e-12);
        assert!((cdf[1] - 11.0 / 1024.0).abs() < 1e-12);
        assert!((cdf[2] - 56.0 / 1024.0).abs() < 1e-12);
        assert!((cdf[10] - 1.0).abs() < 1e-12);
        // Far beyond where 2^-n underflows, still a distribution.
        let big = binomial_half_cdf(3_000);
        assert!((big[1_500] - 0.5).abs() < 0.01 && (big[3_000] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn median_intervals_by_hand() {
        // n = 10: P(X ≤ 1) = 11/1024 ≈ 0.011 is within 2.5%, P(X ≤ 2) =
        // 56/1024 ≈ 0.055 is not: the 2nd and 9th values, 97.9% sure.
        assert_eq!(median_ranks(10, 0.95), Some((2, 9)));
        assert!((coverage(10, 2) - (1.0 - 22.0 / 1024.0)).abs() < 1e-12);
        // n = 5: even min-max is only 1 - 2/32 = 93.75% sure.
        assert_eq!(median_ranks(5, 0.95), None);
        assert_eq!(median_ranks(6, 0.95), Some((1, 6)));
        assert_eq!(median_ranks(9, 0.95), Some((2, 8)));
        // The tables' values for n = 20 and 21: 6th to 15th, 6th to 16th.
        assert_eq!(median_ranks(20, 0.95), Some((6, 15)));
        assert_eq!(median_ranks(21, 0.95), Some((6, 16)));
        assert_eq!(median_ranks(0, 0.95), None);
    }

    #[test]
    fn median_intervals_are_the_narrowest_that_are_sure_enough() {
        for n in 6..400 {
            let (k, hi) = median_ranks(n, 0.95).unwrap();
            assert_eq!(hi, n + 1 - k);
            assert!(k <= hi, "n = {n}");
            assert!(coverage(n, k) >= 0.95, "n = {n}");
            assert!(k == hi || coverage(n, k + 1) < 0.95, "n = {n}");
        }
        // About n/2 - 1.96 sqrt(n)/2 for large n: 300 start-up runs.
        assert_eq!(median_ranks(300, 0.95), Some((133, 168)));
    }

    #[test]
    fn rounds_are_paired_in_order() {
        // The peer costs 10% less in every round, though its rounds and
        // rinit's drift together by far more than 10%.
        let rinit = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let peer = rinit.map(|r| r * 0.9);
        let paired = Paired::of(&peer, &rinit, LEVEL);
        assert!((paired.ratio - 0.9).abs() < 1e-12);
        let (lo, hi) = paired.interval.unwrap();
        assert!((lo - 0.9).abs() < 1e-12 && (hi - 0.9).abs() < 1e-12);
        assert!(!paired.unresolved());
        assert_eq!(paired.text(), "0.90, 95% CI 0.90-0.90");
        // Either ahead by turns: the interval holds 1.
        let turns = |k: usize| if k.is_multiple_of(2) { 1.1 } else { 0.9 };
        let peer: Vec<f64> = rinit
            .iter()
            .enumerate()
            .map(|(k, r)| r * turns(k))
            .collect();
        let paired = Paired::of(&peer, &rinit, LEVEL);
        let (lo, hi) = paired.interval.unwrap();
        assert!((lo - 0.9).abs() < 1e-12 && (hi - 1.1).abs() < 1e-12);
        assert!((paired.ratio - 1.1).abs() < 1e-12, "4 of 7 rounds at 1.1");
        assert!(paired.unresolved());
        // Too few rounds, and rounds without a ratio.
        let paired = Paired::of(&[1.0, 2.0, 2.0], &[1.0, 0.0, -1.0], LEVEL);
        assert_eq!((paired.ratio, paired.interval), (1.0, None));
        assert_eq!(paired.text(), "1.00, too few rounds for a 95% CI");
    }

    #[test]
    fn start_up_rounds_pair_by_difference() {
        // Overheads near 0: the per-round ratio would swing, or flip sign.
        let rinit = [0.5, -0.1, 0.3, 0.1, 0.6, 0.2, 0.4];
        let peer = rinit.map(|r| r + 0.03); // 0.3 ms median: 10% dearer each round
        let paired = Paired::by_difference(&peer, &rinit, LEVEL);
        assert!((paired.ratio - 1.1).abs() < 1e-9, "{paired:?}");
        let (lo, hi) = paired.interval.unwrap();
        assert!((lo - 1.1).abs() < 1e-9 && (hi - 1.1).abs() < 1e-9);
        assert!(
            Paired::by_difference(&peer, &[0.0; 7], LEVEL)
                .ratio
                .is_nan()
        );
    }

    #[test]
    fn ratios_near_1_show_which_side_they_are_on() {
        assert_eq!(decimals(0.9749), "0.97");
        assert_eq!(decimals(0.998), "0.998");
        assert_eq!(decimals(1.0004), "1.0004");
        assert_eq!(decimals(0.99999), "0.99999");
        assert_eq!(decimals(1.0), "1.00");
        assert_eq!(decimals(1.012), "1.01");
        let mut paired = Paired {
            ratio: 0.99,
            interval: Some((0.96, 0.998)),
            level: LEVEL,
        };
        assert_eq!(paired.text(), "0.99, 95% CI 0.96-0.998");
        paired.level = 1.0 - (1.0 - LEVEL) / 3.0;
        assert_eq!(paired.text(), "0.99, 98.3% CI 0.96-0.998");
    }
}
