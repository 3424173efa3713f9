//! Terminal safety, all of it: raw mode and the alternate screen are entered here and left
//! here, on a normal exit, on every error path (the [`Terminal`] guard's `Drop`) and on a panic
//! (a chained panic hook that restores first, then runs the previous hook). Restoring never
//! panics; a failure to restore is only logged.

use std::{
    io::{self, Stdout},
    sync::Once,
};

use crossterm::{
    cursor,
    event::{DisableBracketedPaste, EnableBracketedPaste},
    execute,
    terminal::{self, EnterAlternateScreen, LeaveAlternateScreen},
};
use ratatui::{Terminal as RatatuiTerminal, backend::CrosstermBackend};

/// The screen, in raw mode on the alternate screen until dropped.
pub struct Terminal {
    /// The ratatui terminal.
    pub inner: RatatuiTerminal<CrosstermBackend<Stdout>>,
}

static HOOK: Once = Once::new();

/// Chains a panic hook that puts the terminal back before the previous hook prints.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

impl Terminal {
    /// Enters raw mode and the alternate screen, with the panic hook installed first. On a
    /// failure half-way, what was done is undone before the error returns.
    pub fn enter() -> io::Result<Terminal> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let setup = || -> io::Result<Terminal> {
            execute!(
                io::stdout(),
                EnterAlternateScreen,
                EnableBracketedPaste,
                cursor::Hide
            )?;
            let inner = RatatuiTerminal::new(CrosstermBackend::new(io::stdout()))?;
            Ok(Terminal { inner })
        };
        setup().inspect_err(|_| restore())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode (first, so a message printed after is readable), then the alternate screen,
/// and shows the cursor. Safe to call more than once; failures are logged, never raised.
pub fn restore() {
    if let Err(e) = terminal::disable_raw_mode() {
        tracing::warn!(error = %e, "cannot leave raw mode");
    }
    if let Err(e) = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    ) {
        tracing::warn!(error = %e, "cannot leave the alternate screen");
    }
}
