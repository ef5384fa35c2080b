//! Editing machine groups: create, change, delete and re-rank, with a preview of the
//! machines a group would hold before it is saved.

use super::{assign_all, check_rules, create_group, facts, rules_match, NewGroup, Placement};
use crate::domain::{GroupInput, GroupPreview, GroupRule, GroupView, KeptMachine, Move};
use crate::store::ranked::{name_taken, rerank};
use crate::store::{groups, machines};
use crate::{Error, Result, Vigil};

fn group_not_found(what: impl Into<String>) -> Error {
    Error::NotFound {
        what: "machine group",
        name: what.into(),
    }
}

/// Checks a group as written and tidies its name and rules.
fn validated(input: &GroupInput, is_default: bool) -> Result<GroupInput> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput(
            "Give the group a name, for example “Laptops”.".into(),
        ));
    }
    let rules: Vec<GroupRule> = input
        .rules
        .iter()
        .map(|r| GroupRule {
            field: r.field.trim().to_lowercase(),
            pattern: r.pattern.trim().to_string(),
        })
        .collect();
    if is_default {
        if !rules.is_empty() {
            return Err(Error::InvalidInput(
                "“Ungrouped machines” takes every machine no other group takes: it has no rules. Create a group for the machines you want to pick out.".into(),
            ));
        }
    } else {
        check_rules(name, &rules)?;
    }
    Ok(GroupInput {
        id: input.id,
        name: name.to_string(),
        description: input.description.trim().to_string(),
        automation_level: input.automation_level,
        rules,
    })
}

impl Vigil {
    /// The machines that would be in a group written this way, were it saved now, and those
    /// its rules match that a higher-ranked group keeps.
    pub async fn preview_group(&self, input: &GroupInput) -> Result<GroupPreview> {
        let mut conn = self.store().pool().acquire().await?;
        let mut placement = Placement::load(&mut conn).await?;
        let target = match input.id {
            Some(id) => {
                let id = i64::from(id);
                match groups::is_default(&mut conn, id).await? {
                    None => return Err(group_not_found(format!("#{id}"))),
                    Some(true) => id,
                    Some(false) => {
                        if let Some(entry) = placement.ranked.iter_mut().find(|(g, _)| *g == id) {
                            entry.1 = input.rules.clone();
                        }
                        id
                    }
                }
            }
            None => {
                // Not saved yet: a new group goes last, above "Ungrouped machines".
                placement.ranked.push((0, input.rules.clone()));
                0
            }
        };
        let names = groups::names(&mut conn).await?;
        let machines = machines::all_facts(&mut conn).await?;
        let mut preview = GroupPreview::default();
        for row in &machines {
            let facts = facts(row);
            let group = placement.pick(&facts);
            if group == target {
                preview.machines.push(row.0.clone());
            } else if rules_match(&input.rules, &facts) {
                preview.kept_by_higher.push(KeptMachine {
                    machine: row.0.clone(),
                    group: names.get(&group).cloned().unwrap_or_default(),
                });
            }
        }
        Ok(preview)
    }

    /// Creates a group or changes one, then re-sorts every machine into its group.
    #[tracing::instrument(skip(self), fields(group = %input.name))]
    pub async fn save_group(&self, input: &GroupInput) -> Result<GroupView> {
        let mut tx = self.store().pool().begin().await?;
        let id = input.id.map(i64::from);
        let is_default = match id {
            Some(id) => groups::is_default(&mut tx, id).await?.ok_or_else(|| {
                group_not_found(format!("#{id} (it may have been deleted: reload settings)"))
            })?,
            None => false,
        };
        let group = validated(input, is_default)?;
        if name_taken(&mut tx, "machine_groups", &group.name, id).await? {
            return Err(Error::InvalidInput(format!(
                "Another group is already called “{}”: choose another name.",
                group.name
            )));
        }
        let id = match id {
            Some(id) => {
                groups::update(
                    &mut tx,
                    id,
                    &group.name,
                    &group.description,
                    group.automation_level,
                )
                .await?;
                groups::write_rules(&mut tx, id, &group.rules).await?;
                assign_all(&mut tx).await?;
                id
            }
            None => {
                create_group(
                    &mut tx,
                    &NewGroup {
                        name: group.name.clone(),
                        description: group.description.clone(),
                        automation_level: group.automation_level,
                        rules: group.rules.clone(),
                    },
                )
                .await?
            }
        };
        tx.commit().await?;
        tracing::info!(id, "machine group saved");
        self.group(id).await
    }

    async fn group(&self, id: i64) -> Result<GroupView> {
        self.groups()
            .await?
            .into_iter()
            .find(|g| i64::from(g.id) == id)
            .ok_or_else(|| group_not_found(format!("#{id}")))
    }

    /// Deletes a group; its machines join the next group whose rules match them.
    #[tracing::instrument(skip(self))]
    pub async fn delete_group(&self, id: u32) -> Result<()> {
        let mut tx = self.store().pool().begin().await?;
        let id = i64::from(id);
        match groups::is_default(&mut tx, id).await? {
            None => {
                return Err(group_not_found(format!(
                    "#{id} (it may have been deleted: reload settings)"
                )))
            }
            Some(true) => return Err(Error::Conflict(
                "“Ungrouped machines” always exists: it takes every machine no other group takes."
                    .into(),
            )),
            Some(false) => {}
        }
        let default = groups::default_id(&mut tx).await?;
        machines::regroup(&mut tx, id, default).await?;
        groups::delete(&mut tx, id).await?;
        assign_all(&mut tx).await?;
        tx.commit().await?;
        tracing::info!(id, "machine group deleted");
        Ok(())
    }

