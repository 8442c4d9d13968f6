//! Reading an import file: its header, then each row checked on its own,
//! before anything is written. The columns are the export's
//! ([`crate::catalog::export::HEADER`]), in any order and any case; only
//! `sku` is required. A column the file leaves out leaves that field as it
//! is; see [`ImportRow`] for what an empty cell means.

use gokart_domain::catalog::{optional_text, required_text};
use gokart_domain::variants::{MAX_OPTION_TEXT, MAX_OPTIONS};
use gokart_domain::{Invalid, MAX_PRICE, MAX_STOCK, Sku, Slug};
use uuid::Uuid;

use crate::catalog::export::{HEADER, undefused};

/// Most image URLs a cell lists: a product's photos (at most 50) or its
/// linked images.
pub const MAX_IMAGES: usize = 50;
/// Most linked images a product has (as the admin allows).
pub const MAX_LINKED_IMAGES: usize = 20;
/// Longest image URL.
pub const MAX_IMAGE_URL: usize = 500;

/// A column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `product_id`.
    ProductId,
    /// `name`.
    Name,
    /// `description`.
    Description,
    /// `brand`.
    Brand,
    /// `category` (a slug).
    Category,
    /// `active`.
    Active,
    /// `optionN_name` (0-based).
    OptionName(usize),
    /// `optionN_value` (0-based).
    OptionValue(usize),
    /// `sku`.
    Sku,
    /// `price`.
    Price,
    /// `compare_at_price`.
    CompareAt,
    /// `stock`.
    Stock,
    /// `weight_grams`.
    Weight,
    /// `image_urls`.
    Images,
    /// A column without a name (a trailing comma), not read.
    Unnamed,
}

impl Column {
    fn named(name: &str) -> Option<Column> {
        if name.is_empty() {
            return Some(Column::Unnamed);
        }
        let position = HEADER.iter().position(|known| known.eq_ignore_ascii_case(name))?;
        Some(Column::ALL[position])
    }

    /// The columns in [`HEADER`]'s order.
    const ALL: [Column; 18] = [
        Column::ProductId,
        Column::Name,
        Column::Description,
        Column::Brand,
        Column::Category,
        Column::Active,
        Column::OptionName(0),
        Column::OptionValue(0),
        Column::OptionName(1),
        Column::OptionValue(1),
        Column::OptionName(2),
        Column::OptionValue(2),
        Column::Sku,
        Column::Price,
        Column::CompareAt,
        Column::Stock,
        Column::Weight,
        Column::Images,
    ];

    /// Its name in a file.
    pub fn name(self) -> &'static str {
        match Column::ALL.iter().position(|c| *c == self) {
            Some(position) => HEADER[position],
            None => "",
        }
    }
}

/// The columns a file has, in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<Column>);

impl Columns {
    /// Reads a header line; why it cannot be used otherwise.
    pub fn parse(cells: &[&str]) -> Result<Columns, Invalid> {
        let mut columns = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            let name = if i == 0 { cell.trim_start_matches('\u{feff}') } else { cell }.trim();
            let column = Column::named(name).ok_or_else(|| {
                Invalid::new(format!(
                    "the header has an unknown column {name:?}; the columns are {}",
                    HEADER.join(", ")
                ))
            })?;
            if column != Column::Unnamed && columns.contains(&column) {
                return Err(Invalid::new(format!("the header names {name:?} twice")));
            }
            columns.push(column);
        }
        if !columns.contains(&Column::Sku) {
            return Err(Invalid::new("the header must have a sku column"));
        }
        for i in 0..MAX_OPTIONS {
            if columns.contains(&Column::OptionName(i)) != columns.contains(&Column::OptionValue(i))
            {
                return Err(Invalid::new(format!(
                    "option{n}_name and option{n}_value come together",
                    n = i + 1
                )));
            }
        }
        Ok(Columns(columns))
    }

    /// From the names stored with an import.
    pub fn from_names(names: &[String]) -> Columns {
        Columns(names.iter().filter_map(|name| Column::named(name)).collect())
    }

    /// The names, to store with an import.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|c| c.name().to_owned()).collect()
    }

    /// The file's cell of `column` in `cells`, trimmed.
    pub fn cell<'a>(&self, cells: &[&'a str], column: Column) -> Option<&'a str> {
        let at = self.0.iter().position(|c| *c == column)?;
        Some(cells.get(at)?.trim()).filter(|cell| !cell.is_empty())
    }

    /// Whether the file has `column`.
    pub fn has(&self, column: Column) -> bool {
        self.0.contains(&column)
    }

    /// Whether the file gives options at all.
    pub fn has_options(&self) -> bool {
        self.has(Column::OptionName(0))
    }

    /// How many cells a row has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One good row. `None` is an empty cell (or a column the file leaves
