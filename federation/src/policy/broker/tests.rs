use orrery_engine::time::{HOUR, SECOND};

use super::*;

fn cloud(name: &str, price: f64, mips: f64, energy: f64) -> CloudOffer {
    CloudOffer {
        name: name.to_string(),
        price_per_period: price,
        billing_period: HOUR,
        provisioning_delay: 60 * SECOND,
        mips,
        energy_per_hour: energy,
        quota_left: 10,
    }
}

/// 3.6 million MI: 2 h at 500 MIPS, 1 h at 1000, 15 min at 4000.
fn clouds() -> Vec<CloudOffer> {
    vec![
        cloud("cheap", 0.05, 500.0, 0.1),
        cloud("mid", 0.10, 1000.0, 0.3),
        cloud("fast", 0.40, 4000.0, 0.8),
    ]
}

fn request(budget: f64) -> Request {
    Request {
        work_mi: 3_600_000.0,
        vms: 1,
        deadline: 2 * HOUR,
        budget,
    }
}

#[test]
fn cheapest_feasible_cloud_within_the_deadline() {
    // cheap would finish at 60 s + 2 h, after the 2 h deadline, though it is cheapest.
    let pick = choose(&clouds(), &request(1.0), 0, Goal::Cheapest).unwrap();
    assert_eq!(pick.cloud, "mid");
    assert_eq!(pick.finish, 3_660 * SECOND);
    // 3660 s billed in 1 h periods: 2 periods of 0.10.
    assert!((pick.cost - 0.20).abs() < 1e-12);
    let fast = choose(&clouds(), &request(1.0), 0, Goal::Fastest).unwrap();
    assert_eq!((fast.cloud.as_str(), fast.finish), ("fast", 960 * SECOND));
    // Energy: mid 0.3 × 1 h = 0.3; fast 0.8 × 0.25 h = 0.2.
    let green = choose(&clouds(), &request(1.0), 0, Goal::Greenest).unwrap();
    assert_eq!(green.cloud, "fast");
    assert!((green.energy - 0.2).abs() < 1e-12);
}

#[test]
fn budget_and_quota_exclude_clouds_and_an_infeasible_request_says_why() {
    // Budget 0.3: fast (0.40) is out, so even the fastest goal gets mid.
    let pick = choose(&clouds(), &request(0.3), 0, Goal::Fastest).unwrap();
    assert_eq!(pick.cloud, "mid");
    let mut cs = clouds();
    cs[1].quota_left = 0;
    let err = choose(&cs, &request(0.3), 0, Goal::Cheapest).unwrap_err();
    assert_eq!(
        err.0,
        [
            (
                "cheap".to_string(),
                Unfit::Deadline {
                    finish: 7_260 * SECOND,
                    deadline: 2 * HOUR
                }
            ),
            ("mid".to_string(), Unfit::Quota { need: 1, left: 0 }),
            (
                "fast".to_string(),
                Unfit::Budget {
                    cost: 0.40,
                    budget: 0.3
                }
            ),
        ]
    );
    assert!(err
        .to_string()
        .starts_with("no feasible cloud: cheap would finish"));
}

#[test]
fn billing_aware_stop_costs_fewer_periods_than_stop_and_restart_under_bursts() {
    let bursts = [0, 1_200, 2_400, 5_000].map(|at| Burst {
        at: at * SECOND,
        busy: 600 * SECOND,
    });
    let deploy = 60 * SECOND;
    // Immediate: each burst starts a VM, busy 660 s < 1 h, one period each: 4 periods.
    let now = charge(&bursts, HOUR, 0.1, deploy, StopStrategy::Immediate);
    assert_eq!(
        (now.periods, now.starts, now.deploy_wait),
        (4, 4, 240 * SECOND)
    );
    // Aware: the first VM idles at 660 s with stop planned at 3480 s; the bursts at 1200 s
    // and 2400 s reuse it; stopped at 3480 s (1 period). The burst at 5000 s starts a second
    // VM, stopped at 8480 s (1 period).
    let margin = 120 * SECOND;
    let aware = charge(
        &bursts,
        HOUR,
        0.1,
        deploy,
        StopStrategy::BeforePeriodEnd { margin },
    );
    assert_eq!(
        (aware.periods, aware.starts, aware.deploy_wait),
        (2, 2, 120 * SECOND)
    );
    assert!((now.cost - 0.4).abs() < 1e-12 && (aware.cost - 0.2).abs() < 1e-12);
}

