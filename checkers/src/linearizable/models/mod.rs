//! The sequential specifications faultline checks histories against.

mod kv;
mod mutex;
mod queue;
mod register;
mod set;

pub use kv::KvModel;
pub use mutex::MutexModel;
pub use queue::QueueModel;
pub use register::{RegisterInput, RegisterModel, RegisterOutput};
pub use set::SetModel;
