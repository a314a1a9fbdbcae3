//! Pools: handles to spokes.
//!
//! User code depends only on [`Pool`], so the same program runs unchanged on one core
//! ([`Pool::serial`]) or many ([`Pool::threads`]). Inside, a pool lends *seats* to a manager's
//! board; each seat pulls attempts from the board and concludes them itself, and the hub only
//! watches deadlines (see the `seat` module). Kinds of spokes that cannot run Rust closures in
//! this process (child processes, MPI ranks) fit the same shape: their seat is a proxy thread
//! that ships each attempt to its spoke and concludes it when the answer, or the crash, comes.

mod gpus;
pub(crate) mod processes;
pub(crate) mod threads;

use std::fmt;

pub(crate) use gpus::{Gpus, VISIBLE_DEVICES};
use threads::ThreadSeats;

/// A handle to spokes: the workers that evaluate tasks.
///
/// A manager borrows the pool mutably for its whole call (`.eval(&mut pool)`), so at most one
/// manager is online per pool, by the borrow checker. Dropping the pool stops its threads (an
/// abandoned thread, stuck in a task past its deadline, exits on its own when the task returns).
pub struct Pool {
    pub(crate) spokes: Spokes,
    /// The GPUs its spokes hold (see [`Pool::with_gpus`]).
    pub(crate) gpus: Gpus,
    /// The `Cores` target's threads, for kernels: started at the first launch.
    kernel_threads: std::sync::OnceLock<Result<rayon::ThreadPool, String>>,
}

pub(crate) enum Spokes {
    Serial,
    Threads(ThreadSeats),
    /// Seats whose threads are the proxies of spoke processes.
    Processes(ThreadSeats),
}

impl Pool {
    /// Runs every task inline, on the caller's thread, one after another: prototype serially,
    /// then scale by changing only the pool.
    ///
    /// Two limits follow from having no other thread:
    /// - it cannot co-schedule a `fine_general` gang of more than one member (the manager fails
    ///   at once with [`ErrorKind::NoSpokes`](crate::ErrorKind::NoSpokes));
    /// - it notices a task's timeout only after the task returns (the result is then discarded
    ///   and the task marked `TimedOut`); `ctx.is_cancelled()` turns true at the deadline, so a
    ///   task that checks it can stop in time.
    pub fn serial() -> Self {
        Self::with(Spokes::Serial)
    }

    /// Runs tasks on `spokes` threads of this process, started when a manager first needs them
    /// and kept for later calls.
    ///
    /// A thread cannot be killed: a task that runs past its deadline is marked `TimedOut`, told
    /// to stop, and its thread abandoned and replaced (see
    /// [`Report::abandoned_threads`](crate::Report::abandoned_threads)).
    ///
    /// `Pool::threads(0)` is a pool that can supply no spoke: a manager evaluated on it fails
    /// at once with [`ErrorKind::NoSpokes`](crate::ErrorKind::NoSpokes).
    pub fn threads(spokes: usize) -> Self {
        Self::with(Spokes::Threads(ThreadSeats::new(spokes, "spm-spoke")))
    }

    /// Runs tasks on `spokes` processes: this very program, started again, each serving one
    /// task at a time. A spoke starts when a manager first needs it and is kept for later
    /// attempts; nothing is to be added to `main` (a spoke serves its hub before `main` runs).
    ///
    /// A process can be killed: a task past its deadline is killed with its spoke, for real,
    /// and a task that crashes (a segmentation fault, an abort, `exit`) takes down its spoke
    /// alone, which is replaced: its outcome is `Crashed`. The task's arguments and result
    /// cross as serde values, so they must be `Serialize + Deserialize`; a manager of tasks
    /// whose are not fails at once, saying which.
    ///
    /// Every policy runs there: `fine_limited` tasks ask their hub from the spoke (the
    /// whiteboard, requests), and `fine_general` members reach their gang through it (messages,
    /// collectives, hub pushes), all over the spoke's socket. Linux only.
    pub fn processes(spokes: usize) -> Self {
        Self::with(Spokes::Processes(process_seats(spokes)))
    }

    /// [`Pool::threads`] with one spoke per core this process may use.
    pub fn cores() -> Self {
        Self::threads(std::thread::available_parallelism().map_or(1, usize::from))
    }

    fn with(spokes: Spokes) -> Self {
        Self {
            spokes,
            gpus: Gpus::default(),
            kernel_threads: std::sync::OnceLock::new(),
        }
    }

    /// The threads that run kernels launched on this pool (the `Cores` target), as many as
    /// the pool has spokes.
    pub(crate) fn kernel_threads(&self) -> Result<&rayon::ThreadPool, String> {
        let size = self.size();
        self.kernel_threads
            .get_or_init(|| {
                if size == 0 {
                    return Err("the pool has no spoke (`Pool::threads(0)`)".to_string());
                }
                rayon::ThreadPoolBuilder::new()
                    .num_threads(size)
                    .thread_name(|i| format!("spm-core-{i}"))
                    .build()
                    .map_err(|e| format!("its threads could not start: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// How many spokes the pool can supply at once.
    pub fn size(&self) -> usize {
        match &self.spokes {
            Spokes::Serial => 1,
            Spokes::Threads(seats) | Spokes::Processes(seats) => seats.size(),
        }
    }
}

/// The seats of a process pool: threads that are the proxies of spoke processes.
fn process_seats(spokes: usize) -> ThreadSeats {
    ThreadSeats::new(spokes, "spm-proxy")
}

impl fmt::Display for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.spokes {
            Spokes::Serial => f.write_str("Pool::serial()"),
            Spokes::Threads(seats) => write!(f, "Pool::threads({})", seats.size()),
            Spokes::Processes(seats) => write!(f, "Pool::processes({})", seats.size()),
        }?;
        write!(f, "{}", self.gpus)
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
