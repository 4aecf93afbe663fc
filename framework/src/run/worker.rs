//! Who is running a trial, and whether they still are.
//!
//! A worker id is `host:pid:start`, where `start` is the process's start time
//! in clock ticks since boot (`/proc/<pid>/stat`, field 22). A later process
//! that reuses the pid has another start time, so a trial is never mistaken
//! for live because its pid was recycled.

use std::sync::OnceLock;

/// This process's worker id.
pub fn worker_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let pid = std::process::id();
        let start = process_start(pid).unwrap_or(0);
        format!("{}:{pid}:{start}", host_name())
    })
}

/// The machine's host name.
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Start time of a live, non-zombie process, from `/proc` (Linux).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces: fields after it start
    // after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// True when `worker` certainly no longer runs: it is on this host and its
/// process is gone (or is another process with a recycled pid). Workers on
/// other hosts are never declared dead here; their heartbeat decides.
pub fn is_dead(worker: &str) -> bool {
    let mut parts = worker.rsplitn(3, ':');
    let (Some(start), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if host != host_name() || !cfg!(target_os = "linux") {
        return false;
    }
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    process_start(pid) != Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_dead() {
        assert!(!is_dead(worker_id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = process_start(pid);
        child.wait().unwrap();
        let id = format!("{}:{pid}:{}", host_name(), start.unwrap_or(1));
        assert!(is_dead(&id), "{id}");
        // Same pid, another start time: a recycled pid is not our worker.
        let me = std::process::id();
        assert!(is_dead(&format!("{}:{me}:1", host_name())));
        // Other hosts are left to the heartbeat.
        assert!(!is_dead("elsewhere:1:1"));
    }
}
