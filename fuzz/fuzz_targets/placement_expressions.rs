//! Requirement and rank expressions (OpenNebula's SCHED_REQUIREMENTS / SCHED_RANK), parsed in
//! both dialects (orrery's and OpenNebula's own) and evaluated against a host with numbers,
//! strings, lists and missing attributes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_policies::expr::{Attributes, Dialect, Rank, Requirement, Value};

struct Host;

impl Attributes for Host {
    fn get(&self, name: &str) -> Option<Value> {
        match name {
            "FREE_CPU" => Some(Value::Num(1200.0)),
            "HYPERVISOR" => Some(Value::Str("kvm".into())),
            "HOSTNAME" => Some(Value::Str("node-7".into())),
            "NETWORKS" => Some(Value::List(vec!["a".into(), "b".into()])),
            "ZERO" => Some(Value::Num(0.0)),
            _ => None,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Dialect::Orrery, Dialect::OpenNebula] {
        if let Ok(r) = Requirement::parse_in(text, dialect) {
            let _ = r.eval(&Host);
        }
        if let Ok(r) = Rank::parse_in(text, dialect) {
            let _ = r.eval(&Host);
        }
    }
});
