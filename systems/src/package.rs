//! Installing a database's Debian package on a node, over its `Remote`,
//! without letting the package's scripts start a service of their own
//! (a `policy-rc.d` that refuses, made only for the install).

use faultline_core::{DbError, Node, Remote};
use std::time::Duration;

/// Installs `package` with apt-get on `node`; the error names it and says
/// to install it by hand.
pub fn apt_install(remote: &dyn Remote, node: &Node, package: &str) -> Result<(), DbError> {
    let install = format!(
        "made=0; [ -e /usr/sbin/policy-rc.d ] || {{ printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1; }}; \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {package}; s=$?; \
         [ $made = 1 ] && rm -f /usr/sbin/policy-rc.d; exit $s"
    );
    remote
        .run(&install, Duration::from_secs(600))
        .map_err(|e| DbError::NotRunning {
            node: node.name.clone(),
            message: format!("{package} is not installed and apt-get could not install it ({e}); install the {package} package"),
        })?;
    Ok(())
}
