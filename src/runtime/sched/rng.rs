//! Random streams derived from the seed, one per purpose.
//!
//! The 256-bit ChaCha key is expanded from the seed with splitmix64 (our own,
//! so the expansion can never change under us), and each purpose reads its
//! own ChaCha stream of that key. Drawing a number for the user therefore
//! never shifts the scheduling stream.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// What a stream of randomness is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Which ready task runs next (`Policy::Random`, PCT priorities).
    Schedule = 1,
    /// `seedloop::random` and friends, for user code.
    User = 2,
}

pub(crate) fn stream(seed: u64, purpose: Stream) -> ChaCha8Rng {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(purpose as u64);
    rng
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in `0..n` (n > 0), by multiply-shift: one draw, no division,
/// a bias below n / 2^64.
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_independent() {
        let mut a = stream(42, Stream::Schedule);
        let mut b = stream(42, Stream::Schedule);
        let mut u = stream(42, Stream::User);
        let x = a.next_u64();
        assert_eq!(x, b.next_u64());
        assert_ne!(x, u.next_u64());
        // Pinned: if this changes, every recorded seed means a different run.
        assert_eq!(stream(0, Stream::Schedule).next_u64(), PINNED);
    }

    const PINNED: u64 = 292_620_192_089_856_330;

    #[test]
    fn below_stays_in_range() {
        let mut r = stream(1, Stream::User);
        for n in 1..50 {
            assert!(below(&mut r, n) < n);
        }
    }
}
