//! Generated input for the product query parser: whatever a client puts in
//! the query string, parsing never panics, and what it accepts is sound.

#![allow(clippy::unwrap_used)]

use gokart_domain::{ProductQuery, RawProductQuery, SearchTerms};
use proptest::prelude::*;

/// Values a client might send: anything at all, and near misses of valid ones.
fn value() -> impl Strategy<Value = Option<String>> {
    let near = prop_oneof![
        Just("".to_owned()),
        Just(" ".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("true".to_owned()),
        Just("price_asc".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("1e3".to_owned()),
        Just("kett:* & !x | (".to_owned()),
        (0i64..2_000_000).prop_map(|n| n.to_string()),
    ];
    proptest::option::of(prop_oneof![any::<String>(), near])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_query_parses_or_names_its_bad_fields(
        q in value(), category in value(), min_price in value(), max_price in value(),
        in_stock in value(), sort in value(), page in value(), page_size in value(),
        limit in value(), brand in value(), options in value(),
    ) {
        let raw = RawProductQuery {
            q: q.as_deref(), category: category.as_deref(), min_price: min_price.as_deref(),
            max_price: max_price.as_deref(), in_stock: in_stock.as_deref(), sort: sort.as_deref(),
            page: page.as_deref(), page_size: page_size.as_deref(), limit: limit.as_deref(),
            brand: brand.as_deref(), options: options.as_deref(),
        };
        match ProductQuery::parse(raw) {
            Ok(query) => {
                prop_assert!(query.page.page >= 1);
                prop_assert!((1..=100).contains(&query.page.page_size));
                if let (Some(min), Some(max)) = (query.min_price, query.max_price) {
                    prop_assert!(0 <= min && min <= max);
                }
            }
            Err(violations) => {
                let known = ["q", "category", "min_price", "max_price", "in_stock", "sort",
                             "page", "page_size", "limit", "brand", "options"];
                let fields = violations.fields();
                prop_assert!(!fields.is_empty());
                for field in fields.keys() {
                    prop_assert!(known.contains(&field.as_str()), "unknown field {}", field);
                }
            }
        }
    }

    #[test]
    fn search_queries_hold_only_words_and_prefix_operators(text in any::<String>()) {
        if let Ok(Some(terms)) = SearchTerms::parse(&text) {
            let words: Vec<&str> = terms.prefix_query.split(" & ").collect();
            prop_assert!(words.len() <= SearchTerms::MAX_WORDS);
            for word in words {
                let stem = word.strip_suffix(":*").unwrap();
                prop_assert!(!stem.is_empty() && stem.chars().all(char::is_alphanumeric), "{}", word);
            }
        }
    }
}
