//! The simulated phone's "USB cable": a pseudo-terminal pair whose device side a host opens
//! like `/dev/ttyACM0`, and the loop that carries bytes between it and the device core.
//!
//! The loop is thin on purpose: it reads what the host wrote, hands it to a [`Peer`] (the
//! device core), waits if the reply asks for a stall, writes the reply at once and drops the
//! link if the reply says so. A long reply (a readback packet) is written by a helper thread
//! while the peer prepares its next answer ([`Peer::idle`]), so that the port keeps moving
//! meanwhile. Everything a phone decides lives in the core; no protocol here.
//!
//! Life of the link:
//! - the loop learns of every open and close of the device side from the kernel (inotify on
//!   the device path: `IN_OPEN`, `IN_CLOSE_*`), so it sleeps in `poll` with nothing
//!   to do and wakes the moment a host opens the port or writes, as a BootROM answers the
//!   first handshake byte at once. (A pseudo-terminal's controlling side cannot wait for an
//!   open itself: with no host it reports a hang-up at every poll, which is why the loop
//!   used to sleep 10 ms between looks and answered a fresh host's first byte up to 10 ms
//!   late.) While idle it wakes only every few milliseconds to look at the stop flag;
//! - a host that closes the port is an unplug: the peer goes back to its handshake state and
//!   the loop waits for the next host on the same path (or returns, with `once`). Closes are
//!   queued events, not a state, so a host that closes and reopens at once still meets a
//!   freshly plugged phone, however late the loop wakes: the hang-up a close leaves on the
//!   controlling side vanishes when the port is opened again, and a loop that looked only at
//!   it (as this one did) let the new host continue the old session. Bytes are read before the
//!   events that could explain them are taken, and a host's open is reported before it can
//!   write, so bytes seen after the last host left are what that host left behind, and are
//!   thrown away; so are the replies it did not read, which the kernel would otherwise hand to
//!   the next host. Only when a host leaves and the next one opens and writes between two
//!   wake-ups of the loop can the first one's last bytes reach the phone the second one meets,
//!   or the second one's first bytes be thrown away with them;
//! - the count of open hosts is checked against the kernel's own view: a hang-up with no event
//!   pending means nobody holds the port, and bytes with nobody counted mean somebody does (the
//!   kernel merges two identical events that follow each other unread, so two hosts opening
//!   at the same moment count as one);
//! - a reply that drops the link (fault injection) closes the pseudo-terminal, so the host
//!   sees the port vanish as with a pulled cable (as soon as the host has read the reply or
//!   closed the port); a fresh pair is then opened and announced through
//!   [`LinkEvent::Replugged`], as a re-enumerated phone gets a new port. The kernel numbers
//!   pseudo-terminals from the lowest free number, so the new port usually has the old path,
//!   as a phone that comes back as `/dev/ttyACM0` again.
//!
//! This is the crate's only pseudo-terminal; tests that need a phone on a real terminal serve
//! their own [`Peer`] with [`serve`]. Linux only (Unix98 ptys and inotify through `rustix`);
//! no `serialport` (hosts open the path with `transport::SerialTransport`); no unsafe code.

use std::{
    fs::File,
    io::{ErrorKind, Read, Write},
    mem::MaybeUninit,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::Duration,
};

use rustix::{
    event::{PollFd, PollFlags, Timespec, poll},
    fd::{AsFd, OwnedFd},
    fs::inotify,
    io::Errno,
    pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt},
    termios::{OptionalActions, QueueSelector, tcflush, tcgetattr, tcsetattr},
};

/// How often the loop looks at the stop flag while it waits (for a host, or for its bytes).
const IDLE_POLL: Duration = Duration::from_millis(10);

/// The longest the loop waits for the host to read the last reply before dropping the link.
const DRAIN_LIMIT: Duration = Duration::from_millis(500);

/// How long written bytes may take to reach the device side.
const ARRIVAL_GRACE: Duration = Duration::from_millis(100);

