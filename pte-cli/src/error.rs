//! How a subcommand fails: bad input (exit status 2, a message naming the value) or I/O.

use std::fmt;
use std::io;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// Bad user input: exit status 2, a one-line message naming the bad value.
    BadInput(String),
    /// Reading stdin or writing stdout failed: exit status 1 (a closed pipe is not an error).
    Io(io::Error),
}

impl CliError {
    /// A bad-input error from anything printable.
    pub fn bad(msg: impl fmt::Display) -> Self {
        CliError::BadInput(msg.to_string())
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

/// The result of a subcommand.
pub type CliResult = Result<(), CliError>;
