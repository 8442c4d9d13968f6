//! Reading typed configuration from the environment and an optional env file.
//!
//! Values come from the process environment first, then from the env file
//! (`api.env`, `worker.env`, or `--env-file`). An empty value counts as
//! unset. Every failure names the variable, so start-up stops with one clear
//! line instead of a panic later.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// A configuration value that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `var`.
    pub fn new(var: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { var: var.into(), message: message.into() }
    }
}

/// Where the service runs; production refuses development defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A developer's machine or a test: local defaults are fine.
    Development,
    /// Real traffic: secrets must be set explicitly.
    Production,
}

impl AppEnv {
    /// Whether this is production.
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

impl FromStr for AppEnv {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" | "test" => Ok(AppEnv::Development),
            "production" | "prod" => Ok(AppEnv::Production),
            _ => Err("expected `development` or `production`".into()),
        }
    }
}

/// A snapshot of configuration variables: the process environment over an
/// optional env file.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: show only which variables are set.
        let mut names: Vec<_> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Env").field("set", &names).finish()
    }
}

impl Env {
    /// Loads `explicit_file` (which must exist) or else `default_file` (if it
    /// exists), then lays the process environment over it.
    pub fn load(explicit_file: Option<&Path>, default_file: &str) -> Result<Env, ConfigError> {
        let mut vars = HashMap::new();
        let file = match explicit_file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(Path::new(default_file).to_path_buf()).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            let entries = dotenvy::from_path_iter(&path).map_err(|err| {
                ConfigError::new("--env-file", format!("cannot read {}: {err}", path.display()))
            })?;
            for entry in entries {
                let (key, value) = entry.map_err(|err| {
                    ConfigError::new("--env-file", format!("{}: {err}", path.display()))
                })?;
                vars.insert(key, value);
            }
        }
        vars.extend(std::env::vars());
        Ok(Env { vars })
    }

    /// An environment made of exactly these pairs (for tests and tools).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// Sets one variable, replacing any earlier value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// The raw value, if set and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// A string with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// An http(s) URL without trailing slashes, or `default`.
    pub fn url(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        let value = self.string(name, default).trim_end_matches('/').to_owned();
        if value.starts_with("http://") || value.starts_with("https://") {
            Ok(value)
        } else {
            Err(ConfigError::new(name, "must start with http:// or https://"))
        }
    }

    /// A value that must be set.
    pub fn require(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name).map(str::to_owned).ok_or_else(|| ConfigError::new(name, "is required"))
    }

    /// A value parsed with [`FromStr`], or `default` when unset.
    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|err| ConfigError::new(name, format!("invalid value {raw:?}: {err}"))),
        }
    }

    /// A boolean (`true`/`false`/`1`/`0`/`yes`/`no`), or `default`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                name,
                format!("invalid value {other:?}: expected true or false"),
            )),
        }
    }

    /// A duration such as `250ms`, `2s`, `15m`, `1h30m` or `0s`, or `default`.
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => parse_duration(raw).map_err(|message| ConfigError::new(name, message)),
        }
    }

    /// A secret. When unset, development uses `dev_default`; production
    /// refuses both an unset value and the development default.
    pub fn secret(
        &self,
        name: &str,
        dev_default: &str,
        app_env: AppEnv,
    ) -> Result<SecretString, ConfigError> {
        match (self.get(name), app_env) {
            (Some(value), AppEnv::Production) if value == dev_default => Err(ConfigError::new(
                name,
                "is set to the development default, which production refuses",
            )),
            (Some(value), _) => Ok(SecretString::from(value.to_owned())),
            (None, AppEnv::Production) => Err(ConfigError::new(name, "is required in production")),
            (None, AppEnv::Development) => Ok(SecretString::from(dev_default.to_owned())),
        }
    }

    /// `APP_ENV`, defaulting to development.
    pub fn app_env(&self) -> Result<AppEnv, ConfigError> {
        self.parse("APP_ENV", AppEnv::Development)
    }
}

/// Parses `250ms`, `2s`, `15m`, `1h30m`, `0s` or `0`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {raw:?}: expected e.g. 500ms, 2s, 15m or 1h30m");
    let text = raw.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.checked_mul(60).ok_or_else(invalid)?),
            "h" => Duration::from_secs(number.checked_mul(3600).ok_or_else(invalid)?),
            "d" => Duration::from_secs(number.checked_mul(86_400).ok_or_else(invalid)?),
            _ => return Err(invalid()),
        };
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn durations_accept_common_units() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in ["", "s", "2", "2 s", "-1s", "1.5s", "2x", "ms5"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let env = Env::from_pairs([("PORT", "eighty"), ("REQUEST_TIMEOUT", "soon")]);
        let err = env.parse::<u16>("PORT", 8080).unwrap_err();
        assert_eq!(err.var, "PORT");
        assert!(err.to_string().starts_with("configuration error: PORT: invalid value"));
        assert_eq!(
            env.duration("REQUEST_TIMEOUT", Duration::ZERO).unwrap_err().var,
            "REQUEST_TIMEOUT"
        );
        assert_eq!(env.require("DATABASE_URL").unwrap_err().var, "DATABASE_URL");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let env = Env::from_pairs([("PORT", "  ")]);
        assert_eq!(env.parse::<u16>("PORT", 8080), Ok(8080));
    }

    #[test]
    fn production_refuses_missing_and_default_secrets() {
        let unset = Env::default();
        assert!(unset.secret("JWT_SECRET", "dev", AppEnv::Production).is_err());
        let default = Env::from_pairs([("JWT_SECRET", "dev")]);
        assert!(default.secret("JWT_SECRET", "dev", AppEnv::Production).is_err());
        let real = Env::from_pairs([("JWT_SECRET", "a-real-secret")]);
        let secret = real.secret("JWT_SECRET", "dev", AppEnv::Production).unwrap();
        assert_eq!(secret.expose_secret(), "a-real-secret");
    }

    #[test]
    fn development_falls_back_to_the_default_secret() {
        let secret = Env::default().secret("JWT_SECRET", "dev", AppEnv::Development).unwrap();
        assert_eq!(secret.expose_secret(), "dev");
    }

    #[test]
    fn flags_accept_common_spellings() {
        let env = Env::from_pairs([("A", "yes"), ("B", "0"), ("C", "maybe")]);
        assert_eq!(env.flag("A", false), Ok(true));
        assert_eq!(env.flag("B", true), Ok(false));
        assert_eq!(env.flag("D", true), Ok(true));
        assert_eq!(env.flag("C", true).unwrap_err().var, "C");
    }

    #[test]
    fn env_file_values_are_overridden_by_the_process_environment() {
        let dir = std::env::temp_dir().join(format!("gokart-env-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("test.env");
        std::fs::write(&file, "GOKART_TEST_ONLY_IN_FILE=from-file\nPATH=from-file\n").unwrap();
        let env = Env::load(Some(&file), "unused.env").unwrap();
        assert_eq!(env.get("GOKART_TEST_ONLY_IN_FILE"), Some("from-file"));
        assert_ne!(env.get("PATH"), Some("from-file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_explicit_env_file_is_an_error() {
        let err = Env::load(Some(Path::new("/nonexistent/gokart.env")), "x.env").unwrap_err();
        assert_eq!(err.var, "--env-file");
    }
}
