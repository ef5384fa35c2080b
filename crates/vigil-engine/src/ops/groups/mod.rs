//! Machine groups: ranked, with rules on name, domain, tag and OS; a machine joins the
//! highest-ranked group whose rules all match, else "Ungrouped machines".

use sqlx::SqliteConnection;

use crate::domain::{AutomationLevel, GroupRule, GroupView};
use crate::store::groups;
use crate::store::machines::{self, FactsRow};
use crate::{Error, Result, Vigil};

mod edit;

/// Case-insensitive glob match with `*` and `?`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The facts a group rule looks at.
pub struct MachineFacts<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub os: &'a str,
    pub tags: Vec<&'a str>,
}

/// Whether every rule matches (a group without rules matches nothing).
pub fn rules_match(rules: &[GroupRule], machine: &MachineFacts<'_>) -> bool {
    !rules.is_empty()
        && rules.iter().all(|rule| match rule.field.as_str() {
            "name" => glob_match(&rule.pattern, machine.name),
            "domain" => glob_match(&rule.pattern, machine.domain),
            "os" => glob_match(&rule.pattern, machine.os),
            "tag" => machine
                .tags
                .iter()
                .any(|tag| glob_match(&rule.pattern, tag)),
            _ => false,
        })
}

/// What placing machines needs: the groups with their rules, highest rank first, and the
/// default group.
pub(super) struct Placement {
    pub(super) ranked: Vec<(i64, Vec<GroupRule>)>,
    default: i64,
}

impl Placement {
    pub(super) async fn load(conn: &mut SqliteConnection) -> Result<Self> {
        let ids = groups::ranked_ids(conn).await?;
        let mut rules = groups::rules_by_group(conn).await?;
        let ranked = ids
            .into_iter()
            .map(|id| (id, rules.remove(&id).unwrap_or_default()))
            .collect();
        Ok(Self {
            ranked,
            default: groups::default_id(conn).await?,
        })
    }

    /// The group a machine with these facts joins.
    pub(super) fn pick(&self, facts: &MachineFacts<'_>) -> i64 {
        self.ranked
            .iter()
            .find(|(_, rules)| rules_match(rules, facts))
            .map(|(id, _)| *id)
            .unwrap_or(self.default)
    }

    /// Puts one machine in the group its rules pick.
    async fn assign(&self, conn: &mut SqliteConnection, machine_id: i64) -> Result<()> {
        let row = machines::facts_of(conn, machine_id).await?;
        let group = self.pick(&facts(&row));
        machines::set_group(conn, machine_id, group).await
    }
}

/// The facts a group rule looks at, from a machine as stored.
pub(super) fn facts(row: &FactsRow) -> MachineFacts<'_> {
    let (name, domain, os, tags) = row;
    MachineFacts {
        name,
        domain,
        os,
        tags: tags.split(',').filter(|t| !t.is_empty()).collect(),
    }
}

/// Puts one machine in the group its rules pick.
pub async fn assign_machine(conn: &mut SqliteConnection, machine_id: i64) -> Result<()> {
    Placement::load(conn).await?.assign(conn, machine_id).await
}

/// Re-sorts every machine into its group (after groups or rules change), loading the rules
/// once.
pub async fn assign_all(conn: &mut SqliteConnection) -> Result<()> {
    let placement = Placement::load(conn).await?;
    for id in machines::ids(conn).await? {
        placement.assign(conn, id).await?;
    }
    Ok(())
}

/// A group to create: its rules and level.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub automation_level: AutomationLevel,
    pub rules: Vec<GroupRule>,
}

/// The machine facts a group rule can look at.
pub const RULE_FIELDS: [&str; 4] = ["name", "domain", "tag", "os"];

