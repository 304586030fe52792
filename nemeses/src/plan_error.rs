//! Why a nemesis option cannot be used.

/// A nemesis option that cannot be used, in one line naming the option
/// and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// Returns a [`PlanError`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(PlanError(format!($($arg)*)))
    };
}
pub(crate) use bail;
