//! A local stand-in for Google's side of service authentication: the
//! published signing keys (a JWKS document) and a metadata server that
//! mints RS256 ID tokens with Google's claims, signed with a test-only RSA
//! key. The production token code talks to it unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::now;

/// The `kid` the stand-in publishes.
pub const KEY_ID: &str = "gokart-test-key-1";
/// Google's issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Test-only RSA key (google): PKCS#1 DER, base64.
const GOOGLE_KEY_DER: &str = concat!(
    "MIIEogIBAAKCAQEAxvxRSqCl2RCL4zmS84gIegzIdpLlpWzKeme+CI/S8Sz9azbUljY4FRtdIGYk7uO8P3zdo++H",
    "Kl9r3cv2grUemPNDj+cq1EC6ZOVfeM0DZdfNjrS353ZxjgZlaPooTUvHcrIZbwttAjMvKalUCMiqDs8sfiUBSiX4",
    "P3PXT3ERAUufLvz/5nV1sIh97Qpz+OCF7f7DJErAuXdsgpY3p1HOR8m9O9jWSdC4phIH9ZDTgTEJjciTMg3q7Anw",
    "Q9+ak4zjtRnrCzqWP3rCu4sS1gPlSmdzOcEbI/AuCmN7jfkma8v9QBpjS1o2K9M+LO/7wT0d6CcZyn0rrOwiN+M7",
    "B8QeyQIDAQABAoIBAB1dCIXxtOeWOH5cdaH4Vf/kuQQ+YyMJLcvoWTOcPa2XTQIwQii0cYwz0IdCa3rRImtf+rkB",
    "VLndAObm/UaGgbBiXXrzyu8tahQPgQorfq/dq5i+dFD0uocRzI80MxRM9W6od3ZagkiL0w7bzOnK6sVqrw8iWNFf",
    "TwXWC1TOw4qkIm287kOWgbN/fnYYVb7sm/RdtctDOFCmkxRtJ2dcc478NhLIoGkcqezHX5BK2vhyfo8G+sknitPV",
    "YmiUCAVQjpYHaCANGNC8Jhtvn5/Fy7BCchzEoNXlYuYVm/FHZIdOmwgIMf0ID3jF31UVvLbdsnxl2FDwGNaPD/NT",
    "phpZzI0CgYEA7wIXx4m0KGTgYQ+59iNnhVjwBFfhB6rcWjg5962ghfPrETUS9Cz3TlGdLcgAtD/PNGPf4Sb/cdWF",
    "1KMrHZr6MsB8Wyw9bfQuj/ukMG7pwEdHNYbctAFB2qYUux78p+TwYKzOLWPPGUINjAJ+KFDiU6/vRafgvlLEM9WQ",
    "qTu9VicCgYEA1SHSMAKgtWfKQuM5CuPxXl6JU+jlMb3EPaZXLAd2EburFCL48MINWasCJRKvFgkXvZB4LDPrPZ/X",
    "Z8kWhT9Jtq8n8p8wK5uBYee/ailVnMqiLUE04odlltPDWvJ1VsaETTmpSBxFqp3D5KWconpt3bnj5aNhiQzB+nHK",
    "yffdaY8CgYA2eVqkHu2R21QMq0HuKKmaiefChakDT10Drxb/LXKNtUdZV6hnQKxpDE7vtUr7yiNWxICtV28XKdxj",
    "14CnMcBeuuJdAVtK6UGHjYohg9YA/f3r5D3/RN4WkI3fDDP3rEVhM2GWlM4J6rUduR+53p2HB21Yiee+WSzgx4c+",
    "GyCPNwKBgBDrrXc4Ti/4vHsQ9Q9jR19ZnAd4XvHTAghu807AjOQdhRiFKkRa85ph1DrDP/k84ZCgLpo7yPpMfVp1",
    "AX+0pZKGV2KQts9Pejceofi4rV5UTAnRunQdkbgmucS3qQ8plYlYAZODAxjni4zUhRn1JFHNF0W88dpik+fhLttX",
    "/VELAoGAFx8+6EznwVtK62QpMCgiAbnBBMXOgMLamhExePlJzBFPaoKtbNwjy/m34K8uHlKVOWk+dwo/Pq8UORFT",
    "k5EINUD3shwOK4tb331Wg722hBSloysaFSv0NoiLvwQ1wjfCNmZyFl8sHGhBWSJ6MQ8Wfop1s245HtuvOnZrSlYQ",
    "M/o=",
);
/// Its modulus, base64url, as a JWK publishes it.
const GOOGLE_KEY_N: &str = concat!(
    "xvxRSqCl2RCL4zmS84gIegzIdpLlpWzKeme-CI_S8Sz9azbUljY4FRtdIGYk7uO8P3zdo--",
    "HKl9r3cv2grUemPNDj-cq1EC6ZOVfeM0DZdfNjrS353ZxjgZlaPooTUvHcrIZbwttAjMvKalUCMiqDs8sfiUBSiX",
    "4P3PXT3ERAUufLvz_5nV1sIh97Qpz-OCF7f7DJErAuXdsgpY3p1HOR8m9O9jWSdC4phIH9ZDTgTEJjciTMg3q7An",
    "wQ9-ak4zjtRnrCzqWP3rCu4sS1gPlSmdzOcEbI_AuCmN7jfkma8v9QBpjS1o2K9M-LO_7wT0d6CcZyn0rrOwiN-",
    "M7B8QeyQ",
);

