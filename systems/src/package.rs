//! Installing a database's Debian package on a node, over its `Remote`
//! (the command is [`faultline_core::packages::apt_install_command`]).

use faultline_core::packages::apt_install_command;
use faultline_core::{DbError, Node, Remote};
use std::time::Duration;

/// Installs `package` with apt-get on `node` unless it is there; the error
/// names it and says to install it by hand.
pub fn apt_install(remote: &dyn Remote, node: &Node, package: &str) -> Result<(), DbError> {
    remote
        .run(&apt_install_command(&[package]), Duration::from_secs(900))
        .map_err(|e| DbError::NotRunning {
            node: node.name.clone(),
            message: format!("{package} is not installed and apt-get could not install it ({e}); install the {package} package"),
        })?;
    Ok(())
}
