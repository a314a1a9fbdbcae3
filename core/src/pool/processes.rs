//! Spokes that are processes: this program, started again, one per seat. A seat's thread is
//! the proxy of its spoke process: it ships each attempt to it, relays what the task reports,
//! and concludes the attempt when the answer comes, or when the process dies, or at the
//! deadline, when it kills it. A spoke process is started when its seat first needs one and
//! kept for the attempts that follow, until it dies or is killed.

use std::cell::RefCell;
use std::convert::Infallible;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::ErrorKind;
use crate::coprocess::Status;
use crate::fabric::{Op, Parcel};
use crate::hub::{Query, Reply, Types};
use crate::outcome::Crash;
use crate::pool::threads::{SeatEnd, SeatJob, ThreadSeats};
use crate::pool::{Gpus, VISIBLE_DEVICES};
use crate::reexec;
use crate::spoke::SPOKE_ENV;
use crate::spoke::protocol::{Answer, Ask, FromSpoke, RunOrder, ToSpoke, WireOp};
use crate::task::{Limits, Task};
use crate::task_error::TaskErrorKind;
use crate::whiteboard::{BoardAccess, LocalBoard};
use crate::wire::{receive, send};
use crate::{Ctx, Outcome, Policy, TaskError};
use std::borrow::Cow;

/// How long a new spoke process may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a proxy looks at its task's cancellation while the spoke works.
const CANCEL_SLICE: Duration = Duration::from_millis(10);
/// How long a spoke whose task was told to stop has to answer before it is killed.
const STOP_GRACE: Duration = Duration::from_millis(50);

/// One spoke process, seen from its proxy.
struct SpokeProcess {
    pid: i32,
    pidfd: OwnedFd,
    stream: UnixStream,
    reaped: bool,
    /// The limits in force, so they are changed only when a task asks for others.
    limits: Limits,
}

