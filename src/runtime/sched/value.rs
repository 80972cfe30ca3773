//! Value draws: what a policy sees when the program asks for a value.
//!
//! Every value the program draws in sim mode (`seedloop::random`, a fault
//! site, an injected cancel) is a choice like a scheduling pick: option `i`
//! of a domain of `options` values, logged, replayed, shrunk toward 0. A
//! [`ValueRequest`] says what is asked; the policy answers with an option.

use std::panic::Location;

use rand_chacha::ChaCha8Rng;
use rand_core::Rng as _;

use super::rng::below;
use super::ChoiceKind;

/// How a seeded policy draws a value when it has no reason to steer it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Shape {
    /// Every option equally likely.
    Uniform,
    /// Two options; option 1 ("yes", `true`) with this probability.
    Chance(f64),
}

/// A value the program asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueRequest {
    pub kind: ChoiceKind,
    /// How many values the domain has (the answer is below it).
    pub options: u64,
    pub shape: Shape,
    /// The first value of the domain as the program sees it (for the trace:
    /// `random 7 in 1..11` is option 6 of 10 with start 1).
    pub start: u64,
    /// Where the program asked (`#[track_caller]`): policies that steer
    /// values per call site (swarm testing) key on it.
    pub site: &'static Location<'static>,
    /// Whether the trace shows the draw (`random 7 in 1..11`). The
    /// simulated network's own draws are not shown: its lines say what they
    /// decided (`(delay 3 ms)`, `lost`).
    pub traced: bool,
}

impl ValueRequest {
    /// A uniform draw of one of `options` values, shown from `start`.
    pub fn uniform(options: u64, start: u64, site: &'static Location<'static>) -> ValueRequest {
        ValueRequest {
            kind: ChoiceKind::Value,
            options,
            shape: Shape::Uniform,
            start,
            site,
            traced: true,
        }
    }

    /// `true` (option 1) with probability `p`.
    pub fn chance(kind: ChoiceKind, p: f64, site: &'static Location<'static>) -> ValueRequest {
        ValueRequest {
            kind,
            options: 2,
            shape: Shape::Chance(p),
            start: 0,
            site,
            traced: true,
        }
    }

    /// The same request, not shown in the trace.
    pub fn untraced(self) -> ValueRequest {
        ValueRequest {
            traced: false,
            ..self
        }
    }

    /// The option a policy draws without steering: uniform, or a biased
    /// coin for a chance. Draws exactly one word from `rng` either way, so
    /// that `chance(p)` reads the stream as it always did.
    pub fn draw_plain(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self.shape {
            Shape::Uniform => below(rng, self.options),
            Shape::Chance(p) => u64::from(unit_f64(rng.next_u64()) < p),
        }
    }

    /// The last option.
    pub fn last(&self) -> u64 {
        self.options - 1
    }
}

/// A word's top 53 bits as a float in `[0, 1)`.
pub(crate) fn unit_f64(word: u64) -> f64 {
    (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// What a policy sees when it picks a value.
pub(crate) struct ValueView<'a> {
    pub request: &'a ValueRequest,
    /// How many choices (of any kind) were made before this one.
    pub step: usize,
    /// How many value choices were made before this one.
    pub draw: usize,
}

impl ValueView<'_> {
    pub fn options(&self) -> u64 {
        self.request.options
    }

    pub fn kind(&self) -> ChoiceKind {
        self.request.kind
    }
}
