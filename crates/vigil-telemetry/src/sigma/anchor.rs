//! Anchors: values a rule needs a record to carry before it can fire (the file name of its
//! image, or its original file name). A large logsource partition is split by anchor, so
//! that a record compiles and evaluates only the rules that could fire on it plus those
//! with no anchor.
//!
//! The analysis is conservative: a rule gets anchors only when every way it can match
//! needs one of them, read from rsigma's own parsed detection and condition (the same
//! selector semantics and case folding its matcher uses). Anything it does not understand
//! (negation, modifiers other than `endswith`, wildcards, keywords…) leaves it unanchored.
//!
//! Why these two fields: anchoring on `ParentImage`, `Description`, `Product` and `Company`
//! as well took 148 more process-creation rules out of the always-evaluated shard but
//! compiled a one-record Sysmon import no faster (its cost is in the heavy rules no field
//! anchors: regexes, long command-line lists) and evaluated records ~4% slower (each
//! anchored shard a record reaches is one more engine scanning its fields).

use std::collections::BTreeSet;

use rsigma_eval::event::{Event, EventValue, JsonEvent};
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SigmaRule, SigmaValue,
};

/// A rule that names more anchors than this is broad enough to be evaluated on every
/// record of its partition (it would otherwise be compiled once per anchor it names).
pub const MAX_ANCHORS: usize = 8;

/// A field rules are anchored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnchorField {
    /// `Image`, by its file name.
    Image,
    /// `OriginalFileName`, whole.
    OriginalFileName,
}

impl AnchorField {
    /// Every anchor field.
    pub const ALL: [AnchorField; 2] = [AnchorField::Image, AnchorField::OriginalFileName];

    /// The Sigma field name.
    pub fn sigma_name(self) -> &'static str {
        match self {
            AnchorField::Image => "Image",
            AnchorField::OriginalFileName => "OriginalFileName",
        }
    }

    /// The short name used in index files (`img:powershell.exe`).
    pub fn tag(self) -> &'static str {
        match self {
            AnchorField::Image => "img",
            AnchorField::OriginalFileName => "ofn",
        }
    }

    fn from_tag(tag: &str) -> Option<AnchorField> {
        AnchorField::ALL.into_iter().find(|f| f.tag() == tag)
    }

    fn from_sigma_name(name: &str) -> Option<AnchorField> {
        AnchorField::ALL
            .into_iter()
            .find(|f| f.sigma_name() == name)
    }

    /// Whether the field is a path, anchored by its file name.
    fn is_path(self) -> bool {
        self == AnchorField::Image
    }

    /// The anchor value of a field value as the matcher folds it: lower case, and for a
    /// path the part after its last backslash.
    fn fold(self, value: &str) -> String {
        let lower = value.to_lowercase();
        match (self.is_path(), lower.rsplit_once('\\')) {
            (true, Some((_, name))) => name.to_string(),
            _ => lower,
        }
    }
}

/// One anchor: a field and its folded value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Anchor {
    /// The field.
    pub field: AnchorField,
    /// Lower case; a path's file name.
    pub value: String,
}

impl Anchor {
    /// As written in index files: `img:powershell.exe`.
    pub fn to_tagged(&self) -> String {
        format!("{}:{}", self.field.tag(), self.value)
    }

    /// Reads the form [`Anchor::to_tagged`] writes.
    pub fn from_tagged(text: &str) -> Option<Anchor> {
        let (tag, value) = text.split_once(':')?;
        Some(Anchor {
            field: AnchorField::from_tag(tag)?,
            value: value.to_string(),
        })
    }
}

/// What a part of a rule needs of a record: one of these anchors, or (`None`) nothing
/// known.
type Need = Option<BTreeSet<Anchor>>;

/// The anchors of a rule: it can fire only on a record that carries one of them. `None`
/// when no such set is known, or when it holds more than [`MAX_ANCHORS`].
pub fn anchors(rule: &SigmaRule) -> Option<Vec<Anchor>> {
    let named = &rule.detection.named;
    if rule.detection.conditions.is_empty() {
        return None;
    }
    // Several conditions: any of them may fire the rule.
    let mut all = BTreeSet::new();
    for condition in &rule.detection.conditions {
        all.extend(condition_need(condition, named)?);
    }
    (!all.is_empty() && all.len() <= MAX_ANCHORS).then(|| all.into_iter().collect())
}

