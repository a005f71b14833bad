//! The request log never holds the server up: with its stderr a pipe that nobody reads (a
//! stuck log collector), `mwauth serve` keeps answering at full speed, once the pipe is read
//! again every line is there, and SIGTERM still stops it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REQUESTS: usize = 3000;

/// The server process, killed when the test ends, passed or failed.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stderr_nobody_reads_never_holds_requests_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Read up to the start-up line, then stop reading: the pipe (64 KiB) fills after a few
    // hundred request lines and the log thread blocks in write(2).
    let (server, mut stderr, url) = start(dir.path());

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        for i in 0..REQUESTS {
            let r = client
                .get(format!(
                    "{url}?action=query&meta=tokens&format=json&requestid={i}"
                ))
                .send()
                .await
                .expect("answer");
            assert_eq!(r.status(), 200);
            assert!(r.text().await.unwrap().contains(r#""csrftoken":"+\\""#));
        }
    })
    .await;
    let took = started.elapsed();
    assert!(
        answered.is_ok(),
        "requests stalled behind the unread log ({REQUESTS} not answered in {took:?})"
    );
    // The lines waited in memory (well under the 4 MiB bound): read now, every one is there.
    let reader = std::thread::spawn(move || {
        let mut requests = 0;
        let mut line = String::new();
        while requests < REQUESTS {
            line.clear();
            match stderr.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.contains(
                        " INFO request method=GET path=/w/api.php action=query status=200 ",
                    ) {
                        requests += 1;
                    } else {
                        assert!(!line.contains("dropped"), "lines were dropped: {line}");
                    }
                }
            }
        }
        requests
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let finished = reader.is_finished();
    drop(server);
    assert!(
        finished,
        "the log lines did not arrive once stderr was read"
    );
    assert_eq!(reader.join().unwrap(), REQUESTS);
}

/// Starts `mwauth serve` with its stderr piped and returns it with the stderr reader, read up
/// to the start-up line (and no further), and the API URL.
fn start(dir: &std::path::Path) -> (Server, BufReader<std::process::ChildStderr>, String) {
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_mwauth"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("MWAUTH_DATA_DIR", dir)
            .env("MWAUTH_LOG", "info")
            .env_remove("MWAUTH_CONFIG")
            .env_remove("MWAUTH_WIKI_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mwauth serve"),
    );
    let mut stderr = BufReader::new(server.0.stderr.take().expect("stderr"));
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).expect("stderr") > 0,
            "no start-up line"
        );
        if let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") && w.ends_with("/w/api.php"))
        {
            return (server, stderr, url.to_string());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_while_its_stderr_is_stuck() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, _stderr, url) = start(dir.path());
    {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        // Enough lines to fill the pipe: the log thread is now blocked in write(2).
        for _ in 0..2000 {
            let r = client
                .get(format!("{url}?action=query&meta=tokens&format=json"))
                .send()
                .await
                .expect("answer");
            assert_eq!(r.status(), 200);
        }
    }
    let pid = server.0.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(exit) = server.0.try_wait().expect("wait") {
            assert!(exit.success(), "{exit}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "mwauth serve did not stop on SIGTERM with its stderr stuck"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
