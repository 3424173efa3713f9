//! The host doctor: what on this Linux machine will break flashing before a phone is plugged
//! in (ModemManager, udev rules, group membership, brltty, cdc_acm).
//!
//! The checks are pure functions over a [`HostFacts`] snapshot, so they are tested with
//! fabricated facts. [`HostFacts::gather`] (and [`HostFacts::gather_at`], for a fake root) is
//! the one place that reads the system: `/proc`, udev rule folders, `/etc/group`,
//! `/etc/passwd`, `/sys/module`, `/lib/modules`. It never changes anything and never fails:
//! what it cannot read stays unknown. Device commands call [`port_failure_hints`] when a port
//! cannot be opened or does not handshake; `diagnose uart` calls [`uart_failure_hints`] when a
//! USB-serial adapter cannot be opened.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The USB vendor id of MediaTek (BROM 0e8d:0003, preloader 0e8d:2000).
pub const MEDIATEK_VID: &str = "0e8d";

/// Where the printed udev rule should be installed (before ModemManager's 80-mm-candidate).
pub const UDEV_RULE_PATH: &str = "/etc/udev/rules.d/70-mtkbench.rules";

/// Folders udev reads rules from, in the order udev gives them precedence.
const UDEV_DIRS: [&str; 4] = [
    "etc/udev/rules.d",
    "run/udev/rules.d",
    "usr/lib/udev/rules.d",
    "lib/udev/rules.d",
];

/// A snapshot of what the checks need to know about the host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostFacts {
    /// `std::env::consts::OS` (the checks only apply to `linux`).
    pub os: String,
    /// Names (`comm`) of running processes.
    pub processes: Vec<String>,
    /// udev rule files: path and content.
    pub udev_rules: Vec<RuleFile>,
    /// The user running mtkbench, when known.
    pub user: Option<UserFacts>,
    /// The group that owns `/dev/ttyACM*` (from an existing device, else the distribution's
    /// usual group: `dialout` or `uucp`).
    pub serial_group: Option<String>,
    /// Where brltty was found (binaries, udev rules, a running process); empty if nowhere.
    pub brltty: Vec<String>,
    /// Whether the `cdc_acm` driver can be used.
    pub cdc_acm: ModuleState,
    /// The package manager, to print the right removal command.
    pub package_manager: Option<PackageManager>,
}

/// One udev rules file.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFile {
    /// Its path.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// The current user.
#[derive(Debug, Clone, Serialize)]
pub struct UserFacts {
    /// Login name.
    pub name: String,
    /// Numeric user id (0 is root, who can open any port).
    pub uid: u32,
    /// Groups `/etc/group` (and the primary group in `/etc/passwd`) give the user.
    pub groups_configured: Vec<String>,
    /// Groups of the running session (`/proc/self/status`); a group added since login is
    /// missing here until the user logs in again.
    pub groups_session: Vec<String>,
}

/// Availability of a kernel module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    /// Loaded now.
    Loaded,
    /// Built into the kernel.
    BuiltIn,
    /// Present as a module; loads when a device appears.
    Available,
    /// Not in this kernel's modules.
    Missing,
    /// Could not tell (no `/lib/modules` for this kernel, e.g. a container).
    #[default]
    Unknown,
}

/// Package managers the doctor knows the removal command of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageManager {
    /// Debian, Ubuntu, Mint.
    Apt,
    /// Fedora.
    Dnf,
    /// Arch, Manjaro.
    Pacman,
    /// openSUSE.
    Zypper,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Likely to get in the way.
    Warning,
    /// Will stop flashing.
    Error,
}

/// One problem found, with the exact commands that fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Stable id (`modemmanager`, `udev-access`, `serial-group`, `brltty`, `cdc-acm`).
    pub id: &'static str,
    /// How bad it is.
    pub level: Level,
    /// One line.
    pub title: String,
    /// What it breaks.
    pub breaks: String,
    /// What the doctor saw.
    pub found: String,
    /// Commands (or file contents) that fix it, in order.
    pub fix: Vec<String>,
}

