//! Page-number paging with a hard maximum page size.
//!
//! Every list endpoint pages the same way: `page` starts at 1, `page_size`
//! defaults to 20 and may not exceed 100, so no request can ask the database
//! for an unbounded result.

use crate::validation::Violations;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page, 1..=[`PageRequest::MAX_SIZE`].
    pub page_size: u32,
}

impl PageRequest {
    /// Page size when the client gives none.
    pub const DEFAULT_SIZE: u32 = 20;
    /// The largest page a client may ask for.
    pub const MAX_SIZE: u32 = 100;
    /// Pages past this are refused: deep offsets are slow and nobody reads them.
    pub const MAX_PAGE: u32 = 100_000;

    /// Validates raw query values; each problem names its parameter.
    pub fn parse(page: Option<i64>, page_size: Option<i64>) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let page = match page {
            None => 1,
            Some(p) if (1..=i64::from(Self::MAX_PAGE)).contains(&p) => p as u32,
            Some(_) => {
                violations.add("page", format!("must be between 1 and {}", Self::MAX_PAGE));
                1
            }
        };
        let page_size = match page_size {
            None => Self::DEFAULT_SIZE,
            Some(s) if (1..=i64::from(Self::MAX_SIZE)).contains(&s) => s as u32,
            Some(_) => {
                violations.add("page_size", format!("must be between 1 and {}", Self::MAX_SIZE));
                Self::DEFAULT_SIZE
            }
        };
        violations.into_result()?;
        Ok(PageRequest { page, page_size })
    }

    /// Like [`PageRequest::from_query`], for a query with other fields to
    /// check: what is wrong is added to `violations`, and the default page
    /// stands in for a wrong one.
    pub fn from_query_into(
        page: Option<&str>,
        page_size: Option<&str>,
        violations: &mut Violations,
    ) -> Self {
        PageRequest::from_query(page, page_size).unwrap_or_else(|wrong| {
            for (field, message) in wrong.fields() {
                violations.add(field.clone(), message.clone());
            }
            PageRequest::default()
        })
    }

    /// Validates raw query-string values (`?page=2&page_size=50`); a value
    /// that is not a whole number is named like an out-of-range one.
    pub fn from_query(page: Option<&str>, page_size: Option<&str>) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let mut number = |field: &str, raw: Option<&str>| match raw.map(str::trim) {
            None | Some("") => None,
            Some(text) => match text.parse::<i64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    violations.add(field, "must be a whole number");
                    Some(0)
                }
            },
        };
        let page = number("page", page);
        let page_size = number("page_size", page_size);
        match PageRequest::parse(page, page_size) {
            Ok(request) if violations.is_empty() => Ok(request),
            Ok(_) => Err(violations),
            Err(range) => {
                for (field, message) in range.fields() {
                    violations.add(field.clone(), message.clone());
                }
                Err(violations)
            }
        }
    }

    /// Rows to skip for this page.
    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.page_size)
    }

    /// Rows to fetch for this page.
    pub fn limit(&self) -> i64 {
        i64::from(self.page_size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { page: 1, page_size: Self::DEFAULT_SIZE }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_first_page_of_twenty() {
        assert_eq!(PageRequest::parse(None, None).unwrap(), PageRequest::default());
    }

    #[test]
    fn offset_follows_page_and_size() {
        let page = PageRequest::parse(Some(3), Some(25)).unwrap();
        assert_eq!((page.offset(), page.limit()), (50, 25));
    }

    #[test]
    fn query_strings_are_parsed_and_garbage_is_named() {
        assert_eq!(PageRequest::from_query(Some("2"), Some("5")).unwrap().offset(), 5);
        assert_eq!(PageRequest::from_query(None, Some("")).unwrap(), PageRequest::default());
        let err = PageRequest::from_query(Some("two"), Some("500")).unwrap_err();
        assert_eq!(err.fields()["page"], "must be a whole number");
        assert!(err.fields().contains_key("page_size"));
    }

    #[test]
    fn out_of_range_values_name_their_parameter() {
        let err = PageRequest::parse(Some(0), Some(101)).unwrap_err();
        assert!(err.fields().contains_key("page"));
        assert!(err.fields().contains_key("page_size"));
        assert!(PageRequest::parse(Some(1), Some(0)).is_err());
        assert!(PageRequest::parse(Some(-5), None).is_err());
        assert!(PageRequest::parse(Some(1), Some(100)).is_ok());
    }
}
