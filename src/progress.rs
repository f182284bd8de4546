//! A one-line progress display on stderr, shown only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Redraws one status line at most a few times a second.
#[derive(Debug)]
pub struct ProgressLine {
    enabled: bool,
    last: Mutex<Option<Instant>>,
}

impl ProgressLine {
    /// A line that draws only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled: enabled && std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    /// Shows `text`, unless the previous update was too recent (`force` overrides).
    pub fn update(&self, text: &str, force: bool) {
        if !self.enabled {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        if !force && last.is_some_and(|t| now.duration_since(t) < Duration::from_millis(100)) {
            return;
        }
        *last = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
