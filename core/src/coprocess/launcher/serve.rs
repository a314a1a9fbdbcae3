//! The launcher process: this program started again with [`LAUNCHER_ENV`] set, which never
//! reaches `main` (a constructor diverts it, as it does a process spoke) and starts the
//! shims of the commands its program asks for, until its program is gone.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use super::wire::{self, DESCRIPTORS, DIRECTORY, REPORT, Report, Request};
use crate::coprocess::shim::{self, Exec, KILL_NOW};

/// The environment variable that makes a process a launcher; its value is the descriptor of
/// the socket to its program.
pub(crate) const LAUNCHER_ENV: &str = "SPM_LAUNCHER_FD";

// The constructor that turns a re-executed program into a launcher before `main`.
#[used]
#[unsafe(link_section = ".init_array")]
static ENTER: extern "C" fn() = enter;

extern "C" fn enter() {
    let Some(fd) = std::env::var_os(LAUNCHER_ENV) else {
        return;
    };
    // SAFETY: constructors run before `main`, on the only thread there is.
    unsafe {
        std::env::remove_var(LAUNCHER_ENV);
    }
    let code = match fd.to_str().and_then(|f| f.parse::<RawFd>().ok()) {
        // SAFETY: the program passed this descriptor, open, for this process alone; it is
        // closed on `exec`, so that no command inherits it.
        Some(fd) => serve(unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            UnixStream::from_raw_fd(fd)
        }),
        None => 2,
    };
    std::process::exit(code);
}

/// Serves requests one at a time until the program closes the socket (it has ended, or been
/// killed). Exiting then is what ends every command still running: each shim's parent-death
/// signal is [`KILL_NOW`].
fn serve(mut socket: UnixStream) -> i32 {
    // SAFETY: setting a signal's disposition, and this thread's mask.
    unsafe {
        // Shims are reaped by the kernel: their program learns how they ended from their
        // reports.
        libc::signal(libc::SIGCHLD, libc::SIG_IGN);
        // A signal meant for the program or its whole cgroup (a service manager's SIGTERM)
        // must not end the launcher, and with it every command at once: the launcher ends
        // when its program does. Its shims keep these blocked; commands start with none.
        let mut mask = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(mask.as_mut_ptr());
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
            libc::sigaddset(mask.as_mut_ptr(), signal);
        }
        libc::sigprocmask(libc::SIG_BLOCK, mask.as_ptr(), std::ptr::null_mut());
    }
    if socket.write_all(&[1]).is_err() {
        return 3;
    }
    loop {
        let (bytes, fds) = match wire::receive(&mut socket) {
            Ok(Some(request)) => request,
            Ok(None) => return 0,
            Err(_) => return 4,
        };
        let report = fds[REPORT].as_raw_fd();
        if let Err(errno) = start(&bytes, &fds) {
            // SAFETY: the report pipe is open until `fds` drops.
            unsafe { Report::NotStarted(errno).write_to(report) };
        }
    }
}

/// Forks the shim of one command, which reports on its pipe from then on; or returns why not.
fn start(bytes: &[u8], fds: &[OwnedFd; DESCRIPTORS]) -> Result<(), i32> {
    let request: Request = postcard::from_bytes(bytes).map_err(|_| libc::EINVAL)?;
    let exec =
        Exec::new(&request.program, &request.args, Some(&request.env)).map_err(|_| libc::EINVAL)?;
    // SAFETY: getpid has no preconditions.
    let launcher = unsafe { libc::getpid() };
    // SAFETY: this process has one thread, so its child may do anything; it never returns.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EAGAIN)),
        0 => unsafe { be_shim(&exec, fds, launcher) },
        _ => Ok(()),
    }
    // The caller closes `fds`: the shim has its own copies.
}

/// The forked child: takes the command's streams and directory, leads a session, and becomes
/// the command's shim.
///
/// # Safety
/// Only in a child of `fork`.
unsafe fn be_shim(exec: &Exec, fds: &[OwnedFd; DESCRIPTORS], launcher: i32) -> ! {
    let report = fds[REPORT].as_raw_fd();
    // SAFETY: system calls on descriptors and strings this process owns.
    unsafe {
        let fail = |errno: i32| -> ! {
            Report::NotStarted(errno).write_to(report);
            libc::_exit(127)
        };
        let errno = || std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        for (stream, fd) in fds[..3].iter().enumerate() {
            if libc::dup2(fd.as_raw_fd(), stream as RawFd) == -1 {
                fail(errno());
            }
        }
        if libc::fchdir(fds[DIRECTORY].as_raw_fd()) == -1 {
            Report::BadDirectory(errno()).write_to(report);
            libc::_exit(127);
        }
        if libc::setsid() == -1 || libc::prctl(libc::PR_SET_PDEATHSIG, KILL_NOW) == -1 {
            fail(errno());
        }
        // The launcher may have died before the signal was armed.
        if libc::getppid() != launcher {
            libc::_exit(127);
        }
        let error = shim::split(exec, Some(report));
        fail(error.raw_os_error().unwrap_or(libc::EIO))
    }
}
