//! The one way to run work on a phone, for the command line, the repair engine and the TUI
//! alike: load the DA and the profiles, wait for and open the port, connect, identify, boot
//! the DA, read the partition table, run the caller's work on a [`Phone`], end the session by
//! an explicit [`EndPolicy`], and keep the `--record` transcript. Failures to find, open or
//! handshake a port carry the host doctor's hints.
//!
//! * A [`Job`] is generic over [`Transport`]: [`Job::run`] opens the port the [`Options`]
//!   name, [`Job::run_on`] takes any transport (the scripted fake in tests, a dry run).
//! * Writes and erases take only targets the guard built ([`guard`]): a caller that skips the
//!   checks does not compile.
//! * A [`CancelToken`] stops the job between two packets of any transfer, or during the wait
//!   for the port; the error ([`DeviceError::Cancelled`]) says what state the phone is in.
//! * [`ProgressEvent`]s report every step; their order is documented in
//!   [`crate::device::progress`] (stages, plan, per transfer `Started` .. `Advanced` .. one of
//!   `Finished`/`Failed`/`Cancelled`, `Skipped`, `Verifying`).
//! * The flows the commands share ([`flows`]: readback, write, erase, the LCM probe, the
//!   EXPDB read) are library functions over a [`Phone`]; the UART capture, which needs no
//!   DA session, is [`uart::Uart`].
//!
//! This module never draws and never imports `cli` or `tui`: progress is events.
//!
//! # Example
//!
//! Read a partition of the phone on `/dev/ttyACM0` into a file, rebooting the phone at the
//! end (a TUI would send the events over a channel instead of printing them):
//!
//! ```no_run
//! use std::time::Duration;
//! use mtkbench::{job::{self, EndPolicy, Job, Options, Place, PortSpec}, places::Places};
//!
//! # fn main() -> mtkbench::Result<()> {
//! let options = Options {
//!     port: PortSpec::Path("/dev/ttyACM0".into()),
//!     wait: Duration::from_secs(60),
//!     da: None, // the DA remembered in config.toml
//!     record: None,
//!     end: EndPolicy::Reboot,
//! };
//! let job = Job::prepare(&options, &Places::from_env())?
//!     .with_progress(|event| eprintln!("{event:?}"));
//! let cancel = job.cancel_token(); // hand a clone to a Ctrl-C handler
//! let place = Place::partition("UBOOT");
//! // Created before the phone is caught: an unwritable folder fails first.
//! let out = mtkbench::fsutil::AtomicFile::create("uboot.bin".as_ref())?;
//! let done = job.run(|phone| job::flows::readback(phone, &place, false, out))?;
//! println!("{} bytes, SHA-256 {}", done.value.stored.bytes, done.value.stored.sha256);
//! # let _ = cancel;
//! # Ok(())
//! # }
//! ```

pub mod connect;
pub mod dram;
pub mod flows;
pub mod uart;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub use connect::{Link, LoadedDa, PortSpec};

pub use crate::{
    device::{
        BromInfo, DaInfo, DeviceError, Fingerprint, Mode, OpKind, PhoneState, PlannedStep,
        ProgressEvent, Stage,
        fingerprint::StorageFacts,
        guard::{self, GuardedErase, GuardedWrite, Override},
        progress::mb_per_s,
        table::{Naming, PartitionMap, TableSource},
        target::{Region, Selector, Target},
    },
    transport::{CancelToken, PortInfo, PortMode, TransportError},
};
use crate::{
    device::{Cause, Session},
    places::Places,
    profile::Registry,
    protocol::da_file::DaFile,
    transport::{MAX_POLL, Transport},
};

/// How a job ends the session once its work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndPolicy {
    /// Tell the phone to reboot (0xD9): what every single-step command does.
    #[default]
    Reboot,
    /// Leave the phone in download mode with the DA running (the port is closed).
    Leave,
}