fn queue(waiting: u32, running: u32) -> QueueState {
    QueueState {
        waiting,
        running,
        booting: 0,
        exec_time: 60 * SECOND,
        deploy_time: 120 * SECOND,
    }
}

fn limits(until_deadline: Option<u64>, budget_left: f64, max_vms: u32) -> Limits {
    Limits {
        until_deadline,
        budget_left,
        price_per_period: 0.1,
        max_vms,
    }
}

#[test]
fn queue_length_drives_how_many_vms_start() {
    let free = limits(None, 10.0, 100);
    // No deadline: horizon 180 s; a running VM serves 3 calls, a new one 1.
    let plan = |w| vms_to_start(&queue(w, 1), &free);
    assert_eq!(
        plan(3),
        StartPlan {
            start: 0,
            unserved: 0
        }
    );
    assert_eq!(
        plan(5),
        StartPlan {
            start: 2,
            unserved: 0
        }
    );
    assert_eq!(
        plan(10),
        StartPlan {
            start: 7,
            unserved: 0
        }
    );
    // At most 5 VMs: 4 new ones, 3 calls left over.
    let capped = vms_to_start(&queue(10, 1), &limits(None, 10.0, 5));
    assert_eq!(
        capped,
        StartPlan {
            start: 4,
            unserved: 3
        }
    );
    // Deadline in 600 s: a running VM serves 10, a new one ⌊480 / 60⌋ = 8; 30 calls need 3.
    let deadline = limits(Some(600 * SECOND), 10.0, 100);
    assert_eq!(
        vms_to_start(&queue(30, 1), &deadline),
        StartPlan {
            start: 3,
            unserved: 0
        }
    );
    // Budget 0.25 affords 2 new VMs (a period each): 20 − 16 = 4 calls unserved.
    let poor = limits(Some(600 * SECOND), 0.25, 100);
    assert_eq!(
        vms_to_start(&queue(30, 1), &poor),
        StartPlan {
            start: 2,
            unserved: 4
        }
    );
    // A deadline sooner than a deployment: new VMs would not help.
    let tight = limits(Some(100 * SECOND), 10.0, 100);
    assert_eq!(
        vms_to_start(&queue(4, 1), &tight),
        StartPlan {
            start: 0,
            unserved: 3
        }
    );
}

#[test]
fn the_cloud_broker_pairs_calls_with_idle_vms_of_their_appliance() {
    let mut b = CloudBroker::new();
    for (id, app) in [(1, "wrf"), (2, "db"), (3, "wrf")] {
        b.submit(Call {
            id,
            appliance: app.to_string(),
            arrived: id * SECOND,
        });
    }
    b.vm_ready("wrf", 10);
    b.vm_ready("wrf", 11);
    assert!(b.vm_gone("wrf", 11));
    assert!(!b.vm_gone("db", 11));
    let pairs: Vec<(u64, u64)> = b.dispatch().into_iter().map(|(c, v)| (c.id, v)).collect();
    assert_eq!(pairs, [(1, 10)]);
    assert_eq!(
        (b.waiting("wrf"), b.waiting("db"), b.idle("wrf")),
        (1, 1, 0)
    );
}

#[test]
fn a_withdrawn_call_leaves_the_queue_and_the_rest_keep_their_order() {
    let mut b = CloudBroker::new();
    for id in 1..=3 {
        b.submit(Call {
            id,
            appliance: "wrf".to_string(),
            arrived: id * SECOND,
        });
    }
    assert_eq!(b.withdraw(2).map(|c| c.arrived), Some(2 * SECOND));
    assert_eq!(b.withdraw(2), None, "already gone");
    assert_eq!(b.waiting("wrf"), 2);
    b.vm_ready("wrf", 7);
    b.vm_ready("wrf", 8);
    let pairs: Vec<(u64, u64)> = b.dispatch().into_iter().map(|(c, v)| (c.id, v)).collect();
    assert_eq!(pairs, [(1, 7), (3, 8)]);
}
