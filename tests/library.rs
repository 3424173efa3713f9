//! The ROM library on a small library built here in a temporary folder: a ROM folder, a ROM
//! folder nested deeper, a zip, and a broken zip. Scan, rescan without reading, change one
//! image, delete a package, list; then the same through the built binary.

mod common;

use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
    process::Output,
};

use common::{
    json,
    rom::{scatter_of, write_folder, write_zip},
};
use mtkbench::{
    firmware::{rom::Severity, scatter::Region, synth},
    library::{self, LibraryIndex, ScanEvent, ScanSummary, index::Outcome},
};

/// Where each package of the test library sits, relative to the library root.
const A516: &str = "a516/S118";
const FLY: &str = "fly/iq4404/v2/rom";
const KONKA: &str = "zips/konka.zip";
const BROKEN: &str = "zips/broken.zip";

/// A V1 scatter naming a preloader, lk.bin and system.img.
fn scatter(project: &str) -> String {
    scatter_of(
        "MT6572",
        project,
        &[
            (
                "PRELOADER",
                "preloader.bin",
                true,
                0x0,
                0x100000,
                Region::EmmcBoot1,
            ),
            (
                "UBOOT",
                "lk.bin",
                true,
                0x100000,
                0x100000,
                Region::EmmcUser,
            ),
            (
                "ANDROID",
                "system.img",
                true,
                0x200000,
                0x100000,
                Region::EmmcUser,
            ),
        ],
    )
}

/// The files of one ROM package, by name.
fn rom_files(project: &str, panel: &str, system_len: usize) -> Vec<(&'static str, Vec<u8>)> {
    let system: Vec<u8> = (0..system_len).map(|i| (i * 7 + 3) as u8).collect();
    vec![
        ("MT6572_Android_scatter.txt", scatter(project).into_bytes()),
        ("preloader.bin", synth::preloader(project, 11)),
        ("lk.bin", synth::lk_image(&[panel])),
        ("system.img", system),
    ]
}

/// Sum of the image sizes of a package made by [`rom_files`] (the scatter is not an image).
fn image_bytes(files: &[(&str, Vec<u8>)]) -> u64 {
    files
        .iter()
        .filter(|(name, _)| !name.ends_with(".txt"))
        .map(|(_, b)| b.len() as u64)
        .sum()
}

/// A library in a temporary folder, with its own cache folder for the index.
struct Workshop {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    index: PathBuf,
}

impl Workshop {
    fn new() -> Workshop {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("library");
        std::fs::create_dir_all(&root).unwrap();
        Workshop {
            index: base.join("cache").join(library::INDEX_FILE),
            root,
            base,
            _tmp: tmp,
        }
    }

