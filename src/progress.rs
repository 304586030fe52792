//! Progress on long work: a check, a report or a database set-up that runs
//! past a couple of seconds says, every two seconds, how long it has run
//! and how much memory it holds (on a terminal as one line rewritten in
//! place, by indicatif; elsewhere, as in CI logs, as plain lines). The work
//! runs where it is called; one watcher thread, started on first use, looks
//! at the clock, so that the many short checks of a run of files pay
//! nothing but two lock takings.

use std::io::IsTerminal;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Silent this long; then a line every [`EVERY`].
const QUIET: Duration = Duration::from_secs(2);
const EVERY: Duration = Duration::from_secs(2);
/// How often the watcher looks.
const LOOK: Duration = Duration::from_millis(250);

/// The work being watched: what, since when, when last reported.
struct Watched {
    what: String,
    start: Instant,
    reported: Option<Instant>,
    bar: Option<indicatif::ProgressBar>,
}

static CURRENT: Mutex<Option<Watched>> = Mutex::new(None);
static WATCHER: Once = Once::new();

fn watch() {
    loop {
        std::thread::sleep(LOOK);
        let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        let Some(watched) = current.as_mut() else {
            continue;
        };
        let due = match watched.reported {
            None => watched.start.elapsed() >= QUIET,
            Some(at) => at.elapsed() >= EVERY,
        };
        if !due {
            continue;
        }
        watched.reported = Some(Instant::now());
        let line = format!(
            "{}: {:.0} s{}",
            watched.what,
            watched.start.elapsed().as_secs_f64(),
            faultline_core::memory::resident_bytes()
                .map(|b| format!(", {} resident", faultline_core::memory::Bytes(b)))
                .unwrap_or_default()
        );
        if std::io::stderr().is_terminal() {
            watched
                .bar
                .get_or_insert_with(|| {
                    let bar = indicatif::ProgressBar::new_spinner();
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                })
                .set_message(line);
        } else {
            eprintln!("{line}");
        }
    }
}

/// Runs `work`, reporting on it as `what` (`checking etcd_057.log`) when it
/// takes longer than a couple of seconds.
pub fn with_progress<T>(what: &str, work: impl FnOnce() -> T) -> T {
    WATCHER.call_once(|| {
        // Without a watcher the work still runs, silently.
        let _ = std::thread::Builder::new()
            .name("progress".into())
            .spawn(watch);
    });
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(Watched {
        what: what.to_owned(),
        start: Instant::now(),
        reported: None,
        bar: None,
    });
    let result = work();
    let finished = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(bar) = finished.and_then(|w| w.bar) {
        bar.finish_and_clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_work_returns_its_result_and_says_nothing() {
        assert_eq!(with_progress("adding", || 2 + 2), 4);
        assert!(CURRENT.lock().unwrap().is_none(), "nothing left watched");
    }
}
