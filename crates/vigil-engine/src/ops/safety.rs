//! What Vigil never acts on: the machine itself (its names and addresses, loopback,
//! link-local, the office's own network and domain), what keeps it running (OS binaries in
//! their system location, critical processes, services, tasks and registry values, built-in
//! accounts), the console and its store, and the admin's "never act on" list. Every
//! proposal and every run asks [`Guard::refusal`] first; a refusal is written down with its
//! reason, never silently dropped.
//!
//! Longer than 400 lines: one guard, and a refusal is only trustworthy if every rule of it
//! can be read in one place; the lists it checks are data (`content/protected.json`).

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Deserialize;
use sqlx::SqliteConnection;

use crate::domain::{file_name, ActionKind, NeverActOn};
use crate::store::{machines, settings};
use crate::{Error, Result, Vigil};

/// The settings key holding the admin's "never act on" list (JSON).
const NEVER_ACT_ON_KEY: &str = "never_act_on";

/// The protected content, embedded (`content/protected.json`).
#[derive(Debug, Default, Deserialize)]
struct Protected {
    os_folders: Vec<String>,
    critical_processes: Vec<String>,
    critical_services: Vec<String>,
    os_task_prefixes: Vec<String>,
    critical_registry_values: Vec<String>,
    builtin_accounts: Vec<String>,
    builtin_account_prefixes: Vec<String>,
    builtin_sids: Vec<String>,
    builtin_sid_suffixes: Vec<String>,
    os_binaries: Vec<String>,
    admin_accounts: Vec<String>,
}

fn protected() -> &'static Protected {
    static CONTENT: OnceLock<Protected> = OnceLock::new();
    CONTENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../content/protected.json")).unwrap_or_default()
    })
}

/// A path as the lists compare it: lower case, `/` separators, no drive letter, and the
/// usual environment variables of service and task paths spelled out.
pub fn canonical_path(path: &str) -> String {
    let mut p = path
        .trim()
        .trim_matches('"')
        .replace('\\', "/")
        .to_lowercase();
    for (var, real) in [
        ("%systemroot%", "/windows"),
        ("%windir%", "/windows"),
        ("\\systemroot", "/windows"),
        ("/systemroot", "/windows"),
        ("%programfiles%", "/program files"),
        ("%programfiles(x86)%", "/program files (x86)"),
        ("%programdata%", "/programdata"),
    ] {
        if let Some(rest) = p.strip_prefix(var) {
            p = format!("{real}{rest}");
        }
    }
    for prefix in ["/??/", "//?/", "//./"] {
        if let Some(rest) = p.strip_prefix(prefix) {
            p = rest.to_string();
        }
    }
    if p.len() >= 2 && p.as_bytes()[1] == b':' {
        p = p[2..].to_string();
    }
    p
}

/// Whether `path` is an OS file in its system location (`C:\Windows\System32\…`, `/usr/bin/…`),
/// or an OS program named bare (`cmd.exe`, which Windows finds in System32).
pub fn is_os_path(path: &str) -> bool {
    let p = canonical_path(path);
    if !p.contains('/') {
        return protected().os_binaries.contains(&p);
    }
    if p.starts_with("/windows/temp/") {
        return false;
    }
    protected()
        .os_folders
        .iter()
        .any(|folder| p.starts_with(folder.as_str()))
}

/// Whether `path` is one of Windows' own programs or libraries in its system location
/// (`C:\Windows\System32\comsvcs.dll`), not merely a file that lies there
/// (`C:\Windows\System32\mimilsa.log`, a planted DLL).
pub fn is_os_binary(path: &str) -> bool {
    is_os_path(path)
        && protected()
            .os_binaries
            .contains(&file_name(path).to_lowercase())
}

/// Whether an image path is a process the OS cannot run without, in its real location
/// (`lsass.exe` under System32 is; `lsass.exe` in a user's folder is not).
pub fn is_critical_process(image: &str) -> bool {
    let name = file_name(image).to_lowercase();
    protected().critical_processes.contains(&name)
        && (is_os_path(image) || !image.contains(['\\', '/']))
}

