//! `--demo`: the built-in simulated MT6572 served in-process on a real pseudo-terminal (the
//! same serial path a phone uses), with its simulator-only DA, in a temporary folder that also
//! holds the demo's data (library, backups, journal). Everything goes when the bench is
//! dropped. With `--dead-boot` the phone is dead (its preloader erased, as
//! `mtkbench sim --preloader erased` does) and the data folder holds its identity backup from
//! an earlier visit, taken through the library's own backup job before the preloader was
//! erased: the EMI source a technician practises the recovery with. No repair logic here: it
//! only sets the bench up.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread::JoinHandle,
    time::Duration,
};

use crate::{
    Result,
    backup::Store,
    error::HostError,
    fsutil,
    job::{EndPolicy, Job, Options, PortSpec},
    journal::Journal,
    places::Places,
    profile::Registry,
    protocol::da_file,
    sim::{
        SimError,
        boot::PreloaderDamage,
        device::{Device, Mode},
        fault::FaultPlan,
        phone::{self, PhoneOptions},
        pty::{LinkEvent, Pty, ServeOptions, serve},
    },
};

/// The board the demo phone is built from.
pub const DEMO_BOARD: &str = "a516_row";
/// The demo phone's serial (its IMEIs and MACs derive from it).
pub const DEMO_SERIAL: &str = "DEMO-A516-0001";

/// The port the simulated phone answers on now, how often it re-enumerated (a rebooted
/// phone comes back on a new pseudo-terminal, which may have another number), and how many
/// times a host opened it (each one a session a real phone would have to be put into download
/// mode for).
#[derive(Debug, Clone, Default)]
pub struct DemoPort {
    link: Arc<(Mutex<(PathBuf, u64)>, Condvar)>,
    connections: Arc<AtomicU64>,
}

impl DemoPort {
    fn lock(&self) -> std::sync::MutexGuard<'_, (PathBuf, u64)> {
        self.link.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many times a host opened the phone's port so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// The port now, and the number of re-enumerations so far.
    pub fn get(&self) -> (PathBuf, u64) {
        self.lock().clone()
    }

    /// A job on the port the phone answers on now, with the simulator-only DA and
    /// `registry`'s board profiles; `end` says how the session ends.
    pub fn job(&self, end: EndPolicy, registry: Registry) -> Result<Job> {
        let options = Options {
            port: PortSpec::Path(self.get().0.display().to_string()),
            wait: Duration::from_secs(10),
            da: None,
            record: None,
            end,
        };
        let da = da_file::DaFile::parse(da_file::generate_sim_da()).map_err(crate::Error::from)?;
        Ok(Job::with_da(options, da, registry))
    }

    /// Waits (at most `within`) until the phone re-enumerated more than `seen` times.
    pub fn wait_replug(&self, seen: u64, within: Duration) {
        let guard = self.lock();
        let _ = self
            .link
            .1
            .wait_timeout_while(guard, within, |(_, n)| *n <= seen);
    }

    fn set(&self, port: &Path) {
        let mut guard = self.lock();
        guard.0 = port.to_path_buf();
        guard.1 += 1;
        self.link.1.notify_all();
    }
}

/// A simulated phone on the bench and the demo's folders; stopped and removed when dropped.
pub struct DemoBench {
    /// The port the phone answers on.
    pub port: DemoPort,
    /// The simulator-only download agent.
    pub da_file: PathBuf,
    /// The folders the demo uses (data and cache inside the temporary folder).
    pub places: Places,
    /// The demo ROM library.
    pub library: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl DemoBench {
    /// Builds the demo phone and starts serving it; `places` gives the config and log
    /// folders, the rest is temporary.
    pub fn start(places: &Places, dead_boot: bool) -> Result<DemoBench> {
        let dir = tempfile::Builder::new()
            .prefix("mtkbench-demo-")
            .tempdir()
            .map_err(|e| HostError::io("create folder", std::env::temp_dir().as_path(), e))?;
        let data = dir.path().join("data");
        let places = Places {
            config: places.config.clone(),
            data: data.clone(),
            cache: dir.path().join("cache"),
            logs: places.logs.clone(),
        };
        let library = data.join("library");
        Places::ensure(&library)?;
        let da_file = data.join("sim").join("MTK_AllInOne_DA_simulator_only.bin");
        fsutil::write_atomic(&da_file, &da_file::generate_sim_da())?;
        let options = PhoneOptions {
            profile: Some(DEMO_BOARD.into()),
            image: Some(data.join("sim").join("demo-phone.img")),
            storage: None,
            serial: Some(DEMO_SERIAL.into()),
            blank: false,
        };
        let registry = Registry::builtin();
        let mut phone = phone::open_or_create(&options, &registry, &data)?;
        // The demo library: a package that fits this phone, and one off in each named way
        // (wrong panel driver, other layout, other board, bad checksum, NVRAM inside, NAND).
        crate::sim::rom::write_library(&library, &registry.require(DEMO_BOARD)?.profile)?;
        if dead_boot {
            earlier_visit(phone.device(Mode::Brom, FaultPlan::default())?, &data)?;
            phone = phone::open_or_create(&options, &registry, &data)?;
            phone.damage_preloader(PreloaderDamage::Erased)?;
        }
        let port = DemoPort::default();
        let stop = Arc::new(AtomicBool::new(false));
        let serve_options = ServeOptions {
            once: false,
            stop: stop.clone(),
        };
        // A dead phone is powered on for preloader mode, as a technician would: it answers in
        // BROM only until its preloader is written back.
        let mode = if dead_boot {
            Mode::Preloader
        } else {
            Mode::Brom
        };
        let thread = serve_phone(
            phone.device(mode, FaultPlan::default())?,
            serve_options,
            port.clone(),
        )?;
        Ok(DemoBench {
            port,
            da_file,
            places,
            library,
            stop,
            thread: Some(thread),
            _dir: dir,
        })
    }
}

/// Serves `device` on a new pseudo-terminal on a thread; `port` follows it across reboots
/// and counts the hosts that open it.
fn serve_phone(
    mut device: Device,
    options: ServeOptions,
    port: DemoPort,
) -> Result<JoinHandle<std::io::Result<()>>> {
    let pty = Pty::open().map_err(SimError::Port)?;
    port.lock().0 = pty.path().to_path_buf();
    let thread = std::thread::Builder::new()
        .name("demo-phone".into())
        .spawn(move || {
            serve(pty, &mut device, &options, |event| {
                tracing::info!(?event, "demo phone link");
                match event {
                    LinkEvent::Replugged(path) => port.set(path),
                    LinkEvent::HostConnected => {
                        port.connections.fetch_add(1, Ordering::Relaxed);
                    }
                    LinkEvent::HostDisconnected => {}
                }
            })
        })
        .map_err(SimError::Port)?;
    Ok(thread)
}

/// The dead-boot demo's earlier visit: the healthy phone's identity backed up into `data`
/// by the library's backup job (journaled like any backup), over its own connection, before
/// its preloader is erased.
fn earlier_visit(device: Device, data: &Path) -> Result<()> {
    let port = DemoPort::default();
    let serve_options = ServeOptions {
        once: true,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let thread = serve_phone(device, serve_options.clone(), port.clone())?;
    let registry = Registry::builtin();
    let job = port.job(EndPolicy::Leave, registry.clone())?;
    let journal = Journal::open_in(data).ok();
    let done = crate::engine::backup::run(job, &Store::new(data), &registry, journal.as_ref());
    serve_options.stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
    done.map(|_| ())
}

impl Drop for DemoBench {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
