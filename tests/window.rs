//! End-to-end tests in the real window: the built app under Xvfb, driven through
//! tauri-driver and WebKitWebDriver.

use anyhow::Result;
use thirtyfour::prelude::*;
use vigil_engine::{OpenOptions, Vigil};
use vigil_tests::window::{missing_tools, AppWindow};

/// Skips (with the reason) where the window tools are absent, unless the test command
/// asked for them to be required.
fn skip_reason() -> Option<String> {
    let reason = missing_tools()?;
    if std::env::var_os("VIGIL_E2E_REQUIRED").is_some() {
        panic!("end-to-end tests are required here but cannot run: {reason}");
    }
    Some(reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_the_stores_numbers() -> Result<()> {
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED dashboard_shows_the_stores_numbers: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("vigil.sqlite3");
    {
        let vigil = Vigil::open(OpenOptions {
            db: Some(db.clone()),
            ..OpenOptions::default()
        })
        .await?;
        vigil.load_demo().await?;
        vigil.store().pool().close().await;
    }

    let app = vigil_tests::built_binary("vigil-app");
    let window = AppWindow::launch(&app, &db).await?;
    let result = async {
        let machines = window.text("[data-stat=machines] .stat-value").await?;
        let alerts = window.text("[data-stat=active-alerts] .stat-value").await?;
        let pending = window
            .text("[data-stat=pending-actions] .stat-value")
            .await?;
        assert_eq!(
            (machines.as_str(), alerts.as_str(), pending.as_str()),
            ("12", "1", "0")
        );
        let nav = window.driver.find_all(By::Css("nav [data-nav]")).await?;
        let mut labels = Vec::new();
        for item in nav {
            labels.push(item.text().await?);
        }
        assert_eq!(
            labels,
            [
                "Dashboard",
                "Investigations",
                "Action center",
                "Machines",
                "Alerts",
                "Settings"
            ]
        );
        let shot = window.screenshot("dashboard").await?;
        eprintln!("screenshot: {}", shot.display());

        window.click("[data-nav=settings]").await?;
        let expected = db.display().to_string();
        window
            .text_when("[data-testid=data-location]", |text| text == expected)
            .await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    window.close().await?;
    result
}