/// out): it leaves a name, category, active flag, price or stock as it is
/// (a new product or variant must give its name, category and price), and
/// clears a description, brand, former price, weight or image list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportRow {
    /// The record's number, the header being row 1.
    pub row: i32,
    /// The product, when the file names it.
    pub product_id: Option<Uuid>,
    /// Product name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Offered to shoppers.
    pub active: Option<bool>,
    /// The option names given, in order.
    pub option_names: Vec<String>,
    /// This variant's value of each, in order.
    pub option_values: Vec<String>,
    /// SKU.
    pub sku: String,
    /// Price, minor units.
    pub price: Option<i64>,
    /// Former price, minor units.
    pub compare_at: Option<i64>,
    /// Units in stock.
    pub stock: Option<i32>,
    /// Weight.
    pub weight_grams: Option<i32>,
    /// Image URLs.
    pub image_urls: Option<Vec<String>>,
    /// Refused when the file was read (and reported then): kept only to
    /// mark its product, which is skipped when this is its first row.
    pub refused: bool,
}

impl ImportRow {
    /// A refused row, with what of its cells tells its product.
    pub fn refused(columns: &Columns, row: i32, cells: &[&str]) -> Self {
        let cell = |column| columns.cell(cells, column).map(|cell| undefused(cell).to_owned());
        ImportRow {
            row,
            product_id: cell(Column::ProductId).and_then(|id| Uuid::parse_str(&id).ok()),
            name: cell(Column::Name),
            sku: cell(Column::Sku).unwrap_or_default(),
            refused: true,
            ..ImportRow::default()
        }
    }
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The record's number, the header being row 1.
    pub row: i32,
    /// The column, or `row` for the row as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    /// An error in `field` of `row`.
    pub fn new(row: i32, field: impl Into<String>, message: impl Into<String>) -> Self {
        RowError { row, field: field.into(), message: message.into() }
    }
}

/// A whole number from 0 to `max`.
fn whole_number<T>(raw: &str, max: T, what: &str) -> Result<T, Invalid>
where
    T: std::str::FromStr + PartialOrd + Default + std::fmt::Display + Copy,
{
    match raw.parse::<T>() {
        Ok(n) if n >= T::default() && n <= max => Ok(n),
        _ => Err(Invalid::new(format!("must be a whole number of {what} from 0 to {max}"))),
    }
}

