//! Product options and variants: a product has up to three options (Size,
//! Color, ...), each with its values, and every variant picks one value of
//! each option. Names and values match in any case and are kept as the
//! option spells them.

use std::collections::BTreeMap;

use crate::catalog::required_text;
use crate::validation::{Invalid, Violations};

/// The most options a product has.
pub const MAX_OPTIONS: usize = 3;
/// The most values one option has.
pub const MAX_OPTION_VALUES: usize = 100;
/// The most variants a product has.
pub const MAX_VARIANTS: usize = 100;
/// The longest option name or value, in characters.
pub const MAX_OPTION_TEXT: usize = 50;

/// One option of a product: its name and the values a variant may pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductOption {
    /// E.g. `Size`.
    pub name: String,
    /// E.g. `S`, `M`, `L`, in the order shoppers see them.
    pub values: Vec<String>,
}

impl ProductOption {
    /// This option's spelling of `value`, matched in any case.
    pub fn value(&self, value: &str) -> Option<&str> {
        let wanted = value.trim().to_lowercase();
        self.values.iter().find(|v| v.to_lowercase() == wanted).map(String::as_str)
    }
}

/// A product's options, checked: at most [`MAX_OPTIONS`], names distinct in
/// any case, each with 1 to [`MAX_OPTION_VALUES`] distinct values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options(Vec<ProductOption>);

impl Options {
    /// Options as stored (already checked).
    pub fn from_stored(options: Vec<ProductOption>) -> Self {
        Options(options)
    }

    /// Checks `raw` (name and values of each option, in order), recording
    /// each bad part under `field` (`options`, `options[1].values`, ...).
    pub fn parse(field: &str, raw: &[(String, Vec<String>)], v: &mut Violations) -> Option<Self> {
        if raw.len() > MAX_OPTIONS {
            v.add(field, format!("a product has at most {MAX_OPTIONS} options"));
            return None;
        }
        let before = v.fields().len();
        let mut options: Vec<ProductOption> = Vec::with_capacity(raw.len());
        for (i, (name, values)) in raw.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let name = v.check(&format!("{at}.name"), required_text(name, MAX_OPTION_TEXT));
            if let Some(name) = &name
                && options.iter().any(|o| o.name.to_lowercase() == name.to_lowercase())
            {
                v.add(format!("{at}.name"), "another option has this name");
            }
            let values = option_values(&format!("{at}.values"), values, v);
            if let (Some(name), Some(values)) = (name, values) {
                options.push(ProductOption { name, values });
            }
        }
        (v.fields().len() == before).then_some(Options(options))
    }

    /// The options, in order.
    pub fn as_slice(&self) -> &[ProductOption] {
        &self.0
    }

    /// Whether there are none (a simple product).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values `chosen` (option name to value, in any case) picks, in
    /// option order: exactly one value of every option, nothing else.
    pub fn combination(&self, chosen: &BTreeMap<String, String>) -> Result<Vec<String>, Invalid> {
        if let Some(unknown) =
            chosen.keys().find(|name| !self.0.iter().any(|o| o.name.eq_ignore_ascii_case(name)))
        {
            return Err(Invalid::new(format!("the product has no option {unknown:?}")));
        }
        let mut picked = Vec::with_capacity(self.0.len());
        for option in &self.0 {
            let given = chosen
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(&option.name))
                .map(|(_, value)| value)
                .collect::<Vec<_>>();
            let [value] = given.as_slice() else {
                return Err(Invalid::new(format!("pick one value of {:?}", option.name)));
            };
            let Some(value) = option.value(value) else {
                return Err(Invalid::new(format!(
                    "{:?} is not a value of {:?}",
                    value.trim(),
                    option.name
                )));
            };
            picked.push(value.to_owned());
        }
        Ok(picked)
    }

    /// `values` (one per option, in order) by option name.
    pub fn named(&self, values: &[String]) -> BTreeMap<String, String> {
        self.0.iter().zip(values).map(|(o, value)| (o.name.clone(), value.clone())).collect()
    }
}