/// The commands that install the rule printed by `mtkbench doctor --udev-rule`.
fn install_udev_rule() -> Vec<String> {
    vec![
        format!("mtkbench doctor --udev-rule | sudo tee {UDEV_RULE_PATH}"),
        "sudo udevadm control --reload-rules && sudo udevadm trigger".into(),
    ]
}

/// The udev rule that keeps ModemManager off MediaTek download ports and lets the console
/// user (and `group`) open them.
pub fn udev_rule(group: &str) -> String {
    format!(
        "# MediaTek phones in BROM, preloader and DA mode (USB vendor {MEDIATEK_VID}).\n\
         # Written by `mtkbench doctor --udev-rule`; install as {UDEV_RULE_PATH}\n\
         SUBSYSTEM==\"usb\", ATTRS{{idVendor}}==\"{MEDIATEK_VID}\", ENV{{ID_MM_DEVICE_IGNORE}}=\"1\"\n\
         SUBSYSTEM==\"tty\", ATTRS{{idVendor}}==\"{MEDIATEK_VID}\", ENV{{ID_MM_DEVICE_IGNORE}}=\"1\", \
         MODE=\"0660\", GROUP=\"{group}\", TAG+=\"uaccess\"\n"
    )
}

/// True when the facts are from Linux, where the checks apply.
pub fn applies(facts: &HostFacts) -> bool {
    facts.os == "linux"
}

/// What became of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Checked and fine.
    Ok,
    /// Checked, and the problem is in `problem`.
    Problem,
    /// Not checked (the checks are Linux-only).
    Skipped,
}

/// One check the doctor makes, whatever it found: a support script tells "checked and fine"
/// from "not checked".
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Stable id, the same as the problem's when there is one.
    pub id: &'static str,
    /// What the check looked at.
    pub looked_at: &'static str,
    /// Ok, problem or skipped.
    pub status: CheckStatus,
    /// The problem, when there is one.
    pub problem: Option<Problem>,
}

type CheckFn = fn(&HostFacts) -> Option<Problem>;

/// Every check: id, what it looks at, the check, in order of how often it breaks a session.
const CHECKS: [(&str, &str, CheckFn); 5] = [
    (
        "modemmanager",
        "running processes (ModemManager) and udev rules that make it ignore 0e8d devices",
        check_modemmanager,
    ),
    (
        "serial-group",
        "the group that owns /dev/ttyACM*, and whether this user is in it (and in this session)",
        check_serial_group,
    ),
    (
        "udev-access",
        "udev rules that give this user access to MediaTek (0e8d) serial ports",
        check_udev_access,
    ),
    (
        "cdc-acm",
        "the cdc_acm kernel module (loaded, built in, or missing)",
        check_cdc_acm,
    ),
    (
        "brltty",
        "brltty, which takes USB-serial adapters, installed or running",
        check_brltty,
    ),
];

/// Every check with its result; off Linux every one is skipped.
pub fn checks(facts: &HostFacts) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .map(|&(id, looked_at, run)| {
            let (status, problem) = if !applies(facts) {
                (CheckStatus::Skipped, None)
            } else {
                match run(facts) {
                    Some(p) => (CheckStatus::Problem, Some(p)),
                    None => (CheckStatus::Ok, None),
                }
            };
            CheckResult {
                id,
                looked_at,
                status,
                problem,
            }
        })
        .collect()
}

/// The problems among [`checks`], in the same order. Empty off Linux.
pub fn check(facts: &HostFacts) -> Vec<Problem> {
    checks(facts)
        .into_iter()
        .filter_map(|c| c.problem)
        .collect()
}

/// The checks that explain a download port that cannot be opened or does not handshake
/// (ModemManager, permissions, cdc_acm). brltty is left out: it takes USB-serial UART
/// adapters, not the phone's own port.
pub fn port_failure_hints(facts: &HostFacts) -> Vec<Problem> {
    check(facts)
        .into_iter()
        .filter(|p| p.id != "brltty")
        .collect()
}

/// The checks that explain a USB-serial UART adapter (CH340, CP210x, FTDI, usually
/// `/dev/ttyUSB*`) that cannot be opened: brltty taking it, and the serial-port group. The
/// checks about MediaTek's own ports (the ModemManager rule, udev access for 0e8d, cdc_acm)
/// are left out: the adapter is not a MediaTek device and does not use cdc_acm.
pub fn uart_failure_hints(facts: &HostFacts) -> Vec<Problem> {
    check(facts)
        .into_iter()
        .filter(|p| matches!(p.id, "brltty" | "serial-group"))
        .collect()
}