    /// Ranks a group one place higher or lower ("Ungrouped machines" stays last), then
    /// re-sorts every machine; returns the groups in their new order.
    #[tracing::instrument(skip(self))]
    pub async fn move_group(&self, id: u32, direction: Move) -> Result<Vec<GroupView>> {
        let mut tx = self.store().pool().begin().await?;
        let ordered = groups::ranked_ids(&mut tx).await?;
        if !rerank(&mut tx, "machine_groups", ordered, i64::from(id), direction).await? {
            return Err(match groups::is_default(&mut tx, i64::from(id)).await? {
                Some(true) => Error::Conflict(
                    "“Ungrouped machines” always comes last: it takes the machines no other group takes.".into(),
                ),
                _ => group_not_found(format!("#{id}")),
            });
        }
        assign_all(&mut tx).await?;
        tx.commit().await?;
        self.groups().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AutomationLevel;

    fn rule(field: &str, pattern: &str) -> GroupRule {
        GroupRule {
            field: field.into(),
            pattern: pattern.into(),
        }
    }

    fn laptops(rules: Vec<GroupRule>) -> GroupInput {
        GroupInput {
            id: None,
            name: "Laptops".into(),
            description: String::new(),
            automation_level: AutomationLevel::Full,
            rules,
        }
    }

    fn group<'a>(groups: &'a [GroupView], name: &str) -> &'a GroupView {
        groups
            .iter()
            .find(|g| g.name == name)
            .expect("group present")
    }

    #[tokio::test]
    async fn preview_shows_who_would_join_and_saving_moves_them() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        // client* machines are already Workstations, ranked higher than a new group.
        let input = laptops(vec![rule("name", "client1")]);
        let preview = vigil.preview_group(&input).await.expect("preview");
        assert!(preview.machines.is_empty());
        assert_eq!(
            preview.kept_by_higher,
            [KeptMachine {
                machine: "client1".into(),
                group: "Workstations".into()
            }]
        );
        let input = laptops(vec![rule("os", "*windows*"), rule("tag", "owner")]);
        let preview = vigil.preview_group(&input).await.expect("preview");
        let owner = group(&vigil.groups().await.expect("groups"), "Owner")
            .machines
            .clone();
        assert!(!owner.is_empty());
        assert!(
            preview.machines.is_empty(),
            "Owner ranks higher: {preview:?}"
        );

        let saved = vigil.save_group(&input).await.expect("save");
        assert_eq!(saved.rank, 6);
        // Ranked first, it takes the owner's machines.
        for _ in 0..5 {
            vigil.move_group(saved.id, Move::Up).await.expect("move");
        }
        let groups = vigil.groups().await.expect("groups");
        assert_eq!(groups[0].name, "Laptops");
        assert_eq!(group(&groups, "Laptops").machines, owner);
        assert!(group(&groups, "Owner").machines.is_empty());
        assert_eq!(groups.last().map(|g| g.is_default), Some(true));

        // Editing the rules re-sorts; the preview matched what saving did.
        let edited = GroupInput {
            id: Some(saved.id),
            ..laptops(vec![rule("name", "CLIENT1")])
        };
        let preview = vigil.preview_group(&edited).await.expect("preview");
        let saved = vigil.save_group(&edited).await.expect("save");
        assert_eq!(saved.machines, preview.machines);
        assert_eq!(saved.machines, ["client1"]);

        // Deleted, its machine goes back to the group its rules pick.
        vigil.delete_group(saved.id).await.expect("delete");
        let groups = vigil.groups().await.expect("groups");
        assert!(group(&groups, "Workstations")
            .machines
            .contains(&"client1".to_string()));
    }

    #[tokio::test]
    async fn ungrouped_machines_stays_last_and_cannot_be_deleted() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        let groups = vigil.groups().await.expect("groups");
        let default = groups.iter().find(|g| g.is_default).expect("default");
        let error = vigil.delete_group(default.id).await.expect_err("refused");
        assert_eq!(error.code(), crate::ErrorCode::Conflict);
        let error = vigil
            .move_group(default.id, Move::Up)
            .await
            .expect_err("refused");
        assert!(error.to_string().contains("always comes last"), "{error}");
        let error = vigil
            .save_group(&GroupInput {
                id: Some(default.id),
                name: default.name.clone(),
                ..laptops(vec![rule("name", "x")])
            })
            .await
            .expect_err("no rules on the default group");
        assert!(error.to_string().contains("has no rules"), "{error}");
        // Its level and description can change.
        let saved = vigil
            .save_group(&GroupInput {
                id: Some(default.id),
                name: default.name.clone(),
                description: "Anything else".into(),
                ..laptops(vec![])
            })
            .await
            .expect("save");
        assert_eq!(saved.automation_level, AutomationLevel::Full);
    }

    #[tokio::test]
    async fn bad_groups_say_what_to_change() {
        let vigil = Vigil::in_memory().await.expect("open");
        vigil.load_demo().await.expect("demo");
        let cases = [
            (laptops(vec![]), "at least one rule"),
            (laptops(vec![rule("ip", "10.*")]), "can only look at"),
            (laptops(vec![rule("name", " ")]), "has no pattern"),
            (
                GroupInput {
                    name: "servers".into(),
                    ..laptops(vec![rule("name", "x")])
                },
                "already called",
            ),
            (
                GroupInput {
                    name: " ".into(),
                    ..laptops(vec![rule("name", "x")])
                },
                "Give the group a name",
            ),
        ];
        for (bad, expected) in cases {
            let error = vigil.save_group(&bad).await.expect_err("invalid");
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
