//! The simulated phone's BootROM / preloader stage: what it answers to each BROM request
//! (identity, WRITE32/READ32, ME ID, SEND_DA, JUMP_DA), and whether it boots into the
//! preloader at all; the choices are listed in the parent module's documentation.
//!
//! Content only: the byte layouts and the order of the exchange are `protocol`'s
//! ([`BromDevice`]); the DA stage that JUMP_DA starts is in `da.rs`. No I/O, no clock.

use super::{Brain, MAX_DA_LEN, MAX_READ32_WORDS, Mode, PRELOADER_BL_VERSION, WRITE32_STATUS};
use crate::{
    protocol::{
        BromStatus,
        brom::{
            BromAnswer, BromCommand, BromDevice, BromEvent, BromRequest, DaUploadReply, HwCode,
            HwSwVer, MeId, Read32Reply, TargetConfig,
        },
        decisions::{SIM_BROM_VERSION, SIM_HW_SUB_CODE, SIM_HW_VER, SIM_SW_VER},
        mt6572,
    },
    sim::{boot, fault::Phase},
};

impl Brain {
    pub(super) fn brom_feed(
        &mut self,
        brom: &mut BromDevice,
        input: &[u8],
        connected: &mut bool,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let used = match brom.feed(input) {
            Ok((n, event)) => {
                match event {
                    Some(BromEvent::Connected) => *connected = true,
                    Some(BromEvent::Ignored(b)) => {
                        tracing::debug!(byte = b, "BROM ignores an unknown byte");
                    }
                    Some(BromEvent::DaData(_)) | None => {}
                }
                if let Some(req) = brom.pending() {
                    let answer = self.brom_answer(req);
                    if let Err(e) = brom.answer(answer) {
                        tracing::error!(error = %e, "simulator BROM answer refused");
                    }
                }
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "BROM input out of sequence");
                None
            }
        };
        out.extend(brom.take_output());
        used
    }

    /// True when the boot code can set up RAM (decision E6); read once per power-on.
    pub(super) fn boots(&mut self) -> bool {
        if let Some(b) = self.boots {
            return b;
        }
        let id = self.flash_id();
        let b = boot::boots(self.storage.as_mut(), &self.config.layout, &id);
        self.boots = Some(b);
        b
    }

    /// The preloader runs at power-on only when asked for and when it can set up RAM.
    pub(super) fn in_preloader(&mut self) -> bool {
        self.config.mode == Mode::Preloader && self.boots()
    }

    pub(super) fn brom_answer(&mut self, req: BromRequest) -> BromAnswer {
        let preloader = self.in_preloader();
        match req {
            BromRequest::GetHwCode => BromAnswer::HwCode(HwCode {
                hw_code: mt6572::HW_CODE,
                status: 0,
            }),
            BromRequest::GetHwSwVer => BromAnswer::HwSwVer(HwSwVer {
                hw_sub_code: SIM_HW_SUB_CODE,
                hw_ver: SIM_HW_VER,
                sw_ver: SIM_SW_VER,
                status: 0,
            }),
            BromRequest::GetBlVer if preloader => BromAnswer::Byte(PRELOADER_BL_VERSION),
            BromRequest::GetBlVer => BromAnswer::Byte(BromCommand::GetBlVer.byte()),
            BromRequest::GetBromVer if preloader => {
                BromAnswer::Byte(BromCommand::GetBromVer.byte())
            }
            BromRequest::GetBromVer => BromAnswer::Byte(SIM_BROM_VERSION),
            BromRequest::GetTargetConfig => BromAnswer::TargetConfig(TargetConfig {
                config: 0,
                status: 0,
            }),
            BromRequest::GetMeId if preloader && PRELOADER_BL_VERSION <= 2 => {
                BromAnswer::MeId(MeId {
                    id: Vec::new(),
                    status: BromStatus::PlModeUnsupported.code(),
                })
            }
            BromRequest::GetMeId => BromAnswer::MeId(MeId {
                id: self.config.identity.me_id.to_vec(),
                status: 0,
            }),
            BromRequest::Write32 { addr, .. } => {
                if self.nacked(Phase::Brom, BromCommand::Write32.byte()) || addr % 4 != 0 {
                    BromAnswer::Status(BromStatus::InvalidAddress.code())
                } else {
                    BromAnswer::Status(WRITE32_STATUS)
                }
            }
            BromRequest::Write32Value { addr, value } => {
                self.registers.insert(addr, value);
                BromAnswer::Status(WRITE32_STATUS)
            }
            BromRequest::Read32 { addr, count } => {
                let end = u64::from(addr) + 4 * u64::from(count);
                if addr % 4 != 0 || count > MAX_READ32_WORDS || end > 1 << 32 {
                    let refused = BromStatus::InvalidAddress.code();
                    return BromAnswer::Read32(Read32Reply {
                        status: refused,
                        values: Vec::new(),
                        status2: refused,
                    });
                }
                let values = (0..count)
                    .map(|i| {
                        let a = addr.wrapping_add(4 * i);
                        self.registers.get(&a).copied().unwrap_or(0)
                    })
                    .collect();
                BromAnswer::Read32(Read32Reply {
                    status: 0,
                    values,
                    status2: 0,
                })
            }
            BromRequest::SendDa { addr, len, sig_len } => {
                let status = if self.nacked(Phase::Brom, BromCommand::SendDa.byte()) {
                    BromStatus::SlaRequired
                } else if len == 0 {
                    BromStatus::DaLenIsZero
                } else if sig_len > len {
                    BromStatus::DaSigLenExceedDaLen
                } else if addr % 2 != 0 {
                    BromStatus::DaAddrNotAligned
                } else if len > MAX_DA_LEN {
                    BromStatus::DaInvalidLength
                } else {
                    self.uploaded = Some(addr);
                    BromStatus::Ok
                };
                BromAnswer::Status(status.code())
            }
            BromRequest::DaReceived { checksum } => {
                let checksum = if self.faults.corrupt_next_checksum() {
                    !checksum
                } else {
                    checksum
                };
                BromAnswer::DaReceived(DaUploadReply {
                    checksum,
                    status: 0,
                })
            }
            BromRequest::JumpDa { addr } => {
                let status = if self.nacked(Phase::Brom, BromCommand::JumpDa.byte()) {
                    BromStatus::DaInvalidJumpAddr
                } else {
                    match self.uploaded {
                        None => BromStatus::DaNotExist,
                        Some(a) if a != addr => BromStatus::DaInvalidJumpAddr,
                        Some(_) => BromStatus::Ok,
                    }
                };
                BromAnswer::Status(status.code())
            }
        }
    }
}
