//! `GET /products` query values and `traceparent` headers, as a client may
//! send anything: parsing never panics, and what is accepted is sound.
#![no_main]

use gokart_domain::{PageRequest, ProductQuery, RawProductQuery, SearchTerms};
use gokart_edge::http::TraceId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    // Eleven values separated by '&'; a missing one is absent.
    let mut values = input.split('&').map(|v| (!v.is_empty()).then_some(v));
    let mut next = || values.next().flatten();
    let raw = RawProductQuery {
        q: next(),
        category: next(),
        min_price: next(),
        max_price: next(),
        in_stock: next(),
        sort: next(),
        page: next(),
        page_size: next(),
        limit: next(),
        brand: next(),
        options: next(),
    };
    if let Ok(query) = ProductQuery::parse(raw) {
        assert!((1..=PageRequest::MAX_PAGE).contains(&query.page.page));
        assert!((1..=PageRequest::MAX_SIZE).contains(&query.page.page_size));
        if let (Some(min), Some(max)) = (query.min_price, query.max_price) {
            assert!(0 <= min && min <= max);
        }
        assert!(query.options.len() <= gokart_domain::MAX_OPTION_FILTERS);
    }
    if let Ok(Some(terms)) = SearchTerms::parse(input) {
        for word in terms.prefix_query.split(" & ") {
            let stem = word.strip_suffix(":*").expect("every word is a prefix");
            assert!(!stem.is_empty() && stem.chars().all(char::is_alphanumeric), "{word}");
        }
    }
    if let Some(trace) = TraceId::from_traceparent(input) {
        assert_eq!(TraceId::from_traceparent(&trace.traceparent()), Some(trace));
    }
});
