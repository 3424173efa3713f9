//! The device worker: the workstation's one way to a phone, through the job layer
//! ([`crate::job`]). It runs on a blocking thread, waits for the port, connects, identifies
//! and then keeps that ONE session open for the rest of the repair, carrying out the
//! [`DeviceCommand`]s the screen sends, until told to finish (the phone is then rebooted).
//! Every progress event and result goes back to the event loop as an [`Action`].
//!
//! No safety check or repair flow is written here: it calls the job layer and reports.

use std::{path::PathBuf, time::Duration};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::action::Action;
use crate::{
    job::{CancelToken, EndPolicy, Ended, Job, Options, PortSpec},
    places::Places,
    profile::Registry,
    protocol::da_file::DaFile,
};

/// How long an armed workstation waits for a phone before it asks to be armed again.
pub const ARMED_FOR: Duration = Duration::from_secs(15 * 60);

/// Where the phone is and which DA it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bench {
    /// A real bench: wait for a MediaTek port; the DA remembered in the config (or given).
    Real {
        /// A DA file given on the command line.
        da: Option<PathBuf>,
    },
    /// The demo's simulated phone on this port, with the simulator-only DA.
    Simulated {
        /// The simulator's port.
        port: String,
    },
}

/// What the screen asks of the open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCommand {
    /// End the session and reboot the phone.
    Finish,
}

/// Runs one session: connect, identify, serve commands until [`DeviceCommand::Finish`] or
/// until the sender is dropped, then end the session (reboot). Blocking.
pub fn run_session(
    bench: &Bench,
    places: &Places,
    cancel: CancelToken,
    tx: &UnboundedSender<Action>,
    mut commands: UnboundedReceiver<DeviceCommand>,
) {
    let sink = {
        let tx = tx.clone();
        move |event: &crate::job::ProgressEvent| {
            let _ = tx.send(Action::Progress(event.clone()));
        }
    };
    let job = match prepare(bench, places) {
        Ok(job) => job.with_progress(sink).with_cancel(cancel),
        Err(e) => {
            let _ = tx.send(Action::SessionEnded(Err(describe(&e))));
            return;
        }
    };
    let done = job.run(|phone| {
        let _ = tx.send(Action::Identified {
            port: phone.port().to_string(),
            fingerprint: Box::new(phone.fingerprint()),
        });
        // The session stays open until the screen says Finish or goes away (the channel
        // closes); commands that work on the phone are served here as they are added.
        match commands.blocking_recv() {
            Some(DeviceCommand::Finish) | None => Ok(()),
        }
    });
    let _ = tx.send(Action::SessionEnded(match done {
        Ok(done) => Ok(match done.ended {
            Ended::Rebooted => "The phone was rebooted; the session is closed.".into(),
            Ended::Left => "The session is closed; the phone stays in download mode.".into(),
            Ended::NotRebooted => format!(
                "The session is closed but the phone did not take the reboot ({}); unplug it \
                 and take the battery out.",
                done.warning.map_or_else(String::new, |w| w.to_string())
            ),
        }),
        Err(e) => Err(describe(&e)),
    }));
}

fn prepare(bench: &Bench, places: &Places) -> crate::Result<Job> {
    match bench {
        Bench::Real { da } => {
            let options = Options {
                port: PortSpec::Auto,
                wait: ARMED_FOR,
                da: da.clone(),
                record: None,
                end: EndPolicy::Reboot,
            };
            Job::prepare(&options, places)
        }
        Bench::Simulated { port } => {
            let options = Options {
                port: PortSpec::Path(port.clone()),
                wait: Duration::from_secs(10),
                da: None,
                record: None,
                end: EndPolicy::Reboot,
            };
            let da = DaFile::parse(crate::protocol::da_file::generate_sim_da())
                .map_err(crate::Error::from)?;
            let (registry, _refused) = Registry::load(&places.user_profiles());
            Ok(Job::with_da(options, da, registry))
        }
    }
}

/// An error as the popup shows it: what happened, then what to do.
fn describe(e: &crate::Error) -> (String, String) {
    (e.to_string(), e.help())
}