/// Non-comment lines of all rule files, with `\` continuations joined.
fn rule_lines(facts: &HostFacts) -> impl Iterator<Item = String> + '_ {
    facts.udev_rules.iter().flat_map(|f| {
        let mut out = Vec::new();
        let mut pending = String::new();
        for line in f.text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                continue;
            }
            pending.push_str(line);
            if !pending.is_empty() {
                out.push(std::mem::take(&mut pending).to_ascii_lowercase());
            }
        }
        out
    })
}

fn mentions_mediatek(line: &str) -> bool {
    line.contains(&format!("\"{MEDIATEK_VID}\""))
}

/// A rule tells ModemManager to leave MediaTek devices alone.
fn ignores_mediatek(facts: &HostFacts) -> bool {
    rule_lines(facts).any(|l| mentions_mediatek(&l) && l.contains("env{id_mm_device_ignore}=\"1\""))
}

/// A rule gives someone access to MediaTek devices.
fn grants_mediatek_access(facts: &HostFacts) -> bool {
    rule_lines(facts).any(|l| {
        mentions_mediatek(&l)
            && (l.contains("mode=") || l.contains("group=") || l.contains("uaccess"))
    })
}

fn check_modemmanager(facts: &HostFacts) -> Option<Problem> {
    let running = facts.processes.iter().any(|p| p == "ModemManager");
    if !running || ignores_mediatek(facts) {
        return None;
    }
    let mut fix = install_udev_rule();
    fix.push("or, while you work: sudo systemctl stop ModemManager".into());
    Some(Problem {
        id: "modemmanager",
        level: Level::Error,
        title: "ModemManager is running and may grab the phone's port".into(),
        breaks: "ModemManager opens every new /dev/ttyACM port to probe it for a modem; the \
                 phone's download port lives only seconds, and the probe garbles or steals \
                 the handshake"
            .into(),
        found: format!(
            "a running ModemManager process and no udev rule with \
             ENV{{ID_MM_DEVICE_IGNORE}}=\"1\" for {MEDIATEK_VID} devices"
        ),
        fix,
    })
}

fn check_serial_group(facts: &HostFacts) -> Option<Problem> {
    let user = facts.user.as_ref()?;
    let group = facts.serial_group.as_ref()?;
    if user.uid == 0 {
        return None;
    }
    if !user.groups_configured.contains(group) {
        return Some(Problem {
            id: "serial-group",
            level: Level::Error,
            title: format!("{} is not in the `{group}` group", user.name),
            breaks: "without it the phone's /dev/ttyACM port cannot be opened (permission \
                     denied) unless a udev rule gives access"
                .into(),
            found: format!(
                "/dev/ttyACM* belong to group `{group}`; {} is in: {}",
                user.name,
                list_or_none(&user.groups_configured)
            ),
            fix: vec![
                format!("sudo usermod -aG {group} {}", user.name),
                "then log out and back in (or reboot) so the session gets the group".into(),
            ],
        });
    }
    if !user.groups_session.is_empty() && !user.groups_session.contains(group) {
        return Some(Problem {
            id: "serial-group",
            level: Level::Warning,
            title: format!("the `{group}` group is not active in this session yet"),
            breaks: "the group was added after this login, so ports still cannot be opened".into(),
            found: format!(
                "{} is in `{group}` in /etc/group, but this session's groups are: {}",
                user.name,
                list_or_none(&user.groups_session)
            ),
            fix: vec![
                "log out and back in (or reboot)".into(),
                format!("or, in this terminal only: newgrp {group}"),
            ],
        });
    }
    None
}

