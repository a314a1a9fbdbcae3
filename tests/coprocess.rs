//! Coprocesses: external commands with hard deadlines, told outcomes, and nothing left behind.

use std::thread::sleep;
use std::time::{Duration, Instant};

use spm::coprocess::{Cause, CoprocessError, Status};
use spm::prelude::*;
use spm::{EarlyStop, TaskErrorKind};

/// Whether process `pid` still runs (a zombie has ended).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

fn sh(script: &str) -> spm::coprocess::Coprocess<'static> {
    spm::coprocess("sh").args(["-c", script])
}

fn cause(error: &TaskError) -> &Cause {
    assert_eq!(error.kind(), TaskErrorKind::Coprocess, "{error}");
    error
        .downcast_ref::<CoprocessError>()
        .expect("a coprocess error")
        .cause()
}

#[test]
fn output_is_captured_and_failures_say_what_happened() {
    let done = sh("printf 'out'; printf 'err' >&2").run().unwrap();
    assert_eq!((&*done.stdout_text(), &*done.stderr_text()), ("out", "err"));
    assert!(done.success());

    let error = sh("echo 'cannot read frame 7' >&2; exit 4")
        .run()
        .unwrap_err();
    assert_eq!(cause(&error), &Cause::Exited(4));
    assert_eq!(
        error.to_string(),
        "`sh -c 'echo '\\''cannot read frame 7'\\'' >&2; exit 4'` exited with code 4; its error output ends with:\ncannot read frame 7"
    );
    let output = sh("exit 4").output().unwrap();
    assert_eq!(output.status(), Status::Exited(4));
}

#[test]
fn a_missing_or_unrunnable_program_is_named() {
    let error = spm::coprocess("no-such-program-anywhere")
        .run()
        .unwrap_err();
    assert_eq!(cause(&error), &Cause::NotFound);
    assert_eq!(
        error.to_string(),
        "`no-such-program-anywhere`: command not found (not on the PATH)"
    );
    let error = spm::coprocess("./nope/tool").run().unwrap_err();
    assert_eq!(error.to_string(), "`./nope/tool`: no such program");
    let script = std::env::temp_dir().join(format!("spm-not-executable-{}", std::process::id()));
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let error = spm::coprocess(&script).run().unwrap_err();
    assert_eq!(cause(&error), &Cause::NotExecutable);
    assert!(
        error
            .to_string()
            .ends_with(": not executable (permission denied)"),
        "{error}"
    );
    std::fs::remove_file(&script).unwrap();

    let error = spm::coprocess("echo").arg("a\0b").run().unwrap_err();
    assert!(
        error.to_string().ends_with(
            "cannot pass it a program name, argument or environment variable: it holds a NUL byte"
        ),
        "{error}"
    );
}

#[test]
fn a_signal_is_named() {
    let error = sh("kill -SEGV $$").run().unwrap_err();
    assert_eq!(
        cause(&error),
        &Cause::Signaled {
            signal: 11,
            oom: false
        }
    );
    assert!(
        error
            .to_string()
            .ends_with("was killed by SIGSEGV (segmentation fault)"),
        "{error}"
    );
    let error = sh("kill -ABRT $$").run().unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("was killed by SIGABRT (aborted)"),
        "{error}"
    );
    let error = sh("kill -KILL $$").run().unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("was killed by SIGKILL (killed)"),
        "{error}"
    );
}

