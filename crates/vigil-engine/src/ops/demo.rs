//! The demo environment: a believable small office written into the store as data —
//! machines, groups, users, a week of ordinary telemetry, a threat feed, the machines'
//! live state for the `lab` connector, and an attack in progress on `client4`. The
//! ordinary detections raise its alerts and the ordinary engine investigates them.

use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use time::{Duration, OffsetDateTime};

use crate::domain::{file_name, AutomationLevel, GroupRule};
use crate::domain::{NewEvent, NewIndicator, NewMachine};
use crate::ops::alerts::Routing;
use crate::ops::groups::{create_group, NewGroup};
use crate::store::{events, indicators, machines, users};
use crate::{clock, Error, Result, Vigil};

/// The payload's SHA-256 (the same file sits on client4 and client7).
pub const PAYLOAD_SHA256: &str = "9f2b5c61d3a8e47f0b6c2d19e8a7f3c4b5d6e7f8091a2b3c4d5e6f708192a3b4";
/// The macro document's SHA-256.
pub const DOCUMENT_SHA256: &str =
    "4c7e1a9b2d3f5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f01";
/// The dropper script's SHA-256.
pub const SCRIPT_SHA256: &str = "b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2";
/// The attacker's domain.
pub const C2_DOMAIN: &str = "cdn-update.example.net";
/// The attacker's command-and-control URL.
pub const C2_URL: &str = "http://cdn-update.example.net/gate.php";
/// The attacker's IP address (documentation range).
pub const C2_IP: &str = "203.0.113.66";

/// What loading the demo wrote.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemoSummary {
    pub machines: u32,
    pub users: u32,
    pub events: u32,
    pub indicators: u32,
    pub alerts: u32,
}

/// A tiny deterministic generator (xorshift), so the demo is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Machine {
    name: &'static str,
    os: &'static str,
    os_family: &'static str,
    role: &'static str,
    tags: &'static [&'static str],
    ip: &'static str,
    user: &'static str,
}

const MACHINES: &[Machine] = &[
    Machine {
        name: "client1",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["sales"],
        ip: "10.0.0.21",
        user: "carol",
    },
    Machine {
        name: "client2",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["sales"],
        ip: "10.0.0.22",
        user: "dave",
    },
    Machine {
        name: "client3",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["support"],
        ip: "10.0.0.23",
        user: "erin",
    },
    Machine {
        name: "client4",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["accounting"],
        ip: "10.0.0.24",
        user: "alice",
    },
    Machine {
        name: "client5",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["support"],
        ip: "10.0.0.25",
        user: "frank",
    },
    Machine {
        name: "client6",
        os: "Windows 10 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["warehouse"],
        ip: "10.0.0.26",
        user: "grace",
    },
    Machine {
        name: "client7",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["accounting"],
        ip: "10.0.0.27",
        user: "bob",
    },
    Machine {
        name: "client8",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "workstation",
        tags: &["design"],
        ip: "10.0.0.28",
        user: "heidi",
    },
    Machine {
        name: "fs01",
        os: "Windows Server 2022",
        os_family: "windows",
        role: "file server",
        tags: &["server"],
        ip: "10.0.0.10",
        user: "svc-backup",
    },
    Machine {
        name: "dc01",
        os: "Windows Server 2022",
        os_family: "windows",
        role: "domain controller",
        tags: &["server"],
        ip: "10.0.0.2",
        user: "admin",
    },
    Machine {
        name: "pos01",
        os: "Windows 10 IoT Enterprise",
        os_family: "windows",
        role: "point of sale",
        tags: &["pos"],
        ip: "10.0.0.40",
        user: "pos",
    },
    Machine {
        name: "owner-laptop",
        os: "Windows 11 Pro",
        os_family: "windows",
        role: "laptop",
        tags: &["owner"],
        ip: "10.0.0.30",
        user: "olivia",
    },
];

const USERS: &[(&str, &str)] = &[
    ("alice", "Alice Moreau"),
    ("bob", "Bob Lindqvist"),
    ("carol", "Carol Osei"),
    ("dave", "Dave Kowalski"),
    ("erin", "Erin Walsh"),
    ("frank", "Frank Ito"),
    ("grace", "Grace Adeyemi"),
    ("heidi", "Heidi Novak"),
    ("olivia", "Olivia Hart (owner)"),
    ("admin", "IT administrator"),
    ("svc-backup", "Backup service"),
    ("pos", "Point-of-sale kiosk"),
];

