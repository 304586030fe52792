//! The NATS suite's own options: how many servers keep the stream.

use serde::{Deserialize, Serialize};

/// NATS JetStream's options (`faultline test nats --replicas`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct NatsOptions {
    /// Servers that keep the stream (its replicas): 1 to 5, at most the nodes. Default: every node, up to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: Option<u8>,
}

impl NatsOptions {
    /// The stream's replicas on a cluster of `nodes`.
    pub fn replicas(self, nodes: usize) -> usize {
        self.replicas
            .map_or(nodes.min(5), usize::from)
            .clamp(1, nodes.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::NatsOptions;

    #[test]
    fn the_stream_is_on_every_node_up_to_five_unless_asked_and_never_on_more_than_there_are() {
        let every = NatsOptions::default();
        assert_eq!((every.replicas(3), every.replicas(7)), (3, 5));
        let one = NatsOptions { replicas: Some(1) };
        assert_eq!(one.replicas(5), 1);
        let five = NatsOptions { replicas: Some(5) };
        assert_eq!(five.replicas(3), 3);
    }
}
