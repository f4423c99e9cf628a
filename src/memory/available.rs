//! The memory a run may take: the operating system's own figure (`MemAvailable` of
//! `/proc/meminfo`), lowered to what is left under a cgroup's limit where one applies, or
//! what [`LIMIT_VARIABLE`] says instead.

use std::path::Path;

use crate::error::{Error, Result};

/// The environment variable that replaces the machine's figure: bytes, or a number with a
/// binary suffix (`512M`, `2G`, `1.5T`); what a test, a container or a shared machine wants a
/// run held to.
pub const LIMIT_VARIABLE: &str = "BURNPROP_MEMORY_LIMIT";

/// The memory a run may take, and where the figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from, for the message that quotes it.
    pub source: &'static str,
}

impl Available {
    /// [`LIMIT_VARIABLE`] where it is set, else the smaller of `MemAvailable` and the room left
    /// under this process's cgroup limit; `None` where the system says neither (not Linux).
    ///
    /// # Errors
    /// If [`LIMIT_VARIABLE`] is set to something that is not a size.
    pub fn now() -> Result<Option<Self>> {
        if let Some(text) = std::env::var_os(LIMIT_VARIABLE) {
            let text = text.to_string_lossy();
            return parse_size(&text).map(|bytes| {
                Some(Available {
                    bytes,
                    source: LIMIT_VARIABLE,
                })
            }).ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "{LIMIT_VARIABLE} must be a number of bytes, optionally with a suffix K, M, G or T (powers of 1024), e.g. 512M or 2G (got '{text}')"
                ))
            });
        }
        let meminfo = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_available(&text))
            .map(|bytes| Available {
                bytes,
                source: "MemAvailable",
            });
        let cgroup = cgroup_room().map(|bytes| Available {
            bytes,
            source: "the cgroup's memory limit",
        });
        Ok(match (meminfo, cgroup) {
            (Some(a), Some(b)) => Some(if b.bytes < a.bytes { b } else { a }),
            (a, b) => a.or(b),
        })
    }
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find(|line| line.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The room left under this process's cgroup memory limit: cgroup v2's `memory.max` less
/// `memory.current`, or v1's `memory.limit_in_bytes` less `memory.usage_in_bytes`. `None`
/// where no limit applies (v2 writes `max`; v1 writes a number near `i64::MAX`).
fn cgroup_room() -> Option<u64> {
    let root = Path::new("/sys/fs/cgroup");
    // v2: one line `0::/path` names the process's group below the root.
    let v2 = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|text| {
            let path = text.lines().find_map(|line| line.strip_prefix("0::"))?;
            Some(root.join(path.trim_start_matches('/')))
        });
    let v2 = [v2, Some(root.to_path_buf())]
        .into_iter()
        .flatten()
        .find_map(|dir| room(&dir.join("memory.max"), &dir.join("memory.current")));
    v2.or_else(|| {
        let v1 = root.join("memory");
        room(
            &v1.join("memory.limit_in_bytes"),
            &v1.join("memory.usage_in_bytes"),
        )
    })
}

/// A limit beyond which a cgroup counts as unlimited: v1 writes `i64::MAX` rounded down to a
/// page for "no limit".
const UNLIMITED: u64 = 1 << 60;

fn room(limit: &Path, usage: &Path) -> Option<u64> {
    let read =
        |path: &Path| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let limit = read(limit).filter(|&limit| limit < UNLIMITED)?;
    Some(limit.saturating_sub(read(usage).unwrap_or(0)))
}

/// A size as [`LIMIT_VARIABLE`] takes it: bytes (`1073741824`), or a number with a suffix
/// `K`, `M`, `G` or `T` (powers of 1024, an optional `B` or `iB` after it, any case): `512M`,
/// `2G`, `1.5GiB`. `None` for anything else, and for a size past `u64::MAX` bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let unit = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (number, shift) = match unit.char_indices().last()? {
        (at, 'k') => (&unit[..at], 10),
        (at, 'm') => (&unit[..at], 20),
        (at, 'g') => (&unit[..at], 30),
        (at, 't') => (&unit[..at], 40),
        _ => (unit, 0),
    };
    let number = number.trim();
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(1 << shift);
    }
    let value: f64 = number.parse().ok()?;
    let bytes = value * (1u64 << shift) as f64;
    // u64::MAX as f64 rounds up to 2^64, which `<` then excludes.
    (value.is_finite() && value >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_and_without_suffixes() {
        assert_eq!(parse_size("1073741824"), Some(1 << 30));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("2gib"), Some(2 << 30));
        assert_eq!(parse_size("64kB"), Some(64 << 10));
        assert_eq!(parse_size("1.5G"), Some(3 << 29));
        assert_eq!(parse_size(" 1T "), Some(1 << 40));
        for bad in ["", "G", "-1G", "two", "1.5.2M", "1X", "nan", "inf"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        // 2^64 bytes and more do not fit: refused, not wrapped.
        assert_eq!(parse_size("16777216T"), None);
        assert_eq!(parse_size("18446744073709551616"), None);
    }

    #[test]
    fn mem_available_is_read_in_kib() {
        // The first lines of a /proc/meminfo (proc(5): values in kB, meaning KiB).
        let text = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(mem_available(text), Some(20_000_000 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn a_cgroup_without_a_limit_is_no_limit() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (limit, usage) = (dir.path().join("max"), dir.path().join("current"));
        std::fs::write(&limit, "max\n").expect("writable");
        std::fs::write(&usage, "1000\n").expect("writable");
        assert_eq!(room(&limit, &usage), None);
        std::fs::write(&limit, "9223372036854771712\n").expect("writable");
        assert_eq!(room(&limit, &usage), None);
        std::fs::write(&limit, "5000\n").expect("writable");
        assert_eq!(room(&limit, &usage), Some(4000));
    }
}
