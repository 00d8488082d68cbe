//! loom models of the slot's orderings: `RUSTFLAGS="--cfg loom" cargo test -p pte-core
//! --test loom --release`. Each model has a negative control that loom must catch.
#![cfg(loom)]

use arch_x86_64::{Flags6_6, X86_64_6_6};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use pte_core::{Pte, PteSlot};

/// A page: contents written by the installer, read by whoever sees the PTE.
struct Page(UnsafeCell<u64>);
unsafe impl Sync for Page {}

fn install(slot: &PteSlot<X86_64_6_6>, page: &Page, zero_first: bool) -> bool {
    let pte = Pte::<X86_64_6_6>::present(1, Flags6_6::RW).unwrap();
    if zero_first {
        page.0.with_mut(|p| unsafe { *p = 0xfeed });
    }
    let won = slot.compare_exchange(Pte::none(), pte).is_ok();
    if !zero_first && won {
        // Deliberately broken: the contents are written after publication.
        page.0.with_mut(|p| unsafe { *p = 0xfeed });
    }
    won
}

/// Reads the page the PTE maps (pfn 1 → `pages[0]`, pfn 2 → `pages[1]`).
fn reader(slot: &PteSlot<X86_64_6_6>, pages: &[Page]) {
    if let Some(pfn) = slot.load().pfn() {
        let v = pages[pfn as usize - 1].0.with(|p| unsafe { *p });
        assert_eq!(v, 0xfeed, "a reader saw the page before its contents");
    }
}

/// Two installers race on one empty PTE while a reader walks it: one wins, and the reader
/// never sees the page before its contents (Release CAS / Acquire load).
#[test]
fn publication_two_installers_and_a_reader() {
    loom::model(|| {
        let slot = Arc::new(PteSlot::<X86_64_6_6>::default());
        let pages: Arc<[Page; 2]> = Arc::new([Page(UnsafeCell::new(0)), Page(UnsafeCell::new(0))]);
        let (s, p) = (slot.clone(), pages.clone());
        let a = loom::thread::spawn(move || install(&s, &p[0], true));
        let (s, p) = (slot.clone(), pages.clone());
        let r = loom::thread::spawn(move || reader(&s, &p[..]));
        // The second installer writes its own page: only one of them may be mapped.
        let won_b = {
            let pte = Pte::<X86_64_6_6>::present(2, Flags6_6::RW).unwrap();
            pages[1].0.with_mut(|q| unsafe { *q = 0xfeed });
            slot.compare_exchange(Pte::none(), pte).is_ok()
        };
        let won_a = a.join().unwrap();
        r.join().unwrap();
        assert!(won_a ^ won_b, "exactly one installer wins");
    });
}

/// Negative control: publishing before writing the contents must be caught.
#[test]
#[should_panic(expected = "Causality violation")]
fn negative_control_publish_before_contents() {
    loom::model(|| {
        let slot = Arc::new(PteSlot::<X86_64_6_6>::default());
        let page = Arc::new([Page(UnsafeCell::new(0))]);
        let (s, p) = (slot.clone(), page.clone());
        let w = loom::thread::spawn(move || install(&s, &p[0], false));
        reader(&slot, &page[..]);
        w.join().unwrap();
    });
}
