//! The investigation graph: alerts, machines, users, evidence and actions as nodes, their
//! relations as edges; like nodes (many files written by one process, many alerts of one
//! rule) are drawn as one cluster until expanded, so that an investigation of a thousand
//! entities stays readable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::SqliteConnection;

use crate::domain::{EntityKind, EntityView, Graph, GraphEdge, GraphNode, InvestigationDetails};
use crate::store;
use crate::Result;

/// At most this many nodes are drawn before a cluster is expanded.
pub const MAX_DRAWN: usize = 150;

/// Like nodes from one neighbour make a cluster from this many on.
const CLUSTER_MIN: usize = 5;

/// How many alerts a graph draws one by one; beyond, those about one entity are one node.
const ALERTS_DRAWN: usize = 12;

/// The investigation graph of its alerts, machines, users, evidence and actions, with like
/// nodes in clusters.
pub async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
    entities: &[EntityView],
    details: &InvestigationDetails,
) -> Result<Graph> {
    let mut graph = Graph::default();
    let node_of = |e: &EntityView| -> String {
        if e.kind == EntityKind::User {
            format!(
                "user:{}",
                e.value.as_deref().unwrap_or(&e.name).to_lowercase()
            )
        } else {
            format!("entity:{}", e.id)
        }
    };
    let mut users: BTreeSet<String> = BTreeSet::new();
    for m in &details.machines {
        graph.nodes.push(GraphNode {
            id: format!("machine:{}", m.name.to_lowercase()),
            group: "machine".into(),
            kind: "machine".into(),
            label: m.name.clone(),
            verdict: None,
            remediation_status: None,
            cluster: None,
            size: 1,
        });
    }
    for u in &details.users {
        users.insert(u.name.to_lowercase());
    }
    let alert_entities = store::alerts::entities_of_investigation(conn, investigation).await?;
    for a in &details.alerts {
        let id = format!("alert:{}", a.id);
        graph.nodes.push(GraphNode {
            id: id.clone(),
            group: "alert".into(),
            kind: a.severity.as_str().into(),
            label: a.title.clone(),
            verdict: None,
            remediation_status: None,
            cluster: None,
            size: 1,
        });
        graph.edges.push(GraphEdge {
            source: id,
            target: format!("machine:{}", a.machine.to_lowercase()),
            label: "raised on".into(),
        });
    }
    let by_id: HashMap<u32, &EntityView> = entities.iter().map(|e| (e.id, e)).collect();
    for e in entities {
        if e.kind == EntityKind::User {
            users.insert(e.value.as_deref().unwrap_or(&e.name).to_lowercase());
            continue;
        }
        graph.nodes.push(GraphNode {
            id: node_of(e),
            group: if e.verdict.is_finding() {
                "finding"
            } else {
                "entity"
            }
            .into(),
            kind: e.kind.as_str().into(),
            label: if e.kind == EntityKind::Persistence || e.kind == EntityKind::User {
                format!("{}: {}", e.kind_label, e.name)
            } else {
                e.name.clone()
            },
            verdict: Some(e.verdict),
            remediation_status: Some(e.remediation_status),
            cluster: None,
            size: 1,
        });
    }
    for u in &users {
        graph.nodes.push(GraphNode {
            id: format!("user:{u}"),
            group: "user".into(),
            kind: "user".into(),
            label: u.clone(),
            verdict: None,
            remediation_status: None,
            cluster: None,
            size: 1,
        });
    }
    for (alert, entity) in alert_entities {
        if let Some(e) = by_id.get(&(entity as u32)) {
            graph.edges.push(GraphEdge {
                source: format!("alert:{alert}"),
                target: node_of(e),
                label: "evidence".into(),
            });
        }
    }
    let links = store::entities::links_of(conn, investigation).await?;
    let mut linked_to: BTreeSet<u32> = BTreeSet::new();
    for (from, to, relation) in &links {
        let (Some(a), Some(b)) = (by_id.get(&(*from as u32)), by_id.get(&(*to as u32))) else {
            continue;
        };
        if a.machine.is_some() && a.machine == b.machine {
            linked_to.insert(b.id);
        }
        graph.edges.push(GraphEdge {
            source: node_of(a),
            target: node_of(b),
            label: relation.clone(),
        });
    }
    // Roots of each machine's evidence hang from the machine.
    for e in entities {
        if let (Some(machine), false) = (&e.machine, linked_to.contains(&e.id)) {
            if e.kind != EntityKind::User {
                graph.edges.push(GraphEdge {
                    source: format!("machine:{}", machine.to_lowercase()),
                    target: node_of(e),
                    label: "on".into(),
                });
            }
        }
    }
    for a in &details.actions {
        let id = format!("action:{}", a.id);
        graph.nodes.push(GraphNode {
            id: id.clone(),
            group: "action".into(),
            kind: a.kind.as_str().into(),
            label: format!("{} ({})", a.label, a.state.as_str().replace('_', " ")),
            verdict: None,
            remediation_status: Some(a.state.remediation()),
            cluster: None,
            size: 1,
        });
        if let Some(target) = a.entity_id.and_then(|e| by_id.get(&e)) {
            graph.edges.push(GraphEdge {
                source: id,
                target: node_of(target),
                label: "remediates".into(),
            });
        }
    }
    graph.nodes.sort();
    graph.nodes.dedup_by(|a, b| a.id == b.id);
    graph.edges.sort();
    graph.edges.dedup();
    cluster(&mut graph, MAX_DRAWN);
    Ok(graph)
}

