//! Waiting for a coprocess: one `poll(2)` over its pipes and its pidfd, on the caller's thread,
//! until it exits, its deadline passes or its task is cancelled; then nothing of its group is
//! left running.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use super::capture::Capture;
use super::child::{Ended, Started};
use super::group;
use super::shim::KILL_NOW;

/// How often a coprocess that a task runs looks at the task's cancellation.
const CANCEL_SLICE: Duration = Duration::from_millis(10);
/// How long the output pipes are drained after the shim is gone, which has killed everything
/// that could hold them open; a short bound all the same.
const DRAIN: Duration = Duration::from_millis(100);

/// Why the runtime ended a coprocess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Its own timeout passed.
    Timeout,
    /// Its task's deadline passed.
    TaskDeadline,
    /// Its task was cancelled.
    Cancelled,
}

/// What the wait saw.
pub(crate) struct Waited {
    pub(crate) ended: Option<Ended>,
    pub(crate) stop: Option<Stop>,
    /// Whether SIGTERM was not enough and SIGKILL was sent.
    pub(crate) escalated: bool,
    pub(crate) stdout: Capture,
    pub(crate) stderr: Capture,
    pub(crate) oom: bool,
}

/// Limits on one wait.
pub(crate) struct Limits<'a> {
    pub(crate) timeout_at: Option<Instant>,
    pub(crate) task_deadline: Option<Instant>,
    pub(crate) task: Option<&'a dyn super::TaskSide>,
    pub(crate) grace: Duration,
    pub(crate) capture_limit: usize,
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own, with valid flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// Reads what `pipe` has now; returns false at end of file (or on an error, which ends it too).
fn drain<R: Read>(pipe: &mut R, into: &mut Capture, buffer: &mut [u8]) -> bool {
    loop {
        match pipe.read(buffer) {
            Ok(0) => return false,
            Ok(n) => into.push(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Reads what both output pipes have now, closing each at its end.
fn pump(child: &mut Started, stdout: &mut Capture, stderr: &mut Capture, buffer: &mut [u8]) {
    if child
        .stdout
        .as_mut()
        .is_some_and(|pipe| !drain(pipe, stdout, buffer))
    {
        child.stdout = None;
    }
    if child
        .stderr
        .as_mut()
        .is_some_and(|pipe| !drain(pipe, stderr, buffer))
    {
        child.stderr = None;
    }
}

pub(crate) fn wait(child: &mut Started, input: Option<Vec<u8>>, limits: &Limits<'_>) -> Waited {
    let pid = child.pid;
    let mut stdout = Capture::new(limits.capture_limit);
    let mut stderr = Capture::new(limits.capture_limit);
    let mut buffer = vec![0_u8; 64 * 1024];
    for fd in [
        child.stdout.as_ref().map(AsRawFd::as_raw_fd),
        child.stderr.as_ref().map(AsRawFd::as_raw_fd),
        child.stdin.as_ref().map(AsRawFd::as_raw_fd),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd);
    }
    let input = input.unwrap_or_default();
    let mut written = 0;
    if input.is_empty() {
        child.stdin = None;
    }

    let mut stop = None;
    let mut kill_at: Option<Instant> = None;
    let mut escalated = false;
    let ended = loop {
        let now = Instant::now();
        if stop.is_none() {
            stop = if limits.timeout_at.is_some_and(|t| now >= t) {
                Some(Stop::Timeout)
            } else if limits.task_deadline.is_some_and(|t| now >= t) {
                Some(Stop::TaskDeadline)
            } else if limits.task.is_some_and(|t| t.cancelled()) {
                Some(Stop::Cancelled)
            } else {
                None
            };
            if stop.is_some() {
                group::signal(pid, libc::SIGTERM);
                kill_at = Some(now + limits.grace);
            }
        }
        if kill_at.is_some_and(|k| now >= k) {
            group::signal(pid, KILL_NOW);
            escalated = true;
            kill_at = None;
        }

        // Sleep until something happens, or the next thing to check.
        let next = [
            limits.timeout_at.filter(|_| stop.is_none()),
            limits.task_deadline.filter(|_| stop.is_none()),
            limits
                .task
                .filter(|_| stop.is_none())
                .map(|_| now + CANCEL_SLICE),
            kill_at,
        ]
        .into_iter()
        .flatten()
        .min();
        let timeout_ms = next.map_or(-1, |at| {
            let left = at.saturating_duration_since(now);
            i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
        });
        let mut fds = vec![libc::pollfd {
            fd: child.watch.fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        for (fd, events) in [
            (child.stdout.as_ref().map(AsRawFd::as_raw_fd), libc::POLLIN),
            (child.stderr.as_ref().map(AsRawFd::as_raw_fd), libc::POLLIN),
            (child.stdin.as_ref().map(AsRawFd::as_raw_fd), libc::POLLOUT),
        ] {
            if let Some(fd) = fd {
                fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
            }
        }
        // SAFETY: `fds` is a valid array of pollfd of the length given.
        unsafe {
            libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms);
        }

        pump(child, &mut stdout, &mut stderr, &mut buffer);
        if let Some(pipe) = child.stdin.as_mut() {
            match pipe.write(&input[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A command that stops reading (EPIPE) simply does not get the rest.
                Err(_) => written = input.len(),
            }
            if written >= input.len() {
                child.stdin = None;
            }
        }
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP) != 0 {
            break child.watch.ended(pid);
        }
    };

    // The shim is done: it killed whatever the command left (a forked sleeper, a grandchild
    // that ignores SIGTERM, a daemon) before it said so. Its pid stays taken until the caller
    // releases it.
    let drain_until = Instant::now() + DRAIN;
    while (child.stdout.is_some() || child.stderr.is_some()) && Instant::now() < drain_until {
        pump(child, &mut stdout, &mut stderr, &mut buffer);
        if child.stdout.is_some() || child.stderr.is_some() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    let oom = matches!(ended, Some(Ended::Signaled(libc::SIGKILL)))
        && !escalated
        && match (child.oom_kills_before, group::oom_kills()) {
            (Some(before), Some(after)) => after > before,
            _ => false,
        };
    Waited {
        ended,
        stop,
        escalated,
        stdout,
        stderr,
        oom,
    }
}
