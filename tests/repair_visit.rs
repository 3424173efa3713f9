//! The workstation's visit (`repair::visit`, what the TUI drives) on a phone whose store
//! already holds a verified identity backup from an earlier session: the technician first
//! chooses Download Only (the backup step names that backup) and declines its plan, then
//! chooses Firmware Upgrade, whose plan reads a new backup in this connection. The report
//! names the backup the flash restored from, not the earlier one.

mod device_support;

use device_support::InProcessSim;
use mtkbench::{
    backup::Store,
    device::Fingerprint,
    engine::backup,
    flash::{Action, Mode, Overrides, Plan, execute::FlashRequest},
    profile::Registry,
    repair::{self, Choice, RepairDriver, RepairEvent},
    sim::{
        device::Mode as SimMode,
        rom::{self, RomVariant},
    },
};

/// Chooses each of `modes` in turn; confirms only the last one's plan.
struct Technician {
    rom: std::path::PathBuf,
    modes: Vec<Mode>,
    chosen: usize,
    plans: Vec<Plan>,
}

impl RepairDriver for Technician {
    fn event(&mut self, _event: &RepairEvent) {}

    fn confirm(&mut self, plan: &Plan) -> bool {
        self.plans.push(plan.clone());
        self.chosen == self.modes.len()
    }

    fn choose(
        &mut self,
        _port: &str,
        _fingerprint: &Fingerprint,
        refused: Option<&mtkbench::Error>,
    ) -> Option<Choice> {
        assert!(refused.is_none(), "{refused:?}");
        let mode = *self.modes.get(self.chosen)?;
        self.chosen += 1;
        Some(Choice {
            request: FlashRequest {
                rom: self.rom.clone(),
                mode,
                selection: None,
                overrides: Overrides::default(),
                verify: true,
            },
            pcb_marking: None,
        })
    }
}

#[test]
fn a_visit_names_the_backup_its_firmware_upgrade_restored_from() {
    let mut sim = InProcessSim::start("a516_row", None, SimMode::Brom, &[]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let older = backup::run(sim.job(), &store, &Registry::builtin(), None)
        .unwrap()
        .value
        .id;
    sim.replugged();
    let registry = Registry::builtin();
    let profile = &registry.get("a516_row").unwrap().profile;
    let rom_dir = dir.path().join("fits");
    rom::write(&rom_dir, &rom::build(profile, RomVariant::Fits).unwrap()).unwrap();

    let mut tech = Technician {
        rom: rom_dir,
        modes: vec![Mode::DownloadOnly, Mode::FirmwareUpgrade],
        chosen: 0,
        plans: Vec::new(),
    };
    let jobs = dir.path().join("jobs");
    let done = repair::visit(sim.job(), &jobs, &store, &mut tech, None).unwrap();
    sim.replugged();
    let report = done.value.expect("the technician chose a ROM");
    // The backup step ran once, for Download Only, and named the earlier backup.
    assert_eq!(tech.plans.len(), 2);
    assert!(report.backup.contains(&older), "{}", report.backup);
    // Firmware Upgrade's plan read a new backup first, and restored from it.
    let plan = &tech.plans[1];
    assert!(
        plan.steps().iter().any(|s| s.action() == Action::Backup),
        "{plan:?}"
    );
    let flashed = report.flashed.as_ref().unwrap();
    let used = flashed.backup.clone().unwrap();
    assert_ne!(used, older);
    assert_eq!(report.backup_id.as_deref(), Some(used.as_str()));
    assert!(report.backup_taken);
    assert!(report.backup.contains(&used), "{}", report.backup);
    assert!(store.verify(&used).unwrap().ok);
}