/// What the loop must do after handing the host's bytes to the peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Bytes to send to the host, at once.
    pub bytes: Vec<u8>,
    /// How long to wait before sending them (fault injection only; zero otherwise).
    pub stall: Duration,
    /// Drop the link after sending them (fault injection only).
    pub disconnect: bool,
}

/// The phone side of the link: the device core.
pub trait Peer {
    /// Takes bytes the host wrote; returns what to answer.
    fn feed(&mut self, input: &[u8]) -> Reply;

    /// The cable was pulled: go back to the state of a freshly plugged phone.
    fn unplug(&mut self);

    /// A long reply is on its way to the host (written by another thread): the time to
    /// prepare what will be asked next, as a phone reads its next readback packet from flash
    /// while the current one drains. Called once per reply of 64 KiB or more. Does nothing
    /// unless overridden.
    fn idle(&mut self) {}
}

/// What happened on the link, for the banner and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// A host opened the port.
    HostConnected,
    /// The host closed the port; the phone is waiting for the next one.
    HostDisconnected,
    /// The phone dropped the link (fault) and is now reachable on a new port.
    Replugged(PathBuf),
}

/// One pseudo-terminal pair; the simulator holds the controlling side.
#[derive(Debug)]
pub struct Pty {
    master: File,
    path: PathBuf,
    hosts: Hosts,
}

impl Pty {
    /// Opens a new pair in raw mode (no echo, no line editing, 8-bit clean).
    pub fn open() -> std::io::Result<Pty> {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let name = ptsname(&master, Vec::new())?;
        let path = PathBuf::from(name.to_string_lossy().into_owned());
        rustix::io::ioctl_fionbio(&master, true)?;
        // Watched before anyone can know the path, so that every host's open is seen.
        let hosts = Hosts::watch(&path)?;
        let pty = Pty {
            master: File::from(master),
            path,
            hosts,
        };
        pty.make_raw()?;
        Ok(pty)
    }

