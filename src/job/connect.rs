//! Getting hold of a phone: which port (`--port PATH` or `--port auto`; both wait up to
//! `--wait` for the port to appear and open it the moment it does, so a phone that
//! re-enumerates between two commands is caught again), the `--record FILE` transcript around
//! it, the download-agent file (`--da FILE`, else the one remembered in `config.toml`), and
//! the host doctor's hints when a port cannot be found, opened or spoken to.
//!
//! The preloader's port lives only 2-5 seconds, so everything slow (reading and parsing the DA
//! file, the profiles) happens BEFORE the wait begins (see [`super::Job::prepare`]), and the
//! handshake follows the port's appearance at once. Nothing here talks the protocol.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, Instant},
};

use crate::{
    config::Config,
    device::{Cause, DeviceError, PhoneState, ProgressEvent, ResultExt, Stage},
    diag::doctor::{HostFacts, port_failure_hints},
    protocol::da_file::DaFile,
    transport::{
        CancelToken, MAX_POLL, PortInfo, RecordingTransport, SerialTransport, Transport,
        TransportError, list_ports, wait_for_port,
    },
};

/// Which port to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// Wait for a BROM (`0e8d:0003`) or preloader (`0e8d:2000`) port to appear.
    Auto,
    /// This path (`/dev/ttyACM0`, a simulator's `/dev/pts/N`).
    Path(String),
}

impl FromStr for PortSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" => Err("give a port path such as /dev/ttyACM0, or `auto`".into()),
            "auto" => Ok(PortSpec::Auto),
            path => Ok(PortSpec::Path(path.to_string())),
        }
    }
}

/// How long the handshake may keep retrying on an opened port.
pub const HANDSHAKE_WITHIN: Duration = Duration::from_secs(10);

impl std::fmt::Display for PortSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortSpec::Auto => f.write_str("auto"),
            PortSpec::Path(p) => f.write_str(p),
        }
    }
}

/// The open port, recorded or not.
#[derive(Debug)]
pub enum Link {
    /// The port as is.
    Plain(SerialTransport),
    /// The port with a `--record` transcript.
    Recorded(RecordingTransport<SerialTransport>),
}

impl Transport for Link {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        match self {
            Link::Plain(t) => t.write_all(data),
            Link::Recorded(t) => t.write_all(data),
        }
    }
    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        match self {
            Link::Plain(t) => t.read_some(buf, timeout),
            Link::Recorded(t) => t.read_some(buf, timeout),
        }
    }
    fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        match self {
            Link::Plain(t) => t.read_exact(buf, timeout),
            Link::Recorded(t) => t.read_exact(buf, timeout),
        }
    }
    fn name(&self) -> &str {
        match self {
            Link::Plain(t) => t.name(),
            Link::Recorded(t) => t.name(),
        }
    }
    /// Writes a comment line into the `--record` transcript, if there is one.
    fn note(&mut self, text: &str) {
        if let Link::Recorded(t) = self {
            t.note(text);
        }
    }
}

/// The host doctor's findings that can explain a port that cannot be opened, does not appear
/// or does not handshake (ModemManager, permissions, cdc_acm), each as "problem: fix". Only
/// gathered on failure: it reads the host's configuration.
fn host_hints() -> Vec<String> {
    port_failure_hints(&HostFacts::gather())
        .into_iter()
        .map(|p| format!("{}: {}", p.title, p.fix.join("; ")))
        .collect()
}

/// Turns a failure to open or handshake `port` into [`DeviceError::Port`] with host hints.
pub(super) fn port_error(port: &str, cause: Cause) -> DeviceError {
    DeviceError::Port {
        port: port.to_string(),
        cause,
        hints: host_hints(),
    }
}

/// A wait for the port stopped on request: nothing reached the phone.
fn wait_cancelled() -> DeviceError {
    DeviceError::Cancelled {
        stage: Stage::WaitForPort,
        target: None,
        done: 0,
        total: 0,
        state: PhoneState::Untouched,
    }
}

/// Opens `path` as soon as it exists, polling every [`MAX_POLL`] until `deadline`: a phone
/// that re-enumerates (after the previous command rebooted it, or a re-plug) gets its port
/// back a moment later, and a port that is missing for longer is reported as missing.
fn open_when_present(
    path: &str,
    deadline: Instant,
    cancel: &CancelToken,
) -> Result<SerialTransport, DeviceError> {
    loop {
        if cancel.is_cancelled() {
            return Err(wait_cancelled());
        }
        match SerialTransport::open(path) {
            Ok(port) => return Ok(port),
            Err(TransportError::Open {
                kind: std::io::ErrorKind::NotFound,
                ..
            }) if Instant::now() < deadline => {
                std::thread::sleep(MAX_POLL.min(deadline - Instant::now()));
            }
            Err(e) => return Err(port_error(path, e.into())),
        }
    }
}

