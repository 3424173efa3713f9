//! The keymap: which key does what in which [`Mode`], resolved as `(Mode, KeyEvent) ->
//! Action`, and the key hints and help derived from it (never written by hand elsewhere).
//!
//! A popup's mode takes every key; otherwise the current panel's bindings come first, then
//! the global ones. A key that can act only on something present (the resume of an
//! interrupted job) is bound, and hinted, only while it is there ([`Offers`]). Only key
//! presses count (not repeats or releases). No state is changed here.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{
    action::Action,
    state::{AppState, Popup, Step, TextPurpose},
};

/// What the screen holds that some keys act on: such a key is bound, and shown on the hint
/// line, only while its object is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offers {
    /// An interrupted flash job of this phone can be resumed (`u` on the Flash panel).
    pub resume: bool,
}

impl Offers {
    /// What `state` offers.
    pub fn of(state: &AppState) -> Offers {
        Offers {
            resume: state.repair.unfinished.is_some(),
        }
    }
}

/// Which set of bindings applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A step's panel is on top (its own bindings, then the global ones), with what it offers.
    Panel(Step, Offers),
    /// Help or an error popup: close it.
    Message,
    /// A yes/no popup.
    Confirm,
    /// A popup that takes typed text.
    Typing,
}

impl Mode {
    /// The mode of the screen `state` shows: its popup's, else its panel's.
    pub fn of(state: &AppState) -> Mode {
        match &state.popup {
            None => Mode::panel(state),
            Some(Popup::Help | Popup::Error { .. }) => Mode::Message,
            Some(Popup::Confirm { .. }) => Mode::Confirm,
            Some(Popup::Text { .. } | Popup::TypedConfirm { .. }) => Mode::Typing,
        }
    }

    /// The mode of the panel under any popup of `state` (what the help lists).
    pub fn panel(state: &AppState) -> Mode {
        Mode::Panel(state.step, Offers::of(state))
    }
}

/// One key binding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Control or Alt, if needed (Shift is part of the character).
    pub mods: KeyModifiers,
    /// What it does.
    pub action: Action,
    /// What it does, in two or three words (the hint line and help).
    pub hint: &'static str,
    /// Shown on the hint line (aliases such as vim keys are only in the help).
    pub on_hint_line: bool,
}

fn key(code: KeyCode, action: Action, hint: &'static str) -> Binding {
    Binding {
        code,
        mods: KeyModifiers::NONE,
        action,
        hint,
        on_hint_line: true,
    }
}

fn alias(code: KeyCode, action: Action, hint: &'static str) -> Binding {
    Binding {
        on_hint_line: false,
        ..key(code, action, hint)
    }
}

fn ch(c: char, action: Action, hint: &'static str) -> Binding {
    key(KeyCode::Char(c), action, hint)
}

fn ctrl(c: char, action: Action, hint: &'static str) -> Binding {
    Binding {
        mods: KeyModifiers::CONTROL,
        on_hint_line: false,
        ..ch(c, action, hint)
    }
}

/// The bindings of a panel, before the global ones.
fn panel(step: Step, offers: Offers) -> Vec<Binding> {
    let mut b = Vec::new();
    match step {
        Step::Connect => {
            b.push(key(KeyCode::Enter, Action::Enter, "arm"));
            b.push(ch('r', Action::Refresh, "look again"));
        }
        Step::Identify => {
            b.push(key(KeyCode::Enter, Action::Enter, "choose board"));
            b.push(ch(
                'm',
                Action::AskText(TextPurpose::PcbMarking),
                "type PCB marking",
            ));
        }
        Step::Rom => {
            b.push(key(KeyCode::Enter, Action::Enter, "details/choose"));
            b.push(ch('c', Action::CheckDisplay, "display check"));
            b.push(ch('r', Action::Refresh, "reload"));
        }
        Step::Diagnose => {
            b.push(ch('o', Action::AskText(TextPurpose::LogFile), "open log"));
            b.push(ch(
                'x',
                Action::AskText(TextPurpose::ErrorCode),
                "explain error",
            ));
            b.push(ch('u', Action::Uart, "UART live"));
            b.push(ch('c', Action::CheckDisplay, "display check"));
            b.push(ch('r', Action::Refresh, "host doctor"));
        }
        Step::Flash => {
            b.push(key(KeyCode::Enter, Action::Enter, "start repair"));
            if offers.resume {
                b.push(ch('u', Action::Resume, "resume job"));
            }
            b.push(key(KeyCode::Left, Action::Left, "mode"));
            b.push(key(KeyCode::Right, Action::Right, "mode"));
        }
        Step::Report => b.push(ch('w', Action::WriteSheet, "write job sheet")),
        Step::Backup | Step::Verify => {}
    }
    b
}

