//! One palette for plots, timeline and drawings, so an outcome or a fault
//! kind has the same colour everywhere on the page.

use plotters::style::RGBColor;

/// Outcome names, in the order of [`outcome_color`]'s index.
pub const OUTCOMES: [&str; 3] = ["ok", "fail", "info"];

const OUTCOME_RGB: [(u8, u8, u8); 3] = [(47, 127, 193), (214, 96, 135), (240, 150, 30)];

/// Colour of an outcome: 0 ok (blue), 1 fail (pink), 2 info (orange), as Jepsen.
pub fn outcome_color(outcome: usize) -> RGBColor {
    let (r, g, b) = OUTCOME_RGB[outcome.min(2)];
    RGBColor(r, g, b)
}

/// Fault kinds in the order the timeline's legend shows them; `fault` is
/// Jepsen's generic `:start` / `:stop` nemesis, whose kind is not said.
pub const FAULT_KINDS: [&str; 8] = [
    "partition",
    "kill",
    "pause",
    "clock",
    "packet",
    "disk",
    "member",
    "fault",
];

const FAULT_RGB: [(u8, u8, u8); 8] = [
    (110, 110, 110),
    (200, 40, 40),
    (140, 80, 190),
    (30, 140, 60),
    (20, 130, 170),
    (120, 60, 20),
    (200, 90, 150),
    (170, 120, 40),
];

fn fault_rgb(kind: &str) -> (u8, u8, u8) {
    FAULT_KINDS
        .iter()
        .position(|k| *k == kind)
        .map_or((120, 120, 120), |i| FAULT_RGB[i])
}

/// Colour of a fault kind's windows.
pub fn fault_color(kind: &str) -> RGBColor {
    let (r, g, b) = fault_rgb(kind);
    RGBColor(r, g, b)
}

/// `#rrggbb` of a fault kind, for HTML and scripts.
pub fn fault_hex(kind: &str) -> String {
    let (r, g, b) = fault_rgb(kind);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `#rrggbb` of each outcome, for HTML and scripts.
pub fn outcome_hex() -> [String; 3] {
    OUTCOME_RGB.map(|(r, g, b)| format!("#{r:02x}{g:02x}{b:02x}"))
}
