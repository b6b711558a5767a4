//! ECS task placement for the EC2 launch type (reference §7), the pure part: placement
//! strategies and constraints as data, the cluster query language of `memberOf`, and the
//! narrowing step that chains strategies.
//!
//! AWS's process is: instances with the CPU, memory, ENIs and ports the task needs, then those
//! that satisfy the constraints, then the strategies in order, then select. The simulation
//! builds the candidates (it knows the instances); this module says which of them win.

use std::collections::BTreeSet;

use serde::Serialize;

/// A placement strategy rule (`PlacementStrategy`): best effort, applied in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "field", rename_all = "snake_case")]
pub enum Strategy {
    /// "the least available amount of the resource … but still enough to run the task".
    Binpack(Resource),
    /// Evenly over the values of a field, relative to the tasks of the same service.
    Spread(SpreadField),
    Random,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Cpu,
    Memory,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpreadField {
    /// `instanceId` (or its synonym `host`).
    InstanceId,
    /// `attribute:NAME`, such as `attribute:ecs.availability-zone`.
    Attribute(String),
}

/// The attribute ECS's default replica placement and most spreads use.
pub const AVAILABILITY_ZONE: &str = "ecs.availability-zone";

/// A placement constraint: binding, it can prevent placement.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Constraint {
    /// Each task of the service on a different instance.
    DistinctInstance,
    /// Only instances that satisfy the expression.
    MemberOf { expression: Expression },
}

/// What the strategies read about the instances a task may go to, for the service being placed.
pub trait Candidates {
    fn free_cpu(&self, instance: u32) -> u32;
    fn free_memory(&self, instance: u32) -> u32;
    /// The service's tasks on the instance.
    fn tasks_on(&self, instance: u32) -> u32;
    /// The service's tasks in the instance's zone.
    fn tasks_in_zone(&self, instance: u32) -> u32;
    /// The service's tasks on instances with the same value of `attribute` as this one.
    fn tasks_with_same(&self, instance: u32, attribute: &str) -> u32;
}

/// ECS's placement for a replica service that names no strategy: "the fewest number of running
/// tasks for this service in their respective Availability Zone", then "the fewest number of
/// running tasks for this service" on the instance (§7).
pub fn replica_default() -> [Strategy; 2] {
    [Strategy::Spread(SpreadField::Attribute(AVAILABILITY_ZONE.into())), Strategy::Spread(SpreadField::InstanceId)]
}

/// Applies the strategies in order to `candidates` (the instances with room that satisfy the
/// constraints, oldest first), each keeping its best, and takes the oldest left. `None` when
/// there is no candidate.
pub fn choose(
    mut candidates: Vec<u32>,
    strategies: &[Strategy],
    view: &impl Candidates,
    rng: &mut impl rand::Rng,
) -> Option<u32> {
    for strategy in strategies {
        if candidates.len() <= 1 {
            break;
        }
        match strategy {
            Strategy::Binpack(Resource::Cpu) => keep_least(&mut candidates, |&i| i64::from(view.free_cpu(i))),
            Strategy::Binpack(Resource::Memory) => keep_least(&mut candidates, |&i| i64::from(view.free_memory(i))),
            Strategy::Spread(SpreadField::InstanceId) => keep_least(&mut candidates, |&i| i64::from(view.tasks_on(i))),
            Strategy::Spread(SpreadField::Attribute(name)) if name == AVAILABILITY_ZONE => {
                keep_least(&mut candidates, |&i| i64::from(view.tasks_in_zone(i)))
            }
            Strategy::Spread(SpreadField::Attribute(name)) => {
                keep_least(&mut candidates, |&i| i64::from(view.tasks_with_same(i, name)))
            }
            Strategy::Random => {
                let pick = rng.random_range(0..candidates.len());
                candidates = vec![candidates[pick]];
            }
        }
    }
    candidates.first().copied()
}

/// The ACTIVE instances of a capacity provider, where tasks are placed: in launch order (the
/// oldest first; instance numbers grow with launches), and, for binpack, those with room for the
/// smallest task that may come ordered by free CPU and by free memory, so that the tightest fit
/// is found without looking at every instance (full ones are not in the order at all).
#[derive(Clone, Debug)]
pub struct ActiveInstances {
    order: Vec<u32>,
    by_cpu: BTreeSet<(u32, u32)>,
    by_memory: BTreeSet<(u32, u32)>,
    /// The least CPU units and MiB a task placed here reserves.
    smallest: (u32, u32),
}

