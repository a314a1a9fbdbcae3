//! What crosses between a program and its launcher: a request to start a command, with the
//! command's standard streams and a report pipe passed as descriptors (`SCM_RIGHTS`), and what
//! is reported on that pipe (by the shim, or by the launcher when it cannot fork one).

use std::io::{self, Read};
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::ptr;

use serde::{Deserialize, Serialize};

/// A command to start: bytes, as the system takes them.
#[derive(Serialize, Deserialize)]
pub(crate) struct Request {
    pub(crate) program: Vec<u8>,
    pub(crate) args: Vec<Vec<u8>>,
    /// The command's whole environment, `KEY=value` each.
    pub(crate) env: Vec<Vec<u8>>,
}

/// The descriptors that go with a request: the command's stdin, stdout and stderr, the
/// directory to run it in (opened with `O_PATH`), and the write end of the pipe its shim
/// reports on.
pub(crate) const DESCRIPTORS: usize = 5;
/// Where the directory and the report pipe are among the descriptors.
pub(crate) const DIRECTORY: usize = 3;
pub(crate) const REPORT: usize = 4;

/// Why a request was not sent.
pub(crate) enum NotSent {
    /// Nothing of it was: the socket is as it was, and the launcher may serve the next one.
    Untouched,
    /// Part of it was: the socket is out of step, and the launcher must not be sent more.
    Broken,
}

/// Sends a request of `bytes`, with `fds`, as one frame: a length, then the bytes.
pub(crate) fn send(
    socket: &mut UnixStream,
    bytes: &[u8],
    fds: [BorrowedFd<'_>; DESCRIPTORS],
) -> Result<(), NotSent> {
    let length = u32::try_from(bytes.len()).map_err(|_| NotSent::Untouched)?;
    let header = length.to_le_bytes();
    let raw: [RawFd; DESCRIPTORS] = fds.map(|fd| fd.as_raw_fd());
    let mut control = Control::zeroed();
    let mut iov = libc::iovec {
        iov_base: header.as_ptr() as *mut libc::c_void,
        iov_len: header.len(),
    };
    let sent = loop {
        // SAFETY: a msghdr pointing to one live iovec and a control buffer sized for the fds.
        let sent = unsafe {
            let mut message: libc::msghdr = mem::zeroed();
            message.msg_iov = &mut iov;
            message.msg_iovlen = 1;
            message.msg_control = control.bytes.as_mut_ptr().cast();
            message.msg_controllen = libc::CMSG_SPACE(mem::size_of_val(&raw) as u32) as _;
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(mem::size_of_val(&raw) as u32) as _;
            ptr::copy_nonoverlapping(raw.as_ptr(), libc::CMSG_DATA(header).cast(), DESCRIPTORS);
            libc::sendmsg(socket.as_raw_fd(), &message, libc::MSG_NOSIGNAL)
        };
        if sent >= 0 {
            break sent as usize;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return Err(NotSent::Untouched);
        }
    };
    // The descriptors went with the first byte; the rest is plain data.
    send_all(socket, &header[sent..])
        .and_then(|()| send_all(socket, bytes))
        .map_err(|_| NotSent::Broken)
}

/// Writes all of `bytes`, with no `SIGPIPE` should the launcher be gone.
fn send_all(socket: &UnixStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: sending from a live buffer.
        let sent = unsafe {
            libc::send(
                socket.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if sent < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        bytes = &bytes[sent as usize..];
    }
    Ok(())
}

/// Receives a request: `None` when the other end has closed the socket.
pub(crate) fn receive(
    socket: &mut UnixStream,
) -> io::Result<Option<(Vec<u8>, [OwnedFd; DESCRIPTORS])>> {
    let mut header = [0_u8; 4];
    let mut control = Control::zeroed();
    let mut iov = libc::iovec {
        iov_base: header.as_mut_ptr().cast(),
        iov_len: header.len(),
    };
    // SAFETY: as in `send`; the kernel fills at most the buffers given.
    let (received, fds) = unsafe {
        let mut message: libc::msghdr = mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.bytes.as_mut_ptr().cast();
        message.msg_controllen = CONTROL_LEN as _;
        let received = libc::recvmsg(socket.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC);
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        let header = libc::CMSG_FIRSTHDR(&message);
        let mut fds = Vec::new();
        if !header.is_null()
            && (*header).cmsg_level == libc::SOL_SOCKET
            && (*header).cmsg_type == libc::SCM_RIGHTS
        {
            let count = ((*header).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                / mem::size_of::<RawFd>();
            let data: *const RawFd = libc::CMSG_DATA(header).cast();
            for i in 0..count {
                fds.push(OwnedFd::from_raw_fd(ptr::read_unaligned(data.add(i))));
            }
        }
        (received as usize, fds)
    };
    if received == 0 {
        return Ok(None);
    }
    socket.read_exact(&mut header[received..])?;
    let fds: [OwnedFd; DESCRIPTORS] = fds.try_into().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a request without its descriptors",
        )
    })?;
    let mut bytes = vec![0_u8; u32::from_le_bytes(header) as usize];
    socket.read_exact(&mut bytes)?;
    Ok(Some((bytes, fds)))
}