/// Whether an account is one Vigil never disables or resets: the OS's own (see
/// [`is_system_account`]) and those that run the office (the built-in Administrator, krbtgt).
pub fn is_builtin_account(account: &str) -> bool {
    let a = account.trim().to_lowercase();
    let bare = a.rsplit('\\').next().unwrap_or(&a);
    let p = protected();
    is_system_account(account)
        || p.admin_accounts.iter().any(|b| b == bare)
        || (a.starts_with("s-1-")
            && p.builtin_sid_suffixes
                .iter()
                .any(|s| a.ends_with(s.as_str())))
}

/// Whether an account is the OS's own (SYSTEM, the service accounts, machine accounts,
/// window manager and font driver sessions): it runs everything, so it says nothing about
/// who did what.
pub fn is_system_account(account: &str) -> bool {
    let a = account.trim().to_lowercase();
    let p = protected();
    let bare = a.rsplit('\\').next().unwrap_or(&a);
    if a.ends_with('$') {
        return true;
    }
    if a.starts_with("s-1-") {
        return p.builtin_sids.contains(&a);
    }
    p.builtin_accounts.iter().any(|b| b == bare || *b == a)
        || p.builtin_account_prefixes
            .iter()
            .any(|prefix| a.starts_with(prefix.as_str()))
}

/// What an action would be carried out on, as the guard checks it.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    pub action: Option<ActionKind>,
    pub name: &'a str,
    pub path: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub value: Option<&'a str>,
    /// `detail.mechanism` of a persistence entry.
    pub mechanism: Option<&'a str>,
    /// The machine the action would run on.
    pub machine: &'a str,
    /// That machine's connector (`local` is the computer Vigil runs on).
    pub connector: Option<&'a str>,
    /// The file's own content or hash is known bad (an IOC list, a YARA rule, an antivirus),
    /// or the admin asked: only then may a file in a system folder be quarantined.
    pub confirmed: bool,
}

