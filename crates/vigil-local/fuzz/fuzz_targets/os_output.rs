//! Every parser of what the OS's own tools print, on arbitrary text (a compromised machine's
//! `schtasks`, `reg query`, `netstat`, `lsof`, `/proc/net`, launchd plists, crontabs, systemd
//! units): must never panic. The first byte picks the parser, so one corpus grows for all.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_local::inventory::{autoruns, network};

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 10 {
        0 => drop(autoruns::scheduled_tasks(&text)),
        1 => drop(autoruns::parse_reg_query(&text)),
        2 => drop(autoruns::run_keys(&text)),
        3 => drop(autoruns::services(&text)),
        4 => drop(autoruns::launchd_job(&text)),
        5 => drop(network::parse_netstat_windows(&text)),
        6 => drop(network::parse_lsof(&text)),
        7 => drop(network::parse_proc_net(&text, "tcp")),
        8 => drop(vigil_local::inventory::linux::cron_lines(
            &text, "cron", "crontab",
        )),
        _ => {
            let _ = vigil_local::inventory::linux::key_value_in(&text, "ExecStart");
            for line in text.lines() {
                let _ = vigil_local::inventory::linux::starts_in_background(line);
            }
        }
    }
});
