//! The raw reference of the device benchmarks: a pseudo-terminal pair laid out as a session
//! is, with no protocol, moving 1 MiB blocks each way. A session's figure divided by this
//! one, measured in the same process, is the share of the physical floor it keeps. Shared by
//! `benches/link.rs` and `benches/firmware_upgrade.rs`; not a test.

use std::time::Duration;

use mtkbench::{
    sim::pty::Pty,
    transport::{SerialTransport, Transport},
};

const MIB: u64 = 1 << 20;

/// What the phone's end of the raw link does next.
enum RawJob {
    /// Send this many bytes to the host in 1 MiB blocks.
    Send(u64),
    /// Receive this many bytes from the host.
    Receive(u64),
}

/// A raw pseudo-terminal link laid out like a session: the host's end (`SerialTransport`,
/// the host's real code path) in the calling thread, the phone's end (`Pty`, the simulator's
/// own) in one long-lived thread, as the simulator is. Each transfer moves 1 MiB blocks.
pub struct RawLink {
    host: SerialTransport,
    jobs: std::sync::mpsc::Sender<RawJob>,
    done: std::sync::mpsc::Receiver<()>,
}

impl RawLink {
    pub fn open() -> RawLink {
        let mut phone = Pty::open().expect("a pseudo-terminal");
        let host = SerialTransport::open(&phone.path().to_string_lossy()).expect("open the pty");
        let (jobs, job_rx) = std::sync::mpsc::channel();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let block = vec![0x5Au8; MIB as usize];
            let mut buf = vec![0u8; MIB as usize];
            for job in job_rx {
                match job {
                    RawJob::Send(mut left) => {
                        while left > 0 {
                            let n = left.min(MIB) as usize;
                            phone
                                .send(&block[..n], Duration::from_secs(5))
                                .expect("raw write");
                            left -= n as u64;
                        }
                    }
                    RawJob::Receive(bytes) => {
                        let mut got = 0;
                        while got < bytes {
                            let n = phone
                                .receive(&mut buf, Duration::from_secs(5))
                                .expect("raw read");
                            assert!(n > 0, "the raw link stalled");
                            got += n as u64;
                        }
                    }
                }
                if done_tx.send(()).is_err() {
                    return;
                }
            }
        });
        RawLink { host, jobs, done }
    }

    /// Moves `bytes` from the phone to the host or back.
    pub fn transfer(&mut self, bytes: u64, phone_to_host: bool) {
        let block = vec![0x5Au8; MIB as usize];
        let mut buf = vec![0u8; MIB as usize];
        {
            if phone_to_host {
                self.jobs.send(RawJob::Send(bytes)).expect("raw phone");
                let mut got = 0;
                while got < bytes {
                    let n = self
                        .host
                        .read_some(&mut buf, Duration::from_secs(5))
                        .expect("raw read");
                    assert!(n > 0, "the raw link stalled");
                    got += n as u64;
                }
            } else {
                self.jobs.send(RawJob::Receive(bytes)).expect("raw phone");
                let mut left = bytes;
                while left > 0 {
                    let n = left.min(MIB) as usize;
                    self.host.write_all(&block[..n]).expect("raw write");
                    left -= n as u64;
                }
            }
            self.done.recv().expect("raw phone");
        }
    }
}
