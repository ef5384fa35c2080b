//! A real window under test: Xvfb when there is no display, tauri-driver in front of
//! WebKitWebDriver, and a WebDriver session on the built app.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use thirtyfour::prelude::*;
use thirtyfour::Capabilities;

/// Why the window tests cannot run here, or `None` when they can.
pub fn missing_tools() -> Option<String> {
    for tool in ["WebKitWebDriver", "tauri-driver"] {
        if find_tool(tool).is_none() {
            return Some(format!(
                "{tool} is not installed (the README's test command installs it)"
            ));
        }
    }
    if std::env::var_os("DISPLAY").is_none() && find_tool("Xvfb").is_none() {
        return Some("no DISPLAY and no Xvfb to make one".into());
    }
    None
}

/// Finds a program on PATH or in ~/.cargo/bin.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listened on port {port} within {timeout:?}")
}

/// A child process that is sent SIGTERM (not SIGKILL: that would orphan WebKitWebDriver)
/// when dropped.
struct Guarded(Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The built app in a real window, driven through WebDriver.
pub struct AppWindow {
    pub driver: WebDriver,
    display: String,
    _tauri_driver: Guarded,
    _xvfb: Option<Guarded>,
}

impl AppWindow {
    /// Launches `app` on the store `db` and opens a WebDriver session on its window.
    pub async fn launch(app: &Path, db: &Path) -> Result<Self> {
        AppWindow::launch_with(app, db, &[]).await
    }

    /// Launches `app` as [`AppWindow::launch`] does, with `env` added to its environment.
    pub async fn launch_with(app: &Path, db: &Path, env: &[(&str, &str)]) -> Result<Self> {
        if !app.is_file() {
            bail!(
                "the app binary {} is missing: build the UI, then `cargo build --workspace`",
                app.display()
            );
        }
        let (display, xvfb) = match std::env::var("DISPLAY") {
            Ok(display) if !display.is_empty() => (display, None),
            _ => start_xvfb()?,
        };
        let port = free_port()?;
        let native_port = free_port()?;
        let tauri_driver = find_tool("tauri-driver").context("tauri-driver not found")?;
        let child = Command::new(tauri_driver)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", &display)
            .env("VIGIL_DB", db)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start tauri-driver")?;
        let tauri_driver = Guarded(child);
        wait_for_port(port, Duration::from_secs(20))?;
        wait_for_port(native_port, Duration::from_secs(20))?;

        let mut map = serde_json::Map::new();
        map.insert("browserName".into(), "wry".into());
        map.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app, "args": ["--db", db] }),
        );
        let caps = Capabilities::from(map);
        // WebKitWebDriver may accept connections a moment before it takes sessions.
        let url = format!("http://127.0.0.1:{port}");
        let mut attempt = 0;
        let driver = loop {
            attempt += 1;
            // A session on an app that exits at start never answers: bound the wait.
            let session = tokio::time::timeout(
                Duration::from_secs(30),
                WebDriver::new(url.as_str(), caps.clone()),
            )
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "the app did not open a window within 30 s (does it start by hand?)"
                )
            })?;
            match session {
                Ok(driver) => break driver,
                Err(_) if attempt < 5 => tokio::time::sleep(Duration::from_millis(300)).await,
                Err(error) => {
                    return Err(error).context("cannot open a WebDriver session on the app")
                }
            }
        };
        // Settings the window keeps in its own storage (the theme) outlive an app: every
        // test starts from none.
        let kept = driver
            .execute(
                "const kept = localStorage.length; localStorage.clear(); return kept;",
                Vec::new(),
            )
            .await?;
        if kept.json().as_u64().unwrap_or(0) > 0 {
            driver.refresh().await?;
        }
        Ok(Self {
            driver,
            display,
            _tauri_driver: tauri_driver,
            _xvfb: xvfb,
        })
    }

    /// The text of the first element matching `css` once it is present and `ready` accepts it.
    pub async fn text_when(&self, css: &str, ready: impl Fn(&str) -> bool) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.driver.find(By::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if ready(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{css} did not show the expected text within 20 s (last: {last:?})")
    }

    /// The text of the first element matching `css` once it is present and not empty.
    pub async fn text(&self, css: &str) -> Result<String> {
        self.text_when(css, |text| !text.is_empty()).await
    }

    /// The first element matching `css`, once it is there (20 s at most).
    pub async fn element(&self, css: &str) -> Result<WebElement> {
        self.driver
            .query(By::Css(css))
            .wait(Duration::from_secs(20), Duration::from_millis(100))
            .first()
            .await
            .with_context(|| format!("{css} never appeared"))
    }

    /// Types `text` into the first element matching `css`.
    pub async fn type_text(&self, css: &str, text: &str) -> Result<()> {
        self.element(css).await?.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.element(css).await?.click().await?;
        Ok(())
    }

    /// Presses and releases one key (Tab, Enter, Space …) where the focus is.
    pub async fn press(&self, key: Key) -> Result<()> {
        self.driver
            .action_chain()
            .key_down(key.clone())
            .key_up(key)
            .perform()
            .await?;
        Ok(())
    }

    /// Presses Tab until the focused element matches `css` (at most `max` times), then
    /// checks that the focus is visible: the element matches `:focus-visible` and draws an
    /// outline. Fails when the element is not reachable by keyboard.
    pub async fn tab_to(&self, css: &str, max: usize) -> Result<()> {
        let probe = "const [css] = arguments; const el = document.activeElement; \
            if (!el || !el.matches(css)) return null; \
            const style = getComputedStyle(el); \
            return { visible: el.matches(':focus-visible'), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };";
        for _ in 0..max {
            self.press(Key::Tab).await?;
            let found = self
                .driver
                .execute(probe, vec![serde_json::json!(css)])
                .await?
                .json()
                .clone();
            if found.is_null() {
                continue;
            }
            let visible = found["visible"].as_bool() == Some(true)
                && found["outline"].as_str() != Some("none")
                && found["width"].as_f64().unwrap_or(0.0) >= 1.0;
            if !visible {
                bail!("{css} has the keyboard focus but does not show it: {found}");
            }
            return Ok(());
        }
        bail!("{css} was not reached with {max} presses of Tab")
    }

    /// Sizes the window (the display must be at least as large).
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.driver
            .set_window_rect(0, 0, width, height)
            .await
            .context("cannot size the window")?;
        Ok(())
    }

    /// Saves a picture of the window as the display shows it. It is taken from the X
    /// display (ImageMagick's `import`), not through WebDriver: WebKit's snapshot needs GL
    /// compositing, which the app turns off to save memory (see `src-tauri/src/lib.rs`).
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = crate::artifacts_dir().join(format!("{name}.png"));
        let rect = self.driver.get_window_rect().await?;
        let import = find_tool("import").context(
            "ImageMagick's `import` is not installed (the README's test command installs it)",
        )?;
        let status = Command::new(import)
            .args(["-display", &self.display, "-window", "root"])
            .arg("-crop")
            .arg(format!(
                "{}x{}+{}+{}",
                rect.width,
                rect.height,
                rect.x.max(0),
                rect.y.max(0)
            ))
            .arg("+repage")
            .arg(&path)
            .status()
            .context("cannot run ImageMagick's import")?;
        if !status.success() {
            bail!(
                "import could not capture display {}: {status}",
                self.display
            );
        }
        Ok(path)
    }

    /// Ends the session (the app closes) before the drivers stop.
    /// Runs `body` on this window, then closes it whatever `body` returned.
    pub async fn run<T>(self, body: impl AsyncFnOnce(&AppWindow) -> Result<T>) -> Result<T> {
        let result = body(&self).await;
        self.close().await?;
        result
    }

    pub async fn close(self) -> Result<()> {
        self.driver.clone().quit().await?;
        Ok(())
    }
}

fn start_xvfb() -> Result<(String, Option<Guarded>)> {
    let xvfb = find_tool("Xvfb").context("no DISPLAY and no Xvfb")?;
    for n in 90..120 {
        let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
        if lock.exists() {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new(&xvfb)
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb")?;
        let guard = Guarded(child);
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if socket.exists() {
                return Ok((display, Some(guard)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    bail!("Xvfb did not start on any display :90–:119")
}
