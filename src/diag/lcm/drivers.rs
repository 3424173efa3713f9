//! The ROM side of the LCM check: the panel drivers a ROM carries in its lk and its kernel
//! ([`LcmFacts`], [`Drivers`]), or why they are not known, from an inspected package or a boot
//! image read from its start ([`boot_image_drivers`]).
//!
//! Facts only: no comparison with the phone's panel (that is [`super::check`]), no file is
//! opened here (the caller hands in a report or a reader).

use std::io::Read;

use serde::Serialize;

use crate::firmware::{
    lcm as names,
    rom::{ImageContent, RomReport},
};

/// Panel driver names of one ROM part (lk or kernel), or why they are not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "value")]
pub enum Drivers {
    /// The names found, in the image's order.
    Listed(Vec<String>),
    /// Not known, and why (missing image, not written, unreadable, no name recognised).
    Unknown(String),
}

impl Drivers {
    /// The names, or `None` when unknown (an empty list counts as unknown: the scanner found no
    /// name, which does not prove there is none).
    pub fn names(&self) -> Option<&[String]> {
        match self {
            Drivers::Listed(n) if !n.is_empty() => Some(n),
            _ => None,
        }
    }

    pub(super) fn why_unknown(&self) -> String {
        match self {
            Drivers::Unknown(why) => why.clone(),
            Drivers::Listed(_) => "no panel driver name was found".into(),
        }
    }
}

/// What a ROM carries for the display: the drivers in its lk and in its kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LcmFacts {
    /// Drivers in lk.bin (the UBOOT partition).
    pub lk: Drivers,
    /// Drivers in the kernel of boot.img (the BOOTIMG partition).
    pub kernel: Drivers,
}

impl LcmFacts {
    /// The facts of an inspected ROM package: its LCM names, and for a part without names the
    /// reason (image not in the scatter, not written, missing, not of the expected kind,
    /// kernel unreadable or without a readable compressed stream).
    pub fn from_report(report: &RomReport) -> LcmFacts {
        let find = |names: [&str; 2]| {
            report
                .images
                .iter()
                .find(|i| names.iter().any(|n| i.partition.eq_ignore_ascii_case(n)))
        };
        let lk = match find(["UBOOT", "LK"]) {
            None => Drivers::Unknown("the ROM's scatter names no UBOOT (lk.bin) image".into()),
            Some(i) if !i.download => Drivers::Unknown(format!(
                "this ROM does not write UBOOT ({} is not marked for download), so the phone \
                 would keep its own lk",
                i.file
            )),
            Some(i) if !i.present => {
                Drivers::Unknown(format!("{} (UBOOT) is missing from the package", i.file))
            }
            Some(i) if !matches!(i.kind.as_deref(), Some("mtk:LK" | "lk-no-header")) => {
                Drivers::Unknown(format!(
                    "{} (UBOOT) is not an lk image (it reads as {})",
                    i.file,
                    i.kind.as_deref().unwrap_or("unknown")
                ))
            }
            Some(i) if report.lcm.lk.is_empty() => {
                Drivers::Unknown(format!("no panel driver name was recognised in {}", i.file))
            }
            Some(_) => Drivers::Listed(report.lcm.lk.clone()),
        };
        let kernel = match find(["BOOTIMG", "BOOT"]) {
            None => Drivers::Unknown("the ROM's scatter names no BOOTIMG (boot.img) image".into()),
            Some(i) if !i.download => Drivers::Unknown(format!(
                "this ROM does not write BOOTIMG ({} is not marked for download), so the \
                 phone would keep its own kernel",
                i.file
            )),
            Some(i) if !i.present => {
                Drivers::Unknown(format!("{} (BOOTIMG) is missing from the package", i.file))
            }
            Some(i) => match &i.detail {
                Some(ImageContent::AndroidBoot { kernel: None, .. }) => Drivers::Unknown(format!(
                    "the kernel in {} cannot be read (the image is damaged: see `mtkbench rom \
                     inspect`)",
                    i.file
                )),
                Some(ImageContent::AndroidBoot {
                    kernel: Some(k), ..
                }) if report.lcm.kernel.is_empty() => {
                    Drivers::Unknown(kernel_without_names(k.payload, &i.file))
                }
                Some(ImageContent::AndroidBoot { .. }) => {
                    Drivers::Listed(report.lcm.kernel.clone())
                }
                _ => Drivers::Unknown(format!(
                    "{} (BOOTIMG) is not an Android boot image (it reads as {})",
                    i.file,
                    i.kind.as_deref().unwrap_or("unknown")
                )),
            },
        };
        LcmFacts { lk, kernel }
    }
}

/// Why a kernel's driver names are not known when none was found in it.
fn kernel_without_names(payload: names::KernelPayload, file: &str) -> String {
    match payload {
        names::KernelPayload::Plain => format!(
            "the kernel in {file} holds no gzip, XZ, LZMA, bzip2 or LZO stream and no panel \
             driver name was recognised in it as it is"
        ),
        names::KernelPayload::Packed { compression, .. } => format!(
            "no panel driver name was recognised in the {} kernel of {file}",
            compression.name()
        ),
    }
}

/// The panel drivers of the kernel in an Android boot image read from its start (a ROM's
/// boot.img, or the phone's own BOOTIMG read back), or why they are not known; `file` names
/// the image in the reason.
pub fn boot_image_drivers<R: Read>(reader: R, file: &str) -> Drivers {
    match names::names_in_boot_image(reader) {
        Ok(k) if !k.names.is_empty() => Drivers::Listed(k.names),
        Ok(k) => Drivers::Unknown(kernel_without_names(k.payload, file)),
        Err(e) => Drivers::Unknown(format!("the kernel in {file} cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_image_drivers_say_why_when_unknown() {
        match boot_image_drivers(&[0u8; 4096][..], "BOOTIMG (erased)") {
            Drivers::Unknown(why) => {
                assert!(why.contains("BOOTIMG (erased) cannot be read"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
}