/// A network in CIDR form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (
                a.trim().parse::<IpAddr>().ok()?,
                p.trim().parse::<u8>().ok()?,
            ),
            None => {
                let a = text.trim().parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Network { address, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> (u128, u32) {
            match a {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let ((net, width), (addr, other)) = (bits(self.address), bits(ip));
        if width != other {
            return false;
        }
        let shift = width - u32::from(self.prefix);
        shift >= width || (net >> shift) == (addr >> shift)
    }
}

/// Why an address is never blocked, if it is one of those.
fn special_address(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() {
                Some("a loopback address (this machine talking to itself)")
            } else if v4.is_unspecified() || v4.is_broadcast() {
                Some("not a real destination (unspecified or broadcast)")
            } else if v4.is_link_local() {
                Some("a link-local address")
            } else if v4.is_multicast() {
                Some("a multicast address")
            } else if v4.is_private() || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 {
                Some("an address on your own network: blocking it could cut machines off from each other")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address (this machine talking to itself)")
            } else if v6.is_unspecified() {
                Some("not a real destination (unspecified)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if first & 0xff00 == 0xff00 {
                Some("a multicast address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("an address on your own network: blocking it could cut machines off from each other")
            } else {
                None
            }
        }
    }
}

/// The host of a URL (`https://user@Host:8080/x` → `host`).
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host.split(':').next()?
    };
    let host = host.trim().trim_end_matches('.').to_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The machines Vigil knows and the admin's list, compiled for checking proposals.
#[derive(Debug, Default, Clone)]
pub struct Guard {
    /// Known machines' names (bare and with their domain), lower case.
    machine_names: HashSet<String>,
    /// The machines' own DNS domains (`corp.local`), lower case.
    own_domains: HashSet<String>,
    /// Known machines' addresses, by machine name.
    machine_ips: Vec<(IpAddr, String)>,
    /// Folders and files of the console itself (the store, the quarantine vault, the binary).
    console_paths: Vec<String>,
    list: NeverActOn,
    list_networks: Vec<Network>,
}

impl Guard {
    /// A guard over the machines in the store, the console's own files and the admin's list.
    pub async fn load(conn: &mut SqliteConnection, console: &[PathBuf]) -> Result<Guard> {
        let mut guard = Guard::default();
        for (name, domain, ip) in machines::addresses(conn).await? {
            let name = name.to_lowercase();
            let domain = domain.trim().trim_matches('.').to_lowercase();
            if !domain.is_empty() {
                guard.machine_names.insert(format!("{name}.{domain}"));
                guard.own_domains.insert(domain);
            }
            for ip in ip.split([',', ' ']).filter_map(|i| i.trim().parse().ok()) {
                guard.machine_ips.push((ip, name.clone()));
            }
            guard.machine_names.insert(name);
        }
        guard.console_paths = console
            .iter()
            .map(|p| canonical_path(&p.display().to_string()))
            .filter(|p| !p.is_empty())
            .collect();
        guard.set_list(never_act_on(conn).await?);
        Ok(guard)
    }

    fn set_list(&mut self, list: NeverActOn) {
        self.list_networks = list.ips.iter().filter_map(|t| Network::parse(t)).collect();
        self.list = list;
    }

    fn host_refusal(&self, host: &str) -> Option<String> {
        let host = host.trim().trim_end_matches('.').to_lowercase();
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.ip_refusal(ip);
        }
        if host == "localhost" || host.ends_with(".localhost") {
            return Some(format!("{host} is this machine's own name for itself"));
        }
        let bare = host.split('.').next().unwrap_or(&host);
        if self.machine_names.contains(&host)
            || (!host.contains('.') && self.machine_names.contains(bare))
        {
            return Some(format!("{host} is the name of a machine of yours"));
        }
        if !host.contains('.') {
            return Some(format!(
                "{host} is a name on your local network, not an internet domain"
            ));
        }
        if let Some(domain) = self
            .own_domains
            .iter()
            .find(|d| host == **d || host.ends_with(&format!(".{d}")))
        {
            return Some(format!("{host} is inside your own domain {domain}"));
        }
        if host.ends_with(".local") || host.ends_with(".lan") || host.ends_with(".internal") {
            return Some(format!("{host} is a name on your local network"));
        }
        self.list
            .domains
            .iter()
            .find(|d| host == d.as_str() || host.ends_with(&format!(".{d}")))
            .map(|d| format!("{host} is on your never-act-on list ({d})"))
    }

    fn ip_refusal(&self, ip: IpAddr) -> Option<String> {
        if let Some(why) = special_address(ip) {
            return Some(format!("{ip} is {why}"));
        }
        if let Some((_, machine)) = self.machine_ips.iter().find(|(a, _)| *a == ip) {
            return Some(format!("{ip} is the address of {machine}"));
        }
        self.list_networks.iter().find(|n| n.contains(ip)).map(|n| {
            format!(
                "{ip} is on your never-act-on list ({}/{})",
                n.address, n.prefix
            )
        })
    }

    fn path_refusal(&self, path: &str, what: &str, confirmed: bool) -> Option<String> {
        let p = canonical_path(path);
        if p.is_empty() {
            return None;
        }
        if is_os_path(path) {
            let name = file_name(path).to_lowercase();
            if protected().os_binaries.contains(&name) || !p.starts_with("/windows/") {
                return Some(format!(
                    "{} is an OS {what} in its system location: Windows or the machine needs it",
                    file_name(path)
                ));
            }
            if !confirmed {
                return Some(format!(
                    "{} is in a system folder and only an alert names it (no threat list, YARA \
                     rule or antivirus): Vigil leaves it to you",
                    file_name(path)
                ));
            }
        }
        if self
            .console_paths
            .iter()
            .any(|c| p == *c || p.starts_with(&format!("{c}/")))
        {
            return Some(format!("{} belongs to Vigil itself", file_name(path)));
        }
        self.list
            .paths
            .iter()
            .map(|l| (l, canonical_path(l)))
            .find(|(_, l)| p == *l || p.starts_with(&format!("{}/", l.trim_end_matches('/'))))
            .map(|(l, _)| format!("{path} is on your never-act-on list ({l})"))
    }

    /// Why Vigil must not carry out `subject`'s action, or `None` when it may.
    pub fn refusal(&self, subject: &Subject<'_>) -> Option<String> {
        let machine = subject.machine.to_lowercase();
        let bare_machine = machine.split('.').next().unwrap_or(&machine).to_string();
        if let Some(h) = self
            .list
            .hosts
            .iter()
            .find(|h| **h == machine || **h == bare_machine)
        {
            return Some(format!(
                "{} is on your never-act-on list ({h})",
                subject.machine
            ));
        }
        let value = subject.value.unwrap_or(subject.name);
        if let Some(hash) = subject
            .sha256
            .filter(|h| self.list.hashes.iter().any(|l| l.eq_ignore_ascii_case(h)))
        {
            return Some(format!(
                "the file's hash {hash} is on your never-act-on list"
            ));
        }
        match subject.action {
            Some(ActionKind::BlockIp) => match value.trim().parse::<IpAddr>() {
                Ok(ip) => self.ip_refusal(ip),
                Err(_) => Some(format!("{value} is not an IP address")),
            },
            Some(ActionKind::BlockDomain) => self.host_refusal(value),
            Some(ActionKind::BlockUrl) => match url_host(value) {
                Some(host) => self.host_refusal(&host),
                None => Some(format!("{value} names no host")),
            },
            Some(ActionKind::QuarantineFile) => subject
                .path
                .and_then(|p| self.path_refusal(p, "file", subject.confirmed)),
            Some(ActionKind::KillProcess) => {
                let image = subject.path.unwrap_or("");
                if is_critical_process(image) {
                    return Some(format!(
                        "{} is a process the OS cannot run without",
                        file_name(image)
                    ));
                }
                self.list_path_refusal(image)
                    .or_else(|| self.console_refusal(image))
            }
            Some(ActionKind::RemovePersistence) => self.persistence_refusal(subject),
            Some(ActionKind::DeleteRegistryValue) => {
                let key = subject.name.to_lowercase().replace('/', "\\");
                protected()
                    .critical_registry_values
                    .iter()
                    .find(|v| key.contains(v.as_str()) || key.ends_with(v.as_str()))
                    .map(|_| {
                        format!(
                            "{} is part of the OS's own configuration: deleting it could stop \
                             Windows from starting; set it back by hand",
                            subject.name
                        )
                    })
            }
            Some(ActionKind::DisableUser | ActionKind::ResetPassword | ActionKind::RequireMfa) => {
                is_builtin_account(value)
                    .then(|| format!("{value} is a built-in account Windows needs"))
            }
            Some(ActionKind::IsolateMachine) => (subject.connector == Some("local")).then(|| {
                format!(
                    "{} is the computer Vigil runs on: isolating it would cut the console off",
                    subject.machine
                )
            }),
            _ => None,
        }
    }

    fn list_path_refusal(&self, path: &str) -> Option<String> {
        let p = canonical_path(path);
        self.list
            .paths
            .iter()
            .find(|l| {
                let l = canonical_path(l);
                p == l || p.starts_with(&format!("{}/", l.trim_end_matches('/')))
            })
            .map(|l| format!("{path} is on your never-act-on list ({l})"))
    }

    fn console_refusal(&self, path: &str) -> Option<String> {
        let p = canonical_path(path);
        self.console_paths
            .iter()
            .any(|c| p == *c || p.starts_with(&format!("{c}/")))
            .then(|| format!("{} belongs to Vigil itself", file_name(path)))
    }

    fn persistence_refusal(&self, subject: &Subject<'_>) -> Option<String> {
        let p = protected();
        let name = subject.name.trim().to_lowercase();
        match subject.mechanism {
            Some("service") if p.critical_services.contains(&name) => {
                Some(format!("{} is a service Windows needs", subject.name))
            }
            Some("scheduled_task")
                if p.os_task_prefixes
                    .iter()
                    .any(|t| name.starts_with(t.as_str())) =>
            {
                Some(format!("{} is one of Windows' own tasks", subject.name))
            }
            _ => subject
                .value
                .and_then(|v| self.list_path_refusal(v.trim().trim_matches('"'))),
        }
    }
}

