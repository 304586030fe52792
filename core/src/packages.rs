//! Installing Debian packages where a database or a fault needs them: one
//! shell command, run on a node over its `Remote` or on the controller for
//! a local cluster (whose nodes share its filesystem and have no route to
//! a package mirror).

use crate::shell::quote;

/// How long an install may wait for another apt-get to let go of dpkg's
/// lock: nodes that set up in parallel on one machine queue for it
/// instead of failing.
const LOCK_WAIT_S: u32 = 600;

/// A POSIX shell command that installs whichever of `packages` are not
/// installed yet, and does nothing (exit 0) when all are. Installs that
/// faultline runs at once on one machine (tests in parallel, the nodes of
/// a local cluster) take turns under one lock, so that one never removes
/// the `policy-rc.d` another still relies on, and each looks for what is
/// missing only once its turn comes. It installs
/// without letting a package's scripts start a service of their own (a
/// `policy-rc.d` that refuses, made only for the install), waits for
/// dpkg's lock, and reads the package lists again only when an install
/// from the lists at hand fails (a fresh machine has none).
pub fn apt_install_command(packages: &[&str]) -> String {
    let names: Vec<String> = packages.iter().map(|p| quote(p)).collect();
    let apt = format!("apt-get -o DPkg::Lock::Timeout={LOCK_WAIT_S}");
    format!(
        "{{ command -v flock >/dev/null && [ -d /run/lock ] && exec 9>>/run/lock/faultline-apt.lock && flock -w {LOCK_WAIT_S} 9; }} || true; \
         missing=''; for p in {names}; do dpkg-query -W -f='${{Status}}' \"$p\" 2>/dev/null | grep -q 'ok installed' || missing=\"$missing $p\"; done; \
         [ -z \"$missing\" ] && exit 0; \
         made=0; [ -e /usr/sbin/policy-rc.d ] || {{ printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1; }}; \
         export DEBIAN_FRONTEND=noninteractive; \
         {apt} install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {{ {apt} update -qq && {apt} install -y -qq --no-install-recommends $missing; }}; s=$?; \
         [ $made = 1 ] && rm -f /usr/sbin/policy-rc.d; exit $s",
        names = names.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run for real, with `dpkg-query` answering for packages this machine
    /// has: nothing is missing, so nothing is installed and it exits 0.
    #[test]
    fn installed_packages_need_nothing() {
        if std::process::Command::new("dpkg-query")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: no dpkg-query (not a Debian machine)");
            return;
        }
        let out = std::process::Command::new("sh")
            .args(["-c", &apt_install_command(&["coreutils", "dpkg"])])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty() && out.stderr.is_empty());
    }

    #[test]
    fn names_are_quoted_and_the_lock_is_waited_for() {
        let command = apt_install_command(&["some-server", "a b"]);
        assert!(command.contains("for p in some-server 'a b';"), "{command}");
        assert!(command.contains("DPkg::Lock::Timeout=600"), "{command}");
    }
}
