//! Which ports are MediaTek download ports, and waiting for one to appear.
//!
//! An MT6572 shows up as `0e8d:0003` in BROM mode and `0e8d:2000` in preloader mode
//! (MT6572.md §1.1). The preloader port lives only 2-5 seconds, so `--port auto` arms first
//! and then polls every [`MAX_POLL`] or faster, returning the moment a port matches; the
//! caller handshakes at once. Listing itself is in `serial.rs`; the wait loop takes any
//! lister, so it is tested without hardware.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    thread,
    time::{Duration, Instant},
};

use super::{TransportError, serial::list_ports};

/// MediaTek's USB vendor id.
pub const MEDIATEK_VID: u16 = 0x0E8D;
/// Product id of the BootROM download port.
pub const BROM_PID: u16 = 0x0003;
/// Product id of the preloader download port.
pub const PRELOADER_PID: u16 = 0x2000;

/// The slowest polling [`wait_for_port`] allows.
pub const MAX_POLL: Duration = Duration::from_millis(50);

/// What a port is, from its USB ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMode {
    /// 0e8d:0003, the BootROM.
    Brom,
    /// 0e8d:2000, the preloader.
    Preloader,
    /// Anything else.
    Other,
}

impl PortMode {
    /// The mode for a USB vendor and product id.
    pub fn classify(vid: u16, pid: u16) -> PortMode {
        match (vid, pid) {
            (MEDIATEK_VID, BROM_PID) => PortMode::Brom,
            (MEDIATEK_VID, PRELOADER_PID) => PortMode::Preloader,
            _ => PortMode::Other,
        }
    }
}

/// A serial port as listed by the system.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortInfo {
    /// Device path (`/dev/ttyACM0`).
    pub path: String,
    /// USB vendor id, for USB ports.
    pub vid: Option<u16>,
    /// USB product id, for USB ports.
    pub pid: Option<u16>,
    /// BROM, preloader or other.
    pub mode: PortMode,
    /// The USB product string, if the device gave one.
    pub product: Option<String>,
}

impl PortInfo {
    /// True for a BROM or preloader port.
    pub fn is_download_port(&self) -> bool {
        self.mode != PortMode::Other
    }
}

/// The interval actually used for a requested one: never slower than [`MAX_POLL`].
fn poll_interval(requested: Duration) -> Duration {
    requested.min(MAX_POLL)
}

/// Waits for a port matching `filter` (for example [`PortInfo::is_download_port`]), polling
/// the system's port list every `poll` (at most [`MAX_POLL`]) until `deadline`. `cancel`
/// stops the wait from another thread.
pub fn wait_for_port(
    filter: impl Fn(&PortInfo) -> bool,
    poll: Duration,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<PortInfo, TransportError> {
    wait_for_port_with(list_ports, filter, poll, deadline, cancel)
}

/// [`wait_for_port`] with the port lister supplied (for tests, or another source).
pub fn wait_for_port_with(
    mut lister: impl FnMut() -> Result<Vec<PortInfo>, TransportError>,
    filter: impl Fn(&PortInfo) -> bool,
    poll: Duration,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<PortInfo, TransportError> {
    let poll = poll_interval(poll);
    let start = Instant::now();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(TransportError::Cancelled);
        }
        if let Some(port) = lister()?.into_iter().find(|p| filter(p)) {
            return Ok(port);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(TransportError::NoPort {
                waited: now - start,
            });
        }
        thread::sleep(poll.min(deadline - now));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn port(path: &str, vid: u16, pid: u16) -> PortInfo {
        PortInfo {
            path: path.into(),
            vid: Some(vid),
            pid: Some(pid),
            mode: PortMode::classify(vid, pid),
            product: None,
        }
    }

    #[test]
    fn mediatek_ids_are_classified() {
        assert_eq!(PortMode::classify(0x0E8D, 0x0003), PortMode::Brom);
        assert_eq!(PortMode::classify(0x0E8D, 0x2000), PortMode::Preloader);
        assert_eq!(PortMode::classify(0x0E8D, 0x2001), PortMode::Other);
        assert_eq!(PortMode::classify(0x1A86, 0x7523), PortMode::Other);
        assert!(port("a", 0x0E8D, 3).is_download_port());
        assert!(!port("a", 0x1A86, 0x7523).is_download_port());
    }

    #[test]
    fn wait_returns_the_port_as_soon_as_it_appears() {
        let calls = Cell::new(0);
        let found = wait_for_port_with(
            || {
                calls.set(calls.get() + 1);
                Ok(if calls.get() < 4 {
                    vec![port("/dev/ttyUSB0", 0x1A86, 0x7523)]
                } else {
                    vec![
                        port("/dev/ttyUSB0", 0x1A86, 0x7523),
                        port("/dev/ttyACM0", 0x0E8D, 0x2000),
                    ]
                })
            },
            PortInfo::is_download_port,
            Duration::from_millis(1),
            Instant::now() + Duration::from_secs(10),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(found.path, "/dev/ttyACM0");
        assert_eq!(found.mode, PortMode::Preloader);
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn wait_gives_up_at_the_deadline_and_on_cancel() {
        let e = wait_for_port_with(
            || Ok(vec![]),
            PortInfo::is_download_port,
            Duration::from_secs(60), // clamped to MAX_POLL
            Instant::now() + Duration::from_millis(20),
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(e, TransportError::NoPort { .. }), "{e}");
        let e = wait_for_port_with(
            || Ok(vec![]),
            PortInfo::is_download_port,
            Duration::from_millis(1),
            Instant::now() + Duration::from_secs(60),
            &AtomicBool::new(true),
        )
        .unwrap_err();
        assert!(matches!(e, TransportError::Cancelled));
    }

    #[test]
    fn polling_is_never_slower_than_50_ms() {
        assert_eq!(poll_interval(Duration::from_secs(60)), MAX_POLL);
        assert_eq!(
            poll_interval(Duration::from_millis(10)),
            Duration::from_millis(10)
        );
        assert!(MAX_POLL <= Duration::from_millis(50));
    }

    #[test]
    fn lister_errors_end_the_wait() {
        let e = wait_for_port_with(
            || Err(TransportError::Enumerate("no sysfs".into())),
            PortInfo::is_download_port,
            MAX_POLL,
            Instant::now() + Duration::from_secs(60),
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(e, TransportError::Enumerate(_)));
    }
}
