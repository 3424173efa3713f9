//! `--demo`: the built-in simulated MT6572 served in-process on a real pseudo-terminal (the
//! same serial path a phone uses), with its simulator-only DA, in a temporary folder that also
//! holds the demo's data (library, backups, journal). Everything goes when the bench is
//! dropped. No repair logic here: it only sets the bench up.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::Duration,
};

use crate::{
    Result,
    error::HostError,
    fsutil,
    places::Places,
    profile::Registry,
    protocol::da_file,
    sim::{
        SimError,
        device::Mode,
        fault::FaultPlan,
        phone::{self, PhoneOptions},
        pty::{LinkEvent, Pty, ServeOptions, serve},
    },
};

/// The board the demo phone is built from.
pub const DEMO_BOARD: &str = "a516_row";
/// The demo phone's serial (its IMEIs and MACs derive from it).
pub const DEMO_SERIAL: &str = "DEMO-A516-0001";

/// The port the simulated phone answers on now, and how often it re-enumerated: a rebooted
/// phone comes back on a new pseudo-terminal, which may have another number.
#[derive(Debug, Clone, Default)]
pub struct DemoPort(Arc<(Mutex<(PathBuf, u64)>, Condvar)>);

impl DemoPort {
    fn lock(&self) -> std::sync::MutexGuard<'_, (PathBuf, u64)> {
        self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The port now, and the number of re-enumerations so far.
    pub fn get(&self) -> (PathBuf, u64) {
        self.lock().clone()
    }

    /// Waits (at most `within`) until the phone re-enumerated more than `seen` times.
    pub fn wait_replug(&self, seen: u64, within: Duration) {
        let guard = self.lock();
        let _ = self
            .0
            .1
            .wait_timeout_while(guard, within, |(_, n)| *n <= seen);
    }

    fn set(&self, port: &Path) {
        let mut guard = self.lock();
        guard.0 = port.to_path_buf();
        guard.1 += 1;
        self.0.1.notify_all();
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
    pub fn start(places: &Places) -> Result<DemoBench> {
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
        let phone = phone::open_or_create(&options, &registry, &data)?;
        // The demo library: a package that fits this phone, and one off in each named way
        // (wrong panel driver, other layout, other board, bad checksum, NVRAM inside, NAND).
        crate::sim::rom::write_library(&library, &registry.require(DEMO_BOARD)?.profile)?;
        let pty = Pty::open().map_err(SimError::Port)?;
        let port = DemoPort::default();
        port.lock().0 = pty.path().to_path_buf();
        let follow = port.clone();
        let mut device = phone.device(Mode::Brom, FaultPlan::default());
        let stop = Arc::new(AtomicBool::new(false));
        let serve_options = ServeOptions {
            once: false,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("demo-phone".into())
            .spawn(move || {
                serve(pty, &mut device, &serve_options, |event| {
                    tracing::info!(?event, "demo phone link");
                    if let LinkEvent::Replugged(path) = event {
                        follow.set(path);
                    }
                })
            })
            .map_err(SimError::Port)?;
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

impl Drop for DemoBench {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
