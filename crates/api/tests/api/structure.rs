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