/// Checks the cells of record `row` (its cells in the file's column order).
pub fn row(columns: &Columns, row: i32, cells: &[&str]) -> Result<ImportRow, Vec<RowError>> {
    let mut errors = Vec::new();
    if cells.len() != columns.len() {
        let message =
            format!("has {} cells; the header has {} columns", cells.len(), columns.len());
        return Err(vec![RowError::new(row, "row", message)]);
    }
    let mut out = ImportRow { row, ..ImportRow::default() };
    let mut names: [Option<String>; MAX_OPTIONS] = Default::default();
    let mut values: [Option<String>; MAX_OPTIONS] = Default::default();
    for (column, raw) in columns.0.iter().zip(cells) {
        let cell = undefused(raw.trim());
        let mut check = |parsed: Result<(), Invalid>| {
            if let Err(invalid) = parsed {
                errors.push(RowError::new(row, column.name(), invalid.0));
            }
        };
        if cell.is_empty() {
            if *column == Column::Sku {
                check(Err(Invalid::new("is required")));
            }
            continue;
        }
        match column {
            Column::ProductId => check(match Uuid::parse_str(cell) {
                Ok(id) => {
                    out.product_id = Some(id);
                    Ok(())
                }
                Err(_) => Err(Invalid::new("must be a product id (a UUID), or empty")),
            }),
            Column::Name => check(required_text(cell, 200).map(|t| out.name = Some(t))),
            Column::Description => {
                check(optional_text(cell, 5000).map(|t| out.description = Some(t)));
            }
            Column::Brand => check(optional_text(cell, 100).map(|t| out.brand = Some(t))),
            Column::Category => {
                check(Slug::parse(cell).map(|s| out.category = Some(s.as_str().to_owned())));
            }
            Column::Active => check(match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => {
                    out.active = Some(true);
                    Ok(())
                }
                "false" | "no" | "0" => {
                    out.active = Some(false);
                    Ok(())
                }
                _ => Err(Invalid::new("must be true or false")),
            }),
            Column::OptionName(i) => {
                check(required_text(cell, MAX_OPTION_TEXT).map(|t| names[*i] = Some(t)));
            }
            Column::OptionValue(i) => {
                check(required_text(cell, MAX_OPTION_TEXT).map(|t| values[*i] = Some(t)));
            }
            Column::Sku => check(Sku::parse(cell).map(|s| out.sku = s.as_str().to_owned())),
            Column::Price => {
                check(whole_number(cell, MAX_PRICE, "minor units").map(|n| out.price = Some(n)));
            }
            Column::CompareAt => check(
                whole_number(cell, MAX_PRICE, "minor units").map(|n| out.compare_at = Some(n)),
            ),
            Column::Stock => {
                check(whole_number(cell, MAX_STOCK, "units").map(|n| out.stock = Some(n)));
            }
            Column::Weight => {
                check(whole_number(cell, MAX_STOCK, "grams").map(|n| out.weight_grams = Some(n)))
            }
            Column::Images => check(image_urls(cell).map(|urls| out.image_urls = Some(urls))),
            Column::Unnamed => {}
        }
    }
    for i in 0..MAX_OPTIONS {
        let field = |part: &str| format!("option{}_{part}", i + 1);
        match (&names[i], &values[i]) {
            (Some(_), None) => errors.push(RowError::new(row, field("value"), "is required")),
            (None, Some(_)) => {
                errors.push(RowError::new(row, field("name"), "is required with a value"));
            }
            (Some(_), Some(_)) if i > 0 && names[i - 1].is_none() => {
                errors.push(RowError::new(row, field("name"), format!("give option{} first", i)))
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.option_names = names.into_iter().flatten().collect();
    out.option_values = values.into_iter().flatten().collect();
    Ok(out)
}

/// URLs separated by spaces (a URL holds none: a space in one is `%20`).
fn image_urls(cell: &str) -> Result<Vec<String>, Invalid> {
    let urls: Vec<String> = cell.split_whitespace().map(str::to_owned).collect();
    let good = |url: &String| url.len() <= MAX_IMAGE_URL && !url.chars().any(char::is_control);
    if urls.len() > MAX_IMAGES || !urls.iter().all(good) {
        return Err(Invalid::new(format!(
            "give at most {MAX_IMAGES} URLs separated by spaces, each at most {MAX_IMAGE_URL} \
             characters"
        )));
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &str) -> Columns {
        Columns::parse(&names.split(',').collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn the_header_names_known_columns_once_and_always_sku() {
        assert!(columns("\u{feff}SKU, Price ").has(Column::Price));
        assert!(columns("sku,price,,").has(Column::Unnamed));
        let refused = |names: &str| Columns::parse(&names.split(',').collect::<Vec<_>>());
        assert!(refused("sku,colour").unwrap_err().0.contains("unknown column \"colour\""));
        assert!(refused("sku,price,Price").unwrap_err().0.contains("twice"));
        assert!(refused("name,price").unwrap_err().0.contains("sku"));
        assert!(refused("sku,option1_name").unwrap_err().0.contains("come together"));
    }

    #[test]
    fn a_good_row_reads_every_cell() {
        let cols = columns("name,sku,price,stock,option1_name,option1_value,image_urls,active");
        let row = row(
            &cols,
            2,
            &[
                "Kettle",
                "KET-1",
                "2599",
                "4",
                "Colour",
                "Red",
                "https://x/a.jpg https://x/b.jpg",
                "no",
            ],
        )
        .unwrap();
        assert_eq!(row.name.as_deref(), Some("Kettle"));
        assert_eq!((row.price, row.stock, row.active), (Some(2599), Some(4), Some(false)));
        assert_eq!(
            (row.option_names, row.option_values),
            (vec!["Colour".into()], vec!["Red".into()])
        );
        assert_eq!(row.image_urls.unwrap().len(), 2);
    }

    #[test]
    fn bad_cells_are_each_named() {
        let cols = columns("sku,price,stock,option1_name,option1_value,image_urls");
        let long = format!("https://x/{}", "a".repeat(500));
        let errors = row(&cols, 7, &["bad sku!", "12.50", "-1", "Size", "", &long]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sku", "price", "stock", "image_urls", "option1_value"]);
        assert!(errors.iter().all(|e| e.row == 7));
        let short = row(&cols, 8, &["A-1"]).unwrap_err();
        assert_eq!(short[0].field, "row");
    }

    #[test]
    fn a_defused_formula_comes_back() {
        let cols = columns("sku,name");
        assert_eq!(row(&cols, 2, &["A-1", "'=1+1"]).unwrap().name.as_deref(), Some("=1+1"));
    }
}
