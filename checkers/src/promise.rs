//! What a system promises its clients, as the checkers hold it to: each
//! system says it for its options, each workload turns it into the
//! checker it asks for.

use crate::serializable::ConsistencyModel;

/// What a system promises under some options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promise {
    /// What transactions are held to.
    pub consistency_model: ConsistencyModel,
    /// Whether a read sees everything acknowledged before it began (the
    /// set checker then refutes a stale read).
    pub reads_are_current: bool,
}

impl Promise {
    /// Strict serializability with current reads: what a linearizable
    /// store promises.
    pub const STRICT: Promise = Promise {
        consistency_model: ConsistencyModel::StrictSerializable,
        reads_are_current: true,
    };
}