impl ActiveInstances {
    pub fn new(smallest: (u32, u32)) -> Self {
        ActiveInstances { order: Vec::new(), by_cpu: BTreeSet::new(), by_memory: BTreeSet::new(), smallest }
    }

    /// An instance with `free` (CPU units, MiB) becomes ACTIVE.
    pub fn insert(&mut self, instance: u32, free: (u32, u32)) {
        // Instances register out of launch order when boot times vary.
        let at = self.order.partition_point(|&i| i < instance);
        self.order.insert(at, instance);
        self.order_by_free(instance, free);
    }

    fn order_by_free(&mut self, instance: u32, (cpu, memory): (u32, u32)) {
        if cpu >= self.smallest.0 && memory >= self.smallest.1 {
            self.by_cpu.insert((cpu, instance));
            self.by_memory.insert((memory, instance));
        }
    }

    /// The instance takes no more tasks; `free` is what it has free now.
    pub fn remove(&mut self, instance: u32, (cpu, memory): (u32, u32)) {
        if let Ok(at) = self.order.binary_search(&instance) {
            self.order.remove(at);
            self.by_cpu.remove(&(cpu, instance));
            self.by_memory.remove(&(memory, instance));
        }
    }

    /// The instance's free resources changed from `old` to `new` (if it is here).
    pub fn resize(&mut self, instance: u32, old: (u32, u32), new: (u32, u32)) {
        if self.order.binary_search(&instance).is_ok() {
            self.by_cpu.remove(&(old.0, instance));
            self.by_memory.remove(&(old.1, instance));
            self.order_by_free(instance, new);
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn in_launch_order(&self) -> &[u32] {
        &self.order
    }

    /// Binpack's first step without a scan: the instances with the least of `resource` free, at
    /// least `need`, that `accept` (the rest of the room and the constraints), oldest first.
    pub fn tightest(&self, resource: Resource, need: u32, accept: impl Fn(u32) -> bool) -> Vec<u32> {
        let by_free = match resource {
            Resource::Cpu => &self.by_cpu,
            Resource::Memory => &self.by_memory,
        };
        let mut tightest: Option<u32> = None;
        let mut found = Vec::new();
        for &(free, instance) in by_free.range((need, 0)..) {
            if tightest.is_some_and(|t| free > t) {
                break;
            }
            if accept(instance) {
                tightest = Some(free);
                found.push(instance);
            }
        }
        found
    }
}

/// Keeps the candidates with the least `key`, in their order.
pub fn keep_least<T>(candidates: &mut Vec<T>, key: impl Fn(&T) -> i64) {
    let Some(least) = candidates.iter().map(&key).min() else { return };
    candidates.retain(|c| key(c) == least);
}

/// Keeps the candidates with the greatest `key`, in their order.
pub fn keep_greatest<T>(candidates: &mut Vec<T>, key: impl Fn(&T) -> i64) {
    keep_least(candidates, |c| -key(c));
}

/// A `memberOf` expression in the cluster query language, the subset capacity planners use:
/// `attribute:NAME` subjects; operators `==`, `!=`, `in`, `!in`, `=~`, `!~`, `exists`,
/// `!exists`; `and`, `or` and parentheses. `=~` matches a regular expression against the
/// whole value, e.g. `attribute:ecs.instance-type =~ m6i.*`.
#[derive(Clone, Debug, Serialize)]
#[serde(into = "String")]
pub struct Expression {
    text: String,
    node: Node,
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl From<Expression> for String {
    fn from(expression: Expression) -> String {
        expression.text
    }
}

#[derive(Clone, Debug)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Predicate { attribute: String, op: Op, values: Vec<String>, pattern: Option<regex_lite::Regex> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    In,
    NotIn,
    Matches,
    NotMatches,
    Exists,
    NotExists,
}

const OPERATORS: [(&str, Op); 8] = [
    ("==", Op::Equal),
    ("!=", Op::NotEqual),
    ("in", Op::In),
    ("!in", Op::NotIn),
    ("=~", Op::Matches),
    ("!~", Op::NotMatches),
    ("exists", Op::Exists),
    ("!exists", Op::NotExists),
];

impl Expression {
    /// Parses `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_EXPRESSION_LENGTH {
            return Err(format!(
                "the expression is {} characters long; PlacementConstraint allows at most {MAX_EXPRESSION_LENGTH}",
                text.len()
            ));
        }
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Err("the expression is empty; expected e.g. `attribute:ecs.instance-type == m6i.large`".into());
        }
        let mut parser = Parser { tokens: &tokens, at: 0, depth: 0 };
        let node = parser.or()?;
        if let Some(extra) = parser.peek() {
            return Err(format!(
                "unexpected `{extra}` after a complete expression; join conditions with `and` or `or`"
            ));
        }
        Ok(Expression { text: text.to_owned(), node })
    }

    /// Whether an instance with these attributes satisfies the expression.
    pub fn matches<'a>(&self, attribute: &impl Fn(&str) -> Option<&'a str>) -> bool {
        self.node.matches(attribute)
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

impl Node {
    fn matches<'a>(&self, attribute: &impl Fn(&str) -> Option<&'a str>) -> bool {
        match self {
            Node::Or(parts) => parts.iter().any(|p| p.matches(attribute)),
            Node::And(parts) => parts.iter().all(|p| p.matches(attribute)),
            Node::Predicate { attribute: name, op, values, pattern } => {
                let value = attribute(name);
                match op {
                    Op::Exists => value.is_some(),
                    Op::NotExists => value.is_none(),
                    Op::Equal => value == Some(values[0].as_str()),
                    Op::NotEqual => value != Some(values[0].as_str()),
                    Op::In => value.is_some_and(|v| values.iter().any(|x| x == v)),
                    Op::NotIn => !value.is_some_and(|v| values.iter().any(|x| x == v)),
                    Op::Matches => value.is_some_and(|v| pattern.as_ref().expect("parsed").is_match(v)),
                    Op::NotMatches => !value.is_some_and(|v| pattern.as_ref().expect("parsed").is_match(v)),
                }
            }
        }
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || "()[],".contains(c) {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// PlacementConstraint `expression`: "The maximum length is 2000 characters" (ECS API).
const MAX_EXPRESSION_LENGTH: usize = 2_000;
/// Parentheses nested deeper than this are refused: the parser recurses once per level, and
/// no real expression needs more.
const MAX_NESTING: usize = 32;

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
    /// Parentheses open at this point.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<&'a str> {
        let token = self.tokens.get(self.at).map(String::as_str);
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.and()?];
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("or")) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Node::Or(parts) })
    }

    fn and(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.factor()?];
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("and")) {
            self.at += 1;
            parts.push(self.factor()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Node::And(parts) })
    }

    fn factor(&mut self) -> Result<Node, String> {
        match self.next() {
            Some("(") => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(format!("parentheses nested more than {MAX_NESTING} deep"));
                }
                let node = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(")") => Ok(node),
                    other => Err(format!("expected `)`, found {}", shown(other))),
                }
            }
            Some(subject) => {
                let Some(attribute) = subject.strip_prefix("attribute:").filter(|a| !a.is_empty()) else {
                    return Err(format!(
                        "found `{subject}` where a subject belongs; ecsim's subjects are `attribute:NAME`, e.g. `attribute:ecs.instance-type`"
                    ));
                };
                let attribute = attribute.to_owned();
                let op_text = self.next();
                let Some(&(_, op)) = OPERATORS.iter().find(|(name, _)| Some(*name) == op_text) else {
                    let names: Vec<&str> = OPERATORS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "expected an operator after `{subject}` ({}), found {}",
                        names.join(", "),
                        shown(op_text)
                    ));
                };
                let values = match op {
                    Op::Exists | Op::NotExists => Vec::new(),
                    Op::In | Op::NotIn => self.list()?,
                    _ => match self.next() {
                        Some(v) if !"()[],".contains(v) => vec![v.to_owned()],
                        other => return Err(format!("expected a value after `{subject}`, found {}", shown(other))),
                    },
                };
                let pattern = match op {
                    Op::Matches | Op::NotMatches => Some(
                        regex_lite::Regex::new(&format!("^(?:{})$", values[0]))
                            .map_err(|e| format!("`{}` is not a valid pattern: {e}", values[0]))?,
                    ),
                    _ => None,
                };
                Ok(Node::Predicate { attribute, op, values, pattern })
            }
            None => Err("the expression ends where a condition belongs".into()),
        }
    }

    /// `[a, b, c]`.
    fn list(&mut self) -> Result<Vec<String>, String> {
        match self.next() {
            Some("[") => {}
            other => {
                return Err(format!("`in` takes a list such as `[m6i.large, m6i.xlarge]`, found {}", shown(other)));
            }
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Some("]") if !values.is_empty() => return Ok(values),
                Some(v) if !"()[],".contains(v) => values.push(v.to_owned()),
                other => return Err(format!("expected a value in the list, found {}", shown(other))),
            }
            match self.next() {
                Some(",") => {}
                Some("]") => return Ok(values),
                other => return Err(format!("expected `,` or `]` in the list, found {}", shown(other))),
            }
        }
    }
}

