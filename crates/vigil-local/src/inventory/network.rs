//! Network connections and listening sockets. The parsers of what each OS prints (Linux
//! `/proc/net/*`, Windows `netstat -ano`, macOS `lsof -F`) are pure and compiled on every
//! OS, so each is tested everywhere; only reading them is per OS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use vigil_engine::connectors::LiveConnection;

/// What the OS showed of its connections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub connections: Vec<LiveConnection>,
    /// What could not be seen (sockets of other users' processes, an OS not covered yet).
    pub note: Option<String>,
}

impl Network {
    /// Nothing collected, and why.
    pub fn not_collected(why: &str) -> Self {
        Self {
            connections: Vec::new(),
            note: Some(why.to_string()),
        }
    }

    /// Established connections to a remote address.
    pub fn established(&self) -> impl Iterator<Item = &LiveConnection> {
        self.connections
            .iter()
            .filter(|c| c.state == "established" && c.remote_address.is_some())
    }
}

/// A socket from `/proc/net/{tcp,tcp6,udp,udp6}` with the inode that ties it to a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcSocket {
    pub connection: LiveConnection,
    /// 0 for sockets no process holds (TIME_WAIT).
    pub inode: u64,
}

/// The kernel's TCP state numbers (include/net/tcp_states.h), as Vigil words.
fn linux_tcp_state(code: u8) -> &'static str {
    match code {
        0x01 => "established",
        0x02 => "syn_sent",
        0x03 => "syn_recv",
        0x04 => "fin_wait1",
        0x05 => "fin_wait2",
        0x06 => "time_wait",
        0x07 => "close",
        0x08 => "close_wait",
        0x09 => "last_ack",
        0x0A => "listen",
        0x0B => "closing",
        _ => "unknown",
    }
}

/// One `/proc/net` address, `0100007F:0277`: the IP as the kernel's in-memory words (host
/// byte order, so this decodes the file of the machine it runs on) and the port in hex.
fn proc_address(text: &str) -> Option<(IpAddr, u16)> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for chunk in ip.as_bytes().chunks(8) {
        let word = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            let v6 = Ipv6Addr::from(octets);
            // A v4 peer of a dual-stack socket reads as ::ffff:a.b.c.d; IOCs list a.b.c.d.
            v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        _ => return None,
    };
    Some((ip, port))
}

/// The remote end, or `None` for a listening or unconnected socket.
fn remote(ip: IpAddr, port: u16) -> Option<String> {
    (!ip.is_unspecified() || port != 0).then(|| ip.to_string())
}

/// Parses one `/proc/net/{tcp,tcp6,udp,udp6}` file; `protocol` is the file's name.
pub fn parse_proc_net(text: &str, protocol: &str) -> Vec<ProcSocket> {
    let udp = protocol.starts_with("udp");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local_ip, local_port) = proc_address(fields.get(1)?)?;
            let (remote_ip, remote_port) = proc_address(fields.get(2)?)?;
            let code = u8::from_str_radix(fields.get(3)?, 16).ok()?;
            let inode = fields.get(9)?.parse().ok()?;
            let state = match (udp, code) {
                (true, 0x01) => "established",
                (true, _) => "bound",
                (false, code) => linux_tcp_state(code),
            };
            Some(ProcSocket {
                connection: LiveConnection {
                    protocol: protocol.to_string(),
                    local_address: local_ip.to_string(),
                    local_port,
                    remote_address: remote(remote_ip, remote_port),
                    remote_port,
                    state: state.to_string(),
                    pid: None,
                },
                inode,
            })
        })
        .collect()
}

/// `1.2.3.4:80`, `[::1]:80`, `[fe80::1%12]:80`, `*:*`, `*.80` (macOS) → (ip, port).
fn host_port(text: &str) -> Option<(IpAddr, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split('%').next().unwrap_or(host);
    let ip = match host {
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        h => h.parse().ok()?,
    };
    let port = match port {
        "*" => 0,
        p => p.parse().ok()?,
    };
    Some((ip, port))
}

/// A state word as Vigil writes it (`LISTENING`, `ESTABLISHED`, `FIN_WAIT_2` …).
fn state_word(text: &str) -> String {
    match text.to_ascii_lowercase().as_str() {
        "listening" | "listen" => "listen".into(),
        "fin_wait_1" => "fin_wait1".into(),
        "fin_wait_2" => "fin_wait2".into(),
        "syn_received" => "syn_recv".into(),
        other => other.into(),
    }
}

