//! One operation as the search sees it.

use crate::linearizable::model::Model;

/// One operation as the search sees it.
pub struct Entry<M: Model> {
    /// Position of the invocation in the history.
    pub call: usize,
    /// Position of the completion; `None` when the outcome is unknown (it
    /// may take effect at any time after `call`, or never).
    pub ret: Option<usize>,
    /// The argument.
    pub input: M::Input,
    /// The result; `None` when unknown.
    pub output: Option<M::Output>,
    /// Index into the history's operations, for descriptions.
    pub op: usize,
    /// A write that some completed read of the whole history observed
    /// ([`super::unique_values`]): the state it leaves must be one a read
    /// can still return ([`Model::is_readable`]).
    pub observed: bool,
}

impl<M: Model> Clone for Entry<M> {
    fn clone(&self) -> Self {
        Entry {
            call: self.call,
            ret: self.ret,
            input: self.input.clone(),
            output: self.output.clone(),
            op: self.op,
            observed: self.observed,
        }
    }
}
