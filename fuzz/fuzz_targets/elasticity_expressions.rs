//! Elasticity rule expressions (OneFlow's `expression`), parsed and evaluated over roles' VM
//! metrics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_policies::elasticity::expr::Expression;
use orrery_policies::elasticity::RoleMetrics;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = Expression::parse(text) {
        let metrics =
            RoleMetrics::from_vms([vec![("CPU", 80.0), ("MEMORY", 512.0)], vec![("CPU", 20.0)]]);
        let _ = e.eval(&metrics);
        let _ = e.eval(&RoleMetrics::from_vms(Vec::<Vec<(&str, f64)>>::new()));
    }
});
