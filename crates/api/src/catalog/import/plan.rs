//! What a batch of import rows changes, worked out against what the
//! database holds, before anything is written. A row that cannot be
//! applied is reported and skipped; a product whose own fields cannot be
//! (a new one without a name, a category that does not exist) is skipped
//! with all its rows. What is unchanged is not written at all, so a file
//! imported twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use gokart_domain::variants::{MAX_OPTION_VALUES, MAX_VARIANTS};
use uuid::Uuid;

use super::parse::{Column, Columns, ImportRow, MAX_LINKED_IMAGES, RowError};
use crate::catalog::repository::{Product, ProductRow, VariantRow};

/// A product's rows: those of one `product_id`, or of one new product's
/// name. The key is `id:` and the id, or `name:` and the name.
#[derive(Debug, Clone)]
pub struct Group {
    /// Its key.
    pub key: String,
    /// Its rows, in file order.
    pub rows: Vec<ImportRow>,
}

/// Which product a row is for, decided when the file is read: the one it
/// names, else the one that has its SKU, else a new one by its name.
pub fn group_key(row: &ImportRow, sku_owner: Option<Uuid>) -> Option<String> {
    match (row.product_id.or(sku_owner), &row.name) {
        (Some(id), _) => Some(format!("id:{id}")),
        (None, Some(name)) => Some(format!("name:{name}")),
        (None, None) => None,
    }
}

/// Who has a SKU.
#[derive(Debug, Clone, Copy)]
pub struct SkuOwner {
    /// The product of the variant with it.
    pub product_id: Uuid,
    /// Whether that variant is deleted (its SKU stays taken).
    pub deleted: bool,
}

/// What the database holds for a batch.
#[derive(Debug, Default)]
pub struct World {
    /// The live products the batch names, locked.
    pub products: HashMap<Uuid, Product>,
    /// The deleted products it names.
    pub deleted: HashSet<Uuid>,
    /// The owners of its SKUs.
    pub skus: HashMap<String, SkuOwner>,
    /// Category ids by slug.
    pub categories: HashMap<String, Uuid>,
    /// The URLs of each existing product's own photos, in order.
    pub photos: HashMap<Uuid, Vec<String>>,
}

/// An option to insert, or whose values to replace.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionWrite {
    /// Its id (a new one for a new option).
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Its place, from 0.
    pub position: i16,
    /// Its name.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// How many products and variants a batch adds and changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Products added.
    pub products_created: i32,
    /// Products changed.
    pub products_updated: i32,
    /// Variants added.
    pub variants_created: i32,
    /// Variants changed.
    pub variants_updated: i32,
}

/// The writes of a batch and what it reports.
#[derive(Debug, Default)]
pub struct Plan {
    /// Products to insert.
    pub new_products: Vec<ProductRow>,
    /// Products whose own fields change.
    pub changed_products: Vec<ProductRow>,
    /// Options to insert or extend.
    pub options: Vec<OptionWrite>,
    /// Variants to insert.
    pub new_variants: Vec<VariantRow>,
    /// Variants that change.
    pub changed_variants: Vec<VariantRow>,
    /// Those of them whose option values change.
    pub moved: Vec<Uuid>,
    /// The products created.
    pub created: Vec<Uuid>,
    /// The products changed, with their variants before.
    pub updated: Vec<(Uuid, Vec<VariantRow>)>,
    /// What was wrong, row by row.
    pub errors: Vec<RowError>,
    /// Rows skipped.
    pub rows_failed: i32,
    /// What changes.
    pub counts: Counts,
}

/// Plans `groups` against `world`.
pub fn plan(columns: &Columns, groups: Vec<Group>, world: &World) -> Plan {
    let mut plan = Plan::default();
    let mut claimed: HashMap<String, i32> = HashMap::new();
    for group in groups {
        plan.group(columns, group, world, &mut claimed);
    }
    plan
}

/// A variant as one row leaves it.
#[derive(Debug)]
struct Draft {
    /// The row.
    row: i32,
    /// Which of the product's variants it changes; `None` for a new one.
    current: Option<usize>,
    /// The variant after the row.
    variant: VariantRow,
}

