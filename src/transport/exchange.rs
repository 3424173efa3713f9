//! [`run_exchange`]: the one loop that drives a `protocol` step machine over a [`Transport`]:
//! poll, perform the step on the port, report back, until done. Storage data streams between
//! the port and a [`Payload`] source or sink, never held whole in memory.
//!
//! This is glue only: no protocol knowledge, no `serialport`.

use std::{
    io::{self, Read, Write},
    time::{Duration, Instant},
};

use super::{Transport, TransportError};
use crate::{
    error::Advice,
    protocol::{Exchange, Progress, ProtocolError, Step},
};

/// Where streamed storage data comes from and goes to.
#[derive(Default)]
pub struct Payload<'a> {
    /// Image bytes for [`Step::SendData`] (a write).
    pub source: Option<&'a mut dyn Read>,
    /// Destination for [`Step::RecvData`] (a readback).
    pub sink: Option<&'a mut dyn Write>,
    /// Called after every step of an exchange that reports progress.
    pub on_progress: Option<&'a mut dyn FnMut(Progress)>,
    /// Looked at between steps (so between packets, never inside one): once cancelled, the
    /// exchange stops with [`TransportError::Cancelled`].
    pub cancel: Option<&'a super::CancelToken>,
}

impl std::fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("source", &self.source.is_some())
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The phone broke the protocol or reported an error.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The image being written could not be read (or ended early).
    #[error("cannot read the image being written: {0}")]
    Source(io::Error),
    /// The data read from the phone could not be stored.
    #[error("cannot store the data read from the phone: {0}")]
    Sink(io::Error),
}

impl Advice for ExchangeError {
    fn help(&self) -> String {
        match self {
            ExchangeError::Transport(e) => e.help(),
            ExchangeError::Protocol(e) => e.help(),
            ExchangeError::Source(_) => {
                "check the image file: it may be shorter than its scatter entry or unreadable"
                    .into()
            }
            ExchangeError::Sink(_) => "check the free disk space and the output folder".into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            ExchangeError::Transport(e) => e.is_bad_input(),
            ExchangeError::Protocol(e) => e.is_bad_input(),
            ExchangeError::Source(_) => true,
            ExchangeError::Sink(_) => false,
        }
    }
}

/// The most stale bytes one [`Step::Discard`] throws away (a phone that never stops talking
/// must not hang the host).
const DISCARD_LIMIT: usize = 64 * 1024;

/// Storage data moves in pieces of at most this size: what one read from the port brings is
/// summed and stored while the phone sends more, and each piece of an image is on its way to
/// the phone while the next is read and summed (see [`Step::RecvData`]). Large enough that
/// the per-piece calls cost nothing next to the bytes, small enough to stay in cache.
const DATA_PIECE: usize = 64 * 1024;

/// Runs `ex` to completion over `t`, for exchanges without storage data.
pub fn run_exchange<E: Exchange + ?Sized>(
    t: &mut dyn Transport,
    ex: &mut E,
) -> Result<E::Output, ExchangeError> {
    run_exchange_with(t, ex, &mut Payload::default())
}

/// Runs `ex` to completion over `t`, streaming storage data through `payload`.
pub fn run_exchange_with<E: Exchange + ?Sized>(
    t: &mut dyn Transport,
    ex: &mut E,
    payload: &mut Payload<'_>,
) -> Result<E::Output, ExchangeError> {
    // Short answers, and the storage data's pieces: separate buffers, so that neither is
    // cleared again for every packet.
    let mut buf = Vec::new();
    let mut data = Vec::new();
    loop {
        match ex.poll()? {
            Step::Send(bytes) => t.write_all(&bytes)?,
            Step::Recv { len, what, timeout } => {
                buf.resize(len, 0);
                match t.read_exact(&mut buf, timeout) {
                    Ok(()) => ex.feed(&buf)?,
                    Err(TransportError::Timeout { .. }) if ex.on_timeout() => {}
                    Err(e) => return Err(e.at_step(what).into()),
                }
            }
            Step::RecvData { len, timeout } => {
                data.resize(len.min(DATA_PIECE), 0);
                recv_data(t, ex, payload, &mut data, len, timeout)?;
            }
            Step::SendData { len } => {
                data.resize(len.min(DATA_PIECE), 0);
                send_data(t, ex, payload, &mut data, len)?;
            }
            Step::Discard => {
                let mut scratch = [0u8; 512];
                let mut dropped = 0;
                while dropped < DISCARD_LIMIT {
                    let n = t.read_some(&mut scratch, Duration::ZERO)?;
                    if n == 0 {
                        break;
                    }
                    dropped += n;
                }
            }
            Step::Done(v) => return Ok(v),
        }
        if let (Some(cb), Some(p)) = (payload.on_progress.as_mut(), ex.progress()) {
            cb(p);
        }
        if payload.cancel.is_some_and(super::CancelToken::is_cancelled) {
            return Err(TransportError::Cancelled.into());
        }
    }
}