impl SpokeProcess {
    /// Starts a spoke process; one that holds `gpu` sees that device alone (its CUDA's device
    /// 0), through `CUDA_VISIBLE_DEVICES`.
    fn start(gpu: Option<u32>) -> Result<Self, String> {
        let program = std::env::current_exe()
            .map_err(|e| format!("cannot find this program to start it again: {e}"))?;
        let device = gpu.map(|gpu| gpu.to_string());
        let env: Vec<(&str, &str)> = device
            .iter()
            .map(|device| (VISIBLE_DEVICES, device.as_str()))
            .collect();
        let (child, hub_end) = reexec::start(
            &program,
            SPOKE_ENV,
            &env,
            "spm-spoke",
            Stdio::inherit(),
            || {
                // SAFETY: system calls on plain values, between fork and exec.
                unsafe {
                    // A session of its own, so that killing it kills what it started in its
                    // group.
                    if libc::setsid() == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            },
        )
        .map_err(|e| format!("cannot start `{}` again as a spoke: {e}", program.display()))?;
        let pid = i32::try_from(child.id()).expect("Linux pids fit in an i32");
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if pidfd < 0 {
            kill_and_reap(pid);
            return Err(format!(
                "cannot watch the spoke (pidfd_open): {}",
                io::Error::last_os_error()
            ));
        }
        let mut spoke = Self {
            pid,
            // SAFETY: a descriptor just returned to us, owned by no one else.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd as i32) },
            stream: hub_end,
            reaped: false,
            limits: Limits::default(),
        };
        match spoke.wait_message(Some(Instant::now() + START_TIMEOUT), &|| false) {
            Ok(Heard::Message(FromSpoke::Ready { .. })) => Ok(spoke),
            _ => Err(format!(
                "`{}` started but did not serve as a spoke: a program using process spokes must link spm (its spokes start before `main`)",
                program.display()
            )),
        }
    }

    /// Waits for the spoke's next message, its death, `until`, or `stop()`.
    fn wait_message(
        &mut self,
        until: Option<Instant>,
        stop: &dyn Fn() -> bool,
    ) -> io::Result<Heard> {
        let mut stop_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if until.is_some_and(|u| now >= u) {
                return Ok(Heard::Deadline);
            }
            // A task told to stop (a member released from a primitive by its gang's breakage,
            // say) usually answers at once: it gets a moment to, before it is killed.
            if stop_at.is_none() && stop() {
                stop_at = Some(now + STOP_GRACE);
            }
            if stop_at.is_some_and(|s| now >= s) {
                return Ok(Heard::Stop);
            }
            let slice = [until, stop_at]
                .into_iter()
                .flatten()
                .map(|t| t.saturating_duration_since(now))
                .fold(CANCEL_SLICE, Duration::min);
            let mut fds = [
                libc::pollfd {
                    fd: self.stream.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.pidfd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let timeout = i32::try_from(slice.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
            // SAFETY: `fds` is a valid array of two pollfd.
            unsafe {
                libc::poll(fds.as_mut_ptr(), 2, timeout);
            }
            // A message first: a spoke may answer and exit at once.
            if fds[0].revents != 0 {
                return Ok(match receive::<FromSpoke>(&mut self.stream)? {
                    Some(message) => Heard::Message(message),
                    None => Heard::Died,
                });
            }
            if fds[1].revents != 0 {
                return Ok(Heard::Died);
            }
        }
    }
}

/// What waiting on a spoke brought.
enum Heard {
    Message(FromSpoke),
    Died,
    Deadline,
    Stop,
}

impl SpokeProcess {
    /// Sets the spoke's resource limits for the next task: its address space, and the CPU
    /// time it may use from now (`RLIMIT_CPU` counts the process's whole life, so the limit is
    /// what it used so far plus the task's allowance, in whole seconds).
    fn limit(&mut self, limits: Limits) -> io::Result<()> {
        if limits == self.limits && limits.cpu_time.is_none() {
            return Ok(());
        }
        set_soft_limit(self.pid, libc::RLIMIT_AS, limits.memory)?;
        let cpu = match limits.cpu_time {
            Some(allowance) => {
                let used = cpu_seconds_used(self.pid)?;
                Some(used + allowance.as_secs_f64().ceil().max(1.0) as u64)
            }
            None => None,
        };
        set_soft_limit(self.pid, libc::RLIMIT_CPU, cpu)?;
        self.limits = limits;
        Ok(())
    }

    /// Kills the spoke's whole session (if it is not dead already) and says how it ended.
    fn end(mut self) -> Option<Status> {
        self.reaped = true;
        kill_and_reap(self.pid)
    }
}

impl Drop for SpokeProcess {
    fn drop(&mut self) {
        if !self.reaped {
            kill_and_reap(self.pid);
        }
    }
}

/// Sets the soft limit of `resource` for process `pid` (`None`: no limit), keeping its hard
/// limit.
fn set_soft_limit(
    pid: i32,
    resource: libc::__rlimit_resource_t,
    soft: Option<u64>,
) -> io::Result<()> {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: prlimit reads `new` and writes `old`, both valid rlimit values.
    if unsafe { libc::prlimit(pid, resource, std::ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let new = libc::rlimit {
        rlim_cur: soft.map_or(old.rlim_max, |s| s.min(old.rlim_max)),
        rlim_max: old.rlim_max,
    };
    // SAFETY: as above.
    if unsafe { libc::prlimit(pid, resource, &new, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The CPU time process `pid` has used so far, in whole seconds, rounded up.
fn cpu_seconds_used(pid: i32) -> io::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| io::Error::other("an unreadable /proc stat"))?;
    // After the command name: state is field 3 of stat; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .ok_or_else(|| io::Error::other("a short /proc stat"))?
        .iter()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .sum();
    // SAFETY: sysconf has no preconditions.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap_or(100);
    Ok(ticks.div_ceil(per_second.max(1)))
}

/// Kills a spoke's whole session and reaps the spoke; returns how it ended.
fn kill_and_reap(pid: i32) -> Option<Status> {
    // SAFETY: signalling a process group has no memory-safety preconditions.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    reap(pid)
}

fn reap(pid: i32) -> Option<Status> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes into a valid i32.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        if reaped == pid {
            break;
        }
        if reaped == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
    if libc::WIFEXITED(status) {
        Some(Status::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Status::Signaled {
            signal: libc::WTERMSIG(status),
            oom: false,
        })
    } else {
        None
    }
}

thread_local! {
    /// The spoke process of the seat this thread is the proxy of.
    static SPOKE: RefCell<Option<SpokeProcess>> = const { RefCell::new(None) };
}

/// Starts the spoke process of this seat, holding `gpu`, if it has none.
fn ensure_spoke(gpu: Option<u32>) -> Result<(), String> {
    SPOKE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(SpokeProcess::start(gpu)?);
        }
        Ok(())
    })
}

/// The job that makes each seat start its spoke process, and says how it went.
struct StartSpokes {
    gpus: Gpus,
    reports: Mutex<Vec<Option<Result<(), String>>>>,
    reported: Condvar,
}

impl SeatJob for StartSpokes {
    fn run(&self, seat: usize) -> SeatEnd {
        let started = ensure_spoke(self.gpus.of(seat));
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        reports[seat] = Some(started);
        self.reported.notify_all();
        SeatEnd::Left
    }
}

/// Makes sure seats `0..count` of a process pool (their proxy threads obtained already) have
/// their spoke processes (seat `k` holding `gpus.of(k)`), starting those that are not known to
/// run, within `wait` if given:
/// so a spoke that cannot start is the manager's error, before any task runs, not a task's.
/// (A spoke that dies later is started again by its proxy for the next attempt.)
pub(crate) fn obtain(
    seats: &mut ThreadSeats,
    gpus: &Gpus,
    count: usize,
    wait: Option<Duration>,
) -> Result<(), ErrorKind> {
    let missing: Vec<usize> = (0..count).filter(|&s| !seats.spoke_started[s]).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let job = Arc::new(StartSpokes {
        gpus: gpus.clone(),
        reports: Mutex::new(vec![None; count]),
        reported: Condvar::new(),
    });
    let as_job: Arc<dyn SeatJob> = Arc::clone(&job) as Arc<dyn SeatJob>;
    for &seat in &missing {
        seats.post(seat, Arc::clone(&as_job));
    }
    let until = wait.and_then(|w| Instant::now().checked_add(w));
    let mut reports = job.reports.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        for &seat in &missing {
            if let Some(Ok(())) = reports[seat] {
                seats.spoke_started[seat] = true;
            }
        }
        if let Some(Err(reason)) = reports.iter().flatten().find(|r| r.is_err()) {
            return Err(ErrorKind::SpokeStart {
                reason: reason.clone(),
            });
        }
        let started = reports.iter().filter(|r| r.is_some()).count();
        if started == missing.len() {
            return Ok(());
        }
        match until {
            Some(until) => {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(ErrorKind::SpokesTimedOut {
                        needed: count,
                        obtained: count - missing.len() + started,
                        waited: wait.unwrap_or_default(),
                    });
                }
                reports = job
                    .reported
                    .wait_timeout(reports, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            None => {
                reports = job
                    .reported
                    .wait(reports)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }
}

/// What a proxy needs to know of the attempt it ships, besides the task.
pub(crate) struct Shipment<'a> {
    pub(crate) task: usize,
    pub(crate) attempt: u32,
    pub(crate) size: usize,
    pub(crate) label: Option<&'a str>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) limits: Limits,
}

/// Runs one attempt of `body` on this seat's spoke process and says how it ended, as
/// `attempt::run` does on a thread: its value, or why not.
pub(crate) fn run<T: Task>(
    body: T,
    shipment: &Shipment<'_>,
    ctx: &Ctx<T::Policy>,
) -> Result<T::Output, Outcome<Infallible>> {
    let fail =
        |kind: TaskErrorKind, message: String| Outcome::Failed(TaskError::new(kind, message));
    let (Some(args_codec), Some(output_codec)) = (T::args_codec(), T::output_codec()) else {
        return Err(fail(
            TaskErrorKind::Misuse,
            "this task cannot cross to a process spoke".into(),
        ));
    };
    let args = (args_codec.encode)(&body.into_args()).map_err(|e| {
        fail(
            TaskErrorKind::Misuse,
            format!("its arguments did not encode: {e}"),
        )
    })?;
    let order = ToSpoke::Run(RunOrder {
        path: T::PATH.to_owned(),
        args,
        task: shipment.task as u64,
        attempt: shipment.attempt,
        size: shipment.size as u64,
        label: shipment.label.map(str::to_owned),
        deadline_ns: shipment
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()).as_nanos() as u64),
        gpu: ctx.gpu(),
    });

    SPOKE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            // Its spoke died with an earlier attempt: this one gets a new spoke, which holds
            // the seat's GPU as the old one did.
            let spoke = SpokeProcess::start(ctx.gpu()).map_err(|e| {
                fail(
                    TaskErrorKind::Task,
                    format!("could not start a process spoke: {e}"),
                )
            })?;
            *slot = Some(spoke);
        }
        let spoke = slot.as_mut().expect("started above");
        let pid = spoke.pid;
        if let Err(e) = spoke.limit(shipment.limits) {
            return Err(fail(
                TaskErrorKind::Task,
                format!("could not set the spoke's resource limits: {e}"),
            ));
        }
        ctx_adopt(ctx, pid, true);
        let verdict = converse::<T>(spoke, &order, shipment.deadline, ctx, &output_codec);
        ctx_adopt(ctx, pid, false);
        if verdict.is_err() && !matches!(verdict, Err(Outcome::Failed(_))) {
            // Dead, or killed at the deadline or at the stop: the next attempt gets a new spoke.
            let crash = slot.take().and_then(SpokeProcess::end);
            return match verdict {
                Err(Outcome::Crashed(_)) => Err(Outcome::Crashed(Crash {
                    status: crash.unwrap_or(Status::Exited(-1)),
                    memory_limit: shipment.limits.memory,
                })),
                other => other,
            };
        }
        verdict
    })
}