fn check_udev_access(facts: &HostFacts) -> Option<Problem> {
    let is_root = facts.user.as_ref().is_some_and(|u| u.uid == 0);
    if is_root || grants_mediatek_access(facts) {
        return None;
    }
    let in_group = match (&facts.user, &facts.serial_group) {
        (Some(u), Some(g)) => u.groups_configured.contains(g),
        _ => false,
    };
    Some(Problem {
        id: "udev-access",
        level: if in_group {
            Level::Warning
        } else {
            Level::Error
        },
        title: format!("no udev rule gives access to MediaTek ({MEDIATEK_VID}) ports"),
        breaks: "the download port may come up owned by root only, and nothing marks it for \
                 ModemManager to ignore"
            .into(),
        found: format!(
            "none of {} udev rule files mentions {MEDIATEK_VID} with MODE, GROUP or uaccess",
            facts.udev_rules.len()
        ),
        fix: install_udev_rule(),
    })
}

fn check_cdc_acm(facts: &HostFacts) -> Option<Problem> {
    if facts.cdc_acm != ModuleState::Missing {
        return None;
    }
    let install = match facts.package_manager {
        Some(PackageManager::Apt) => "sudo apt install linux-modules-extra-$(uname -r)".into(),
        _ => "install your distribution's full kernel modules package for $(uname -r)".into(),
    };
    Some(Problem {
        id: "cdc-acm",
        level: Level::Error,
        title: "the cdc_acm driver is not available".into(),
        breaks: "the phone's BROM and preloader ports are USB CDC-ACM devices; without \
                 cdc_acm no /dev/ttyACM port appears at all"
            .into(),
        found: "cdc_acm is neither loaded, built in, nor among this kernel's modules".into(),
        fix: vec![install, "sudo modprobe cdc_acm".into()],
    })
}

fn check_brltty(facts: &HostFacts) -> Option<Problem> {
    if facts.brltty.is_empty() {
        return None;
    }
    let remove = match facts.package_manager {
        Some(PackageManager::Apt) => "sudo apt remove brltty",
        Some(PackageManager::Dnf) => "sudo dnf remove brltty",
        Some(PackageManager::Pacman) => "sudo pacman -Rns brltty",
        Some(PackageManager::Zypper) => "sudo zypper remove brltty",
        None => "remove the brltty package with your package manager",
    };
    Some(Problem {
        id: "brltty",
        level: Level::Warning,
        title: "brltty is installed".into(),
        breaks: "brltty claims common USB-serial chips (CH340, CP210x, FTDI), so a UART \
                 adapter for the phone's boot log disconnects as soon as it is plugged in"
            .into(),
        found: format!("brltty found at: {}", facts.brltty.join(", ")),
        fix: vec![
            remove.into(),
            "or keep it and stop it claiming adapters: sudo systemctl mask brltty-udev.service"
                .into(),
        ],
    })
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

impl HostFacts {
    /// Reads the facts from this machine.
    pub fn gather() -> HostFacts {
        let mut facts = HostFacts::gather_at(Path::new("/"));
        facts.os = std::env::consts::OS.to_string();
        facts
    }

    /// Reads the facts from a file tree laid out like `/` (for tests, or a mounted system).
    /// `os` is set to `linux`; [`HostFacts::gather`] sets the real one.
    pub fn gather_at(root: &Path) -> HostFacts {
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
        let group_file = read("etc/group").unwrap_or_default();
        let groups = parse_groups(&group_file);
        HostFacts {
            os: "linux".into(),
            processes: processes(root),
            udev_rules: udev_rules(root),
            user: user(root, &groups, read("etc/passwd").as_deref()),
            serial_group: serial_group(root, &groups),
            brltty: brltty(root),
            cdc_acm: cdc_acm(root),
            package_manager: package_manager(root),
        }
    }
}

/// `(name, gid, members)` of every line of `/etc/group`.
fn parse_groups(text: &str) -> Vec<(String, u32, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?.trim().to_string();
            let _password = f.next()?;
            let gid = f.next()?.trim().parse().ok()?;
            let members = f
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            Some((name, gid, members))
        })
        .collect()
}

fn processes(root: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(root.join("proc")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn udev_rules(root: &Path) -> Vec<RuleFile> {
    let mut files = Vec::new();
    for dir in UDEV_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rules"))
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(&path) {
                files.push(RuleFile {
                    path: path.display().to_string(),
                    text,
                });
            }
        }
    }
    files
}

