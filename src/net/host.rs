//! Hosts and links of the simulated network: [`host`], [`Host`],
//! [`partition`], [`partition_oneway`], [`repair`], [`hold`], [`release`].
//! Sim mode only: in real mode each panics with a message saying so.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::simulated::{host_main, Ways, World};
use crate::runtime::context::try_with_core;
use crate::runtime::hosts::{HostClock, HostNumber};

/// The current run's simulated network, or a panic that says why there is none.
fn world(what: &str) -> Rc<World> {
    let in_runtime = try_with_core(|_| ()).is_some();
    match (in_runtime, super::simulated::current()) {
        (true, Some(world)) => world,
        (true, None) => panic!(
            "{what} needs the simulated network, which only sim mode has: call it inside \
             `Sim::new(seed).run(async {{ .. }})`. In real mode the network is the OS's: \
             hosts, partitions and crashes cannot be simulated there"
        ),
        (false, _) => panic!(
            "{what} was called outside a seedloop runtime: call it inside \
             `Sim::new(seed).run(async {{ .. }})`"
        ),
    }
}

fn number(world: &World, what: &str, name: &str) -> HostNumber {
    let state = world.state.borrow();
    state.host_named(name).unwrap_or_else(|| {
        panic!(
            "{what}: no simulated host is named {name:?} (hosts: {})",
            state.host_names()
        )
    })
}

/// A simulated host: a name, its own address (`10.0.0.N`), its tasks and
/// its sockets. Made by [`host`]; cloning gives another handle to the same
/// host.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     let server = net::host("server", || async { Ok::<_, std::io::Error>(()) });
///     assert_eq!(server.name(), "server");
///     assert_eq!(server.ip().to_string(), "10.0.0.2");
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct Host {
    /// Weak: a closure that captures its own host's handle makes no cycle.
    world: Weak<World>,
    number: HostNumber,
    name: Rc<str>,
}

/// Creates a host named `name` and runs `main` on it now, as a task named
/// after the host (and again at each [`Host::restart`]). `main` and what
/// `main` spawns belong to the host; the run's own task and what it spawns
/// are on the host `"main"` (`10.0.0.1`).
///
/// What the closure captured outlives crashes: it is the host's disk. What
/// its future holds is lost at a crash, like memory.
///
/// A host whose future returns `Err` fails the run like a panicking task
/// (the error, debug-formatted, is the panic message).
///
/// # Panics
/// Outside a sim run (real mode has no simulated hosts), or if a host has
/// that name already.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use seedloop::net::{self, TcpListener, TcpStream};
///
/// async fn echo_server() -> std::io::Result<()> {
///     let l = TcpListener::bind("0.0.0.0:7000").await?;
///     loop {
///         let (mut s, _) = l.accept().await?;
///         seedloop::spawn(async move {
///             let mut buf = [0; 5];
///             s.read_exact(&mut buf).await?;
///             s.write_all(&buf).await
///         })
///         .detach(); // a dropped Task handle would cancel the task
///     }
/// }
///
/// seedloop::Sim::new(1).run(async {
///     net::host("server", echo_server);
///     let mut c = TcpStream::connect("server:7000").await?;
///     c.write_all(b"hello").await?;
///     let mut echo = [0; 5];
///     c.read_exact(&mut echo).await?;
///     assert_eq!(&echo, b"hello");
///     Ok::<_, std::io::Error>(())
/// }).unwrap().unwrap();
/// ```
///
/// A body that loops forever must name its error type (`?` alone leaves
/// `E` open): write an `async fn` returning `io::Result<()>`, as above.
pub fn host<F, Fut, E>(name: &str, main: F) -> Host
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<(), E>> + 'static,
    E: fmt::Debug,
{
    let world = world("seedloop::net::host");
    let number = world.add_host(name, host_main(main));
    world.start_host(number);
    Host {
        world: Rc::downgrade(&world),
        number,
        name: name.into(),
    }
}

impl Host {
    /// The network of the run that made the host.
    ///
    /// # Panics
    /// If that run has ended.
    fn world(&self) -> Rc<World> {
        self.world.upgrade().unwrap_or_else(|| {
            panic!(
                "the run that made host {:?} has ended: a Host handle works only inside its run",
                self.name
            )
        })
    }

