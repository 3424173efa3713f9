//! Byte links to a phone: the `Transport` trait, the serial port, a scripted fake, and port
//! discovery. Only `transport/serial.rs` may import `serialport`.
