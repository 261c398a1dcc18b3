"""A small but complete Cargo workspace, written by tests into a temp dir."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "Cargo.toml": '[workspace]\nmembers = ["core", "app"]\n',
    ".gitignore": "ignored/\n*.bak.rs\n",
    "core/Cargo.toml": '[package]\nname = "demo-core"\nversion = "0.1.0"\nedition = "2021"\n',
    "core/src/lib.rs": """//! The demo core library.

pub mod config;
mod shapes;

/// Anything with an area.
pub trait Shape {
    /// The area of the shape.
    fn area(&self) -> f64;
}

/// A round shape.
#[derive(Debug, Clone)]
pub struct Circle {
    /// Its radius.
    pub radius: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        3.0 * self.radius * self.radius
    }
}

impl Circle {
    /// Make a circle.
    pub fn new(radius: f64) -> Self {
        Circle { radius }
    }
}

/// Colours.
pub enum Color {
    Red,
    Green(u8),
    Blue { level: u8 },
}

pub const MAX_SHAPES: usize = 10;
pub static LIBRARY_NAME: &str = "demo";
pub type ShapeId = u64;

macro_rules! square {
    ($x:expr) => {
        $x * $x
    };
}

pub union Bits {
    int: u32,
    float: f32,
}

mod inner {
    pub fn helper() -> u32 {
        square!(3)
    }
}
""",
    "core/src/config.rs": """/// Settings read from disk.
pub struct Config {
    pub path: String,
}

impl Config {
    /// Reload the config from its file.
    pub fn reload(&mut self) -> std::io::Result<()> {
        self.path = std::fs::read_to_string(&self.path)?;
        Ok(())
    }
}
""",
    "core/src/shapes/mod.rs": """pub mod square;

pub fn all_shapes() -> usize {
    1
}
""",
    "core/src/shapes/square.rs": """pub struct Square {
    pub side: f64,
}
""",
    "app/Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
    "app/src/main.rs": """fn main() {
    let circle = demo_core::Circle::new(1.0);
    println!("{}", circle.radius);
}
""",
    "target/debug/build/generated.rs": "pub fn generated_do_not_index() {}\n",
    "ignored/skip.rs": "pub fn ignored_do_not_index() {}\n",
    "core/src/old.bak.rs": "pub fn backup_do_not_index() {}\n",
}


def write_workspace(root: Path) -> Path:
    """Write the workspace under ``root``; returns ``root``."""
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