    /// The host's name.
    ///
    /// ```
    /// seedloop::Sim::new(1).run(async {
    ///     let h = seedloop::net::host("db", || async { Ok::<_, ()>(()) });
    ///     assert_eq!(h.name(), "db");
    /// }).unwrap();
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host's address: `10.0.0.N`, N counting from 1 for `"main"` in
    /// the order hosts were made.
    ///
    /// ```
    /// seedloop::Sim::new(1).run(async {
    ///     let h = seedloop::net::host("db", || async { Ok::<_, ()>(()) });
    ///     assert_eq!(h.ip(), std::net::Ipv4Addr::new(10, 0, 0, 2));
    /// }).unwrap();
    /// ```
    pub fn ip(&self) -> IpAddr {
        IpAddr::V4(self.world().state.borrow().host(self.number).ip)
    }

    /// `ip():port`, to connect to without the name.
    ///
    /// ```
    /// seedloop::Sim::new(1).run(async {
    ///     let h = seedloop::net::host("db", || async { Ok::<_, ()>(()) });
    ///     assert_eq!(h.addr(5432).to_string(), "10.0.0.2:5432");
    /// }).unwrap();
    /// ```
    pub fn addr(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.ip(), port)
    }

    /// Whether the host runs (it has not crashed, or was restarted since).
    ///
    /// # Panics
    /// After its run ended (as every method but [`name`](Host::name)).
    ///
    /// ```
    /// seedloop::Sim::new(1).run(async {
    ///     let h = seedloop::net::host("db", || async { Ok::<_, ()>(()) });
    ///     h.crash();
    ///     assert!(!h.is_up());
    /// }).unwrap();
    /// ```
    pub fn is_up(&self) -> bool {
        self.world().state.borrow().host(self.number).up
    }

    /// The host crashes now: every task that belongs to it is cancelled
    /// (exactly those), and every callback it scheduled that has not run
    /// yet; its sockets vanish (the other end of each of its
    /// connections reads what the host had already sent, then
    /// `ConnectionReset`), and nothing reaches it until
    /// [`restart`](Host::restart). Crashing a crashed host does nothing.
    ///
    /// ```
    /// use seedloop::{net, sleep, Sim};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let h = net::host("worker", || async {
    ///         sleep(Duration::from_secs(3600)).await;
    ///         Ok::<_, ()>(())
    ///     });
    ///     h.crash();
    ///     assert!(!h.is_up());
    /// }).unwrap();
    /// ```
    pub fn crash(&self) {
        self.world().crash(self.number);
    }

    /// Starts the host again on the same address: crashes it first if it
    /// runs, then runs the closure given to [`host`] again. What the closure
    /// captured is still there (the host's disk).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use seedloop::{net, yield_now, Sim};
    /// Sim::new(1).run(async {
    ///     let boots = Rc::new(Cell::new(0));
    ///     let counter = boots.clone();
    ///     let h = net::host("db", move || {
    ///         let counter = counter.clone();
    ///         async move { counter.set(counter.get() + 1); Ok::<_, ()>(()) }
    ///     });
    ///     yield_now().await;
    ///     h.restart();
    ///     yield_now().await;
    ///     assert_eq!(boots.get(), 2);
    /// }).unwrap();
    /// ```
    pub fn restart(&self) {
        self.world().restart(self.number);
    }

    /// Gives the host its own clock: `offset` ahead of the run's clock and
    /// running `drift` faster (0.01: 1 % fast; -0.01: 1 % slow).
    /// `Instant::now()`, `sleep` and `timeout` in the host's tasks read it;
    /// the network's delays and the trace keep the run's clock. Timers set
    /// before keep their instants on the run's clock.
    ///
    /// # Panics
    /// If `drift` is not finite or not above -1.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use seedloop::{net, sleep, time::Instant, Sim};
    /// Sim::new(1).run(async {
    ///     let seen = Rc::new(Cell::new(None));
    ///     let note = seen.clone();
    ///     let h = net::host("skewed", move || {
    ///         let note = note.clone();
    ///         async move {
    ///             sleep(Duration::from_secs(1)).await;
    ///             note.set(Some(Instant::now()));
    ///             Ok::<_, ()>(())
    ///         }
    ///     });
    ///     h.set_clock(Duration::from_secs(10), 0.0); // before its task first runs
    ///     sleep(Duration::from_secs(2)).await;
    ///     assert_eq!(seen.get().unwrap().as_secs_f64(), 11.0); // 10 s ahead
    ///     assert_eq!(Instant::now().as_secs_f64(), 2.0); // main's clock
    /// }).unwrap();
    /// ```
    pub fn set_clock(&self, offset: Duration, drift: f64) {
        let clock = HostClock::new(offset, drift);
        crate::runtime::context::with_core("seedloop::net::Host::set_clock", |core| {
            core.set_host_clock(self.number, Some(clock))
        });
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("name", &self.name)
            .field("number", &self.number)
            .finish()
    }
}

