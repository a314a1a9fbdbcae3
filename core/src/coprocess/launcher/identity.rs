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

/// The umask. The system call that reads it also sets it: it is set to the value it had last
/// time, which changes nothing when it is still that, and put back at once when it is not.
/// (Reading `/proc/self/status` instead costs more than the rest of an identity together.)
fn umask() -> libc::mode_t {
    static LAST: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0o022);
    let last = LAST.load(std::sync::atomic::Ordering::Relaxed) as libc::mode_t;
    // SAFETY: umask has no preconditions.
    let now = unsafe { libc::umask(last) };
    if now != last {
        // SAFETY: as above; this puts back what the program set.
        unsafe { libc::umask(now) };
        LAST.store(now as u32, std::sync::atomic::Ordering::Relaxed);
    }
    now
}