/// Finds the port and opens it, recording to `record` if given. `--port auto` waits up to
/// `wait` for a MediaTek download port to appear (polling every [`MAX_POLL`]); a path is
/// waited for the same way until it exists. Emits [`Stage::WaitForPort`] before a wait
/// begins (the moment to tell the technician to plug the phone in) and [`Stage::OpenPort`].
/// `cancel` stops either wait.
pub fn open(
    spec: &PortSpec,
    wait: Duration,
    record: Option<&Path>,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(&ProgressEvent),
) -> Result<Link, DeviceError> {
    let deadline = Instant::now() + wait;
    let path = match spec {
        PortSpec::Path(p) => {
            if Path::new(p).symlink_metadata().is_err() {
                // Not there (yet): the moment to tell the technician to plug the phone in.
                progress(&ProgressEvent::Stage(Stage::WaitForPort));
            }
            p.clone()
        }
        PortSpec::Auto => {
            progress(&ProgressEvent::Stage(Stage::WaitForPort));
            match wait_for_port(
                PortInfo::is_download_port,
                MAX_POLL,
                deadline,
                cancel.flag(),
            ) {
                Ok(port) => port.path,
                Err(TransportError::NoPort { waited }) => {
                    return Err(DeviceError::NoPortAppeared {
                        waited,
                        hints: host_hints(),
                    });
                }
                Err(TransportError::Cancelled) => return Err(wait_cancelled()),
                Err(e) => return Err(e).at(Stage::WaitForPort),
            }
        }
    };
    progress(&ProgressEvent::Stage(Stage::OpenPort));
    let port = open_when_present(&path, deadline, cancel)?;
    Ok(match record {
        None => Link::Plain(port),
        Some(file) => Link::Recorded(RecordingTransport::create(port, file).at(Stage::OpenPort)?),
    })
}

/// The port listing for `mtkbench ports`: every serial port, download ports first.
pub fn ports() -> Result<Vec<PortInfo>, DeviceError> {
    let mut ports = list_ports().at(Stage::WaitForPort)?;
    ports.sort_by_key(|p| (!p.is_download_port(), p.path.clone()));
    Ok(ports)
}

/// A parsed DA file and where it came from.
#[derive(Debug)]
pub struct LoadedDa {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub file: DaFile,
}

/// Reads and parses the DA file: `given` (`--da`), else the one remembered in the config
/// folder `config_dir`. Nothing is remembered here; see [`remember_da`].
pub fn load_da(given: Option<&Path>, config_dir: &Path) -> crate::Result<LoadedDa> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => Config::load(config_dir)?.da.ok_or(DeviceError::DaMissing)?,
    };
    let bytes = std::fs::read(&path).map_err(|source| DeviceError::DaUnreadable {
        path: path.clone(),
        source,
    })?;
    let file = DaFile::parse(bytes).map_err(|source| DeviceError::DaInvalid {
        path: path.clone(),
        source,
    })?;
    Ok(LoadedDa { path, file })
}

/// Remembers `da` as the DA file in `config.toml`, after a session booted it. Only a change
/// is written; a failure to save is logged, never fatal (the phone work succeeded).
pub fn remember_da(config_dir: &Path, da: &Path) {
    let da = std::fs::canonicalize(da).unwrap_or_else(|_| da.to_path_buf());
    let mut config = match Config::load(config_dir) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "config.toml unreadable; the DA path is not remembered");
            return;
        }
    };
    if config.da.as_deref() == Some(da.as_path()) {
        return;
    }
    config.da = Some(da);
    if let Err(e) = config.save(config_dir) {
        tracing::warn!(error = %e, "cannot remember the DA path");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_spec_parses_auto_and_paths() {
        assert_eq!("auto".parse::<PortSpec>().unwrap(), PortSpec::Auto);
        assert_eq!(
            "/dev/ttyACM0".parse::<PortSpec>().unwrap(),
            PortSpec::Path("/dev/ttyACM0".into())
        );
        assert!("".parse::<PortSpec>().is_err());
    }

    #[test]
    fn missing_da_says_where_to_find_one() {
        let dir = tempfile::tempdir().unwrap();
        let e = load_da(None, dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--da"), "{e}");
        let help = e.help();
        assert!(help.contains("MTK_AllInOne_DA.bin"), "{help}");
        assert!(help.contains("mtkbench sim --write-da"), "{help}");
    }

    #[test]
    fn da_is_loaded_then_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let da = dir.path().join("MTK_AllInOne_DA_sim.bin");
        std::fs::write(&da, crate::protocol::da_file::generate_sim_da()).unwrap();
        let cfg = dir.path().join("cfg");
        let loaded = load_da(Some(&da), &cfg).unwrap();
        assert!(loaded.file.is_simulator_placeholder());
        remember_da(&cfg, &loaded.path);
        let again = load_da(None, &cfg).unwrap();
        assert_eq!(again.path, std::fs::canonicalize(&da).unwrap());
    }

    #[test]
    fn a_path_that_never_appears_is_named_after_the_wait() {
        let start = Instant::now();
        let mut stages = Vec::new();
        let e = open(
            &PortSpec::Path("/dev/ttyACM-never".into()),
            Duration::from_millis(120),
            None,
            &CancelToken::new(),
            &mut |e| stages.push(e.clone()),
        )
        .unwrap_err();
        assert_eq!(
            stages,
            [
                ProgressEvent::Stage(Stage::WaitForPort),
                ProgressEvent::Stage(Stage::OpenPort)
            ]
        );
        assert!(start.elapsed() >= Duration::from_millis(120));
        assert!(e.to_string().contains("/dev/ttyACM-never"), "{e}");
    }

    #[test]
    fn a_cancelled_wait_says_nothing_reached_the_phone() {
        let cancel = CancelToken::new();
        cancel.cancel();
        for spec in [PortSpec::Auto, PortSpec::Path("/dev/ttyACM-never".into())] {
            let e = open(&spec, Duration::from_secs(30), None, &cancel, &mut |_| {}).unwrap_err();
            assert!(
                matches!(
                    e,
                    DeviceError::Cancelled {
                        state: PhoneState::Untouched,
                        ..
                    }
                ),
                "{e}"
            );
            assert!(e.to_string().contains("nothing was sent"), "{e}");
        }
    }

    #[test]
    fn a_file_that_is_no_da_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let da = dir.path().join("notes.txt");
        std::fs::write(&da, b"hello").unwrap();
        let e = load_da(Some(&da), dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("notes.txt"), "{e}");
    }
}
