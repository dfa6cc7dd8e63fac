//! The counselor's side of the anonymiser (issue 18), through a real relay and real
//! sockets: the preview of the anonymised transcript of one's own conversation, and
//! tagging a name the finder missed, also after the chat ended (during wrap-up).

use std::net::Ipv4Addr;

use chathulp_tests::{Client, TestRelay};
use serde_json::{Value, json};

async fn expect_error(client: &mut Client, frame: Value) -> anyhow::Result<String> {
    client.send(frame).await?;
    Ok(client.expect("error").await?["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// The texts of a preview, in order.
async fn preview(client: &mut Client, id: &str) -> anyhow::Result<Vec<String>> {
    client
        .send(json!({"type":"anonymised_preview","conversation":id}))
        .await?;
    let reply = client.expect("anonymised_preview").await?;
    assert_eq!(reply["conversation"], id);
    Ok(reply["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test]
async fn a_counselor_previews_the_anonymised_transcript_and_tags_what_it_missed_after_the_end()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let mut sup = relay.staff("sup").await?;
    let mut visitor = relay
        .visitor_from(Ipv4Addr::new(127, 0, 0, 91), None)
        .await?;
    visitor
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Sam"}))
        .await?;
    visitor.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (n, text) in [
        "ik ben sam en mijn vriendin noor weet het, bel 0470 12 34 56",
        "de bende van snuffel pest ons, noor ook",
    ]
    .into_iter()
    .enumerate()
    {
        visitor
            .send(json!({"type":"send","client_id":format!("v{n}"),"text":text}))
            .await?;
        visitor.expect("ack").await?;
    }

    // Live: the counselor sees what the team would read; nobody else may.
    let live = preview(&mut an, &id).await?;
    assert_eq!(
        live,
        [
            "ik ben [naam 1] en mijn vriendin [naam 2] weet het, bel [telefoon]",
            "de bende van snuffel pest ons, [naam 2] ook",
        ]
    );
    let ask = json!({"type":"anonymised_preview","conversation":id});
    assert_eq!(expect_error(&mut bo, ask.clone()).await?, "not_found");
    assert_eq!(expect_error(&mut sup, ask.clone()).await?, "forbidden");
    assert_eq!(
        expect_error(
            &mut an,
            json!({"type":"anonymised_preview","conversation":"nope"})
        )
        .await?,
        "not_found"
    );

    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    // After the end, during wrap-up: the counselor tags what the finder missed.
    let tag = json!({"type":"tag_name","conversation":id,"name":"Snuffel"});
    assert_eq!(expect_error(&mut bo, tag.clone()).await?, "not_found");
    an.send(tag).await?;
    assert_eq!(
        an.expect("names_tagged").await?["names"],
        json!(["Snuffel"])
    );
    let after = preview(&mut an, &id).await?;
    assert_eq!(after[1], "de bende van [naam 3] pest ons, [naam 2] ook");
    for text in &after {
        for secret in ["sam", "noor", "snuffel", "0470"] {
            assert!(!text.to_lowercase().contains(secret), "{secret} in {text}");
        }
    }
    // More names can follow; a common word too, when the counselor says so.
    an.send(json!({"type":"tag_name","conversation":id,"name":"bende"}))
        .await?;
    assert_eq!(
        an.expect("names_tagged").await?["names"],
        json!(["Snuffel", "bende"])
    );
    relay.stop().await
}
