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
    let done = sh("echo to a file; pwd")
        .current_dir(&dir)
        .env("X", "1")
        .stdout_to(&out)
        .run()
        .unwrap();
    assert!(done.stdout().is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("to a file\n"), "{written}");
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
