//! How PCT steers the values a program draws: swarm biases per draw site,
//! and a delay-bounded push of `depth - 1` draws to their top.
//!
//! In asyncio-style code the rare interleavings come from time: a message
//! that is slow, a disk that stalls, a timeout that fires late. Uniform
//! draws (`Policy::Random`) make such timings rare: five 1..=20 ms hops are
//! all 18 ms or more once in a thousand runs. PCT makes them likely, in two
//! ways mixed in every run:
//!
//! - **Swarm** (Groce et al., ISSTA 2012): when a run first reaches a draw
//!   site (the `#[track_caller]` location of `seedloop::random::range` and
//!   friends), the site is biased *low* (every draw there takes its domain's
//!   first value: the shortest delay, `false`) with probability 1/2, *high*
//!   (the last value: the longest delay, `true`) with probability 1/4, or
//!   left *plain* (drawn as `Policy::Random` draws it) with probability 1/4.
//!   "Everything slow at once" is one site biased high.
//! - **Delay-bounded** (Emmi, Qadeer, Rakamarić, POPL 2011, for delays in
//!   schedules): `depth - 1` draw indices are chosen uniformly among the
//!   first `k` draws of the run (`k` is `expected_steps`), and the
//!   draws at those indices take their last value whatever their site's
//!   bias. With the other draws minimal, that is one straggler among fast
//!   messages.
//!
//! Only [`ChoiceKind::Value`] draws are steered: faults and injected
//! cancellations have their own policies and are drawn plainly. Draws after
//! the first `k` of a run are plain too, so a loop that waits for a
//! particular value (`while !chance(0.1) {}` at a site biased low) ends as
//! it does under `Policy::Random`.
//!
//! What it guarantees, per run, for a failure whose draws come from `s`
//! sites and fall among the run's first `k` draws (independent of PCT's
//! scheduling guarantee: the two draw from separate streams, so a failure
//! that needs an order and values gets the product):
//!
//! - if it needs every draw of those sites at its last value, probability at
//!   least `4^-s` (each site biased high);
//! - if it needs `depth - 1` given draws among the first `k` at their last
//!   value and every other draw of those sites at its first, probability at
//!   least `2^-s · (depth-1)! / k^(depth-1)` (each site biased low, and the
//!   pushed indices are exactly the needed ones).
//!
//! Uniform sampling gives the first `(1/n)^m` for `m` draws of `n` values
//! each, and the second `(1/n)^m` too: steering turns exponentially rare
//! timings into ones a few runs find. A failure that needs a value in the
//! middle of a domain keeps what plain sites give it (each site is plain
//! with probability 1/4).

use std::panic::Location;

use rand_chacha::ChaCha8Rng;

use super::rng::below;
use super::value::ValueView;
use super::ChoiceKind;

/// What a site's draws take in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bias {
    /// The domain's first value (the shortest delay, `false`).
    Low,
    /// The domain's last value (the longest delay, `true`).
    High,
    /// Drawn as `Policy::Random` draws it.
    Plain,
}

/// The values of one PCT run: per-site biases, drawn as sites are first
/// reached, and the draw indices pushed to their last value.
pub(crate) struct ValueSteering {
    rng: ChaCha8Rng,
    /// Value-draw indices whose draw takes its last value, ascending.
    pushed: Vec<usize>,
    /// Draws from this index on are plain.
    horizon: usize,
    /// The bias of every site seen so far (a run has few sites: a list is
    /// faster than a map).
    sites: Vec<(&'static Location<'static>, Bias)>,
}

impl ValueSteering {
    /// Steering for a run of PCT with `depth` from `rng` (the run's value
    /// stream), pushing `depth - 1` of the first `k` draws.
    pub fn new(mut rng: ChaCha8Rng, depth: u64, k: u64) -> ValueSteering {
        let k = k.max(1);
        let mut pushed: Vec<usize> = (1..depth.max(1))
            .map(|_| below(&mut rng, k) as usize)
            .collect();
        pushed.sort_unstable();
        ValueSteering {
            rng,
            pushed,
            horizon: usize::try_from(k).unwrap_or(usize::MAX),
            sites: Vec::new(),
        }
    }

    /// The option for the draw `view` asks for.
    pub fn value(&mut self, view: &ValueView<'_>) -> u64 {
        let request = view.request;
        if view.kind() != ChoiceKind::Value || view.draw >= self.horizon {
            return request.draw_plain(&mut self.rng);
        }
        if self.pushed.binary_search(&view.draw).is_ok() {
            return request.last();
        }
        match self.bias(request.site) {
            Bias::Low => 0,
            Bias::High => request.last(),
            Bias::Plain => request.draw_plain(&mut self.rng),
        }
    }

