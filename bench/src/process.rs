//! Figures about a process, read from /proc: CPU time, resident memory and the
//! open-file limit.

use std::time::Duration;

use anyhow::{bail, Context, Result};

/// /proc reports CPU times in USER_HZ clock ticks, which Linux fixes at 100 on every
/// architecture (what `getconf CLK_TCK` prints; calling sysconf needs unsafe code).
const TICKS_PER_SECOND: u64 = 100;

/// File descriptors kept back from the socket budget: the database, the HTTP pool,
/// the listening socket, log files.
const RESERVED_FILES: u64 = 500;

/// User plus system CPU time the process has used so far.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = read(pid, "stat")?;
    // The command name in parentheses may hold spaces: count fields after it.
    // utime and stime are fields 14 and 15; the state (field 3) follows the name.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .with_context(|| format!("/proc/{pid}/stat has no field {}", index + 3))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_micros(total * 1_000_000 / TICKS_PER_SECOND))
}

/// The CPU time the server (when its pid is known) and the bench use over a
/// stretch of a run.
pub struct CpuMeter {
    server_pid: Option<u32>,
    server_start: Option<Duration>,
    bench_start: Duration,
}

/// What a [`CpuMeter`] measured.
pub struct CpuUsed {
    pub server: Option<Duration>,
    pub bench: Duration,
}

impl CpuMeter {
    pub fn start(server_pid: Option<u32>) -> Result<Self> {
        Ok(Self {
            server_pid,
            server_start: server_pid.map(cpu_time).transpose()?,
            bench_start: cpu_time(std::process::id())?,
        })
    }

    /// The CPU time used since the start.
    pub fn used(&self) -> Result<CpuUsed> {
        let server = match (
            self.server_start,
            self.server_pid.map(cpu_time).transpose()?,
        ) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        let bench = cpu_time(std::process::id())?.saturating_sub(self.bench_start);
        Ok(CpuUsed { server, bench })
    }
}

/// Resident set size in bytes (the `Rss:` line of smaps_rollup).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let rollup = read(pid, "smaps_rollup")?;
    kib_line(&rollup, "Rss:").with_context(|| format!("no Rss line in /proc/{pid}/smaps_rollup"))
}

/// Resident set size in bytes (`VmRSS` in /proc/PID/status): cheaper to read than
/// smaps_rollup, which walks every mapping, so it can be sampled often while the
/// process works.
pub fn resident_bytes(pid: u32) -> Result<u64> {
    let status = read(pid, "status")?;
    kib_line(&status, "VmRSS:").with_context(|| format!("no VmRSS line in /proc/{pid}/status"))
}

/// The machine's memory in bytes (`MemTotal` in /proc/meminfo).
pub fn memory_total_bytes() -> Result<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    kib_line(&meminfo, "MemTotal:").context("no MemTotal line in /proc/meminfo")
}

/// A `Name:   1234 kB` line, in bytes.
fn kib_line(text: &str, name: &str) -> Option<u64> {
    let kib: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix(name))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// How many sockets one process may hold: the smallest soft open-file limit among
/// `pids` (and this process), less a reserve.
pub fn socket_budget(pids: &[u32]) -> Result<usize> {
    let mut limit = open_file_limit(std::process::id())?;
    for &pid in pids {
        limit = limit.min(open_file_limit(pid)?);
    }
    Ok(usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX))
}

/// The soft "Max open files" limit.
fn open_file_limit(pid: u32) -> Result<u64> {
    let limits = read(pid, "limits")?;
    let Some(soft) = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
    else {
        bail!("no open-file limit in /proc/{pid}/limits");
    };
    Ok(soft.parse().unwrap_or(u64::MAX))
}

fn read(pid: u32, file: &str) -> Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .with_context(|| format!("reading /proc/{pid}/{file}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(resident_bytes(me).unwrap() > 0);
        assert!(memory_total_bytes().unwrap() > 0);
        cpu_time(me).unwrap();
        assert!(socket_budget(&[]).unwrap() > 0);
    }
}
