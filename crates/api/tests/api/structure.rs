//! Rules about where code lives that the compiler cannot check.

use crate::helpers::visit_sources;

/// Every change of an order's status, payment status or timeline goes
/// through `orders/workflow.rs`: no SQL outside `orders/` writes them.
#[test]
fn only_the_orders_module_writes_order_statuses_and_timelines() {
    let src = crate::helpers::source_dir();
    let orders = src.join("orders");
    let mut offenders = Vec::new();

    visit_sources(&src, &mut |file, text| {
        if file.starts_with(&orders) {
            return;
        }
        let lowered = text.to_lowercase();
        for statement in
            ["update orders", "insert into order_events", "set status", "set payment_status"]
        {
            if lowered.contains(statement) {
                offenders.push(format!("{}: {statement}", file.display()));
            }
        }
    });

    assert!(offenders.is_empty(), "status written outside orders/: {offenders:#?}");
}

/// No two source files import each other, directly or round a loop, in the
/// API and edge crates: a loop means a type lives on the wrong side.
#[test]
fn no_module_imports_loop_back_to_itself() {
    let api = crate::helpers::source_dir();
    let edge = api.join("../../edge/src");
    for src in [api, edge] {
        let loops = import_loops(&src);
        assert!(loops.is_empty(), "import loops in {}: {loops:#?}", src.display());
    }
}

/// Files (relative to `src`) that some chain of imports leads back to, each
/// with the first file it imports on the way round.
fn import_loops(src: &std::path::Path) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};

    // Module path of every file: `orders/mod.rs` and `orders.rs` are `orders`.
    let mut files = BTreeMap::new();
    visit_sources(src, &mut |file, text| {
        let relative = file.strip_prefix(src).unwrap().with_extension("");
        let mut module: Vec<String> =
            relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            module.pop();
        }
        // Test modules at the end of a file import `super::*`: not the crate's shape.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        files.insert(module, code.to_owned());
    });
    let modules: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, code) in &files {
        for path in imported_paths(code) {
            let Some(target) = resolve(module, &path, &modules) else { continue };
            if target != *module {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    let mut loops = Vec::new();
    for (start, next) in &edges {
        for first in next {
            let mut seen = BTreeSet::new();
            let mut stack = vec![first.clone()];
            while let Some(at) = stack.pop() {
                if at == *start {
                    loops.push(format!("{} -> {} -> ...", start.join("/"), first.join("/")));
                    break;
                }
                if seen.insert(at.clone()) {
                    stack.extend(edges.get(&at).into_iter().flatten().cloned());
                }
            }
        }
    }
    loops
}

/// Every `crate::`, `super::` and `self::` path in `code`, `use` trees expanded.
fn imported_paths(code: &str) -> Vec<Vec<String>> {
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    let mut plain = String::new();
    // `use` statements, with their brace trees, first.
    while let Some(at) = rest.find("use ") {
        let starts_item =
            rest[..at].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        plain.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';').filter(|_| starts_item) else {
            plain.push_str("use ");
            rest = &rest[at + 4..];
            continue;
        };
        let tree: String = rest[at + 4..at + end].chars().filter(|c| !c.is_whitespace()).collect();
        expand(&tree, &mut Vec::new(), &mut paths);
        rest = &rest[at + end..];
    }
    plain.push_str(rest);
    // Then paths written inline, like `crate::payments::refunds::process_due(..)`.
    for root in ["crate::", "super::", "self::"] {
        for (at, _) in plain.match_indices(root) {
            let before = plain[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = plain[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
        }
    }
    paths
}

/// Expands a `use` tree like `a::{b, c::{d, e}}` into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(open) = tree.find('{') else {
        let mut path = prefix.clone();
        path.extend(tree.split(" as ").next().unwrap_or(tree).split("::").map(str::to_owned));
        path.retain(|s| !s.is_empty());
        out.push(path);
        return;
    };
    let head: Vec<String> =
        tree[..open].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut depth = 0;
    let mut piece = String::new();
    let mut pieces = Vec::new();
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                pieces.push(std::mem::take(&mut piece));
                continue;
            }
            _ => {}
        }
        piece.push(c);
    }
    pieces.push(piece);
    let before = prefix.len();
    prefix.extend(head);
    for piece in pieces.iter().filter(|p| !p.is_empty()) {
        expand(piece, prefix, out);
    }
    prefix.truncate(before);
}

/// The file a path leads into: the longest module prefix that is a file.
fn resolve(
    from: &[String],
    path: &[String],
    modules: &std::collections::BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let (mut absolute, rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (from.to_vec(), &path[1..]),
        "super" => {
            let mut base = from.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            (base, rest)
        }
        // `use guard::AuthUser;` in `auth/mod.rs` names a child module.
        child => {
            let mut own = from.to_vec();
            own.push(child.to_owned());
            if !modules.contains(&own) {
                return None;
            }
            (from.to_vec(), path)
        }
    };
    let mut best = None;
    for segment in rest {
        absolute.push(segment.clone());
        if modules.contains(&absolute) {
            best = Some(absolute.clone());
        }
    }
    best
}
