//! Service authentication in `google` mode, against a local key server and
//! metadata servers that speak Google's wire format: the whole pipeline runs
//! on Google-style ID tokens, and every kind of bad token is refused.

use serde_json::{Value, json};

use crate::google_standin::{
    GoogleStandIn, claims, forged_token, google_token, hs256_confusion_token, token_with_kid,
};
use crate::helpers::{TestApp, add_to_cart, checkout, now};
use crate::pipeline::{Pipeline, Worker};

const API_SA: &str = "gokart-api@shop.iam.gserviceaccount.com";
const WORKER_SA: &str = "gokart-worker@shop.iam.gserviceaccount.com";
const SCHEDULER_SA: &str = "gokart-scheduler@shop.iam.gserviceaccount.com";

fn google_mode(env: &mut gokart_edge::Env, google: &GoogleStandIn, allowed: &str) {
    env.set("SERVICE_AUTH_MODE", "google");
    env.set("SERVICE_AUTH_JWKS_URL", google.jwks_url());
    env.set("GCE_METADATA_HOST", google.metadata_host());
    env.set("SERVICE_AUTH_ALLOWED_EMAILS", allowed);
}

#[tokio::test]
async fn the_pipeline_runs_on_tokens_from_the_metadata_server() {
    let api_metadata = GoogleStandIn::start(API_SA).await;
    let worker_metadata = GoogleStandIn::start(WORKER_SA).await;
    let pipeline = Pipeline::api_only(|env| {
        google_mode(env, &api_metadata, &format!("{WORKER_SA},{SCHEDULER_SA}"));
    })
    .await;
    let jwks = worker_metadata.jwks_url();
    let metadata = worker_metadata.metadata_host();
    let _worker = Worker::start(
        pipeline.worker_port,
        &pipeline.api.address,
        &pipeline.mail_dir,
        &[
            ("SERVICE_AUTH_MODE", "google"),
            ("SERVICE_AUTH_JWKS_URL", &jwks),
            ("GCE_METADATA_HOST", &metadata),
            ("SERVICE_AUTH_ALLOWED_EMAILS", API_SA),
        ],
    )
    .await;

    let id = pipeline.order().await;

    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;
    assert_eq!(pipeline.emails().len(), 5);
    assert_eq!(api_metadata.key_fetches(), 1, "the API fetched Google's keys once");
    assert_eq!(worker_metadata.key_fetches(), 1, "the worker fetched Google's keys once");
}

async fn google_api(google: &GoogleStandIn) -> TestApp {
    let allowed = format!("{WORKER_SA},{SCHEDULER_SA}");
    TestApp::spawn_shop_with(|env| {
        google_mode(env, google, &allowed);
        env.set("PUBLIC_URL", "https://api.gokart.test");
    })
    .await
}

async fn report(app: &TestApp, order: &str, token: &str) -> u16 {
    app.client
        .post(app.url(&format!("/api/v1/internal/orders/{order}/status")))
        .bearer_auth(token)
        .json(&json!({"status": "processing"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_bad_google_token_is_refused_and_a_good_one_accepted() {
    let google = GoogleStandIn::start(API_SA).await;
    let app = google_api(&google).await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();
    let order = order["id"].as_str().unwrap();
    let audience = "https://api.gokart.test";
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims(WORKER_SA, audience);
        change(&mut claims);
        google_token(&claims)
    };
    let local = gokart_edge::service_auth::DEV_SERVICE_AUTH_SECRET;
    let local_token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"iss": "gokart-local", "aud": audience, "sub": WORKER_SA, "email": WORKER_SA,
                "email_verified": true, "iat": now(), "exp": now() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(local.as_bytes()),
    )
    .unwrap();
    let refused = [
        ("another audience", with(&|c| c["aud"] = json!("https://worker.gokart.test")), 401),
        ("another issuer", with(&|c| c["iss"] = json!("https://issuer.gokart.test")), 401),
        ("expired", with(&|c| c["exp"] = json!(now() - 3600)), 401),
        ("issued in the future", with(&|c| c["iat"] = json!(now() + 3600)), 401),
        ("a forged signature", forged_token(&claims(WORKER_SA, audience)), 401),
        (
            "HS256 keyed with the public key",
            hs256_confusion_token(&claims(WORKER_SA, audience)),
            401,
        ),
        ("a local-mode token", local_token, 401),
        ("a customer's access token", user.access_token.clone(), 401),
        ("an email not on the list", with(&|c| c["email"] = json!("someone@gmail.com")), 403),
        ("an unverified email", with(&|c| c["email_verified"] = json!(false)), 403),
    ];

    for (what, token, status) in refused {
        assert_eq!(report(&app, order, &token).await, status, "{what}");
    }
    let fetches = google.key_fetches();
    assert_eq!(report(&app, order, &google_token(&claims(WORKER_SA, audience))).await, 200);
    assert_eq!(google.key_fetches(), fetches, "known keys are served from the cache");
}

#[tokio::test]
async fn an_unknown_key_id_refetches_the_keys_once_and_is_refused() {
    let google = GoogleStandIn::start(API_SA).await;
    let app = google_api(&google).await;
    let audience = "https://api.gokart.test";
    let order = uuid::Uuid::new_v4().to_string();
    // Warm the cache with a good token (404: no such order, but authenticated).
    assert_eq!(report(&app, &order, &google_token(&claims(SCHEDULER_SA, audience))).await, 404);
    let before = google.key_fetches();

    let first =
        report(&app, &order, &token_with_kid(&claims(WORKER_SA, audience), "rotated-1")).await;
    let second =
        report(&app, &order, &token_with_kid(&claims(WORKER_SA, audience), "rotated-2")).await;

    assert_eq!((first, second), (401, 401));
    assert_eq!(google.key_fetches(), before + 1, "refetched once, not once per unknown kid");
}

#[tokio::test]
async fn the_worker_takes_tasks_only_with_a_token_minted_for_its_own_url() {
    let google = GoogleStandIn::start(WORKER_SA).await;
    let port = crate::helpers::free_port();
    let mail = std::env::temp_dir().join(format!("gokart-mail-{}", uuid::Uuid::new_v4()));
    let (jwks, metadata) = (google.jwks_url(), google.metadata_host());
    let _worker = Worker::start(
        port,
        "http://127.0.0.1:9",
        &mail,
        &[
            ("SERVICE_AUTH_MODE", "google"),
            ("SERVICE_AUTH_JWKS_URL", &jwks),
            ("GCE_METADATA_HOST", &metadata),
            ("SERVICE_AUTH_ALLOWED_EMAILS", API_SA),
        ],
    )
    .await;
    let worker_url = format!("http://127.0.0.1:{port}");
    let push = |token: String| {
        reqwest::Client::new()
            .post(format!("{worker_url}/tasks/warehouse"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("{}")
            .send()
    };

    let for_the_api = push(google_token(&claims(API_SA, "https://api.gokart.test"))).await.unwrap();
    let from_a_stranger = push(google_token(&claims(SCHEDULER_SA, &worker_url))).await.unwrap();
    let from_the_relay = push(google_token(&claims(API_SA, &worker_url))).await.unwrap();

    assert_eq!(for_the_api.status(), 401);
    assert_eq!(from_a_stranger.status(), 403);
    assert_eq!(from_the_relay.status(), 200, "admitted (and the empty task dropped)");
}