    /// The four packages; returns the image bytes of the three good ones.
    fn stock(&self) -> u64 {
        let a = rom_files("a516_s118", "hx8379a_fwvga_dsi_vdo", 3000);
        let f = rom_files("fly_iq4404", "otm8018b_dsi_vdo", 5000);
        let k = rom_files("konka72_i128", "ili9806e_fwvga_dsi_vdo", 4000);
        self.folder(A516, &a);
        self.folder(FLY, &f);
        self.zip(KONKA, "konka/", &k);
        self.write(
            BROKEN,
            b"PK\x03\x04 this zip was cut short while downloading",
        );
        std::fs::create_dir_all(self.root.join("notes")).unwrap();
        self.write("notes/readme.txt", b"not a ROM");
        image_bytes(&a) + image_bytes(&f) + image_bytes(&k)
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn folder(&self, rel: &str, files: &[(&str, Vec<u8>)]) {
        write_folder(&self.root.join(rel), files);
    }

    fn zip(&self, rel: &str, prefix: &str, files: &[(&str, Vec<u8>)]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_zip(&path, prefix, files);
    }

    /// Scans, returning the summary and every event in order.
    fn scan(&self) -> (ScanSummary, Vec<ScanEvent>) {
        let mut events = Vec::new();
        let summary = library::scan(&self.root, &self.index, &mut |e| events.push(e)).unwrap();
        (summary, events)
    }

    fn load(&self) -> LibraryIndex {
        LibraryIndex::load(&self.index)
    }

    /// The indexed SHA-256 of a folder package's system.img.
    fn system_sha(&self, rel: &str) -> String {
        let index = self.load();
        let Outcome::Ok(facts) = &index.packages[&self.root.join(rel)].outcome else {
            panic!("{rel} not inspected");
        };
        let system = facts.images.iter().find(|i| i.partition == "ANDROID");
        system.unwrap().sha256.clone().unwrap()
    }

    /// The packages each `Package` event named as read (not reused), in order.
    fn read_in(events: &[ScanEvent]) -> Vec<PathBuf> {
        events
            .iter()
            .filter_map(|e| match e {
                ScanEvent::Package {
                    path,
                    reused: false,
                    ..
                } => Some(path.clone()),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn first_scan_indexes_every_package_in_event_order() {
    let w = Workshop::new();
    let good_bytes = w.stock();
    let (summary, events) = w.scan();

    assert_eq!(summary.root, w.root);
    assert_eq!(summary.packages, 4);
    assert_eq!(summary.inspected, 4);
    assert_eq!((summary.reused, summary.removed, summary.failed), (0, 0, 1));
    assert_eq!(summary.bytes_hashed, good_bytes);

    assert_eq!(events.first(), Some(&ScanEvent::Found { packages: 4 }));
    assert_eq!(events.last(), Some(&ScanEvent::Finished(summary.clone())));
    let expected: Vec<PathBuf> = [A516, FLY, BROKEN, KONKA].map(PathBuf::from).into();
    assert_eq!(Workshop::read_in(&events), expected);
    let mut last_done = 0;
    for e in &events {
        if let ScanEvent::Bytes { done, total } = e {
            assert!(*done > last_done && *total > 0, "{e:?}");
            last_done = *done;
        }
    }
    assert_eq!(last_done, good_bytes);

    let index = w.load();
    assert_eq!(index.packages.len(), 4);
    match &index.packages[&w.root.join(BROKEN)].outcome {
        Outcome::Failed(reason) => assert!(reason.contains("zip"), "{reason}"),
        other => panic!("broken zip indexed as {other:?}"),
    }
}

#[test]
fn rescan_reads_nothing_when_nothing_changed() {
    let w = Workshop::new();
    w.stock();
    w.scan();
    let saved = std::fs::read(&w.index).unwrap();
    let sha = w.system_sha(A516);

    // Same size, same modification time, other content: a rescan must not notice, which
    // proves it did not read the file (the fingerprint is all it looks at).
    let system = w.root.join(A516).join("system.img");
    let mtime = std::fs::metadata(&system).unwrap().modified().unwrap();
    std::fs::write(&system, vec![0xA5u8; 3000]).unwrap();
    File::options()
        .write(true)
        .open(&system)
        .unwrap()
        .set_modified(mtime)
        .unwrap();

    let (summary, events) = w.scan();
    assert_eq!(summary.inspected, 0);
    assert_eq!(summary.bytes_hashed, 0);
    assert_eq!((summary.reused, summary.failed), (4, 1));
    assert!(Workshop::read_in(&events).is_empty());
    assert!(!events.iter().any(|e| matches!(e, ScanEvent::Bytes { .. })));
    assert_eq!(w.system_sha(A516), sha);
    assert_eq!(std::fs::read(&w.index).unwrap(), saved, "index rewritten");
}

#[test]
fn a_grown_image_rereads_only_its_package() {
    let w = Workshop::new();
    w.stock();
    w.scan();
    let before = w.system_sha(FLY);

    let mut system = File::options()
        .append(true)
        .open(w.root.join(FLY).join("system.img"))
        .unwrap();
    system.write_all(&[1, 2, 3]).unwrap();
    drop(system);

    let (summary, events) = w.scan();
    assert_eq!((summary.inspected, summary.reused), (1, 3));
    assert_eq!(Workshop::read_in(&events), [PathBuf::from(FLY)]);
    let fly_images = image_bytes(&rom_files("fly_iq4404", "otm8018b_dsi_vdo", 5000)) + 3;
    assert_eq!(summary.bytes_hashed, fly_images);
    assert_ne!(w.system_sha(FLY), before);
}

#[test]
fn a_deleted_package_is_removed_and_other_roots_are_kept() {
    let w = Workshop::new();
    w.stock();
    w.scan();

    // A second library sharing the same index.
    let other = w.base.join("other-library");
    std::fs::create_dir_all(&other).unwrap();
    for (name, bytes) in rom_files("other_board", "nt35512_wvga_dsi_vdo", 100) {
        std::fs::write(other.join(name), bytes).unwrap();
    }
    library::scan(&other, &w.index, &mut |_| {}).unwrap();

    std::fs::remove_file(w.root.join(KONKA)).unwrap();
    let root = library::open_root(&w.root).unwrap();
    let rows = library::list(&w.load(), &root);
    assert_eq!(library::vanished(&root, &rows), [PathBuf::from(KONKA)]);

    let (summary, _) = w.scan();
    assert_eq!(
        (summary.packages, summary.removed, summary.inspected),
        (3, 1, 0)
    );
    let index = w.load();
    assert!(!index.packages.contains_key(&w.root.join(KONKA)));
    assert!(index.packages.contains_key(&other), "other library dropped");
    assert!(library::vanished(&root, &library::list(&index, &root)).is_empty());
}

#[test]
fn list_rows_carry_the_inspected_facts() {
    let w = Workshop::new();
    w.stock();
    w.scan();
    let rows = library::list(&w.load(), &w.root);
    let paths: Vec<PathBuf> = rows.iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [A516, FLY, BROKEN, KONKA].map(PathBuf::from));

    // The row carries the very facts `rom inspect` reports (without the decoded headers).
    let a = &rows[0];
    let f = a.facts.as_ref().unwrap();
    assert_eq!(f.project.as_deref(), Some("a516_s118"));
    assert_eq!(f.platform.as_deref(), Some("MT6572"));
    assert_eq!(f.storage, mtkbench::firmware::storage::StorageKind::Emmc);
    assert_eq!((f.images_present(), f.images.len()), (3, 3));
    let pre = f.preloader.as_ref().unwrap();
    assert_eq!(pre.identity.project.as_deref(), Some("a516_s118"));
    assert_eq!(f.lcm.lk, ["hx8379a_fwvga_dsi_vdo"]);
    assert_eq!(f.count(Severity::Error), 0, "{a:?}");
    assert_eq!(a.failure, None);
    let inspected = mtkbench::firmware::rom::inspect(&w.root.join(A516)).unwrap();
    assert_eq!(f, &inspected.facts.without_details());

    let konka = &rows[3];
    assert_eq!(konka.kind, library::discover::PackageKind::Zip);
    assert_eq!(
        konka.facts.as_ref().unwrap().lcm.lk,
        ["ili9806e_fwvga_dsi_vdo"]
    );
    assert!(rows[2].failure.is_some() && rows[2].facts.is_none());
}

/// Runs the built binary with every folder it uses moved into the workshop.
fn mtkbench(w: &Workshop, library: &Path, args: &[&str]) -> Output {
    common::mtkbench_in(&w.base)
        .args(args)
        .env("MTKBENCH_LIBRARY", library)
        .output()
        .unwrap()
}

#[test]
fn cli_scan_and_list_in_json_and_text() {
    let w = Workshop::new();
    let good_bytes = w.stock();

    let out = mtkbench(&w, &w.root, &["library", "scan", "--json"]);
    let scan = json(&out);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(scan["root"], w.root.to_str().unwrap());
    assert_eq!(scan["packages"], 4);
    assert_eq!(scan["inspected"], 4);
    assert_eq!(scan["reused"], 0);
    assert_eq!(scan["removed"], 0);
    assert_eq!(scan["failed"], 1);
    assert_eq!(scan["bytes_hashed"], good_bytes);
    assert!(scan["seconds"].is_u64());
    assert!(w.index.is_file(), "index not in the cache folder");

    let list = json(&mtkbench(&w, &w.root, &["library", "list", "--json"]));
    let packages = list["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 4);
    assert_eq!(packages[0]["path"], A516);
    assert_eq!(packages[0]["facts"]["project"], "a516_s118");
    assert_eq!(packages[0]["facts"]["images"].as_array().unwrap().len(), 3);
    assert_eq!(packages[3]["kind"], "zip");
    assert!(packages[2]["failure"].is_string());
    assert_eq!(list["vanished"].as_array().unwrap().len(), 0);

    // Text, not a terminal: no progress for unchanged packages, a summary on stdout.
    let out = mtkbench(&w, &w.root, &["library", "scan"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("0 read, 4 unchanged"), "{text}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("reading"));

    // --library wins over MTKBENCH_LIBRARY.
    let nowhere = w.base.join("nowhere");
    let out = mtkbench(
        &w,
        &nowhere,
        &["library", "list", "--library", w.root.to_str().unwrap()],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("a516/S118"), "{text}");
    assert!(text.contains("hx8379a_fwvga_dsi_vdo"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn cli_list_before_any_scan_points_to_scan() {
    let w = Workshop::new();
    w.stock();
    let out = mtkbench(&w, &w.root, &["library", "list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("run `mtkbench library scan`"), "{text}");
}

#[test]
fn cli_missing_library_is_bad_input_with_a_way_out() {
    let w = Workshop::new();
    let missing = w.base.join("no-such-library");
    for args in [["library", "scan"], ["library", "list"]] {
        let out = mtkbench(&w, &missing, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("does not exist"), "{err}");
        assert!(err.contains("--library DIR"), "{err}");
        assert!(err.contains("MTKBENCH_LIBRARY"), "{err}");
    }
}
