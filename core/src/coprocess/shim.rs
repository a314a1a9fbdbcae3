//! The shim: a small process between the runtime and each command, which owns everything the
//! command starts, daemons included.
//!
//! A command leads a process group of its own, and one signal reaches every descendant that
//! stays in it. A daemon does not stay: it starts a session of its own and its parent exits, so
//! it is out of the group and, as an orphan, adopted by the nearest *subreaper* above it. The
//! shim is that subreaper. It is a child that the launcher (or this process) forks for a
//! command; it starts the command as its own child (in a process group of its own, inside the
//! shim's session), and stays behind:
//!
//! - it waits for the command; every orphan of the command's tree becomes its child;
//! - on `SIGTERM` (from the runtime) it passes `SIGTERM` to the command's group and to every
//!   orphan it has adopted; on [`KILL_NOW`] it sends them `SIGKILL`;
//! - when the command has ended, it kills what is left (its group, every orphan, and the
//!   orphans those leave in turn) until it has no child but the command, then reaps the command
//!   and ends the way the command ended: the same exit code, or the same signal.
//!
//! So the runtime watches the shim as it would the command (through its reports when the
//! launcher started it, or as its child), and when the shim is gone nothing of the command is
//! left. The shim's parent-death signal is [`KILL_NOW`]: if what started it dies, the shim
//! still ends the command's whole tree.
//!
//! The shim may run in a copy of a multi-threaded program (between `fork` and `exec`), so it
//! only makes system calls and uses memory made ready before the fork: no allocation, no lock,
//! no panic.

use std::ffi::{CString, OsString, c_char, c_int, c_void};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::ptr;

use super::launcher::wire::Report;

/// Tells a shim to kill the command's tree at once (`SIGTERM` asks it to ask politely).
pub(crate) const KILL_NOW: i32 = libc::SIGUSR2;

/// The stack the command's process runs on between its `clone` and its `exec`, besides room
/// for a pointer per argument: glibc's `execvp` copies the argv onto the stack to run a script
/// without a `#!` line with `sh`.
const EXEC_STACK: usize = 64 * 1024;
const PAGE: usize = 4096;

unsafe extern "C" {
    static mut environ: *const *const c_char;
}

/// What the command's process executes, made ready before the fork: nothing can be allocated
/// after it.
pub(crate) struct Exec {
    program: CString,
    _strings: Vec<CString>,
    argv: Vec<*const c_char>,
    /// A whole new environment, when the command's differs from this process's.
    envp: Option<Vec<*const c_char>>,
    /// The size of the stack for the command's process until its `exec`, in whole pages.
    stack: usize,
}

// SAFETY: the pointers point into the `CString`s that the value owns and never changes; they are
// only read, in the forked child.
unsafe impl Send for Exec {}
// SAFETY: as above.
unsafe impl Sync for Exec {}

impl Exec {
    /// The argv `program` then `args`, and, when given, a whole new environment (`KEY=value`
    /// each). Fails on an interior NUL byte, which no argv or environment can hold.
    pub(crate) fn new(
        program: &[u8],
        args: &[Vec<u8>],
        env: Option<&[Vec<u8>]>,
    ) -> Result<Self, std::ffi::NulError> {
        let program = CString::new(program)?;
        let mut strings = vec![program.clone()];
        for arg in args {
            strings.push(CString::new(arg.as_slice())?);
        }
        let argc = strings.len();
        for pair in env.unwrap_or_default() {
            strings.push(CString::new(pair.as_slice())?);
        }
        let pointers = |range: std::ops::Range<usize>| -> Vec<*const c_char> {
            strings[range]
                .iter()
                .map(|s| s.as_ptr())
                .chain([ptr::null()])
                .collect()
        };
        let argv = pointers(0..argc);
        let envp = env.is_some().then(|| pointers(argc..strings.len()));
        let stack = (EXEC_STACK + (argc + 2) * size_of::<*const c_char>()).next_multiple_of(PAGE);
        Ok(Self {
            program,
            _strings: strings,
            argv,
            envp,
            stack,
        })
    }
}

/// This process's environment with `overrides` set over it, `KEY=value` each.
pub(crate) fn environment(overrides: &[(OsString, OsString)]) -> Vec<Vec<u8>> {
    std::env::vars_os()
        .filter(|(key, _)| overrides.iter().all(|(set, _)| set != key))
        .chain(overrides.iter().cloned())
        .map(|(key, value)| {
            let mut pair = key.into_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            pair
        })
        .collect()
}

/// What the command's process needs from the shim, and where it says why its `exec` failed.
struct Launch<'a> {
    exec: &'a Exec,
    shim: i32,
    failure: c_int,
}

