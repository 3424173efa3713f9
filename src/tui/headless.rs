//! The workstation without a terminal: the same state, keymap and effects as the real loop,
//! driven by keys or actions from code, with a bounded wait for background results. Used by
//! the headless end-to-end test, the screenshot generator and the benchmarks.

use std::time::Duration;

use crossterm::event::KeyEvent;
use tokio::{runtime::Runtime, sync::mpsc};

use super::{
    action::{Action, Effect},
    keymap::{self, Mode},
    runner::{Context, Executor},
    state::AppState,
};
use crate::error::HostError;

/// A workstation driven from code.
pub struct Headless {
    /// What is on screen.
    pub state: AppState,
    /// Keys pressed so far (only those that meant something).
    pub keys: usize,
    exec: Executor,
    rx: mpsc::UnboundedReceiver<Action>,
    runtime: Runtime,
    closed: bool,
}

impl Headless {
    /// Starts the workstation: carries out its first effects (ports, doctor, library, arm).
    pub fn start(state: AppState, first: Vec<Effect>, ctx: Context) -> crate::Result<Headless> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| HostError::Usage(format!("cannot start the event loop: {e}")))?;
        let (mut exec, rx) = {
            let _guard = runtime.enter();
            Executor::new(ctx)
        };
        {
            let _guard = runtime.enter();
            for effect in first {
                exec.carry_out(effect);
            }
        }
        Ok(Headless {
            state,
            keys: 0,
            exec,
            rx,
            runtime,
            closed: false,
        })
    }

    /// Applies an action as the loop would; true when the workstation closed.
    pub fn act(&mut self, action: Action) -> bool {
        let _guard = self.runtime.enter();
        self.closed |= self.exec.apply(&mut self.state, action);
        self.closed
    }

    /// Presses a key: resolved by the keymap in the current mode, then applied. Returns false
    /// when the key means nothing here.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        let mode = Mode::of(&self.state);
        match keymap::resolve(mode, &key) {
            Some(action) => {
                self.keys += 1;
                self.act(action);
                true
            }
            None => false,
        }
    }

    /// Applies background results until `done` holds or `within` passed; true when it holds.
    pub fn wait_for(&mut self, within: Duration, done: impl Fn(&AppState) -> bool) -> bool {
        let Headless {
            state,
            exec,
            rx,
            runtime,
            closed,
            ..
        } = self;
        runtime.block_on(async {
            let until = tokio::time::Instant::now() + within;
            while !done(state) {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(action)) => *closed |= exec.apply(state, action),
                    Ok(None) | Err(_) => return false,
                }
            }
            true
        })
    }

    /// Closes the workstation as `q` would, and waits (bounded) for the device session to end.
    pub fn close(mut self, within: Duration) {
        let _guard = self.runtime.enter();
        self.exec.close(&self.state.session);
        drop(self.exec);
        drop(_guard);
        self.runtime.shutdown_timeout(within);
    }
}
