//! The webhooks of catalog changes.

use sqlx::PgConnection;

use super::repository::{Product, VariantRow};
use super::view::ProductView;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::webhooks::{self, Event, EventType, StockMove};

/// Queues the webhook `kind` about `product` (as shoppers see it), and
/// `inventory.low` for each of its variants whose stock fell to the
/// threshold since `before`.
pub async fn announce(
    tx: &mut PgConnection,
    state: &AppState,
    kind: EventType,
    before: &[VariantRow],
    product: &Product,
) -> Result<()> {
    let events = product_events(state, kind, before, product)?;
    webhooks::emit(&mut *tx, &events).await
}

/// The webhooks [`announce`] queues.
pub fn product_events(
    state: &AppState,
    kind: EventType,
    before: &[VariantRow],
    product: &Product,
) -> Result<Vec<Event>> {
    let moves: Vec<StockMove<'_>> = product
        .variants
        .iter()
        .filter_map(|after| {
            let before = before.iter().find(|variant| variant.id == after.id)?;
            Some(StockMove {
                variant_id: after.id,
                product_id: after.product_id,
                sku: &after.sku,
                before: before.stock_quantity,
                after: after.stock_quantity,
            })
        })
        .collect();
    let view = ProductView::new(product.clone(), state.media_urls());
    let view = serde_json::to_value(view).map_err(|err| Error::Internal(err.into()))?;
    let mut events = vec![Event {
        kind,
        subject: format!("product:{}", product.row.id),
        data: serde_json::json!({ "product": view }),
    }];
    events.extend(webhooks::inventory_low(&moves, state.config.low_stock_threshold));
    Ok(events)
}