#[test]
fn a_timeout_stops_the_whole_group_politely_then_firmly() {
    let started = Instant::now();
    let error = spm::coprocess("sleep")
        .arg("10")
        .timeout(Duration::from_millis(100))
        .run()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        error.to_string(),
        "`sleep 10` timed out after 100ms: its process group got SIGTERM and ended"
    );

    // A shell that ignores SIGTERM, and its child that does too.
    let started = Instant::now();
    let error = sh("trap '' TERM; (trap '' TERM; sleep 10) & sleep 10")
        .timeout(Duration::from_millis(100))
        .grace(Duration::from_millis(200))
        .run()
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(matches!(
        cause(&error),
        Cause::TimedOut {
            escalated: true,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .ends_with("its process group got SIGTERM, then SIGKILL 200ms later"),
        "{error}"
    );
}

#[test]
fn what_a_command_leaves_in_its_group_is_gone_when_it_returns() {
    // The command forks a sleeper, prints its pid, and exits at once.
    let done = sh("sleep 30 & echo $!")
        .timeout(Duration::from_secs(5))
        .run()
        .unwrap();
    let sleeper: i32 = done.stdout_text().trim().parse().unwrap();
    assert!(
        !running(sleeper),
        "the forked sleeper {sleeper} outlived its command"
    );
    assert!(done.elapsed() < Duration::from_secs(2));
}

/// The pids a script prints on its first line of output.
fn pids(output: &str) -> Vec<i32> {
    output
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect()
}

#[test]
fn daemons_a_command_starts_are_gone_when_it_returns() {
    // A daemon that is its own session, and a daemon that leads a session with a child in it;
    // both outlive the shell that started them, so they are orphans, out of its group.
    let script = "setsid sleep 30 & a=$!; \
                  setsid sh -c 'sleep 30 & echo $$ $!; wait' & sleep 0.2; echo $a";
    let done = sh(script).timeout(Duration::from_secs(5)).run().unwrap();
    let daemons = pids(&done.stdout_text());
    assert_eq!(daemons.len(), 3, "{:?}", done.stdout_text());
    for pid in daemons {
        assert!(!running(pid), "daemon {pid} outlived its command");
    }
    assert!(
        done.elapsed() < Duration::from_secs(2),
        "{:?}",
        done.elapsed()
    );

    // The same from a list of commands on a thread pool: gone when `eval` returns.
    let report = spm::commands([vec!["sh", "-c", script]])
        .eval(&mut Pool::threads(2))
        .unwrap();
    let done = report.into_results().unwrap().pop().unwrap();
    for pid in pids(&done.stdout_text()) {
        assert!(!running(pid), "daemon {pid} outlived `eval`");
    }
}

#[pclosure(coarse_list)]
fn probe(ctx: &Ctx, case: String) -> Result<String, TaskError> {
    let text = |done: spm::coprocess::Output| done.stdout_text().into_owned();
    Ok(match case.as_str() {
        "env" => text(
            ctx.coprocess("sh")
                .args(["-c", "echo $SPM_PROBE"])
                .env("SPM_PROBE", "set")
                .run()?,
        ),
        "dir" => text(ctx.coprocess("pwd").current_dir("/").run()?),
        "stdin" => text(ctx.coprocess("cat").stdin("fed").run()?),
        "exit" => format!(
            "{:?}",
            ctx.coprocess("sh")
                .args(["-c", "exit 7"])
                .output()?
                .status()
        ),
        "missing" => ctx
            .coprocess("no-such-program-anywhere")
            .run()
            .unwrap_err()
            .to_string(),
        "no-dir" => ctx
            .coprocess("true")
            .current_dir("/no/such/dir")
            .run()
            .unwrap_err()
            .to_string(),
        "daemon" => {
            let done = ctx
                .coprocess("sh")
                .args(["-c", "setsid sleep 30 & echo $!"])
                .run()?;
            let left = pids(&done.stdout_text())
                .into_iter()
                .filter(|&pid| running(pid))
                .count();
            format!("{left} left")
        }
        other => return Err(TaskError::msg(format!("no case `{other}`"))),
    })
}

#[test]
fn a_command_runs_the_same_from_the_hub_and_from_a_process_spoke() {
    // From the hub (threads, serial), commands start through its launcher; from a process
    // spoke, by a fork of the spoke.
    let cases = ["env", "dir", "stdin", "exit", "missing", "no-dir", "daemon"];
    let expected = [
        "set\n",
        "/\n",
        "fed",
        "Exited(7)",
        "`no-such-program-anywhere`: command not found (not on the PATH)",
        "`true`: cannot run it in `/no/such/dir`: no such directory",
        "0 left",
    ];
    for mut pool in [Pool::serial(), Pool::threads(2), Pool::processes(2)] {
        let results = Probe::list(cases.map(|c| Probe::new(c.into())))
            .eval(&mut pool)
            .unwrap()
            .into_results()
            .unwrap();
        assert_eq!(results, expected, "{pool}");
    }
}

#[test]
fn input_output_limits_and_files() {
    let done = spm::coprocess("cat")
        .stdin("hello through stdin")
        .run()
        .unwrap();
    assert_eq!(done.stdout_text(), "hello through stdin");

    let big = vec![b'x'; 3 << 20];
    let done = spm::coprocess("cat")
        .stdin(big)
        .capture_limit(1000)
        .run()
        .unwrap();
    assert_eq!(done.stdout().len(), 1000);
    assert!(done.truncated());

    let dir = std::env::temp_dir().join(format!("spm-coprocess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.txt");
    let done = sh("echo to a file; pwd; echo $X")
        .current_dir(&dir)
        .env("X", "from env")
        .stdout_to(&out)
        .run()
        .unwrap();
    assert!(done.stdout().is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written,
        format!("to a file\n{}\nfrom env\n", dir.display()),
        "{written}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[pclosure(coarse_list)]
fn sleeps(ctx: &Ctx, seconds: u32) -> Result<(), TaskError> {
    ctx.coprocess("sleep").arg(seconds.to_string()).run()?;
    Ok(())
}

#[test]
fn a_coprocess_stops_at_its_task_deadline_on_every_pool() {
    for mut pool in [Pool::serial(), Pool::threads(2)] {
        let started = Instant::now();
        let report = Sleeps::list([Sleeps::new(30)])
            .timeout_per_task(Duration::from_millis(150))
            .eval(&mut pool)
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{pool}: {:?}",
            started.elapsed()
        );
        assert!(
            matches!(report.outcomes().next(), Some(Outcome::TimedOut)),
            "{pool}"
        );
    }
}

#[pclosure(coarse_list)]
fn step(ctx: &Ctx, script: String) -> Result<(), TaskError> {
    ctx.coprocess("sh").args(["-c", &script]).run()?;
    Ok(())
}

#[test]
fn halting_stops_the_commands_of_running_tasks() {
    let started = Instant::now();
    let report = Step::list([
        Step::new("sleep 30".into()),
        Step::new("sleep 0.1; exit 1".into()),
    ])
    .halt_on_first_failure()
    .eval(&mut Pool::threads(2))
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(report.early_stop(), Some(EarlyStop::Halted { culprit: 1 }));
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(
        matches!(outcomes[0], Outcome::Cancelled),
        "{:?}",
        outcomes[0]
    );
}

#[pclosure(coarse_list)]
fn stubborn(ctx: &Ctx, pid_file: String) -> Result<(), TaskError> {
    // The command ignores SIGTERM; the task does not look at its own cancellation either.
    ctx.coprocess("sh")
        .args([
            "-c",
            &format!("trap '' TERM; echo $$ > {pid_file}; sleep 30"),
        ])
        .grace(Duration::from_secs(30))
        .run()?;
    Ok(())
}

#[test]
fn the_hub_ends_the_commands_of_an_abandoned_attempt_before_eval_returns() {
    let pid_file = std::env::temp_dir().join(format!("spm-stubborn-{}", std::process::id()));
    let started = Instant::now();
    let report = Stubborn::list([Stubborn::new(pid_file.display().to_string())])
        .timeout_per_task(Duration::from_millis(200))
        .eval(&mut Pool::threads(1))
        .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(matches!(report.outcomes().next(), Some(Outcome::TimedOut)));
    assert_eq!(report.abandoned_threads(), 1);
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!running(pid), "the command {pid} outlived eval");
    std::fs::remove_file(&pid_file).unwrap();
}

#[test]
fn a_list_of_commands_is_one_call() {
    let report = spm::commands([
        vec!["sh", "-c", "echo one"],
        vec!["sh", "-c", "exit 2"],
        vec!["no-such-program-anywhere"],
    ])
    .eval(&mut Pool::threads(2))
    .unwrap();
    let labels: Vec<String> = report
        .records()
        .iter()
        .map(|r| r.label().into_owned())
        .collect();
    assert_eq!(
        labels,
        [
            "sh -c 'echo one'",
            "sh -c 'exit 2'",
            "no-such-program-anywhere"
        ]
    );
    let outcomes: Vec<_> = report.outcomes().collect();
    assert_eq!(outcomes[0].done().unwrap().stdout_text(), "one\n");
    let text = report.into_results().unwrap_err().to_string();
    assert!(
        text.contains("`sh -c 'exit 2'` [attempt 0]: failed: `sh -c 'exit 2'` exited with code 2"),
        "{text}"
    );
    assert!(text.contains("`no-such-program-anywhere` [attempt 0]: failed: `no-such-program-anywhere`: command not found"), "{text}");

    let report = spm::commands([Vec::<String>::new()])
        .eval(&mut Pool::serial())
        .unwrap();
    let text = report.into_results().unwrap_err().to_string();
    assert!(text.contains("an empty command line"), "{text}");
}

/// Run as a child of the test below: starts a command that ignores SIGTERM, writes its pid, and
/// exits the process while the command still runs.
#[test]
fn exit_hook_child() {
    let Ok(pid_file) = std::env::var("SPM_EXIT_HOOK_PID_FILE") else {
        return;
    };
    std::thread::spawn(move || {
        let _ = sh(&format!("trap '' TERM; echo $$ > {pid_file}; sleep 30")).run();
    });
    sleep(Duration::from_millis(300));
    std::process::exit(0);
}

#[test]
fn the_commands_of_an_exiting_process_end_with_it() {
    let pid_file = std::env::temp_dir().join(format!("spm-exit-hook-{}", std::process::id()));
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "exit_hook_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SPM_EXIT_HOOK_PID_FILE", &pid_file)
        .status()
        .unwrap();
    assert!(status.success());
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    sleep(Duration::from_millis(50));
    assert!(!running(pid), "the command {pid} outlived its process");
    std::fs::remove_file(&pid_file).unwrap();
}

/// Run as a child of the test below: starts a command with a sleeper in its group and a
/// daemon out of it, writes their pids, and waits to be killed.
#[test]
fn killed_hub_child() {
    let Ok(pid_file) = std::env::var("SPM_KILLED_HUB_PID_FILE") else {
        return;
    };
    let _ = sh(&format!(
        "sleep 30 & a=$!; setsid sleep 30 & b=$!; \
         echo $$ $a $b > {pid_file}.new; mv {pid_file}.new {pid_file}; wait"
    ))
    .run();
}

#[test]
fn a_command_tree_ends_when_its_program_is_killed_outright() {
    let pid_file = std::env::temp_dir().join(format!("spm-killed-hub-{}", std::process::id()));
    let mut hub = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killed_hub_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SPM_KILLED_HUB_PID_FILE", &pid_file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    let tree = loop {
        if let Ok(text) = std::fs::read_to_string(&pid_file) {
            break pids(&text);
        }
        assert!(waited.elapsed() < Duration::from_secs(10), "no pid file");
        sleep(Duration::from_millis(10));
    };
    assert_eq!(tree.len(), 3);
    hub.kill().unwrap();
    hub.wait().unwrap();
    let killed = Instant::now();
    while tree.iter().any(|&pid| running(pid)) && killed.elapsed() < Duration::from_secs(3) {
        sleep(Duration::from_millis(10));
    }
    for pid in tree {
        assert!(!running(pid), "{pid} outlived its program's SIGKILL");
    }
    std::fs::remove_file(&pid_file).unwrap();
}

