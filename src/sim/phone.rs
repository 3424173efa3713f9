//! One simulated phone on disk: its image is built from a board profile the first time and
//! reused afterwards, so what a technician writes to it persists between runs.
//!
//! [`open_or_create`] is what `mtkbench sim` (and the demo) call; [`Phone::device`] turns the
//! opened phone into the device core. File work goes through [`crate::sim::storage`]; no
//! protocol and no port here.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{
    firmware::scatter::Storage as StorageKind,
    profile::{Registry, StorageKind as BoardStorage},
    sim::{
        SimError,
        boot::{self, PreloaderDamage},
        device::{Device, DeviceConfig, Mode},
        fault::{FaultError, FaultPlan},
        identity::{Identity, check_serial, default_serial},
        layout::Layout,
        storage::{ImageMeta, ImageStorage, Storage, sidecar_path},
    },
};

/// The profile an eMMC phone is built from when none is named: a real retail board with a
/// known preloader project, EMI version and two LCM drivers.
pub const DEFAULT_PROFILE: &str = "a516_row";

/// The profile a NAND phone is built from when none is named.
pub const DEFAULT_NAND_PROFILE: &str = "ref_nand_2k";

/// What the technician asked for; `None` means "what the image says, or the default".
#[derive(Debug, Clone, Default)]
pub struct PhoneOptions {
    /// Board profile id.
    pub profile: Option<String>,
    /// Image file; `None` for [`default_image`].
    pub image: Option<PathBuf>,
    /// eMMC or NAND.
    pub storage: Option<StorageKind>,
    /// Serial of a new phone.
    pub serial: Option<String>,
    /// A new phone whose flash is erased (`--blank`): the same chip and storage (its serial
    /// gives the eMMC CID and ME ID), no preloader, no partition table, no NVRAM, as a phone
    /// is after its flash was wiped or replaced. Only for a new image.
    pub blank: bool,
}

/// Where a phone lives when no `--image` is given: `<data>/sim/<profile>-<storage>.img`.
pub fn default_image(data_dir: &Path, profile: &str, storage: StorageKind) -> PathBuf {
    data_dir.join("sim").join(format!(
        "{profile}-{}.img",
        storage.as_str().to_ascii_lowercase()
    ))
}

/// A simulated phone, opened.
#[derive(Debug)]
pub struct Phone {
    /// Its flash.
    pub storage: ImageStorage,
    /// What the flash holds.
    pub layout: Layout,
    /// Who it is.
    pub identity: Identity,
    /// The board profile id.
    pub profile: String,
    /// True when the image was built just now.
    pub created: bool,
}

/// A short description of a phone, for banners and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneSummary {
    /// Image file.
    pub image: PathBuf,
    /// Board profile id.
    pub profile: String,
    /// `emmc` or `nand`.
    pub storage: String,
    /// The serial.
    pub serial: String,
    /// The preloader project the phone carries.
    pub project: String,
    /// True when the image was built by this run.
    pub created: bool,
}

impl Phone {
    /// What the banner shows.
    pub fn summary(&self) -> PhoneSummary {
        PhoneSummary {
            image: self.storage.path().to_path_buf(),
            profile: self.profile.clone(),
            storage: self.storage.meta().storage.clone(),
            serial: self.identity.serial.clone(),
            project: self.layout.project.clone(),
            created: self.created,
        }
    }

    /// Erases the phone's boot code or replaces it with another board's preloader
    /// (`mtkbench sim --preloader erased|foreign`): it then has no preloader mode and its DA
    /// needs EMI settings ([`crate::sim::boot`]). Persists in the image.
    pub fn damage_preloader(&mut self, how: PreloaderDamage) -> crate::Result<()> {
        boot::damage(&mut self.storage, &self.layout, how)?;
        tracing::info!(?how, "simulated phone's preloader damaged");
        Ok(())
    }

