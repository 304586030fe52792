//! The Debian packages a local cluster needs, installed on this machine
//! when missing: the cluster's own (namespaces, sshd, iptables, etcd) when
//! it is built, and a test's (its database, its faults) before the nodes
//! start, since the nodes share this machine's filesystem and reach no
//! package mirror themselves.

use super::host;
use anyhow::{bail, Result};
use faultline_core::packages::apt_install_command;

/// (command that must exist, Debian package that provides it)
const NEEDED: [(&str, &str); 6] = [
    ("ip", "iproute2"),
    ("sshd", "openssh-server"),
    ("ssh-keygen", "openssh-client"),
    ("iptables", "iptables"),
    ("etcd", "etcd-server"),
    ("unshare", "util-linux"),
];

/// Installs the cluster's missing packages with apt on Debian; elsewhere
/// names them.
pub fn ensure() -> Result<()> {
    let missing: Vec<&str> = NEEDED
        .iter()
        .filter(|(cmd, _)| !host::has(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    install(&missing, "the local cluster")
}

/// Installs those of `packages` that this machine lacks, saying so first;
/// `what` names who needs them.
pub fn install_missing(packages: &[String], what: &str) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .map(String::as_str)
        .filter(|p| !is_installed(p))
        .collect();
    install(&missing, what)
}

fn is_installed(package: &str) -> bool {
    host::run("dpkg-query", &["-W", "-f=${Status}", package])
        .is_ok_and(|status| status.contains("ok installed"))
}

fn install(missing: &[&str], what: &str) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    if !host::has("apt-get") {
        bail!(
            "{what} needs the packages {}: install them with your package manager",
            missing.join(" ")
        );
    }
    eprintln!(
        "installing {} on this machine for {what} with apt-get (once; the local cluster's nodes share its filesystem)...",
        missing.join(" ")
    );
    host::run("sh", &["-c", &apt_install_command(missing)]).map_err(|e| {
        anyhow::anyhow!(
            "{what} needs {} and apt-get could not install it: {e:#}; install it by hand",
            missing.join(" ")
        )
    })?;
    Ok(())
}