/// Answers what the task running on a spoke asks, with the hub's services of this process, on
/// behalf of the attempt's context (which says whether the attempt is still live).
fn answer<P: Policy>(ctx: &Ctx<P>, ask: Ask) -> Answer {
    let refused = |e: TaskError| Answer::Refused {
        kind: e.kind().to_wire(),
        message: e.message().to_owned(),
    };
    let json = |text: &str| -> Result<serde_json::Value, TaskError> {
        serde_json::from_str(text).map_err(|e| {
            TaskError::new(
                TaskErrorKind::Misuse,
                format!("a whiteboard value did not decode: {e}"),
            )
        })
    };
    let board = LocalBoard {
        store: &ctx.link().services().whiteboard,
        gate: ctx,
    };
    let answered = match ask {
        Ask::Get { key } => board
            .get(&key)
            .map(|value| Answer::Value(value.map(|v| v.to_string()))),
        Ask::Put { key, value } => json(&value)
            .and_then(|value| board.put(&key, value))
            .map(|()| Answer::Done),
        Ask::Swap { key, current, new } => current
            .as_deref()
            .map(json)
            .transpose()
            .and_then(|current| Ok((current, json(&new)?)))
            .and_then(|(current, new)| board.compare_and_swap(&key, current.as_ref(), new))
            .map(Answer::Swapped),
        Ask::Request {
            query,
            query_type,
            reply_type,
        } => {
            let types = Types {
                query: &query_type,
                reply: &reply_type,
            };
            let call = ctx.hub_call();
            ctx.link()
                .services()
                .serve(Query::Encoded(&query), &types, &call, || ctx.is_live_now())
                .and_then(|reply| match reply {
                    Reply::Encoded(bytes) => Ok(Answer::Reply(bytes)),
                    Reply::Local(_) => Err(TaskError::new(
                        TaskErrorKind::Misuse,
                        "a local reply to an encoded query".into(),
                    )),
                })
        }
        gang => answer_gang(ctx, gang),
    };
    answered.unwrap_or_else(refused)
}

