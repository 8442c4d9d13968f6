//! Catalog rules: slugs, SKUs, product text, and the product list query
//! (filters, search terms, sort, paging) parsed from raw query values.

use crate::paging::PageRequest;
use crate::validation::{Invalid, Violations, visible_text};

/// The most units of one product a shop keeps: every stock change an admin
/// makes is held to it, and restocking a cancelled order stays far inside
/// the 32-bit column above it.
pub const MAX_STOCK: i32 = 1_000_000_000;

/// The highest price a product may have, in minor units: 100 lines of 99
/// units each still add up far below the 64-bit limit.
pub const MAX_PRICE: i64 = 10_000_000_000;

/// Required text: trimmed, 1 to `max` characters, no control characters
/// other than line breaks and tabs.
pub fn required_text(raw: &str, max: usize) -> Result<String, Invalid> {
    let text = optional_text(raw, max)?;
    if text.is_empty() { Err(Invalid::new("is required")) } else { Ok(text) }
}

/// Optional text: trimmed, at most `max` characters (empty is fine).
pub fn optional_text(raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Invalid::new(format!("must be at most {max} characters")));
    }
    visible_text(text, &['\n', '\t'])?;
    Ok(text.to_owned())
}

/// A URL-safe category name: lower-case letters and digits in words joined by `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Checks a slug given as is.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let slug = raw.trim();
        let valid = !slug.is_empty()
            && slug.len() <= 100
            && slug.split('-').all(|word| {
                !word.is_empty()
                    && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if valid {
            Ok(Slug(slug.to_owned()))
        } else {
            Err(Invalid::new(
                "must be lower-case letters and digits joined by hyphens, like home-office",
            ))
        }
    }

    /// Derives a slug from a name: "Books & Stationery" -> "books-stationery".
    pub fn from_name(name: &str) -> Result<Self, Invalid> {
        let mut slug = String::new();
        for word in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word.to_ascii_lowercase());
        }
        slug.truncate(100);
        Slug::parse(slug.trim_end_matches('-'))
            .map_err(|_| Invalid::new("needs letters or digits to derive a slug; give one"))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stock-keeping unit: 1 to 64 letters, digits, `.`, `_` or `-`, starting
/// with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    /// Checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let sku = raw.trim();
        let valid = (1..=64).contains(&sku.len())
            && sku.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && sku.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if valid {
            Ok(Sku(sku.to_owned()))
        } else {
            Err(Invalid::new("must be 1 to 64 letters, digits, '.', '_' or '-'"))
        }
    }

    /// The SKU.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a product list is ordered; ties are always broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(rename_all = "snake_case"))]
pub enum ProductSort {
    /// Best text match first (only with a search; otherwise newest).
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Most recently added first.
    Newest,
}

impl ProductSort {
    fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "relevance" => Ok(ProductSort::Relevance),
            "price_asc" => Ok(ProductSort::PriceAsc),
            "price_desc" => Ok(ProductSort::PriceDesc),
            "newest" => Ok(ProductSort::Newest),
            _ => Err(Invalid::new("must be one of relevance, price_asc, price_desc, newest")),
        }
    }
}

/// Search terms from `q`: the text as typed, and a PostgreSQL `tsquery`
/// matching every word as a prefix ("kett" finds "kettle").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    /// The trimmed text, for typo-tolerant matching.
    pub text: String,
    /// `word1:* & word2:*`, built only from letters and digits.
    pub prefix_query: String,
}

impl SearchTerms {
    /// Most words a search uses.
    pub const MAX_WORDS: usize = 8;

    /// Terms for `raw`, or `None` when it holds no letters or digits.
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        let text = optional_text(raw, 200)?;
        let text = text.as_str();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .take(Self::MAX_WORDS)
            // Lowercasing can add combining marks ("İ" becomes "i" and a
            // dot above); the query keeps only letters and digits.
            .map(|word| word.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect())
            .filter(|word: &String| !word.is_empty())
            .map(|word| format!("{word}:*"))
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        Ok(Some(SearchTerms { text: text.to_owned(), prefix_query: words.join(" & ") }))
    }
}