/// Checks a group's rules: known fields, a pattern each, and at least one rule.
pub(super) fn check_rules(group: &str, rules: &[GroupRule]) -> Result<()> {
    if rules.is_empty() {
        return Err(Error::InvalidInput(format!(
            "“{group}” needs at least one rule: a group without rules never takes a machine."
        )));
    }
    for rule in rules {
        if !RULE_FIELDS.contains(&rule.field.as_str()) {
            return Err(Error::InvalidInput(format!(
                "“{group}”: a rule looks at “{}”, but rules can only look at a machine's name, domain, tag or OS.",
                rule.field
            )));
        }
        if rule.pattern.trim().is_empty() {
            return Err(Error::InvalidInput(format!(
                "“{group}”: the {} rule has no pattern; write one (for example client* or *server*) or remove the rule.",
                rule.field
            )));
        }
    }
    Ok(())
}

/// Creates a group ranked below the existing ones (above "Ungrouped machines").
pub async fn create_group(conn: &mut SqliteConnection, group: &NewGroup) -> Result<i64> {
    check_rules(&group.name, &group.rules)?;
    let id = groups::insert_last(
        conn,
        &group.name,
        &group.description,
        group.automation_level,
    )
    .await?;
    groups::write_rules(conn, id, &group.rules).await?;
    assign_all(conn).await?;
    Ok(id)
}

/// The automation level of the group a machine is in.
pub async fn level_of_machine(
    conn: &mut SqliteConnection,
    machine_id: i64,
) -> Result<AutomationLevel> {
    let level = groups::level_of_machine(conn, machine_id).await?;
    Ok(AutomationLevel::parse(&level).unwrap_or(AutomationLevel::SemiAny))
}

impl Vigil {
    /// Every machine group, highest rank first, with rules and members.
    pub async fn groups(&self) -> Result<Vec<GroupView>> {
        let mut conn = self.store().pool().acquire().await?;
        let rows = groups::all(&mut conn).await?;
        let mut rules = groups::rules_by_group(&mut conn).await?;
        let members = machines::group_members(&mut conn).await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, description, rank, level, is_default)| {
                let level = AutomationLevel::parse(&level).unwrap_or(AutomationLevel::SemiAny);
                GroupView {
                    id: id as u32,
                    name,
                    description,
                    rank: rank.clamp(0, i64::from(u32::MAX)) as u32,
                    automation_level: level,
                    automation_label: level.label().to_string(),
                    is_default,
                    rules: rules.remove(&id).unwrap_or_default(),
                    machines: members
                        .iter()
                        .filter(|(g, _)| *g == id)
                        .map(|(_, n)| n.clone())
                        .collect(),
                }
            })
            .collect())
    }

    /// Sets the automation level of the group named `name`.
    pub async fn set_group_level(&self, name: &str, level: AutomationLevel) -> Result<GroupView> {
        let found = {
            let mut conn = self.store().pool().acquire().await?;
            groups::set_level_by_name(&mut conn, name, level).await?
        };
        if !found {
            return Err(Error::NotFound {
                what: "machine group",
                name: name.to_string(),
            });
        }
        tracing::info!(group = name, level = level.as_str(), "automation level set");
        self.groups()
            .await?
            .into_iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::NotFound {
                what: "machine group",
                name: name.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("client*", "CLIENT4"));
        assert!(glob_match("dc?", "dc1"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("client*", "fileserver"));
        assert!(glob_match("*server*", "fs-server-01"));
    }

    #[test]
    fn all_rules_must_match() {
        let rules = vec![
            GroupRule {
                field: "name".into(),
                pattern: "client*".into(),
            },
            GroupRule {
                field: "tag".into(),
                pattern: "finance".into(),
            },
        ];
        let m = |name, tags| MachineFacts {
            name,
            domain: "",
            os: "",
            tags,
        };
        assert!(rules_match(&rules, &m("client4", vec!["finance", "x"])));
        assert!(!rules_match(&rules, &m("client4", vec!["sales"])));
        assert!(!rules_match(&[], &m("client4", vec![])));
    }
}