    /// `site`'s bias, drawn when the run first reaches it.
    fn bias(&mut self, site: &'static Location<'static>) -> Bias {
        let known = self
            .sites
            .iter()
            .find(|(s, _)| std::ptr::eq(*s, site) || *s == site);
        if let Some(&(_, bias)) = known {
            return bias;
        }
        let bias = match below(&mut self.rng, 4) {
            0 | 1 => Bias::Low,
            2 => Bias::High,
            _ => Bias::Plain,
        };
        self.sites.push((site, bias));
        bias
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::sched::rng::{stream, Stream};
    use crate::runtime::sched::value::ValueRequest;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    /// The options `steering` gives `draws` uniform draws of `options`
    /// values, alternating between two sites.
    fn draw(
        steering: &mut ValueSteering,
        sites: [&'static Location<'static>; 2],
        draws: usize,
    ) -> Vec<u64> {
        (0..draws)
            .map(|i| {
                let request = ValueRequest::uniform(100, 1, sites[i % 2]);
                let view = ValueView {
                    request: &request,
                    step: i,
                    draw: i,
                };
                steering.value(&view)
            })
            .collect()
    }

    #[test]
    fn a_site_keeps_its_bias_for_the_whole_run() {
        let sites = [here(), here()];
        let (mut low, mut high) = (0, 0);
        for seed in 0..200 {
            let mut steering = ValueSteering::new(stream(seed, Stream::User), 1, 1000);
            let values = draw(&mut steering, sites, 40);
            for site in 0..2 {
                let at_site: Vec<u64> = values.iter().skip(site).step_by(2).copied().collect();
                if at_site.iter().all(|&v| v == 0) {
                    low += 1;
                } else if at_site.iter().all(|&v| v == 99) {
                    high += 1;
                }
            }
        }
        // 400 sites: about 200 low, 100 high, 100 plain (never all equal).
        assert!((160..240).contains(&low), "{low} low");
        assert!((70..130).contains(&high), "{high} high");
    }

    #[test]
    fn sites_draw_their_biases_apart_and_a_copied_location_is_the_same_site() {
        let sites = [here(), here()];
        // The same source location at another address (as a monomorphized
        // copy of a generic caller may give).
        let copy: &'static Location<'static> = Box::leak(Box::new(*sites[0]));
        let mut apart = 0;
        for seed in 0..200 {
            let mut steering = ValueSteering::new(stream(seed, Stream::User), 1, 1000);
            let (a, b) = (steering.bias(sites[0]), steering.bias(sites[1]));
            apart += usize::from(a != b);
            assert_eq!(steering.bias(copy), a, "seed {seed}");
        }
        // Independent biases differ in 1 - (1/4 + 1/16 + 1/16) = 5/8 of runs.
        assert!((100..150).contains(&apart), "{apart} of 200");
    }

    #[test]
    fn pushed_draws_take_their_last_value() {
        let sites = [here(), here()];
        for seed in 0..50 {
            let mut steering = ValueSteering::new(stream(seed, Stream::User), 3, 10);
            let pushed = steering.pushed.clone();
            assert_eq!(pushed.len(), 2);
            let values = draw(&mut steering, sites, 10);
            for i in pushed {
                assert_eq!(values[i], 99, "seed {seed}: {values:?}");
            }
        }
    }

    #[test]
    fn draws_past_the_horizon_and_other_kinds_are_plain() {
        let site = here();
        let (mut plain_seen, mut high_sites) = (false, 0);
        for seed in 0..20 {
            let mut steering = ValueSteering::new(stream(seed, Stream::User), 2, 4);
            let values = draw(&mut steering, [site, site], 40);
            // Past the 4th draw, a low or high site would give 0 or 99 forever.
            plain_seen |= values[4..].iter().any(|&v| v != 0 && v != 99);
            assert!(values[4..].iter().any(|&v| v != values[4]), "{values:?}");
            if steering.bias(site) == Bias::High {
                high_sites += 1;
                // A fault at a site biased high is still drawn plainly.
                let fault = ValueRequest::chance(ChoiceKind::Fault, 0.0, site);
                let view = ValueView {
                    request: &fault,
                    step: 0,
                    draw: 0,
                };
                assert_eq!(steering.value(&view), 0, "seed {seed}");
            }
        }
        assert!(plain_seen);
        assert!(high_sites > 0);
    }
}