/// Tidies and checks the admin's list: lower case, sorted, each entry once; a bad entry is
/// an error that names it.
pub fn validated(list: &NeverActOn) -> Result<NeverActOn> {
    fn tidy(items: &[String], check: impl Fn(&str) -> Option<String>) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for item in items {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if let Some(why) = check(item) {
                return Err(Error::InvalidInput(why));
            }
            out.push(item.to_lowercase());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
    let name_ok = |what: &str, s: &str| {
        (s.contains(char::is_whitespace) || s.contains(['/', '\\', '*'])).then(|| {
            format!("“{s}” is not a {what}: write it without spaces, slashes or wildcards")
        })
    };
    Ok(NeverActOn {
        hosts: tidy(&list.hosts, |s| name_ok("machine name", s))?,
        ips: tidy(&list.ips, |s| {
            Network::parse(s).is_none().then(|| {
                format!("“{s}” is not an IP address or network (write 192.0.2.10 or 10.0.0.0/8)")
            })
        })?,
        domains: tidy(&list.domains, |s| {
            name_ok("domain", s.trim_start_matches("*."))
        })?
        .into_iter()
        .map(|d| d.trim_start_matches("*.").trim_end_matches('.').to_string())
        .collect(),
        paths: tidy(&list.paths, |_| None)?,
        hashes: tidy(&list.hashes, |s| {
            (!matches!(s.len(), 32 | 40 | 64) || !s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| format!("“{s}” is not a file hash (32, 40 or 64 hexadecimal characters)"))
        })?,
    })
}

/// The admin's list, as stored (empty when never set).
pub async fn never_act_on(conn: &mut SqliteConnection) -> Result<NeverActOn> {
    Ok(settings::get(conn, NEVER_ACT_ON_KEY)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

impl Vigil {
    /// What Vigil must never act on, as the admin wrote it.
    pub async fn never_act_on(&self) -> Result<NeverActOn> {
        let mut conn = self.store().pool().acquire().await?;
        never_act_on(&mut conn).await
    }

    /// Replaces the admin's "never act on" list; every later proposal and run honours it.
    #[tracing::instrument(skip(self, list))]
    pub async fn save_never_act_on(&self, list: &NeverActOn) -> Result<NeverActOn> {
        let list = validated(list)?;
        let text = serde_json::to_string(&list)
            .map_err(|e| Error::InvalidInput(format!("cannot save the list: {e}")))?;
        let mut conn = self.store().pool().acquire().await?;
        settings::set(&mut conn, NEVER_ACT_ON_KEY, &text).await?;
        Ok(list)
    }

    /// The guard every proposal and run consults: the machines, the console's own files
    /// and the admin's list.
    pub(crate) async fn guard(&self, conn: &mut SqliteConnection) -> Result<Guard> {
        let mut console: Vec<PathBuf> = Vec::new();
        if let Some(db) = self.db_path() {
            console.push(crate::paths::data_dir_of(db));
        }
        if let Ok(exe) = std::env::current_exe() {
            console.push(exe);
        }
        Guard::load(conn, &console).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        let mut g = Guard::default();
        for name in ["iewin7", "dc01", "dc01.corp.local"] {
            g.machine_names.insert(name.into());
        }
        g.own_domains.insert("corp.local".into());
        g.machine_ips
            .push(("203.0.113.7".parse().expect("ip"), "dc01".into()));
        g.console_paths
            .push(canonical_path("/home/admin/.local/share/vigil"));
        g
    }

    fn check(action: ActionKind, value: &str) -> Option<String> {
        guard().refusal(&Subject {
            action: Some(action),
            name: value,
            value: Some(value),
            path: Some(value),
            machine: "ws01",
            ..Subject::default()
        })
    }

    #[test]
    fn the_machine_its_network_and_special_addresses_are_never_blocked() {
        for ip in [
            "127.0.0.1",
            "127.0.0.2",
            "::1",
            "0.0.0.0",
            "::",
            "169.254.10.1",
            "fe80::1",
            "10.59.4.11",
            "192.168.1.20",
            "172.16.0.5",
            "fd00::5",
            "224.0.0.252",
            "ff02::1:3",
            "255.255.255.255",
            "::ffff:127.0.0.1",
            "203.0.113.7",
        ] {
            assert!(
                check(ActionKind::BlockIp, ip).is_some(),
                "{ip} must be refused"
            );
        }
        assert!(check(ActionKind::BlockIp, "198.51.100.23").is_none());
        assert!(check(ActionKind::BlockIp, "2001:db8::1").is_none());
    }

    #[test]
    fn own_names_and_domains_are_never_blocked() {
        for host in [
            "iewin7",
            "IEWIN7",
            "dc01.corp.local",
            "fileserver.corp.local",
            "corp.local",
            "localhost",
            "wpad",
            "printer.local",
        ] {
            assert!(
                check(ActionKind::BlockDomain, host).is_some(),
                "{host} must be refused"
            );
        }
        assert!(check(ActionKind::BlockUrl, "http://127.0.0.1:8080/a").is_some());
        assert!(check(ActionKind::BlockUrl, "https://dc01.corp.local/x").is_some());
        assert!(check(ActionKind::BlockDomain, "evil-c2.example").is_none());
        assert!(check(ActionKind::BlockUrl, "https://evil-c2.example/stage2.ps1").is_none());
    }

    #[test]
    fn os_binaries_in_their_system_location_are_never_touched() {
        for path in [
            r"C:\Windows\System32\lsass.exe",
            r"c:\windows\system32\cmd.exe",
            r"C:\Windows\SysWOW64\rundll32.exe",
            r"%SystemRoot%\System32\svchost.exe",
            r"\SystemRoot\System32\drivers\x.sys",
            r"C:\Windows\explorer.exe",
            "/usr/bin/python3",
            // A service that runs `cmd.exe /c …` names the shell bare.
            "cmd.exe",
        ] {
            assert!(check(ActionKind::QuarantineFile, path).is_some(), "{path}");
        }
        for image in [
            r"C:\Windows\System32\lsass.exe",
            r"C:\Windows\System32\svchost.exe",
            r"C:\Windows\System32\services.exe",
            r"C:\Windows\System32\wbem\WmiPrvSE.exe",
            r"C:\Windows\explorer.exe",
        ] {
            assert!(check(ActionKind::KillProcess, image).is_some(), "{image}");
        }
        // Malware hidden in a system folder may go, once its own hash or content is known bad.
        let confirmed = |path: &str| {
            guard().refusal(&Subject {
                action: Some(ActionKind::QuarantineFile),
                name: path,
                path: Some(path),
                machine: "ws01",
                confirmed: true,
                ..Subject::default()
            })
        };
        assert!(confirmed(r"C:\Windows\System32\wupdsvc.exe").is_none());
        assert!(check(
            ActionKind::QuarantineFile,
            r"C:\Windows\System32\wupdsvc.exe"
        )
        .is_some());
        assert!(confirmed(r"C:\Windows\System32\rundll32.exe").is_some());
        assert!(confirmed("/usr/bin/python3").is_some());
        // The same names elsewhere are what malware hides behind: fair game.
        assert!(check(ActionKind::QuarantineFile, r"C:\Users\Public\svchost.exe").is_none());
        assert!(check(ActionKind::KillProcess, r"C:\Users\Public\svchost.exe").is_none());
        // A shell started by an attack may be stopped; its file may not be quarantined.
        assert!(check(ActionKind::KillProcess, r"C:\Windows\System32\cmd.exe").is_none());
        assert!(check(ActionKind::QuarantineFile, r"C:\Windows\Temp\dropper.exe").is_none());
        assert!(check(
            ActionKind::QuarantineFile,
            "/home/admin/.local/share/vigil/vigil.sqlite3"
        )
        .is_some());
    }

    #[test]
    fn built_in_accounts_and_os_services_are_kept() {
        for account in [
            "NT AUTHORITY\\SYSTEM",
            "S-1-5-18",
            "IEWIN7$",
            "krbtgt",
            "CORP\\krbtgt",
            "CORP\\Administrator",
            "Window Manager\\DWM-1",
            "S-1-5-21-1-2-3-500",
            "NT AUTHORITY\\LOCAL SERVICE",
        ] {
            assert!(
                check(ActionKind::DisableUser, account).is_some(),
                "{account}"
            );
        }
        assert!(check(ActionKind::DisableUser, "CORP\\backdoor").is_none());
        let persistence = |mechanism: &str, name: &str| {
            guard().refusal(&Subject {
                action: Some(ActionKind::RemovePersistence),
                name,
                mechanism: Some(mechanism),
                machine: "ws01",
                ..Subject::default()
            })
        };
        assert!(persistence("service", "WinDefend").is_some());
        assert!(persistence("service", "EventLog").is_some());
        assert!(persistence("service", "PSEXESVC").is_none());
        assert!(persistence(
            "scheduled_task",
            r"\Microsoft\Windows\Defrag\ScheduledDefrag"
        )
        .is_some());
        assert!(persistence("scheduled_task", r"\Updater").is_none());
        let registry = |key: &str| {
            guard().refusal(&Subject {
                action: Some(ActionKind::DeleteRegistryValue),
                name: key,
                machine: "ws01",
                ..Subject::default()
            })
        };
        assert!(
            registry(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\Shell").is_some()
        );
        assert!(registry(r"HKLM\System\CurrentControlSet\Services\WinDefend\Start").is_some());
        assert!(
            registry(r"HKCU\Software\Classes\ms-settings\shell\open\command\(Default)").is_none()
        );
    }

    #[test]
    fn the_admins_list_is_honoured_for_every_kind() {
        let mut g = guard();
        g.set_list(
            validated(&NeverActOn {
                hosts: vec!["WS01".into()],
                ips: vec!["198.51.100.0/24".into()],
                domains: vec!["*.partner.example".into()],
                paths: vec![r"C:\Tools\".into()],
                hashes: vec!["AB".repeat(32)],
            })
            .expect("valid"),
        );
        let on = |action, value: &str, machine: &str, sha: Option<&str>| {
            g.refusal(&Subject {
                action: Some(action),
                name: value,
                value: Some(value),
                path: Some(value),
                sha256: sha,
                machine,
                ..Subject::default()
            })
        };
        assert!(on(
            ActionKind::KillProcess,
            r"C:\x\a.exe",
            "ws01.corp.local",
            None
        )
        .is_some());
        assert!(on(ActionKind::BlockIp, "198.51.100.77", "ws02", None).is_some());
        assert!(on(ActionKind::BlockIp, "198.51.101.77", "ws02", None).is_none());
        assert!(on(ActionKind::BlockDomain, "cdn.partner.example", "ws02", None).is_some());
        assert!(on(
            ActionKind::QuarantineFile,
            r"c:\tools\psexec.exe",
            "ws02",
            None
        )
        .is_some());
        let hash = "ab".repeat(32);
        assert!(on(
            ActionKind::QuarantineFile,
            r"C:\x\a.exe",
            "ws02",
            Some(&hash)
        )
        .is_some());
        assert!(on(ActionKind::QuarantineFile, r"C:\x\a.exe", "ws02", None).is_none());
    }

    #[test]
    fn a_bad_list_entry_is_refused_with_what_is_wrong() {
        let bad = |list: NeverActOn| validated(&list).expect_err("refused").to_string();
        assert!(bad(NeverActOn {
            ips: vec!["10.0.0.0/33".into()],
            ..Default::default()
        })
        .contains("10.0.0.0/33"));
        assert!(bad(NeverActOn {
            hashes: vec!["xyz".into()],
            ..Default::default()
        })
        .contains("xyz"));
        assert!(bad(NeverActOn {
            hosts: vec!["two words".into()],
            ..Default::default()
        })
        .contains("two words"));
    }
}
