//! Reviewer's test: a failed thread spawn must not hang `Machine::run`.

use std::process::Command;
use std::time::{Duration, Instant};

use pte_machine::{Machine, Profile};

/// R7. `Machine::run` spawns the vCPU threads inside `thread::scope` and `.expect()`s each
/// spawn. If spawn k fails (address-space or thread limits; here `ulimit -v`), the main
/// thread panics inside the scope, the scope then joins the k threads already spawned, and
/// those wait in `wait_for` for a token nobody will ever hand out: the process hangs.
#[test]
fn a_failed_spawn_does_not_hang() {
    if std::env::var_os("REVIEW_SPAWN_CHILD").is_some() {
        let m = Machine::new(Profile::find("altix-512").unwrap());
        let _ = std::panic::catch_unwind(|| m.run("mm-lock", 512, |t| t));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 300000; exec {} --exact a_failed_spawn_does_not_hang --nocapture",
            exe.display()
        ))
        .env("REVIEW_SPAWN_CHILD", "1")
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            eprintln!("child exited: {status}");
            return;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("Machine::run hung for 30 s after a thread failed to spawn");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
