//! What a command inherits from the process that forks its shim, beyond what is sent with it:
//! its credentials, umask, scheduling priority and resource limits. The launcher has the
//! program's as they were when it started; when the program's differ now (it dropped its
//! privileges, say), the launcher is replaced by one that has them.

/// The resource limits a command inherits.
const LIMITS: [libc::__rlimit_resource_t; 16] = [
    libc::RLIMIT_AS,
    libc::RLIMIT_CORE,
    libc::RLIMIT_CPU,
    libc::RLIMIT_DATA,
    libc::RLIMIT_FSIZE,
    libc::RLIMIT_LOCKS,
    libc::RLIMIT_MEMLOCK,
    libc::RLIMIT_MSGQUEUE,
    libc::RLIMIT_NICE,
    libc::RLIMIT_NOFILE,
    libc::RLIMIT_NPROC,
    libc::RLIMIT_RSS,
    libc::RLIMIT_RTPRIO,
    libc::RLIMIT_RTTIME,
    libc::RLIMIT_SIGPENDING,
    libc::RLIMIT_STACK,
];

/// This process's inheritable state, as far as a command sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    ids: [libc::uid_t; 4],
    groups: Vec<libc::gid_t>,
    umask: libc::mode_t,
    nice: i32,
    limits: Vec<(u64, u64)>,
}

impl Identity {
    /// This process's, now.
    pub(crate) fn now() -> Self {
        // SAFETY: these calls read this process's attributes into buffers of the right size.
        unsafe {
            let ids = [
                libc::getuid(),
                libc::geteuid(),
                libc::getgid(),
                libc::getegid(),
            ];
            let count = libc::getgroups(0, std::ptr::null_mut()).max(0);
            let mut groups = vec![0; count as usize];
            let count = libc::getgroups(count, groups.as_mut_ptr()).max(0);
            groups.truncate(count as usize);
            *libc::__errno_location() = 0;
            let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
            let limits = LIMITS
                .iter()
                .map(|&resource| {
                    let mut limit = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    libc::getrlimit(resource, &mut limit);
                    (limit.rlim_cur, limit.rlim_max)
                })
                .collect();
            Self {
                ids,
                groups,
                umask: umask(),
                nice,
                limits,
            }
        }
    }
}

/// The umask. `/proc/self/status` says it without changing it, but costs more than the rest
/// of an identity together, so it is read there once; after that, the system call that reads
/// the umask by setting it sets it to the value it had last time, which changes nothing while
/// it is still that. When the program has changed it since, the call puts the program's value
/// back at once: for that instant, a file another thread creates gets the program's previous
/// umask.
fn umask() -> libc::mode_t {
    use std::sync::atomic::{AtomicU32, Ordering};
    static LAST: AtomicU32 = AtomicU32::new(u32::MAX);
    let mut last = LAST.load(Ordering::Relaxed);
    if last == u32::MAX {
        match from_proc() {
            Some(mask) => last = mask,
            // No `/proc`: the common default is the likeliest value.
            None => last = 0o022,
        }
    }
    let last = last as libc::mode_t;
    // SAFETY: umask has no preconditions.
    let now = unsafe { libc::umask(last) };
    if now != last {
        // SAFETY: as above; this puts back what the program set.
        unsafe { libc::umask(now) };
    }
    LAST.store(now as u32, Ordering::Relaxed);
    now
}

/// The umask as `/proc/self/status` says it (Linux 4.7 and later).
fn from_proc() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("Umask:"))?;
    u32::from_str_radix(mask.trim(), 8).ok()
}