const DOMAIN: &str = "northwind.local";
const OFFICE: &str = r"C:\Program Files\Microsoft Office\root\Office16";

fn groups() -> Vec<NewGroup> {
    let rule = |field: &str, pattern: &str| GroupRule {
        field: field.into(),
        pattern: pattern.into(),
    };
    vec![
        NewGroup {
            name: "Domain controllers".into(),
            description: "The machines that run the domain: every remediation waits for approval"
                .into(),
            automation_level: AutomationLevel::SemiAny,
            rules: vec![rule("name", "dc*")],
        },
        NewGroup {
            name: "Point of sale".into(),
            description: "The till: managed by the payment provider, not by Vigil".into(),
            automation_level: AutomationLevel::NotProtected,
            rules: vec![rule("tag", "pos")],
        },
        NewGroup {
            name: "Servers".into(),
            description: "File and backup servers".into(),
            automation_level: AutomationLevel::SemiCore,
            rules: vec![rule("os", "*server*")],
        },
        NewGroup {
            name: "Owner".into(),
            description: "The owner's laptop: threats are remediated at once".into(),
            automation_level: AutomationLevel::Full,
            rules: vec![rule("tag", "owner")],
        },
        NewGroup {
            name: "Workstations".into(),
            description: "Office PCs".into(),
            automation_level: AutomationLevel::SemiNonTemp,
            rules: vec![rule("name", "client*")],
        },
    ]
}

fn event(machine_id: i64, ts: &str, kind: &str) -> NewEvent {
    NewEvent {
        machine_id,
        ts: ts.to_string(),
        kind: kind.to_string(),
        source: "demo".into(),
        ..NewEvent::default()
    }
}

/// A week of ordinary office life on one machine.
fn ordinary_week(
    rng: &mut Rng,
    machine_id: i64,
    m: &Machine,
    now: OffsetDateTime,
    out: &mut Vec<NewEvent>,
) {
    let user = format!("NORTHWIND\\{}", m.user);
    let apps: &[(&str, &str)] = if m.role == "workstation" || m.role == "laptop" {
        &[
            (
                r"C:\Program Files\Google\Chrome\Application\chrome.exe",
                "chrome.exe",
            ),
            (
                r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
                "msedge.exe",
            ),
            (
                r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
                "OUTLOOK.EXE",
            ),
            (
                r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
                "EXCEL.EXE",
            ),
            (
                r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
                "WINWORD.EXE",
            ),
            (
                r"C:\Users\Public\AppData\Local\Microsoft\Teams\current\Teams.exe",
                "Teams.exe",
            ),
        ]
    } else {
        &[
            (r"C:\Windows\System32\svchost.exe", "svchost.exe -k netsvcs"),
            (r"C:\Windows\System32\wbem\WmiPrvSE.exe", "WmiPrvSE.exe"),
            (
                r"C:\Program Files\Veeam\Backup\VeeamAgent.exe",
                "VeeamAgent.exe --scheduled",
            ),
        ]
    };
    let domains = [
        "outlook.office365.com",
        "login.microsoftonline.com",
        "www.google.com",
        "teams.microsoft.com",
        "www.bbc.co.uk",
        "northwind-supplies.example",
        "update.googleapis.com",
        "windowsupdate.microsoft.com",
    ];
    let mut pid = 2000 + (machine_id * 37) % 500;
    for day in (1..=7).rev() {
        let morning = now - Duration::days(day) + Duration::minutes((rng.below(90)) as i64 - 45);
        let t = |offset_min: i64| clock::format(morning + Duration::minutes(offset_min));
        let mut logon = event(machine_id, &t(0), "logon");
        logon.user_name = Some(user.clone());
        logon.extra = Some(json!({"logon_type": 2}).to_string());
        out.push(logon);
        let explorer_pid = pid;
        let mut explorer = event(machine_id, &t(1), "process_start");
        explorer.user_name = Some(user.clone());
        explorer.pid = Some(explorer_pid);
        explorer.image = Some(r"C:\Windows\explorer.exe".into());
        explorer.command_line = Some(r"C:\Windows\Explorer.EXE".into());
        explorer.parent_pid = Some(600);
        explorer.parent_image = Some(r"C:\Windows\System32\userinit.exe".into());
        out.push(explorer);
        for i in 0..(6 + rng.below(6)) as i64 {
            pid += 4 + rng.below(40) as i64;
            let (image, cmd) = rng.pick(apps);
            let mut start = event(machine_id, &t(2 + i * 37), "process_start");
            start.user_name = Some(user.clone());
            start.pid = Some(pid);
            start.image = Some(image.to_string());
            start.command_line = Some(
                format!(
                    "\"{image}\" {}",
                    cmd.split_once(' ').map(|c| c.1).unwrap_or("")
                )
                .trim()
                .to_string(),
            );
            // A server's programs are services: the service manager (or, for WMI's
            // provider host, DCOM's svchost) starts them, not the desktop.
            let (parent_pid, parent) = match file_name(image).to_ascii_lowercase().as_str() {
                "svchost.exe" | "veeamagent.exe" => (640, r"C:\Windows\System32\services.exe"),
                "wmiprvse.exe" => (812, r"C:\Windows\System32\svchost.exe"),
                _ => (explorer_pid, r"C:\Windows\explorer.exe"),
            };
            start.parent_pid = Some(parent_pid);
            start.parent_image = Some(parent.into());
            out.push(start);
            for j in 0..(1 + rng.below(3)) as i64 {
                let domain = rng.pick(&domains);
                let mut dns = event(machine_id, &t(3 + i * 37 + j), "dns_query");
                dns.pid = Some(pid);
                dns.image = Some(image.to_string());
                dns.domain = Some(domain.to_string());
                dns.user_name = Some(user.clone());
                out.push(dns);
                let mut conn = event(machine_id, &t(3 + i * 37 + j), "network_connection");
                conn.pid = Some(pid);
                conn.image = Some(image.to_string());
                conn.domain = Some(domain.to_string());
                conn.remote_ip = Some(format!("198.51.100.{}", 1 + rng.below(200)));
                conn.remote_port = Some(443);
                conn.user_name = Some(user.clone());
                out.push(conn);
            }
            if m.role == "workstation" && rng.below(3) == 0 {
                let mut file = event(machine_id, &t(10 + i * 37), "file_create");
                file.pid = Some(pid);
                file.image = Some(image.to_string());
                file.target_path = Some(format!(
                    r"C:\Users\{}\Documents\report-{}-{}.xlsx",
                    m.user, day, i
                ));
                file.sha256 = Some(format!(
                    "{:016x}{:016x}{:016x}{:016x}",
                    rng.next(),
                    rng.next(),
                    rng.next(),
                    rng.next()
                ));
                file.user_name = Some(user.clone());
                out.push(file);
            }
        }
    }
}

