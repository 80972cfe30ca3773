//! What a test does to the world: add hosts, crash and restart them, cut,
//! hold, repair and release links. Each is a trace event.

use std::net::Ipv4Addr;
use std::rc::Rc;

use super::link::Link;
use super::{now, tcp, udp, HostEntry, HostMain, State, World, FIRST_PORT};
use crate::runtime::context::with_core;
use crate::runtime::hosts::{HostClock, HostNumber};
use crate::trace::EventKind;

/// Which way(s) a link change goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ways {
    Both,
    OneWay,
}

fn record(object: impl FnOnce() -> String) {
    with_core("seedloop::net", |core| {
        core.record_with(|| EventKind::object(object(), "", ""));
    });
}

/// Records a change of the links between two hosts:
/// `{verb} {a}{between}{b}`, e.g. `hold main | server`.
fn record_link(state: &State, verb: &str, a: HostNumber, between: &str, b: HostNumber) {
    let (na, nb) = (&state.host(a).name, &state.host(b).name);
    record(|| format!("{verb} {na}{between}{nb}"));
}

impl World {
    /// Adds a host named `name` running `main` (not started yet).
    ///
    /// # Panics
    /// If a host has that name already.
    pub fn add_host(&self, name: &str, main: HostMain) -> HostNumber {
        let mut state = self.state.borrow_mut();
        assert!(
            state.host_named(name).is_none(),
            "seedloop::net::host: a host named {name:?} exists already in this run"
        );
        let n = state.hosts.len() as HostNumber;
        let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 1)) + n);
        state.hosts.push(HostEntry {
            name: name.into(),
            ip,
            up: true,
            next_port: FIRST_PORT,
            main: Some(main),
        });
        drop(state);
        if let Some((_, offset, drift)) = self.config.clocks.iter().find(|(h, ..)| h == name) {
            let clock = HostClock::new(*offset, *drift);
            with_core("seedloop::net::host", |core| {
                core.set_host_clock(n, Some(clock))
            });
        }
        n
    }

    /// Spawns the host's code as a task of the host.
    pub fn start_host(&self, host: HostNumber) {
        let (name, main) = {
            let state = self.state.borrow();
            let h = state.host(host);
            (
                h.name.clone(),
                h.main.clone().expect("a started host has code"),
            )
        };
        with_core("seedloop::net::host", |core| {
            core.as_host(host, || {
                let fut = main();
                crate::task::Builder::new()
                    .name(&*name)
                    .spawn(async move {
                        if let Err(e) = fut.await {
                            panic!("host \"{name}\" failed: {e}");
                        }
                    })
                    .detach();
            })
        });
    }

    /// The host crashes: its tasks are cancelled, its sockets vanish (their
    /// peers see resets), nothing more reaches it.
    pub fn crash(&self, host: HostNumber) {
        let at = now();
        {
            let mut state = self.state.borrow_mut();
            let state = &mut *state;
            if !state.hosts[host as usize].up {
                return;
            }
            state.hosts[host as usize].up = false;
            tcp::crash(state, host, at);
            udp::crash(state, host);
            state.ports.retain(|(h, ..), _| *h != host);
            for ((_, to), link) in state.links.iter_mut() {
                if *to == host {
                    link.held_datagrams.clear();
                }
            }
            let name = state.host(host).name.clone();
            record(|| format!("{name} crash"));
        }
        with_core("seedloop::net", |core| core.cancel_host(host));
    }

    /// The host starts again (crashing first if it runs): its code runs
    /// anew, with what the closure captured.
    pub fn restart(&self, host: HostNumber) {
        self.crash(host);
        {
            let mut state = self.state.borrow_mut();
            state.hosts[host as usize].up = true;
            let name = state.host(host).name.clone();
            record(|| format!("{name} restart"));
        }
        self.start_host(host);
    }

    fn directions(a: HostNumber, b: HostNumber, ways: Ways) -> Vec<(HostNumber, HostNumber)> {
        match ways {
            Ways::Both => vec![(a, b), (b, a)],
            Ways::OneWay => vec![(a, b)],
        }
    }

    /// Cuts the link(s): TCP data waits (in flight included), datagrams are
    /// lost (in flight included).
    pub fn partition(&self, a: HostNumber, b: HostNumber, ways: Ways) {
        if a == b {
            return;
        }
        let at = now();
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        for (from, to) in World::directions(a, b, ways) {
            let link = state.links.entry((from, to)).or_default();
            link.partitioned_since.get_or_insert(at);
            link.held_datagrams.clear();
            drop(udp::take_in_flight(state, from, to, at));
        }
        tcp::wake_readers(state, a, b);
        let between = match ways {
            Ways::Both => " | ",
            Ways::OneWay => " -> ",
        };
        record_link(state, "partition", a, between, b);
    }

    /// Repairs the link(s) both ways: held TCP data is due now, unless a
    /// partition outlasted the TCP timeout (those connections reset).
    pub fn repair(&self, a: HostNumber, b: HostNumber) {
        if a == b {
            return;
        }
        let at = now();
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        tcp::apply_timeouts(self, state, at);
        for (from, to) in World::directions(a, b, Ways::Both) {
            let Some(link) = state.links.get_mut(&(from, to)) else {
                continue;
            };
            let Some(cut) = link.partitioned_since.take() else {
                continue;
            };
            match link.held_since {
                Some(held) => link.held_since = Some(held.min(cut)),
                None => tcp::release(state, from, to, cut, at),
            }
            forget_if_clear(state, from, to);
        }
        tcp::wake_readers(state, a, b);
        wake_link_waiters(state);
        record_link(state, "repair", a, " | ", b);
    }

    /// Holds the links both ways: everything waits until released.
    pub fn hold(&self, a: HostNumber, b: HostNumber) {
        if a == b {
            return;
        }
        let at = now();
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        for (from, to) in World::directions(a, b, Ways::Both) {
            state
                .links
                .entry((from, to))
                .or_default()
                .held_since
                .get_or_insert(at);
            // Datagrams in flight wait on the link too.
            let held = udp::take_in_flight(state, from, to, at);
            let link = state.links.get_mut(&(from, to)).expect("inserted above");
            link.held_datagrams.extend(held);
        }
        tcp::wake_readers(state, a, b);
        record_link(state, "hold", a, " | ", b);
    }

    /// Releases held links both ways: what waited goes, in order.
    pub fn release(&self, a: HostNumber, b: HostNumber) {
        if a == b {
            return;
        }
        let at = now();
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        for (from, to) in World::directions(a, b, Ways::Both) {
            let Some(link) = state.links.get_mut(&(from, to)) else {
                continue;
            };
            let Some(held) = link.held_since.take() else {
                continue;
            };
            let datagrams = std::mem::take(&mut link.held_datagrams);
            match link.partitioned_since {
                Some(cut) => link.partitioned_since = Some(cut.min(held)),
                None => {
                    tcp::release(state, from, to, held, at);
                    udp::release(state, to, datagrams, at);
                }
            }
            forget_if_clear(state, from, to);
        }
        tcp::wake_readers(state, a, b);
        wake_link_waiters(state);
        record_link(state, "release", a, " | ", b);
    }
}

fn forget_if_clear(state: &mut State, from: HostNumber, to: HostNumber) {
    if state.links.get(&(from, to)).is_some_and(Link::is_clear) {
        state.links.remove(&(from, to));
    }
}

fn wake_link_waiters(state: &mut State) {
    for w in std::mem::take(&mut state.link_waiters) {
        w.wake();
    }
}

/// A host's code, from the user's closure.
pub(crate) fn host_main<F, Fut, E>(main: F) -> HostMain
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + 'static,
    E: std::fmt::Debug,
{
    Rc::new(move || {
        let fut = main();
        Box::pin(async move { fut.await.map_err(|e| format!("{e:?}")) })
    })
}
