//! Android boot images (boot.img, recovery.img): header, kernel, ramdisk.
