//! The device worker: the workstation's one way to a phone, through the job layer
//! ([`crate::job`]) and the library flows built on it. It runs one [`DeviceJob`] at a time on
//! a blocking thread: the visit ([`crate::repair::visit`]), one connection from identify to
//! reboot, whose two gates (the ROM and mode chosen once the phone is identified, the plan's
//! confirmation) it answers with the technician's keys; or the resume of an interrupted job.
//! Every progress event and result goes back to the event loop as an [`Action`].
//!
//! No safety check or repair flow is written here: it calls the library and reports.

use std::{path::PathBuf, sync::mpsc::Receiver, time::Duration};

use tokio::sync::mpsc::UnboundedSender;

use super::{action::Action, demo::DemoPort};
use crate::{
    device::Fingerprint,
    flash::Plan,
    job::{CancelToken, EndPolicy, Ended, Job, Options, PortSpec, dram::DramSources},
    journal::Journal,
    places::Places,
    profile::Registry,
    repair::{self, Choice, RepairDriver, RepairEvent},
};

/// How long an armed workstation waits for a phone before it asks to be armed again.
pub const ARMED_FOR: Duration = Duration::from_secs(15 * 60);

/// Where the phone is and which DA it takes.
#[derive(Debug, Clone)]
pub enum Bench {
    /// A real bench: wait for a MediaTek port; the DA remembered in the config (or given).
    Real {
        /// A DA file given on the command line.
        da: Option<PathBuf>,
    },
    /// The demo's simulated phone, with the simulator-only DA.
    Simulated {
        /// The simulator's port (it follows the phone across reboots).
        port: DemoPort,
    },
}

/// A piece of work on the phone, each one job (one connection) of the library.
#[derive(Debug, Clone)]
pub enum DeviceJob {
    /// The visit in one connection ([`crate::repair::visit`]): wait for the phone, identify
    /// it, let the technician choose the ROM and mode while it stays connected, back up its
    /// identity if it has no verified backup, show the plan and wait for the answer, flash,
    /// verify, reboot.
    Visit,
    /// Resume an interrupted flash job: the same phone, the same plan, from its first step
    /// not complete.
    Resume(String),
}

/// The technician's answers to the visit's two gates.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The ROM and mode chosen for the phone (`None`: no repair; the session ends).
    Choice(Option<Box<Choice>>),
    /// The plan's confirmation (true: write it).
    Plan(bool),
}

/// Hears the repair's events and asks the screen for its choice and its confirmation: the
/// worker blocks on the technician's answer while the phone stays connected.
struct ScreenDriver<'a> {
    tx: &'a UnboundedSender<Action>,
    answers: &'a Receiver<Answer>,
}

impl RepairDriver for ScreenDriver<'_> {
    fn event(&mut self, event: &RepairEvent) {
        let _ = self.tx.send(Action::Repair(Box::new(event.clone())));
    }

    fn confirm(&mut self, _plan: &Plan) -> bool {
        // The plan went to the screen with PlanReady; a closed screen is a no.
        loop {
            match self.answers.recv() {
                Ok(Answer::Plan(yes)) => return yes,
                Ok(Answer::Choice(_)) => {}
                Err(_) => return false,
            }
        }
    }

    fn choose(
        &mut self,
        port: &str,
        _fingerprint: &Fingerprint,
        refused: Option<&crate::Error>,
    ) -> Option<Choice> {
        let _ = self.tx.send(Action::Choosing {
            port: port.to_string(),
            refused: refused.map(describe),
        });
        // A closed screen chooses nothing: the session ends and nothing is written.
        loop {
            match self.answers.recv() {
                Ok(Answer::Choice(choice)) => return choice.map(|c| *c),
                Ok(Answer::Plan(_)) => {}
                Err(_) => return None,
            }
        }
    }
}

/// Runs one job and reports every event and its end as actions. Blocking.
pub fn run_job(
    bench: &Bench,
    places: &Places,
    work: DeviceJob,
    cancel: CancelToken,
    tx: &UnboundedSender<Action>,
    answers: &Receiver<Answer>,
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
            let _ = tx.send(Action::JobEnded(Err(describe(&e))));
            return;
        }
    };
    // The demo phone re-enumerates after its reboot; the job is over for the screen only
    // once it did, so the next job opens the port it is really on.
    let replugs = match bench {
        Bench::Simulated { port } => Some((port, port.get().1)),
        Bench::Real { .. } => None,
    };
    let ended = match work {
        DeviceJob::Visit => {
            let jobs = places.jobs();
            let store = crate::backup::Store::new(&places.data);
            let mut driver = ScreenDriver { tx, answers };
            let journal = journal(places);
            repair::visit(job, &jobs, &store, &mut driver, journal.as_ref()).map(|done| {
                let how = how(done.ended, done.warning);
                if let Some(report) = done.value {
                    let _ = tx.send(Action::Repaired(Box::new(report)));
                }
                how
            })
        }
        DeviceJob::Resume(id) => {
            crate::flash::execute::resume(job, Some(&id), &places.jobs()).map(|done| {
                let how = how(done.ended, done.warning);
                let _ = tx.send(Action::Resumed(Box::new(done.value)));
                how
            })
        }
    };
    if let (Some((port, seen)), Ok(_)) = (replugs, &ended) {
        port.wait_replug(seen, Duration::from_secs(5));
    }
    let _ = tx.send(Action::JobEnded(ended.map_err(|e| describe(&e))));
}

/// The repair journal, when it can be opened (a journal that fails never stops a repair).
fn journal(places: &Places) -> Option<Journal> {
    Journal::open_in(&places.data)
        .inspect_err(|e| tracing::warn!(error = %e, "the journal cannot be opened"))
        .ok()
}

/// How the session ended, in words.
fn how(ended: Ended, warning: Option<crate::Error>) -> String {
    match ended {
        Ended::Rebooted => "The phone was rebooted; the session is closed.".into(),
        Ended::Left => "The session is closed; the phone stays in download mode.".into(),
        Ended::NotRebooted => format!(
            "The session is closed but the phone did not take the reboot ({}); unplug it and \
             take the battery out.",
            warning.map_or_else(String::new, |w| w.to_string())
        ),
    }
}

/// The job for `bench`, taking DRAM (EMI) settings, if a dead phone's download agent asks
/// for them, from the phone's own identity backup (by its device key): the one source a visit
/// has before its ROM is chosen.
fn prepare(bench: &Bench, places: &Places) -> crate::Result<Job> {
    let dram = DramSources {
        backups: Some(crate::backup::Store::new(&places.data)),
        ..DramSources::default()
    };
    job(bench, places).map(|job| job.with_dram(dram))
}

fn job(bench: &Bench, places: &Places) -> crate::Result<Job> {
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
            let (registry, _refused) = Registry::load(&places.user_profiles());
            port.job(EndPolicy::Reboot, registry)
        }
    }
}

/// An error as the popup shows it: what happened, then what to do.
fn describe(e: &crate::Error) -> (String, String) {
    (e.to_string(), super::text::next_step(e))
}
