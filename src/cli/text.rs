//! Plain-text layout helpers shared by every command's human output: 80 columns, words
//! wrapped under a label, long names cut. Pure string work; no command knows another's.

/// The terminal width every report is laid out for.
pub(crate) const WIDTH: usize = 80;

/// Word-wraps `text` to `width` columns: the first line starts with `first`, the others with
/// `rest`. Ends with a newline (a lone `first` when `text` is empty).
pub(crate) fn wrap_to(text: &str, first: &str, rest: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out += line.trim_end();
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out += line.trim_end();
    out.push('\n');
    out
}

/// [`wrap_to`] at [`WIDTH`] columns.
pub(crate) fn wrap(text: &str, first: &str, rest: &str) -> String {
    wrap_to(text, first, rest, WIDTH)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_under_the_label_and_keeps_the_width() {
        let text = "one two three four five six seven eight nine ten";
        let w = wrap_to(text, "label: ", "       ", 20);
        assert!(w.lines().all(|l| l.chars().count() <= 20), "{w}");
        assert!(w.starts_with("label: one two"));
        assert!(w.lines().skip(1).all(|l| l.starts_with("       ")));
        assert_eq!(wrap_indented("", 20, "  "), "");
        assert_eq!(wrap("", "x:", ""), "x:\n");
    }
}
