//! `mtkbench diagnose uart` as a process, over a real pseudo-terminal standing in for the
//! USB-serial adapter: a test thread plays a phone's console (a multi-boot test log from
//! `tests/fixtures/logs/`) into the terminal while the binary captures it. Checked: the JSON
//! report equals `diagnose log`'s analysis of the same log (with the capture as its input),
//! the capture file holds exactly the bytes sent, the running view and Ctrl-C in human mode,
//! and a missing adapter. Every wait has a deadline; a child that outlives its test is killed
//! by its own handle.

mod common;

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use mtkbench::{
    diag::{self, rules::RuleBase},
    sim::pty::Pty,
};

/// Generous bound for anything the binary does (a loaded 2-core machine).
const LIMIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

fn mtkbench(dir: &Path) -> Command {
    let mut cmd = common::mtkbench_in(dir);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Kills the child when the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `done` every 10 ms until it holds or `limit` passes.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// The first `.partial` file in `dir`, if any.
fn partial_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".partial"))
}

/// Plays `log` into the phone's end of the terminal from a thread, in 333-byte pieces (so
/// lines are split anywhere); returns the phone end when done so the terminal stays up.
fn play(mut phone: Pty, log: Vec<u8>) -> std::thread::JoinHandle<Pty> {
    std::thread::spawn(move || {
        for piece in log.chunks(333) {
            phone
                .send(piece, LIMIT)
                .expect("the pseudo-terminal takes the log");
        }
        phone
    })
}

/// Waits for the child to exit and returns its exit status and stdout.
fn finish(child: &mut Running) -> (std::process::ExitStatus, Vec<u8>) {
    let mut status = None;
    assert!(
        wait_until(LIMIT, || {
            status = child.0.try_wait().unwrap();
            status.is_some()
        }),
        "mtkbench diagnose uart did not stop"
    );
    let mut out = Vec::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    (status.unwrap(), out)
}

#[test]
fn json_capture_of_a_boot_loop_matches_diagnose_log_and_saves_every_byte() {
    let log = std::fs::read(fixture("panic_loop.uart.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench").join("cap.log");
    let phone = Pty::open().unwrap();
    let port = phone.path().to_str().unwrap().to_string();
    let mut child = Running(
        mtkbench(dir.path())
            .args([
                "diagnose",
                "uart",
                "--port",
                &port,
                "--seconds",
                "2",
                "--json",
            ])
            .arg("--out")
            .arg(&out)
            .spawn()
            .unwrap(),
    );
    // The partial file is created once the port is open: from then on nothing is lost.
    let bench = dir.path().join("bench");
    assert!(
        wait_until(LIMIT, || partial_in(&bench).is_some()),
        "no .partial file in {}",
        bench.display()
    );
    let partial = partial_in(&bench).unwrap();
    let player = play(phone, log.clone());
    let (status, stdout) = finish(&mut child);
    let _phone = player.join().unwrap();
    let mut stderr = String::new();
    let _ = child.0.stderr.take().unwrap().read_to_string(&mut stderr);
    assert!(status.success(), "{stderr}");
    assert!(stderr.is_empty(), "--json keeps stderr quiet: {stderr}");

    assert_eq!(
        std::fs::read(&out).unwrap(),
        log,
        "the capture is the bytes sent"
    );
    assert!(!partial.exists());

    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(v["inputs"][0]["path"], out.to_str().unwrap());
    assert_eq!(v["inputs"][0]["kind"], "uart");
    assert_eq!(v["inputs"][0]["bytes"], log.len() as u64);

    let expected = diag::analyze_files(
        &[fixture("panic_loop.uart.log")],
        RuleBase::builtin().unwrap(),
    )
    .unwrap();
    let boots = v["boots"].as_array().unwrap();
    assert_eq!(boots.len(), 3);
    for (got, want) in boots.iter().zip(&expected.boots) {
        assert_eq!(got["start_line"], want.start_line);
        assert_eq!(got["ended_by"], "kernel_panic");
        assert_eq!(got["reached"], "kernel");
    }
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = expected.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, want);
    assert!(ids.contains(&"kernel-panic"));
}

#[test]
fn human_view_streams_findings_and_ctrl_c_saves_under_the_default_name() {
    let log = std::fs::read(fixture("low_battery.uart.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let captures = dir.path().join("data").join("captures");
    let phone = Pty::open().unwrap();
    let port = phone.path().to_str().unwrap().to_string();
    let mut child = Running(
        mtkbench(dir.path())
            .args(["diagnose", "uart", "--port", &port])
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert!(
        wait_until(LIMIT, || partial_in(&captures).is_some()),
        "no partial file in {}",
        captures.display()
    );
    let player = play(phone, log.clone());

    // The running view tells what the log shows while the capture still runs.
    let mut seen = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !seen
        .iter()
        .any(|l: &String| l.starts_with("boot 2: ended by"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        seen.push(rx.recv_timeout(left).expect("the live view went quiet"));
    }
    let text = seen.join("\n");
    assert!(
        text.contains("Capturing") && text.contains(".partial"),
        "{text}"
    );
    // How far a boot got when it is first reported depends on how the bytes were read.
    assert!(text.contains("boot 1: started at L2"), "{text}");
    assert!(text.contains("boot 2: started at L42"), "{text}");
    let ended = text
        .find("boot 1: ended by low battery (L39)")
        .expect(&text);
    let finding = text
        .find("finding: Battery too low to boot (L38)")
        .expect(&text);
    let second = text.find("boot 2: started").unwrap();
    assert!(ended < finding && finding < second, "in log order: {text}");
    let _phone = player.join().unwrap();

    // Ctrl-C: the handler is installed before the partial file exists.
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, stdout) = finish(&mut child);
    let rest: Vec<String> = rx.iter().collect();
    let rest = rest.join("\n");
    assert!(status.success(), "{text}\n{rest}");
    assert!(
        rest.contains("Capture ended (stopped with Ctrl-C)"),
        "{rest}"
    );

    let saved: Vec<PathBuf> = std::fs::read_dir(&captures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("uart-") && name.ends_with("Z.log"),
        "{name}"
    );
    assert_eq!(std::fs::read(&saved[0]).unwrap(), log);
    assert!(rest.contains(name), "the end line names the file: {rest}");

    // stdout carries the same report as `diagnose log`.
    let report = String::from_utf8(stdout).unwrap();
    assert!(report.contains("(UART capture"), "{report}");
    assert!(report.contains("Boot attempts in [1]"), "{report}");
    assert!(report.contains("(battery-too-low)"), "{report}");
}

#[test]
fn a_missing_adapter_is_bad_input_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cap.log");
    let mut child = Running(
        mtkbench(dir.path())
            .args(["diagnose", "uart", "--port", "/dev/ttyUSB-mtkbench-missing"])
            .arg("--out")
            .arg(&out)
            .spawn()
            .unwrap(),
    );
    let (status, stdout) = finish(&mut child);
    let mut stderr = String::new();
    let _ = child.0.stderr.take().unwrap().read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("cannot open the UART adapter"), "{stderr}");
    assert!(
        stderr.contains("next:") && stderr.contains("/dev/ttyUSB0"),
        "{stderr}"
    );
    assert!(!out.exists() && partial_in(dir.path()).is_none());
}
