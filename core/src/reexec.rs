//! Starting this program again as a helper process (a process spoke, a coprocess launcher):
//! with a socket to this process as descriptor 3, named by an environment variable that a
//! constructor of the helper's looks for before `main`, which it never reaches.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// The helper's descriptor for its socket.
const SOCKET_FD: i32 = 3;

/// Starts the program at `program` again as a helper: `role` set to the socket's descriptor,
/// and `env` over this process's environment, `name` as its `argv[0]` (for `ps`; it reads no
/// arguments), no input, `stdout` as its output. `prepare` runs in the child between `fork`
/// and `exec`, once the socket is in place, and may only make system calls on plain values.
pub(crate) fn start(
    program: &std::path::Path,
    role: &str,
    env: &[(&str, &str)],
    name: &str,
    stdout: Stdio,
    prepare: fn() -> io::Result<()>,
) -> io::Result<(Child, UnixStream)> {
    let (ours, theirs) = UnixStream::pair()?;
    let their_fd = theirs.as_raw_fd();
    let mut command = Command::new(program);
    command
        .env(role, SOCKET_FD.to_string())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .arg0(name);
    // SAFETY: the closure runs in the child between fork and exec and makes only system calls
    // on plain values, as `prepare` must.
    unsafe {
        command.pre_exec(move || {
            // The socket becomes descriptor 3, open across exec.
            if their_fd == SOCKET_FD {
                if libc::fcntl(SOCKET_FD, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            } else if libc::dup2(their_fd, SOCKET_FD) == -1 {
                return Err(io::Error::last_os_error());
            }
            prepare()
        });
    }
    let child = command.spawn()?;
    Ok((child, ours))
    // `theirs` closes here: only the helper holds that end now.
}
