//! The catalog as CSV: one row per variant of every product that is not
//! deleted, read a page of products at a time, so an export of any size
//! holds one page in memory. The columns are [`HEADER`]; prices are in
//! minor units, options one name and value pair per column pair, photos
//! the URLs of their full-size images (or, for a product without uploaded
//! photos, its linked image URLs), space-separated.
//!
//! A text cell that a spreadsheet would take for a formula (it starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a `'`
//! before it, and so is one that starts with a `'` itself; an import takes
//! that `'` off again.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::media::{MediaEntry, Urls};

/// The columns, in order.
pub const HEADER: [&str; 18] = [
    "product_id",
    "name",
    "description",
    "brand",
    "category",
    "active",
    "option1_name",
    "option1_value",
    "option2_name",
    "option2_value",
    "option3_name",
    "option3_value",
    "sku",
    "price",
    "compare_at_price",
    "stock",
    "weight_grams",
    "image_urls",
];

/// Products per page read.
pub const PAGE: i64 = 200;

/// One variant with its product, as a row of the export.
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// The product.
    pub product_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its brand.
    pub brand: String,
    /// Its category's slug.
    pub category: Option<String>,
    /// Whether shoppers see it.
    pub is_active: bool,
    /// Its options' names, in order.
    pub option_names: Vec<String>,
    /// The variant's SKU.
    pub sku: String,
    /// The variant's value of each option.
    pub option_values: Vec<String>,
    /// Its price, minor units.
    pub price_amount: i64,
    /// Its former price, minor units.
    pub compare_at_amount: Option<i64>,
    /// Units in stock.
    pub stock_quantity: i32,
    /// Its weight.
    pub weight_grams: Option<i32>,
    /// The product's photos.
    pub media: Json<Vec<MediaEntry>>,
    /// The product's linked image URLs (shown while it has no photos).
    pub images: Vec<String>,
    /// When the product was added (the page cursor).
    pub created_at: DateTime<Utc>,
}

/// The variants of the next `PAGE` products after `after` (by creation,
/// then id).
pub async fn page(
    db: impl PgExecutor<'_>,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> Result<Vec<ExportRow>> {
    let (at, id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    Ok(sqlx::query_as!(
        ExportRow,
        r#"SELECT p.id AS product_id, p.name, p.description, p.brand, c.slug AS "category?",
                  p.is_active,
                  coalesce((SELECT array_agg(o.name ORDER BY o.position)
                            FROM product_options o WHERE o.product_id = p.id), '{}')
                      AS "option_names!",
                  v.sku, v.option_values, v.price_amount, v.compare_at_amount, v.stock_quantity,
                  v.weight_grams, p.media AS "media: Json<Vec<MediaEntry>>", p.images, p.created_at
           FROM (SELECT * FROM products
                 WHERE deleted_at IS NULL
                   AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid))
                 ORDER BY created_at, id LIMIT $3) p
           LEFT JOIN categories c ON c.id = p.category_id
           JOIN product_variants v ON v.product_id = p.id AND v.deleted_at IS NULL
           ORDER BY p.created_at, p.id, v.position, v.sku"#,
        at,
        id,
        PAGE
    )
    .fetch_all(db)
    .await?)
}

/// The header line.
pub fn header() -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for (i, name) in HEADER.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends `row` as a line, its photos' URLs made by `urls`.
pub fn write_row(out: &mut Vec<u8>, row: &ExportRow, urls: Urls<'_>) {
    let option = |i: usize| {
        (
            row.option_names.get(i).map(String::as_str).unwrap_or_default(),
            row.option_values.get(i).map(String::as_str).unwrap_or_default(),
        )
    };
    let images: Vec<String> = if row.media.is_empty() {
        row.images.clone()
    } else {
        row.media.0.iter().map(|entry| urls.view(row.product_id, entry).url).collect()
    };
    let (o1, o2, o3) = (option(0), option(1), option(2));
    let cells: [&str; 18] = [
        &row.product_id.to_string(),
        &row.name,
        &row.description,
        &row.brand,
        row.category.as_deref().unwrap_or_default(),
        if row.is_active { "true" } else { "false" },
        o1.0,
        o1.1,
        o2.0,
        o2.1,
        o3.0,
        o3.1,
        &row.sku,
        &row.price_amount.to_string(),
        &row.compare_at_amount.map(|a| a.to_string()).unwrap_or_default(),
        &row.stock_quantity.to_string(),
        &row.weight_grams.map(|w| w.to_string()).unwrap_or_default(),
        &images.join(" "),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_cell(out, cell);
    }
    out.extend_from_slice(b"\r\n");
}

/// One cell: quoted when it holds a comma, a quote or a line break (quotes
/// doubled), and defused when a spreadsheet would run it as a formula.
fn write_cell(out: &mut Vec<u8>, cell: &str) {
    let formula = cell.starts_with(DEFUSED);
    let quoted = formula || cell.contains([',', '"', '\n', '\r']);
    if !quoted {
        out.extend_from_slice(cell.as_bytes());
        return;
    }
    out.push(b'"');
    if formula {
        out.push(b'\'');
    }
    for byte in cell.bytes() {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

/// What a cell starts with that export puts a `'` before: what starts a
/// formula, and the `'` itself (so that a cell that begins with one comes
/// back whole).
const DEFUSED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A cell as it was before export defused it (see [`write_cell`]).
pub fn undefused(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(DEFUSED) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> String {
        let mut out = Vec::new();
        write_cell(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_quoted_when_they_must_be() {
        assert_eq!(cell("Kettle"), "Kettle");
        assert_eq!(cell("Tea, green"), "\"Tea, green\"");
        assert_eq!(cell("The \"best\" kettle"), "\"The \"\"best\"\" kettle\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn formulas_are_defused_and_come_back_on_import() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-5 off", "@SUM(A1)"] {
            let written = cell(formula);
            assert!(written.starts_with("\"'"), "{written}");
            let unquoted = written[1..written.len() - 1].replace("\"\"", "\"");
            assert_eq!(undefused(&unquoted), formula);
        }
        assert_eq!(undefused("'quoted on purpose"), "'quoted on purpose");
        let quoted = cell("'-) Smile");
        assert_eq!(quoted, "\"''-) Smile\"");
        assert_eq!(undefused(&quoted[1..quoted.len() - 1]), "'-) Smile");
    }
}
