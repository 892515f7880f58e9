//! Load balancer subnets by ID (issue 12, "Load balancer subnets by ID"): the AWS Load Balancer
//! Controller runs in the workload account and cannot see the tags the VPC's owner sets on
//! shared subnets, so every blueprint installs it with IngressClasses whose
//! `IngressClassParams` name the subnets by ID (one per AZ ID), the team README documents the
//! Service annotation for NLBs, and the network hand-off asks for no subnet tags.

use serde::Deserialize;
use serde_json::Value;

use crate::support::Test;

/// The documents of a multi-document YAML file.
fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap())
        .collect()
}

/// One `IngressClassParams`: name, scheme, subnet IDs.
type Params = (String, String, Vec<String>);

/// The `IngressClassParams` of a rendered ingressclasses.yaml, and the IngressClasses with the
/// parameters each names.
fn classes(text: &str) -> (Vec<Params>, Vec<(String, String)>) {
    let mut params = Vec::new();
    let mut classes = Vec::new();
    for d in docs(text) {
        let name = d["metadata"]["name"].as_str().unwrap().to_string();
        match d["kind"].as_str().unwrap() {
            "IngressClassParams" => params.push((
                name,
                d["spec"]["scheme"].as_str().unwrap().to_string(),
                d["spec"]["subnets"]["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            )),
            "IngressClass" => {
                assert_eq!(d["spec"]["controller"], "ingress.k8s.aws/alb");
                assert_eq!(d["spec"]["parameters"]["kind"], "IngressClassParams");
                classes.push((
                    name,
                    d["spec"]["parameters"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                ));
            }
            other => panic!("unexpected kind {other}"),
        }
    }
    (params, classes)
}

#[test]
fn every_blueprint_gives_the_controller_the_shared_subnets_by_id() {
    let t = Test::new();
    t.render("out").success();
    let public_use1 = vec![
        "subnet-0eee5555ffff66667".to_string(),
        "subnet-0abc7777def888899".to_string(),
    ];
    let private_use1 = vec![
        "subnet-0aaa1111bbbb22223".to_string(),
        "subnet-0ccc3333dddd44445".to_string(),
        "subnet-0ddd4444eeee55556".to_string(),
    ];
    let private_euw1 = vec![
        "subnet-0f1e2d3c4b5a69788".to_string(),
        "subnet-0a9b8c7d6e5f40312".to_string(),
        "subnet-0b1c2d3e4f5a60718".to_string(),
    ];
    // (account, private, public) of the example fleet.
    for (account, private, public) in [
        ("payments-prod", &private_use1, Some(&public_use1)),
        ("checkout-dev", &private_use1, Some(&public_use1)),
        ("risk-batch-prod", &private_use1, Some(&public_use1)),
        ("ml-research-dev", &private_euw1, None),
        ("vision-aiml-dev", &private_euw1, None),
    ] {
        let dir = format!("out/{account}");
        let (params, refs) = classes(&t.read(&format!(
            "{dir}/platform/load-balancing/ingressclasses.yaml"
        )));
        let mut want = vec![(
            "alb-internal".to_string(),
            "internal".to_string(),
            private.clone(),
        )];
        if let Some(public) = public {
            want.push(("alb".into(), "internet-facing".into(), public.clone()));
        }
        assert_eq!(params, want, "{account}");
        let names: Vec<(String, String)> = want
            .iter()
            .map(|(n, _, _)| (n.clone(), n.clone()))
            .collect();
        assert_eq!(refs, names, "{account}: each class names its parameters");
        assert!(
            t.read(&format!("{dir}/platform/kustomization.yaml"))
                .contains("  - load-balancing/ingressclasses.yaml\n"),
            "{account}: the platform tree applies the classes"
        );
        // The controller is installed, without the chart's own IngressClass and parameters.
        let addons = if t.path(&format!("{dir}/bootstrap/argocd")).is_dir() {
            t.read(&format!("{dir}/bootstrap/argocd/apps/addons.yaml"))
        } else {
            t.read(&format!("{dir}/addons/addons.yaml"))
        };
        assert!(
            addons.contains("aws-load-balancer-controller"),
            "{account}: no controller"
        );
        assert!(
            addons.contains("\"createIngressClassResource\": false")
                && addons.contains("\"ingressClassParams\": {\"create\": false}"),
            "{account}: the chart's IngressClass would be a second owner of `alb`"
        );
        // NLBs: the Service annotation with the private subnets, in the team README.
        let readme = t.read(&format!("{dir}/README.md"));
        assert!(
            readme.contains(&format!(
                "service.beta.kubernetes.io/aws-load-balancer-subnets: {}",
                private.join(",")
            )),
            "{account}: README lacks the NLB subnet annotation"
        );
        // The hand-off asks the networking account for no tags the controller never sees.
        for file in ["network/handoff.yaml", "network/README.md"] {
            let text = t.read(&format!("{dir}/{file}"));
            for tag in [
                "kubernetes.io/role/elb",
                "kubernetes.io/role/internal-elb",
                "create-tags",
            ] {
                assert!(!text.contains(tag), "{account}/{file} still asks for {tag}");
            }
        }
    }
}