fn option_values(field: &str, raw: &[String], v: &mut Violations) -> Option<Vec<String>> {
    if raw.is_empty() || raw.len() > MAX_OPTION_VALUES {
        v.add(field, format!("give 1 to {MAX_OPTION_VALUES} values"));
        return None;
    }
    let mut values: Vec<String> = Vec::with_capacity(raw.len());
    for value in raw {
        match required_text(value, MAX_OPTION_TEXT) {
            Ok(value) if values.iter().any(|v| v.to_lowercase() == value.to_lowercase()) => {
                v.add(field, format!("{value:?} is listed twice"));
                return None;
            }
            Ok(value) => values.push(value),
            Err(invalid) => {
                v.add(field, format!("each value {}", invalid.0));
                return None;
            }
        }
    }
    Some(values)
}

/// The first two positions in `combinations` that pick the same values.
pub fn first_clash(combinations: &[Vec<String>]) -> Option<(usize, usize)> {
    let mut seen: BTreeMap<&[String], usize> = BTreeMap::new();
    for (i, combination) in combinations.iter().enumerate() {
        if let Some(first) = seen.insert(combination, i) {
            return Some((first, i));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spec<'a> = &'a [(&'a str, &'a [&'a str])];

    fn raw(options: Spec<'_>) -> Vec<(String, Vec<String>)> {
        options
            .iter()
            .map(|(name, values)| {
                ((*name).to_owned(), values.iter().map(|v| (*v).to_owned()).collect())
            })
            .collect()
    }

    fn shirt() -> Options {
        let mut v = Violations::new();
        let options = Options::parse(
            "options",
            &raw(&[("Size", &["S", "M", "L"]), ("Color", &["Red", "Blue"])]),
            &mut v,
        );
        options.unwrap()
    }

    fn pick(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_combination_is_one_value_of_each_option_in_option_order_and_spelling() {
        let picked = shirt().combination(&pick(&[("color", "BLUE"), ("size", " m ")])).unwrap();
        assert_eq!(picked, ["M", "Blue"]);
    }

    #[test]
    fn a_missing_unknown_or_foreign_value_is_named() {
        let options = shirt();
        let missing = options.combination(&pick(&[("Size", "M")])).unwrap_err();
        let unknown = options.combination(&pick(&[("Size", "M"), ("Fit", "Slim")])).unwrap_err();
        let foreign = options.combination(&pick(&[("Size", "XL"), ("Color", "Red")])).unwrap_err();
        assert!(missing.0.contains("Color"), "{missing:?}");
        assert!(unknown.0.contains("Fit"), "{unknown:?}");
        assert!(foreign.0.contains("XL"), "{foreign:?}");
    }

    #[test]
    fn option_lists_that_break_a_rule_name_the_part() {
        let cases: [(Spec<'_>, &str); 5] = [
            (&[("Size", &["S"]), ("size", &["M"])], "options[1].name"),
            (&[("Size", &[])], "options[0].values"),
            (&[("Size", &["S", "s"])], "options[0].values"),
            (&[("", &["S"])], "options[0].name"),
            (&[("A", &["1"]), ("B", &["1"]), ("C", &["1"]), ("D", &["1"])], "options"),
        ];
        for (options, field) in cases {
            let mut v = Violations::new();
            assert!(Options::parse("options", &raw(options), &mut v).is_none());
            assert!(v.fields().contains_key(field), "{options:?}: {:?}", v.fields());
        }
    }

    #[test]
    fn the_first_repeated_combination_is_found() {
        let combos = [vec!["S".to_owned()], vec!["M".to_owned()], vec!["S".to_owned()]];
        assert_eq!(first_clash(&combos), Some((0, 2)));
        assert_eq!(first_clash(&combos[..2]), None);
    }
}