const CONTROL_LEN: usize = 64;

/// A control buffer, aligned for `cmsghdr`, with room for the descriptors of a request.
#[repr(C, align(8))]
struct Control {
    bytes: [u8; CONTROL_LEN],
}

impl Control {
    fn zeroed() -> Self {
        // SAFETY: CMSG_SPACE only computes a size.
        debug_assert!(
            unsafe { libc::CMSG_SPACE((DESCRIPTORS * mem::size_of::<RawFd>()) as u32) } as usize
                <= CONTROL_LEN
        );
        Self {
            bytes: [0; CONTROL_LEN],
        }
    }
}

/// What a shim reports on its pipe: that the command started (or why not), then how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// The command started, under the shim of this pid.
    Started(i32),
    /// The command could not be started: the `errno` of its `exec` (or of what came before).
    NotStarted(i32),
    /// The command could not be started in its directory: the `errno` of `fchdir`.
    BadDirectory(i32),
    /// The command ended (and nothing of it is left), with this `waitpid` status.
    Ended(i32),
}

impl Report {
    /// Eight bytes, made without allocating: a shim writes them after `fork`.
    pub(crate) const fn encode(self) -> [u8; 8] {
        let (tag, value) = match self {
            Self::Started(pid) => (1_u8, pid),
            Self::NotStarted(errno) => (2, errno),
            Self::Ended(status) => (3, status),
            Self::BadDirectory(errno) => (4, errno),
        };
        let v = value.to_le_bytes();
        [tag, 0, 0, 0, v[0], v[1], v[2], v[3]]
    }

    pub(crate) fn decode(bytes: [u8; 8]) -> Option<Self> {
        let value = i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        match bytes[0] {
            1 => Some(Self::Started(value)),
            2 => Some(Self::NotStarted(value)),
            3 => Some(Self::Ended(value)),
            4 => Some(Self::BadDirectory(value)),
            _ => None,
        }
    }

    /// Writes the report to `fd` with one `write`, which a pipe keeps whole.
    ///
    /// # Safety
    /// `fd` must be a descriptor this process may write to (or a closed one).
    pub(crate) unsafe fn write_to(self, fd: RawFd) {
        let bytes = self.encode();
        // SAFETY: writing a buffer on this stack; a failure leaves the reader to see the end of
        // the pipe instead, which it reads as a lost shim.
        unsafe {
            libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        }
    }
}

/// Reads one eight-byte record from `reader`: `None` at the end of the stream or on an error.
pub(crate) fn read_record(reader: &mut impl Read) -> Option<[u8; 8]> {
    let mut bytes = [0_u8; 8];
    reader.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// Makes a pipe whose ends are closed on `exec`: (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both are new descriptors owned by no one else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