/// A draft that ends with the same option values as another variant: the
/// later row of the pair (a variant the file does not name keeps its
/// values), the latest of all such; with the other's SKU.
fn clash(before: &[VariantRow], drafts: &[Draft]) -> Option<(usize, String)> {
    let untouched = before.iter().filter(|v| !drafts.iter().any(|d| d.variant.id == v.id));
    let finals: Vec<(Option<usize>, &VariantRow)> = untouched
        .map(|v| (None, v))
        .chain(drafts.iter().enumerate().map(|(i, d)| (Some(i), &d.variant)))
        .collect();
    let row = |at: Option<usize>| at.map_or(i32::MIN, |i| drafts[i].row);
    let mut first_with: HashMap<Vec<String>, usize> = HashMap::new();
    let mut latest: Option<(usize, String)> = None;
    for (k, (draft, variant)) in finals.iter().enumerate() {
        let Some(&j) = first_with.get(&lowered(&variant.option_values)) else {
            first_with.insert(lowered(&variant.option_values), k);
            continue;
        };
        let (other_draft, other) = finals[j];
        let (loser, winner) =
            if row(*draft) >= row(other_draft) { (*draft, other) } else { (other_draft, *variant) };
        if let Some(loser) = loser
            && latest.as_ref().is_none_or(|(at, _)| drafts[*at].row < drafts[loser].row)
        {
            latest = Some((loser, winner.sku.clone()));
        }
    }
    latest
}

/// The options as a product will have them: names, and values in order.
#[derive(Debug, Clone)]
struct OptionsDraft {
    ids: Vec<Option<Uuid>>,
    names: Vec<String>,
    values: Vec<Vec<String>>,
    changed: Vec<bool>,
}

impl Plan {
    fn fail(&mut self, error: RowError) {
        self.rows_failed += 1;
        self.errors.push(error);
    }

    /// Skips all of `rows`: the first for `errors`, the others with it.
    fn fail_group(&mut self, rows: &[ImportRow], errors: Vec<RowError>) {
        let Some(first) = rows.first() else { return };
        self.rows_failed += 1;
        self.errors.extend(errors);
        for row in &rows[1..] {
            self.fail(RowError::new(
                row.row,
                "row",
                format!("skipped with its product: see row {}", first.row),
            ));
        }
    }

