//! The OpenAPI document is generated from the code and agrees with the router.

use crate::helpers::TestApp;

async fn spec(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_spec_is_served_and_describes_the_probes() {
    let app = TestApp::spawn().await;

    let spec = spec(&app).await;

    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec["info"]["title"], "GoKart API");
    assert!(spec["paths"]["/healthz"]["get"].is_object());
    assert!(spec["paths"]["/readyz"]["get"]["responses"]["503"].is_object());
    assert!(spec["components"]["schemas"]["ErrorEnvelope"].is_object());
}

#[tokio::test]
async fn the_spec_describes_bearer_tokens_and_the_refresh_cookie() {
    let app = TestApp::spawn().await;

    let spec = spec(&app).await;

    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["refresh_cookie"]["in"], "cookie");
    assert_eq!(schemes["refresh_cookie"]["name"], "refresh_token");
    assert_eq!(
        spec["paths"]["/api/v1/auth/refresh"]["post"]["security"][0]["refresh_cookie"],
        serde_json::json!([])
    );
    assert_eq!(
        spec["paths"]["/api/v1/users/profile"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    for path in [
        "/api/v1/users",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions/{id}",
        "/api/v1/users/password",
        "/api/v1/users/account",
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let spec = spec(&app).await;
    let paths = spec["paths"].as_object().unwrap();
    assert!(!paths.is_empty());

    for (template, operations) in paths {
        let path = fill_parameters(template);
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.client.request(method.clone(), app.url(&path)).send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {template} is documented but not routed");
            assert_ne!(
                body["error"]["code"], "route_not_found",
                "{method} {template} is documented but not routed"
            );
        }
    }
}

/// Routes are registered only through `routes!(...)`, which documents them
/// as it routes them; a plain `.route(` call would add an undocumented one.
#[test]
fn every_route_is_registered_through_the_documented_router() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    visit(&src, &mut |file, text| {
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if [".route(", ".route_service(", ".nest_service("]
                .iter()
                .any(|call| code.contains(call))
            {
                offenders.push(format!("{}:{}: {code}", file.display(), number + 1));
            }
        }
    });
    assert!(offenders.is_empty(), "undocumented routes:\n{}", offenders.join("\n"));
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = TestApp::spawn().await;

    let page = app.get("/api/v1/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    let bundle = app.get("/api/v1/docs/swagger-ui-bundle.js").await;

    assert!(html.contains("swagger-ui"));
    for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attribute),
            "the docs page loads something from elsewhere: {attribute}"
        );
    }
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}

fn fill_parameters(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn visit(dir: &std::path::Path, check: &mut dyn FnMut(&std::path::Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, check);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            check(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}