/// The pids of this process's children whose command line starts with `name`.
fn children_named(name: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let parent = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().nth(1));
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            parent == Some(me.as_str()) && cmdline.starts_with(name.as_bytes())
        })
        .collect()
}

/// Run as a child of the test below, so that the launcher it kills is its own.
#[test]
fn launcher_killed_child() {
    if std::env::var_os("SPM_LAUNCHER_KILLED").is_none() {
        return;
    }
    assert_eq!(sh("echo one").run().unwrap().stdout_text(), "one\n");
    let launchers = children_named("spm-launcher");
    assert_eq!(launchers.len(), 1, "one launcher: {launchers:?}");
    // SAFETY: killing our own child.
    unsafe {
        libc::kill(launchers[0], libc::SIGKILL);
    }
    sleep(Duration::from_millis(50));
    // Commands still run (started by forks of this process now), and still leave nothing.
    for _ in 0..3 {
        let done = sh("setsid sleep 30 & echo $!").run().unwrap();
        for pid in pids(&done.stdout_text()) {
            assert!(!running(pid), "daemon {pid} outlived its command");
        }
    }
}

#[test]
fn commands_run_on_when_the_launcher_is_killed() {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "launcher_killed_child", "--test-threads=1"])
        .env("SPM_LAUNCHER_KILLED", "1")
        .status()
        .unwrap();
    assert!(status.success());
}