/// The attack in progress on client4, and the same payload dormant on client7.
fn attack(client4: i64, client7: i64, now: OffsetDateTime, out: &mut Vec<NewEvent>) {
    let t0 = now - Duration::minutes(95);
    let t = |m: i64| clock::format(t0 + Duration::minutes(m));
    let user = "NORTHWIND\\alice".to_string();
    let outlook = format!(r"{OFFICE}\OUTLOOK.EXE");
    let winword = format!(r"{OFFICE}\WINWORD.EXE");
    let wscript = r"C:\Windows\System32\wscript.exe".to_string();
    let payload = r"C:\Users\alice\Downloads\updater.exe".to_string();
    let document = r"C:\Users\alice\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\Q7RX2LJ4\Invoice_4471.docm".to_string();
    let script = r"C:\Users\alice\AppData\Local\Temp\inv4471.js".to_string();

    let mut start = |ts: &str, pid: i64, image: &str, cmd: &str, ppid: i64, pimage: &str| {
        let mut e = event(client4, ts, "process_start");
        e.user_name = Some(user.clone());
        e.pid = Some(pid);
        e.image = Some(image.to_string());
        e.command_line = Some(cmd.to_string());
        e.parent_pid = Some(ppid);
        e.parent_image = Some(pimage.to_string());
        out.push(e);
    };
    start(
        &t(-30),
        4120,
        &outlook,
        &format!("\"{outlook}\""),
        3012,
        r"C:\Windows\explorer.exe",
    );
    start(
        &t(2),
        5312,
        &winword,
        &format!("\"{winword}\" /n \"{document}\" /o \"\""),
        4120,
        &outlook,
    );
    start(
        &t(3),
        6024,
        &wscript,
        &format!("wscript.exe //B //E:jscript \"{script}\""),
        5312,
        &winword,
    );
    start(
        &t(6),
        7140,
        &payload,
        &format!("\"{payload}\" -silent"),
        6024,
        &wscript,
    );

    let mut mail = event(client4, &t(0), "email_received");
    mail.user_name = Some(user.clone());
    mail.sha256 = Some(DOCUMENT_SHA256.into());
    mail.target_path = Some(document.clone());
    mail.extra = Some(
        json!({
            "message_id": "<4471.invoice@contoso-invoices.example>",
            "from": "billing@contoso-invoices.example",
            "to": "alice@northwind.example",
            "subject": "Invoice 4471 overdue",
            "attachment": "Invoice_4471.docm"
        })
        .to_string(),
    );
    out.push(mail);
    let file = |ts: &str, pid: i64, image: &str, path: &str, sha: &str| {
        let mut e = event(client4, ts, "file_create");
        e.user_name = Some(user.clone());
        e.pid = Some(pid);
        e.image = Some(image.to_string());
        e.target_path = Some(path.to_string());
        e.sha256 = Some(sha.to_string());
        e
    };
    out.push(file(&t(1), 4120, &outlook, &document, DOCUMENT_SHA256));
    out.push(file(&t(2), 5312, &winword, &script, SCRIPT_SHA256));
    out.push(file(&t(5), 6024, &wscript, &payload, PAYLOAD_SHA256));
    let net = |ts: &str, pid: i64, image: &str, url: Option<&str>| {
        let mut dns = event(client4, ts, "dns_query");
        dns.pid = Some(pid);
        dns.image = Some(image.to_string());
        dns.domain = Some(C2_DOMAIN.into());
        let mut conn = event(client4, ts, "network_connection");
        conn.pid = Some(pid);
        conn.image = Some(image.to_string());
        conn.domain = Some(C2_DOMAIN.into());
        conn.remote_ip = Some(C2_IP.into());
        conn.remote_port = Some(80);
        conn.url = url.map(str::to_string);
        [dns, conn]
    };
    out.extend(net(
        &t(4),
        6024,
        &wscript,
        Some("http://cdn-update.example.net/dl/updater.bin"),
    ));
    let mut run_key = event(client4, &t(7), "registry_set");
    run_key.user_name = Some(user.clone());
    run_key.pid = Some(7140);
    run_key.image = Some(payload.clone());
    run_key.registry_key = Some(r"HKU\S-1-5-21-3623811015-3361044348-30300820-1104\Software\Microsoft\Windows\CurrentVersion\Run\WindowsUpdater".into());
    run_key.registry_value = Some(format!("\"{payload}\" -silent"));
    out.push(run_key);
    for minute in [8, 38, 68] {
        out.extend(net(&t(minute), 7140, &payload, Some(C2_URL)));
    }

    // client7: the same payload, dropped three days ago into a core OS folder, dormant.
    let then = clock::format(now - Duration::days(3) + Duration::minutes(14));
    let mut drop = event(client7, &then, "file_create");
    drop.user_name = Some("NORTHWIND\\bob".into());
    drop.pid = Some(1180);
    drop.image = Some(r"C:\Windows\System32\svchost.exe".into());
    drop.target_path = Some(r"C:\Windows\System32\wupdsvc.exe".into());
    drop.sha256 = Some(PAYLOAD_SHA256.into());
    out.push(drop);
}

