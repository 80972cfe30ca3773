//! The fault injector: as a message leaves, maybe a crash or a partition
//! strikes (see `net::Faults`). Every decision is a choice of the run.

use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use super::control::Ways;
use super::World;
use crate::net::Faults;
use crate::runtime::context::with_core;
use crate::runtime::hosts::HostNumber;
use crate::runtime::sched::value::ValueRequest;
use crate::runtime::sched::ChoiceKind;
use crate::trace::EventKind;

/// What a strike does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strike {
    /// The host crashes, and restarts after the outage.
    Crash(HostNumber),
    /// The two hosts are cut off both ways, and repaired after the outage.
    Partition(HostNumber, HostNumber),
}

/// Maybe strikes, as a message leaves: one choice whether (option 1 with
/// the configured rate), and if so one for which strike of those possible
/// now and one for the outage. The strike itself happens on the loop, in
/// the next turn, never inside the sender's poll.
#[track_caller]
pub(crate) fn maybe_strike(world: &Rc<World>) {
    let Some(faults) = &world.config.faults else {
        return;
    };
    if faults.rate <= 0.0 {
        return;
    }
    let site = Location::caller();
    let core = with_core("seedloop::net", Rc::clone);
    let strikes =
        core.draw(ValueRequest::chance(ChoiceKind::Fault, faults.rate.min(1.0), site).untraced());
    if strikes == 0 {
        return;
    }
    let menu = menu(world, faults);
    if menu.is_empty() {
        return;
    }
    let which = core.draw(ValueRequest::uniform(menu.len() as u64, 0, site).untraced());
    let strike = menu[which as usize];
    let outage = outage(faults, site, &core);
    let text = describe(world, strike, outage);
    core.record_with(|| EventKind::object("faults", "strike", text));
    let world = world.clone();
    // A callback runs whether or not its handle is kept.
    drop(crate::call_soon(move || apply(&world, strike, outage)));
}

/// Every strike possible now, in a fixed order: crashes of the running
/// hosts but `main`, then partitions of the pairs of running hosts not cut
/// off yet.
fn menu(world: &World, faults: &Faults) -> Vec<Strike> {
    let state = world.state.borrow();
    let up: Vec<HostNumber> = (0..state.hosts.len() as HostNumber)
        .filter(|&h| state.host(h).up)
        .collect();
    let mut menu = Vec::new();
    if faults.crashes {
        menu.extend(up.iter().filter(|&&h| h != 0).map(|&h| Strike::Crash(h)));
    }
    if faults.partitions {
        for (i, &a) in up.iter().enumerate() {
            for &b in &up[i + 1..] {
                if state.partitioned_since(a, b).is_none() {
                    menu.push(Strike::Partition(a, b));
                }
            }
        }
    }
    menu
}

/// The outage, in whole milliseconds within `faults.outage`: a value choice
/// that shrinks toward the shortest.
fn outage(
    faults: &Faults,
    site: &'static Location<'static>,
    core: &crate::runtime::Core,
) -> Duration {
    let lo = faults.outage.start.as_millis() as u64;
    let hi = (faults.outage.end.as_millis() as u64).max(lo + 1);
    let ms = lo + core.draw(ValueRequest::uniform(hi - lo, lo, site).untraced());
    Duration::from_millis(ms)
}

fn describe(world: &World, strike: Strike, outage: Duration) -> String {
    let state = world.state.borrow();
    let for_ = super::show_delay(outage);
    match strike {
        Strike::Crash(h) => format!("crash {} for {for_}", state.host(h).name),
        Strike::Partition(a, b) => format!(
            "partition {} | {} for {for_}",
            state.host(a).name,
            state.host(b).name
        ),
    }
}

/// Strikes, and sets the end of the outage.
fn apply(world: &Rc<World>, strike: Strike, outage: Duration) {
    match strike {
        Strike::Crash(h) => {
            if !world.state.borrow().host(h).up {
                return; // crashed by the test meanwhile
            }
            world.crash(h);
            let world = world.clone();
            drop(crate::call_later(outage, move || {
                if !world.state.borrow().host(h).up {
                    world.restart(h);
                }
            }));
        }
        Strike::Partition(a, b) => {
            world.partition(a, b, Ways::Both);
            let world = world.clone();
            drop(crate::call_later(outage, move || world.repair(a, b)));
        }
    }
}
