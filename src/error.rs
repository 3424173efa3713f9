//! The crate-wide error type and the contract every layer's error follows.
//!
//! Each layer defines its own `thiserror` enum and implements [`Advice`] for it: a plain-words
//! message (the `Display`), what the technician should do next ([`Advice::help`]) and whether the
//! problem lies in what the user handed us ([`Advice::is_bad_input`], exit code 2) or elsewhere
//! (exit code 1). Any such error turns into [`Error`] with `?`.
//!
//! This module knows no layer by name: it must not import firmware, protocol or device code.

use std::fmt;

/// What every user-facing error must be able to say beyond its message.
pub trait Advice: std::error::Error + Send + Sync + 'static {
    /// The next step for the technician, in plain words ("run `mtkbench doctor`", "check the
    /// scatter file at line 12", ...).
    fn help(&self) -> String;

    /// True when the error comes from the input the user gave (a bad file, a wrong argument);
    /// such errors exit with code 2, all others with code 1.
    fn is_bad_input(&self) -> bool;

    /// The name of this error's entry in mtkbench's error table, for errors that have one
    /// (`mtkbench::timeout`): `mtkbench explain NAME` tells what it means. [`Error`] prints it
    /// after the message, as `(mtkbench::timeout)`, so the terminal, the log file and a
    /// `--record` transcript all carry the same name.
    fn entry(&self) -> Option<&'static str> {
        None
    }

    /// True when the work stopped because the technician asked it to (Ctrl-C, a cancel key),
    /// not because something failed: the journal records such a job as cancelled.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Any error that reaches the command line or the TUI.
pub struct Error {
    inner: Box<dyn Advice>,
}

impl Error {
    /// What the technician should do next.
    pub fn help(&self) -> String {
        self.inner.help()
    }

    /// Exit code for the process: 2 for bad input, 1 for any other failure.
    pub fn exit_code(&self) -> i32 {
        if self.inner.is_bad_input() { 2 } else { 1 }
    }

    /// The name of the error's entry in the error table, if it has one (see
    /// [`Advice::entry`]).
    pub fn entry(&self) -> Option<&'static str> {
        self.inner.entry()
    }

    /// True when the work stopped on the technician's request (see [`Advice::is_cancelled`]).
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// The layer error inside, for callers and tests that need its variant.
    pub fn inner(&self) -> &(dyn Advice + 'static) {
        self.inner.as_ref()
    }

    /// The layer error inside when it is an `E`: for a face that says a layer's structured
    /// advice (a remedy named as a value) its own way.
    pub fn downcast_ref<E: Advice>(&self) -> Option<&E> {
        let inner: &(dyn std::error::Error + 'static) = self.inner.as_ref();
        inner.downcast_ref()
    }
}

impl<E: Advice> From<E> for Error {
    fn from(e: E) -> Self {
        Error { inner: Box::new(e) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)?;
        match self.entry() {
            Some(name) => write!(f, " ({name})"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// Result with the crate-wide [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the host environment that belong to no single layer: a file that cannot be read
/// or written, a directory that cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A file or folder could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we were doing ("read", "create", ...).
        action: &'static str,
        /// The path involved.
        path: std::path::PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A command-line argument that clap could not check by itself.
    #[error("{0}")]
    Usage(String),
}

impl Advice for HostError {
    fn help(&self) -> String {
        match self {
            HostError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                "check the path: the file or folder does not exist".into()
            }
            HostError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                "give another file name, or move the old file away first".into()
            }
            HostError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                "check the file's permissions, or run `mtkbench doctor`".into()
            }
            HostError::Io { .. } => "check the disk and the path, then try again".into(),
            HostError::Usage(_) => "run the command with --help to see what it takes".into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            HostError::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::InvalidInput
                    | std::io::ErrorKind::AlreadyExists
            ),
            HostError::Usage(_) => true,
        }
    }
}

impl HostError {
    /// Wraps an I/O error with what we were doing and where.
    pub fn io(
        action: &'static str,
        path: impl Into<std::path::PathBuf>,
        source: std::io::Error,
    ) -> Self {
        HostError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_exits_with_2_and_keeps_help() {
        let e: Error = HostError::Usage("no such partition".into()).into();
        assert_eq!(e.exit_code(), 2);
        assert!(e.help().contains("--help"));
        assert_eq!(e.to_string(), "no such partition");
    }

    #[test]
    fn io_failure_other_than_not_found_exits_with_1() {
        let io = std::io::Error::other("disk on fire");
        let e: Error = HostError::io("write", "/tmp/x", io).into();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().starts_with("cannot write /tmp/x"));
    }

    #[test]
    fn the_layer_error_inside_is_found_by_its_type_only() {
        let e: Error = HostError::Usage("x".into()).into();
        assert!(matches!(
            e.downcast_ref::<HostError>(),
            Some(HostError::Usage(_))
        ));
        #[derive(Debug, thiserror::Error)]
        #[error("other")]
        struct Other;
        impl Advice for Other {
            fn help(&self) -> String {
                String::new()
            }
            fn is_bad_input(&self) -> bool {
                false
            }
        }
        assert!(e.downcast_ref::<Other>().is_none());
    }
}