/// Query-string values of `GET /products`, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawProductQuery<'a> {
    /// Search text.
    pub q: Option<&'a str>,
    /// Category slug, id or name.
    pub category: Option<&'a str>,
    /// Lowest price, minor units.
    pub min_price: Option<&'a str>,
    /// Highest price, minor units.
    pub max_price: Option<&'a str>,
    /// `true`: only products in stock; `false`: only those out of stock.
    pub in_stock: Option<&'a str>,
    /// Sort order.
    pub sort: Option<&'a str>,
    /// Page number.
    pub page: Option<&'a str>,
    /// Page size.
    pub page_size: Option<&'a str>,
    /// Page size, as clients of the Go original call it.
    pub limit: Option<&'a str>,
    /// Brand, exactly as products carry it.
    pub brand: Option<&'a str>,
    /// Option values, `Name:Value` separated by commas.
    pub options: Option<&'a str>,
}

/// A validated product list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// Search terms, if any.
    pub search: Option<SearchTerms>,
    /// Category slug, id or name, if any.
    pub category: Option<String>,
    /// Lowest price in minor units, inclusive.
    pub min_price: Option<i64>,
    /// Highest price in minor units, inclusive.
    pub max_price: Option<i64>,
    /// Stock filter.
    pub in_stock: Option<bool>,
    /// Only this brand.
    pub brand: Option<String>,
    /// Only products offering each of these option values (option name,
    /// value).
    pub options: Vec<(String, String)>,
    /// Effective order (relevance without a search becomes newest).
    pub sort: ProductSort,
    /// Which page.
    pub page: PageRequest,
}

impl ProductQuery {
    /// Validates every value, naming each bad parameter.
    pub fn parse(raw: RawProductQuery<'_>) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let search = raw.q.and_then(|q| violations.check("q", SearchTerms::parse(q))).flatten();
        let category = raw
            .category
            .and_then(|c| violations.check("category", optional_text(c, 200)))
            .filter(|c| !c.is_empty());
        let mut price = |field: &str, value: Option<&str>| {
            let text = value.map(str::trim).filter(|v| !v.is_empty())?;
            let parsed =
                text.parse::<i64>().ok().filter(|amount| *amount >= 0).ok_or_else(|| {
                    Invalid::new("must be a whole number of minor units, 0 or more")
                });
            violations.check(field, parsed)
        };
        let min_price = price("min_price", raw.min_price);
        let max_price = price("max_price", raw.max_price);
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            violations.add("min_price", "must not exceed max_price");
        }
        let brand = raw
            .brand
            .and_then(|b| violations.check("brand", optional_text(b, 200)))
            .filter(|b| !b.is_empty());
        let options = raw
            .options
            .and_then(|o| violations.check("options", parse_option_values(o)))
            .unwrap_or_default();
        let in_stock = match raw.in_stock.map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some("true" | "1") => Some(true),
            Some("false" | "0") => Some(false),
            Some(_) => {
                violations.add("in_stock", "must be true or false");
                None
            }
        };
        let sort = match raw.sort.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => violations.check("sort", ProductSort::parse(text)),
        };
        let size = raw.page_size.or(raw.limit);
        let page = match PageRequest::from_query(raw.page, size) {
            Ok(page) => page,
            Err(paging) => {
                for (field, message) in paging.fields() {
                    let field = if field == "page_size" && raw.page_size.is_none() {
                        "limit"
                    } else {
                        field
                    };
                    violations.add(field, message.clone());
                }
                PageRequest::default()
            }
        };
        violations.into_result()?;
        let sort = match (sort, &search) {
            (None | Some(ProductSort::Relevance), Some(_)) => ProductSort::Relevance,
            (None | Some(ProductSort::Relevance), None) => ProductSort::Newest,
            (Some(sort), _) => sort,
        };
        Ok(ProductQuery {
            search,
            category,
            min_price,
            max_price,
            in_stock,
            brand,
            options,
            sort,
            page,
        })
    }
}

