//! Starts the real `factdesk` binary as a child process and watches its log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::standin::{StandIn, TOKEN};

/// A running `factdesk` process; killed on drop if still running.
pub struct Bot {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// A state directory of its own, so no test writes into the repository.
    _state: tempfile::TempDir,
}

impl Bot {
    /// `factdesk <args>` against `standin`, with the stand-in's token and base.
    pub fn start(standin: &StandIn, args: &[&str], env: &[(&str, &str)]) -> Bot {
        Bot::launch(
            Command::new(env!("CARGO_BIN_EXE_factdesk")),
            standin,
            args,
            env,
        )
    }

    /// Like [`Bot::start`], allowed at most `files` open file descriptors (sockets included).
    pub fn start_with_open_files(
        files: u32,
        standin: &StandIn,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Bot {
        let mut sh = Command::new("sh");
        // `exec` keeps the pid, so terminate() and Drop reach factdesk itself.
        sh.args(["-c", r#"ulimit -n "$0" && exec "$@""#])
            .arg(files.to_string())
            .arg(env!("CARGO_BIN_EXE_factdesk"));
        Bot::launch(sh, standin, args, env)
    }

    fn launch(mut cmd: Command, standin: &StandIn, args: &[&str], env: &[(&str, &str)]) -> Bot {
        let state = tempfile::tempdir().expect("state dir");
        // A private state dir unless the test chose one (a flag, or its config file, which
        // the environment would override).
        if !args.iter().any(|a| *a == "--config" || *a == "--state-dir") {
            cmd.env("FACTDESK_STATE_DIR", state.path());
        }
        cmd.args(args)
            .current_dir(super::root())
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", standin.base())
            .env("RUST_LOG", "info")
            .env_remove("FACTDESK_LOG_FORMAT")
            // SQLite in the state dir unless a test gives a database.
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_URL_FILE")
            // Tests ask the same things over and over from one member: cooldowns off, unless
            // a test sets them (an empty value restores the default).
            .env("FACTDESK_COOLDOWN_SECONDS", "0")
            .env("FACTDESK_USER_RATE_PER_MINUTE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start factdesk");
        let log = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        Bot {
            child,
            log,
            _state: state,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process printed so far (stderr and stdout, by line).
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .join("\n")
    }

    /// Waits until a printed line contains `needle` and returns that line.
    pub async fn wait_for_line(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self
                .log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .find(|l| l.contains(needle))
                .cloned();
            if let Some(line) = found {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "factdesk never printed {needle:?} within {timeout:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the "listening on http://…" line (text or JSON logs) and returns the URL.
    pub async fn wait_for_url(&self, timeout: Duration) -> String {
        let line = self.wait_for_line("listening on http://", timeout).await;
        let from = line.find("http://").expect("the line holds a URL");
        line[from..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap_or("")
            .to_owned()
    }

    /// Whether the process has exited (without waiting).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, at most `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain the pipes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "factdesk did not exit within {timeout:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
