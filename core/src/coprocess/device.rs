//! The GPU a task's command sees: `CUDA_VISIBLE_DEVICES` names its spoke's device, so that an
//! external GPU program started from a task uses that device alone (one per device at a time,
//! as the spokes run), unless the command sets the variable itself.

use std::borrow::Cow;
use std::ffi::OsString;

use super::Coprocess;
use crate::pool::VISIBLE_DEVICES;

impl Coprocess<'_> {
    /// The variables the command gets over this process's environment: those set with
    /// `.env(..)`, and the task's GPU unless one of them names the devices already.
    pub(super) fn env_overrides(&self) -> Cow<'_, [(OsString, OsString)]> {
        let gpu = self.task.and_then(|task| task.gpu());
        match gpu {
            Some(gpu) if self.env.iter().all(|(key, _)| key != VISIBLE_DEVICES) => {
                let mut env = vec![(VISIBLE_DEVICES.into(), gpu.to_string().into())];
                env.extend(self.env.iter().cloned());
                Cow::Owned(env)
            }
            _ => Cow::Borrowed(&self.env),
        }
    }
}
