//! Spokes that are threads of this process: started when a manager first needs them, kept
//! between calls, and replaced when one is abandoned.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::ErrorKind;

/// Work a board gives to each seat it is posted to.
pub(crate) trait SeatJob: Send + Sync {
    /// Runs on pool seat `seat` until the board has nothing more for it.
    fn run(&self, seat: usize) -> SeatEnd;
}

/// How a seat's work for a board ended.
pub(crate) enum SeatEnd {
    /// Nothing more to do: the thread goes back to the pool.
    Left,
    /// The hub abandoned this thread while it ran an attempt past its deadline: the pool has
    /// already replaced it, so it exits.
    Retired,
}

enum Mail {
    Empty,
    Job(Arc<dyn SeatJob>),
    Quit,
}

struct Inbox {
    mail: Mutex<Mail>,
    arrived: Condvar,
}

impl Inbox {
    fn put(&self, mail: Mail) {
        *self.mail.lock().unwrap_or_else(PoisonError::into_inner) = mail;
        self.arrived.notify_one();
    }

    fn take(&self) -> Mail {
        let mut slot = self.mail.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match std::mem::replace(&mut *slot, Mail::Empty) {
                Mail::Empty => {
                    slot = self
                        .arrived
                        .wait(slot)
                        .unwrap_or_else(PoisonError::into_inner)
                }
                mail => return mail,
            }
        }
    }
}

struct SeatThread {
    inbox: Arc<Inbox>,
    handle: JoinHandle<()>,
}

/// A fixed number of thread seats.
pub(crate) struct ThreadSeats {
    size: usize,
    name: &'static str,
    seats: Vec<Option<SeatThread>>,
    /// For a process pool: whether each seat's spoke process is known to have started (its
    /// thread keeps it; a new thread starts without one).
    pub(crate) spoke_started: Vec<bool>,
}

impl ThreadSeats {
    /// `size` seats whose threads are named `name-i`.
    pub(crate) fn new(size: usize, name: &'static str) -> Self {
        Self {
            size,
            name,
            seats: (0..size).map(|_| None).collect(),
            spoke_started: vec![false; size],
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Makes sure seats `0..count` have a thread, starting those that have none; starting them
    /// must not take longer than `wait`, if given (seats already started take no time).
    pub(crate) fn obtain(&mut self, count: usize, wait: Option<Duration>) -> Result<(), ErrorKind> {
        let started = Instant::now();
        for seat in 0..count {
            if self.seats[seat].is_some() {
                continue;
            }
            let thread = spawn(self.name, seat).map_err(|e| ErrorKind::SpokeStart {
                reason: e.to_string(),
            })?;
            self.seats[seat] = Some(thread);
            if let Some(wait) = wait
                && started.elapsed() > wait
                && seat + 1 < count
            {
                return Err(ErrorKind::SpokesTimedOut {
                    needed: count,
                    obtained: (0..count).filter(|&s| self.seats[s].is_some()).count(),
                    waited: wait,
                });
            }
        }
        Ok(())
    }

    /// Gives `job` to seat `seat`, which must have been obtained.
    pub(crate) fn post(&self, seat: usize, job: Arc<dyn SeatJob>) {
        let thread = self.seats[seat]
            .as_ref()
            .expect("a seat is obtained before a job is posted to it");
        thread.inbox.put(Mail::Job(job));
    }

    /// Lets go of seat `seat`'s thread, which the hub abandoned, and starts a fresh one in its
    /// place so the pool keeps its size.
    pub(crate) fn replace(&mut self, seat: usize) -> io::Result<()> {
        // Dropping the handle detaches the thread: it exits by itself once its attempt returns.
        self.seats[seat] = None;
        self.spoke_started[seat] = false;
        self.seats[seat] = Some(spawn(self.name, seat)?);
        Ok(())
    }
}

fn spawn(name: &str, seat: usize) -> io::Result<SeatThread> {
    let inbox = Arc::new(Inbox {
        mail: Mutex::new(Mail::Empty),
        arrived: Condvar::new(),
    });
    let mine = Arc::clone(&inbox);
    let handle = thread::Builder::new()
        .name(format!("{name}-{seat}"))
        .spawn(move || seat_main(seat, &mine))?;
    Ok(SeatThread { inbox, handle })
}

fn seat_main(seat: usize, inbox: &Arc<Inbox>) {
    loop {
        match inbox.take() {
            Mail::Job(job) => {
                // Task panics are caught inside `run`. What unwinds out of it (a result whose
                // `Drop` panics, say) has already left the board; the thread stays in the pool
                // unless the pool has let go of it.
                let end = catch_unwind(AssertUnwindSafe(|| job.run(seat)));
                // A seat the pool has let go of (abandoned and replaced) exits, however its
                // work ended: no one will post to its inbox again.
                if matches!(end, Ok(SeatEnd::Retired)) || Arc::strong_count(inbox) == 1 {
                    return;
                }
            }
            Mail::Quit => return,
            Mail::Empty => unreachable!("`take` never returns an empty inbox"),
        }
    }
}

impl Drop for ThreadSeats {
    fn drop(&mut self) {
        let threads: Vec<SeatThread> = self.seats.iter_mut().filter_map(Option::take).collect();
        for thread in &threads {
            thread.inbox.put(Mail::Quit);
        }
        for thread in threads {
            // A seat thread only panics through a runtime bug, already contained above.
            let _ = thread.handle.join();
        }
    }
}