    /// The device core for this phone, with `faults` located in its layout (a `flaky-read`
    /// of a partition it does not have is refused).
    pub fn device(self, mode: Mode, faults: FaultPlan) -> Result<Device, FaultError> {
        let config = DeviceConfig {
            mode,
            identity: self.identity,
            faults: faults.locate(&self.layout)?,
            layout: self.layout,
        };
        Ok(Device::new(config, Box::new(self.storage)))
    }
}

fn mismatch(path: &Path, what: &'static str, found: &str, wanted: &str) -> SimError {
    SimError::ImageMismatch {
        path: path.to_path_buf(),
        what,
        found: found.into(),
        wanted: wanted.into(),
    }
}

/// Opens the phone of `options` (its image exists) or builds it from its profile.
pub fn open_or_create(
    options: &PhoneOptions,
    registry: &Registry,
    data_dir: &Path,
) -> crate::Result<Phone> {
    if let Some(serial) = &options.serial {
        check_serial(serial).map_err(crate::error::HostError::Usage)?;
    }
    let wanted_profile = options.profile.clone().unwrap_or_else(|| {
        match options.storage {
            Some(StorageKind::Nand) => DEFAULT_NAND_PROFILE,
            _ => DEFAULT_PROFILE,
        }
        .to_string()
    });
    let kind_of = |profile: &str| -> crate::Result<StorageKind> {
        let p = &registry.require(profile)?.profile;
        Ok(options.storage.unwrap_or(match p.storage.kind {
            BoardStorage::Emmc => StorageKind::Emmc,
            BoardStorage::Nand => StorageKind::Nand,
        }))
    };
    let image = match &options.image {
        Some(path) => path.clone(),
        None => default_image(data_dir, &wanted_profile, kind_of(&wanted_profile)?),
    };
    if image.exists() || sidecar_path(&image).exists() {
        if options.blank {
            return Err(crate::error::HostError::Usage(format!(
                "{} holds a phone already; --blank builds a new phone with erased flash: give \
                 a new --image",
                image.display()
            ))
            .into());
        }
        return open_existing(&image, options, registry);
    }
    let profile = &registry.require(&wanted_profile)?.profile;
    let kind = kind_of(&wanted_profile)?;
    let layout = Layout::from_profile(profile, kind)?;
    let serial = match &options.serial {
        Some(s) => s.clone(),
        None => default_serial(&format!("{}|{}", image.display(), profile.id)),
    };
    let identity = Identity::from_serial(&serial);
    let meta = ImageMeta::new(&profile.id, &serial, &layout.geometry);
    let mut storage = ImageStorage::create(&image, meta)?;
    let populated = if options.blank {
        Ok(())
    } else {
        layout.populate(&mut storage, &identity)
    };
    if let Err(e) = populated {
        // A half-built phone would be reused next time: remove it.
        let _ = std::fs::remove_file(&image);
        let _ = std::fs::remove_file(sidecar_path(&image));
        return Err(e.into());
    }
    tracing::info!(image = %image.display(), profile = %profile.id, %serial, blank = options.blank, "simulated phone built");
    Ok(Phone {
        storage,
        layout,
        identity,
        profile: profile.id.clone(),
        created: true,
    })
}

