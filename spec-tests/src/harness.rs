//! Drives one harness executable (compiled modules + runtime + the runtime's spec
//! harness) through its line protocol on stdin/stdout.
//!
//! Requests: `instantiate MODULE INSTANCE`, `register NAME INSTANCE`,
//! `invoke INSTANCE NAME ARGS...`, `get INSTANCE NAME` — names hex-encoded with
//! `abi::hex` (`-` when empty), values as in [`crate::values`]. Responses: `ok VALUES...`, `trap KIND` (an
//! `abi::TrapKind` code) or `error MESSAGE`.

use kiln_abi::TrapKind;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, PartialEq)]
pub enum Response {
    Ok(Vec<String>),
    Trap(Option<TrapKind>),
    Error(String),
}

pub struct Harness {
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Option<std::thread::JoinHandle<String>>,
    /// Set once the process is gone; every later request fails with it.
    dead: Option<String>,
    /// Each request restarts the watchdog's clock.
    watchdog: mpsc::Sender<()>,
}

impl Harness {
    /// Starts `exe` (through `runner`, e.g. an emulator, when given). The process is
    /// killed when starting or answering one request takes longer than `timeout`, so a
    /// miscompiled infinite loop cannot hang the run.
    pub fn start(exe: &Path, runner: &[String], timeout: Duration) -> std::io::Result<Harness> {
        let mut command = match runner.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let child = Arc::new(Mutex::new(child));
        let (done, watchdog) = mpsc::channel::<()>();
        let victim = Arc::clone(&child);
        std::thread::spawn(move || loop {
            match watchdog.recv_timeout(timeout) {
                Ok(()) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = victim.lock().unwrap().kill();
                    return;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        });
        Ok(Harness {
            child,
            stdin,
            stdout,
            stderr: Some(stderr),
            dead: None,
            watchdog: done,
        })
    }

    pub fn request(&mut self, line: &str) -> Response {
        if let Some(why) = &self.dead {
            return Response::Error(why.clone());
        }
        let _ = self.watchdog.send(());
        let mut response = String::new();
        let sent = writeln!(self.stdin, "{line}").and_then(|_| self.stdin.flush());
        let received = sent.and_then(|_| self.stdout.read_line(&mut response));
        match received {
            Ok(n) if n > 0 => parse_response(response.trim_end()),
            _ => {
                let why = self.death_notice();
                self.dead = Some(why.clone());
                Response::Error(why)
            }
        }
    }

    /// Why the process stopped answering: its exit status and the end of its stderr.
    fn death_notice(&mut self) -> String {
        let status = self.child.lock().unwrap().wait();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        match status {
            Ok(status) => format!("harness process ended ({status}); stderr: {tail}"),
            Err(e) => format!("harness process lost: {e}"),
        }
    }

    /// Closes stdin and waits for a clean exit.
    pub fn finish(mut self) -> Result<(), String> {
        drop(self.stdin);
        let status = self
            .child
            .lock()
            .unwrap()
            .wait()
            .map_err(|e| e.to_string())?;
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if status.success() || self.dead.is_some() {
            Ok(())
        } else {
            Err(format!(
                "harness exited with {status}: {}",
                stderr.trim_end()
            ))
        }
    }
}

fn parse_response(line: &str) -> Response {
    let mut words = line.split(' ');
    match words.next() {
        Some("ok") => Response::Ok(words.filter(|w| !w.is_empty()).map(String::from).collect()),
        Some("trap") => Response::Trap(
            words
                .next()
                .and_then(|k| k.parse().ok())
                .and_then(TrapKind::from_u32),
        ),
        Some("error") => Response::Error(line.get(6..).unwrap_or("").to_string()),
        _ => Response::Error(format!("unexpected harness output `{line}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses() {
        assert_eq!(parse_response("ok"), Response::Ok(vec![]));
        assert_eq!(
            parse_response("ok i32:1 f64:0"),
            Response::Ok(vec!["i32:1".into(), "f64:0".into()])
        );
        assert_eq!(
            parse_response("trap 7"),
            Response::Trap(Some(TrapKind::IntegerDivisionByZero))
        );
        assert_eq!(
            parse_response("error unknown import"),
            Response::Error("unknown import".into())
        );
        assert!(matches!(parse_response("garbage"), Response::Error(_)));
    }
}
