//! The embedded search engine: an in-memory tantivy index of the products
//! shoppers can see. Words are matched with BM25 over weighted fields (name,
//! then brand and category, then option values, then description), English
//! stemming and stop words; the last word also as a prefix (search as you
//! type); a word of five letters or more also with one typo, nine or more
//! with two, where it is found nowhere as typed; an exact SKU first. Filters and sorts run inside the index.
//! Everything here blocks: callers run it on the blocking pool.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Mutex, RwLock};

use gokart_domain::ProductSort;
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher};
use tantivy::{TantivyDocument, Term};
use uuid::Uuid;

/// The analyzer of the weighted text fields: English words, stemmed.
const ENGLISH: &str = "gokart_english";
/// The analyzer of the words matched by prefix and with typos: folded and
/// lower-cased, not stemmed.
const PLAIN: &str = "gokart_plain";
/// The deepest result the index pages to (`offset + limit`); totals up to
/// it are exact. Deeper pages are read from PostgreSQL.
pub const WINDOW: usize = 10_000;
/// The fast fields holding a product's id, its high and low 64 bits.
const ID_HIGH: &str = "id_high";
const ID_LOW: &str = "id_low";
/// Between an option's name and value in its facet.
const OPTION_SEP: char = '\u{1f}';
/// The writer's memory (tantivy's minimum is 15 MB per thread): what it
/// buffers before writing a segment, and the most that building holds
/// beyond the index itself.
const WRITER_MEMORY: usize = 20_000_000;

/// A product as the index holds it.
#[derive(Debug, Clone, Default)]
pub struct ProductDoc {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Brand.
    pub brand: String,
    /// Description.
    pub description: String,
    /// Its category's name and its parents' names.
    pub categories: Vec<String>,
    /// Its category.
    pub category_id: Uuid,
    /// The options of its variants on sale: (option name, value).
    pub options: Vec<(String, String)>,
    /// The SKUs of its variants (and its own).
    pub skus: Vec<String>,
    /// The prices of its variants on sale, minor units.
    pub prices: Vec<i64>,
    /// Whether a variant on sale has units.
    pub in_stock: bool,
    /// Added at, microseconds since the epoch.
    pub created_micros: i64,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The shopper's text.
    pub text: Option<String>,
    /// Only these categories (a category and its subcategories).
    pub category_ids: Option<Vec<Uuid>>,
    /// Some variant priced at least this.
    pub min_price: Option<i64>,
    /// Some variant priced at most this.
    pub max_price: Option<i64>,
    /// In stock, or out of stock.
    pub in_stock: Option<bool>,
    /// Only this brand.
    pub brand: Option<String>,
    /// Only products offering each of these (option name, value).
    pub options: Vec<(String, String)>,
    /// Order.
    pub sort: ProductSort,
    /// Page size (at least 1).
    pub limit: usize,
    /// Results to skip.
    pub offset: usize,
    /// Which facets to count over every match.
    pub facets: FacetNames,
}

/// The facets a search can count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FacetNames {
    /// Per category (the products' own).
    pub category: bool,
    /// Per brand.
    pub brand: bool,
    /// Per price bucket ([`PRICE_BUCKETS`]).
    pub price: bool,
    /// Per option value.
    pub options: bool,
}

impl FacetNames {
    /// Whether none is asked for.
    pub fn none(&self) -> bool {
        *self == FacetNames::default()
    }
}

/// The lower bounds of the price buckets, in minor units: 0 to 10.00, to
/// 25.00, to 50.00, ... and 1,000.00 and above.
pub const PRICE_BUCKETS: [u64; 8] = [0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000];
/// Values listed per facet, the most frequent first.
pub const FACET_VALUES: usize = 20;

/// What the matches hold, per facet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Category id and count.
    pub category: Option<Vec<(Uuid, u64)>>,
    /// Brand and count.
    pub brand: Option<Vec<(String, u64)>>,
    /// Bucket (lowest price, below this or unbounded) and count, cheapest
    /// first; empty buckets are left out.
    pub price: Option<Vec<(u64, Option<u64>, u64)>>,
    /// Option name, value and count: up to [`FACET_VALUES`] values of
    /// each option, the most frequent first.
    pub options: Option<Vec<(String, String, u64)>>,
}

