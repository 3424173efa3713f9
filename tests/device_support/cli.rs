//! The command-line side of the device tests: a folder with its own places and the simulator
//! DA ([`Bench`]), the `mtkbench sim` binary serving a phone image on a pseudo-terminal
//! ([`Sim`], killed when dropped), and CLI runs with a deadline ([`Bench::run`]), so nothing can
//! hang.

use std::{
    io::{BufRead, BufReader, Read},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use mtkbench::{
    firmware::scatter::Region,
    sim::storage::{ImageStorage, Storage},
};
use serde_json::Value;

/// The mtkbench binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_mtkbench");

/// Longest any command may run before the test calls it a hang. A whole Firmware Upgrade on
/// the simulator moves over 100 MiB through the pseudo-terminal; on a shared two-core machine
/// under load (several test binaries and builds at once) it was seen to take 71 s, so the
/// limit leaves room for that and still stops a real hang.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(180);

/// A folder with the places, the DA file and the phone image of one test.
pub struct Bench {
    /// The folder.
    pub dir: tempfile::TempDir,
}

impl Bench {
    /// A new folder with the simulator DA written into it.
    pub fn new() -> Bench {
        let bench = Bench {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = bench.run(&["sim", "--write-da", bench.da().to_str().unwrap()]);
        assert!(out.ok(), "cannot write the simulator DA: {}", out.stderr);
        bench
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn da(&self) -> PathBuf {
        self.path("MTK_AllInOne_DA_sim.bin")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("MTKBENCH_CONFIG_DIR", self.path("config"))
            .env("MTKBENCH_DATA_DIR", self.path("data"))
            .env("MTKBENCH_CACHE_DIR", self.path("cache"))
            .env("MTKBENCH_LOG_DIR", self.path("logs"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs the CLI to completion within [`COMMAND_DEADLINE`].
    pub fn run(&self, args: &[&str]) -> Output {
        let child = self.command(args).spawn().unwrap();
        let mut guard = Kill(child);
        let mut stdout = guard.0.stdout.take().unwrap();
        let mut stderr = guard.0.stderr.take().unwrap();
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = guard.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < COMMAND_DEADLINE,
                "`mtkbench {}` hung for {COMMAND_DEADLINE:?}",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        Output {
            code: status.code().unwrap_or(-1),
            stdout: out_thread.join().unwrap(),
            stderr: err_thread.join().unwrap(),
        }
    }

    /// Starts `mtkbench sim` on this bench's image with extra arguments.
    pub fn sim(&self, extra: &[&str]) -> Sim {
        self.sim_serial("E2E-1", extra)
    }

    /// [`Bench::sim`] for a phone with its own `serial` (another device key).
    pub fn sim_serial(&self, serial: &str, extra: &[&str]) -> Sim {
        let image = self.path("phone.img");
        let mut args = vec![
            "--json",
            "sim",
            "--image",
            image.to_str().unwrap(),
            "--serial",
            serial,
        ];
        args.extend_from_slice(extra);
        let mut child = self.command(&args).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let guard = Kill(child);
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let banner: Value = serde_json::from_str(
            &lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the simulator printed no port within 30 s"),
        )
        .unwrap();
        Sim {
            port: banner["port"].as_str().unwrap().to_string(),
            banner,
            image,
            lines,
            _child: guard,
        }
    }

    /// Runs a device command against `sim` with the bench's DA.
    pub fn device(&self, sim: &Sim, cmd: &str, extra: &[&str]) -> Output {
        let da = self.da();
        let mut args = vec![
            "--json",
            cmd,
            "--port",
            sim.port.as_str(),
            "--da",
            da.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

/// Kills the child process when dropped.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `mtkbench sim`.
pub struct Sim {
    /// The port the phone answers on now (updated by [`Sim::replugged`]).
    pub port: String,
    /// The simulator's first JSON line (port, profile, serial, ...).
    pub banner: Value,
    /// The phone's flash image.
    pub image: PathBuf,
    lines: mpsc::Receiver<String>,
    _child: Kill,
}

impl Sim {
    /// After a command rebooted the phone: waits for its new port.
    pub fn replugged(&mut self) {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect("the simulated phone did not come back within 10 s");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["event"] == "replugged" {
                self.port = v["port"].as_str().unwrap().to_string();
                return;
            }
        }
    }

    /// Bytes of the phone's flash, straight from the simulator's image.
    pub fn flash(&self, region: Region, offset: u64, len: usize) -> Vec<u8> {
        let mut storage = ImageStorage::open(&self.image).unwrap();
        let mut buf = vec![0u8; len];
        storage.read(region, offset, &mut buf).unwrap();
        buf
    }
}

#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    pub fn json(&self) -> Value {
        assert!(self.ok(), "exit {}: {}", self.code, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// A failure as the technician sees it: non-zero exit, "error:" and "next:" lines, and
    /// nothing on stdout.
    pub fn failure(&self) -> &str {
        assert_ne!(self.code, 0, "expected a failure: {}", self.stdout);
        assert!(self.stderr.contains("error: "), "{}", self.stderr);
        assert!(self.stderr.contains("next:  "), "{}", self.stderr);
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        &self.stderr
    }
}

/// The partitions a `restore --json` answer wrote, in order, each read back equal.
pub fn restored(r: &Value) -> Vec<&str> {
    r["restored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["verified"], true, "{p:#}");
            p["partition"].as_str().unwrap()
        })
        .collect()
}