fn open_existing(
    image: &Path,
    options: &PhoneOptions,
    registry: &Registry,
) -> crate::Result<Phone> {
    let storage = ImageStorage::open(image)?;
    let meta = storage.meta().clone();
    if let Some(p) = options.profile.as_deref().filter(|p| *p != meta.profile) {
        return Err(mismatch(image, "profile", &meta.profile, p).into());
    }
    if let Some(s) = options.serial.as_deref().filter(|s| *s != meta.serial) {
        return Err(mismatch(image, "serial", &meta.serial, s).into());
    }
    let kind = storage.kind();
    if let Some(k) = options.storage.filter(|k| *k != kind) {
        return Err(mismatch(image, "storage", kind.as_str(), k.as_str()).into());
    }
    let profile = &registry.require(&meta.profile)?.profile;
    let layout = Layout::from_profile(profile, kind)?;
    if &layout.geometry != storage.geometry() {
        return Err(mismatch(
            image,
            "profile",
            &format!("{} as it was when the image was built", meta.profile),
            &format!("{} as it is now (its layout changed)", meta.profile),
        )
        .into());
    }
    Ok(Phone {
        identity: Identity::from_serial(&meta.serial),
        profile: meta.profile.clone(),
        storage,
        layout,
        created: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::scatter::Region;

    fn options(image: &Path) -> PhoneOptions {
        PhoneOptions {
            image: Some(image.to_path_buf()),
            ..PhoneOptions::default()
        }
    }

    #[test]
    fn builds_once_then_reuses_with_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("p.img");
        let registry = Registry::builtin();
        let mut phone = open_or_create(&options(&image), &registry, dir.path()).unwrap();
        assert!(phone.created);
        assert_eq!(phone.profile, DEFAULT_PROFILE);
        assert!(phone.identity.serial.starts_with("SIM"));
        phone
            .storage
            .write(Region::EmmcUser, 0x2D4_0000, b"kept")
            .unwrap();
        let serial = phone.identity.serial.clone();
        drop(phone);
        let mut again = open_or_create(&options(&image), &registry, dir.path()).unwrap();
        assert!(!again.created);
        assert_eq!(again.identity.serial, serial);
        let mut buf = [0u8; 4];
        again
            .storage
            .read(Region::EmmcUser, 0x2D4_0000, &mut buf)
            .unwrap();
        assert_eq!(&buf, b"kept");
    }

    #[test]
    fn an_image_refuses_options_that_describe_another_phone() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("p.img");
        let registry = Registry::builtin();
        let mut o = options(&image);
        o.serial = Some("BENCH-1".into());
        open_or_create(&o, &registry, dir.path()).unwrap();
        o.serial = Some("BENCH-2".into());
        let err = open_or_create(&o, &registry, dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("serial BENCH-1, not BENCH-2"),
            "{err}"
        );
        assert_eq!(err.exit_code(), 2);
        let mut o = options(&image);
        o.profile = Some("a101".into());
        assert!(open_or_create(&o, &registry, dir.path()).is_err());
        let mut o = options(&image);
        o.storage = Some(StorageKind::Nand);
        assert!(open_or_create(&o, &registry, dir.path()).is_err());
    }

    #[test]
    fn defaults_place_the_image_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::builtin();
        let o = PhoneOptions {
            storage: Some(StorageKind::Nand),
            ..PhoneOptions::default()
        };
        let phone = open_or_create(&o, &registry, dir.path()).unwrap();
        assert_eq!(phone.profile, DEFAULT_NAND_PROFILE);
        assert_eq!(
            phone.storage.path(),
            dir.path().join("sim").join("ref_nand_2k-nand.img")
        );
    }

    #[test]
    fn bad_serials_and_unknown_profiles_are_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::builtin();
        let mut o = options(&dir.path().join("p.img"));
        o.serial = Some("no spaces".into());
        assert_eq!(
            open_or_create(&o, &registry, dir.path())
                .unwrap_err()
                .exit_code(),
            2
        );
        let o = PhoneOptions {
            profile: Some("nokia3310".into()),
            ..PhoneOptions::default()
        };
        assert_eq!(
            open_or_create(&o, &registry, dir.path())
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn two_phones_differ_in_identity() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::builtin();
        let a = open_or_create(&options(&dir.path().join("a.img")), &registry, dir.path()).unwrap();
        let b = open_or_create(&options(&dir.path().join("b.img")), &registry, dir.path()).unwrap();
        assert_ne!(a.identity.serial, b.identity.serial);
        assert_ne!(a.identity.imei, b.identity.imei);
    }
}