fn shown(token: Option<&str>) -> String {
    token.map_or_else(|| "the end of the expression".to_owned(), |t| format!("`{t}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An m6i.large in us-east-1a with a custom `stack = prod` attribute.
    fn instance(name: &str) -> Option<&'static str> {
        match name {
            "ecs.instance-type" => Some("m6i.large"),
            "ecs.availability-zone" => Some("us-east-1a"),
            "ecs.cpu-architecture" => Some("x86_64"),
            "stack" => Some("prod"),
            _ => None,
        }
    }

    fn holds(text: &str) -> bool {
        Expression::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).matches(&instance)
    }

    #[test]
    fn every_operator_against_a_known_instance() {
        assert!(holds("attribute:ecs.instance-type == m6i.large"));
        assert!(!holds("attribute:ecs.instance-type == m6i.xlarge"));
        assert!(holds("attribute:ecs.instance-type != t3.medium"));
        assert!(holds("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"));
        assert!(!holds("attribute:ecs.availability-zone !in [us-east-1a]"));
        assert!(holds("attribute:ecs.instance-type =~ m6i.*"));
        assert!(!holds("attribute:ecs.instance-type =~ m6"), "a pattern matches the whole value");
        assert!(holds("attribute:ecs.instance-type !~ t3.*"));
        assert!(holds("attribute:stack exists"));
        assert!(holds("attribute:team !exists"));
        // A missing attribute is never equal, never in a list, and always "not in" one.
        assert!(!holds("attribute:team == prod"));
        assert!(holds("attribute:team !in [a]"));
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        assert!(holds("attribute:stack == dev or attribute:ecs.cpu-architecture == x86_64"));
        assert!(!holds("attribute:stack == dev and attribute:ecs.cpu-architecture == x86_64"));
        // false and true or true → (false and true) or true → true
        assert!(holds("attribute:stack == dev and attribute:stack exists or attribute:stack == prod"));
        // false and (true or true) → false
        assert!(!holds("attribute:stack == dev and (attribute:stack exists or attribute:stack == prod)"));
    }

    #[test]
    fn malformed_expressions_say_what_is_wrong() {
        for (text, says) in [
            ("", "empty"),
            ("ecs.instance-type == m5.large", "subject"),
            ("attribute:ecs.instance-type = m5.large", "expected an operator"),
            ("attribute:ecs.instance-type ==", "expected a value"),
            ("attribute:ecs.instance-type in m5.large", "takes a list"),
            ("attribute:ecs.instance-type in [m5.large", "expected `,` or `]`"),
            ("(attribute:stack exists", "expected `)`"),
            ("attribute:stack exists attribute:x exists", "unexpected"),
            ("attribute:ecs.instance-type =~ m5\\", "not a valid pattern"),
        ] {
            let error = Expression::parse(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    /// A hand-drawn cluster: per instance its zone, free CPU units and MiB, and the service's
    /// tasks on it.
    struct Drawn(Vec<(u32, u32, u32, u32)>);

    impl Candidates for Drawn {
        fn free_cpu(&self, i: u32) -> u32 {
            self.0[i as usize].1
        }
        fn free_memory(&self, i: u32) -> u32 {
            self.0[i as usize].2
        }
        fn tasks_on(&self, i: u32) -> u32 {
            self.0[i as usize].3
        }
        fn tasks_in_zone(&self, i: u32) -> u32 {
            let zone = self.0[i as usize].0;
            self.0.iter().filter(|x| x.0 == zone).map(|x| x.3).sum()
        }
        fn tasks_with_same(&self, i: u32, _: &str) -> u32 {
            self.tasks_in_zone(i)
        }
    }

    fn pick(drawn: &Drawn, strategies: &[Strategy]) -> u32 {
        let all: Vec<u32> = (0..drawn.0.len() as u32).collect();
        choose(all, strategies, drawn, &mut crate::engine::stream(1, "test")).unwrap()
    }

    /// Zone 0: instance 0 (1024 units, 4096 MiB free, 2 tasks), instance 1 (3072, 1024, 0).
    /// Zone 1: instance 2 (512, 6000, 1), instance 3 (2048, 2048, 1).
    fn drawn() -> Drawn {
        Drawn(vec![(0, 1024, 4096, 2), (0, 3072, 1024, 0), (1, 512, 6000, 1), (1, 2048, 2048, 1)])
    }

    #[test]
    fn binpack_takes_the_least_of_its_resource_left() {
        assert_eq!(pick(&drawn(), &[Strategy::Binpack(Resource::Cpu)]), 2, "512 units free");
        assert_eq!(pick(&drawn(), &[Strategy::Binpack(Resource::Memory)]), 1, "1024 MiB free");
    }

    #[test]
    fn spread_takes_the_emptiest_zone_then_instance() {
        // Zones hold 2 and 2 tasks: a tie; the default then takes the instance with the fewest.
        assert_eq!(pick(&drawn(), &replica_default()), 1);
        // No strategy at all: the oldest instance with room.
        assert_eq!(pick(&drawn(), &[]), 0);
        let mut uneven = drawn();
        uneven.0[0].3 = 5; // zone 0 holds 5, zone 1 holds 2
        let az = Strategy::Spread(SpreadField::Attribute(AVAILABILITY_ZONE.into()));
        // Spread on the zone alone keeps zone 1's instances 2 and 3; the oldest is taken.
        assert_eq!(pick(&uneven, std::slice::from_ref(&az)), 2);
        // Spread on the zone, then binpack on memory within it: instance 3 (2048 MiB).
        assert_eq!(pick(&uneven, &[az.clone(), Strategy::Binpack(Resource::Memory)]), 3);
        assert_eq!(pick(&uneven, &replica_default()), 2, "the default: zone 1, then fewest tasks (1 and 1: oldest)");
        assert_eq!(pick(&uneven, &[Strategy::Spread(SpreadField::InstanceId)]), 1, "no task on instance 1");
    }

    #[test]
    fn random_is_seeded_and_takes_every_instance() {
        let drawn = drawn();
        let mut rng = crate::engine::stream(7, "random");
        let mut seen = [0; 4];
        for _ in 0..400 {
            seen[choose(vec![0, 1, 2, 3], &[Strategy::Random], &drawn, &mut rng).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
        assert_eq!(choose(Vec::new(), &[], &drawn, &mut rng), None);
    }

    #[test]
    fn the_tightest_fit_is_found_in_order_of_free_resource() {
        // Smallest task 256 units / 512 MiB: instance 4 (100 units free) is full, not ordered.
        let mut active = ActiveInstances::new((256, 512));
        for (instance, free) in
            [(0, (1024, 4096)), (1, (512, 8000)), (2, (2048, 1024)), (3, (512, 2048)), (4, (100, 9000))]
        {
            active.insert(instance, free);
        }
        assert_eq!(active.in_launch_order(), [0, 1, 2, 3, 4]);
        // 512 units: instances 1 and 3 have exactly 512 free, oldest first.
        assert_eq!(active.tightest(Resource::Cpu, 512, |_| true), [1, 3]);
        // ...unless they cannot take it otherwise: then 0 (1024).
        assert_eq!(active.tightest(Resource::Cpu, 512, |i| i != 1 && i != 3), [0]);
        assert_eq!(active.tightest(Resource::Memory, 2000, |_| true), [3]);
        assert!(active.tightest(Resource::Cpu, 4096, |_| true).is_empty());
        // Instance 3 takes a task: 256 units and 1536 MiB left; 0 goes away.
        active.resize(3, (512, 2048), (256, 512));
        active.remove(0, (1024, 4096));
        assert_eq!(active.tightest(Resource::Cpu, 256, |_| true), [3]);
        assert_eq!(active.tightest(Resource::Memory, 4000, |_| true), [1]);
        // Registered late but launched early: still in launch order.
        active.insert(0, (4096, 16000));
        assert_eq!(active.in_launch_order(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn narrowing_keeps_every_tie_in_order() {
        let mut candidates = vec![(1, 5), (2, 3), (3, 3), (4, 9)];
        keep_least(&mut candidates, |c| c.1);
        assert_eq!(candidates, vec![(2, 3), (3, 3)]);
        let mut candidates = vec![(1, 5), (2, 9), (3, 9)];
        keep_greatest(&mut candidates, |c| c.1);
        assert_eq!(candidates, vec![(2, 9), (3, 9)]);
    }
}