/// A page of matching products, in order, and how many match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// The page's products.
    pub ids: Vec<Uuid>,
    /// Matches in all.
    pub total: usize,
    /// The facets asked for.
    pub facets: Facets,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    id_high: Field,
    id_low: Field,
    name: Field,
    brand: Field,
    category: Field,
    options: Field,
    description: Field,
    words: Field,
    sku: Field,
    category_id: Field,
    price: Field,
    price_min: Field,
    in_stock: Field,
    created: Field,
    facets: Field,
}

/// The weighted fields, with their boosts.
fn weighted(fields: &Fields) -> [(Field, f32); 5] {
    [
        (fields.name, 4.0),
        (fields.brand, 2.0),
        (fields.category, 2.0),
        (fields.options, 1.5),
        (fields.description, 1.0),
    ]
}

/// The search index.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    names: RwLock<Names>,
    analyzers: (TextAnalyzer, TextAnalyzer),
}

/// A completion of what a shopper is typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The product's or category's name.
    pub text: String,
    /// `true` for a category, `false` for a product.
    pub category: bool,
    /// Its id.
    pub id: Uuid,
}

/// The names completions are drawn from: each word of a product's name
/// with the products whose names hold it, and every category.
#[derive(Debug, Default)]
struct Names {
    words: BTreeMap<String, Vec<Uuid>>,
    products: HashMap<Uuid, Box<str>>,
    categories: Vec<(Uuid, String, Vec<String>)>,
}

/// Most completions answered.
pub const SUGGESTIONS: usize = 8;
/// Most categories among them.
const CATEGORY_SUGGESTIONS: usize = 3;
/// Products ranked per completion request: the first whose names hold a
/// word beginning as typed (and every earlier word), in word order.
const SUGGEST_CANDIDATES: usize = 256;
/// Products looked at per completion request, at most.
const SUGGEST_SCAN: usize = 20_000;

impl Names {
    fn words_of(name: &str) -> Vec<String> {
        let mut words = tokens(&mut plain(), name);
        words.sort_unstable();
        words.dedup();
        words
    }

    fn remove(&mut self, id: Uuid) {
        let Some(name) = self.products.remove(&id) else { return };
        for word in Names::words_of(&name) {
            if let Some(ids) = self.words.get_mut(&word) {
                ids.retain(|other| *other != id);
                if ids.is_empty() {
                    self.words.remove(&word);
                }
            }
        }
    }

    fn insert(&mut self, id: Uuid, name: &str) {
        self.remove(id);
        for word in Names::words_of(name) {
            self.words.entry(word).or_default().push(id);
        }
        self.products.insert(id, name.into());
    }

    fn suggest(&self, text: &str) -> Vec<Suggestion> {
        let words = tokens(&mut plain(), text);
        let Some((last, earlier)) = words.split_last() else { return Vec::new() };
        let mut found: Vec<Suggestion> = self
            .categories
            .iter()
            .filter(|(_, _, words)| {
                earlier.iter().all(|word| words.contains(word))
                    && words.iter().any(|word| word.starts_with(last.as_str()))
            })
            .map(|(id, name, _)| Suggestion { text: name.clone(), category: true, id: *id })
            .take(CATEGORY_SUGGESTIONS)
            .collect();
        // Products whose names hold every earlier word whole and begin a
        // word with the last one.
        let mut required: Option<HashSet<Uuid>> = None;
        for word in earlier {
            let ids: HashSet<Uuid> = self.words.get(word).into_iter().flatten().copied().collect();
            required = Some(match required {
                None => ids,
                Some(before) => before.intersection(&ids).copied().collect(),
            });
        }
        let mut candidates: Vec<(&str, Uuid)> = Vec::new();
        let mut scanned = 0;
        let typed = text.trim();
        let begins = |name: &str| {
            name.get(..typed.len()).is_some_and(|start| start.eq_ignore_ascii_case(typed))
        };
        'words: for (word, ids) in
            self.words.range::<str, _>((Bound::Included(last.as_str()), Bound::Unbounded))
        {
            if !word.starts_with(last.as_str()) {
                break;
            }
            for id in ids {
                scanned += 1;
                if candidates.len() >= SUGGEST_CANDIDATES || scanned > SUGGEST_SCAN {
                    break 'words;
                }
                if required.as_ref().is_none_or(|required| required.contains(id))
                    && let Some(name) = self.products.get(id)
                {
                    candidates.push((name, *id));
                }
            }
        }
        // The names that begin as typed first, then the shortest.
        candidates.sort_unstable_by(|a, b| {
            (!begins(a.0), a.0.len(), a.0, a.1).cmp(&(!begins(b.0), b.0.len(), b.0, b.1))
        });
        let mut seen = HashSet::new();
        for (name, id) in candidates {
            if found.len() >= SUGGESTIONS {
                break;
            }
            if seen.insert(name.to_lowercase()) {
                found.push(Suggestion { text: name.to_owned(), category: false, id });
            }
        }
        found
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("documents", &self.len()).finish()
    }
}