/// How many nodes a graph draws with every cluster collapsed.
#[cfg(test)]
fn drawn(graph: &Graph) -> usize {
    graph.nodes.iter().filter(|n| n.cluster.is_none()).count()
}

fn words(kind: &str, n: usize) -> String {
    let word = match kind {
        "file" => "files",
        "process" => "processes",
        "url" => "URLs",
        "domain" => "domains",
        "ip" => "IP addresses",
        "persistence" => "persistence entries",
        "email_message" => "messages",
        "registry_value" => "registry values",
        "bits_job" => "BITS jobs",
        "av_detection" => "antivirus detections",
        "service_ticket" => "service tickets",
        "script" => "scripts",
        "user" => "users",
        _ => kind,
    };
    format!("{n} {word}")
}

fn relation_words(relation: &str) -> &str {
    match relation {
        "wrote" => "written by",
        "spawned" => "started by",
        "connected to" => "contacted by",
        "resolved" => "looked up by",
        "requested" => "requested by",
        "created" => "made by",
        "evidence" => "named by",
        "remediates" => "on",
        "ran" => "run by",
        "loaded" => "loaded by",
        "on" => "on",
        other => other,
    }
}

/// Puts like nodes into clusters until at most `max` are drawn: first nodes of one kind and
/// verdict hanging from one neighbour by one relation, then, if still too many, nodes of one
/// group and kind (alerts of one severity, actions of one kind, entities of one kind and
/// verdict).
pub fn cluster(graph: &mut Graph, max: usize) {
    let index: HashMap<String, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect();
    let label_of: HashMap<String, String> = graph
        .nodes
        .iter()
        .map(|n| (n.id.clone(), n.label.clone()))
        .collect();
    let clusterable = |n: &GraphNode| !matches!(n.group.as_str(), "machine" | "cluster");
    // Pass 1: by neighbour, relation, kind and verdict.
    let mut by_anchor: BTreeMap<(String, String, String, String), BTreeSet<usize>> =
        BTreeMap::new();
    for e in &graph.edges {
        let (Some(&s), Some(&t)) = (index.get(&e.source), index.get(&e.target)) else {
            continue;
        };
        // A node hangs from its source (what wrote it), or an action from its target.
        let (member, anchor) = if graph.nodes[s].group == "action" {
            (s, t)
        } else {
            (t, s)
        };
        let n = &graph.nodes[member];
        if !clusterable(n) {
            continue;
        }
        let verdict = n.verdict.map(|v| v.as_str()).unwrap_or("-").to_string();
        by_anchor
            .entry((
                graph.nodes[anchor].id.clone(),
                e.label.clone(),
                n.kind.clone(),
                verdict,
            ))
            .or_default()
            .insert(member);
    }
    let mut clusters: Vec<(String, String, Vec<usize>)> = Vec::new();
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    let mut candidates: Vec<_> = by_anchor.into_iter().collect();
    candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for ((anchor, relation, kind, verdict), members) in candidates {
        let members: Vec<usize> = members.into_iter().filter(|m| !taken.contains(m)).collect();
        if members.len() < CLUSTER_MIN {
            continue;
        }
        let anchor_label = label_of.get(&anchor).cloned().unwrap_or_default();
        let id = format!("cluster:{anchor}:{relation}:{kind}:{verdict}");
        let what = if graph.nodes[members[0]].group == "action" {
            format!("{} actions", members.len())
        } else {
            words(&kind, members.len())
        };
        let label = format!("{what} {} {anchor_label}", relation_words(&relation));
        taken.extend(members.iter().copied());
        clusters.push((id, label, members));
    }
    // Pass 1b: where alerts are many, the alerts about one entity are one node.
    let alerts: Vec<usize> = (0..graph.nodes.len())
        .filter(|&i| graph.nodes[i].group == "alert")
        .collect();
    if alerts.len() > ALERTS_DRAWN {
        // Each alert's anchor: the first finding it names, else the first entity.
        let mut anchor_of: HashMap<usize, (bool, &str)> = HashMap::new();
        for e in graph.edges.iter().filter(|e| e.label == "evidence") {
            let (Some(&s), Some(&t)) = (index.get(&e.source), index.get(&e.target)) else {
                continue;
            };
            if graph.nodes[s].group != "alert" {
                continue;
            }
            let candidate = (graph.nodes[t].group != "finding", e.target.as_str());
            let best = anchor_of.entry(s).or_insert(candidate);
            if candidate < *best {
                *best = candidate;
            }
        }
        let mut about: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (alert, (_, anchor)) in &anchor_of {
            about.entry(anchor).or_default().push(*alert);
        }
        // Worth it only if it leaves few alerts to draw; else they are grouped by severity
        // below, like anything else too numerous.
        let drawn_after = about.len() + (alerts.len() - anchor_of.len());
        if drawn_after > ALERTS_DRAWN * 3 {
            about.clear();
        }
        for (anchor, mut members) in about {
            if members.len() < 2 {
                continue;
            }
            let severity = |i: &usize| {
                ["critical", "high", "medium", "low"]
                    .iter()
                    .position(|s| *s == graph.nodes[*i].kind)
                    .unwrap_or(4)
            };
            members.sort_by_key(|i| (severity(i), *i));
            let anchor_label = label_of.get(anchor).cloned().unwrap_or_default();
            let label = format!("{} alerts about {anchor_label}", members.len());
            taken.extend(members.iter().copied());
            clusters.push((format!("cluster:{anchor}:alerts"), label, members));
        }
    }
    let mut drawn_now = graph.nodes.len() - taken.len() + clusters.len();
    // Pass 2: by group and kind (and verdict), the largest first, while too many are drawn.
    if drawn_now > max {
        let mut by_kind: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
        for (i, n) in graph.nodes.iter().enumerate() {
            if clusterable(n) && !taken.contains(&i) {
                let verdict = n.verdict.map(|v| v.as_str()).unwrap_or("-").to_string();
                by_kind
                    .entry((n.group.clone(), n.kind.clone(), verdict))
                    .or_default()
                    .push(i);
            }
        }
        let mut candidates: Vec<_> = by_kind.into_iter().filter(|(_, m)| m.len() >= 2).collect();
        candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        for ((group, kind, verdict), members) in candidates {
            if drawn_now <= max {
                break;
            }
            let what = match group.as_str() {
                "alert" => format!("{} {kind}-severity alerts", members.len()),
                "action" => format!("{} {} actions", members.len(), kind.replace('_', " ")),
                _ if verdict == "-" => words(&kind, members.len()),
                _ => format!(
                    "{} ({})",
                    words(&kind, members.len()),
                    verdict.replace('_', " ")
                ),
            };
            drawn_now = drawn_now + 1 - members.len();
            taken.extend(members.iter().copied());
            clusters.push((format!("cluster:{group}:{kind}:{verdict}"), what, members));
        }
    }
    for (id, label, members) in clusters {
        let size = members.len() as u32;
        let first = &graph.nodes[members[0]];
        let (kind, verdict) = (first.kind.clone(), first.verdict);
        for m in &members {
            graph.nodes[*m].cluster = Some(id.clone());
        }
        graph.nodes.push(GraphNode {
            id,
            group: "cluster".into(),
            kind,
            label,
            verdict,
            remediation_status: None,
            cluster: None,
            size,
        });
    }
    graph.nodes.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, group: &str, kind: &str) -> GraphNode {
        GraphNode {
            id: id.into(),
            group: group.into(),
            kind: kind.into(),
            label: id.into(),
            verdict: None,
            remediation_status: None,
            cluster: None,
            size: 1,
        }
    }

    fn edge(source: &str, target: &str, label: &str) -> GraphEdge {
        GraphEdge {
            source: source.into(),
            target: target.into(),
            label: label.into(),
        }
    }

    #[test]
    fn many_files_written_by_one_process_are_one_cluster() {
        let mut g = Graph::default();
        g.nodes.push(node("entity:1", "finding", "process"));
        for i in 0..37 {
            g.nodes
                .push(node(&format!("entity:{}", 100 + i), "entity", "file"));
            g.edges
                .push(edge("entity:1", &format!("entity:{}", 100 + i), "wrote"));
        }
        g.nodes.push(node("entity:2", "entity", "file"));
        g.edges.push(edge("entity:1", "entity:2", "spawned"));
        cluster(&mut g, MAX_DRAWN);
        let clusters: Vec<&GraphNode> = g.nodes.iter().filter(|n| n.group == "cluster").collect();
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].size, 37);
        assert_eq!(clusters[0].label, "37 files written by entity:1");
        assert_eq!(drawn(&g), 3, "the process, the odd file and the cluster");
    }

    #[test]
    fn many_alerts_about_one_entity_are_one_node() {
        let mut g = Graph::default();
        g.nodes.push(node("machine:m", "machine", "machine"));
        g.nodes.push(node("entity:1", "finding", "persistence"));
        g.nodes.push(node("entity:2", "entity", "process"));
        for i in 0..20 {
            let severity = if i == 7 { "critical" } else { "high" };
            let alert = format!("alert:{i}");
            g.nodes.push(node(&alert, "alert", severity));
            g.edges.push(edge(&alert, "machine:m", "raised on"));
            // Most name the service (and its process); one names the process alone.
            if i != 19 {
                g.edges.push(edge(&alert, "entity:1", "evidence"));
            }
            g.edges.push(edge(&alert, "entity:2", "evidence"));
        }
        cluster(&mut g, MAX_DRAWN);
        let clusters: Vec<&GraphNode> = g.nodes.iter().filter(|n| n.group == "cluster").collect();
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].label, "19 alerts about entity:1");
        assert_eq!(
            clusters[0].kind, "critical",
            "drawn as its most severe alert"
        );
        assert_eq!(
            drawn(&g),
            5,
            "the machine, two entities, the cluster, the odd alert"
        );

        // Alerts about many entities each are left to be grouped by severity.
        let mut wide = Graph::default();
        for i in 0..400 {
            wide.nodes
                .push(node(&format!("entity:{i}"), "finding", "persistence"));
            for a in 0..2 {
                let alert = format!("alert:{i}-{a}");
                wide.nodes.push(node(&alert, "alert", "high"));
                wide.edges
                    .push(edge(&alert, &format!("entity:{i}"), "evidence"));
            }
        }
        cluster(&mut wide, MAX_DRAWN);
        assert!(drawn(&wide) <= MAX_DRAWN, "{} drawn", drawn(&wide));

        // A few alerts are drawn one by one.
        let mut few = Graph::default();
        few.nodes.push(node("entity:1", "finding", "file"));
        for i in 0..5 {
            few.nodes.push(node(&format!("alert:{i}"), "alert", "high"));
            few.edges
                .push(edge(&format!("alert:{i}"), "entity:1", "evidence"));
        }
        cluster(&mut few, MAX_DRAWN);
        assert_eq!(drawn(&few), 6);
    }

    #[test]
    fn a_graph_of_thousands_draws_at_most_the_maximum() {
        let mut g = Graph::default();
        for m in 0..3 {
            g.nodes
                .push(node(&format!("machine:m{m}"), "machine", "machine"));
        }
        for i in 0..600 {
            g.nodes.push(node(
                &format!("alert:{i}"),
                "alert",
                if i % 2 == 0 { "high" } else { "medium" },
            ));
            g.edges.push(edge(
                &format!("alert:{i}"),
                &format!("machine:m{}", i % 3),
                "raised on",
            ));
        }
        for i in 0..1500 {
            let kind = ["file", "process", "ip", "domain"][i % 4];
            g.nodes.push(node(&format!("entity:{i}"), "entity", kind));
            g.edges.push(edge(
                &format!("alert:{}", i % 600),
                &format!("entity:{i}"),
                "evidence",
            ));
        }
        cluster(&mut g, MAX_DRAWN);
        assert!(drawn(&g) <= MAX_DRAWN, "{} drawn", drawn(&g));
        let members: u32 = g
            .nodes
            .iter()
            .filter(|n| n.group == "cluster")
            .map(|n| n.size)
            .sum();
        assert_eq!(
            members as usize + drawn(&g) - g.nodes.iter().filter(|n| n.group == "cluster").count(),
            2103
        );
    }
}
