//! The UART capture as a job: open the USB-serial adapter wired to the phone's debug console
//! (with the host doctor's hints when it cannot be opened), create the capture file only once
//! the port is open, then capture until the cancel token, a deadline, or an unplugged
//! adapter ends it, and give the file its name. Unlike a DA session, a cancel here is the
//! normal way to stop: what arrived is kept. The capture itself and its analysis are
//! [`crate::diag::uart`]'s; nothing here prints.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use super::CancelToken;
use crate::{
    diag::{
        doctor::{self, HostFacts},
        log::Analyzer,
        uart::{self, CaptureFile, CaptureSummary, LiveUpdate, UartError},
    },
    error::HostError,
    transport::{SerialTransport, Transport},
};

/// An open adapter with its capture file, ready to capture.
#[derive(Debug)]
pub struct Uart {
    port: SerialTransport,
    file: CaptureFile,
}

impl Uart {
    /// Opens `port` at `baud` (8N1), then starts the capture file `out` (which must not
    /// exist): a capture file always has a port behind it.
    pub fn open(port: &str, baud: u32, out: &Path) -> crate::Result<Uart> {
        let port = SerialTransport::open_with_baud(port, baud).map_err(|e| UartError::Open {
            source: e,
            hints: doctor::uart_failure_hints(&HostFacts::gather()),
        })?;
        let file = CaptureFile::create(out)?;
        Ok(Uart { port, file })
    }

    /// The adapter's port name.
    pub fn port_name(&self) -> &str {
        self.port.name()
    }

    /// The capture file's final name.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The name the capture has while it runs.
    pub fn temp_path(&self) -> &Path {
        self.file.temp_path()
    }

    /// Captures into the file and `analyzer` (whose input the caller has begun) until
    /// `cancel`, `deadline` or the port ends it, reporting [`LiveUpdate`]s; then closes the
    /// port and gives the file its name. Returns how it ended and where the capture is.
    pub fn capture(
        mut self,
        analyzer: &mut Analyzer<'_>,
        cancel: &CancelToken,
        deadline: Option<Instant>,
        on_update: &mut dyn FnMut(&LiveUpdate),
    ) -> crate::Result<(CaptureSummary, PathBuf)> {
        let summary = uart::capture(
            &mut self.port,
            &mut self.file,
            analyzer,
            cancel.flag(),
            deadline,
            on_update,
        )
        .map_err(|e| HostError::io("write", self.file.temp_path().to_path_buf(), e))?;
        let Uart { port, file } = self;
        drop(port);
        Ok((summary, file.finish()?))
    }
}