fn english() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match StopWordFilter::new(Language::English) {
        Some(stop_words) => {
            builder.filter(stop_words).filter(Stemmer::new(Language::English)).build()
        }
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tokens `analyzer` makes of `text`.
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer.token_stream(text).process(&mut |token| out.push(token.text.clone()));
    out
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> tantivy::Result<SearchIndex> {
        let mut builder = Schema::builder();
        let text = |analyzer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let fields = Fields {
            id: builder.add_text_field("id", STRING),
            id_high: builder.add_u64_field(ID_HIGH, FAST),
            id_low: builder.add_u64_field(ID_LOW, FAST),
            name: builder.add_text_field("name", text(ENGLISH)),
            brand: builder.add_text_field("brand", text(ENGLISH)),
            category: builder.add_text_field("category", text(ENGLISH)),
            options: builder.add_text_field("options", text(ENGLISH)),
            description: builder.add_text_field("description", text(ENGLISH)),
            words: builder.add_text_field("words", text(PLAIN)),
            sku: builder.add_text_field("sku", STRING),
            category_id: builder.add_text_field("category_id", STRING),
            price: builder.add_u64_field("price", INDEXED | FAST),
            price_min: builder.add_u64_field("price_min", FAST),
            in_stock: builder.add_bool_field("in_stock", INDEXED | FAST),
            created: builder.add_i64_field("created", FAST),
            facets: builder.add_facet_field("facets", FacetOptions::default()),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(ENGLISH, english());
        index.tokenizers().register(PLAIN, plain());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            names: RwLock::new(Names::default()),
            analyzers: (english(), plain()),
        })
    }

    /// Products in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no product.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, product: &ProductDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, product.id.to_string());
        let (high, low) = product.id.as_u64_pair();
        doc.add_u64(f.id_high, high);
        doc.add_u64(f.id_low, low);
        doc.add_text(f.name, &product.name);
        doc.add_text(f.brand, &product.brand);
        doc.add_text(f.description, &product.description);
        for category in &product.categories {
            doc.add_text(f.category, category);
            doc.add_text(f.words, category);
        }
        doc.add_text(f.category_id, product.category_id.to_string());
        for (_, value) in &product.options {
            doc.add_text(f.options, value);
            doc.add_text(f.words, value);
        }
        doc.add_text(f.words, &product.name);
        doc.add_text(f.words, &product.brand);
        doc.add_text(f.words, &product.description);
        for sku in &product.skus {
            doc.add_text(f.sku, sku.to_lowercase());
            doc.add_text(f.words, sku);
        }
        for price in &product.prices {
            doc.add_u64(f.price, u64::try_from(*price).unwrap_or(0));
        }
        let lowest = product.prices.iter().min().copied().unwrap_or(0);
        doc.add_u64(f.price_min, u64::try_from(lowest).unwrap_or(0));
        doc.add_bool(f.in_stock, product.in_stock);
        doc.add_facet(f.facets, Facet::from_path(["category", &product.category_id.to_string()]));
        if !product.brand.is_empty() {
            doc.add_facet(f.facets, Facet::from_path(["brand", product.brand.as_str()]));
        }
        for price in &product.prices {
            let price = u64::try_from(*price).unwrap_or(0);
            let bucket = PRICE_BUCKETS.iter().rposition(|low| *low <= price).unwrap_or(0);
            doc.add_facet(f.facets, Facet::from_path(["price", &bucket.to_string()]));
        }
        for (name, value) in &product.options {
            let pair = format!("{name}{OPTION_SEP}{value}");
            doc.add_facet(f.facets, Facet::from_path(["option", pair.as_str()]));
        }
        doc.add_i64(f.created, product.created_micros);
        doc
    }

    /// Puts `products` in the index (replacing what it held of them) and
    /// takes `removed` out; searches see it all at once.
    pub fn apply(&self, products: &[ProductDoc], removed: &[Uuid]) -> tantivy::Result<()> {
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        for id in products.iter().map(|p| p.id).chain(removed.iter().copied()) {
            writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        }
        for product in products {
            writer.add_document(self.document(product))?;
        }
        writer.commit()?;
        let mut names = self.names.write().map_err(|_| poisoned())?;
        for id in removed {
            names.remove(*id);
        }
        for product in products {
            names.insert(product.id, &product.name);
        }
        drop(names);
        drop(writer);
        self.reader.reload()
    }

    /// Empties the index and fills it with `products`.
    #[cfg(test)]
    pub fn replace_all(&self, products: &[ProductDoc]) -> tantivy::Result<()> {
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        sender
            .try_send(Some(products.to_vec()))
            .map_err(|_| tantivy::TantivyError::SystemError("cannot queue products".into()))?;
        drop(sender);
        self.replace_from(receiver).map(|_| ())
    }

    /// Empties the index and fills it with the batches `batches` brings,
    /// as they come (searches see the old index until the last one); a
    /// `None` batch abandons the rebuild and keeps the old index. Answers
    /// how many products were indexed.
    pub fn replace_from(
        &self,
        mut batches: tokio::sync::mpsc::Receiver<Option<Vec<ProductDoc>>>,
    ) -> tantivy::Result<u64> {
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        writer.delete_all_documents()?;
        let mut fresh = Names::default();
        let mut count = 0;
        while let Some(batch) = batches.blocking_recv() {
            let Some(products) = batch else {
                writer.rollback()?;
                return Err(tantivy::TantivyError::SystemError(
                    "the products could not be read; the index is unchanged".to_owned(),
                ));
            };
            for product in &products {
                writer.add_document(self.document(product))?;
                fresh.insert(product.id, &product.name);
                count += 1;
            }
        }
        writer.commit()?;
        let mut names = self.names.write().map_err(|_| poisoned())?;
        fresh.categories = std::mem::take(&mut names.categories);
        *names = fresh;
        drop(names);
        drop(writer);
        self.reader.reload()?;
        Ok(count)
    }

    /// The categories completions may name: id and name.
    pub fn set_categories(&self, categories: impl IntoIterator<Item = (Uuid, String)>) {
        let mut categories: Vec<(Uuid, String, Vec<String>)> = categories
            .into_iter()
            .map(|(id, name)| {
                let words = Names::words_of(&name);
                (id, name, words)
            })
            .collect();
        categories.sort_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| a.1.cmp(&b.1)));
        if let Ok(mut names) = self.names.write() {
            names.categories = categories;
        }
    }

    /// The name of category `id`, as last read.
    pub fn category_name(&self, id: Uuid) -> Option<String> {
        let names = self.names.read().ok()?;
        names.categories.iter().find(|(other, _, _)| *other == id).map(|(_, name, _)| name.clone())
    }

    /// Up to [`SUGGESTIONS`] completions of `text`: categories, then
    /// product names.
    pub fn suggest(&self, text: &str) -> Vec<Suggestion> {
        self.names.read().map(|names| names.suggest(text)).unwrap_or_default()
    }

    /// What a shopper's text asks for: every word (stop words aside) must
    /// match, the last also as a prefix; or the text is a SKU.
    fn text_query(&self, searcher: &Searcher, text: &str) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let (mut english, mut plain) = self.analyzers.clone();
        let words = tokens(&mut plain, text);
        let last = words.len().checked_sub(1)?;
        let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (n, word) in words.iter().enumerate() {
            let stems = tokens(&mut english, word);
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for stem in &stems {
                for (field, boost) in weighted(f) {
                    let term = TermQuery::new(
                        Term::from_field_text(field, stem),
                        IndexRecordOption::WithFreqs,
                    );
                    alternatives
                        .push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost))));
                }
            }
            let letters = word.chars().count();
            let typos = match letters {
                0..5 => 0,
                5..9 => 1,
                _ => 2,
            };
            let term = Term::from_field_text(f.words, word);
            // Typos are forgiven only where the word as typed is found
            // nowhere: a word spelled right never brings in look-alikes.
            if typos > 0 && !self.found(searcher, word, &stems, n == last) {
                // A slip in the word as typed, or in its stem against a
                // name's ("knives" is "knive", a letter from "knife").
                let typed = FuzzyTermQuery::new(term.clone(), typos, true);
                alternatives.push((Occur::Should, Box::new(BoostQuery::new(Box::new(typed), 0.5))));
                for stem in stems.iter().filter(|stem| *stem != word) {
                    let stem = Term::from_field_text(f.name, stem);
                    let fuzzy = FuzzyTermQuery::new(stem, typos, true);
                    alternatives
                        .push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), 0.5))));
                }
            }
            if n == last {
                // Begun in the name counts more than anywhere else.
                let prefix = FuzzyTermQuery::new_prefix(term, 0, true);
                alternatives.push((Occur::Should, Box::new(prefix)));
                let in_name =
                    FuzzyTermQuery::new_prefix(Term::from_field_text(f.name, word), 0, true);
                alternatives
                    .push((Occur::Should, Box::new(BoostQuery::new(Box::new(in_name), 3.0))));
            } else if stems.is_empty() {
                // A stop word in the middle asks for nothing.
                continue;
            }
            required.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        let sku = TermQuery::new(
            Term::from_field_text(f.sku, &text.trim().to_lowercase()),
            IndexRecordOption::Basic,
        );
        Some(Box::new(BooleanQuery::new(vec![
            (Occur::Should, Box::new(BoostQuery::new(Box::new(sku), 100.0))),
            (Occur::Should, Box::new(BooleanQuery::new(required))),
        ])))
    }

    /// Whether `word` (or one of its `stems`) is in the index as typed: a
    /// whole word, or, when it is the `last` typed, the start of one.
    fn found(&self, searcher: &Searcher, word: &str, stems: &[String], last: bool) -> bool {
        let f = &self.fields;
        let held = |term: Term| searcher.doc_freq(&term).is_ok_and(|count| count > 0);
        if held(Term::from_field_text(f.words, word))
            || stems.iter().any(|stem| {
                weighted(f).iter().any(|(field, _)| held(Term::from_field_text(*field, stem)))
            })
        {
            return true;
        }
        last && searcher.segment_readers().iter().any(|segment| {
            segment.inverted_index(f.words).is_ok_and(|index| {
                index.terms().range().ge(word).into_stream().is_ok_and(|mut terms| {
                    terms.advance() && terms.key().starts_with(word.as_bytes())
                })
            })
        })
    }

    /// The products matching `request`, a page of them in its order.
    pub fn search(&self, request: &SearchRequest) -> tantivy::Result<Hits> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let searcher = self.reader.searcher();
        let text = request.text.as_deref().and_then(|text| self.text_query(&searcher, text));
        let searching = text.is_some();
        match text {
            Some(query) => clauses.push((Occur::Must, query)),
            None if request.text.is_some() => return Ok(Hits::default()),
            None => clauses.push((Occur::Must, Box::new(AllQuery))),
        }
        if let Some(ids) = &request.category_ids {
            let terms = ids.iter().map(|id| Term::from_field_text(f.category_id, &id.to_string()));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        }
        if request.min_price.is_some() || request.max_price.is_some() {
            let bound = |price: Option<i64>| match price {
                Some(price) => Bound::Included(Term::from_field_u64(
                    f.price,
                    u64::try_from(price).unwrap_or(0),
                )),
                None => Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(request.min_price), bound(request.max_price));
            clauses.push((Occur::Must, Box::new(range)));
        }
        if let Some(in_stock) = request.in_stock {
            let term = TermQuery::new(
                Term::from_field_bool(f.in_stock, in_stock),
                IndexRecordOption::Basic,
            );
            clauses.push((Occur::Must, Box::new(term)));
        }
        let facet = |path: [&str; 2]| -> Box<dyn Query> {
            let term = Term::from_facet(f.facets, &Facet::from_path(path));
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        if let Some(brand) = &request.brand {
            clauses.push((Occur::Must, facet(["brand", brand])));
        }
        for (name, value) in &request.options {
            let pair = format!("{name}{OPTION_SEP}{value}");
            clauses.push((Occur::Must, facet(["option", &pair])));
        }
        let query = BooleanQuery::new(clauses);
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let facets = (!request.facets.none()).then(|| {
            let mut collector = FacetCollector::for_field("facets");
            for (asked, root) in [
                (request.facets.category, "/category"),
                (request.facets.brand, "/brand"),
                (request.facets.price, "/price"),
                (request.facets.options, "/option"),
            ] {
                if asked {
                    collector.add_facet(root);
                }
            }
            collector
        });
        let (addresses, total, counts) = match (request.sort, searching) {
            (ProductSort::Relevance, true) => {
                let collector = (top.order_by_score(), Count, facets);
                let (hits, total, counts) = searcher.search(&query, &collector)?;
                (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), total, counts)
            }
            (ProductSort::PriceAsc | ProductSort::PriceDesc, _) => {
                let order =
                    if request.sort == ProductSort::PriceAsc { Order::Asc } else { Order::Desc };
                let collector = (top.order_by_fast_field::<u64>("price_min", order), Count, facets);
                let (hits, total, counts) = searcher.search(&query, &collector)?;
                (hits.into_iter().map(|(_, a)| a).collect(), total, counts)
            }
            (ProductSort::Newest | ProductSort::Relevance, _) => {
                let collector =
                    (top.order_by_fast_field::<i64>("created", Order::Desc), Count, facets);
                let (hits, total, counts) = searcher.search(&query, &collector)?;
                (hits.into_iter().map(|(_, a)| a).collect(), total, counts)
            }
        };
        let facets = counts.map(|counts| facet_values(&counts, request.facets)).unwrap_or_default();
        Ok(Hits { ids: self.ids(&searcher, &addresses)?, total, facets })
    }

    /// The ids of the products at `addresses`, from their fast fields
    /// (the index stores no documents).
    fn ids(&self, searcher: &Searcher, addresses: &[DocAddress]) -> tantivy::Result<Vec<Uuid>> {
        let mut ids = Vec::with_capacity(addresses.len());
        for address in addresses {
            let fast = searcher.segment_reader(address.segment_ord).fast_fields();
            let (high, low) = (fast.u64(ID_HIGH)?, fast.u64(ID_LOW)?);
            if let (Some(high), Some(low)) = (high.first(address.doc_id), low.first(address.doc_id))
            {
                ids.push(Uuid::from_u64_pair(high, low));
            }
        }
        Ok(ids)
    }
}