/// Acts on the gang's fabric for a member on a process spoke: its values stay encoded; the
/// wait ends at the member's deadline at the latest.
fn answer_gang<P: Policy>(ctx: &Ctx<P>, ask: Ask) -> Result<Answer, TaskError> {
    let misuse = |message: &str| TaskError::new(TaskErrorKind::Misuse, message.to_owned());
    let fabric = ctx
        .link()
        .fabric()
        .ok_or_else(|| misuse("gang primitives need a gang"))?;
    let (me, until) = (ctx.rank(), ctx.deadline());
    let rank = |r: u64| usize::try_from(r).unwrap_or(usize::MAX);
    match ask {
        Ask::Send {
            to,
            bytes,
            type_name,
        } => fabric
            .send(me, rank(to), Parcel::encoded(bytes, type_name))
            .map(|()| Answer::Done),
        Ask::Recv { from, type_name } => fabric
            .recv(me, rank(from), &type_name, until)?
            .open::<Vec<u8>>()
            .map(Answer::Reply),
        Ask::HubRecv { type_name } => fabric
            .recv_from_hub(me, &type_name, until)?
            .open::<Vec<u8>>()
            .map(Answer::Reply),
        Ask::Collective {
            op,
            contribution,
            type_name,
        } => {
            let size = ctx.size();
            let contribution = contribution.map(|bytes| Parcel::encoded(bytes, type_name.clone()));
            let (op, output) = match op {
                WireOp::Barrier => {
                    let output = fabric.collective(
                        me,
                        Op::Barrier,
                        None,
                        Cow::Owned(type_name),
                        until,
                        &mut |_| Err(misuse("a barrier combines nothing")),
                    )?;
                    (WireOp::Barrier, output)
                }
                WireOp::Broadcast { root } => {
                    let root = rank(root);
                    let name = type_name.clone();
                    let output = fabric.collective(
                        me,
                        Op::Broadcast { root },
                        contribution,
                        Cow::Owned(type_name),
                        until,
                        &mut |mut all| {
                            let bytes: Vec<u8> = all
                                .get_mut(root)
                                .and_then(Option::take)
                                .ok_or_else(|| misuse("the root of a broadcast gave nothing"))?
                                .open()?;
                            Ok((0..size)
                                .map(|_| Some(Parcel::encoded(bytes.clone(), name.clone())))
                                .collect())
                        },
                    )?;
                    (op, output)
                }
                WireOp::Gather { root } => {
                    let root = root.map(rank);
                    let output = fabric.collective(
                        me,
                        Op::Gather { root },
                        contribution,
                        Cow::Owned(type_name),
                        until,
                        &mut |all| {
                            let all = all
                                .into_iter()
                                .map(|p| {
                                    p.ok_or_else(|| misuse("a member contributed nothing"))?
                                        .open::<Vec<u8>>()
                                })
                                .collect::<Result<Vec<_>, _>>()?;
                            Ok((0..size)
                                .map(|m| {
                                    root.is_none_or(|r| r == m)
                                        .then(|| Parcel::new(all.clone()))
                                })
                                .collect())
                        },
                    )?;
                    (op, output)
                }
            };
            match (op, output) {
                (WireOp::Barrier, _) | (WireOp::Gather { .. }, None) => Ok(Answer::Done),
                (WireOp::Broadcast { .. }, Some(parcel)) => parcel.open().map(Answer::Reply),
                (WireOp::Gather { .. }, Some(parcel)) => parcel.open().map(Answer::Gathered),
                (WireOp::Broadcast { .. }, None) => {
                    Err(misuse("a broadcast gave a member nothing"))
                }
            }
        }
        Ask::Get { .. } | Ask::Put { .. } | Ask::Swap { .. } | Ask::Request { .. } => {
            Err(misuse("not a gang primitive"))
        }
    }
}