/// Cuts the links between hosts `a` and `b` both ways, from now until
/// [`repair`]: TCP data (in flight included) waits on the link and is
/// delivered at the repair, unless the partition outlasts
/// [`Config::tcp_timeout`](super::Config::tcp_timeout), which resets the
/// connection; datagrams (in flight included) are lost. A host's loopback
/// is never cut.
///
/// # Panics
/// Outside a sim run, or if no host has one of the names.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     net::host("server", || async { Ok::<_, ()>(()) });
///     net::partition("main", "server");
///     net::repair("main", "server");
/// }).unwrap();
/// ```
pub fn partition(a: &str, b: &str) {
    let world = world("seedloop::net::partition");
    let (a, b) = (
        number(&world, "seedloop::net::partition", a),
        number(&world, "seedloop::net::partition", b),
    );
    world.partition(a, b, Ways::Both);
}

/// Cuts the link from `from` to `to` only (as [`partition`], one way).
///
/// # Panics
/// Outside a sim run, or if no host has one of the names.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     net::host("server", || async { Ok::<_, ()>(()) });
///     net::partition_oneway("server", "main"); // main still reaches server
///     net::repair("server", "main");
/// }).unwrap();
/// ```
pub fn partition_oneway(from: &str, to: &str) {
    let world = world("seedloop::net::partition_oneway");
    let (a, b) = (
        number(&world, "seedloop::net::partition_oneway", from),
        number(&world, "seedloop::net::partition_oneway", to),
    );
    world.partition(a, b, Ways::OneWay);
}

/// Ends every partition between `a` and `b` (both ways): TCP data that
/// waited is due now, in order.
///
/// # Panics
/// Outside a sim run, or if no host has one of the names.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     net::host("server", || async { Ok::<_, ()>(()) });
///     net::repair("main", "server"); // nothing to repair: nothing happens
/// }).unwrap();
/// ```
pub fn repair(a: &str, b: &str) {
    let world = world("seedloop::net::repair");
    let (a, b) = (
        number(&world, "seedloop::net::repair", a),
        number(&world, "seedloop::net::repair", b),
    );
    world.repair(a, b);
}

/// Holds every message between `a` and `b` (both ways, TCP and UDP, in
/// flight included) on the link until [`release`]: then they go, in order.
/// Nothing is lost and nothing times out.
///
/// # Panics
/// Outside a sim run, or if no host has one of the names.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     net::host("server", || async { Ok::<_, ()>(()) });
///     net::hold("main", "server");
///     net::release("main", "server");
/// }).unwrap();
/// ```
pub fn hold(a: &str, b: &str) {
    let world = world("seedloop::net::hold");
    let (a, b) = (
        number(&world, "seedloop::net::hold", a),
        number(&world, "seedloop::net::hold", b),
    );
    world.hold(a, b);
}

/// Releases what [`hold`] held between `a` and `b`: it is due now, in the
/// order it was sent.
///
/// # Panics
/// Outside a sim run, or if no host has one of the names.
///
/// ```
/// use seedloop::{net, Sim};
/// Sim::new(1).run(async {
///     net::host("server", || async { Ok::<_, ()>(()) });
///     net::hold("main", "server");
///     net::release("main", "server");
/// }).unwrap();
/// ```
pub fn release(a: &str, b: &str) {
    let world = world("seedloop::net::release");
    let (a, b) = (
        number(&world, "seedloop::net::release", a),
        number(&world, "seedloop::net::release", b),
    );
    world.release(a, b);
}
