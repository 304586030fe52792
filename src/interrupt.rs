//! Ctrl-C and SIGTERM: from the first moment a command creates anything,
//! they only raise a flag, so that whatever phase is running ends and the
//! way out (heal, collect, tear down, remove) still runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Starts catching SIGINT and SIGTERM (once; later calls do nothing).
pub fn install() {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            if let Err(e) = signal_hook::flag::register(signal, flag.clone()) {
                eprintln!("warning: cannot catch signal {signal}: {e}");
            }
        }
        flag
    });
}

/// Whether an interrupt has arrived.
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::Relaxed))
}