/// The last step of each facet under `root`, with its count, the most
/// frequent first (ties by value).
fn children<'a>(counts: &'a FacetCounts, root: &str) -> Vec<(&'a str, u64)> {
    let mut values: Vec<(&str, u64)> = counts
        .get(root)
        .filter_map(|(facet, count)| facet.to_path().last().map(|step| (*step, count)))
        .collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    values
}

fn facet_values(counts: &FacetCounts, asked: FacetNames) -> Facets {
    let top = |root| children(counts, root).into_iter().take(FACET_VALUES);
    Facets {
        category: asked.category.then(|| {
            top("/category")
                .filter_map(|(id, count)| Some((Uuid::parse_str(id).ok()?, count)))
                .collect()
        }),
        brand: asked.brand.then(|| top("/brand").map(|(b, n)| (b.to_owned(), n)).collect()),
        price: asked.price.then(|| {
            let mut buckets: Vec<(u64, Option<u64>, u64)> = children(counts, "/price")
                .into_iter()
                .filter_map(|(bucket, count)| {
                    let bucket: usize = bucket.parse().ok()?;
                    Some((
                        *PRICE_BUCKETS.get(bucket)?,
                        PRICE_BUCKETS.get(bucket + 1).copied(),
                        count,
                    ))
                })
                .collect();
            buckets.sort_unstable();
            buckets
        }),
        // The most frequent values of each option, options by name.
        options: asked.options.then(|| {
            let mut per_option: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
            for (pair, count) in children(counts, "/option") {
                if let Some((name, value)) = pair.split_once(OPTION_SEP) {
                    let values = per_option.entry(name).or_default();
                    if values.len() < FACET_VALUES {
                        values.push((value, count));
                    }
                }
            }
            per_option
                .into_iter()
                .flat_map(|(name, values)| {
                    values
                        .into_iter()
                        .map(move |(value, count)| (name.to_owned(), value.to_owned(), count))
                })
                .collect()
        }),
    }
}

