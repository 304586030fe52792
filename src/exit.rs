//! Exit codes (Jepsen's convention) and the error that carries one.

/// Bad arguments, a config typo, or input that cannot be read.
pub const EXIT_BAD_INPUT: i32 = 254;
/// A bug in faultline itself.
pub const EXIT_INTERNAL: i32 = 255;
/// Standard output was closed by its reader: 128 + SIGPIPE, as the shell
/// reports a tool that SIGPIPE ended.
pub const EXIT_CLOSED_PIPE: i32 = 141;

/// Whether a panic's payload is std's failure to print to a closed stdout
/// (`println!` panics on EPIPE, since Rust ignores SIGPIPE).
pub fn is_closed_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to stdout") && text.contains("Broken pipe")
}

/// An error that ends the command, with the exit code it calls for.
pub struct Failure {
    /// The process exit code.
    pub code: i32,
    /// What went wrong, for one line on stderr.
    pub error: anyhow::Error,
}

impl Failure {
    /// The user's input is at fault.
    pub fn bad_input(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            error: error.into(),
        }
    }
}