fn user(
    root: &Path,
    groups: &[(String, u32, Vec<String>)],
    passwd: Option<&str>,
) -> Option<UserFacts> {
    let status = std::fs::read_to_string(root.join("proc/self/status")).ok()?;
    let field = |key: &str| -> Vec<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| {
                v.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let uid = *field("Uid:").first()?;
    let session_gids = field("Groups:")
        .into_iter()
        .chain(field("Gid:").first().copied());
    let group_name = |gid: u32| groups.iter().find(|g| g.1 == gid).map(|g| g.0.clone());
    let (name, primary_gid) = passwd?
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((
                f.first()?.to_string(),
                f.get(2)?.parse::<u32>().ok()?,
                f.get(3)?.parse::<u32>().ok()?,
            ))
        })
        .find(|(_, u, _)| *u == uid)
        .map(|(n, _, g)| (n, g))?;
    let mut configured: Vec<String> = groups
        .iter()
        .filter(|(_, gid, members)| *gid == primary_gid || members.contains(&name))
        .map(|(g, _, _)| g.clone())
        .collect();
    configured.sort();
    configured.dedup();
    let mut session: Vec<String> = session_gids.filter_map(group_name).collect();
    session.sort();
    session.dedup();
    Some(UserFacts {
        name,
        uid,
        groups_configured: configured,
        groups_session: session,
    })
}

fn serial_group(root: &Path, groups: &[(String, u32, Vec<String>)]) -> Option<String> {
    if let Some(gid) = tty_acm_gid(root)
        && let Some((name, _, _)) = groups.iter().find(|g| g.1 == gid)
    {
        return Some(name.clone());
    }
    ["dialout", "uucp"]
        .iter()
        .find(|want| groups.iter().any(|g| g.0 == **want))
        .map(|g| g.to_string())
}

#[cfg(unix)]
fn tty_acm_gid(root: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(root.join("dev"))
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("ttyACM"))
        .and_then(|e| e.metadata().ok())
        .map(|m| m.gid())
}

#[cfg(not(unix))]
fn tty_acm_gid(_root: &Path) -> Option<u32> {
    None
}

