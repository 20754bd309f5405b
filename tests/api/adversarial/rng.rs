//! A small seeded PRNG (SplitMix64). Every case is a pure function of (seed, stream, index),
//! so a failure replays from the three numbers the report prints, whatever ran before it.

#[derive(Debug, Clone)]
pub struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(mix(seed ^ 0x9E37_79B9_7F4A_7C15))
    }

    /// The generator of case `index` of `stream` (a transport's name) under `seed`.
    pub fn for_case(seed: u64, stream: &str, index: u64) -> Self {
        let mut h = mix(seed ^ 0x5851_F42D_4C95_7F2D);
        for b in stream.bytes() {
            h = mix(h ^ u64::from(b));
        }
        Self(mix(h ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of the strings (a shorthand that keeps type inference out of the way).
    pub fn pick_str<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// One of `items`, each as likely as its weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| *w).sum();
        let mut at = self.below(total as usize) as u32;
        for (w, item) in items {
            if at < *w {
                return *item;
            }
            at -= w;
        }
        items[items.len() - 1].1
    }

    /// A few distinct indices of `0..n`, in random order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in (1..all.len()).rev() {
            let j = self.below(i + 1);
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }
}

#[test]
fn cases_are_reproducible_and_independent() {
    let a: Vec<u64> = (0..4)
        .map(|_| Rng::for_case(7, "post", 3).next_u64())
        .collect();
    assert!(a.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(
        Rng::for_case(7, "post", 3).next_u64(),
        Rng::for_case(7, "post", 4).next_u64()
    );
    assert_ne!(
        Rng::for_case(7, "post", 3).next_u64(),
        Rng::for_case(7, "get", 3).next_u64()
    );
}
