//! The partition table a guarded target was checked against must be the phone's current one:
//! once the job reads the table again (after a write of the ROM's MBR/EBR changed it), a
//! write or an erase guarded before is refused by the session, and the same target guarded
//! again goes through. Against the in-process simulated phone on a real pseudo-terminal.

mod device_support;

use std::{path::Path, time::Duration};

use device_support::InProcessSim;
use mtkbench::{
    job::{EndPolicy, Job, Options, Override, Place, PortSpec},
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
    sim::device::Mode,
    transport::SerialTransport,
};

#[test]
fn a_target_guarded_against_an_earlier_reading_of_the_table_is_refused() {
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    let options = Options {
        port: PortSpec::Path("unused: run_on".into()),
        wait: Duration::ZERO,
        da: None,
        record: None,
        end: EndPolicy::Reboot,
    };
    let job = Job::with_da(
        options,
        DaFile::parse(generate_sim_da()).unwrap(),
        Registry::builtin(),
    );
    let logo = Place::partition("LOGO");
    let image = Path::new("logo.bin");
    let done = job
        .run_on(port, |phone| {
            let target = phone.resolve(&Place {
                length: Some(0x200),
                ..logo.clone()
            })?;
            let mut before = Vec::new();
            phone.read(&target, &mut before)?;
            let old_write = phone.guard_write(&logo, image, 0x200, Override::None)?;
            let old_erase = phone.guard_erase(&target, Override::None)?;

            let map = phone.map().clone();
            assert_eq!(
                phone.reread_table(None)?,
                &map,
                "the same phone, the same table"
            );
            let write = phone
                .write(&old_write, &mut &[0xEE; 0x200][..])
                .unwrap_err();
            let erase = phone.erase(&old_erase).unwrap_err();
            let mut after = Vec::new();
            phone.read(&target, &mut after)?;

            // Guarded again against the table as now read: it goes through.
            let new = phone.guard_write(&logo, image, 0x200, Override::None)?;
            phone.write(&new, &mut &[0xAB; 0x200][..])?;
            let mut written = Vec::new();
            phone.read(&target, &mut written)?;
            Ok((before, write.to_string(), erase.to_string(), after, written))
        })
        .unwrap();
    let (before, write, erase, after, written) = done.value;
    for e in [&write, &erase] {
        assert!(e.contains("earlier reading"), "{e}");
        assert!(e.contains("guard it again"), "{e}");
    }
    assert_eq!(before, after, "a refused write or erase reached the phone");
    assert_eq!(written, vec![0xAB; 0x200]);
}
