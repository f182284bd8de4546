//! A moto S3 server on loopback for one test, stopped when dropped.
//!
//! The S3 client reads credentials from the environment, which a test cannot set for itself
//! (the test harness runs tests on threads), so each S3 test runs again as a child process
//! with the credentials and the server's endpoint in its environment.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ENDPOINT_VAR: &str = "RUNLAKE_TEST_S3_ENDPOINT";

/// A running moto server.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Moto {
    /// Starts `<repo>/.venv/bin/moto_server` on a free loopback port. Fails when the virtual
    /// environment is missing: the tests must not pass without having run.
    pub fn start() -> Self {
        let bin = repo_root().join(".venv/bin/moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run `bash .ci/test`, which creates .venv with moto[server]",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}; run `bash .ci/test`", bin.display()));
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Creates a bucket with a plain HTTP request (object_store cannot create buckets). The
    /// authorization header only tells moto which service is meant; it checks no signature.
    pub fn create_bucket(&self, name: &str) {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).expect("connect to moto");
        let request = format!(
            "PUT /{name} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=0\r\nx-amz-date: 20260101T000000Z\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "creating bucket {name}: {response}"
        );
    }
}

/// The server endpoint when running as the child process of an S3 test.
pub fn child_endpoint() -> Option<String> {
    std::env::var(ENDPOINT_VAR).ok()
}

/// Starts moto, creates `bucket`, and runs test `name` of this binary again in a child
/// process with S3 credentials and the endpoint in its environment; fails when it fails.
pub fn run_in_child(name: &str, bucket: &str) {
    let server = Moto::start();
    server.create_bucket(bucket);
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ENDPOINT_VAR, &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run the test in a child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child run of {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
}
