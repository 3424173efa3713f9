//! `mtkbench sim` as a process: the JSON announcement, a host session on the announced port,
//! `--once`, `--write-da`, bad input, and mtkclient's serial handshake on many opens in a row. Every wait has a deadline and the child is killed
//! (by its own handle) if it outlives the test.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use mtkbench::{
    protocol::{brom, da_file::DaFile, handshake::HostHandshake},
    transport::{SerialTransport, run_exchange},
};

mod device_support;

fn mtkbench(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mtkbench"));
    for (var, sub) in [
        ("MTKBENCH_CONFIG_DIR", "config"),
        ("MTKBENCH_DATA_DIR", "data"),
        ("MTKBENCH_CACHE_DIR", "cache"),
        ("MTKBENCH_LOG_DIR", "logs"),
    ] {
        cmd.env(var, dir.join(sub));
    }
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

/// The lines the child prints, as they come.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The first line the child prints, within `limit`.
fn first_line(child: &mut Child, limit: Duration) -> String {
    stdout_lines(child)
        .recv_timeout(limit)
        .expect("mtkbench sim printed nothing")
}

/// Starts `mtkbench sim --json` on `image` (with `extra` arguments) and returns it with its
/// announcement and the lines it prints after it.
fn start_sim(
    dir: &Path,
    image: &Path,
    extra: &[&str],
) -> (Running, serde_json::Value, mpsc::Receiver<String>) {
    let mut sim = Running(
        mtkbench(dir)
            .args(["sim", "--json", "--image"])
            .arg(image)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let lines = stdout_lines(&mut sim.0);
    let line = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("mtkbench sim printed nothing");
    let v = serde_json::from_str(&line).unwrap();
    (sim, v, lines)
}

#[test]
fn json_announces_the_port_and_once_exits_after_the_host_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("bench.img");
    let (mut sim, v, _) = start_sim(dir.path(), &image, &["--once"]);
    assert_eq!(v["image"], image.to_str().unwrap());
    assert_eq!(v["profile"], "a516_row");
    assert_eq!(v["storage"], "emmc");
    assert_eq!(v["mode"], "brom");
    assert_eq!(v["created"], true);
    let port = v["port"].as_str().unwrap().to_string();
    assert!(port.starts_with("/dev/pts/"), "{port}");

    let mut t = SerialTransport::open(&port).unwrap();
    run_exchange(&mut t, &mut HostHandshake::new()).unwrap();
    let hw = run_exchange(&mut t, &mut brom::get_hw_code()).unwrap();
    assert_eq!(hw.hw_code, 0x6572);
    drop(t);

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = sim.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "--once did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    assert!(image.is_file());
    assert!(dir.path().join("bench.img.json").is_file());
}

#[test]
fn an_mtkclient_style_handshake_completes_on_every_one_of_100_opens() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, v, _) = start_sim(dir.path(), &dir.path().join("phone.img"), &[]);
    let port = Path::new(v["port"].as_str().unwrap()).to_path_buf();
    for round in 0..100 {
        // Each open comes right after the last close, and each handshake leaves the phone
        // past it: only a phone that saw the close as an unplug answers the next one. A phone
        // that answers a byte after mtkclient has looked leaves it one byte behind for good
        // (40 bytes are ten tries of the whole handshake); mtkclient then reconnects, as here
        // up to three opens per round. A phone that is late after an open about half the time
        // (as this one was, polling every 10 ms) fails three in a row within 100 rounds almost
        // surely; a loaded machine can still delay an answer now and then.
        let mut failed = Vec::new();
        while let Err(seen) =
            device_support::mtkclient_handshake(&mut device_support::open_raw(&port), 40)
        {
            failed.push(seen);
            assert!(
                failed.len() < 3,
                "round {round}: three opens without a handshake; written and read: {failed:02X?}"
            );
        }
    }
}

#[test]
fn identify_runs_back_to_back_on_the_port_the_phone_announces() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, v, lines) = start_sim(dir.path(), &dir.path().join("phone.img"), &[]);
    let da = v["da_file"].as_str().unwrap().to_string();
    let mut port = v["port"].as_str().unwrap().to_string();
    for round in 0..3 {
        let out = run(
            dir.path(),
            &["identify", "--port", &port, "--da", &da, "--json"],
        );
        assert!(
            out.status.success(),
            "round {round} on {port}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(id["hw_code"], 0x6572, "round {round}");
        // Identify ends the session, and the phone re-enumerates: the next command goes at
        // once to the port it announces (often the same path: the kernel gives the lowest free
        // number, which the old port has just given back).
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("the phone did not come back");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(event["event"], "replugged", "{line}");
        port = event["port"].as_str().unwrap().to_string();
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    mtkbench(dir).args(args).output().unwrap()
}

#[test]
fn write_da_writes_a_simulator_only_da_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("MTK_AllInOne_DA_sim.bin");
    let out = run(dir.path(), &["sim", "--write-da", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SIMULATOR-ONLY"), "{text}");
    let da = DaFile::parse(std::fs::read(&file).unwrap()).unwrap();
    assert!(da.is_simulator_placeholder());
    assert!(da.select(0x6572, 0xCA00, 0).is_ok());

    let out = run(
        dir.path(),
        &["--json", "sim", "--write-da", file.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["simulator_only"], true);
    assert_eq!(
        v["bytes"].as_u64().unwrap(),
        std::fs::metadata(&file).unwrap().len()
    );
}

#[test]
fn bad_faults_exit_2_and_list_the_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["sim", "--fault", "explode=1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown fault \"explode=1\""), "{err}");
    assert!(err.contains("garbage-after=BYTES"), "{err}");
    // Nothing was built.
    // No image was made for the impossible phone (the simulator-only DA from the first run may
    // be there).
    let images = std::fs::read_dir(dir.path().join("data/sim"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "img"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(images, 0);
}

#[test]
fn an_image_of_another_phone_and_impossible_phones_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("p.img");
    let image = image.to_str().unwrap();
    {
        let mut sim = Running(
            mtkbench(dir.path())
                .args(["sim", "--json", "--image", image, "--serial", "A-1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let line = first_line(&mut sim.0, Duration::from_secs(60));
        assert!(line.contains("\"serial\":\"A-1\""), "{line}");
    }
    let out = run(dir.path(), &["sim", "--image", image, "--serial", "B-2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("serial A-1, not B-2"), "{err}");
    assert!(err.contains("--serial"), "{err}");

    let out = run(
        dir.path(),
        &["sim", "--profile", "ref_nand_2k", "--storage", "emmc"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NAND board"), "{err}");
    // No image was made for the impossible phone (the simulator-only DA from the first run may
    // be there).
    let images = std::fs::read_dir(dir.path().join("data/sim"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "img"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(images, 0);

    let out = run(dir.path(), &["sim", "--profile", "nokia3310"]);
    assert_eq!(out.status.code(), Some(2));
}
