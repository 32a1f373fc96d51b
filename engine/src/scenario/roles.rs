//! The checks of a service's roles, shared by scenarios, live configs and decide states:
//! unique names, known VM types, bounds, and dependencies that exist and form no cycle.

use std::collections::BTreeMap;

use super::schema::ServiceSection;
use crate::error::InputError;

/// Checks the roles of service `s` (`services[s]` in the file): unique names, a known VM type
/// (`known_type`; the file calls them `types`: `vm_types`, or a live config's `templates`),
/// `min ≤ cardinality ≤ max`, request work where requests arrive, dependencies that exist and
/// form no cycle. Errors are located by `error_at`.
pub fn check_roles(
    s: usize,
    svc: &ServiceSection,
    types: &str,
    known_type: impl Fn(&str) -> bool,
    error_at: impl Fn(&str, String) -> InputError,
) -> Result<(), InputError> {
    let mut roles = BTreeMap::new();
    for (r, role) in svc.roles.iter().enumerate() {
        let at = |k: &str| format!("services[{s}].roles[{r}].{k}");
        if roles.insert(role.name.as_str(), r).is_some() {
            return Err(error_at(&at("name"), format!("role `{}` twice", role.name))
                .hint("give each role of a service its own name"));
        }
        if !known_type(&role.vm_type) {
            return Err(
                error_at(&at("vm_type"), format!("no VM type `{}`", role.vm_type))
                    .hint(format!("name one of the [[{types}]]")),
            );
        }
        if !(role.min() <= role.cardinality && role.cardinality <= role.max()) {
            return Err(error_at(
                &at("cardinality"),
                format!(
                    "cardinality {} is outside min_vms..=max_vms ({}..={})",
                    role.cardinality,
                    role.min(),
                    role.max()
                ),
            )
            .hint("start the role within its bounds"));
        }
        let positive = role.request_mi > 0.0 && role.request_mi.is_finite();
        if svc.requests.is_some() && !positive {
            return Err(error_at(
                &at("request_mi"),
                "must be a finite number > 0 with `requests`".into(),
            )
            .hint("the CPU work of one request in this tier, in million instructions"));
        }
    }
    // Dependencies exist and form no cycle (visited in file order, so errors are stable).
    for (r, role) in svc.roles.iter().enumerate() {
        for d in &role.depends_on {
            if !roles.contains_key(d.as_str()) {
                return Err(error_at(
                    &format!("services[{s}].roles[{r}].depends_on"),
                    format!("no role `{d}` in service `{}`", svc.name),
                )
                .hint("name another role of the same service"));
            }
        }
    }
    if let Some(r) = dependency_cycle(svc, &roles) {
        return Err(error_at(
            &format!("services[{s}].roles[{r}].depends_on"),
            format!(
                "the dependencies of role `{}` form a cycle",
                svc.roles[r].name
            ),
        )
        .hint("dependencies must form no cycle"));
    }
    Ok(())
}

/// A role on a dependency cycle, if there is one.
fn dependency_cycle(svc: &ServiceSection, index: &BTreeMap<&str, usize>) -> Option<usize> {
    // 0 unvisited, 1 on the stack, 2 done.
    fn visit(
        r: usize,
        svc: &ServiceSection,
        index: &BTreeMap<&str, usize>,
        mark: &mut [u8],
    ) -> bool {
        match mark[r] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        mark[r] = 1;
        for d in &svc.roles[r].depends_on {
            if visit(index[d.as_str()], svc, index, mark) {
                return true;
            }
        }
        mark[r] = 2;
        false
    }
    let mut mark = vec![0u8; svc.roles.len()];
    (0..svc.roles.len()).find(|&r| {
        let mut m = mark.clone();
        let cyclic = visit(r, svc, index, &mut m);
        if !cyclic {
            mark = m;
        }
        cyclic
    })
}