/// Either need is necessary (both parts must hold): keep the narrower, the same one
/// whatever order the parts come in (detections are a hash map).
fn narrower(a: Need, b: Need) -> Need {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(if (b.len(), &b) < (a.len(), &a) { b } else { a }),
    }
}

/// One of the parts must hold: the record needs an anchor of one of them.
fn either(parts: impl IntoIterator<Item = Need>) -> Need {
    let mut out = BTreeSet::new();
    for part in parts {
        out.extend(part?);
    }
    Some(out)
}

fn condition_need(
    condition: &ConditionExpr,
    named: &std::collections::HashMap<String, Detection>,
) -> Need {
    match condition {
        ConditionExpr::And(parts) => parts
            .iter()
            .map(|p| condition_need(p, named))
            .fold(None, narrower),
        ConditionExpr::Or(parts) => either(parts.iter().map(|p| condition_need(p, named))),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Identifier(name) => named.get(name).and_then(detection_need),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            // The same names the evaluator picks.
            let picked = named
                .iter()
                .filter(|(name, _)| pattern.matches_detection_name(name))
                .map(|(_, d)| detection_need(d));
            match quantifier {
                // All of none is true: nothing needed.
                Quantifier::All => picked.fold(None, narrower),
                Quantifier::Any | Quantifier::Count(1..) => either(picked),
                Quantifier::Count(0) => None,
            }
        }
    }
}

fn detection_need(detection: &Detection) -> Need {
    match detection {
        Detection::AllOf(items) => items.iter().map(item_need).fold(None, narrower),
        Detection::And(parts) => parts.iter().map(detection_need).fold(None, narrower),
        Detection::AnyOf(parts) if !parts.is_empty() => either(parts.iter().map(detection_need)),
        Detection::AnyOf(_)
        | Detection::Keywords(_)
        | Detection::ArrayMatch { .. }
        | Detection::Conditional { .. } => None,
    }
}

/// The anchors one detection item needs: `Image|endswith: '\x.exe'` (the matcher folds
/// both sides to lower case, so the record's image then ends in `\x.exe` and its file
/// name is `x.exe`), or an exact value of an anchor field without wildcards.
fn item_need(item: &DetectionItem) -> Need {
    let field = AnchorField::from_sigma_name(item.field.name.as_deref()?)?;
    let endswith = match item.field.modifiers.as_slice() {
        [] => false,
        [Modifier::EndsWith] if field.is_path() => true,
        _ => return None,
    };
    if item.values.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    for value in &item.values {
        let SigmaValue::String(s) = value else {
            return None;
        };
        let plain = s.as_plain()?;
        // `endswith: 'x.exe'` also matches `ax.exe`: only a suffix that starts a file
        // name anchors.
        if endswith && !plain.contains('\\') {
            return None;
        }
        let value = field.fold(&plain);
        if value.is_empty() {
            return None;
        }
        out.insert(Anchor { field, value });
    }
    Some(out)
}

/// What a record shows of one anchor field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordAnchor {
    /// The field is absent (or null): no rule anchored on it can fire.
    Absent,
    /// A value, folded into the caller's buffer.
    Value,
    /// A list or an object: any rule anchored on the field might fire.
    Any,
}

