//! PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
//! Nagarakatte, ASPLOS 2010).
//!
//! Every task gets a random priority when it is first seen; the highest
//! priority ready option always runs. At `depth - 1` change points, drawn
//! uniformly among the first `k` steps, the task about to run drops to a
//! priority below every initial one (the i-th change point gives priority i).
//! A bug that needs `d` ordering constraints is then hit with probability at
//! least `1/(n·k^(d-1))` per run.

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use super::value::ValueView;
use super::{ReadyView, SchedulePolicy};
use crate::runtime::ready_set::Choosable;
use crate::runtime::sched::rng::below;
use crate::runtime::sched::Divergence;

pub(crate) struct Pct {
    rng: ChaCha8Rng,
    /// Values are drawn plainly, from their own stream.
    values: ChaCha8Rng,
    depth: u64,
    /// Priority by task id (index); 0 means "not seen yet".
    priorities: Vec<u64>,
    /// The callback queue counts as one more task.
    callback_priority: u64,
    /// Steps at which a priority drops, with the priority it drops to.
    change_points: Vec<(usize, u64)>,
}

impl Pct {
    pub fn new(mut rng: ChaCha8Rng, values: ChaCha8Rng, depth: usize, expected_steps: u64) -> Pct {
        let depth = depth.max(1) as u64;
        let k = expected_steps.max(1);
        let mut change_points: Vec<(usize, u64)> = (1..depth)
            .map(|i| (below(&mut rng, k) as usize, i))
            .collect();
        change_points.sort_unstable();
        Pct {
            rng,
            values,
            depth,
            priorities: Vec::new(),
            callback_priority: 0,
            change_points,
        }
    }

    /// A fresh initial priority: above every change-point priority, random,
    /// and distinct in practice (ties fall to the lower option index).
    fn fresh(&mut self) -> u64 {
        self.depth + (self.rng.next_u64() >> 1)
    }

    fn priority(&mut self, c: Choosable) -> u64 {
        match c {
            Choosable::Callback => {
                if self.callback_priority == 0 {
                    self.callback_priority = self.fresh();
                }
                self.callback_priority
            }
            Choosable::Task(id) => {
                let i = id.as_u64() as usize;
                if self.priorities.len() <= i {
                    self.priorities.resize(i + 1, 0);
                }
                if self.priorities[i] == 0 {
                    self.priorities[i] = self.fresh();
                }
                self.priorities[i]
            }
        }
    }

    fn set_priority(&mut self, c: Choosable, p: u64) {
        match c {
            Choosable::Callback => self.callback_priority = p,
            Choosable::Task(id) => self.priorities[id.as_u64() as usize] = p,
        }
    }

    fn best(&mut self, view: &ReadyView<'_>) -> usize {
        let mut best = 0;
        let mut best_p = 0;
        for i in 0..view.len() {
            let p = self.priority(view.option(i));
            if p > best_p {
                best = i;
                best_p = p;
            }
        }
        best
    }
}

impl SchedulePolicy for Pct {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        let mut best = self.best(view);
        while let Some(&(step, low)) = self.change_points.first() {
            if step > view.step() {
                break;
            }
            self.change_points.remove(0);
            self.set_priority(view.option(best), low);
            best = self.best(view);
        }
        Ok(best)
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        Ok(view.request.draw_plain(&mut self.values))
    }
}
