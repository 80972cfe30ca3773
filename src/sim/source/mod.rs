//! Policies that follow a source other than the seed: a recorded schedule
//! (strict replay), a list of picks (guided), fuzzer bytes. The seeded
//! policies (FIFO, random, PCT) live with the chooser in `runtime::sched`.

pub(crate) mod bytes;
pub(crate) mod guided;
pub(crate) mod prefixed;
pub(crate) mod replay;