/// How a job ended the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The phone was told to reboot.
    Rebooted,
    /// The phone was left in download mode, as [`EndPolicy::Leave`] asked.
    Left,
    /// The reboot was asked for but failed; the work itself completed.
    NotRebooted,
}

/// Where and how to reach the phone.
#[derive(Debug, Clone)]
pub struct Options {
    /// The port path, or `auto` to wait for a MediaTek port.
    pub port: PortSpec,
    /// How long to wait for the port (a path is waited for too, until it exists).
    pub wait: Duration,
    /// The DA file; `None` takes the one remembered in `config.toml`.
    pub da: Option<PathBuf>,
    /// Write a hex transcript of the session here.
    pub record: Option<PathBuf>,
    /// How to end the session.
    pub end: EndPolicy,
}

/// Where a command acts: a partition by name or a region, with an optional offset and
/// length relative to it (`--partition/--region/--offset/--length`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The partition or region.
    pub selector: Selector,
    /// Start inside it (default 0).
    pub offset: Option<u64>,
    /// Bytes (default: to its end).
    pub length: Option<u64>,
}

impl Place {
    /// All of partition `name` (any case).
    pub fn partition(name: &str) -> Place {
        Place {
            selector: Selector::Partition(name.into()),
            offset: None,
            length: None,
        }
    }
}

/// What [`Job::run`] hands back when the work succeeded.
#[derive(Debug)]
pub struct Done<R> {
    /// The work's value.
    pub value: R,
    /// The port the phone was on.
    pub port: String,
    /// How the session ended.
    pub ended: Ended,
    /// Why the reboot failed, when `ended` is [`Ended::NotRebooted`].
    pub warning: Option<crate::Error>,
}

impl<R> Done<R> {
    /// True when the phone was told to reboot.
    pub fn rebooted(&self) -> bool {
        self.ended == Ended::Rebooted
    }

    /// The same session's end with the value changed by `f`.
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> Done<S> {
        Done {
            value: f(self.value),
            port: self.port,
            ended: self.ended,
            warning: self.warning,
        }
    }
}

type Sink = Box<dyn FnMut(&ProgressEvent) + Send>;

/// The job's event sink, shared by the port wait, the session and the job itself; it
/// remembers whether a final `Failed`/`Cancelled` went out, so exactly one does.
#[derive(Clone)]
struct Events(Arc<Mutex<(Sink, bool)>>);

impl Events {
    fn new(sink: Sink) -> Self {
        Events(Arc::new(Mutex::new((sink, false))))
    }

    fn send(&self, event: &ProgressEvent) {
        // A poisoned lock means a sink panicked: progress is then lost, never the job.
        if let Ok(mut guard) = self.0.lock() {
            let (sink, ended) = &mut *guard;
            if matches!(
                event,
                ProgressEvent::Failed { .. } | ProgressEvent::Cancelled { .. }
            ) {
                *ended = true;
            }
            sink(event);
        }
    }

    /// Ends a failed job: the final event, the error at the end of the transcript (as the
    /// terminal shows it), and the error for the caller.
    fn fail<T: Transport>(&self, session: Option<&mut Session<T>>, e: DeviceError) -> crate::Error {
        self.end_with(&e);
        let e = crate::Error::from(e);
        if let Some(session) = session {
            session.note(&format!("error: {e}"));
        }
        e
    }

    /// Sends the final event for `e` unless a transfer already did.
    fn end_with(&self, e: &DeviceError) {
        let sent = self.0.lock().map(|g| g.1).unwrap_or(true);
        if sent {
            return;
        }
        self.send(&match e {
            DeviceError::Cancelled { .. } => ProgressEvent::Cancelled {
                op: None,
                name: None,
                done: 0,
            },
            e => ProgressEvent::Failed {
                op: None,
                name: None,
                done: 0,
                error: e.to_string(),
            },
        });
    }
}

