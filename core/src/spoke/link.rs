//! A context's line to its hub, from inside a process spoke.

use std::io::{BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError};

use super::protocol::FromSpoke;
use crate::ctx::link::TaskLink;
use crate::hub::{HubServices, Progress, ProgressFn};
use crate::wire::send;

/// What a task running in a spoke can reach of its hub: its label, and progress reports. A
/// coarse task needs nothing else; its cancellation is its deadline, or the hub killing the
/// spoke.
pub(crate) struct SpokeLink {
    name: &'static str,
    label: Option<String>,
    services: HubServices,
}

impl SpokeLink {
    pub(crate) fn new(
        name: &'static str,
        label: Option<String>,
        writer: Arc<Mutex<BufWriter<UnixStream>>>,
    ) -> Self {
        let report: ProgressFn = Box::new(move |progress: &Progress| {
            let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
            // Fire and forget: a hub that is gone kills this spoke anyway.
            let _ = send(&mut *writer, &FromSpoke::Progress(progress.fraction));
            let _ = writer.flush();
        });
        let services = HubServices {
            progress: Some(Mutex::new(report)),
            ..HubServices::default()
        };
        Self {
            name,
            label,
            services,
        }
    }
}

impl TaskLink for SpokeLink {
    fn task_name(&self) -> &'static str {
        self.name
    }

    fn label(&self, _task: usize) -> Option<&str> {
        self.label.as_deref()
    }

    fn stop_requested(&self) -> bool {
        false
    }

    fn is_live(&self, _task: usize, _attempt: u32) -> bool {
        true
    }

    fn services(&self) -> &HubServices {
        &self.services
    }

    fn adopt_group(&self, _pgid: i32, _running: bool) {
        // The hub ends this whole spoke, and with it what the spoke waits on, when it
        // abandons the attempt; a coprocess's own group ends with its `run`.
    }
}
