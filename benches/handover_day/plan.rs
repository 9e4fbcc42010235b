//! The handover day to simulate, fixed by a seed before it starts: which unit each job serves,
//! each visit's outcome and issues — and therefore every fact the server must end up holding.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How a visit ends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// 收楼, signed.
    Accepted,
    /// 拒收, with a reason.
    Refused,
    /// 只看房不收楼.
    OnlyLooked,
}

/// One issue the customer raises.
pub struct IssuePlan {
    /// Trade code.
    pub trade: &'static str,
    /// What they say.
    pub description: &'static str,
    /// Judged reasonable (becomes a rectification item) or not.
    pub reasonable: bool,
    /// Judged with its own request after it was recorded, rather than on the spot.
    pub judged_later: bool,
}

/// One visit.
pub struct VisitPlan {
    /// Its ending.
    pub ending: Ending,
    /// The issues raised, 0–5.
    pub issues: Vec<IssuePlan>,
}

/// The visits of one unit, in order (a refusal may be followed by an acceptance).
pub struct Job {
    /// Index into the batch's units.
    pub unit: usize,
    /// Its visits.
    pub visits: Vec<VisitPlan>,
}

/// Every fact the plan records, as the server should count it.
#[derive(Default, Debug, Clone, Copy)]
pub struct Expected {
    /// Visits.
    pub visits: i64,
    /// Accepted visits (= units delivered = signatures).
    pub accepted: i64,
    /// Refused visits.
    pub refused: i64,
    /// Only-looked visits.
    pub only_looked: i64,
    /// Issues.
    pub issues: i64,
    /// Issues judged reasonable (= rectification items).
    pub reasonable: i64,
    /// Issues judged unreasonable.
    pub unreasonable: i64,
    /// Meter readings.
    pub meters: i64,
    /// Key rows (kinds handed per visit).
    pub key_rows: i64,
    /// Keys handed, summed.
    pub keys: i64,
    /// Documents handed.
    pub documents: i64,
}

const ISSUES: [(&str, &str); 8] = [
    ("civil", "墙面空鼓"),
    ("civil", "阴阳角不顺直"),
    ("doors_windows", "推拉窗开启不顺"),
    ("doors_windows", "入户门划痕"),
    ("plumbing", "地漏倒泛水"),
    ("electrical", "插座无电"),
    ("waterproofing", "卫生间墙角渗水"),
    ("civil", "想把隔墙拆掉"),
];

/// Keys handed at an accepted visit, per kind of the project's list.
pub const KEYS_PER_KIND: i64 = 2;

/// Plans `visits` visits over at most `units` units: most customers accept at once, some
/// refuse, some only look, and some refuse and come back to accept.
pub fn plan(visits: usize, units: usize, seed: u64) -> Vec<Job> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut jobs = Vec::new();
    let mut planned = 0;
    while planned < visits && jobs.len() < units {
        let roll = rng.gen_range(0..100);
        let endings: &[Ending] = match roll {
            0..6 if visits - planned >= 2 => &[Ending::Refused, Ending::Accepted],
            0..10 => &[Ending::Refused],
            10..15 => &[Ending::OnlyLooked],
            _ => &[Ending::Accepted],
        };
        let visits = endings
            .iter()
            .map(|e| VisitPlan {
                ending: *e,
                issues: (0..rng.gen_range(0..=5)).map(|_| issue(&mut rng)).collect(),
            })
            .collect::<Vec<_>>();
        planned += visits.len();
        jobs.push(Job {
            unit: jobs.len(),
            visits,
        });
    }
    jobs
}

fn issue(rng: &mut StdRng) -> IssuePlan {
    let (trade, description) = ISSUES[rng.gen_range(0..ISSUES.len())];
    IssuePlan {
        trade,
        description,
        reasonable: rng.gen_bool(0.6),
        judged_later: rng.gen_bool(0.25),
    }
}

/// What the plan records, with `keys` kinds of keys and `documents` documents per acceptance.
pub fn expected(jobs: &[Job], keys: usize, documents: usize) -> Expected {
    let mut e = Expected::default();
    for v in jobs.iter().flat_map(|j| &j.visits) {
        e.visits += 1;
        e.issues += v.issues.len() as i64;
        let reasonable = v.issues.iter().filter(|i| i.reasonable).count() as i64;
        e.reasonable += reasonable;
        e.unreasonable += v.issues.len() as i64 - reasonable;
        match v.ending {
            Ending::Accepted => {
                e.accepted += 1;
                e.meters += 3;
                e.key_rows += keys as i64;
                e.keys += keys as i64 * KEYS_PER_KIND;
                e.documents += documents as i64;
            }
            Ending::Refused => e.refused += 1,
            Ending::OnlyLooked => e.only_looked += 1,
        }
    }
    e
}
