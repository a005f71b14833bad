//! The request log never holds the server up: with its stderr a pipe that nobody reads (a
//! stuck log collector), `mwauth serve` keeps answering at full speed, once the pipe is read
//! again every line is there, and SIGTERM still stops it.

mod common;

use std::io::BufRead;
use std::time::{Duration, Instant};

const REQUESTS: usize = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stderr_nobody_reads_never_holds_requests_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Read up to the start-up line, then stop reading: the pipe (64 KiB) fills after a few
    // hundred request lines and the log thread blocks in write(2).
    let (server, mut stderr) = common::start_serve(dir.path(), &[], "info");
    let url = server.url.clone();

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_while_its_stderr_is_stuck() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _stderr) = common::start_serve(dir.path(), &[], "info");
    let url = server.url.clone();
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
    let exit = server.stop();
    assert!(
        exit.is_some(),
        "mwauth serve did not stop on SIGTERM with its stderr stuck"
    );
    assert!(exit.unwrap().success(), "{exit:?}");
}
