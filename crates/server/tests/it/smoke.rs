use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn post_and_read_back() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s
        .post_status(&alice, json!({"status": "hello #小米 world"}))
        .await;
    assert_eq!(st["account"]["username"], "alice");
    assert_eq!(st["tags"][0]["name"], "小米");
    let got = s
        .get(
            &format!("/api/v1/statuses/{}", st["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    assert_eq!(got["id"], st["id"]);
    assert_eq!(got["roost"]["views_total"], 1);
    let inst = s.get("/api/v1/instance/", None).await.ok();
    assert_eq!(
        inst["version"].as_str().unwrap().split(' ').next(),
        Some("4.5.0")
    );
}
