//! OATHAuth's API modules (`meta=oath`, `action=oathvalidate`) exist only with `[oath]
//! enabled = true`, as MediaWiki has them only with the extension loaded; the transcripts of
//! their answers are in `conformance/extensions`. Here: that the module tree follows the
//! configuration, without a socket, against a real SQLite file.

use mwauth::api::execute;
use mwauth::config::OathConfig;
use mwauth::hash_pool::HashPool;
use mwauth::Config;
use serde_json::Value;
use support::{Jar, Wiki};

mod support;

async fn wiki(oath: bool) -> Wiki {
    let config = Config {
        wiki_id: "testwiki".into(),
        oath: OathConfig {
            enabled: oath,
            ..OathConfig::default()
        },
        ..Config::default()
    };
    Wiki::open(config, HashPool::new(1)).await
}

async fn get(wiki: &Wiki, query: &[(&str, &str)]) -> Value {
    let req = Jar::default().request("GET", query, &[]);
    let res = execute(&wiki.services, &req).await;
    serde_json::from_slice(&res.body).unwrap()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn without_oath_the_modules_do_not_exist() {
    let wiki = wiki(false).await;
    let v = get(&wiki, &[("action", "oathvalidate"), ("format", "json")]).await;
    assert_eq!(v["error"]["code"], "badvalue");
    let v = get(
        &wiki,
        &[("action", "query"), ("meta", "oath"), ("format", "json")],
    )
    .await;
    assert_eq!(
        v["warnings"]["query"]["*"],
        "Unrecognized value for parameter \"meta\": oath"
    );
    let v = get(
        &wiki,
        &[
            ("action", "paraminfo"),
            ("modules", "main|query"),
            ("format", "json"),
            ("formatversion", "2"),
        ],
    )
    .await;
    let modules = &v["paraminfo"]["modules"];
    let action = &modules[0]["parameters"][0];
    assert!(!names(&action["type"]).contains(&"oathvalidate"));
    assert!(action.get("internalvalues").is_none());
    let meta = &modules[1]["parameters"][2];
    assert!(!names(&meta["type"]).contains(&"oath"));
}

#[tokio::test]
async fn with_oath_they_come_last_as_internal_modules() {
    let wiki = wiki(true).await;
    let v = get(
        &wiki,
        &[
            ("action", "paraminfo"),
            ("modules", "main|query|*"),
            ("format", "json"),
            ("formatversion", "2"),
        ],
    )
    .await;
    let modules = v["paraminfo"]["modules"].as_array().unwrap();
    let action = &modules[0]["parameters"][0];
    assert_eq!(names(&action["type"]).last(), Some(&"oathvalidate"));
    assert_eq!(names(&action["internalvalues"]), ["oathvalidate"]);
    let meta = &modules[1]["parameters"][2];
    assert_eq!(meta["name"], "meta");
    assert_eq!(names(&meta["type"]).last(), Some(&"oath"));
    assert_eq!(names(&meta["internalvalues"]), ["oath"]);
    // `modules=*`: every submodule of main, sorted (ApiParamInfo's sort()).
    let all: Vec<&str> = modules[2..]
        .iter()
        .filter(|m| m["group"] == "action")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(all.contains(&"oathvalidate"));
    let v = get(
        &wiki,
        &[("action", "query"), ("meta", "oath"), ("format", "json")],
    )
    .await;
    assert_eq!(v["error"]["code"], "permissiondenied");
}