async fn lab_object(
    conn: &mut SqliteConnection,
    machine: Option<i64>,
    kind: &str,
    key: &str,
    data: serde_json::Value,
) -> Result<()> {
    sqlx::query("INSERT OR REPLACE INTO lab_objects (machine_id, kind, key, data, present) VALUES (?, ?, ?, ?, 1)")
        .bind(machine)
        .bind(kind)
        .bind(key.to_lowercase())
        .bind(data.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Vigil {
    /// Loads the demo environment into an empty store and raises its alerts.
    pub async fn load_demo(&self) -> Result<DemoSummary> {
        let _work = self.work_lock().await?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().pool().begin().await?;
        let (machines,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM machines")
            .fetch_one(&mut *tx)
            .await?;
        if machines > 0 {
            return Err(Error::Conflict(
                "the store already has machines; the demo environment loads only into an empty store (use --db with a new file)".into(),
            ));
        }
        for group in groups() {
            create_group(&mut tx, &group).await?;
        }
        for (name, display) in USERS {
            users::upsert(&mut tx, name, display, &format!("{name}@northwind.example")).await?;
        }
        let mut rng = Rng(0x5eed_1234_abcd_9876);
        let mut events = Vec::new();
        let mut ids = std::collections::HashMap::new();
        for m in MACHINES {
            let id = machines::upsert(
                &mut tx,
                &NewMachine {
                    name: m.name.into(),
                    domain: DOMAIN.into(),
                    os: m.os.into(),
                    os_family: m.os_family.into(),
                    role: m.role.into(),
                    tags: m.tags.iter().map(|t| t.to_string()).collect(),
                    ip: m.ip.into(),
                    connector: Some("lab".into()),
                },
            )
            .await?;
            ids.insert(m.name, id);
            ordinary_week(&mut rng, id, m, now, &mut events);
            // Live state: the shell and a browser run everywhere.
            lab_object(&mut tx, Some(id), "process", "3012", json!({"pid": 3012, "image": r"C:\Windows\explorer.exe", "command_line": r"C:\Windows\Explorer.EXE", "started_at": clock::format(now - Duration::hours(3))})).await?;
        }
        let client4 = ids.get("client4").copied().unwrap_or_default();
        let client7 = ids.get("client7").copied().unwrap_or_default();
        let mut attack_events = Vec::new();
        attack(client4, client7, now, &mut attack_events);
        events.extend(attack_events.iter().cloned());
        events.sort_by(|a, b| a.ts.cmp(&b.ts));
        let written = events::insert(&mut tx, &events).await?;

        let feed = "Demo threat feed";
        let indicators = vec![
            NewIndicator {
                kind: "sha256".into(),
                value: PAYLOAD_SHA256.into(),
                source: feed.into(),
                description: "Trojan:Win32/FakeUpdater backdoor".into(),
            },
            NewIndicator {
                kind: "sha256".into(),
                value: DOCUMENT_SHA256.into(),
                source: feed.into(),
                description: "macro document that downloads FakeUpdater".into(),
            },
            NewIndicator {
                kind: "domain".into(),
                value: C2_DOMAIN.into(),
                source: feed.into(),
                description: "FakeUpdater command-and-control domain".into(),
            },
            NewIndicator {
                kind: "url".into(),
                value: C2_URL.into(),
                source: feed.into(),
                description: "FakeUpdater command-and-control URL".into(),
            },
        ];
        let indicators_added = indicators::add(&mut tx, &indicators).await?;

        // The machines' live state as the lab connector shows it.
        let payload = r"C:\Users\alice\Downloads\updater.exe";
        let started = clock::format(now - Duration::minutes(89));
        for (path, sha) in [
            (payload, PAYLOAD_SHA256),
            (
                r"C:\Users\alice\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\Q7RX2LJ4\Invoice_4471.docm",
                DOCUMENT_SHA256,
            ),
            (
                r"C:\Users\alice\AppData\Local\Temp\inv4471.js",
                SCRIPT_SHA256,
            ),
        ] {
            lab_object(
                &mut tx,
                Some(client4),
                "file",
                path,
                json!({"path": path, "sha256": sha}),
            )
            .await?;
        }
        lab_object(&mut tx, Some(client4), "process", "7140", json!({"pid": 7140, "image": payload, "command_line": format!("\"{payload}\" -silent"), "started_at": started})).await?;
        lab_object(&mut tx, Some(client4), "process", "4120", json!({"pid": 4120, "image": format!(r"{OFFICE}\OUTLOOK.EXE"), "command_line": "OUTLOOK.EXE", "started_at": clock::format(now - Duration::hours(2))})).await?;
        let run_location = r"HKU\S-1-5-21-3623811015-3361044348-30300820-1104\Software\Microsoft\Windows\CurrentVersion\Run";
        lab_object(
            &mut tx,
            Some(client4),
            "persistence",
            &crate::connectors::lab::persistence_key("run_key", run_location, "WindowsUpdater"),
            json!({"mechanism": "run_key", "location": run_location, "name": "WindowsUpdater", "value": format!("\"{payload}\" -silent")}),
        )
        .await?;
        lab_object(
            &mut tx,
            None,
            "mail",
            "<4471.invoice@contoso-invoices.example>",
            json!({"to": "alice"}),
        )
        .await?;
        lab_object(
            &mut tx,
            Some(client7),
            "file",
            r"C:\Windows\System32\wupdsvc.exe",
            json!({"path": r"C:\Windows\System32\wupdsvc.exe", "sha256": PAYLOAD_SHA256}),
        )
        .await?;
        tx.commit().await?;

        // The ordinary detections raise the demo's alerts.
        let mut alerts = 0;
        for alert in crate::ops::detect::scan(&attack_events) {
            let raised = self.raise_alert(alert).await?;
            if raised.routing != Routing::Deduplicated {
                alerts += 1;
            }
        }
        tracing::info!(events = written, alerts, "demo environment loaded");
        Ok(DemoSummary {
            machines: MACHINES.len() as u32,
            users: USERS.len() as u32,
            events: written as u32,
            indicators: indicators_added as u32,
            alerts,
        })
    }
}