/// Test-only RSA key (forger): PKCS#1 DER, base64.
const FORGER_KEY_DER: &str = concat!(
    "MIIEogIBAAKCAQEAjHfnrO6kPraI+Tnt8A6frlYKFfyOcFCVteb5ymtXcw26duV/hzKzQsi9gMKah2XvdovZspL1",
    "CjGo0wWPn8Ys9XGucSqKFkm6V7Q9mIKoCz9U+wfYa9x020CmPf4s/LuHsAtJyj6pAjzMo9l3+YSPmJOXVgb18hx2",
    "EhB3jqgpZYVmm0ZhTkmuiMgzXgabUa+jjHvN5QWuczbE3VprYbU8Le278gvuOEVGkRkvcN51j+gFrpR/NDqOhaKU",
    "UYa9FUirObm9saGwTd2icC5wZK2tD9D48LBI4sAG55GdYY9GeKAEKfCN9P+YHIMemcCVEA7v3IukZyz7MwWFmfH2",
    "z0EUjQIDAQABAoIBAAUfSuRMUCf19GO7iuOB8le4onsvxP/v0wMZmPVFLyCubk9vSf8OSGmAiXcxttHbfpJ2QhTY",
    "IAsO9DGRwS2EhqzX8uevM0Q3IbjuBSr+ZLitnAs1ZjJ0t7wrt4QzicTDj+H0X2ylFqOoFOxKqKyBetJdBhvoer0p",
    "RYhIxRtUzYGlVa4v7zOLc9K1t2wxGbgJegNOE8P9B75MzZm211w835i/nPD7zWduO4dclnEVgR2/tpi+gcJSBxMt",
    "KTHzWmDVv0JPeEcoDnwFHGk5USWhwkPLCIvot374YVcWHuT54A5X2blter3Z7O8EaYhiNhfmj0tDb7JH++9MNsLg",
    "afZ1lN8CgYEAxZUhOSCyU9hpayf/pzvyorftsnLpz9XVsL5yiyLKXMA/oFBn1DRTsFMGO7asuuteZH947jE1Mr4D",
    "/PB3eLK9YkIk87h5o4zOG/yCFMlo/eTUuETx2PUdtNF5ErkknKC+a3/QOFNit7gTWAvUiXWsY2bLAAXyMLc/kPaS",
    "YJV5ekcCgYEAtf/ZM9/SuyIudOGT/LGBlO4KRSTuvz8k2hPTNipus8OIU+CMVTphyDQ9//TUo0f8aGosa3LpyUVM",
    "0ZG9n70QthlMtI2yWFZXMjgkuLMc2LUMrVU3R3z05SX9VciYZoM2aSB4+fRPSnKcYssmpIX63vYu35OFbkayb37h",
    "Txx+0IsCgYA0vo3C6VaRiWkC4QefRiKMi5sZkxGVmNjVuNFtERmCTxPtIOnGvT1GCbPVRvuvXluxalIHC/3OkOkR",
    "ocPS5awmyc+BfFKEdXckA3FaSTYM6QRcOJNzPmPyvCSc+e2rHkIXAmS8VI46yxnm3CmdlFszoeI5HF094f1HHnuO",
    "6vglywKBgGfH9BhjimwRasJVm6ido9HEB3E0RTwjCqWcZnVdrvCtEEEcK4myF+4s9CnPd62AMAtud9PxnCScctiS",
    "Lbo3+p6MQLQ4lLlQyrolT7NO16UvYII6tKH8PD2q8xIGp/jU26MI1FNcIBbI0ip3w5pPmCWp5kKxgYXHpJp1lI8j",
    "JaFPAoGABYHDxaKRA4uyN7QrBNz+YxmC/br/kgE09mN+J6DtLjvw6eUZ7NSVYy8DZSE3b65CCrHKqZzFTdHdJAzs",
    "Eb32g9XW1jQtU7oBVKp4XTVDznYI4pLX6CsjWHvDtUTSHBDqHFdBGYoadjHMyqiut9AV7nkuZIcQR4oy9f6NyXKG",
    "LDw=",
);

