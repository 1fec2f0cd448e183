//! Grid codes for new grids.
//!
//! A grid's code is its parent's code followed by a sequence number: a base grid's parent is its
//! community (12-digit code), a micro or special grid's parent is its base grid. New codes take
//! the next sequence numbers after the highest one ever used under that parent, counting every
//! version including retired ones, so a retired code is never handed out again (records and
//! reports that name it stay unambiguous).

use crate::district::District;
use crate::model::{GridId, Layer};

/// Width of the sequence part when no sibling shows another width.
pub const DEFAULT_SEQUENCE_WIDTH: usize = 3;

/// The code prefix under which children of `parent` (a community code, or a base grid id) are
/// numbered: the community code itself, or the base grid's code.
pub fn prefix_for(d: &District, layer: &Layer, parent: &str) -> String {
    if layer.is_child() {
        if let Some(base) = d.history(&GridId(parent.to_string())).last() {
            return base.code.clone();
        }
    }
    parent.to_string()
}

/// The next `n` unused codes for grids of `layer` under `parent`.
pub fn next_codes(d: &District, layer: &Layer, parent: &str, n: usize) -> Vec<String> {
    let prefix = prefix_for(d, layer, parent);
    let mut max = 0u64;
    let mut width = DEFAULT_SEQUENCE_WIDTH;
    for g in d.all_versions() {
        let sibling = g.parent.as_deref() == Some(parent)
            && (g.layer == *layer || (g.layer.is_child() && layer.is_child()));
        let Some(seq) = g.code.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if !sibling || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        width = width.max(seq.len());
        // Over-long sequences cannot be parsed; they cannot collide with the ones we make.
        if let Ok(v) = seq.parse::<u64>() {
            max = max.max(v);
        }
    }
    // A code outside the pattern may still hold a value we would make (hand-entered data).
    let used: std::collections::HashSet<&str> =
        d.all_versions().iter().map(|g| g.code.as_str()).collect();
    let mut out = Vec::with_capacity(n);
    let mut next = max;
    while out.len() < n {
        next += 1;
        let code = format!("{prefix}{next:0width$}");
        if !used.contains(code.as_str()) {
            out.push(code);
        }
    }
    out
}
