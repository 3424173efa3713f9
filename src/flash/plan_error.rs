//! Why the flash planner ([`super::plan`]) refuses a plan: [`PlanError`] (what each advises
//! the technician to do instead is in [`super::advice`]). Pure: no I/O.

use super::{facts::Difference, plan::Mode};

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The scatter names another chip, or the phone is not an MT6572.
    #[error(
        "this ROM is for {rom}, the phone is hardware code {device:#06x}: it is not for this phone"
    )]
    WrongChip {
        /// The platform the scatter names.
        rom: String,
        /// The phone's hardware code.
        device: u16,
    },
    /// eMMC ROM on a NAND phone or the other way round.
    #[error("this ROM is for {rom} storage, the phone has {device}: it is not for this phone")]
    WrongStorage {
        /// The scatter's storage.
        rom: String,
        /// The phone's storage.
        device: String,
    },
    /// Download Only on a phone whose layout differs.
    #[error(
        "Download Only refused: the phone's partition table differs from the scatter in {} \
         place(s):\n  {}",
        .differences.len(),
        .differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    LayoutDiffers {
        /// Every difference.
        differences: Vec<Difference>,
    },
    /// The NVRAM set would not keep its sizes across the layouts.
    #[error(
        "{mode} refused: the phone's identity partitions cannot be restored into the ROM's \
         layout:\n  {}",
        .differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    NvramDoesNotFit {
        /// The mode asked for.
        mode: Mode,
        /// The NVRAM-set partitions that move size or vanish.
        differences: Vec<Difference>,
    },
    /// Format All + Download without a verified backup of this phone.
    #[error("Format All + Download refused: {reason}")]
    NeedsVerifiedBackup {
        /// What is missing.
        reason: String,
    },
    /// Format All + Download without the explicit confirmation.
    #[error("Format All + Download erases the phone's identity and was not confirmed")]
    NotConfirmed,
    /// `--partitions` names a partition the ROM has no image for.
    #[error("the ROM has no image for {name}")]
    NotInRom {
        /// The name given.
        name: String,
        /// Partitions that do have an image.
        known: Vec<String>,
    },
    /// `--partitions` in a mode that writes the whole ROM.
    #[error("{mode} writes the whole ROM; --partitions only applies to Download Only")]
    SelectionNotAllowed {
        /// The mode asked for.
        mode: Mode,
    },
    /// An image to write is missing from the package.
    #[error("{partition}: the image {file} is missing from the ROM package")]
    MissingImage {
        /// Partition.
        partition: String,
        /// The file the scatter names.
        file: String,
    },
    /// An image larger than its partition.
    #[error(
        "{partition}: the image {file} is {image:#x} bytes, the partition only {partition_size:#x}"
    )]
    ImageTooLarge {
        /// Partition.
        partition: String,
        /// Image file.
        file: String,
        /// Image size.
        image: u64,
        /// Partition size.
        partition_size: u64,
    },
    /// A partition that lies outside the phone's storage, or of unknown size.
    #[error("{partition}: {reason}")]
    OutsideDevice {
        /// Partition.
        partition: String,
        /// What is wrong.
        reason: String,
    },
}