/// The anchor value a record shows for `field`, folded into `folded` as [`anchors`]
/// folds rule values (ASCII, the usual case, without allocating).
pub(crate) fn record_anchor(
    event: &JsonEvent<'_>,
    field: AnchorField,
    folded: &mut String,
) -> RecordAnchor {
    let value = match event.get_field(field.sigma_name()) {
        None | Some(EventValue::Null) => return RecordAnchor::Absent,
        Some(v @ (EventValue::Str(_) | EventValue::Int(_) | EventValue::Float(_))) => v,
        Some(_) => return RecordAnchor::Any,
    };
    let Some(s) = value.as_str() else {
        return RecordAnchor::Any;
    };
    folded.clear();
    if s.is_ascii() {
        // Lower case and the part after the last backslash commute for ASCII.
        let part = match (field.is_path(), s.rsplit_once('\\')) {
            (true, Some((_, name))) => name,
            _ => &s,
        };
        folded.push_str(part);
        folded.make_ascii_lowercase();
    } else {
        folded.push_str(&field.fold(&s));
    }
    RecordAnchor::Value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(detection: &str) -> SigmaRule {
        let text = format!(
            "title: T\nid: 1\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n{detection}\n"
        );
        rsigma_parser::parse_sigma_yaml(&text)
            .expect("parses")
            .rules
            .remove(0)
    }

    fn tagged(rule: &SigmaRule) -> Option<Vec<String>> {
        anchors(rule).map(|a| a.iter().map(Anchor::to_tagged).collect())
    }

    #[test]
    fn an_image_or_its_original_name_anchors_a_rule() {
        let r = rule(
            "  selection_img:\n    - Image|endswith: ['\\WScript.exe', '\\cscript.exe']\n    - OriginalFileName: wscript.exe\n  selection_cli:\n    CommandLine|contains: '.vbs'\n  condition: all of selection_*",
        );
        assert_eq!(
            tagged(&r),
            Some(vec![
                "img:cscript.exe".to_string(),
                "img:wscript.exe".to_string(),
                "ofn:wscript.exe".to_string()
            ])
        );
    }

    #[test]
    fn negations_wildcards_other_modifiers_and_bare_suffixes_anchor_nothing() {
        for detection in [
            "  selection:\n    Image|endswith: '\\cmd.exe'\n  condition: not selection",
            "  selection:\n    Image|endswith: '\\cmd*.exe'\n  condition: selection",
            "  selection:\n    Image|contains: '\\cmd.exe'\n  condition: selection",
            "  selection:\n    Image|endswith|cased: '\\cmd.exe'\n  condition: selection",
            "  selection:\n    Image|endswith: 'cmd.exe'\n  condition: selection",
            "  a:\n    Image|endswith: '\\cmd.exe'\n  b:\n    CommandLine|contains: x\n  condition: a or b",
            "  keywords:\n    - mimikatz\n  condition: keywords",
        ] {
            assert_eq!(tagged(&rule(detection)), None, "{detection}");
        }
    }

    #[test]
    fn all_of_them_takes_the_narrowest_and_one_of_unites() {
        let r = rule(
            "  a:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n  b:\n    OriginalFileName: 'WINWORD.EXE'\n  condition: all of them",
        );
        assert_eq!(tagged(&r), Some(vec!["ofn:winword.exe".to_string()]));
        // Equally narrow: the same one whatever order the detections come in.
        let r = rule(
            "  b:\n    OriginalFileName: 'B.EXE'\n  a:\n    Image|endswith: '\\a.exe'\n  condition: all of them",
        );
        assert_eq!(tagged(&r), Some(vec!["img:a.exe".to_string()]));
        let r = rule(
            "  sel_a:\n    Image|endswith: '\\a.exe'\n  sel_b:\n    OriginalFileName: 'PsExec.exe'\n  condition: 1 of sel_*",
        );
        assert_eq!(
            tagged(&r),
            Some(vec!["img:a.exe".to_string(), "ofn:psexec.exe".to_string()])
        );
        let r = rule(
            "  a:\n    Image|endswith: '\\a.exe'\n  b:\n    ParentImage|endswith: '\\b.exe'\n  condition: a or b",
        );
        assert_eq!(tagged(&r), None, "a parent image does not anchor");
    }

    #[test]
    fn a_record_shows_the_file_name_of_its_image_in_lower_case() {
        let mut folded = String::new();
        let mut seen = |raw: serde_json::Value, field| {
            let r = record_anchor(&JsonEvent::borrow(&raw), field, &mut folded);
            (r, folded.clone())
        };
        let image = |v: serde_json::Value| serde_json::json!({ "Image": v });
        assert_eq!(
            seen(
                image("C:\\Windows\\System32\\CMD.EXE".into()),
                AnchorField::Image
            ),
            (RecordAnchor::Value, "cmd.exe".into())
        );
        assert_eq!(
            seen(image("C:\\Ünïcode\\WÖRD.EXE".into()), AnchorField::Image),
            (RecordAnchor::Value, "wörd.exe".into())
        );
        assert_eq!(
            seen(image(serde_json::Value::Null), AnchorField::Image).0,
            RecordAnchor::Absent
        );
        assert_eq!(
            seen(image("x".into()), AnchorField::OriginalFileName).0,
            RecordAnchor::Absent
        );
        assert_eq!(
            seen(image(serde_json::json!(["a", "b"])), AnchorField::Image).0,
            RecordAnchor::Any
        );
    }

    #[test]
    fn tagged_anchors_read_back() {
        let a = Anchor {
            field: AnchorField::OriginalFileName,
            value: "powershell.exe".into(),
        };
        assert_eq!(Anchor::from_tagged(&a.to_tagged()), Some(a));
        assert_eq!(Anchor::from_tagged("nope:x"), None);
    }
}