fn brltty(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = [
        "usr/bin/brltty",
        "bin/brltty",
        "usr/sbin/brltty",
        "sbin/brltty",
    ]
    .iter()
    .filter(|p| root.join(p).exists())
    .map(|p| format!("/{p}"))
    .collect();
    for dir in UDEV_DIRS {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains("brltty") {
                    found.push(format!("/{dir}/{}", e.file_name().to_string_lossy()));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn cdc_acm(root: &Path) -> ModuleState {
    if root.join("sys/module/cdc_acm").exists() {
        return ModuleState::Loaded;
    }
    let Some(release) = std::fs::read_to_string(root.join("proc/sys/kernel/osrelease"))
        .ok()
        .map(|r| r.trim().to_string())
    else {
        return ModuleState::Unknown;
    };
    for base in ["lib/modules", "usr/lib/modules"] {
        let dir = root.join(base).join(&release);
        if !dir.is_dir() {
            continue;
        }
        let has = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .is_ok_and(|t| t.lines().any(|l| l.contains("/cdc-acm.ko")))
        };
        if has("modules.builtin") {
            return ModuleState::BuiltIn;
        }
        if has("modules.dep") {
            return ModuleState::Available;
        }
        return ModuleState::Missing;
    }
    ModuleState::Unknown
}

fn package_manager(root: &Path) -> Option<PackageManager> {
    [
        ("usr/bin/apt-get", PackageManager::Apt),
        ("usr/bin/dnf", PackageManager::Dnf),
        ("usr/bin/pacman", PackageManager::Pacman),
        ("usr/bin/zypper", PackageManager::Zypper),
    ]
    .into_iter()
    .find(|(p, _)| root.join(p).exists())
    .map(|(_, pm)| pm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> HostFacts {
        HostFacts {
            os: "linux".into(),
            processes: vec!["bash".into(), "ModemManager".into()],
            udev_rules: vec![RuleFile {
                path: UDEV_RULE_PATH.into(),
                text: udev_rule("dialout"),
            }],
            user: Some(UserFacts {
                name: "tech".into(),
                uid: 1000,
                groups_configured: vec!["dialout".into(), "tech".into()],
                groups_session: vec!["dialout".into(), "tech".into()],
            }),
            serial_group: Some("dialout".into()),
            brltty: vec![],
            cdc_acm: ModuleState::Available,
            package_manager: Some(PackageManager::Apt),
        }
    }

    fn ids(problems: &[Problem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.id).collect()
    }

    #[test]
    fn a_healthy_host_has_no_problems() {
        assert!(check(&healthy()).is_empty());
    }

    #[test]
    fn the_printed_rule_satisfies_both_udev_checks() {
        let f = healthy();
        assert!(ignores_mediatek(&f));
        assert!(grants_mediatek_access(&f));
        assert!(udev_rule("uucp").contains("ENV{ID_MM_DEVICE_IGNORE}=\"1\""));
    }

    #[test]
    fn modemmanager_without_ignore_rule() {
        let mut f = healthy();
        f.udev_rules.clear();
        let p = check(&f);
        assert_eq!(ids(&p), ["modemmanager", "udev-access"]);
        assert!(p[0].fix[0].contains("--udev-rule"));
        assert_eq!(
            p[1].level,
            Level::Warning,
            "user is in dialout, so only a warning"
        );
        f.processes.retain(|p| p != "ModemManager");
        assert_eq!(ids(&check(&f)), ["udev-access"]);
    }

    #[test]
    fn comments_do_not_count_as_rules() {
        let mut f = healthy();
        f.udev_rules[0].text =
            "# ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"1\", MODE=\"0666\"\n".into();
        assert_eq!(ids(&check(&f)), ["modemmanager", "udev-access"]);
    }

    #[test]
    fn group_membership_configured_and_in_session() {
        let mut f = healthy();
        let user = f.user.as_mut().unwrap();
        user.groups_configured = vec!["tech".into()];
        let p = check(&f);
        assert_eq!(ids(&p), ["serial-group"]);
        assert_eq!(p[0].fix[0], "sudo usermod -aG dialout tech");
        let user = f.user.as_mut().unwrap();
        user.groups_configured = vec!["dialout".into()];
        user.groups_session = vec!["tech".into()];
        let p = check(&f);
        assert_eq!(p[0].level, Level::Warning);
        assert!(p[0].fix.iter().any(|c| c.contains("newgrp dialout")));
        f.user.as_mut().unwrap().uid = 0;
        f.udev_rules.clear();
        f.processes.clear();
        assert!(
            check(&f).is_empty(),
            "root needs neither group nor access rule"
        );
    }

    #[test]
    fn brltty_and_cdc_acm() {
        let mut f = healthy();
        f.brltty = vec!["/usr/bin/brltty".into()];
        f.cdc_acm = ModuleState::Missing;
        f.package_manager = Some(PackageManager::Pacman);
        let p = check(&f);
        assert_eq!(ids(&p), ["cdc-acm", "brltty"]);
        assert_eq!(p[1].fix[0], "sudo pacman -Rns brltty");
        assert_eq!(ids(&port_failure_hints(&f)), ["cdc-acm"]);
        assert_eq!(ids(&uart_failure_hints(&f)), ["brltty"]);
        f.user.as_mut().unwrap().groups_configured = vec!["tech".into()];
        assert_eq!(ids(&uart_failure_hints(&f)), ["serial-group", "brltty"]);
    }

    #[test]
    fn every_check_is_listed_with_its_result() {
        let mut facts = healthy();
        let all = checks(&facts);
        assert_eq!(all.len(), CHECKS.len());
        assert!(
            all.iter()
                .all(|c| c.status == CheckStatus::Ok && c.problem.is_none())
        );
        facts.brltty = vec!["brltty".into()];
        let all = checks(&facts);
        let brltty = all.iter().find(|c| c.id == "brltty").unwrap();
        assert_eq!(brltty.status, CheckStatus::Problem);
        assert_eq!(brltty.problem.as_ref().unwrap().id, "brltty");
        facts.os = "macos".into();
        assert!(
            checks(&facts)
                .iter()
                .all(|c| c.status == CheckStatus::Skipped)
        );
    }

    #[test]
    fn other_systems_are_not_checked() {
        let mut f = healthy();
        f.os = "windows".into();
        f.udev_rules.clear();
        assert!(check(&f).is_empty());
        assert!(!applies(&f));
    }
}