/// Run as a child of the test below, so that the directory it changes is its own.
#[test]
fn directory_child() {
    let Some(dir) = std::env::var_os("SPM_DIRECTORY_CHILD") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    // The launcher starts in the directory this process has now...
    assert!(sh("true").run().is_ok());
    // ...and commands follow this process's directory as it changes, relative ones included.
    std::env::set_current_dir(&dir).unwrap();
    assert_eq!(
        spm::coprocess("pwd").run().unwrap().stdout_text(),
        format!("{}\n", dir.display())
    );
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    assert_eq!(
        spm::coprocess("pwd")
            .current_dir("inner")
            .run()
            .unwrap()
            .stdout_text(),
        format!("{}\n", dir.join("inner").display())
    );
}

#[test]
fn commands_run_in_the_directory_of_the_moment() {
    let dir = std::env::temp_dir().join(format!("spm-directory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "directory_child", "--test-threads=1"])
        .env("SPM_DIRECTORY_CHILD", &dir)
        .status()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(status.success());
}

/// Run as a child of the test below: what a command inherits follows this process as it
/// changes, not the launcher's as it started.
#[test]
fn inheritance_child() {
    if std::env::var_os("SPM_INHERITANCE_CHILD").is_none() {
        return;
    }
    // A descriptor open (without close-on-exec) when the launcher starts...
    let mut ends = [0; 2];
    // SAFETY: pipe fills two descriptors.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
    // ...and signals blocked in the thread that starts it.
    // SAFETY: changing this thread's signal mask.
    unsafe {
        let mut mask = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(mask.as_mut_ptr());
        libc::sigaddset(mask.as_mut_ptr(), libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, mask.as_ptr(), std::ptr::null_mut());
    }
    let blocked = sh("grep SigBlk /proc/$$/status").run().unwrap();
    assert_eq!(blocked.stdout_text(), "SigBlk:\t0000000000000000\n");
    // The launcher does not keep the descriptor open once this process closes it.
    // SAFETY: closing our own descriptor, then polling the other end.
    unsafe {
        libc::close(ends[1]);
        let mut end = libc::pollfd {
            fd: ends[0],
            events: libc::POLLIN,
            revents: 0,
        };
        assert_eq!(libc::poll(&mut end, 1, 2000), 1, "the pipe stayed open");
        assert_ne!(end.revents & libc::POLLHUP, 0);
    }

    // A command under the first launcher runs on while this process changes its umask and
    // limits, and the next command has them.
    let running = std::thread::spawn(|| sh("sleep 0.3; echo done").run());
    sleep(Duration::from_millis(50));
    // SAFETY: changing this process's umask and its open-file limit.
    unsafe {
        libc::umask(0o027);
        let limit = libc::rlimit {
            rlim_cur: 200,
            rlim_max: 200,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    let now = sh("umask; ulimit -n").run().unwrap();
    assert_eq!(now.stdout_text(), "0027\n200\n");
    assert_eq!(running.join().unwrap().unwrap().stdout_text(), "done\n");

    // A SIGTERM meant for the whole program does not end the launchers, nor their commands.
    let running = std::thread::spawn(|| sh("sleep 0.3; echo ok").run());
    sleep(Duration::from_millis(50));
    let launchers = children_named("spm-launcher");
    assert_eq!(
        launchers.len(),
        2,
        "the first launcher, retired, and its successor"
    );
    for pid in launchers {
        // SAFETY: signalling our own children.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    assert_eq!(running.join().unwrap().unwrap().stdout_text(), "ok\n");

    // A directory that cannot be named any more is still where commands run.
    let gone = std::env::temp_dir().join(format!("spm-gone-{}", std::process::id()));
    std::fs::create_dir_all(&gone).unwrap();
    std::env::set_current_dir(&gone).unwrap();
    std::fs::remove_dir(&gone).unwrap();
    assert!(sh("true").run().is_ok());
}

#[test]
fn commands_inherit_what_the_program_has_when_they_start() {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "inheritance_child", "--test-threads=1"])
        .env("SPM_INHERITANCE_CHILD", "1")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_script_without_an_interpreter_line_takes_many_arguments() {
    // `execvp` runs such a script with `sh`, copying the arguments onto the stack of the
    // command's process before its `exec`.
    let dir = std::env::temp_dir().join(format!("spm-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("count");
    std::fs::write(&script, "echo $#\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let done = spm::coprocess(&script)
        .args((0..50_000).map(|i| i.to_string()))
        .run()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(done.stdout_text(), "50000\n");
}
