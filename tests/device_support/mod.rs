//! Shared by the device tests: a simulated MT6572 served in a thread on a real
//! pseudo-terminal, stopped and joined when dropped, and bounded waits for its link events;
//! [`cli`] runs the binaries instead (the simulator and the device commands).

#![allow(dead_code)]

pub mod cli;

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread::JoinHandle,
    time::Duration,
};

use mtkbench::{
    firmware::scatter::Storage as StorageKind,
    profile::Registry,
    sim::{
        device::Mode,
        fault::FaultPlan,
        phone::{PhoneOptions, open_or_create},
        pty::{LinkEvent, Pty, ServeOptions, serve},
    },
};

/// A simulator running in a thread; stopped and joined when dropped.
pub struct InProcessSim {
    /// The port a host opens now (updated by [`InProcessSim::replugged`]).
    pub port: PathBuf,
    /// The phone's flash image.
    pub image: PathBuf,
    stop: Arc<AtomicBool>,
    events: mpsc::Receiver<LinkEvent>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Drop for InProcessSim {
    fn drop(&mut self) {
        self.halt();
    }
}

impl InProcessSim {
    /// Builds a phone from `profile` (with a fixed serial, so its content is the same on every
    /// run) and serves it.
    pub fn start(profile: &str, storage: Option<StorageKind>, mode: Mode, faults: &[&str]) -> Self {
        Self::start_with_serial(profile, storage, mode, faults, "DEVICE-TEST-1")
    }

    /// As [`InProcessSim::start`], for a phone with its own `serial`.
    pub fn start_with_serial(
        profile: &str,
        storage: Option<StorageKind>,
        mode: Mode,
        faults: &[&str],
        serial: &str,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("phone.img");
        let options = PhoneOptions {
            profile: Some(profile.into()),
            image: Some(image.clone()),
            storage,
            serial: Some(serial.into()),
        };
        let phone = open_or_create(&options, &Registry::builtin(), dir.path()).unwrap();
        let pty = Pty::open().unwrap();
        let port = pty.path().to_path_buf();
        let mut device = phone.device(mode, FaultPlan::parse(faults).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let serve_options = ServeOptions {
            once: false,
            stop: stop.clone(),
        };
        let (tx, events) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            serve(pty, &mut device, &serve_options, |e| {
                let _ = tx.send(e.clone());
            })
        });
        InProcessSim {
            port,
            image,
            stop,
            events,
            thread: Some(thread),
            _dir: dir,
        }
    }

    /// Waits (at most ten seconds) for the phone to come back on a new port after a reboot
    /// or a dropped link, and returns it.
    pub fn replugged(&mut self) -> PathBuf {
        loop {
            match self.events.recv_timeout(Duration::from_secs(10)) {
                Ok(LinkEvent::Replugged(p)) => {
                    self.port = p.clone();
                    return p;
                }
                Ok(_) => {}
                Err(e) => panic!("the simulator did not come back within ten seconds: {e}"),
            }
        }
    }

    /// Stops the simulator and waits for its thread (the image file stays until drop).
    pub fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Waits (at most five seconds per event) for a link event that `pick` accepts.
    pub fn wait_for(&self, pick: impl Fn(&LinkEvent) -> bool) -> LinkEvent {
        loop {
            let e = self
                .events
                .recv_timeout(Duration::from_secs(5))
                .expect("the simulator reported nothing for five seconds");
            if pick(&e) {
                return e;
            }
        }
    }

    /// The port as a string, for `SerialTransport::open` and the command line.
    pub fn port_str(&self) -> String {
        self.port.to_string_lossy().into_owned()
    }
}
