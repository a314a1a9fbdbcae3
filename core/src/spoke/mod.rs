//! The process-spoke side: what a spoke process is, and how it serves its hub.
//!
//! A process spoke is this very program, started again by the hub with [`SPOKE_ENV`] set. It
//! never reaches `main`: a constructor (an `.init_array` entry, which the system runs before
//! `main` in every binary that links this crate, test binaries included) sees the variable,
//! serves the hub over the socket it names, and exits. So a user adds nothing to `main`.
//!
//! Tasks are found by their [`Task::PATH`], in a registry that `#[pclosure]` fills at link
//! time (a `linkme` distributed slice): it needs no code to run first, so it is complete even
//! before `main`.

mod link;
pub(crate) mod protocol;

use std::io::{BufReader, BufWriter};
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use link::{Channel, Shared, SpokeLink, lock, say};
use protocol::{FromSpoke, RunOrder, ToSpoke};

use crate::attempt;
use crate::task::Task;
use crate::wire::{self, receive};
use crate::{Ctx, Outcome};

/// The environment variable that makes a process a spoke; its value is the descriptor of the
/// socket to the hub.
pub(crate) const SPOKE_ENV: &str = "SPM_SPOKE_FD";

/// How a spoke runs one kind of task.
pub struct TaskEntry {
    path: &'static str,
    run: fn(&RunOrder, &Shared) -> FromSpoke,
}

impl TaskEntry {
    /// The entry of task type `T`, for the registry.
    #[doc(hidden)]
    pub const fn of<T: Task>() -> Self {
        Self {
            path: T::PATH,
            run: run_order::<T>,
        }
    }
}

/// Every task type of the program, registered by `#[pclosure]`.
#[linkme::distributed_slice]
pub static TASKS: [TaskEntry];

// The constructor that turns a re-executed program into a spoke before `main`.
#[used]
#[unsafe(link_section = ".init_array")]
static ENTER: extern "C" fn() = enter;

/// Whether this process is a process spoke.
static IS_SPOKE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process is a process spoke (its coprocesses are started by forks of it, not
/// through a launcher: it is small, and sweeps its children after each task).
pub(crate) fn is_spoke() -> bool {
    IS_SPOKE.load(std::sync::atomic::Ordering::Relaxed)
}

extern "C" fn enter() {
    let Some(fd) = std::env::var_os(SPOKE_ENV) else {
        return;
    };
    IS_SPOKE.store(true, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: constructors run before `main`, on the only thread there is: nothing reads the
    // environment concurrently. Removing the variable keeps the spoke's own children (its
    // coprocesses, a nested pool) from becoming spokes too.
    unsafe {
        std::env::remove_var(SPOKE_ENV);
    }
    // Orphans of what a task starts become this spoke's children, so it can end them all when
    // the task is over, daemons included (see `sweep`).
    // SAFETY: prctl with these arguments only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let code = match fd.to_str().and_then(|f| f.parse::<i32>().ok()) {
        Some(fd) => serve(fd),
        None => 2,
    };
    std::process::exit(code);
}

/// Serves the hub: one order at a time, until the hub closes the socket.
fn serve(fd: i32) -> i32 {
    // SAFETY: the hub passed this descriptor, open, for this process alone.
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    let Ok(reading) = stream.try_clone() else {
        return 3;
    };
    let channel: Shared = Arc::new(Mutex::new(Channel {
        reader: BufReader::new(reading),
        writer: BufWriter::new(stream),
    }));
    let ready = FromSpoke::Ready {
        pid: std::process::id(),
    };
    if say(&mut lock(&channel), &ready).is_err() {
        return 4;
    }
    loop {
        let order = match receive::<ToSpoke>(&mut lock(&channel).reader) {
            Ok(Some(ToSpoke::Run(order))) => order,
            // The hub closed the socket (its pool is gone), or spoke out of turn.
            Ok(Some(ToSpoke::Answer(_)) | None) | Err(_) => return 0,
        };
        let reply = match TASKS.iter().find(|entry| entry.path == order.path) {
            Some(entry) => (entry.run)(&order, &channel),
            None => FromSpoke::Unknown,
        };
        // Nothing a task started outlives it: a forked child, a grandchild that ignores
        // SIGTERM, a daemon that left its group (it became an orphan, and so this spoke's).
        sweep();
        if say(&mut lock(&channel), &reply).is_err() {
            return 0;
        }
    }
}

/// Kills and reaps every child of this spoke, until none is left.
fn sweep() {
    for _ in 0..100 {
        let children = children();
        if children.is_empty() {
            return;
        }
        for pid in children {
            // SAFETY: signalling and reaping our own children.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// The pids of this process's children, from every thread's `/proc` entry.
fn children() -> Vec<i32> {
    let Ok(threads) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    threads
        .flatten()
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// Runs one order for task type `T` and says how it went.
fn run_order<T: Task>(order: &RunOrder, channel: &Shared) -> FromSpoke {
    let (Some(args), Some(output)) = (T::args_codec(), T::output_codec()) else {
        return FromSpoke::Unwired;
    };
    let args = match (args.decode)(&order.args) {
        Ok(args) => args,
        Err(e) => return FromSpoke::broken(format!("its arguments did not decode: {e}")),
    };
    let deadline = order
        .deadline_ns
        .and_then(|ns| Instant::now().checked_add(Duration::from_nanos(ns)));
    let link = Arc::new(SpokeLink::new(
        T::NAME,
        order.label.clone(),
        Arc::clone(channel),
    ));
    let ctx = Ctx::<T::Policy>::new(
        link,
        order.task as usize,
        order.attempt,
        order.size as usize,
        deadline,
        order.gpu,
    );
    let verdict = attempt::run(|| T::from_args(args), &ctx, deadline);
    drop(ctx);
    match verdict {
        Ok(value) => match (output.encode)(&value) {
            Ok(bytes) => {
                attempt::discard(value);
                FromSpoke::Done(bytes)
            }
            Err(e) => FromSpoke::broken(format!("its result did not encode: {e}")),
        },
        Err(Outcome::Failed(error)) => FromSpoke::Failed {
            kind: error.kind().to_wire(),
            message: error.message().to_owned(),
        },
        Err(_) => FromSpoke::TimedOut,
    }
}

/// Whether a process spoke can run task type `T` (its arguments and result are serde values).
pub(crate) fn wired<T: Task>() -> Result<(), wire::Unwired> {
    if T::args_codec().is_none() {
        return Err(wire::Unwired::new(
            T::NAME,
            "its arguments",
            std::any::type_name::<T::Args>(),
        ));
    }
    if T::output_codec().is_none() {
        return Err(wire::Unwired::new(
            T::NAME,
            "its result",
            std::any::type_name::<T::Output>(),
        ));
    }
    Ok(())
}
