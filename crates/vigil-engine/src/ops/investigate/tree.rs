//! A machine's process tree over the investigation's window of events, built once: every
//! process by pid and image, its start, its parent, its children and its other events.

use std::collections::HashMap;

use super::case::CaseEvent;

/// A process on the machine, as the window shows it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i64,
    pub image: String,
    /// Its start event (an index into the events), when the window has it.
    pub start: Option<usize>,
    /// Its parent's pid and image, from its start.
    pub parent: Option<(i64, String)>,
    /// Its children (indexes into the tree's processes), in the order they started.
    pub children: Vec<usize>,
    /// Its other events (indexes into the events), in time order.
    pub events: Vec<usize>,
}

/// The processes of a window of events.
#[derive(Debug, Default)]
pub struct Tree {
    pub procs: Vec<Proc>,
    by_key: HashMap<(i64, String), usize>,
    by_image: HashMap<String, Vec<usize>>,
}

impl Tree {
    /// Builds the tree of `events` (sorted by time) in one pass.
    pub fn build(events: &[CaseEvent]) -> Tree {
        let mut tree = Tree::default();
        let mut unnamed: Vec<usize> = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let Some(pid) = e.row.pid else {
                continue;
            };
            let Some(image) = e.row.image.as_deref() else {
                // A script block or a pipeline event names its process by pid alone.
                unnamed.push(i);
                continue;
            };
            let p = tree.get_or_insert(pid, image);
            if e.row.kind == "process_start" {
                if tree.procs[p].start.is_none() {
                    tree.procs[p].start = Some(i);
                }
                if let (Some(ppid), Some(pimage)) =
                    (e.row.parent_pid, e.row.parent_image.as_deref())
                {
                    tree.procs[p].parent = Some((ppid, pimage.to_string()));
                    let parent = tree.get_or_insert(ppid, pimage);
                    if parent != p && !tree.procs[parent].children.contains(&p) {
                        tree.procs[parent].children.push(p);
                    }
                }
            } else {
                tree.procs[p].events.push(i);
            }
        }
        for i in unnamed {
            let (pid, ts) = (events[i].row.pid, &events[i].row.ts);
            // The process of that pid that started last before the event.
            let owner = tree
                .procs
                .iter()
                .enumerate()
                .filter(|(_, p)| Some(p.pid) == pid)
                .filter(|(_, p)| p.start.is_none_or(|s| events[s].row.ts <= *ts))
                .max_by_key(|(_, p)| p.start.map(|s| events[s].row.ts.clone()))
                .map(|(at, _)| at);
            if let Some(p) = owner {
                tree.procs[p].events.push(i);
                tree.procs[p].events.sort_unstable();
            }
        }
        tree
    }

    fn get_or_insert(&mut self, pid: i64, image: &str) -> usize {
        let key = (pid, image.to_lowercase());
        if let Some(&i) = self.by_key.get(&key) {
            return i;
        }
        let i = self.procs.len();
        self.procs.push(Proc {
            pid,
            image: image.to_string(),
            start: None,
            parent: None,
            children: Vec::new(),
            events: Vec::new(),
        });
        self.by_image.entry(key.1.clone()).or_default().push(i);
        self.by_key.insert(key, i);
        i
    }

    /// The process with this pid and image.
    pub fn get(&self, pid: i64, image: &str) -> Option<usize> {
        self.by_key.get(&(pid, image.to_lowercase())).copied()
    }

    /// The processes that ran the file at `path`.
    pub fn running(&self, path: &str) -> &[usize] {
        self.by_image
            .get(&path.to_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The processes within `depth` generations of `seeds` (up to brokers, and down), and
    /// the events of them all: what collection may read.
    pub fn reach(
        &self,
        seeds: &[usize],
        depth: usize,
        is_broker: impl Fn(&str) -> bool,
    ) -> Vec<usize> {
        let mut seen: std::collections::HashSet<usize> = seeds.iter().copied().collect();
        let mut frontier: Vec<usize> = seeds.to_vec();
        for _ in 0..=depth {
            let mut next = Vec::new();
            for &p in &frontier {
                let up = self
                    .parent_of(p)
                    .filter(|&q| !is_broker(&self.procs[q].image));
                for q in up.into_iter().chain(self.procs[p].children.iter().copied()) {
                    if seen.insert(q) {
                        next.push(q);
                    }
                }
            }
            frontier = next;
        }
        let mut events: Vec<usize> = seen
            .into_iter()
            .flat_map(|p| self.procs[p].events.iter().copied())
            .collect();
        events.sort_unstable();
        events
    }

    /// The parent of process `p`, when the window knows it.
    pub fn parent_of(&self, p: usize) -> Option<usize> {
        let (ppid, pimage) = self.procs[p].parent.as_ref()?;
        self.get(*ppid, pimage)
    }
}