    #[allow(clippy::too_many_lines, reason = "one product's rows, read in order")]
    fn group(
        &mut self,
        columns: &Columns,
        group: Group,
        world: &World,
        claimed: &mut HashMap<String, i32>,
    ) {
        // A row refused when the file was read stays as a marker: when it
        // is the product's first, the product is skipped with all its rows.
        if let Some(first) = group.rows.first().filter(|row| row.refused) {
            let (first, others) = (first.row, group.rows.iter().filter(|row| !row.refused));
            for row in others {
                self.fail(RowError::new(
                    row.row,
                    "row",
                    format!("skipped with its product: see row {first}"),
                ));
            }
            return;
        }
        let rows: Vec<ImportRow> = group.rows.into_iter().filter(|row| !row.refused).collect();
        let Some(first) = rows.first() else { return };
        // A new product's rows go to the product that has one of their
        // SKUs by now (another import made it meanwhile).
        let named = match group.key.strip_prefix("id:") {
            Some(id) => Uuid::parse_str(id).ok(),
            None => rows.iter().find_map(|row| {
                let owner = world.skus.get(&row.sku)?;
                world.products.contains_key(&owner.product_id).then_some(owner.product_id)
            }),
        };
        if let Some(id) = named
            && world.deleted.contains(&id)
        {
            let error = RowError::new(first.row, "product_id", "the product was deleted");
            return self.fail_group(&rows, vec![error]);
        }
        let existing = named.and_then(|id| world.products.get(&id));
        let id = named.unwrap_or_else(Uuid::now_v7);

        // The product's own fields, from its first row.
        let mut group_errors = Vec::new();
        let before = existing.map_or_else(|| ProductRow::blank(id), |p| p.row.clone());
        let mut fields = before.clone();
        match (&first.name, existing) {
            (Some(name), _) => fields.name.clone_from(name),
            (None, None) => {
                group_errors.push(RowError::new(first.row, "name", "is required for a new product"))
            }
            (None, Some(_)) => {}
        }
        match (&first.category, existing) {
            (Some(slug), _) => match world.categories.get(slug) {
                Some(category) => fields.category_id = Some(*category),
                None => group_errors.push(RowError::new(
                    first.row,
                    "category",
                    format!("no category has the slug {slug:?}"),
                )),
            },
            (None, None) => group_errors.push(RowError::new(
                first.row,
                "category",
                "is required for a new product",
            )),
            (None, Some(_)) => {}
        }
        if columns.has(Column::Description) {
            fields.description = first.description.clone().unwrap_or_default();
        }
        if columns.has(Column::Brand) {
            fields.brand = first.brand.clone().unwrap_or_default();
        }
        if let Some(active) = first.active {
            fields.is_active = active;
        }
        if columns.has(Column::Images) {
            // The export lists a product's uploaded photos, else its linked
            // images: the cell sets what it lists. Beside photos, other URLs
            // are linked too (the linked images the export did not show stay).
            let listed = first.image_urls.clone().unwrap_or_default();
            let photos = world.photos.get(&id).map(Vec::as_slice).unwrap_or_default();
            if photos.is_empty() {
                if listed != fields.images {
                    fields.thumbnail = listed.first().cloned();
                    fields.images = listed;
                }
            } else {
                for url in listed.into_iter().filter(|url| !photos.contains(url)) {
                    if !fields.images.contains(&url) {
                        fields.images.push(url);
                    }
                }
            }
            if fields.images.len() > MAX_LINKED_IMAGES {
                group_errors.push(RowError::new(
                    first.row,
                    "image_urls",
                    format!("a product links at most {MAX_LINKED_IMAGES} images"),
                ));
            }
        }

        // Its options.
        let mut options = match existing {
            Some(p) => OptionsDraft {
                ids: p.options.iter().map(|o| Some(o.id)).collect(),
                names: p.options.iter().map(|o| o.name.clone()).collect(),
                values: p.options.iter().map(|o| o.values.clone()).collect(),
                changed: vec![false; p.options.len()],
            },
            None => {
                let names = if columns.has_options() { first.option_names.clone() } else { vec![] };
                let n = names.len();
                OptionsDraft {
                    ids: vec![None; n],
                    names,
                    values: vec![vec![]; n],
                    changed: vec![true; n],
                }
            }
        };
        if columns.has_options() {
            if !same_names(&first.option_names, &options.names) {
                let message = if options.names.is_empty() {
                    "the product has no options; give them in the admin first".to_owned()
                } else {
                    format!(
                        "the product's options are {}; rename them in the admin first",
                        quoted(&options.names)
                    )
                };
                group_errors.push(RowError::new(first.row, "option1_name", message));
            }
            for (i, name) in options.names.iter().enumerate() {
                if options.names[..i].iter().any(|earlier| same_text(earlier, name)) {
                    group_errors.push(RowError::new(
                        first.row,
                        format!("option{}_name", i + 1),
                        "names an option twice",
                    ));
                }
            }
        }
        if !group_errors.is_empty() {
            return self.fail_group(&rows, group_errors);
        }

        // Its variants: each row checked on its own, then the option values
        // they all end with checked together (variants may trade values).
        let before_variants: Vec<VariantRow> =
            existing.map(|p| p.variants.clone()).unwrap_or_default();
        let mut next_position = before_variants.iter().map(|v| v.position + 1).max().unwrap_or(0);
        let mut spelled = options.clone();
        let mut drafts: Vec<Draft> = Vec::new();
        let failed_before = self.rows_failed;
        let mut first_skipped = false;
        for (i, row) in rows.iter().enumerate() {
            // The first row carries the product: without it, nothing of it.
            if i == 1 {
                first_skipped = self.rows_failed > failed_before;
            }
            if first_skipped {
                let message = format!("skipped with its product: see row {}", first.row);
                self.fail(RowError::new(row.row, "row", message));
                continue;
            }
            if let Some(owner) = world.skus.get(&row.sku) {
                if owner.deleted {
                    let message = "belongs to a deleted variant (SKUs are never reused)";
                    self.fail(RowError::new(row.row, "sku", message));
                    continue;
                }
                if owner.product_id != id {
                    let message = format!("belongs to another product, {}", owner.product_id);
                    self.fail(RowError::new(row.row, "sku", message));
                    continue;
                }
            }
            if let Some(earlier) = claimed.get(&row.sku) {
                self.fail(RowError::new(row.row, "sku", format!("repeats row {earlier}")));
                continue;
            }
            if columns.has_options()
                && !row.option_names.is_empty()
                && !same_names(&row.option_names, &options.names)
            {
                let message =
                    format!("differs from the product's options, {}", quoted(&options.names));
                self.fail(RowError::new(row.row, "option1_name", message));
                continue;
            }
            let current = before_variants.iter().position(|v| v.sku == row.sku);
            let combination = if columns.has_options() {
                if row.option_values.len() != options.names.len() {
                    let missing = row.option_values.len().min(options.names.len());
                    let field = format!("option{}_value", missing + 1);
                    let message = match options.names.get(missing) {
                        Some(name) => format!("is required: the product has the option {name:?}"),
                        None => "the product has fewer options".to_owned(),
                    };
                    self.fail(RowError::new(row.row, field, message));
                    continue;
                }
                match spelled.pick(&row.option_values) {
                    Ok(values) => Some(values),
                    Err((i, message)) => {
                        let field = format!("option{}_value", i + 1);
                        self.fail(RowError::new(row.row, field, message));
                        continue;
                    }
                }
            } else if current.is_none() && !options.names.is_empty() {
                let message =
                    format!("is required: the product has the options {}", quoted(&options.names));
                self.fail(RowError::new(row.row, "option1_value", message));
                continue;
            } else if current.is_none() {
                // A new variant of a product without options.
                Some(Vec::new())
            } else {
                None
            };
            let mut variant = match current {
                Some(i) => before_variants[i].clone(),
                None => {
                    let Some(price) = row.price else {
                        self.fail(RowError::new(row.row, "price", "is required for a new variant"));
                        continue;
                    };
                    let new = drafts.iter().filter(|d| d.current.is_none()).count();
                    if before_variants.len() + new >= MAX_VARIANTS {
                        let message = format!("a product has at most {MAX_VARIANTS} variants");
                        self.fail(RowError::new(row.row, "sku", message));
                        continue;
                    }
                    next_position += 1;
                    VariantRow {
                        id: Uuid::now_v7(),
                        product_id: id,
                        sku: row.sku.clone(),
                        option_values: Vec::new(),
                        price_amount: price,
                        compare_at_amount: None,
                        stock_quantity: 0,
                        weight_grams: None,
                        is_active: true,
                        position: next_position - 1,
                    }
                }
            };
            if let Some(values) = combination {
                spelled.keep(&values);
                variant.option_values = values;
            }
            if let Some(price) = row.price {
                variant.price_amount = price;
            }
            if columns.has(Column::CompareAt) {
                variant.compare_at_amount = row.compare_at;
            }
            if let Some(stock) = row.stock {
                variant.stock_quantity = stock;
            }
            if columns.has(Column::Weight) {
                variant.weight_grams = row.weight_grams;
            }
            claimed.insert(row.sku.clone(), row.row);
            drafts.push(Draft { row: row.row, current, variant });
        }
        // Where two variants would end with the same values, the later row
        // gives way, until none do.
        while let Some((at, other)) = clash(&before_variants, &drafts) {
            let draft = drafts.remove(at);
            let message = if options.names.is_empty() {
                format!(
                    "the product has no options, so one variant ({other}); give it options to \
                     sell several"
                )
            } else {
                format!("another variant, {other}, has these option values")
            };
            self.fail(RowError::new(draft.row, "option1_value", message));
        }
        if drafts.first().is_none_or(|draft| draft.row != first.row) {
            for draft in &drafts {
                let message = format!("skipped with its product: see row {}", first.row);
                self.fail(RowError::new(draft.row, "row", message));
            }
            return;
        }
        let mut new_variants = Vec::new();
        let mut changed_variants = Vec::new();
        let mut moved = Vec::new();
        let mut changes = Counts::default();
        for draft in drafts {
            options.keep(&draft.variant.option_values);
            match draft.current {
                Some(i) if before_variants[i] == draft.variant => {}
                Some(i) => {
                    changes.variants_updated += 1;
                    if before_variants[i].option_values != draft.variant.option_values {
                        moved.push(draft.variant.id);
                    }
                    changed_variants.push(draft.variant);
                }
                None => {
                    changes.variants_created += 1;
                    new_variants.push(draft.variant);
                }
            }
        }

        let options_written: Vec<OptionWrite> = options.writes(id);
        match existing {
            None if new_variants.is_empty() => {}
            None => {
                changes.products_created = 1;
                self.new_products.push(fields);
                self.created.push(id);
            }
            Some(p) => {
                let fields_changed = !same_fields(&fields, &before);
                if fields_changed {
                    self.changed_products.push(fields);
                }
                if fields_changed
                    || !options_written.is_empty()
                    || changes.variants_created + changes.variants_updated > 0
                {
                    changes.products_updated = 1;
                    self.updated.push((id, p.variants.clone()));
                }
            }
        }
        if changes.products_created + changes.products_updated > 0 {
            self.options.extend(options_written);
            self.new_variants.extend(new_variants);
            self.changed_variants.extend(changed_variants);
            self.moved.extend(moved);
            self.counts.products_created += changes.products_created;
            self.counts.products_updated += changes.products_updated;
            self.counts.variants_created += changes.variants_created;
            self.counts.variants_updated += changes.variants_updated;
        }
    }
}

