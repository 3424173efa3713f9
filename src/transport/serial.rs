//! The real port: [`SerialTransport`] over the `serialport` crate, and port listing. This is
//! the ONLY file in the crate that imports `serialport`. (The simulated phone's
//! pseudo-terminal is `crate::sim::pty`; a host opens it here like any port.)
//!
//! Port listing: `serialport` is built without libudev. On Linux its 4.x fallback then scans
//! `/sys/class/tty/*/device`, follows the USB interface up to the device, and reads
//! `idVendor`, `idProduct` and `product` from sysfs (checked in serialport 4.10.1,
//! `src/posix/enumerate.rs`), so USB ids are available without libudev. That scan panics
//! when `/sys/class/tty` is missing (some containers), so [`list_ports`] checks first.

use std::{
    io::{Read, Write},
    path::Path,
    time::Duration,
};

use serialport::{DataBits, FlowControl, Parity, SerialPort, SerialPortType, StopBits};

use super::{PortInfo, PortMode, Transport, TransportError};

/// Line speed (MT6572.md §1.3: mtkclient's serial path uses 115200 8N1, no flow control).
/// Meaningless on USB CDC-ACM and on a pseudo-terminal, but a real UART needs it.
pub const BAUD_RATE: u32 = 115_200;

/// A serial port (or pseudo-terminal) as a [`Transport`].
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    name: String,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport")
            .field("name", &self.name)
            .finish()
    }
}

impl SerialTransport {
    /// Opens `path` at 115200 8N1 without flow control, exclusively (so that ModemManager
    /// cannot open it behind our back). A pseudo-terminal path such as `/dev/pts/3` works too.
    pub fn open(path: &str) -> Result<Self, TransportError> {
        Self::open_with_baud(path, BAUD_RATE)
    }

    /// Opens `path` like [`SerialTransport::open`] but at `baud` bits per second: a USB-serial
    /// adapter (CH340, CP210x, FTDI) on the phone's debug UART needs the UART's own speed,
    /// 921600 on an MT6572.
    pub fn open_with_baud(path: &str, baud: u32) -> Result<Self, TransportError> {
        let port = serialport::new(path, baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| {
                let kind = match e.kind() {
                    serialport::ErrorKind::Io(kind) => kind,
                    serialport::ErrorKind::NoDevice => std::io::ErrorKind::NotFound,
                    _ => std::io::ErrorKind::Other,
                };
                TransportError::Open {
                    port: path.to_string(),
                    kind,
                    reason: e.description,
                }
            })?;
        Ok(SerialTransport {
            port,
            name: path.to_string(),
        })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.port
            .write_all(data)
            .map_err(|e| TransportError::from_io(&self.name, "writing to", e))
    }

    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.port
            .set_timeout(timeout)
            .map_err(|e| TransportError::from_io(&self.name, "configuring", e.into()))?;
        loop {
            return match self.port.read(buf) {
                // A tty reads 0 bytes only at hang-up: the device is gone.
                Ok(0) => Err(TransportError::Disconnected {
                    port: self.name.clone(),
                }),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(0),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(TransportError::from_io(&self.name, "reading from", e)),
            };
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// Lists the serial ports with their USB ids and mode (BROM, preloader or other).
pub fn list_ports() -> Result<Vec<PortInfo>, TransportError> {
    if cfg!(target_os = "linux") && !Path::new("/sys/class/tty").is_dir() {
        return Err(TransportError::Enumerate(
            "/sys/class/tty is missing (is /sys mounted?)".into(),
        ));
    }
    let ports =
        serialport::available_ports().map_err(|e| TransportError::Enumerate(e.description))?;
    Ok(ports
        .into_iter()
        .map(|p| match p.port_type {
            SerialPortType::UsbPort(usb) => PortInfo {
                mode: PortMode::classify(usb.vid, usb.pid),
                path: p.port_name,
                vid: Some(usb.vid),
                pid: Some(usb.pid),
                product: usb.product,
            },
            _ => PortInfo {
                path: p.port_name,
                vid: None,
                pid: None,
                product: None,
                mode: PortMode::Other,
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_missing_port_explains_itself() {
        let e = SerialTransport::open("/dev/does-not-exist-mtkbench").unwrap_err();
        assert!(
            matches!(
                e,
                TransportError::Open {
                    kind: std::io::ErrorKind::NotFound,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn listing_ports_works_where_sysfs_exists() {
        let listed = list_ports();
        if !Path::new("/sys/class/tty").is_dir() {
            assert!(matches!(listed, Err(TransportError::Enumerate(_))));
            return;
        }
        // Whatever is plugged in, ports without USB ids are never download ports.
        for p in listed.unwrap() {
            if p.vid.is_none() {
                assert_eq!(p.mode, PortMode::Other);
            }
        }
    }
}
