//! The MT6572 BootROM/preloader and legacy Download Agent protocol, sans-IO.
//!
//! Encoders, decoders and state machines over bytes. No serial port, no clock, no screen here:
//! this module must never import `transport`, `device` or `serialport`.
