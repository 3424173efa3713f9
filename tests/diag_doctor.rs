//! The host doctor reading a fabricated Linux file tree, and the `doctor` command.

mod common;

use std::{fs, path::Path};

use common::mtkbench;
use mtkbench::diag::doctor::{self, HostFacts, Level, ModuleState, PackageManager};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A Debian-like machine where user `tech` (uid 1000) is not in dialout, ModemManager and
/// brltty run, and cdc_acm exists as a module but is not loaded.
fn broken_root(root: &Path) {
    write(root, "proc/1/comm", "systemd\n");
    write(root, "proc/412/comm", "ModemManager\n");
    write(root, "proc/733/comm", "brltty\n");
    write(
        root,
        "proc/self/status",
        "Name:\tmtkbench\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t24 27 1000\n",
    );
    write(
        root,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ntech:x:1000:1000:Tech,,,:/home/tech:/bin/bash\n",
    );
    write(
        root,
        "etc/group",
        "root:x:0:\ndialout:x:20:\ncdrom:x:24:tech\nsudo:x:27:tech\ntech:x:1000:\n",
    );
    write(
        root,
        "usr/lib/udev/rules.d/77-mm-mtk-port-types.rules",
        "ACTION!=\"add|change|move|bind\", GOTO=\"mm_mtk_port_types_end\"\n# MediaTek modems\nATTRS{idVendor}==\"0e8d\", ATTRS{idProduct}==\"00a1\", ENV{ID_MM_PORT_TYPE_AT_PRIMARY}=\"1\"\n",
    );
    write(root, "usr/lib/udev/rules.d/85-brltty.rules", "# brltty\n");
    write(root, "usr/bin/brltty", "");
    write(root, "usr/bin/apt-get", "");
    write(root, "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n");
    write(
        root,
        "lib/modules/6.1.0-13-amd64/modules.dep",
        "kernel/drivers/usb/class/cdc-acm.ko: kernel/drivers/usb/core/usbcore.ko\n",
    );
    write(
        root,
        "lib/modules/6.1.0-13-amd64/modules.builtin",
        "kernel/drivers/usb/core/usbcore.ko\n",
    );
}

#[test]
fn facts_are_gathered_from_the_file_tree() {
    let dir = tempfile::tempdir().unwrap();
    broken_root(dir.path());
    let facts = HostFacts::gather_at(dir.path());
    assert!(facts.processes.contains(&"ModemManager".to_string()));
    let user = facts.user.as_ref().unwrap();
    assert_eq!((user.name.as_str(), user.uid), ("tech", 1000));
    assert_eq!(user.groups_configured, ["cdrom", "sudo", "tech"]);
    assert_eq!(user.groups_session, ["cdrom", "sudo", "tech"]);
    assert_eq!(facts.serial_group.as_deref(), Some("dialout"));
    assert_eq!(facts.cdc_acm, ModuleState::Available);
    assert_eq!(facts.package_manager, Some(PackageManager::Apt));
    assert_eq!(facts.udev_rules.len(), 2);
    assert!(facts.brltty.contains(&"/usr/bin/brltty".to_string()));
}

#[test]
fn every_problem_of_a_broken_host_comes_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    broken_root(dir.path());
    let problems = doctor::check(&HostFacts::gather_at(dir.path()));
    let ids: Vec<&str> = problems.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        ["modemmanager", "serial-group", "udev-access", "brltty"]
    );
    let group = &problems[1];
    assert_eq!(group.level, Level::Error);
    assert_eq!(group.fix[0], "sudo usermod -aG dialout tech");
    assert_eq!(problems[3].fix[0], "sudo apt remove brltty");
    assert!(
        problems
            .iter()
            .all(|p| !p.fix.is_empty() && !p.breaks.is_empty())
    );
}

#[test]
fn installing_the_printed_rule_and_joining_the_group_fixes_the_host() {
    let dir = tempfile::tempdir().unwrap();
    broken_root(dir.path());
    write(
        dir.path(),
        "etc/udev/rules.d/70-mtkbench.rules",
        &doctor::udev_rule("dialout"),
    );
    write(
        dir.path(),
        "etc/group",
        "root:x:0:\ndialout:x:20:tech\ncdrom:x:24:tech\nsudo:x:27:tech\ntech:x:1000:\n",
    );
    let facts = HostFacts::gather_at(dir.path());
    let ids: Vec<&str> = doctor::check(&facts).iter().map(|p| p.id).collect();
    // The session predates the group change; brltty is still installed.
    assert_eq!(ids, ["serial-group", "brltty"]);
    assert_eq!(doctor::check(&facts)[0].level, Level::Warning);
    write(
        dir.path(),
        "proc/self/status",
        "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t20 24 27 1000\n",
    );
    let facts = HostFacts::gather_at(dir.path());
    assert!(doctor::port_failure_hints(&facts).is_empty());
}

#[test]
fn a_kernel_without_cdc_acm_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    broken_root(dir.path());
    write(
        dir.path(),
        "lib/modules/6.1.0-13-amd64/modules.dep",
        "kernel/drivers/usb/core/usbcore.ko:\n",
    );
    let facts = HostFacts::gather_at(dir.path());
    assert_eq!(facts.cdc_acm, ModuleState::Missing);
    let hints = doctor::port_failure_hints(&facts);
    let cdc = hints.iter().find(|p| p.id == "cdc-acm").unwrap();
    assert_eq!(
        cdc.fix,
        [
            "sudo apt install linux-modules-extra-$(uname -r)",
            "sudo modprobe cdc_acm"
        ]
    );
    assert!(
        hints.iter().all(|p| p.id != "brltty"),
        "brltty does not block the phone's port"
    );
}

#[test]
fn cli_prints_the_udev_rule_alone() {
    let out = mtkbench(&["doctor", "--udev-rule"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ENV{ID_MM_DEVICE_IGNORE}=\"1\""), "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with('#') || l.starts_with("SUBSYSTEM==")),
        "{text}"
    );
}

#[test]
fn cli_doctor_reports_in_json() {
    let out = mtkbench(&["--json", "doctor"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["os"], std::env::consts::OS);
    assert_eq!(v["checked"], cfg!(target_os = "linux"));
    for p in v["problems"].as_array().unwrap() {
        assert!(p["fix"].as_array().is_some_and(|f| !f.is_empty()), "{p}");
    }
    // Every check made is listed, fine or not, so "checked and fine" differs from "not checked".
    let checks = v["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "modemmanager",
            "serial-group",
            "udev-access",
            "cdc-acm",
            "brltty"
        ]
    );
    let problems = v["problems"].as_array().unwrap().len();
    let flagged = checks.iter().filter(|c| c["status"] == "problem").count();
    assert_eq!(flagged, problems);
    for c in checks {
        assert!(!c["looked_at"].as_str().unwrap().is_empty());
        let want = if cfg!(target_os = "linux") {
            c["problem"].is_null() == (c["status"] == "ok")
        } else {
            c["status"] == "skipped"
        };
        assert!(want, "{c}");
    }
}
