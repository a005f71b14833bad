//! Helpers shared by mwauth's fuzz targets: the text form of requests, an in-memory user
//! store, result-tree generators and a strict PHP unserializer used as the formatters' oracle.

pub mod php;
pub mod steps;
pub mod tree;
pub mod users;

/// A current-thread tokio runtime per fuzzing thread (libFuzzer runs one input at a time).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
    }
    RT.with(|rt| rt.block_on(f))
}

/// Whether a response header value would survive `http::HeaderValue::from_str` (what the
/// server's adapter uses; it silently drops anything else) and cannot split a response.
pub fn header_value_ok(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}