/// Called in a new process that leads the command's session, which becomes the shim: starts
/// the command and never returns, unless the command could not be started, when it returns
/// why. With `report`, the shim says on that descriptor that the command started, then how it
/// ended (see `launcher::wire::Report`).
///
/// # Safety
/// Only in a child of `fork` that is about to end (between `fork` and `exec`, say), after
/// `setsid`.
pub(crate) unsafe fn split(exec: &Exec, report: Option<RawFd>) -> io::Error {
    // SAFETY: system calls on plain values and on memory this function owns; the clone shares
    // this process's memory only until the command's `exec`, while this process waits.
    unsafe {
        if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) == -1 {
            return io::Error::last_os_error();
        }
        // Whatever the program did with SIGCHLD, the shim must see its children end (an
        // ignored SIGCHLD would have the kernel reap them unseen).
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        // Signals the shim waits for stay blocked from before the command starts, so none is
        // lost.
        let mut waited = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(waited.as_mut_ptr());
        let mut waited = waited.assume_init();
        for signal in [libc::SIGTERM, KILL_NOW, libc::SIGCHLD] {
            libc::sigaddset(&mut waited, signal);
        }
        let mut before = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigprocmask(libc::SIG_BLOCK, &waited, before.as_mut_ptr());
        let before = before.assume_init();
        let mut launch = Launch {
            exec,
            shim: libc::getpid(),
            failure: 0,
        };

        // Like `posix_spawn`: the command's process shares this one's memory, on a stack of
        // its own (with a guard page below it), until it calls `exec`, and this process waits
        // until then. No copy of the memory map is made, as a second `fork` would.
        let mapped = exec.stack + PAGE;
        let stack = libc::mmap(
            ptr::null_mut(),
            mapped,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        );
        if stack == libc::MAP_FAILED || libc::mprotect(stack, PAGE, libc::PROT_NONE) == -1 {
            let error = io::Error::last_os_error();
            libc::sigprocmask(libc::SIG_SETMASK, &before, ptr::null_mut());
            return error;
        }
        let command = libc::clone(
            command_main,
            stack.cast::<u8>().add(mapped).cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&raw mut launch).cast(),
        );
        let error = io::Error::last_os_error();
        libc::munmap(stack, mapped);
        if command == -1 || launch.failure != 0 {
            if command != -1 {
                libc::waitpid(command, ptr::null_mut(), 0);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &before, ptr::null_mut());
            return if command == -1 {
                error
            } else {
                io::Error::from_raw_os_error(launch.failure)
            };
        }
        // Both sides set the group, so that it exists whichever runs first.
        libc::setpgid(command, command);
        shim_main(command, &waited, report)
    }
}

/// The command's process, until its `exec`: a process group of its own (so that signals to it
/// never reach the shim), death with the shim, no signal blocked (as `std` starts a command),
/// its environment.
extern "C" fn command_main(launch: *mut c_void) -> c_int {
    // SAFETY: `launch` points to the shim's `Launch`, alive while the shim waits for this
    // process to call `exec` or exit; only system calls follow.
    unsafe {
        let launch = &mut *launch.cast::<Launch<'_>>();
        libc::setpgid(0, 0);
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1
            || libc::getppid() != launch.shim
        {
            libc::_exit(127);
        }
        let mut none = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(none.as_mut_ptr());
        libc::sigprocmask(libc::SIG_SETMASK, none.as_ptr(), ptr::null_mut());
        if let Some(envp) = &launch.exec.envp {
            // `execvp` looks the program up in the command's `PATH`, as `std` does.
            environ = envp.as_ptr();
        }
        libc::execvp(launch.exec.program.as_ptr(), launch.exec.argv.as_ptr());
        launch.failure = *libc::__errno_location();
        libc::_exit(127)
    }
}

/// The shim's life: waits for the command and the signals, then ends the command's tree.
unsafe fn shim_main(command: i32, waited: &libc::sigset_t, report: Option<RawFd>) -> ! {
    // SAFETY: system calls on plain values and on buffers on this stack.
    unsafe {
        // The shim holds nothing of the runtime's but its report pipe: not the command's pipes
        // (their readers must see them close), not `std`'s pipe for a failed `exec`.
        close_all(report);
        if let Some(fd) = report {
            Report::Started(libc::getpid()).write_to(fd);
        }

        let ended = loop {
            if let Some(status) = reap_orphans_until(command) {
                break status;
            }
            match libc::sigwaitinfo(waited, ptr::null_mut()) {
                libc::SIGTERM => signal_tree(command, libc::SIGTERM),
                KILL_NOW => signal_tree(command, libc::SIGKILL),
                _ => {}
            }
        };
        sweep(command);
        libc::waitpid(command, ptr::null_mut(), 0);
        if let Some(fd) = report {
            Report::Ended(ended).write_to(fd);
            // Until the runtime closes the pipe, this shim's pid (which names the group the
            // runtime may still signal) stays taken.
            let mut closed = libc::pollfd {
                fd,
                events: 0,
                revents: 0,
            };
            while libc::poll(&mut closed, 1, -1) == -1 {}
        }
        end_as(ended)
    }
}

