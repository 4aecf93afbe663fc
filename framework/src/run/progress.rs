//! Progress for long work: a bar with ETA and a live failure count on a
//! terminal, plain log lines otherwise (CI logs, files), nothing when quiet.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes.
#[derive(Debug, Clone)]
pub struct Progress {
    enabled: bool,
    terminal: bool,
}

impl Progress {
    /// `enabled = false` silences everything (`--quiet`).
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A log line on stderr.
    pub fn log(&self, line: &str) {
        if self.enabled {
            eprintln!("{line}");
        }
    }

    /// A progress bar over `len` steps; drawn on a terminal only.
    pub fn bar(&self, len: u64, what: &str) -> Bar {
        let bar = if self.enabled && self.terminal {
            let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} ETA {eta} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_prefix(what.to_string());
            b.enable_steady_tick(Duration::from_millis(250));
            Some(b)
        } else {
            None
        };
        Bar {
            bar,
            enabled: self.enabled,
        }
    }
}

/// A progress bar, or its plain-text stand-in.
pub struct Bar {
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Bar {
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    pub fn set_message(&self, msg: String) {
        if let Some(b) = &self.bar {
            b.set_message(msg);
        }
    }

    /// A line above the bar (or on its own without one).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None if self.enabled => eprintln!("{line}"),
            None => {}
        }
    }

    pub fn finish_and_clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
