//! `library match` end to end: a simulated phone is identified through the real serial path,
//! its fingerprint saved, a library holding every `sim --write-rom` variant is scanned, and the
//! library is ranked for the phone: the fitting package first, each other variant with the
//! verdict and the reason its flaw calls for, the wrong storage type refused.

mod device_support;

use device_support::cli::Bench;
use serde_json::Value;

const VARIANTS: [&str; 7] = [
    "fits",
    "wrong-lcm",
    "other-layout",
    "other-board",
    "bad-checksum",
    "nvram-inside",
    "nand",
];

fn entry<'a>(matches: &'a [Value], package: &str) -> &'a Value {
    matches
        .iter()
        .find(|m| m["package"] == package)
        .unwrap_or_else(|| panic!("no {package} in {matches:?}"))
}

#[test]
fn a_library_of_every_variant_is_ranked_for_the_identified_phone() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let fingerprint = bench.path("phone.json");
    let out = bench.device(&sim, "identify", &["--save", fingerprint.to_str().unwrap()]);
    assert!(out.ok(), "{}", out.stderr);
    sim.replugged();

    let lib = bench.path("lib");
    for v in VARIANTS {
        let dir = lib.join(v);
        let out = bench.run(&["sim", "--write-rom", dir.to_str().unwrap(), "--variant", v]);
        assert!(out.ok(), "{v}: {}", out.stderr);
    }
    let l = lib.to_str().unwrap();
    assert!(bench.run(&["library", "scan", "--library", l]).ok());
    let out = bench.run(&[
        "--json",
        "library",
        "match",
        "--library",
        l,
        "--fingerprint",
        fingerprint.to_str().unwrap(),
    ]);
    let r = out.json();
    assert_eq!(r["profile"], "a516_row");
    assert_eq!(r["board"]["best"], "a516_row");
    let m = r["matches"].as_array().unwrap();
    assert_eq!(m.len(), VARIANTS.len());
    assert_eq!(m[0]["package"], "fits", "{r:#}");
    assert_eq!(m[0]["verdict"], "fits");
    assert_eq!(m[0]["display"], "works");
    let rank = |v: &Value| match v["verdict"].as_str().unwrap() {
        "fits" => 0,
        "risky" => 1,
        _ => 2,
    };
    assert!(m.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])));
    assert_eq!(entry(m, "nand")["verdict"], "refused");
    assert_eq!(entry(m, "wrong-lcm")["display"], "white-screen");
    assert_eq!(entry(m, "other-layout")["download_only"], false);
    assert_eq!(entry(m, "other-board")["skip"][0], "PRELOADER");
    assert_eq!(
        entry(m, "nvram-inside")["skip"].as_array().unwrap().len(),
        4
    );
    let sum = entry(m, "bad-checksum")["reasons"][0]["text"]
        .as_str()
        .unwrap();
    assert!(sum.contains("Checksum.ini"), "{sum}");

    // The same in words.
    let out = bench.run(&[
        "library",
        "match",
        "--library",
        l,
        "--fingerprint",
        fingerprint.to_str().unwrap(),
    ]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Board: board a516_row"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("FITS    fits"), "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        out.stdout
    );

    // The same, identifying the phone on its port first.
    let out = bench.run(&[
        "--json",
        "library",
        "match",
        "--library",
        l,
        "--port",
        &sim.port,
        "--da",
        bench.da().to_str().unwrap(),
    ]);
    let live = out.json();
    sim.replugged();
    assert_eq!(live["profile"], "a516_row");
    let order = |v: &Value| -> Vec<String> {
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{} {}", m["package"], m["verdict"]))
            .collect()
    };
    assert_eq!(order(&live), order(&r));
}

#[test]
fn a_file_that_is_no_fingerprint_says_how_to_make_one() {
    let bench = Bench::new();
    let f = bench.path("x.json");
    std::fs::write(&f, "{\"hello\": 1}").unwrap();
    std::fs::create_dir_all(bench.path("lib")).unwrap();
    let out = bench.run(&[
        "library",
        "match",
        "--library",
        bench.path("lib").to_str().unwrap(),
        "--fingerprint",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("identify --port P --save FILE"),
        "{}",
        out.stderr
    );
}