/// Reaps the orphans that have exited, and returns the command's status once it has exited
/// (leaving it a zombie, so that its pid, which is its group's id, is not reused meanwhile).
unsafe fn reap_orphans_until(command: i32) -> Option<i32> {
    loop {
        // SAFETY: `info` is a valid siginfo_t for waitid to fill.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let found = libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            if found == -1 {
                if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                // No child at all, which cannot be while the command is unreaped: say it was
                // killed rather than claim a success.
                return Some(libc::SIGKILL);
            }
            let pid = info.si_pid();
            if pid == 0 {
                return None;
            }
            if pid == command {
                return Some(status_of(&info));
            }
            libc::waitpid(pid, ptr::null_mut(), 0);
        }
    }
}

/// The `waitpid`-style status of a child that has exited, from what `waitid` said.
unsafe fn status_of(info: &libc::siginfo_t) -> i32 {
    // SAFETY: for an exited child, waitid fills `si_status`.
    let value = unsafe { info.si_status() };
    match info.si_code {
        libc::CLD_EXITED => (value & 0xff) << 8,
        _ => value & 0x7f,
    }
}

/// Sends `signal` to the command's group and to every orphan the shim has adopted (and its
/// group, should it lead one).
unsafe fn signal_tree(command: i32, signal: i32) {
    // SAFETY: signalling processes; a group or process that is gone gives ESRCH.
    unsafe {
        libc::kill(-command, signal);
        for_each_child(|pid| {
            if pid != command {
                libc::kill(-pid, signal);
                libc::kill(pid, signal);
            }
        });
    }
}

/// Kills and reaps everything but the (dead) command, until nothing else is left. An orphan
/// killed here may leave orphans of its own: they come to the shim, and the next round.
unsafe fn sweep(command: i32) {
    for _ in 0..1000 {
        // SAFETY: signalling and reaping the shim's own children.
        unsafe {
            libc::kill(-command, libc::SIGKILL);
            let mut others = 0;
            for_each_child(|pid| {
                if pid != command {
                    others += 1;
                    libc::kill(-pid, libc::SIGKILL);
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, ptr::null_mut(), 0);
                }
            });
            if others == 0 {
                return;
            }
        }
    }
}

/// Calls `each` with the pid of every child of the shim (which has one thread), read from
/// `/proc/thread-self/children` in rounds of what fits a buffer on the stack.
unsafe fn for_each_child(mut each: impl FnMut(i32)) {
    // SAFETY: reading a file into a buffer on this stack.
    unsafe {
        let fd = libc::open(
            c"/proc/thread-self/children".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd == -1 {
            return;
        }
        let mut buffer = [0_u8; 4096];
        let mut pid: i32 = 0;
        let mut digits = false;
        loop {
            let read = libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len());
            if read <= 0 {
                break;
            }
            for &byte in buffer.iter().take(read as usize) {
                if byte.is_ascii_digit() {
                    pid = pid
                        .saturating_mul(10)
                        .saturating_add(i32::from(byte - b'0'));
                    digits = true;
                } else {
                    if digits {
                        each(pid);
                    }
                    pid = 0;
                    digits = false;
                }
            }
        }
        if digits {
            each(pid);
        }
        libc::close(fd);
    }
}

/// Closes every file descriptor of the shim but `keep`.
unsafe fn close_all(keep: Option<RawFd>) {
    // SAFETY: closing descriptors; close_range is Linux 5.9, and the loop is its fallback.
    unsafe {
        let close_range = |from: RawFd, to: RawFd| {
            from > to || libc::syscall(libc::SYS_close_range, from as u32, to as u32, 0_u32) == 0
        };
        let done = match keep {
            Some(keep) => close_range(0, keep - 1) && close_range(keep + 1, RawFd::MAX),
            None => close_range(0, RawFd::MAX),
        };
        if done {
            return;
        }
        let mut limit = MaybeUninit::<libc::rlimit>::uninit();
        let top = if libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) == 0 {
            limit.assume_init().rlim_cur.min(65_536) as i32
        } else {
            1024
        };
        for fd in (0..top).filter(|&fd| Some(fd) != keep) {
            libc::close(fd);
        }
    }
}

/// Ends the shim the way the command ended: with its exit code, or by its signal.
unsafe fn end_as(status: i32) -> ! {
    // SAFETY: system calls on plain values; `_exit` does not return.
    unsafe {
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            // The command may have dumped core already; the shim must not.
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            libc::signal(signal, libc::SIG_DFL);
            let mut only = MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(only.as_mut_ptr());
            libc::sigaddset(only.as_mut_ptr(), signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, only.as_ptr(), ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}
