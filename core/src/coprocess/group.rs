//! A coprocess's process group: signalling it, making sure it is gone, and cleaning up when
//! this process exits.
//!
//! Every coprocess is started through a shim (see `shim`) that leads a session and a process
//! group of its own; the group is the shim alone. `SIGTERM` to the group asks the shim to pass
//! it on to the command's whole tree, [`KILL_NOW`] to kill that tree at once; the shim ends
//! when nothing of the command is left. `SIGKILL` is kept for a shim that does not answer.

use std::sync::{Mutex, Once, OnceLock, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::shim::KILL_NOW;

/// Sends `signal` to every process of group `pgid`.
pub(crate) fn signal(pgid: i32, signal: i32) {
    // SAFETY: `kill` has no memory-safety preconditions; a group that is gone gives ESRCH.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Whether /proc shows a member of group `pgid` that is not a zombie.
fn members_running(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            return false;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // The command name is in parentheses and may hold spaces: the fields follow its end.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            return false;
        };
        let mut fields = after.split_whitespace();
        let state = fields.next();
        let group = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
        group == Some(pgid) && !matches!(state, Some("Z" | "X"))
    })
}

/// Has the shim of group `pgid` kill the command's tree at once, and waits, up to `budget`,
/// until the shim is gone; a shim still there then is killed outright.
pub(crate) fn kill_and_wait(pgid: i32, budget: Duration) {
    signal(pgid, KILL_NOW);
    if !wait_gone(pgid, Instant::now() + budget) {
        signal(pgid, libc::SIGKILL);
    }
}

/// Waits until no process of group `pgid` runs, or `until`. Returns whether it is gone.
fn wait_gone(pgid: i32, until: Instant) -> bool {
    let mut pause = Duration::from_micros(50);
    loop {
        // SAFETY: signal 0 only checks for existence.
        if unsafe { libc::kill(-pgid, 0) } != 0 {
            return true;
        }
        if Instant::now() >= until {
            return !members_running(pgid);
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
        if pause == Duration::from_millis(5) && !members_running(pgid) {
            return true;
        }
    }
}

/// Ends groups politely: SIGTERM to each, up to `grace` for them to go, then [`KILL_NOW`] to
/// what is left; returns when none of them runs (or after a second more, for a process the
/// kernel cannot kill at once).
pub(crate) fn terminate(pgids: &[i32], grace: Duration) {
    for &pgid in pgids {
        signal(pgid, libc::SIGTERM);
    }
    let polite = Instant::now() + grace;
    for &pgid in pgids {
        if !wait_gone(pgid, polite) {
            kill_and_wait(pgid, Duration::from_secs(1));
        }
    }
}

/// The groups of the coprocesses running now, so that they end with this process.
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Registers a running coprocess's group, and, the first time, the exit hook that ends them.
pub(crate) fn track(pgid: i32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registering a plain `extern "C"` function that does not unwind.
        unsafe {
            libc::atexit(end_live_groups);
        }
    });
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(pgid);
}

pub(crate) fn untrack(pgid: i32) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|&g| g != pgid);
}

/// At exit: every coprocess still running gets SIGTERM, a moment, then SIGKILL.
extern "C" fn end_live_groups() {
    // Never unwind out of an exit hook; a poisoned or busy lock is read all the same.
    let _ = std::panic::catch_unwind(|| {
        let groups = match LIVE.try_lock() {
            Ok(live) => live.clone(),
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().clone(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        terminate(&groups, Duration::from_millis(100));
    });
}

/// How many times the kernel's out-of-memory killer has struck in this process's memory
/// cgroup, when the cgroup says (cgroup v2 `memory.events`, or v1 `memory.oom_control`).
pub(crate) fn oom_kills() -> Option<u64> {
    static SOURCE: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        cgroups.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let candidate = match controllers {
                "" => format!("/sys/fs/cgroup{path}/memory.events"),
                c if c.split(',').any(|c| c == "memory") => {
                    format!("/sys/fs/cgroup/memory{path}/memory.oom_control")
                }
                _ => return None,
            };
            let candidate = std::path::PathBuf::from(candidate);
            candidate.exists().then_some(candidate)
        })
    });
    let text = std::fs::read_to_string(source.as_ref()?).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}