impl OptionsDraft {
    /// The stored spelling of each of `given` (one value per option), a
    /// new value added after the others; the option and why otherwise.
    fn pick(&self, given: &[String]) -> Result<Vec<String>, (usize, String)> {
        let mut picked = Vec::with_capacity(given.len());
        for (i, value) in given.iter().enumerate() {
            let known = self.values[i].iter().find(|v| same_text(v, value));
            match known {
                Some(known) => picked.push(known.clone()),
                None if self.values[i].len() >= MAX_OPTION_VALUES => {
                    return Err((i, format!("an option has at most {MAX_OPTION_VALUES} values")));
                }
                None => picked.push(value.clone()),
            }
        }
        Ok(picked)
    }

    /// Adds the values a variant picked that the options do not have yet.
    fn keep(&mut self, picked: &[String]) {
        for (i, value) in picked.iter().enumerate() {
            if !self.values[i].contains(value) {
                self.values[i].push(value.clone());
                self.changed[i] = true;
            }
        }
    }

    fn writes(&self, product_id: Uuid) -> Vec<OptionWrite> {
        (0..self.names.len())
            .filter(|i| self.changed[*i] && !self.values[*i].is_empty())
            .map(|i| OptionWrite {
                id: self.ids[i].unwrap_or_else(Uuid::now_v7),
                product_id,
                position: i16::try_from(i).unwrap_or_default(),
                name: self.names[i].clone(),
                values: self.values[i].clone(),
            })
            .collect()
    }
}

fn same_names(given: &[String], names: &[String]) -> bool {
    given.len() == names.len() && given.iter().zip(names).all(|(a, b)| same_text(a, b))
}

/// Whether two names or values are the same in any case (as the database's
/// `lower()` and the admin's checks compare them).
fn same_text(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

fn lowered(values: &[String]) -> Vec<String> {
    values.iter().map(|v| v.to_lowercase()).collect()
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Whether the fields an import sets are the same.
fn same_fields(a: &ProductRow, b: &ProductRow) -> bool {
    a.name == b.name
        && a.description == b.description
        && a.brand == b.brand
        && a.category_id == b.category_id
        && a.is_active == b.is_active
        && a.images == b.images
        && a.thumbnail == b.thumbnail
}