/// The bindings every panel has.
fn global() -> Vec<Binding> {
    let mut b = vec![
        key(KeyCode::Tab, Action::NextPanel, "next step"),
        alias(KeyCode::BackTab, Action::PrevPanel, "previous step"),
        ch('d', Action::GoTo(Step::Diagnose), "diagnose"),
        ch('?', Action::Help, "help"),
        ch('q', Action::Quit, "quit"),
        ctrl('c', Action::Quit, "quit"),
        key(KeyCode::Up, Action::Up, "move"),
        key(KeyCode::Down, Action::Down, "move"),
        alias(KeyCode::Char('k'), Action::Up, "move"),
        alias(KeyCode::Char('j'), Action::Down, "move"),
        alias(KeyCode::Left, Action::Left, "previous choice"),
        alias(KeyCode::Right, Action::Right, "next choice"),
        alias(KeyCode::Char('h'), Action::Left, "previous choice"),
        alias(KeyCode::Char('l'), Action::Right, "next choice"),
        alias(KeyCode::Esc, Action::Back, "back"),
    ];
    for (i, step) in Step::ALL.iter().take(7).enumerate() {
        let digit = char::from(b'1' + i as u8);
        b.push(alias(
            KeyCode::Char(digit),
            Action::GoTo(*step),
            "go to step",
        ));
    }
    b
}

/// Every binding of a mode, in the order they are tried.
pub fn bindings(mode: Mode) -> Vec<Binding> {
    match mode {
        Mode::Panel(step, offers) => {
            let mut b = panel(step, offers);
            b.extend(global());
            b
        }
        Mode::Message => vec![
            key(KeyCode::Esc, Action::Back, "close"),
            alias(KeyCode::Enter, Action::Back, "close"),
            alias(KeyCode::Char('?'), Action::Back, "close"),
            ch('q', Action::Quit, "quit"),
            ctrl('c', Action::Quit, "quit"),
        ],
        Mode::Confirm => vec![
            ch('y', Action::Yes, "yes"),
            ch('n', Action::No, "no"),
            alias(KeyCode::Enter, Action::Yes, "yes"),
            key(KeyCode::Esc, Action::No, "no"),
            ctrl('c', Action::No, "no"),
        ],
        Mode::Typing => vec![
            key(KeyCode::Enter, Action::Enter, "done"),
            key(KeyCode::Esc, Action::Back, "cancel"),
            key(KeyCode::Backspace, Action::Erase, "erase"),
            ctrl('c', Action::Back, "cancel"),
        ],
    }
}

/// The action for a key in a mode, if any. Only presses count.
pub fn resolve(mode: Mode, event: &KeyEvent) -> Option<Action> {
    if event.kind != KeyEventKind::Press {
        return None;
    }
    // Shift is how a character is typed ('?', 'A'), not a modifier of its own.
    let mods = match event.code {
        KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
        _ => event.modifiers,
    };
    let bound = bindings(mode)
        .into_iter()
        .find(|b| b.code == event.code && b.mods == mods)
        .map(|b| b.action);
    match (bound, mode, event.code) {
        (Some(a), _, _) => Some(a),
        (None, Mode::Typing, KeyCode::Char(c)) if !mods.contains(KeyModifiers::CONTROL) => {
            Some(Action::Type(c))
        }
        _ => None,
    }
}

/// A key as the screen names it.
pub fn key_label(code: KeyCode, mods: KeyModifiers, ascii: bool) -> String {
    let name = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up if ascii => "Up".into(),
        KeyCode::Down if ascii => "Down".into(),
        KeyCode::Left if ascii => "Left".into(),
        KeyCode::Right if ascii => "Right".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Backspace => "Bksp".into(),
        other => other.to_string(),
    };
    if mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{name}")
    } else {
        name
    }
}

