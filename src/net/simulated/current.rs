//! The simulated network of the sim run on this thread.
//!
//! `Sim::run` enters one for the run's length with its `net::Config`; the
//! world itself is made at the first use, so a run that opens no socket
//! pays nothing for it. The net layer owns this context (as a task's
//! context is owned by `task/`): the core never holds the network, and
//! nothing needs to be downcast to find it.

use std::cell::RefCell;
use std::rc::Rc;

use super::World;
use crate::net::Config;

/// The run's network: its configuration until first used, then the world.
enum Slot {
    Unmade(Config),
    Made(Rc<World>),
}

thread_local! {
    static CURRENT: RefCell<Option<Slot>> = const { RefCell::new(None) };
}

/// The run's network while it lives; the previous one (none, normally)
/// comes back when it is dropped, also on unwinding.
pub(crate) struct Entered {
    previous: Option<Slot>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The world is dropped outside the borrow: dropping sockets may
        // look for it.
        let ended = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
        drop(ended);
    }
}

/// Enters a simulated network with `config` on this thread.
pub(crate) fn enter(config: Config) -> Entered {
    Entered {
        previous: CURRENT.with(|c| c.borrow_mut().replace(Slot::Unmade(config))),
    }
}

/// The simulated network of the run on this thread, made now if this is
/// its first use; `None` outside a sim run.
pub(crate) fn current() -> Option<Rc<World>> {
    CURRENT.with(|c| {
        let mut slot = c.borrow_mut();
        match slot.as_mut()? {
            Slot::Made(world) => Some(world.clone()),
            Slot::Unmade(config) => {
                let world = Rc::new(World::new(config.clone()));
                *slot = Some(Slot::Made(world.clone()));
                Some(world)
            }
        }
    })
}