/// A prepared job: DA and profiles loaded, not yet connected. See the module documentation.
pub struct Job {
    options: Options,
    da: DaFile,
    /// Where the DA came from and where to remember it, for a job prepared from places.
    remember: Option<(PathBuf, PathBuf)>,
    registry: Registry,
    cancel: CancelToken,
    events: Events,
    /// Where to take DRAM settings if the DA asks for them (a dead phone).
    dram: Option<dram::DramSources>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("options", &self.options)
            .field("cancelled", &self.cancel.is_cancelled())
            .finish()
    }
}

impl Job {
    /// Loads everything slow before the phone is caught: the DA file (`options.da`, else the
    /// one remembered in `places.config`) and the board profiles (built-in and the user's).
    /// The DA is remembered once a session booted it.
    pub fn prepare(options: &Options, places: &Places) -> crate::Result<Job> {
        let da = connect::load_da(options.da.as_deref(), &places.config)?;
        let (registry, refused) = Registry::load(&places.user_profiles());
        for e in refused {
            tracing::warn!(error = %e, "user profile refused");
        }
        let mut job = Job::with_da(options.clone(), da.file, registry);
        job.remember = Some((places.config.clone(), da.path));
        Ok(job)
    }

    /// A job with a DA and profiles at hand (tests, the TUI's demo): nothing is read from
    /// or remembered in the config folder.
    pub fn with_da(options: Options, da: DaFile, registry: Registry) -> Job {
        Job {
            options,
            da,
            remember: None,
            registry,
            cancel: CancelToken::new(),
            events: Events::new(Box::new(|_| {})),
            dram: None,
        }
    }

    /// Takes DRAM (EMI) settings from `sources` if the download agent asks for them (a
    /// phone without a working preloader, in BROM mode); see [`dram`].
    pub fn with_dram(mut self, sources: dram::DramSources) -> Self {
        self.dram = Some(sources);
        self
    }

    /// Adds the chosen ROM's preloader image (`file`, `bytes`) to the DRAM sources, after the
    /// phone's own backup and before `--preloader`.
    pub fn with_rom_preloader(mut self, file: String, bytes: Vec<u8>) -> Self {
        self.dram.get_or_insert_with(Default::default).rom_preloader = Some((file, bytes));
        self
    }

    /// The board profiles the job identifies against.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Sends every [`ProgressEvent`] of the job to `sink`.
    pub fn with_progress(mut self, sink: impl FnMut(&ProgressEvent) + Send + 'static) -> Self {
        self.events = Events::new(Box::new(sink));
        self
    }

