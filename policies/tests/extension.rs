//! The extension registry: registration rules, parameter checks and located errors, through
//! the one cloud-OS builder as a scenario reaches them.

use std::sync::{Arc, RwLock};

use orrery_engine::action::Action;
use orrery_engine::policy::Placement;
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, VmId};
use orrery_policies::registry::cloud_os;
use orrery_policies::registry::extension::*;
use std::path::Path;

struct Nothing;

impl Placement for Nothing {
    fn place(&mut self, _: &ClusterView, _: &[VmId], _: &mut Rng) -> Vec<Action> {
        Vec::new()
    }
}

fn nothing(name: &str) -> Extension {
    Extension::placement(name, "places nothing", |_| Ok(Nothing))
}

fn scenario(policies: &str) -> orrery_engine::scenario::Scenario {
    let text = format!(
        "name = \"t\"\nseed = 1\nduration_s = 60\n[[hosts]]\ntype = \"h\"\ncount = 1\n\
         cores = 1\ncore_mips = 1000\nmemory_mb = 1024\n\
         power = {{ model = \"linear\", idle_w = 1.0, max_w = 2.0 }}\n\
         [[vm_types]]\nname = \"v\"\nvcpus = 1\nmips = 100\nmemory_mb = 64\n\
         [[workload.generators]]\nvm_type = \"v\"\ncount = 1\n\
         arrival = {{ process = \"batch\", at_s = 0 }}\n\
         utilisation = {{ pattern = \"constant\", level = 0.5 }}\n\
         [policies]\n{policies}\n"
    );
    orrery_engine::scenario::Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap()
}

#[test]
fn names_are_unique_and_never_shadow_a_built_in() {
    let e = register(nothing("first-fit")).unwrap_err();
    assert!(e.contains("built-in placement"), "{e}");
    register(nothing("ext-test-unique")).unwrap();
    let e = register(nothing("ext-test-unique")).unwrap_err();
    assert!(e.contains("already registered"), "{e}");
    // A reallocation may share a placement's name: the key says which is meant.
    assert!(unregister(Kind::Placement, "ext-test-unique"));
    assert!(!unregister(Kind::Placement, "ext-test-unique"));
    register(nothing("ext-test-unique")).unwrap();
}

#[test]
fn declarations_are_checked_when_registered() {
    let bad_default = nothing("ext-test-bad").param(ParamSpec::float("x", 2.0, 0.0, 1.0, ""));
    assert!(register(bad_default)
        .unwrap_err()
        .contains("default of `x`"));
    let twice = nothing("ext-test-twice")
        .param(ParamSpec::boolean("x", true, ""))
        .param(ParamSpec::boolean("x", false, ""));
    assert!(register(twice).unwrap_err().contains("declared twice"));
    assert!(register(nothing("has space"))
        .unwrap_err()
        .contains("letters"));
}

#[test]
fn parameters_default_widen_and_are_range_checked() {
    let seen = Arc::new(RwLock::new(Params::default()));
    let keep = seen.clone();
    register(
        Extension::placement("ext-test-params", "", move |cx| {
            *keep.write().unwrap() = cx.params.clone();
            Ok(Nothing)
        })
        .param(ParamSpec::float("f", 0.5, 0.0, 10.0, "a float"))
        .param(ParamSpec::integer("i", 3, 1, 5, "an integer"))
        .param(ParamSpec::string("s", "a", &["a", "b"], "a choice")),
    )
    .unwrap();
    let s = scenario("placement = \"ext-test-params\"\n[policies.params.ext-test-params]\nf = 7");
    cloud_os(&s, 1).unwrap();
    let p = seen.read().unwrap().clone();
    // An integer is accepted for a float; unset keys take their defaults.
    assert_eq!((p.float("f"), p.integer("i"), p.string("s")), (7.0, 3, "a"));
    for (line, expect) in [
        ("i = 6", "`6` is out of range (1 ..= 5)"),
        ("s = \"c\"", "`\"c\"` is out of range (a | b)"),
        ("f = 10.5", "out of range (0.0 ..= 10.0)"),
        ("i = 1.5", "expected an integer, found float"),
    ] {
        let s = scenario(&format!(
            "placement = \"ext-test-params\"\n[policies.params.ext-test-params]\n{line}"
        ));
        let e = cloud_os(&s, 1).err().unwrap().to_string();
        assert!(e.contains(expect), "{line}: {e}");
        assert!(
            e.contains("policies.params.ext-test-params."),
            "{line}: {e}"
        );
    }
    // Parameters for an extension the file does not name are a typo.
    let s = scenario("placement = \"first-fit\"\n[policies.params.ext-test-params]\nf = 1");
    let e = cloud_os(&s, 1).err().unwrap().to_string();
    assert!(e.contains("which no [policies] key names"), "{e}");
}

#[test]
fn a_factory_refusal_is_located_at_the_policy() {
    register(Extension::placement("ext-test-refuses", "", |_| {
        Err::<Nothing, _>("needs a GPU host".to_string())
    }))
    .unwrap();
    let s = scenario("placement = \"ext-test-refuses\"");
    let e = cloud_os(&s, 1).err().unwrap().to_string();
    assert!(
        e.contains("policies.placement") && e.contains("needs a GPU host"),
        "{e}"
    );
}
