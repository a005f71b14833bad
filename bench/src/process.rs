//! The servers under test as separate processes: the release `mwauth` binary (accounts made
//! with its own admin commands, a temporary data directory) and the baseline (this binary's
//! `baseline-server`). Separate processes so that the load generator's threads and the
//! server's are scheduled like any client and server, and the server's memory is its own.

use anyhow::{anyhow, bail, Context as _};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server child process; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    pub pid: u32,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// (VmRSS, VmHWM) in KiB, from /proc/PID/status.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU time a process has used so far, in user space and in the kernel (/proc/PID/stat,
/// clock ticks).
pub fn cpu_times(pid: u32) -> Option<CpuTimes> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let time = |ticks: u64| Duration::from_nanos(ticks * 1_000_000_000 / hz);
    Some(CpuTimes {
        user: time(f.get(11)?.parse().ok()?),
        system: time(f.get(12)?.parse().ok()?),
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub user: Duration,
    pub system: Duration,
}

impl CpuTimes {
    /// What was used between `self` and `later`.
    pub fn until(self, later: CpuTimes) -> CpuTimes {
        CpuTimes {
            user: later.user.saturating_sub(self.user),
            system: later.system.saturating_sub(self.system),
        }
    }

    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

/// CPU time this process (the load generator) has used so far.
pub fn self_cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Children die with this process, even if it is killed: no server is left running.
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches nothing of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `mwauth` binary beside this one (`target/release/mwauth` next to
/// `target/release/mwauth-bench`).
pub fn default_mwauth_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("mwauth")))
        .unwrap_or_else(|| PathBuf::from("target/release/mwauth"))
}

/// Creates the user and its bot password with mwauth's admin commands.
/// With `config`, the same configuration file the server gets (its users backend).
pub fn create_accounts(
    bin: &Path,
    data_dir: &Path,
    config: Option<&Path>,
    acct: &crate::plan::Accounts,
) -> anyhow::Result<()> {
    let (user, bot) = acct
        .bot_user
        .split_once('@')
        .ok_or_else(|| anyhow!("bot user {} has no @", acct.bot_user))?;
    if user != acct.user {
        bail!("the bot password must belong to {}", acct.user);
    }
    let data = data_dir.to_string_lossy().into_owned();
    let runs: [Vec<&str>; 2] = [
        vec![
            "--data-dir",
            &data,
            "user",
            "create",
            &acct.user,
            "--password",
            &acct.password,
        ],
        vec![
            "--data-dir",
            &data,
            "botpassword",
            "create",
            user,
            bot,
            "--password",
            &acct.bot_password,
            "--grants",
            "basic",
        ],
    ];
    for args in runs {
        let mut cmd = Command::new(bin);
        if let Some(c) = config {
            cmd.arg("--config").arg(c);
        }
        let out = cmd
            .args(&args)
            .output()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        if !out.status.success() {
            bail!(
                "{} {}: {}",
                bin.display(),
                args[2..4].join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    Ok(())
}

/// Starts `mwauth serve` on a free loopback port and waits for its first answer. Returns the
/// process and the time from spawn to that first answered request.
pub fn spawn_mwauth(
    bin: &Path,
    data_dir: &Path,
    log_level: Option<&str>,
    config: Option<&Path>,
) -> anyhow::Result<(ServerProcess, Duration)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("server.log"))?;
    let mut cmd = Command::new(bin);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(["--data-dir"])
        .arg(data_dir)
        .args(["serve", "--listen", &addr.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    if let Some(level) = log_level {
        cmd.env("MWAUTH_LOG", level);
    }
    die_with_parent(&mut cmd);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let mut server = ServerProcess {
        pid: child.id(),
        child: Some(child),
        addr,
    };
    let path = "/w/api.php?action=query&meta=tokens&format=json";
    let took = wait_answered(&mut server, path, started)?;
    Ok((server, took))
}

fn wait_answered(
    server: &mut ServerProcess,
    path: &str,
    started: Instant,
) -> anyhow::Result<Duration> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(mut s) = TcpStream::connect_timeout(&server.addr, Duration::from_millis(100)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = [0u8; 12];
            if s.write_all(request.as_bytes()).is_ok()
                && s.read_exact(&mut head).is_ok()
                && &head[..9] == b"HTTP/1.1 "
                && &head[9..12] == b"200"
            {
                return Ok(started.elapsed());
            }
        }
        if let Some(child) = server.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("the server exited during start-up ({status})");
            }
        }
        std::thread::sleep(Duration::from_micros(250));
    }
    bail!("no answer from {} within 15 s", server.addr)
}

/// Starts this binary's `baseline-server` on a free loopback port.
pub fn spawn_baseline() -> anyhow::Result<ServerProcess> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(["baseline-server", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().context("cannot start the baseline server")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| anyhow!("baseline server said {line:?}"))?;
    let mut server = ServerProcess {
        pid: child.id(),
        child: Some(child),
        addr,
    };
    wait_answered(&mut server, "/", Instant::now())?;
    Ok(server)
}

/// Starts a `redis-server` of this run's own on a free loopback port, with no persistence
/// and its working directory in `dir`: the bench writes only there, and flushes nothing of
/// anyone else's. Stopped, like the servers, by its PID.
pub fn spawn_redis(dir: &Path) -> anyhow::Result<ServerProcess> {
    let port = free_port()?;
    let mut cmd = Command::new("redis-server");
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut cmd);
    let child = cmd
        .spawn()
        .context("cannot start redis-server (Debian's redis-server package)")?;
    let mut server = ServerProcess {
        pid: child.id(),
        child: Some(child),
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(mut s) = TcpStream::connect_timeout(&server.addr, Duration::from_millis(100)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut pong = [0u8; 7];
            if s.write_all(b"PING\r\n").is_ok()
                && s.read_exact(&mut pong).is_ok()
                && &pong == b"+PONG\r\n"
            {
                return Ok(server);
            }
        }
        if let Some(Ok(Some(status))) = server.child.as_mut().map(Child::try_wait) {
            bail!("redis-server exited during start-up ({status})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop();
    bail!("redis-server on {} did not answer within 15 s", server.addr)
}