    /// The device-side path a host opens (`/dev/pts/N`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `bytes` to the host unasked, as a phone's debug UART does (for playing a boot log
    /// into `diagnose uart`). Waits for room in the terminal's buffer; gives up with
    /// `TimedOut` when nobody reads for `timeout`.
    pub fn send(&mut self, mut bytes: &[u8], timeout: Duration) -> std::io::Result<()> {
        while !bytes.is_empty() {
            match self.master.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.wait(PollFlags::OUT, timeout)?.contains(PollFlags::OUT) {
                        return Err(ErrorKind::TimedOut.into());
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what the host sent, waiting up to `timeout` for the first byte; `Ok(0)` when
    /// nothing came.
    pub fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> std::io::Result<usize> {
        loop {
            match self.master.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.wait(PollFlags::IN, timeout)?.contains(PollFlags::IN) {
                        return Ok(0);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Puts the line in raw mode (the settings belong to the device side).
    fn make_raw(&self) -> std::io::Result<()> {
        let mut t = tcgetattr(&self.master)?;
        t.make_raw();
        tcsetattr(&self.master, OptionalActions::Now, &t)?;
        Ok(())
    }

    /// Waits (at most [`DRAIN_LIMIT`]) until the host has read everything sent, so that closing
    /// the pair does not discard the last bytes of a reply. The kernel moves written bytes to
    /// the device side asynchronously, so "nothing waiting" only counts once bytes were seen
    /// waiting, or after [`ARRIVAL_GRACE`] (the host may have read them at once). A host that
    /// closes the port ends the wait at once: it reads nothing more, and the sooner the pair
    /// goes, the less likely its next command opens the port that is about to vanish.
    fn drain(&mut self) {
        let closes = self.hosts.closes;
        let Ok(device) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(&self.path)
        else {
            return;
        };
        let start = std::time::Instant::now();
        let mut seen = false;
        while start.elapsed() < DRAIN_LIMIT {
            if self.hosts.take().is_err() || self.hosts.closes > closes {
                return;
            }
            match rustix::io::ioctl_fionread(&device) {
                Ok(0) if seen || start.elapsed() >= ARRIVAL_GRACE => return,
                Ok(0) => {}
                Ok(_) => seen = true,
                Err(_) => return,
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Throws away whatever is queued in both directions.
    fn flush(&self) {
        let _ = tcflush(&self.master, QueueSelector::IOFlush);
    }

    /// Throws away the replies the last host did not read. They wait on the device side, where
    /// the kernel keeps them for whoever opens the port next (a close does not clear them); a
    /// change of the line settings made "with flush" through the controlling side clears that
    /// side's input, and nothing else: what a new host has already written stays.
    fn discard_replies(&self) {
        if let Ok(t) = tcgetattr(&self.master) {
            let _ = tcsetattr(&self.master, OptionalActions::Flush, &t);
        }
    }

    /// Waits up to `timeout` for `flags`; returns the flags that are set.
    fn wait(&self, flags: PollFlags, timeout: Duration) -> std::io::Result<PollFlags> {
        wait(&self.master, flags, timeout)
    }
}

/// A change in who has the device side open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The first host opened the port.
    Arrived,
    /// The last host closed it.
    Left,
}

/// Who has the device side open, counted from the opens and closes the kernel reports on its
/// path (inotify). The events queue up, so none is lost however late the loop looks.
#[derive(Debug)]
struct Hosts {
    /// The inotify instance (non-blocking) watching the device path.
    watch: OwnedFd,
    /// Host file descriptions open now, as far as the events read so far tell.
    open: usize,
    /// Closes reported so far, the simulator's own included.
    closes: u64,
}

impl Hosts {
    fn watch(path: &Path) -> std::io::Result<Hosts> {
        let watch = inotify::init(inotify::CreateFlags::NONBLOCK | inotify::CreateFlags::CLOEXEC)?;
        inotify::add_watch(
            &watch,
            path,
            inotify::WatchFlags::OPEN | inotify::WatchFlags::CLOSE,
        )?;
        Ok(Hosts {
            watch,
            open: 0,
            closes: 0,
        })
    }

    /// Reads the opens and closes reported so far (never waits) and returns the changes they
    /// make, in order.
    fn take(&mut self) -> std::io::Result<Vec<Change>> {
        let mut changes = Vec::new();
        let mut buf = [MaybeUninit::uninit(); 1024];
        let mut events = inotify::Reader::new(&self.watch, &mut buf);
        loop {
            let flags = match events.next() {
                Ok(event) => event.events(),
                Err(Errno::AGAIN) => return Ok(changes),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            };
            if flags.contains(inotify::ReadFlags::QUEUE_OVERFLOW) {
                // Events were lost: start over from "nobody"; the checks against the kernel's
                // view ([`serve`]) find a host that is still there.
                tracing::warn!("simulated port: open/close events were lost");
                if self.open > 0 {
                    self.open = 0;
                    changes.push(Change::Left);
                }
            }
            if flags.contains(inotify::ReadFlags::OPEN) {
                self.open += 1;
                if self.open == 1 {
                    changes.push(Change::Arrived);
                }
            }
            let closed = inotify::ReadFlags::CLOSE_WRITE | inotify::ReadFlags::CLOSE_NOWRITE;
            self.closes += u64::from(flags.intersects(closed));
            if flags.intersects(closed) && self.open > 0 {
                self.open -= 1;
                if self.open == 0 {
                    changes.push(Change::Left);
                }
            }
        }
    }

    /// Sets the count from the kernel's view when it contradicts the events (see [`serve`]).
    fn correct(&mut self, open: bool) -> Option<Change> {
        match (self.open, open) {
            (0, true) => {
                self.open = 1;
                Some(Change::Arrived)
            }
            (1.., false) => {
                self.open = 0;
                Some(Change::Left)
            }
            _ => None,
        }
    }
}

/// Waits up to `timeout` for `flags` on `port`; returns the flags that are set.
fn wait(port: &impl AsFd, flags: PollFlags, timeout: Duration) -> std::io::Result<PollFlags> {
    let mut fds = [PollFd::new(port, flags)];
    match poll(&mut fds, Some(&timespec(timeout))) {
        Ok(_) => Ok(fds[0].revents()),
        Err(rustix::io::Errno::INTR) => Ok(PollFlags::empty()),
        Err(e) => Err(e.into()),
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

/// How the loop ends.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Return after the first host disconnects (or the link drops) instead of waiting for the
    /// next one.
    pub once: bool,
    /// Set to true (from another thread) to make the loop return.
    pub stop: Arc<AtomicBool>,
}

/// Outcome of writing a reply.
enum Sent {
    All,
    HostGone,
    Stopped,
}

/// Carries bytes between the host and `peer` until the host leaves (with `once`) or `stop` is
/// set. `events` hears of every connect, disconnect and replug.
pub fn serve(
    mut pty: Pty,
    peer: &mut dyn Peer,
    options: &ServeOptions,
    mut events: impl FnMut(&LinkEvent),
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut writer = None;
    loop {
        if options.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if pty.hosts.open == 0 {
            // Nobody holds the port: sleep until somebody opens it. (Polling the controlling
            // side now would return at once with a hang-up.)
            let changes =
                if wait(&pty.hosts.watch, PollFlags::IN, IDLE_POLL)?.contains(PollFlags::IN) {
                    pty.hosts.take()?
                } else {
                    // A quiet moment with no event pending: bytes waiting and no hang-up mean a
                    // host the events did not count (its open is reported before it can write).
                    let port = pty.wait(PollFlags::IN, Duration::ZERO)?;
                    let there = port.contains(PollFlags::IN) && !port.contains(PollFlags::HUP);
                    Vec::from_iter(there.then(|| pty.hosts.correct(true)).flatten())
                };
            if !apply(&pty, peer, options.once, &mut events, changes) {
                return Ok(());
            }
            continue;
        }
        // Read first and wait only when nothing is there: while data streams in, a poll before
        // every read would cost a second system call per read (and a tty's poll waits for the
        // kernel's buffer work), which a plain reader of the port does not pay.
        match pty.master.read(&mut buf) {
            Ok(n) if n > 0 => {
                // The opens and closes reported by now tell whose bytes these are: if the
                // last host has left, they are its leftovers and go with it.
                let changes = pty.hosts.take()?;
                if !apply(&pty, peer, options.once, &mut events, changes) {
                    return Ok(());
                }
                if pty.hosts.open == 0 {
                    continue;
                }
                let Reply {
                    bytes,
                    stall,
                    disconnect,
                } = peer.feed(&buf[..n]);
                if !stall.is_zero() {
                    std::thread::sleep(stall);
                }
                // A host gone while its reply is written is reported by its close.
                if let Sent::Stopped = send_reply(&pty, bytes, &options.stop, &mut writer, peer)? {
                    return Ok(());
                }
                if disconnect {
                    peer.unplug();
                    pty.drain();
                    drop(pty);
                    events(&LinkEvent::HostDisconnected);
                    if options.once {
                        return Ok(());
                    }
                    pty = Pty::open()?;
                    events(&LinkEvent::Replugged(pty.path.clone()));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Nothing waiting (or nobody holding the port, EIO): sleep until the host writes
            // or an open or close is reported.
            _ => {
                let mut fds = [
                    PollFd::new(&pty.master, PollFlags::IN),
                    PollFd::new(&pty.hosts.watch, PollFlags::IN),
                ];
                match poll(&mut fds, Some(&timespec(IDLE_POLL))) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
                let (port, told) = (fds[0].revents(), fds[1].revents());
                let changes = if told.contains(PollFlags::IN) {
                    pty.hosts.take()?
                } else if port.contains(PollFlags::HUP) && !port.contains(PollFlags::IN) {
                    // A hang-up with no close pending (a close is reported before the port
                    // hangs up): nobody holds the port, whatever the count says.
                    Vec::from_iter(pty.hosts.correct(false))
                } else {
                    Vec::new()
                };
                if !apply(&pty, peer, options.once, &mut events, changes) {
                    return Ok(());
                }
            }
        }
    }
}

/// Acts on changes in who holds the port: tells `events`, and when the last host leaves,
/// unplugs the peer and throws away the replies that host left unread, and, if nobody has
/// opened the port since, what it wrote that was not read. Returns false when the loop must end
/// (`once`).
fn apply(
    pty: &Pty,
    peer: &mut dyn Peer,
    once: bool,
    events: &mut impl FnMut(&LinkEvent),
    changes: Vec<Change>,
) -> bool {
    if changes.contains(&Change::Left) {
        pty.discard_replies();
        if pty.hosts.open == 0 {
            pty.flush();
            let _ = pty.make_raw();
        }
    }
    for change in changes {
        match change {
            Change::Arrived => events(&LinkEvent::HostConnected),
            Change::Left => {
                peer.unplug();
                events(&LinkEvent::HostDisconnected);
                if once {
                    return false;
                }
            }
        }
    }
    true
}

/// Replies at least this long are written by the [`Writer`] thread while the loop's thread
/// gives the peer its [`Peer::idle`] time: the port's buffer holds only a few KiB, so the
/// peer's preparation overlaps the transfer only if another thread keeps the port fed.
const OVERLAP_MIN: usize = 64 * 1024;

/// A long-lived thread that writes long replies (started with the first one).
struct Writer {
    jobs: mpsc::Sender<(File, Vec<u8>)>,
    done: mpsc::Receiver<std::io::Result<Sent>>,
}

impl Writer {
    fn start(stop: Arc<AtomicBool>) -> Writer {
        let (jobs, job_rx) = mpsc::channel::<(File, Vec<u8>)>();
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            for (port, bytes) in job_rx {
                let sent = write_all(&port, &bytes, &stop);
                // Close this copy of the port before the loop may close (or drop) its own.
                drop(port);
                if done_tx.send(sent).is_err() {
                    return;
                }
            }
        });
        Writer { jobs, done }
    }
}

/// Sends a reply: a long one from the [`Writer`] thread while the peer prepares its next
/// answer, a short one at once.
fn send_reply(
    pty: &Pty,
    bytes: Vec<u8>,
    stop: &Arc<AtomicBool>,
    writer: &mut Option<Writer>,
    peer: &mut dyn Peer,
) -> std::io::Result<Sent> {
    if bytes.len() < OVERLAP_MIN {
        return write_all(&pty.master, &bytes, stop);
    }
    let stopped = || std::io::Error::other("the port's writer thread stopped");
    let writer = writer.get_or_insert_with(|| Writer::start(stop.clone()));
    writer
        .jobs
        .send((pty.master.try_clone()?, bytes))
        .map_err(|_| stopped())?;
    peer.idle();
    writer.done.recv().map_err(|_| stopped())?
}

/// Writes `bytes` to the host on `port`, waiting while its buffer is full.
fn write_all(mut port: &File, mut bytes: &[u8], stop: &AtomicBool) -> std::io::Result<Sent> {
    while !bytes.is_empty() {
        match port.write(bytes) {
            Ok(0) => return Ok(Sent::HostGone),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(Sent::Stopped);
                }
                let ready = wait(port, PollFlags::OUT, IDLE_POLL)?;
                if ready.contains(PollFlags::HUP) && !ready.contains(PollFlags::OUT) {
                    return Ok(Sent::HostGone);
                }
            }
            Err(_) => return Ok(Sent::HostGone),
        }
    }
    let _ = port.flush();
    Ok(Sent::All)
}

#[cfg(test)]
mod tests {
    use std::{fs::OpenOptions, sync::mpsc, time::Instant};

    use super::*;

    /// Answers every byte with its complement; `!` drops the link; counts unplugs.
    struct Inverter {
        unplugs: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Peer for Inverter {
        fn feed(&mut self, input: &[u8]) -> Reply {
            Reply {
                bytes: input.iter().map(|b| !b).collect(),
                stall: Duration::ZERO,
                disconnect: input.contains(&b'!'),
            }
        }
        fn unplug(&mut self) {
            self.unplugs.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Reads exactly `n` bytes from the device side, failing after two seconds.
    fn read_n(port: &mut File, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        while out.len() < n {
            assert!(Instant::now() < deadline, "timed out after {out:?}");
            let mut fds = [PollFd::new(port, PollFlags::IN)];
            let ts = Timespec {
                tv_sec: 0,
                tv_nsec: 20_000_000,
            };
            poll(&mut fds, Some(&ts)).unwrap();
            if fds[0].revents().contains(PollFlags::IN) {
                let got = port.read(&mut buf).unwrap();
                out.extend_from_slice(&buf[..got]);
            }
        }
        out
    }

    fn open_port(path: &Path) -> File {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        // The host side is raw too, like a serial library sets it.
        let mut t = tcgetattr(&f).unwrap();
        t.make_raw();
        tcsetattr(&f, OptionalActions::Now, &t).unwrap();
        f
    }

    /// An [`Inverter`] served in a thread until [`Served::stop`].
    struct Served {
        path: PathBuf,
        unplugs: Arc<std::sync::atomic::AtomicUsize>,
        stop: Arc<AtomicBool>,
        events: mpsc::Receiver<LinkEvent>,
        server: std::thread::JoinHandle<()>,
    }

    impl Served {
        fn start() -> Served {
            let pty = Pty::open().unwrap();
            let path = pty.path().to_path_buf();
            assert!(path.starts_with("/dev/pts"), "{path:?}");
            let unplugs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut peer = Inverter {
                unplugs: unplugs.clone(),
            };
            let options = ServeOptions {
                once: false,
                stop: Arc::new(AtomicBool::new(false)),
            };
            let stop = options.stop.clone();
            let (tx, events) = mpsc::channel();
            let server = std::thread::spawn(move || {
                serve(pty, &mut peer, &options, |e| tx.send(e.clone()).unwrap()).unwrap();
            });
            Served {
                path,
                unplugs,
                stop,
                events,
                server,
            }
        }

        /// Waits (at most two seconds) until the peer has been unplugged `n` times.
        fn wait_unplugs(&self, n: usize) {
            let deadline = Instant::now() + Duration::from_secs(2);
            while self.unplugs.load(Ordering::SeqCst) < n {
                assert!(Instant::now() < deadline, "unplug {n} not seen");
                std::thread::sleep(Duration::from_millis(1));
            }
        }

        /// Stops the loop; returns the link events it reported.
        fn stop(self) -> Vec<LinkEvent> {
            self.stop.store(true, Ordering::Relaxed);
            self.server.join().unwrap();
            self.events.try_iter().collect()
        }
    }

    #[test]
    fn bytes_flow_both_ways_and_a_closed_host_is_an_unplug() {
        let served = Served::start();
        for round in 0..2 {
            let mut port = open_port(&served.path);
            // Raw mode: a 0x0A or 0x03 passes untouched, nothing is echoed.
            port.write_all(&[0xA0, 0x0A, 0x03, 0x50]).unwrap();
            assert_eq!(
                read_n(&mut port, 4),
                [0x5F, 0xF5, 0xFC, 0xAF],
                "round {round}"
            );
            drop(port);
            served.wait_unplugs(round + 1);
        }
        assert_eq!(
            served.stop(),
            [
                LinkEvent::HostConnected,
                LinkEvent::HostDisconnected,
                LinkEvent::HostConnected,
                LinkEvent::HostDisconnected
            ]
        );
    }

    #[test]
    fn a_close_and_an_open_at_once_are_an_unplug_and_unread_replies_go() {
        let served = Served::start();
        const ROUNDS: usize = 20;
        for round in 0..ROUNDS {
            // Opened at once after the last close: the close is still an unplug, seen while
            // this host holds the port.
            let mut port = open_port(&served.path);
            served.wait_unplugs(round);
            // The last host left a reply unread: this one gets only its own.
            port.write_all(&[round as u8]).unwrap();
            assert_eq!(read_n(&mut port, 1), [!(round as u8)], "round {round}");
            port.write_all(&[0xAA]).unwrap();
            let deadline = Instant::now() + Duration::from_secs(2);
            while rustix::io::ioctl_fionread(&port).unwrap() == 0 {
                assert!(Instant::now() < deadline, "round {round}: no second reply");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // The last host: nothing but its own answer.
        let mut port = open_port(&served.path);
        served.wait_unplugs(ROUNDS);
        port.write_all(&[0x0F]).unwrap();
        assert_eq!(read_n(&mut port, 1), [0xF0]);
        drop(port);
        served.wait_unplugs(ROUNDS + 1);
        let unplugs = served.unplugs.clone();
        let expected: Vec<_> = (0..=ROUNDS)
            .flat_map(|_| [LinkEvent::HostConnected, LinkEvent::HostDisconnected])
            .collect();
        assert_eq!(served.stop(), expected);
        assert_eq!(unplugs.load(Ordering::SeqCst), ROUNDS + 1);
    }

    #[test]
    fn a_dropped_link_closes_the_port_and_replugs_on_a_new_one() {
        let served = Served::start();
        let mut port = open_port(&served.path);
        port.write_all(b"!").unwrap();
        assert_eq!(read_n(&mut port, 1), [!b'!']);
        let deadline = Instant::now() + Duration::from_secs(2);
        let new_path = loop {
            assert!(Instant::now() < deadline, "no replug");
            let event = served.events.recv_timeout(Duration::from_millis(100));
            if let Ok(LinkEvent::Replugged(p)) = event {
                break p;
            }
        };
        // The old port is dead: reading it reports the hang-up.
        let mut buf = [0u8; 1];
        assert!(matches!(port.read(&mut buf), Ok(0) | Err(_)));
        let mut port = open_port(&new_path);
        port.write_all(&[0x00]).unwrap();
        assert_eq!(read_n(&mut port, 1), [0xFF]);
        served.stop();
    }

    /// Answers any input with a long counting reply; counts its idle calls.
    struct Talker {
        idles: Arc<std::sync::atomic::AtomicUsize>,
    }

    const LONG: usize = 200 * 1024;

    impl Peer for Talker {
        fn feed(&mut self, _input: &[u8]) -> Reply {
            Reply {
                bytes: (0..LONG).map(|i| (i % 251) as u8).collect(),
                stall: Duration::ZERO,
                disconnect: false,
            }
        }
        fn unplug(&mut self) {}
        fn idle(&mut self) {
            self.idles.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_long_reply_arrives_whole_while_the_peer_prepares_the_next() {
        let pty = Pty::open().unwrap();
        let path = pty.path().to_path_buf();
        let idles = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut peer = Talker {
            idles: idles.clone(),
        };
        let options = ServeOptions {
            once: true,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let server = std::thread::spawn(move || serve(pty, &mut peer, &options, |_| {}));
        let mut port = open_port(&path);
        for round in 1..=2 {
            port.write_all(b"?").unwrap();
            let got = read_n(&mut port, LONG);
            assert!(
                got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8),
                "round {round}"
            );
            // The peer's idle time runs beside the writer; it may end after the last byte.
            let deadline = Instant::now() + Duration::from_secs(2);
            while idles.load(Ordering::SeqCst) < round {
                assert!(Instant::now() < deadline, "no idle call in round {round}");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        assert_eq!(idles.load(Ordering::SeqCst), 2);
        drop(port);
        server.join().unwrap().unwrap();
    }

    #[test]
    fn once_returns_when_the_host_leaves() {
        let pty = Pty::open().unwrap();
        let path = pty.path().to_path_buf();
        let mut peer = Inverter {
            unplugs: Arc::default(),
        };
        let options = ServeOptions {
            once: true,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let server = std::thread::spawn(move || serve(pty, &mut peer, &options, |_| {}));
        let mut port = open_port(&path);
        port.write_all(&[1]).unwrap();
        assert_eq!(read_n(&mut port, 1), [0xFE]);
        drop(port);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !server.is_finished() {
            assert!(Instant::now() < deadline, "serve did not return");
            std::thread::sleep(Duration::from_millis(5));
        }
        server.join().unwrap().unwrap();
    }
}