fn poisoned() -> tantivy::TantivyError {
    tantivy::TantivyError::SystemError("the search index writer lock is poisoned".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(n: u128, name: &str, brand: &str, category: &str, prices: &[i64]) -> ProductDoc {
        ProductDoc {
            id: Uuid::from_u128(n),
            name: name.to_owned(),
            brand: brand.to_owned(),
            description: format!("The {name} from {brand}."),
            categories: vec![category.to_owned()],
            category_id: Uuid::from_u128(1000 + category.len() as u128),
            options: Vec::new(),
            skus: vec![format!("SKU-{n:03}")],
            prices: prices.to_vec(),
            in_stock: n % 2 == 1,
            created_micros: i64::try_from(n).unwrap_or(0),
        }
    }

    fn shop() -> SearchIndex {
        let index = SearchIndex::new().unwrap();
        let mut tee = product(5, "Organic Cotton Tee", "Threadwell", "Tops", &[1900, 2100]);
        tee.options = [("Color", "Heather Grey"), ("Color", "Navy"), ("Size", "XL")]
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .to_vec();
        index
            .replace_all(&[
                product(1, "Electric Kettle", "Brightline", "Kitchen", &[4999]),
                product(2, "Kettlebell 16kg", "Ironform", "Gym", &[5900]),
                product(3, "Chef's Knife", "Kurogane", "Kitchen", &[8900]),
                product(4, "Wireless Noise-Cancelling Headphones", "Sonora", "Audio", &[19900]),
                tee,
            ])
            .unwrap();
        index
    }

    fn request(text: Option<&str>) -> SearchRequest {
        SearchRequest {
            text: text.map(str::to_owned),
            category_ids: None,
            min_price: None,
            max_price: None,
            in_stock: None,
            brand: None,
            options: Vec::new(),
            sort: ProductSort::Relevance,
            limit: 10,
            offset: 0,
            facets: FacetNames::default(),
        }
    }

    fn first(index: &SearchIndex, text: &str) -> Option<u128> {
        index.search(&request(Some(text))).unwrap().ids.first().map(|id| id.as_u128())
    }

    #[test]
    fn words_prefixes_typos_stems_and_skus_find_the_product() {
        let index = shop();
        assert_eq!(first(&index, "electric kettle"), Some(1));
        assert_eq!(first(&index, "headph"), Some(4), "the last word as a prefix");
        assert_eq!(first(&index, "kettel"), Some(1), "one typo in six letters");
        assert_eq!(first(&index, "headphnoes"), Some(4), "two typos in ten letters");
        assert_eq!(first(&index, "knives"), Some(3), "stemmed");
        assert_eq!(first(&index, "the kettle"), Some(1), "a stop word asks for nothing");
        assert_eq!(first(&index, "sku-003"), Some(3), "an exact SKU");
        assert_eq!(first(&index, "heather grey tee"), Some(5), "option values");
        assert_eq!(first(&index, "kurogane"), Some(3), "brands");
        assert_eq!(first(&index, "zzzz"), None);
    }

    #[test]
    fn a_word_spelled_as_the_catalog_spells_it_brings_no_look_alikes() {
        let index = shop();
        index.apply(&[product(6, "Kettel Drum", "Sonora", "Music", &[9900])], &[]).unwrap();
        let ids = |text| {
            let hits = index.search(&request(Some(text))).unwrap();
            hits.ids.iter().map(|id| id.as_u128()).collect::<Vec<_>>()
        };
        assert_eq!(ids("kettle"), [1, 2], "the kettle and, by prefix, the kettlebell");
        assert_eq!(ids("kettel"), [6], "found as typed: no typo forgiven");
        assert_eq!(ids("drum kett"), [6], "the last word begun as typed");
        assert_eq!(ids("kettlw"), [1], "found nowhere: one typo forgiven");
    }

    #[test]
    fn filters_sorts_and_pages_run_in_the_index() {
        let index = shop();
        let all = index.search(&request(None)).unwrap();
        assert_eq!(all.total, 5);
        let ids = |hits: Hits| hits.ids.iter().map(|id| id.as_u128()).collect::<Vec<_>>();
        assert_eq!(ids(all), [5, 4, 3, 2, 1], "newest first without text");

        let cheap = SearchRequest { max_price: Some(2000), ..request(None) };
        assert_eq!(ids(index.search(&cheap).unwrap()), [5], "any variant within the price");
        let by_price = SearchRequest { sort: ProductSort::PriceDesc, ..request(None) };
        assert_eq!(ids(index.search(&by_price).unwrap()), [4, 3, 2, 1, 5]);
        let in_stock = SearchRequest { in_stock: Some(true), ..request(None) };
        assert_eq!(index.search(&in_stock).unwrap().total, 3);
        let kitchen = vec![Uuid::from_u128(1000 + "Kitchen".len() as u128)];
        let in_kitchen = SearchRequest { category_ids: Some(kitchen), ..request(Some("k")) };
        assert_eq!(index.search(&in_kitchen).unwrap().total, 2);
        let brand = SearchRequest { brand: Some("Kurogane".to_owned()), ..request(None) };
        assert_eq!(ids(index.search(&brand).unwrap()), [3]);
        let navy = vec![("Color".to_owned(), "Navy".to_owned())];
        let navy = SearchRequest { options: navy, ..request(None) };
        assert_eq!(ids(index.search(&navy).unwrap()), [5]);
        let page = SearchRequest { limit: 2, offset: 2, ..request(None) };
        let page = index.search(&page).unwrap();
        assert_eq!((ids(page.clone()), page.total), (vec![3, 2], 5));
    }

    #[test]
    fn changes_replace_and_remove_products_at_once() {
        let index = shop();
        let renamed = product(1, "Gooseneck Kettle", "Brightline", "Kitchen", &[5999]);
        index.apply(&[renamed], &[Uuid::from_u128(2)]).unwrap();
        assert_eq!(index.len(), 4);
        assert_eq!(first(&index, "gooseneck"), Some(1));
        assert_eq!(first(&index, "electric"), None);
        assert_eq!(index.search(&request(Some("kettlebell"))).unwrap().total, 0);
    }
    #[test]
    fn facets_count_every_match_once_per_value() {
        let index = shop();
        let every = FacetNames { category: true, brand: true, price: true, options: true };
        let facets =
            index.search(&SearchRequest { facets: every, ..request(None) }).unwrap().facets;
        let kitchen = Uuid::from_u128(1000 + "Kitchen".len() as u128);
        assert_eq!(facets.category.unwrap().first(), Some(&(kitchen, 2)));
        let brands = facets.brand.unwrap();
        assert_eq!(brands.len(), 5);
        assert_eq!(brands.first(), Some(&("Brightline".to_owned(), 1)));
        // The tee's two prices share a bucket: it counts once there.
        assert_eq!(
            facets.price.unwrap(),
            [
                (1_000, Some(2_500), 1),
                (2_500, Some(5_000), 1),
                (5_000, Some(10_000), 2),
                (10_000, Some(25_000), 1)
            ]
        );
        let options = facets.options.unwrap();
        assert!(options.contains(&("Color".to_owned(), "Navy".to_owned(), 1)), "{options:?}");
        assert_eq!(options.len(), 3);

        let brand = FacetNames { brand: true, ..FacetNames::default() };
        let kettles = index.search(&SearchRequest { facets: brand, ..request(Some("kettle")) });
        let facets = kettles.unwrap().facets;
        assert_eq!(facets.brand.unwrap().len(), 2, "counted over the matches only");
        assert_eq!(facets.price, None, "only what was asked for");
    }

    #[test]
    fn suggestions_complete_names_and_categories_as_typed() {
        let index = shop();
        index.set_categories([
            (Uuid::from_u128(1007), "Kitchen".to_owned()),
            (Uuid::from_u128(1003), "Gym".to_owned()),
        ]);
        let texts = |q: &str| -> Vec<(String, bool)> {
            index.suggest(q).into_iter().map(|s| (s.text, s.category)).collect()
        };
        let product = |name: &str| (name.to_owned(), false);
        assert_eq!(texts("ket"), [product("Kettlebell 16kg"), product("Electric Kettle")]);
        assert_eq!(texts("KI"), [("Kitchen".to_owned(), true)]);
        assert_eq!(texts("electric ke"), [product("Electric Kettle")]);
        assert_eq!(texts("organic cott"), [product("Organic Cotton Tee")]);
        assert_eq!(texts("cotton organic"), [product("Organic Cotton Tee")], "words in any order");
        assert!(texts("zz").is_empty());
        assert!(texts(" ").is_empty());

        index.apply(&[], &[Uuid::from_u128(2)]).unwrap();
        assert_eq!(texts("ket"), [product("Electric Kettle")], "a removed product is gone");
        let renamed = product_doc_named(1, "Gooseneck Kettle");
        index.apply(&[renamed], &[]).unwrap();
        assert_eq!(texts("goose"), [product("Gooseneck Kettle")]);
        assert!(texts("electric").is_empty(), "an old name is gone");
    }

    fn product_doc_named(n: u128, name: &str) -> ProductDoc {
        product(n, name, "Brightline", "Kitchen", &[5999])
    }
}
