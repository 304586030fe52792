//! The TrueType font plots lay their text out with. Found at run time among
//! the usual system paths (or `FAULTLINE_FONT`), registered once.

use std::sync::OnceLock;

/// Where Debian, Fedora and Arch keep a sans-serif font.
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
];

/// Registers a font as "sans-serif" for plotters, once. The error says how
/// to get one.
pub fn ensure_font() -> Result<(), String> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var("FAULTLINE_FONT").ok();
        let paths = from_env.iter().map(String::as_str).chain(CANDIDATES.iter().copied());
        for path in paths {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, bytes)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err("no TrueType font found for the plots: install one (apt-get install fonts-dejavu-core) or set FAULTLINE_FONT=/path/to/font.ttf".to_owned())
    })
    .clone()
}