/// One entry of the hint line or the help: the keys (joined by `/`) and what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHint {
    /// The keys.
    pub keys: String,
    /// What they do.
    pub what: &'static str,
}

/// Groups bindings that do the same thing under one hint, in first-seen order.
fn group(bindings: impl Iterator<Item = Binding>, ascii: bool) -> Vec<KeyHint> {
    let mut hints: Vec<KeyHint> = Vec::new();
    for b in bindings {
        let label = key_label(b.code, b.mods, ascii);
        match hints.iter_mut().find(|h| h.what == b.hint) {
            Some(h) => {
                h.keys.push('/');
                h.keys.push_str(&label);
            }
            None => hints.push(KeyHint {
                keys: label,
                what: b.hint,
            }),
        }
    }
    hints
}

/// The hint line of a mode: the bindings meant for it, grouped.
pub fn hints(mode: Mode, ascii: bool) -> Vec<KeyHint> {
    group(bindings(mode).into_iter().filter(|b| b.on_hint_line), ascii)
}

/// Every binding of a mode, grouped: what the help popup lists.
pub fn help(mode: Mode, ascii: bool) -> Vec<KeyHint> {
    group(bindings(mode).into_iter(), ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn panel_keys_come_before_global_ones_and_only_presses_count() {
        let rom = Mode::Panel(Step::Rom, Offers::default());
        assert!(matches!(
            resolve(rom, &press(KeyCode::Char('r'), KeyModifiers::NONE)),
            Some(Action::Refresh)
        ));
        assert!(matches!(
            resolve(rom, &press(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some(Action::GoTo(Step::Rom))
        ));
        assert!(matches!(
            resolve(rom, &press(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        ));
        assert!(matches!(
            resolve(rom, &press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        ));
        let mut release = press(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert!(resolve(rom, &release).is_none());
        // 'm' types a marking on Identify only.
        assert!(resolve(rom, &press(KeyCode::Char('m'), KeyModifiers::NONE)).is_none());
    }

    #[test]
    fn typing_takes_every_character_even_q() {
        let m = Mode::Typing;
        assert!(matches!(
            resolve(m, &press(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Type('q'))
        ));
        assert!(matches!(
            resolve(m, &press(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
            Some(Action::Type('Q'))
        ));
        assert!(matches!(
            resolve(m, &press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Back)
        ));
    }

    #[test]
    fn u_resumes_only_while_an_interrupted_job_is_offered() {
        let u = press(KeyCode::Char('u'), KeyModifiers::NONE);
        let bare = Mode::Panel(Step::Flash, Offers::default());
        assert!(resolve(bare, &u).is_none());
        assert!(!hints(bare, true).iter().any(|h| h.what == "resume job"));
        assert!(!help(bare, true).iter().any(|h| h.what == "resume job"));
        let offered = Mode::Panel(Step::Flash, Offers { resume: true });
        assert!(matches!(resolve(offered, &u), Some(Action::Resume)));
        let hint = hints(offered, true);
        assert!(hint.iter().any(|h| h.keys == "u" && h.what == "resume job"));
        // Elsewhere u keeps its own meaning.
        let diagnose = Mode::Panel(Step::Diagnose, Offers { resume: true });
        assert!(matches!(resolve(diagnose, &u), Some(Action::Uart)));
    }

    #[test]
    fn hints_are_grouped_and_leave_aliases_to_the_help() {
        let hints = hints(Mode::Panel(Step::Rom, Offers::default()), true);
        assert_eq!(hints[0].what, "details/choose");
        let quit = hints.iter().find(|h| h.what == "quit").unwrap();
        assert_eq!(quit.keys, "q");
        let help = help(Mode::Panel(Step::Rom, Offers::default()), true);
        let quit = help.iter().find(|h| h.what == "quit").unwrap();
        assert_eq!(quit.keys, "q/Ctrl-c");
        assert!(help.iter().any(|h| h.keys == "Up/Down/k/j"));
    }
}
