//! Shared by the device tests: a simulated MT6572 served in a thread on a real
//! pseudo-terminal, stopped and joined when dropped, and bounded waits for its link events;
//! a host port opened as a plain file and mtkclient's serial handshake on it ([`open_raw`],
//! [`mtkclient_handshake`]); [`cli`] runs the binaries instead (the simulator and the device
//! commands).

#![allow(dead_code)]

pub mod cli;
pub mod modes;

use std::{
    fs::File,
    io::{Read, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
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
    job::{EndPolicy, Job, Options, PortSpec},
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
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
            blank: false,
        };
        let phone = open_or_create(&options, &Registry::builtin(), dir.path()).unwrap();
        let pty = Pty::open().unwrap();
        let port = pty.path().to_path_buf();
        let mut device = phone
            .device(mode, FaultPlan::parse(faults).unwrap())
            .unwrap();
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

    /// A job on this phone's port with the simulator DA, waiting up to ten seconds for the
    /// port and rebooting the phone at the end.
    pub fn job(&self) -> Job {
        let options = Options {
            port: PortSpec::Path(self.port_str()),
            wait: Duration::from_secs(10),
            da: None,
            record: None,
            end: EndPolicy::Reboot,
        };
        Job::with_da(
            options,
            DaFile::parse(generate_sim_da()).unwrap(),
            Registry::builtin(),
        )
    }

    /// The port as a string, for `SerialTransport::open` and the command line.
    pub fn port_str(&self) -> String {
        self.port.to_string_lossy().into_owned()
    }
}

/// Opens the phone's port as a host does (read-write, not as a controlling terminal,
/// non-blocking) and puts the host's side in raw mode, as a serial library sets it.
pub fn open_raw(port: &Path) -> File {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags((rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(port)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", port.display()));
    let mut t = rustix::termios::tcgetattr(&f).unwrap();
    t.make_raw();
    rustix::termios::tcsetattr(&f, rustix::termios::OptionalActions::Now, &t).unwrap();
    f
}

/// Writes one byte to a port opened with [`open_raw`], waiting (at most a second) while the
/// port takes no more, as a serial library's blocking write does.
pub fn write_byte(port: &mut File, byte: u8) {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        match port.write(&[byte]) {
            Ok(1) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("writing the port failed: {e}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the port took no byte for a second"
        );
        let mut fds = [rustix::event::PollFd::new(
            &*port,
            rustix::event::PollFlags::OUT,
        )];
        let ts = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        };
        let _ = rustix::event::poll(&mut fds, Some(&ts));
    }
}

/// The BootROM handshake bytes.
pub const HANDSHAKE: [u8; 4] = [0xA0, 0x0A, 0x50, 0x05];

/// How long mtkclient's serial path waits after each byte it writes before it looks for the
/// answer.
pub const MTKCLIENT_WAIT: Duration = Duration::from_millis(5);

/// mtkclient's serial handshake (`Port.run_serial_handshake`, see MT6572.md §2) on a port
/// opened with [`open_raw`]: write one byte, wait [`MTKCLIENT_WAIT`], take one byte of what
/// has arrived; its complement advances, anything else (or nothing yet) starts again with
/// `A0`. It never drops stale input, so an answer that comes later than the wait leaves every
/// later read one byte behind. mtkclient loops forever; this gives up after `max_bytes`
/// written and returns each byte it wrote with what it read after it, for the failure message.
pub fn mtkclient_handshake(port: &mut File, max_bytes: usize) -> Result<(), Vec<(u8, Option<u8>)>> {
    let mut step = 0;
    let mut seen = Vec::new();
    for _ in 0..max_bytes {
        write_byte(port, HANDSHAKE[step]);
        std::thread::sleep(MTKCLIENT_WAIT);
        let mut b = [0u8; 1];
        let got = match port.read(&mut b) {
            Ok(1) => Some(b[0]),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("reading the port failed: {e}"),
        };
        seen.push((HANDSHAKE[step], got));
        if got == Some(!HANDSHAKE[step]) {
            step += 1;
            if step == HANDSHAKE.len() {
                return Ok(());
            }
        } else {
            step = 0;
        }
    }
    Err(seen)
}