/// Google's key server and one instance's metadata server.
pub struct GoogleStandIn {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    fetches: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Shared {
    email: String,
    fetches: Arc<AtomicUsize>,
}

impl GoogleStandIn {
    /// Starts it; the metadata server mints tokens for `email`.
    pub async fn start(email: &str) -> GoogleStandIn {
        let fetches = Arc::new(AtomicUsize::new(0));
        let shared = Shared { email: email.to_owned(), fetches: fetches.clone() };
        let router = Router::new()
            .route("/oauth2/v3/certs", get(certs))
            .route("/computeMetadata/v1/instance/service-accounts/default/identity", get(identity))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        GoogleStandIn { address, fetches }
    }

    /// What `SERVICE_AUTH_JWKS_URL` should be.
    pub fn jwks_url(&self) -> String {
        format!("{}/oauth2/v3/certs", self.address)
    }

    /// What `GCE_METADATA_HOST` should be (host and port).
    pub fn metadata_host(&self) -> String {
        self.address.trim_start_matches("http://").to_owned()
    }

    /// How often the key set was fetched.
    pub fn key_fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn certs(State(shared): State<Shared>) -> Json<Value> {
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({"keys": [{
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KEY_ID,
        "n": GOOGLE_KEY_N, "e": "AQAB",
    }]}))
}

async fn identity(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<String, StatusCode> {
    if headers.get("metadata-flavor").and_then(|v| v.to_str().ok()) != Some("Google") {
        return Err(StatusCode::FORBIDDEN);
    }
    let audience = query.get("audience").ok_or(StatusCode::BAD_REQUEST)?;
    if query.get("format").map(String::as_str) != Some("full") {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(google_token(&claims(&shared.email, audience)))
}

/// The claims of a Google ID token for `email`, minted for `audience`.
pub fn claims(email: &str, audience: &str) -> Value {
    json!({"iss": GOOGLE_ISSUER, "aud": audience, "sub": "1234567890", "azp": "1234567890",
           "email": email, "email_verified": true, "iat": now(), "exp": now() + 3600})
}

/// `claims` signed as Google would: RS256 with the published key.
pub fn google_token(claims: &Value) -> String {
    sign_rs256(claims, GOOGLE_KEY_DER, KEY_ID)
}

/// `claims` signed with a key Google never published, under Google's `kid`.
pub fn forged_token(claims: &Value) -> String {
    sign_rs256(claims, FORGER_KEY_DER, KEY_ID)
}

/// `claims` signed with Google's key but naming a `kid` it never published.
pub fn token_with_kid(claims: &Value, kid: &str) -> String {
    sign_rs256(claims, GOOGLE_KEY_DER, kid)
}

fn sign_rs256(claims: &Value, der_base64: &str, kid: &str) -> String {
    let der = STANDARD.decode(der_base64).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

/// `claims` signed HS256 with the public modulus as the secret: the
/// algorithm-confusion forgery a verifier must refuse.
pub fn hs256_confusion_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KEY_ID.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(GOOGLE_KEY_N.as_bytes()))
        .unwrap()
}
