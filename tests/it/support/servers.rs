//! Real git servers on 127.0.0.1, started and stopped by the tests: `git daemon` (git://) and
//! `git http-backend` behind a small HTTP/1.1 server with basic authentication (http://).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// `git daemon` serving `root` with push enabled, one `git daemon --inetd` per connection: the
/// listening socket is bound before `start` returns, so there is nothing to wait for.
pub struct GitDaemon {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Child>>>,
}

impl GitDaemon {
    pub fn start(root: &Path) -> GitDaemon {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, stop2) = (root.to_path_buf(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut children = Vec::new();
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let input = OwnedFd::from(stream);
                let output = input.try_clone().unwrap();
                let child = Command::new("git")
                    .args(["daemon", "--inetd", "--export-all", "--enable=receive-pack"])
                    .arg("--informative-errors")
                    .arg(format!("--base-path={}", root.display()))
                    .arg(&root)
                    .stdin(Stdio::from(input))
                    .stdout(Stdio::from(output))
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("git daemon starts");
                children.push(child);
            }
            children
        });
        GitDaemon {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        for mut child in self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

type Hook = Box<dyn FnMut() + Send>;

/// An HTTP server in front of `git http-backend`, requiring basic auth `user:token`.
pub struct HttpGit {
    pub port: u16,
    /// `METHOD path?query -> status` of every request.
    pub log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpGit {
    /// Serve `root`; `before_first_push` runs once, just before the first receive-pack POST is
    /// handed to git (to move the remote under a client's feet).
    pub fn start(root: &Path, user: &str, token: &str, before_first_push: Option<Hook>) -> HttpGit {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let expected = format!("Basic {}", base64(format!("{user}:{token}").as_bytes()));
        let (root, log2, stop2) = (root.to_path_buf(), log.clone(), stop.clone());
        let hook = Arc::new(Mutex::new(before_first_push));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &root, &expected, &log2, &hook);
                }
            }
        });
        HttpGit {
            port,
            log,
            stop,
            thread: Some(thread),
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for HttpGit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    root: &Path,
    expected_auth: &str,
    log: &Mutex<Vec<String>>,
    hook: &Mutex<Option<Hook>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let body = read_body(
        &mut reader,
        header("content-length"),
        header("transfer-encoding"),
    )?;
    if header("authorization").as_deref() != Some(expected_auth) {
        log.lock()
            .unwrap()
            .push(format!("{method} {target} -> 401"));
        return stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if method == "POST" && target.contains("git-receive-pack") {
        if let Some(mut h) = hook.lock().unwrap().take() {
            h();
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut child = Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", "eksvend-test")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("GIT_HTTP_RECEIVE_PACK", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    child.stdin.take().unwrap().write_all(&body)?;
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out)?;
    child.wait()?;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, content) = match split {
        Some((i, n)) => (
            String::from_utf8_lossy(&out[..i]).to_string(),
            out[i + n..].to_vec(),
        ),
        None => (String::new(), out),
    };
    let mut status = "200 OK".to_string();
    let mut response = String::new();
    for line in head.lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some((k, v)) => response.push_str(&format!("{k}: {}\r\n", v.trim())),
            None => {}
        }
    }
    log.lock().unwrap().push(format!(
        "{method} {target} -> {}",
        status.split_whitespace().next().unwrap_or("")
    ));
    stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
            content.len()
        )
        .as_bytes(),
    )?;
    stream.write_all(&content)
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    length: Option<String>,
    encoding: Option<String>,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if encoding.is_some_and(|e| e.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = length.and_then(|l| l.parse::<usize>().ok()) {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(body)
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A bare repository at `root/<name>.git`.
pub fn bare_repo(root: &Path, name: &str) -> PathBuf {
    let path = root.join(format!("{name}.git"));
    let out = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    path
}

#[test]
fn base64_encodes() {
    assert_eq!(base64(b"user:token"), "dXNlcjp0b2tlbg==");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"abc"), "YWJj");
}