/// The most option values a list may ask for (a product has three options
/// at most; more could match nothing).
pub const MAX_OPTION_FILTERS: usize = 3;

/// `Color:Navy,Size:M`: pairs of an option's name and a value.
fn parse_option_values(text: &str) -> Result<Vec<(String, String)>, Invalid> {
    optional_text(text, 200)?;
    let mut pairs = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair
            .split_once(':')
            .map(|(n, v)| (n.trim(), v.trim()))
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            .ok_or_else(|| Invalid::new("must be option values as Name:Value, comma-separated"))?;
        let name = optional_text(name, 50)?;
        let value = optional_text(value, 100)?;
        pairs.push((name, value));
    }
    if pairs.len() > MAX_OPTION_FILTERS {
        return Err(Invalid::new("must name at most 3 option values"));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercasing_never_lets_anything_but_letters_and_digits_into_the_query() {
        // Found by `make fuzz`: "İ" lowercases to "i" and U+0307.
        let terms = SearchTerms::parse("°İstanbul°").unwrap().unwrap();
        assert_eq!(terms.prefix_query, "istanbul:*");
    }

    #[test]
    fn slugs_are_checked_and_derived() {
        assert!(Slug::parse("home-office").is_ok());
        for bad in ["", "Home", "home--office", "-home", "home_office", "home office"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Slug::from_name("Books & Stationery").unwrap().as_str(), "books-stationery");
        assert!(Slug::from_name("★★★").is_err());
    }

    #[test]
    fn skus_are_checked() {
        assert!(Sku::parse("KIT-001").is_ok());
        assert!(Sku::parse("a.b_c-1").is_ok());
        for bad in ["", "-KIT", "KIT 001", "KIT/001", &"x".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn search_terms_become_prefix_queries_of_words_only() {
        let terms = SearchTerms::parse("  Kett  ").unwrap().unwrap();
        assert_eq!(terms.prefix_query, "kett:*");
        let terms = SearchTerms::parse("cast-iron & skillet's | !").unwrap().unwrap();
        assert_eq!(terms.prefix_query, "cast:* & iron:* & skillet:* & s:*");
        assert_eq!(SearchTerms::parse("&|!():*").unwrap(), None);
        assert!(SearchTerms::parse(&"a".repeat(201)).is_err());
        assert!(SearchTerms::parse("kettle\u{0}").is_err(), "control characters never reach SQL");
    }

    #[test]
    fn the_default_sort_is_relevance_with_a_search_and_newest_without() {
        let with = ProductQuery::parse(RawProductQuery { q: Some("kettle"), ..Default::default() });
        assert_eq!(with.unwrap().sort, ProductSort::Relevance);
        let without =
            ProductQuery::parse(RawProductQuery { sort: Some("relevance"), ..Default::default() });
        assert_eq!(without.unwrap().sort, ProductSort::Newest);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let err = ProductQuery::parse(RawProductQuery {
            min_price: Some("-1"),
            max_price: Some("ten"),
            in_stock: Some("maybe"),
            sort: Some("cheapest"),
            page: Some("0"),
            limit: Some("500"),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = err.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["in_stock", "limit", "max_price", "min_price", "page", "sort"]);
    }

    #[test]
    fn min_price_may_not_exceed_max_price() {
        let err = ProductQuery::parse(RawProductQuery {
            min_price: Some("500"),
            max_price: Some("100"),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.fields().contains_key("min_price"));
    }

    #[test]
    fn limit_is_a_synonym_of_page_size() {
        let query =
            ProductQuery::parse(RawProductQuery { limit: Some("50"), ..Default::default() });
        assert_eq!(query.unwrap().page.page_size, 50);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("  Kettle ", 10).unwrap(), "Kettle");
        assert!(required_text("   ", 10).is_err());
        assert!(required_text("x\u{7}", 10).is_err());
        assert!(optional_text("line\nbreak", 20).is_ok());
        assert!(optional_text(&"x".repeat(11), 10).is_err());
    }
}
