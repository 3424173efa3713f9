//! Colours and glyphs: 16 ANSI colours only (they work over SSH and on every terminal), none
//! at all when `NO_COLOR` is set (bold and reverse video still mark what matters), and plain
//! ASCII instead of box-drawing and symbol glyphs with `--ascii`. Pure.

use ratatui::{
    style::{Color, Modifier, Style},
    symbols::border,
    widgets::{Block, Borders},
};

use super::state::{LogLevel, StepStatus};

/// How the workstation draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours on (off when `NO_COLOR` is set).
    pub color: bool,
    /// ASCII only (`--ascii`).
    pub ascii: bool,
}

/// Borders drawn with `+`, `-` and `|`.
const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    /// Colour unless `no_color`; glyphs unless `ascii`.
    pub fn new(no_color: bool, ascii: bool) -> Theme {
        Theme {
            color: !no_color,
            ascii,
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Ordinary text.
    pub fn text(self) -> Style {
        Style::new()
    }

    /// Headings and the names of things.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Less important text.
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Success.
    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    /// A warning.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// A failure or a risk to the phone.
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A key name in a hint.
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The style of a log line.
    pub fn log(self, level: LogLevel) -> Style {
        match level {
            LogLevel::Info => self.text(),
            LogLevel::Good => self.good(),
            LogLevel::Warn => self.warn(),
            LogLevel::Error => self.bad(),
        }
    }

    /// A bordered block with a title.
    pub fn block(self, title: &str) -> Block<'static> {
        let set = if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        };
        Block::new()
            .borders(Borders::ALL)
            .border_set(set)
            .border_style(self.dim())
            .title(format!(" {title} "))
            .title_style(self.title())
    }

    /// The rail's mark for a step's status.
    pub fn mark(self, status: StepStatus) -> &'static str {
        match (status, self.ascii) {
            (StepStatus::Waiting, false) => "·",
            (StepStatus::Ready, false) => "○",
            (StepStatus::Busy, false) => "●",
            (StepStatus::Done, false) => "✓",
            (StepStatus::Failed, false) => "✗",
            (StepStatus::Waiting, true) => ".",
            (StepStatus::Ready, true) => "o",
            (StepStatus::Busy, true) => "*",
            (StepStatus::Done, true) => "v",
            (StepStatus::Failed, true) => "x",
        }
    }

    /// The style of a rail mark.
    pub fn mark_style(self, status: StepStatus) -> Style {
        match status {
            StepStatus::Waiting => self.dim(),
            StepStatus::Ready => self.text(),
            StepStatus::Busy => self.warn(),
            StepStatus::Done => self.good(),
            StepStatus::Failed => self.bad(),
        }
    }

    /// A bullet for lists.
    pub fn bullet(self) -> &'static str {
        if self.ascii { "-" } else { "•" }
    }

    /// The separator between device bar fields.
    pub fn sep(self) -> &'static str {
        if self.ascii { " | " } else { " │ " }
    }

    /// A progress bar of `width` cells filled to `ratio` (0..=1).
    pub fn bar(self, ratio: f64, width: usize) -> String {
        let ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let full = (ratio * width as f64).round() as usize;
        let (on, off) = if self.ascii {
            ("#", ".")
        } else {
            ("█", "░")
        };
        format!("{}{}", on.repeat(full), off.repeat(width - full))
    }

    /// A spinner frame for a counter.
    pub fn spinner(self, n: u64) -> &'static str {
        const GLYPHS: [&str; 4] = ["◐", "◓", "◑", "◒"];
        const ASCII: [&str; 4] = ["|", "/", "-", "\\"];
        let i = (n % 4) as usize;
        if self.ascii { ASCII[i] } else { GLYPHS[i] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_mode_uses_only_ascii() {
        let t = Theme::new(true, true);
        let mut all = String::new();
        for s in [
            StepStatus::Waiting,
            StepStatus::Ready,
            StepStatus::Busy,
            StepStatus::Done,
            StepStatus::Failed,
        ] {
            all.push_str(t.mark(s));
        }
        all.push_str(&t.bar(0.5, 10));
        all.push_str(t.bullet());
        all.push_str(t.sep());
        all.push_str(t.spinner(3));
        assert!(all.is_ascii(), "{all}");
        assert_eq!(t.bar(0.5, 10), "#####.....");
        assert_eq!(t.bar(f64::NAN, 4), "....");
        assert_eq!(t.bar(7.0, 4), "####");
    }

    #[test]
    fn no_color_leaves_only_modifiers() {
        let t = Theme::new(true, false);
        assert_eq!(t.good().fg, None);
        assert_eq!(t.bad().fg, None);
        assert!(t.bad().add_modifier.contains(Modifier::BOLD));
        assert_eq!(Theme::new(false, false).good().fg, Some(Color::Green));
    }
}