    /// Uses `cancel` as the job's stop request (instead of its own).
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// A clone of the job's stop request, for a Ctrl-C handler or a cancel key.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Waits for and opens the port of the options (recording if asked), then runs the job
    /// on it; see [`Job::run_on`]. A port that vanishes before the handshake answered (a
    /// phone re-enumerating right after the previous command rebooted it, so the old port
    /// was still there a moment) is waited for and opened again, until the options' `wait`
    /// has passed.
    pub fn run<R>(
        self,
        work: impl FnOnce(&mut Phone<'_, Link>) -> Result<R, DeviceError>,
    ) -> crate::Result<Done<R>> {
        let deadline = Instant::now() + self.options.wait;
        loop {
            let opened = connect::open(
                &self.options.port,
                deadline.saturating_duration_since(Instant::now()),
                self.options.record.as_deref(),
                &self.cancel,
                &mut |e| self.events.send(e),
            );
            let link = match opened {
                Ok(link) => link,
                Err(e) => return Err(self.events.fail(None::<&mut Session<Link>>, e)),
            };
            let mut session = self.session(link);
            match handshake(&mut session) {
                Ok(()) => return self.drive(session, work),
                Err(e) if vanished(&e) && Instant::now() < deadline => {
                    tracing::info!(error = %e, "the port went away before the handshake; waiting for it again");
                    session.note("the port went away before the handshake; waiting for it again");
                    std::thread::sleep(MAX_POLL);
                }
                Err(e) => return Err(self.events.fail(Some(&mut session), e)),
            }
        }
    }

    /// Runs the job on `transport`: handshake, identification, DA, partition table, then
    /// `work`, then the end policy. When `work` refuses before anything reached the phone (a
    /// bad name, a range, a protected partition) the link is healthy, so the session is still
    /// ended by the policy; after a link failure or a cancel it is not tried. A failed reboot
    /// after successful work is a warning in [`Done::warning`], not a failure. The error, if
    /// any, also ends the transcript. The options' port, wait and record are not used: the
    /// transport is the caller's (wrap it in a `RecordingTransport` to record).
    pub fn run_on<T: Transport, R>(
        self,
        transport: T,
        work: impl FnOnce(&mut Phone<'_, T>) -> Result<R, DeviceError>,
    ) -> crate::Result<Done<R>> {
        let mut session = self.session(transport);
        match handshake(&mut session) {
            Ok(()) => self.drive(session, work),
            Err(e) => Err(self.events.fail(Some(&mut session), e)),
        }
    }

    /// A session over `transport` reporting to the job's sink and stopping on its token.
    fn session<T: Transport>(&self, transport: T) -> Session<T> {
        let sink = self.events.clone();
        let session = Session::new(transport)
            .with_progress(move |e| sink.send(e))
            .with_cancel(self.cancel.clone());
        match &self.dram {
            Some(sources) => session.with_dram(sources.clone().provider()),
            None => session,
        }
    }

    /// The rest of a job once the handshake answered.
    fn drive<T: Transport, R>(
        self,
        mut session: Session<T>,
        work: impl FnOnce(&mut Phone<'_, T>) -> Result<R, DeviceError>,
    ) -> crate::Result<Done<R>> {
        let Job {
            options,
            da,
            remember,
            registry,
            cancel,
            events,
            dram: _,
        } = self;
        let port = session.transport().name().to_string();
        let out = identify(&mut session, &da).and_then(|(brom, da_info)| {
            if let Some((config, path)) = &remember {
                connect::remember_da(config, path);
            }
            let map = session.partition_table(&registry)?;
            let mut phone = Phone {
                session: &mut session,
                map,
                registry: &registry,
                brom,
                da: da_info,
                cancel: &cancel,
            };
            let out = work(&mut phone);
            if out.as_ref().is_err_and(|e| e.stage().is_none()) {
                // Refused before anything reached the phone: end the session properly.
                let _ = end(&mut session, options.end);
            }
            out
        });
        let value = match out {
            Ok(value) => value,
            Err(e) => return Err(events.fail(Some(&mut session), e)),
        };
        let (ended, warning) = match end(&mut session, options.end) {
            Ok(ended) => (ended, None),
            Err(e) => {
                let e = crate::Error::from(e);
                tracing::warn!(error = %e, "finish failed after the work completed");
                session.note(&format!("warning: {e}"));
                (Ended::NotRebooted, Some(e))
            }
        };
        Ok(Done {
            value,
            port,
            ended,
            warning,
        })
    }
}

/// True when the port went away (or was not there) as the handshake began: the moment a
/// re-enumerating phone swaps its old port for a new one.
fn vanished(e: &DeviceError) -> bool {
    matches!(
        e,
        DeviceError::Port {
            cause: Cause::Link(TransportError::Disconnected { .. }),
            ..
        }
    )
}

/// The start handshake; a failure carries the host doctor's hints.
fn handshake<T: Transport>(session: &mut Session<T>) -> Result<(), DeviceError> {
    session
        .connect(connect::HANDSHAKE_WITHIN)
        .map_err(|e| match e {
            DeviceError::Step { cause, .. } => {
                connect::port_error(session.transport().name(), cause)
            }
            other => other,
        })
}

/// Identification and DA boot, after the handshake.
fn identify<T: Transport>(
    session: &mut Session<T>,
    da: &DaFile,
) -> Result<(BromInfo, DaInfo), DeviceError> {
    let brom = session.identify_brom()?;
    let da = session.boot_da(da)?;
    Ok((brom, da))
}

fn end<T: Transport>(session: &mut Session<T>, policy: EndPolicy) -> Result<Ended, DeviceError> {
    match policy {
        EndPolicy::Reboot => session.finish().map(|()| Ended::Rebooted),
        EndPolicy::Leave => {
            session.note("session left open: the phone stays in download mode");
            Ok(Ended::Left)
        }
    }
}

/// The phone while a job's work runs: what was found (chip, DA report, partition map) and
/// the operations on it. Reads take any [`Target`]; writes and erases only a target the
/// guard built ([`Phone::guard_write`], [`Phone::guard_erase`]).
///
/// The partition map is the phone's current one: after a write that changes the layout (the
/// ROM's MBR/EBR), [`Phone::reread_table`] reads it again, and from then on a target guarded
/// against the earlier table is refused by the session (it was checked against a layout the
/// phone no longer has): guard it again.
pub struct Phone<'s, T: Transport> {
    session: &'s mut Session<T>,
    map: PartitionMap,
    registry: &'s Registry,
    brom: BromInfo,
    da: DaInfo,
    cancel: &'s CancelToken,
}

impl<T: Transport> std::fmt::Debug for Phone<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("port", &self.port())
            .field("partitions", &self.map.partitions.len())
            .finish()
    }
}

