//! [`CancelToken`]: the one way to ask a running device job to stop. It is a shared flag
//! (clone it into a Ctrl-C handler, a TUI key, another thread); the transfer loop looks at it
//! between packets and the port wait between polls, so a job stops at a packet boundary and
//! never in the middle of one. Nothing here knows what a phone is.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// A clonable stop request; every clone sees [`CancelToken::cancel`] of any other.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
}

impl CancelToken {
    /// A token nobody has cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the job to stop at the next packet boundary (or poll of the port wait).
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// True once [`CancelToken::cancel`] was called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The flag itself, for loops that take an `&AtomicBool` (port wait, UART capture).
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clone_sees_the_cancel() {
        let a = CancelToken::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
        assert!(b.flag().load(Ordering::SeqCst));
    }
}
