//! The Debian packages a local cluster needs, installed when missing.

use super::host;
use anyhow::{bail, Result};

/// (command that must exist, Debian package that provides it)
const NEEDED: [(&str, &str); 6] = [
    ("ip", "iproute2"),
    ("sshd", "openssh-server"),
    ("ssh-keygen", "openssh-client"),
    ("iptables", "iptables"),
    ("etcd", "etcd-server"),
    ("unshare", "util-linux"),
];

/// Installs the missing packages with apt on Debian; elsewhere names them.
pub fn ensure() -> Result<()> {
    let missing: Vec<&str> = NEEDED
        .iter()
        .filter(|(cmd, _)| !host::has(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !host::has("apt-get") {
        bail!(
            "missing packages {}: install them with your package manager",
            missing.join(" ")
        );
    }
    eprintln!("installing {} with apt-get...", missing.join(" "));
    // Keep the packages' scripts from starting sshd or etcd in the root namespace.
    let policy = std::path::Path::new("/usr/sbin/policy-rc.d");
    let made_policy = !policy.exists();
    if made_policy {
        std::fs::write(policy, "#!/bin/sh\nexit 101\n")?;
        host::run("chmod", &["+x", "/usr/sbin/policy-rc.d"])?;
    }
    let result = host::run("apt-get", &["update", "-qq"]).and_then(|_| {
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(&missing);
        host::run("apt-get", &args)
    });
    if made_policy {
        let _ = std::fs::remove_file(policy);
    }
    result.map(|_| ())
}