impl<T: Transport> Phone<'_, T> {
    /// The port's name ("/dev/ttyACM0").
    pub fn port(&self) -> &str {
        self.session.transport().name()
    }

    /// What the BootROM or preloader reported.
    pub fn brom(&self) -> &BromInfo {
        &self.brom
    }

    /// What the download agent reported (storage, sizes, RAM).
    pub fn da(&self) -> &DaInfo {
        &self.da
    }

    /// The phone's partition map, as last read.
    pub fn map(&self) -> &PartitionMap {
        &self.map
    }

    /// Reads the phone's partition table again, after a write that defines the layout (the
    /// ROM's MBR/EBR); `written` (the layout those images came from) is tried first to name an
    /// MBR/EBR table. Targets guarded before this are refused from now on: guard them again.
    /// A failed reading leaves no table, so nothing more can be guarded in this session.
    pub fn reread_table(&mut self, written: Option<&Naming>) -> Result<&PartitionMap, DeviceError> {
        self.map = self.session.partition_table_named(self.registry, written)?;
        Ok(&self.map)
    }

    /// The fingerprint `identify` prints.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::new(&self.brom, &self.da, &self.map)
    }

    /// True once the job was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Where `place` lies on this phone: its partition map and the DA's region sizes.
    pub fn resolve(&self, place: &Place) -> Result<Target, DeviceError> {
        crate::device::target::resolve(
            &place.selector,
            place.offset,
            place.length,
            &self.map.partitions,
            |r| self.da.region(r),
        )
    }

    /// Guards a write of `image` (`image_len` bytes) at `place` (its length is ignored: the
    /// image's is used); see [`guard::write`].
    pub fn guard_write(
        &self,
        place: &Place,
        image: &Path,
        image_len: u64,
        force: Override,
    ) -> Result<GuardedWrite, DeviceError> {
        let room = self.resolve(&Place {
            length: None,
            ..place.clone()
        })?;
        guard::write(self.session, &room, image, image_len, force)
    }

    /// Guards a write of `image` over exactly `target` (its length is the image's): a range
    /// the caller names itself, such as a plan's step in a layout the phone's table does not
    /// hold yet; a `target` that names no partition is judged by what it overlaps. See
    /// [`guard::write`].
    pub fn guard_write_range(
        &self,
        target: &Target,
        image: &Path,
        force: Override,
    ) -> Result<GuardedWrite, DeviceError> {
        guard::write(self.session, target, image, target.len, force)
    }

    /// Guards the write of a ROM's partition table (MBR, EBR) over exactly `target` in a mode
    /// that rewrites the layout and writes the identity back afterwards, by `proof` (a
    /// verified identity backup of this phone); see [`guard::rewrite_layout`].
    pub fn guard_layout(
        &self,
        target: &Target,
        image: &Path,
        proof: &crate::backup::RestoreProof,
    ) -> Result<GuardedWrite, DeviceError> {
        guard::rewrite_layout(self.session, target, image, target.len, proof)
    }

    /// Guards the write of a restore's `file` back to its partition, by its proof; see
    /// [`guard::restore`].
    pub fn guard_restore(
        &self,
        file: &crate::backup::ProvenFile,
    ) -> Result<GuardedWrite, DeviceError> {
        let room = self.resolve(&Place::partition(&file.entry().partition))?;
        guard::restore(self.session, &room, file)
    }

    /// Guards an erase of `target`; see [`guard::erase`].
    pub fn guard_erase(
        &self,
        target: &Target,
        force: Override,
    ) -> Result<GuardedErase, DeviceError> {
        guard::erase(self.session, target, force)
    }

    /// Announces the transfers the work will do ([`ProgressEvent::PlanReady`]).
    pub fn plan(&mut self, steps: Vec<PlannedStep>) {
        self.session.emit(&ProgressEvent::PlanReady { steps });
    }

    /// Announces that a planned transfer is left out ([`ProgressEvent::Skipped`]).
    pub fn skip(&mut self, op: OpKind, name: &str, why: &str) {
        self.session.emit(&ProgressEvent::Skipped {
            op,
            name: name.into(),
            why: why.into(),
        });
    }

    /// Announces the check of a finished transfer ([`ProgressEvent::Verifying`]).
    pub fn verifying(&mut self, name: &str) {
        self.session
            .emit(&ProgressEvent::Verifying { name: name.into() });
    }

    /// Reads `target` into `sink` (page data on NAND); returns the bytes read.
    pub fn read(
        &mut self,
        target: &Target,
        sink: &mut dyn std::io::Write,
    ) -> Result<u64, DeviceError> {
        self.session.read(target, sink)
    }

    /// Reads whole NAND pages of `target` with their spare areas; returns the bytes read.
    pub fn read_with_spare(
        &mut self,
        target: &Target,
        sink: &mut dyn std::io::Write,
    ) -> Result<u64, DeviceError> {
        self.session.read_with_spare(target, sink)
    }

    /// Writes the guarded range from `source`; returns the bytes the phone stored. Only a
    /// target the guard built is taken: a plain [`Target`] does not compile. The session
    /// writes the guard's override, if any, into the transcript.
    ///
    /// ```compile_fail
    /// # use mtkbench::job::{Phone, Target, Region};
    /// # fn f(phone: &mut Phone<'_, mtkbench::transport::ScriptedTransport>) {
    /// let nvram = Target {
    ///     name: "NVRAM".into(),
    ///     is_partition: true,
    ///     region: Region::EmmcUser,
    ///     addr: 0x40_0000,
    ///     len: 0x50_0000,
    /// };
    /// phone.write(&nvram, &mut std::io::empty());
    /// # }
    /// ```
    pub fn write(
        &mut self,
        target: &GuardedWrite,
        source: &mut dyn std::io::Read,
    ) -> Result<u64, DeviceError> {
        self.session.write(target, source)
    }

    /// Erases the guarded range. Only a target the guard built is taken.
    pub fn erase(&mut self, target: &GuardedErase) -> Result<(), DeviceError> {
        self.session.erase(target)
    }
}

/// One planned step for `target`.
pub fn step(op: OpKind, target: &Target) -> PlannedStep {
    PlannedStep {
        op,
        name: target.name.clone(),
        region: target.region.as_short(),
        offset: target.addr,
        len: target.len,
    }
}

/// The port listing for `mtkbench ports`: every serial port, download ports first.
pub fn ports() -> Result<Vec<crate::transport::PortInfo>, DeviceError> {
    connect::ports()
}
