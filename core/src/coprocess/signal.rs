//! Names of the signals a command may die of, as people know them.

/// `SIGSEGV (segmentation fault)`, or `signal 42` for one without a common name.
pub(crate) fn describe(signal: i32) -> String {
    match name(signal) {
        Some((name, meaning)) => format!("{name} ({meaning})"),
        None => format!("signal {signal}"),
    }
}

/// The name and meaning of a signal, for the common ones.
pub(crate) fn name(signal: i32) -> Option<(&'static str, &'static str)> {
    Some(match signal {
        libc::SIGHUP => ("SIGHUP", "hang-up"),
        libc::SIGINT => ("SIGINT", "interrupt"),
        libc::SIGQUIT => ("SIGQUIT", "quit"),
        libc::SIGILL => ("SIGILL", "illegal instruction"),
        libc::SIGTRAP => ("SIGTRAP", "trace trap"),
        libc::SIGABRT => ("SIGABRT", "aborted"),
        libc::SIGBUS => ("SIGBUS", "bus error"),
        libc::SIGFPE => ("SIGFPE", "arithmetic exception"),
        libc::SIGKILL => ("SIGKILL", "killed"),
        libc::SIGUSR1 => ("SIGUSR1", "user signal 1"),
        libc::SIGSEGV => ("SIGSEGV", "segmentation fault"),
        libc::SIGUSR2 => ("SIGUSR2", "user signal 2"),
        libc::SIGPIPE => ("SIGPIPE", "broken pipe"),
        libc::SIGALRM => ("SIGALRM", "alarm clock"),
        libc::SIGTERM => ("SIGTERM", "terminated"),
        libc::SIGXCPU => ("SIGXCPU", "CPU time limit exceeded"),
        libc::SIGXFSZ => ("SIGXFSZ", "file size limit exceeded"),
        libc::SIGSYS => ("SIGSYS", "bad system call"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_signals_have_their_names() {
        assert_eq!(
            super::describe(libc::SIGSEGV),
            "SIGSEGV (segmentation fault)"
        );
        assert_eq!(super::describe(libc::SIGKILL), "SIGKILL (killed)");
        assert_eq!(super::describe(63), "signal 63");
    }
}
