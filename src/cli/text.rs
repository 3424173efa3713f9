//! Plain-text layout helpers shared by every command's human output: 80 columns, words
//! wrapped under a label, long names cut, sizes in words. Pure string work; no command knows
//! another's, and nothing here prints.

/// The terminal width every report is laid out for.
pub(crate) const WIDTH: usize = 80;

/// Word-wraps `text` to `width` columns: the first line starts with `first`, the others with
/// `rest`. Ends with a newline (a lone `first` when `text` is empty).
pub(crate) fn wrap_to(text: &str, first: &str, rest: &str, width: usize) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = if words.is_empty() {
        first.trim_end().to_string()
    } else {
        // A word longer than the line (a path, a hash) stays whole: it is copied, not read.
        let options = textwrap::Options::new(width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        textwrap::fill(&words, options)
    };
    out.push('\n');
    out
}

/// [`wrap_to`] at [`WIDTH`] columns.
pub(crate) fn wrap(text: &str, first: &str, rest: &str) -> String {
    wrap_to(text, first, rest, WIDTH)
}

/// `text` word-wrapped at [`WIDTH`] beside `name`, which is padded to `label_width` columns;
/// the following lines are indented to the same column.
pub(crate) fn labelled(name: &str, label_width: usize, text: &str) -> String {
    wrap(
        text,
        &format!("{name:<label_width$}"),
        &" ".repeat(label_width),
    )
}

/// Word-wraps `text` to `width` columns with every line starting with `indent`; nothing at all
/// for an empty text.
pub(crate) fn wrap_indented(text: &str, width: usize, indent: &str) -> String {
    if text.trim().is_empty() {
        String::new()
    } else {
        wrap_to(text, indent, indent, width)
    }
}

/// `text` cut to `width` characters, keeping its end (file extensions matter) behind a `~`:
/// `preloader_konka72_i~emmc.bin`.
pub(crate) fn cut_keeping_end(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    let tail = width / 3;
    let head = width - tail - 1;
    let mut out: String = chars[..head].iter().collect();
    out.push('~');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The paragraphs of a text written on several lines (a profile's notes, as TOML keeps them):
/// lines that follow each other form one paragraph, joined with a blank; a blank line ends a
/// paragraph. So the text rewraps to the terminal instead of keeping the author's line ends.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines().map(str::trim) {
        match (line.is_empty(), open) {
            (true, _) => open = false,
            (false, true) => {
                if let Some(last) = out.last_mut() {
                    last.push(' ');
                    last.push_str(line);
                }
            }
            (false, false) => {
                out.push(line.to_owned());
                open = true;
            }
        }
    }
    out
}

/// The width of a FILE column: every command that lists image files gives them this many
/// columns, so one name is shortened the same way everywhere ([`file_cell`]).
pub(crate) const FILE_W: usize = 24;

/// An image file name for a FILE column: whole when it fits [`FILE_W`], else cut the one way
/// ([`cut_keeping_end`]), whichever command shows it.
pub(crate) fn file_cell(name: &str) -> String {
    cut_keeping_end(name, FILE_W)
}

/// `text` cut to `width` characters at its end, the cut marked with `…`: `Lenovo A51…`.
pub(crate) fn cut_with_ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A size for a narrow column: whole MiB as `6 MiB`, anything else exactly in hex
/// (`0x60000`), `?` when unknown.
pub(crate) fn mib_or_hex(size: Option<u64>) -> String {
    match size {
        None => "?".into(),
        Some(s) if s > 0 && s % MIB == 0 => format!("{} MiB", s / MIB),
        Some(s) => format!("0x{s:X}"),
    }
}

/// `6 MiB`, `1.5 MiB`, `64 KiB`, `512 B`: the largest binary unit the size reaches, with one
/// decimal cut off (never rounded up) and left out when it is zero.
pub(crate) fn binary_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(GIB, "GiB"), (MIB, "MiB"), (1 << 10, "KiB")];
    UNITS
        .iter()
        .find(|(unit, _)| bytes >= *unit)
        .map(|(unit, name)| {
            let whole = bytes / unit;
            let tenth = (bytes % unit) * 10 / unit;
            if tenth == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole}.{tenth} {name}")
            }
        })
        .unwrap_or_else(|| format!("{bytes} B"))
}

/// `12.5 MiB` below 1 GiB, `1.83 GiB` from there on (rounded): a storage or partition size
/// at a glance.
pub(crate) fn mib_or_gib(bytes: u64) -> String {
    if bytes >= GIB {
        format!("{:.2} GiB", bytes as f64 / GIB as f64)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// `1.2 GB`, `412 MB`, `12 KB`: decimal units, as disk makers and MB/s use them.
pub(crate) fn decimal_size(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} GB", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{} MB", n / 1_000_000),
        n if n >= 1_000 => format!("{} KB", n / 1_000),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_a_row_are_one_paragraph_and_blank_lines_part_them() {
        let notes =
            "\nLayout: the stock scatter,\n  offsets as in dumchar.\n\n\nBMTPOOL is reserved.\n";
        assert_eq!(
            paragraphs(notes),
            [
                "Layout: the stock scatter, offsets as in dumchar.",
                "BMTPOOL is reserved."
            ]
        );
        assert!(paragraphs("  \n").is_empty());
    }

    #[test]
    fn wraps_under_the_label_and_keeps_the_width() {
        let text = "one two three four five six seven eight nine ten";
        let w = wrap_to(text, "label: ", "       ", 20);
        assert!(w.lines().all(|l| l.chars().count() <= 20), "{w}");
        assert!(w.starts_with("label: one two"));
        assert!(w.lines().skip(1).all(|l| l.starts_with("       ")));
        assert_eq!(wrap_indented("", 20, "  "), "");
        assert_eq!(wrap("", "x:", ""), "x:\n");
        let l = labelled("ROM", 6, &"word ".repeat(20));
        assert!(l.starts_with("ROM   word word"), "{l}");
        assert!(
            l.lines().skip(1).all(|x| x.starts_with("      word")),
            "{l}"
        );
    }

    #[test]
    fn cut_keeping_end_keeps_the_extension() {
        assert_eq!(cut_keeping_end("short", 12), "short");
        let cut = cut_keeping_end("preloader_konka72_i128_emmc.bin", 24);
        assert_eq!(cut.chars().count(), 24);
        assert!(
            cut.starts_with("preloader_") && cut.ends_with("~emmc.bin"),
            "{cut}"
        );
    }

    #[test]
    fn cut_with_ellipsis_marks_cuts() {
        assert_eq!(cut_with_ellipsis("abcdef", 4), "abc…");
        assert_eq!(cut_with_ellipsis("abc", 4), "abc");
    }

    #[test]
    fn sizes_in_each_style() {
        assert_eq!(mib_or_hex(Some(0x60_0000)), "6 MiB");
        assert_eq!(mib_or_hex(Some(0x6_0000)), "0x60000");
        assert_eq!(mib_or_hex(Some(0)), "0x0");
        assert_eq!(mib_or_hex(None), "?");
        assert_eq!(binary_size(0x60_0000), "6 MiB");
        assert_eq!(binary_size(0x18_0000), "1.5 MiB");
        assert_eq!(binary_size(0x200), "512 B");
        assert_eq!(mib_or_gib(13_107_200), "12.5 MiB");
        assert_eq!(mib_or_gib(3 << 29), "1.50 GiB");
        assert_eq!(decimal_size(612_000_000), "612 MB");
        assert_eq!(decimal_size(1_234_000_000), "1.2 GB");
        assert_eq!(decimal_size(999), "999 B");
    }
}