/// Parses `netstat -ano` (Windows): protocol, local, foreign, state (TCP only), pid.
pub fn parse_netstat_windows(text: &str) -> Vec<LiveConnection> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let proto = fields.first()?.to_ascii_lowercase();
            if proto != "tcp" && proto != "udp" {
                return None;
            }
            let (local_ip, local_port) = host_port(fields.get(1)?)?;
            let (remote_ip, remote_port) = host_port(fields.get(2)?)?;
            let (state, pid) = match (proto.as_str(), fields.len()) {
                ("tcp", 5) => (state_word(fields[3]), fields[4]),
                ("udp", 4) => (
                    if remote(remote_ip, remote_port).is_some() {
                        "established".into()
                    } else {
                        "bound".into()
                    },
                    fields[3],
                ),
                _ => return None,
            };
            let v6 = if local_ip.is_ipv6() { "6" } else { "" };
            Some(LiveConnection {
                protocol: format!("{proto}{v6}"),
                local_address: local_ip.to_string(),
                local_port,
                remote_address: remote(remote_ip, remote_port),
                remote_port,
                state,
                pid: pid.parse().ok(),
            })
        })
        .collect()
}

/// Parses `lsof -nP -iTCP -iUDP -FpftPnT` (macOS): `p` pid, then per socket `f` fd,
/// `t` IPv4/IPv6, `P` TCP/UDP, `n` `local->remote`, `TST=` state.
pub fn parse_lsof(text: &str) -> Vec<LiveConnection> {
    #[derive(Default)]
    struct Open {
        v6: bool,
        proto: String,
        name: String,
        state: String,
    }
    fn finish(pid: Option<i64>, open: Option<Open>, out: &mut Vec<LiveConnection>) {
        let Some(open) = open else { return };
        let (local, far) = match open.name.split_once("->") {
            Some((l, r)) => (l, Some(r)),
            None => (open.name.as_str(), None),
        };
        let Some((local_ip, local_port)) = host_port(local) else {
            return;
        };
        let (remote_address, remote_port) = match far.and_then(host_port) {
            Some((ip, port)) => (remote(ip, port), port),
            None => (None, 0),
        };
        let proto = open.proto.to_ascii_lowercase();
        let state = match (open.state.is_empty(), &remote_address) {
            (false, _) => state_word(&open.state),
            (true, Some(_)) => "established".into(),
            (true, None) => "bound".into(),
        };
        out.push(LiveConnection {
            protocol: format!("{proto}{}", if open.v6 { "6" } else { "" }),
            local_address: local_ip.to_string(),
            local_port,
            remote_address,
            remote_port,
            state,
            pid,
        });
    }
    let mut out = Vec::new();
    let mut pid = None;
    let mut open: Option<Open> = None;
    for line in text.lines() {
        // The tag is the first character, whatever it is (a line of a hostile machine's
        // output may start with a character of several bytes).
        let mut chars = line.chars();
        let tag = chars.next().map(String::from).unwrap_or_default();
        let value = chars.as_str();
        match tag.as_str() {
            "p" => {
                finish(pid, open.take(), &mut out);
                pid = value.parse().ok();
            }
            "f" => {
                finish(pid, open.take(), &mut out);
                open = Some(Open::default());
            }
            "t" => open.iter_mut().for_each(|o| o.v6 = value == "IPv6"),
            "P" => open.iter_mut().for_each(|o| o.proto = value.to_string()),
            "n" => open.iter_mut().for_each(|o| o.name = value.to_string()),
            "T" => {
                if let Some(state) = value.strip_prefix("ST=") {
                    open.iter_mut().for_each(|o| o.state = state.to_string());
                }
            }
            _ => {}
        }
    }
    finish(pid, open.take(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `/proc/net` IPv4 address as the kernel of this machine prints 127.0.0.1.
    fn proc_hex_v4(ip: [u8; 4]) -> String {
        format!("{:08X}", u32::from_ne_bytes(ip))
    }

    #[test]
    fn proc_net_tcp_lines_decode_to_addresses_ports_states_and_inodes() {
        let localhost = proc_hex_v4([127, 0, 0, 1]);
        let peer = proc_hex_v4([10, 1, 2, 3]);
        let text = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             \x20  0: {localhost}:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n\
             \x20  1: {localhost}:D431 {peer}:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1\n\
             \x20  2: {localhost}:D432 {peer}:01BB 06 00000000:00000000 03:00000F8C 00000000     0        0 0 3 0000000000000000\n"
        );
        let sockets = parse_proc_net(&text, "tcp");
        assert_eq!(sockets.len(), 3);
        let listen = &sockets[0];
        assert_eq!(listen.connection.local_address, "127.0.0.1");
        assert_eq!(listen.connection.local_port, 8080);
        assert_eq!(listen.connection.state, "listen");
        assert_eq!(listen.connection.remote_address, None);
        assert_eq!(listen.inode, 4242);
        let est = &sockets[1].connection;
        assert_eq!(est.state, "established");
        assert_eq!(est.remote_address.as_deref(), Some("10.1.2.3"));
        assert_eq!(est.remote_port, 443);
        assert_eq!(est.local_port, 0xD431);
        assert_eq!(sockets[2].connection.state, "time_wait");
        assert_eq!(sockets[2].inode, 0);
    }

    #[test]
    fn proc_net_tcp6_reads_v6_and_v4_mapped_peers() {
        let words = |b: [u8; 16]| {
            b.chunks(4)
                .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<String>()
        };
        let loopback = words(Ipv6Addr::LOCALHOST.octets());
        let mapped = words(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped().octets());
        let any = "0".repeat(32);
        let text = format!(
            "header\n   0: {any}:0016 {any}:0000 0A 0:0 0:0 0 0 0 77 1\n   1: {loopback}:9C40 {mapped}:0050 01 0:0 0:0 0 0 0 78 1\n"
        );
        let sockets = parse_proc_net(&text, "tcp6");
        assert_eq!(sockets[0].connection.local_address, "::");
        assert_eq!(sockets[0].connection.state, "listen");
        assert_eq!(sockets[1].connection.local_address, "::1");
        assert_eq!(
            sockets[1].connection.remote_address.as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(sockets[1].connection.protocol, "tcp6");
    }

    #[test]
    fn proc_net_udp_states_are_bound_or_established() {
        let text = format!(
            "header\n   0: {}:0035 00000000:0000 07 0:0 0:0 0 0 0 91 2\n",
            proc_hex_v4([127, 0, 0, 53])
        );
        let sockets = parse_proc_net(&text, "udp");
        assert_eq!(sockets[0].connection.state, "bound");
        assert_eq!(sockets[0].connection.local_address, "127.0.0.53");
        assert_eq!(sockets[0].connection.local_port, 53);
        assert!(parse_proc_net("header\ngarbage line\n", "udp").is_empty());
    }

    /// Captured from `netstat -ano` on Windows 11.
    const NETSTAT_ANO: &str = "
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1060
  TCP    192.168.1.10:49705     52.113.194.132:443     ESTABLISHED     7788
  TCP    192.168.1.10:49710     20.42.65.90:443        TIME_WAIT       0
  TCP    [::]:445               [::]:0                 LISTENING       4
  TCP    [::1]:49670            [::1]:5357             CLOSE_WAIT      3312
  UDP    0.0.0.0:5353           *:*                                    2424
  UDP    [fe80::1c2d:3e4f:5a6b:7c8d%12]:1900  *:*                      4012
";

    #[test]
    fn windows_netstat_ano_output_parses() {
        let list = parse_netstat_windows(NETSTAT_ANO);
        assert_eq!(list.len(), 7, "{list:#?}");
        assert_eq!(list[0].state, "listen");
        assert_eq!(list[0].pid, Some(1060));
        assert_eq!(list[0].remote_address, None);
        assert_eq!(list[1].remote_address.as_deref(), Some("52.113.194.132"));
        assert_eq!(list[1].remote_port, 443);
        assert_eq!(list[1].state, "established");
        assert_eq!(list[1].pid, Some(7788));
        assert_eq!(list[2].state, "time_wait");
        assert_eq!(list[3].protocol, "tcp6");
        assert_eq!(list[3].local_address, "::");
        assert_eq!(list[4].remote_address.as_deref(), Some("::1"));
        assert_eq!(list[4].state, "close_wait");
        assert_eq!(list[5].state, "bound");
        assert_eq!(list[5].pid, Some(2424));
        assert_eq!(list[6].local_address, "fe80::1c2d:3e4f:5a6b:7c8d");
        assert_eq!(list[6].protocol, "udp6");
    }

    /// Captured from `lsof -nP -iTCP -iUDP -FpftPnT` on macOS 14.
    const LSOF: &str = "p412\nf7\ntIPv4\nPTCP\nn*:7000\nTST=LISTEN\nTQR=0\nTQS=0\nf9\ntIPv6\nPTCP\nn[::1]:52144->[::1]:7000\nTST=ESTABLISHED\nTQR=0\nTQS=0\np733\nf23\ntIPv4\nPUDP\nn*:5353\nf31\ntIPv4\nPTCP\nn192.168.1.20:51234->17.57.146.52:5223\nTST=ESTABLISHED\n";

    #[test]
    fn macos_lsof_field_output_parses() {
        let list = parse_lsof(LSOF);
        assert_eq!(list.len(), 4, "{list:#?}");
        assert_eq!(list[0].pid, Some(412));
        assert_eq!(list[0].state, "listen");
        assert_eq!(list[0].local_address, "0.0.0.0");
        assert_eq!(list[0].local_port, 7000);
        assert_eq!(list[1].protocol, "tcp6");
        assert_eq!(list[1].remote_address.as_deref(), Some("::1"));
        assert_eq!(list[2].protocol, "udp");
        assert_eq!(list[2].state, "bound");
        assert_eq!(list[2].pid, Some(733));
        assert_eq!(list[3].remote_address.as_deref(), Some("17.57.146.52"));
        assert_eq!(list[3].remote_port, 5223);
        assert_eq!(list[3].state, "established");
    }
}
