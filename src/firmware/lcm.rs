//! Display driver (LCM) names compiled into lk.bin and into the kernel.