/// [`Step::RecvData`]: `len` bytes within `timeout`, fed and sunk as they arrive, read by
/// read into `piece` (at most [`DATA_PIECE`] bytes at a time): no read waits for more than
/// the port has, and none is split at a piece boundary.
fn recv_data<E: Exchange + ?Sized>(
    t: &mut dyn Transport,
    ex: &mut E,
    payload: &mut Payload<'_>,
    piece: &mut [u8],
    len: usize,
    timeout: Duration,
) -> Result<(), ExchangeError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut done = 0;
    while done < len {
        let want = (len - done).min(piece.len());
        let left = deadline.saturating_duration_since(Instant::now());
        let n = t
            .read_some(&mut piece[..want], left)
            .map_err(|e| e.at_step("storage data"))?;
        if n == 0 {
            // The timeout is the whole packet's: report it as such.
            let e = TransportError::Timeout {
                step: None,
                wanted: len,
                got: done,
                waited: start.elapsed(),
            };
            return Err(e.at_step("storage data").into());
        }
        ex.feed(&piece[..n])?;
        if let Some(sink) = payload.sink.as_mut() {
            sink.write_all(&piece[..n]).map_err(ExchangeError::Sink)?;
        }
        done += n;
    }
    Ok(())
}

/// [`Step::SendData`]: `len` bytes from the source, taken, reported and written piece by piece
/// through `piece` (at most [`DATA_PIECE`] bytes long).
fn send_data<E: Exchange + ?Sized>(
    t: &mut dyn Transport,
    ex: &mut E,
    payload: &mut Payload<'_>,
    piece: &mut [u8],
    len: usize,
) -> Result<(), ExchangeError> {
    let source = payload.source.as_mut().ok_or_else(|| {
        ExchangeError::Source(io::Error::other("no image was given for this write"))
    })?;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(piece.len());
        source
            .read_exact(&mut piece[..n])
            .map_err(ExchangeError::Source)?;
        ex.data_sent(&piece[..n])?;
        t.write_all(&piece[..n])?;
        done += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        protocol::{brom, da, handshake::HostHandshake, wire::Wire},
        transport::ScriptedTransport,
    };

    #[test]
    fn handshake_recovers_from_silence_and_stale_bytes() {
        let mut t = ScriptedTransport::new()
            .expect_write(&[0xA0])
            .then_timeout() // the phone is still booting
            .expect_write(&[0xA0])
            .reply(&[0x5F])
            .expect_write(&[0x0A])
            .reply(&[0x00, 0x99]) // noise: mismatch, then one stale byte to discard
            .then_timeout() // the discard finds nothing more
            .expect_write(&[0xA0])
            .reply(&[0x5F])
            .expect_write(&[0x0A])
            .reply(&[0xF5])
            .expect_write(&[0x50])
            .reply(&[0xAF])
            .expect_write(&[0x05])
            .reply(&[0xFA]);
        run_exchange(&mut t, &mut HostHandshake::new()).unwrap();
        t.check_finished().unwrap();
    }

    #[test]
    fn a_timeout_names_the_step() {
        let mut t = ScriptedTransport::new()
            .expect_write(&[0xFD])
            .reply(&[0xFD])
            .then_timeout();
        let e = run_exchange(&mut t, &mut brom::get_hw_code()).unwrap_err();
        assert!(e.to_string().contains("during GET_HW_CODE reply"), "{e}");
        assert!(e.help().contains("cable"));
    }

    #[test]
    fn protocol_errors_pass_through() {
        let mut t = ScriptedTransport::new()
            .expect_write(&[0xFD])
            .reply(&[0x00]);
        let e = run_exchange(&mut t, &mut brom::get_hw_code()).unwrap_err();
        assert!(
            matches!(e, ExchangeError::Protocol(ProtocolError::Echo { .. })),
            "{e}"
        );
    }

    #[test]
    fn readback_streams_into_the_sink_with_progress() {
        let data: Vec<u8> = (0..=255).collect();
        let mut reply = vec![da::ACK];
        reply.extend_from_slice(&data);
        reply.extend_from_slice(&crate::protocol::checksum::sum16(&data).to_be_bytes());
        let header = da::DaRequest::Readback(da::ReadbackRequest {
            host_os: 0x0C,
            storage: 2,
            addr: 0,
            len: 256,
            packet: da::DATA_PACKET,
        })
        .to_bytes();
        let mut t = ScriptedTransport::new()
            .expect_write(&header)
            .reply(&reply)
            .expect_write(&[da::ACK]);
        let mut out = Vec::new();
        let mut seen = Vec::new();
        let mut progress = |p: Progress| seen.push(p.done);
        let mut payload = Payload {
            sink: Some(&mut out),
            on_progress: Some(&mut progress),
            ..Default::default()
        };
        let summary = run_exchange_with(&mut t, &mut da::readback(0, 256), &mut payload).unwrap();
        assert_eq!(summary.bytes, 256);
        assert_eq!(out, data);
        assert_eq!(seen.last(), Some(&256));
    }

    #[test]
    fn a_packet_streams_in_pieces_and_a_stall_counts_the_whole_packet() {
        const LEN: usize = 200_000; // more than three pieces
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let header = da::DaRequest::Readback(da::ReadbackRequest {
            host_os: 0x0C,
            storage: 2,
            addr: 0,
            len: LEN as u64,
            packet: da::DATA_PACKET,
        })
        .to_bytes();
        let mut reply = vec![da::ACK];
        reply.extend_from_slice(&data);
        reply.extend_from_slice(&crate::protocol::checksum::sum16(&data).to_be_bytes());
        let mut t = ScriptedTransport::new()
            .expect_write(&header)
            .reply(&reply)
            .expect_write(&[da::ACK]);
        let mut out = Vec::new();
        let mut payload = Payload {
            sink: Some(&mut out),
            ..Default::default()
        };
        let summary =
            run_exchange_with(&mut t, &mut da::readback(0, LEN as u64), &mut payload).unwrap();
        assert_eq!(
            (summary.bytes, summary.checksum_mismatches),
            (LEN as u64, 0)
        );
        assert_eq!(out, data);
        t.check_finished().unwrap();

        let mut t = ScriptedTransport::new()
            .expect_write(&header)
            .reply(&reply[..150_001])
            .then_timeout();
        let e = run_exchange_with(
            &mut t,
            &mut da::readback(0, LEN as u64),
            &mut Payload::default(),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("during storage data") && text.contains("for 200000 byte(s), got 150000"),
            "{text}"
        );
    }

    #[test]
    fn a_short_image_fails_as_bad_input() {
        let mut t = ScriptedTransport::new()
            .expect_write(
                &da::DaRequest::Write(da::WriteRequest {
                    storage: 1,
                    part: 8,
                    addr: 0,
                    len: 512,
                    packet: da::DATA_PACKET,
                })
                .to_bytes(),
            )
            .reply(&[da::ACK])
            .expect_write(&[da::ACK]);
        let mut image: &[u8] = &[1, 2, 3];
        let mut payload = Payload {
            source: Some(&mut image),
            ..Default::default()
        };
        let e = run_exchange_with(
            &mut t,
            &mut da::write(da::EmmcPart::User, 0, 10),
            &mut payload,
        )
        .unwrap_err();
        assert!(matches!(e, ExchangeError::Source(_)), "{e}");
        assert!(e.is_bad_input());
    }
}
