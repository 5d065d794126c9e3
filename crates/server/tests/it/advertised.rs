//! Apps switch features on from the instance documents, nodeinfo and the OAuth metadata,
//! so what they advertise must be served: every URL in them is called here, and every
//! feature they switch on is used once.

use crate::support::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

async fn status_of(s: &TestServer, method: reqwest::Method, url: &str) -> u16 {
    s.http
        .request(method, url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_advertised_url_and_feature_is_served() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let v1 = s.get("/api/v1/instance", None).await.ok();
    let v2 = s.get("/api/v2/instance", None).await.ok();

    // Streaming: both documents name the same base, and it streams there.
    let streaming = v2["configuration"]["urls"]["streaming"]
        .as_str()
        .expect("v2 names the streaming base")
        .to_string();
    assert_eq!(v1["urls"]["streaming_api"], streaming.as_str());
    let health = streaming.replacen("ws", "http", 1) + "/api/v1/streaming/health";
    let r = s.http.get(&health).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "OK");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "{streaming}/api/v1/streaming?stream=user&access_token={}",
        alice.token
    ))
    .await
    .expect("the advertised streaming URL accepts a socket");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let post = s.post_status(&alice, json!({"status": "live"})).await;
    let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    let payload: Value = serde_json::from_str(frame["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["id"], post["id"]);

    // Live and hashtag feeds are open to anonymous readers, as `timelines_access` says.
    let access = &v2["configuration"]["timelines_access"];
    assert_eq!(access["live_feeds"]["local"], "public");
    assert_eq!(access["hashtag_feeds"]["local"], "public");
    s.get("/api/v1/timelines/public?local=true", None)
        .await
        .expect(200);
    s.get("/api/v1/timelines/tag/roost", None).await.expect(200);
    let r = s
        .http
        .get(s.url("/api/v1/streaming/public/local"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "anonymous public stream");
    drop(r);
    assert_eq!(
        access["trending_link_feeds"]["local"], "disabled",
        "no trends are served yet"
    );

    // Search and trends, as the extension block says.
    let features = &v2["roost"]["features"];
    assert_eq!(features["full_text_search"], true);
    assert_eq!(features["trends"], true);
    s.post_status(&alice, json!({"status": "findable 可以找到 #advertised"}))
        .await;
    eventually(5, "full-text search", || async {
        let r = s
            .get(
                "/api/v2/search?q=findable&type=statuses",
                Some(&alice.token),
            )
            .await
            .ok();
        (!r["statuses"].as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    for path in [
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
    ] {
        s.get(path, None).await.expect(200);
    }

    // The grouped notifications API, which apps use once `api_versions.mastodon >= 2`.
    let api = v2["api_versions"]["mastodon"].as_u64().unwrap();
    assert!(api >= 2);
    s.post(
        &format!("/api/v1/statuses/{}/favourite", id_of(&post)),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    let grouped = s
        .get("/api/v2/notifications", Some(&alice.token))
        .await
        .expect(200);
    assert!(
        grouped["notification_groups"].is_array(),
        "grouped notifications: {grouped}"
    );

    // Status length as advertised: the limit passes, one more fails.
    let max = v2["configuration"]["statuses"]["max_characters"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(v1["configuration"]["statuses"]["max_characters"], max);
    s.post_status(&alice, json!({"status": "a".repeat(max)}))
        .await;
    s.post_status_raw(&alice, json!({"status": "a".repeat(max + 1)}))
        .await
        .error(422);
    // Translation is switched off: said so, and no language pairs are offered.
    assert_eq!(v2["configuration"]["translation"]["enabled"], false);
    assert_eq!(
        s.get("/api/v1/instance/translation_languages", None)
            .await
            .ok(),
        json!({})
    );
    // Polls as advertised: the limits pass, one past each fails; both documents agree.
    let polls = &v2["configuration"]["polls"];
    assert_eq!(v1["configuration"]["polls"], *polls);
    let max_options = polls["max_options"].as_u64().unwrap() as usize;
    let max_chars = polls["max_characters_per_option"].as_u64().unwrap() as usize;
    let min_exp = polls["min_expiration"].as_i64().unwrap();
    let max_exp = polls["max_expiration"].as_i64().unwrap();
    assert!(max_options >= 2 && max_chars > 0 && min_exp > 0 && max_exp > min_exp);
    let opts = |n: usize, len: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{i}{}", "x".repeat(len - 1)))
            .collect()
    };
    for (options, exp, ok) in [
        (opts(max_options, max_chars), min_exp, true),
        (opts(2, max_chars), max_exp, true),
        (opts(max_options + 1, 3), min_exp, false),
        (opts(2, max_chars + 1), min_exp, false),
        (opts(2, 3), min_exp - 1, false),
        (opts(2, 3), max_exp + 1, false),
    ] {
        let r = s
            .post_status_raw(
                &alice,
                json!({"status": "poll", "poll": {"options": options, "expires_in": exp}}),
            )
            .await;
        if ok {
            r.ok();
        } else {
            r.error(422);
        }
    }
    // Featured tags, up to the advertised number.
    let max_featured = v2["configuration"]["accounts"]["max_featured_tags"]
        .as_u64()
        .unwrap();
    assert_eq!(
        v1["configuration"]["accounts"]["max_featured_tags"],
        max_featured
    );
    for i in 0..=max_featured {
        let r = s
            .post(
                "/api/v1/featured_tags",
                Some(&alice.token),
                json!({"name": format!("tag{i}")}),
            )
            .await;
        if i < max_featured {
            r.ok();
        } else {
            r.error(422);
        }
    }
    // Translation is off and nothing is offered to translate.
    assert_eq!(
        s.get("/api/v1/instance/translation_languages", None)
            .await
            .ok(),
        json!({})
    );
    assert_eq!(v2["configuration"]["translation"]["enabled"], false);
    // Media as advertised: four attachments, the limits and types that uploads enforce.
    for doc in [&v1, &v2] {
        let c = &doc["configuration"];
        assert_eq!(c["statuses"]["max_media_attachments"], 4);
        let types = c["media_attachments"]["supported_mime_types"]
            .as_array()
            .unwrap();
        for t in [
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
            "audio/mpeg",
        ] {
            assert!(types.iter().any(|x| x == t), "{t} not advertised");
        }
        assert_eq!(c["media_attachments"]["image_size_limit"], 16 * 1024 * 1024);
        assert_eq!(c["media_attachments"]["image_matrix_limit"], 33_177_600);
    }
    assert_eq!(
        status_of(&s, reqwest::Method::POST, &s.url("/api/v2/media")).await,
        401
    );

    // Images named by the documents exist.
    for url in [
        v1["thumbnail"].as_str().unwrap(),
        v2["thumbnail"]["url"].as_str().unwrap(),
    ] {
        assert_eq!(status_of(&s, reqwest::Method::GET, url).await, 200, "{url}");
    }
    assert_eq!(v2["registrations"]["enabled"], true);
    assert_eq!(v1["registrations"], true);
    s.get("/api/v1/instance/rules", None).await.expect(200);

    // NodeInfo: every linked document answers with its own version, and names the API
    // it implements (megalodon's detector needs `metadata.upstream`).
    let links = s.get("/.well-known/nodeinfo", None).await.ok();
    let links = links["links"].as_array().unwrap().clone();
    assert!(links.len() >= 2);
    for l in links {
        let href = l["href"].as_str().unwrap();
        let rel = l["rel"].as_str().unwrap();
        let doc: Value = s.http.get(href).send().await.unwrap().json().await.unwrap();
        assert!(
            rel.ends_with(doc["version"].as_str().unwrap()),
            "{rel}: {doc}"
        );
        assert_eq!(doc["metadata"]["upstream"]["name"], "mastodon");
        assert_eq!(doc["software"]["name"], "roost");
        assert_eq!(doc["usage"]["users"]["total"], 2);
    }

    // OAuth metadata: each endpoint is there (a bare call gets an error, not a 404).
    let meta = s
        .get("/.well-known/oauth-authorization-server", None)
        .await
        .ok();
    assert_eq!(meta["issuer"], format!("{}/", s.base));
    for (key, method) in [
        ("authorization_endpoint", reqwest::Method::GET),
        ("token_endpoint", reqwest::Method::POST),
        ("revocation_endpoint", reqwest::Method::POST),
    ] {
        let url = meta[key].as_str().unwrap();
        let code = status_of(&s, method, url).await;
        assert!((400..=403).contains(&code), "{key} {url}: {code}");
    }
    // An app may ask for every advertised scope, and get a token for each grant type.
    let scopes: Vec<&str> = meta["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let app = s
        .http
        .post(meta["app_registration_endpoint"].as_str().unwrap())
        .json(&json!({"client_name": "every scope", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes.join(" ")}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.status(), 200);
    let app: Value = app.json().await.unwrap();
    for grant in meta["grant_types_supported"].as_array().unwrap() {
        let grant = grant.as_str().unwrap();
        if grant != "client_credentials" {
            continue; // the others are covered by the OAuth tests
        }
        let tok = s
            .post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", grant),
                    ("client_id", app["client_id"].as_str().unwrap()),
                    ("client_secret", app["client_secret"].as_str().unwrap()),
                ],
            )
            .await
            .ok();
        assert!(tok["access_token"].is_string());
    }
    assert_eq!(meta["response_modes_supported"], json!(["query"]));
}
