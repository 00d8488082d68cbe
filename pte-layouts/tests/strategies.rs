//! The registry and the strategy set, on every listed layout: each layout name reaches its
//! type, with a lock bit exactly when its entry has one, and each strategy kind reaches the
//! strategy of its name, by reference and by constructor.

use pte_core::fault::{
    NeedsLockBit, NewStrategyVisitor, Strategies, Strategy, StrategyKind, StrategyVisitor,
};
use pte_core::{Arch, CompareExchange, LayoutEntry, LockBit};
use pte_layouts::{LAYOUTS, LayoutVisitor, visit_layout};

/// The names of the strategies each form reaches, and whether the type had a lock bit.
struct Names;

/// A strategy's `NAME`, by either form.
struct Name;

impl<A: Arch> StrategyVisitor<A> for Name {
    type Output = &'static str;
    fn visit<S: Strategy<A>>(self, _: &S) -> &'static str {
        S::NAME
    }
}

impl<A: Arch> NewStrategyVisitor<A> for Name {
    type Output = &'static str;
    fn visit<S: Strategy<A>>(self, _: fn() -> S) -> &'static str {
        S::NAME
    }
}

type Found = (
    &'static str,
    bool,
    Vec<Result<[&'static str; 2], NeedsLockBit>>,
);

impl LayoutVisitor for Names {
    type Output = Found;

    fn visit<A: Arch + CompareExchange>(self, entry: &'static LayoutEntry) -> Found {
        let set = Strategies::new();
        let names = StrategyKind::ALL
            .map(|k| {
                Ok([
                    set.try_with::<A, _>(k, Name)?,
                    k.try_with_new::<A, _>(Name)?,
                ])
            })
            .to_vec();
        assert_eq!(A::LAYOUT.name, entry.layout.name);
        (A::LAYOUT.name, false, names)
    }

    fn visit_locked<A: LockBit + CompareExchange>(self, entry: &'static LayoutEntry) -> Found {
        let set = Strategies::new();
        let names = StrategyKind::ALL
            .map(|k| Ok([set.with::<A, _>(k, Name), k.with_new::<A, _>(Name)]))
            .to_vec();
        assert_eq!(A::LAYOUT.name, entry.layout.name);
        (A::LAYOUT.name, true, names)
    }
}

#[test]
fn every_name_reaches_its_type_and_every_kind_its_strategy() {
    assert_eq!(LAYOUTS.len(), 16);
    for e in LAYOUTS {
        let (name, locked, names) = visit_layout(e.layout.name, Names).expect("a listed name");
        assert_eq!(name, e.layout.name);
        assert_eq!(locked, e.lock.is_some(), "{name}");
        for (kind, found) in StrategyKind::ALL.into_iter().zip(names) {
            match found {
                Ok(both) => assert_eq!(both, [kind.name(); 2], "{name}"),
                Err(NeedsLockBit(k)) => {
                    assert_eq!(k, kind);
                    assert!(kind.needs_lock_bit() && !locked, "{name} {}", kind.name());
                }
            }
        }
    }
    assert!(visit_layout("x86_64/9.9", Names).is_none());
}

#[test]
fn kinds_round_trip_their_names() {
    for kind in StrategyKind::ALL {
        assert_eq!(StrategyKind::from_name(kind.name()), Some(kind));
    }
    assert_eq!(StrategyKind::from_name("MM-LOCK"), None);
}

#[test]
fn diagram_paths() {
    let p = pte_layouts::diagram_path("i386-pae/2.6.8").expect("listed");
    assert_eq!(p.to_string(), "arch-i386/diagrams/i386-pae-2.6.8.txt");
    assert!(pte_layouts::diagram_path("i386/9").is_none());
}