fn ctx_adopt<P: Policy>(ctx: &Ctx<P>, pid: i32, running: bool) {
    use crate::coprocess::TaskSide;
    ctx.adopt(pid, running);
}

/// Sends the order and follows the spoke to its answer.
fn converse<T: Task>(
    spoke: &mut SpokeProcess,
    order: &ToSpoke,
    deadline: Option<Instant>,
    ctx: &Ctx<T::Policy>,
    output_codec: &crate::wire::Codec<T::Output>,
) -> Result<T::Output, Outcome<Infallible>> {
    // The status is filled in when the spoke is reaped.
    let crashed = || {
        Outcome::Crashed(Crash {
            status: Status::Exited(-1),
            memory_limit: None,
        })
    };
    if send(&mut spoke.stream, order)
        .and_then(|()| spoke.stream.flush())
        .is_err()
    {
        return Err(crashed());
    }
    let stop = || ctx.link().stop_requested();
    loop {
        match spoke.wait_message(deadline, &stop) {
            Ok(Heard::Message(FromSpoke::Progress(fraction))) => ctx.progress(fraction),
            Ok(Heard::Message(FromSpoke::Ask(ask))) => {
                let answer = ToSpoke::Answer(answer(ctx, ask));
                if send(&mut spoke.stream, &answer)
                    .and_then(|()| spoke.stream.flush())
                    .is_err()
                {
                    return Err(crashed());
                }
            }
            Ok(Heard::Message(FromSpoke::Done(bytes))) => {
                return (output_codec.decode)(&bytes).map_err(|e| {
                    Outcome::Failed(TaskError::new(
                        TaskErrorKind::Misuse,
                        format!("its result did not decode: {e}"),
                    ))
                });
            }
            Ok(Heard::Message(FromSpoke::Failed { kind, message })) => {
                return Err(Outcome::Failed(TaskError::new(
                    TaskErrorKind::from_wire(kind),
                    message,
                )));
            }
            Ok(Heard::Message(FromSpoke::TimedOut)) | Ok(Heard::Deadline) => {
                return Err(Outcome::TimedOut);
            }
            Ok(Heard::Stop) => return Err(Outcome::Cancelled),
            Ok(Heard::Message(FromSpoke::Unknown)) => {
                return Err(Outcome::Failed(TaskError::new(
                    TaskErrorKind::Misuse,
                    format!(
                        "the process spoke does not know task `{}`: is it this same program?",
                        T::PATH
                    ),
                )));
            }
            Ok(Heard::Message(FromSpoke::Unwired)) => {
                return Err(Outcome::Failed(TaskError::new(
                    TaskErrorKind::Misuse,
                    "this task cannot cross to a process spoke".into(),
                )));
            }
            Ok(Heard::Message(FromSpoke::Ready { .. })) => {}
            Ok(Heard::Died) | Err(_) => return Err(crashed()),
        }
    }
}
