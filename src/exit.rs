//! Exit codes (Jepsen's convention) and the error that carries one.

/// Bad arguments, a config typo, or input that cannot be read.
pub const EXIT_BAD_INPUT: i32 = 254;
/// A bug in faultline itself.
pub const EXIT_INTERNAL: i32 = 255;

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
