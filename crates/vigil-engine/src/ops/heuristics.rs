//! The heuristics' content (`content/heuristics.json`): lists of names and markers the
//! collection and the judge read, kept as data.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::file_name;

/// The heuristic lists.
#[derive(Debug, Default, Deserialize)]
pub struct Heuristics {
    pub office_apps: Vec<String>,
    pub script_hosts: Vec<String>,
    pub encoded_command_markers: Vec<String>,
    pub executable_extensions: Vec<String>,
    pub user_writable_markers: Vec<String>,
    /// Programs that save what a user receives (mail clients, browsers…).
    pub receivers: Vec<String>,
    /// Processes that start others on someone else's behalf: the tree stops there.
    pub brokers: Vec<String>,
    /// Registry keys whose values start programs.
    pub autostart_registry: Vec<String>,
    /// Commands a service, task or WMI consumer runs when it runs commands.
    pub shell_commands: Vec<String>,
    /// Script text that fetches code.
    pub download_markers: Vec<String>,
    /// Script text that runs what it builds or fetches.
    pub execution_markers: Vec<String>,
    /// Attack tools by name.
    pub attack_tools: Vec<String>,
    /// Groups whose members are given everything.
    pub privileged_groups: Vec<String>,
}

impl Heuristics {
    /// Whether the image's file name is a broker (services, WMI, DCOM, the shell…).
    pub fn is_broker(&self, image: &str) -> bool {
        self.brokers.contains(&file_name(image).to_lowercase())
    }

    /// Whether the image's file name is a program that saves what a user receives.
    pub fn is_receiver(&self, image: &str) -> bool {
        self.receivers.contains(&file_name(image).to_lowercase())
    }

    /// Whether a path ends with an executable or script extension.
    pub fn is_executable(&self, path: &str) -> bool {
        let p = path.to_lowercase();
        self.executable_extensions
            .iter()
            .any(|ext| p.ends_with(ext.as_str()))
    }

    /// Whether a command or path lies in a folder any user can write.
    pub fn is_user_writable(&self, text: &str) -> bool {
        let t = text.to_lowercase().replace('/', "\\");
        self.user_writable_markers
            .iter()
            .any(|m| t.contains(&m.replace('/', "\\")))
    }

    /// The attack tool a path or command names, if any.
    pub fn attack_tool(&self, text: &str) -> Option<&str> {
        let t = text.to_lowercase();
        let name = file_name(&t);
        self.attack_tools
            .iter()
            .find(|tool| name.contains(tool.as_str()))
            .map(String::as_str)
    }

    /// Whether a command runs a shell or script host rather than a program.
    pub fn runs_commands(&self, command: &str) -> bool {
        let c = command.to_lowercase();
        self.shell_commands.iter().any(|m| c.contains(m.as_str()))
    }
}

/// The heuristic lists, loaded once from the embedded data file.
pub fn heuristics() -> &'static Heuristics {
    static CONTENT: OnceLock<Heuristics> = OnceLock::new();
    CONTENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../content/heuristics.json")).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_heuristics_parse_and_are_filled() {
        let h: super::Heuristics =
            serde_json::from_str(include_str!("../../content/heuristics.json"))
                .expect("heuristics.json parses");
        assert!(!h.brokers.is_empty() && !h.autostart_registry.is_empty());
        assert!(h.is_receiver(r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE"));
        assert!(h.is_broker(r"C:\Windows\System32\services.exe"));
        assert!(h.runs_commands(r"%COMSPEC% /C echo dir > \\127.0.0.1\C$\x"));
    }
}
