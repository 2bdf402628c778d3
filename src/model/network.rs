//! The network between provider and consumer: its round trip, the TLS version, and what opening
//! a connection costs under each side's connection policy.
//!
//! Owns the [`NetworkConfig`] a scenario's `[network]` section fills in, the [`Connection`]
//! policy a side names (`[webhook] connection`, `[api] connection`), and [`Connections`]: the
//! sans-IO pool of one client's connections, which answers "how long before this request can be
//! sent" with 0 on a warm connection and the handshake otherwise. No sockets, no clock.
//!
//! ```text
//!  new connection:  TCP (1 RTT) ─▶ TLS 1.3 (1 RTT) | TLS 1.2 (2 RTT) | none (0) ─▶ request …
//!  keep-alive:      a warm idle connection (used less than idle_timeout ago) sends at once
//! ```
//!
//! The handshake is *added* to what the other sections model: `[api] rtt` stays the round trip of
//! one request on an open connection (network both ways plus server time), `[webhook] delay` the
//! time from the event until an attempt reaches the receiver on an open connection. Each round
//! trip of a handshake is one draw of [`NetworkConfig::rtt`], from the pool's own random stream (named by its
//! holder), so every other stream of the seed draws what it drew without a network.
//!
//! One connection carries one request at a time (HTTP/1.1 without pipelining): a request takes
//! the most recently freed warm connection, else opens one; when its answer is back the connection
//! is idle again. So concurrent requests hold as many connections as are in flight (for webhooks
//! at most `max_in_flight` when it is set). A connection whose attempt timed out or was refused is
//! closed, never reused.

use serde::{Deserialize, Serialize};

use crate::model::dist::{Delay, Rng, Sampler};
use crate::support::units::{Micros, SECOND};

/// How long an idle keep-alive connection is kept before it is closed, when the scenario does not
/// say: 90 s, the `IdleConnTimeout` of Go's `http.DefaultTransport`.
pub const DEFAULT_IDLE_TIMEOUT: Micros = 90 * SECOND;

/// The TLS version of the link, and so the round trips its handshake takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Tls {
    /// Plain TCP: no TLS handshake.
    #[serde(rename = "none")]
    None,
    /// TLS 1.2: two round trips (a full handshake, no resumption).
    #[serde(rename = "1.2")]
    V12,
    /// TLS 1.3: one round trip.
    #[serde(rename = "1.3")]
    #[default]
    V13,
}

impl Tls {
    /// The names a scenario may give, in the order a message lists them.
    pub const NAMES: [&'static str; 3] = ["1.3", "1.2", "none"];

    /// The round trips of a new connection before its first request: 1 for TCP, plus TLS's.
    pub fn handshake_round_trips(self) -> u32 {
        1 + match self {
            Tls::None => 0,
            Tls::V12 => 2,
            Tls::V13 => 1,
        }
    }

    /// The version `name` names (`"1.3"`, `"1.2"`, `"none"`).
    pub fn from_name(name: &str) -> Option<Tls> {
        match name {
            "1.3" => Some(Tls::V13),
            "1.2" => Some(Tls::V12),
            "none" => Some(Tls::None),
            _ => None,
        }
    }
}

/// A side's connection policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connection {
    /// Reuse a connection while it is warm (HTTP/1.1's default); pay the handshake after it has
    /// been idle for the idle timeout.
    KeepAlive,
    /// Open a new connection for every request (or delivery attempt).
    New,
}

impl Connection {
    /// The names a scenario may give.
    pub const NAMES: [&'static str; 2] = ["keep-alive", "new"];

    /// The policy `name` names.
    pub fn from_name(name: &str) -> Option<Connection> {
        match name {
            "keep-alive" => Some(Connection::KeepAlive),
            "new" => Some(Connection::New),
            _ => None,
        }
    }

    /// The scenario's name of the policy.
    pub fn name(self) -> &'static str {
        match self {
            Connection::KeepAlive => "keep-alive",
            Connection::New => "new",
        }
    }
}

/// The network between provider and consumer (`[network]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// One round trip between provider and consumer; each round trip of a handshake is one draw.
    #[serde(
        serialize_with = "crate::model::dist::delay_secs",
        deserialize_with = "crate::model::dist::de_delay_secs"
    )]
    pub rtt: Delay,
    /// The TLS version both sides speak.
    pub tls: Tls,
    /// How long an idle keep-alive connection lives.
    #[serde(
        rename = "idle_timeout_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub idle_timeout: Micros,
}

impl NetworkConfig {
    /// The round trips of one new connection's handshake.
    pub fn handshake_round_trips(&self) -> u32 {
        self.tls.handshake_round_trips()
    }

    /// The mean cost of one handshake, µs.
    pub fn mean_handshake(&self) -> f64 {
        f64::from(self.handshake_round_trips()) * self.rtt.mean()
    }
}

/// One client's connections to one server under a policy: which requests must open one first.
#[derive(Debug, Clone)]
pub struct Connections {
    /// The policy and the network, with the network's round trip ready to draw from; `None`: no
    /// handshake is modelled (every request costs 0).
    model: Option<(Connection, NetworkConfig, Sampler)>,
    /// When each idle connection was freed (a time may lie ahead: freed when its answer lands).
    idle: Vec<Micros>,
    /// Handshakes paid.
    opened: u64,
    /// The handshakes' own random stream, apart from every other stream of the seed.
    rng: Rng,
}

impl Connections {
    /// A pool under `policy` over `network`, its round trips drawn from the stream `stream` of
    /// `seed`; with either absent, nothing is modelled (and nothing drawn).
    pub fn new(policy: Option<Connection>, network: Option<&NetworkConfig>, seed: u64, stream: &str) -> Self {
        let model = policy.zip(network.cloned()).map(|(p, n)| {
            let rtt = n.rtt.sampler();
            (p, n, rtt)
        });
        Connections { model, idle: Vec::new(), opened: 0, rng: Rng::new(seed, stream) }
    }

    /// Whether a handshake is modelled at all.
    pub fn modelled(&self) -> bool {
        self.model.is_some()
    }

    /// A request is sent at `now`: how long before it can go out — 0 on a warm connection, the
    /// handshake (each of its round trips one draw) on a new one. Pair every call with one
    /// [`Connections::release`] or [`Connections::close`].
    #[inline]
    pub fn acquire(&mut self, now: Micros) -> Micros {
        if self.model.is_none() {
            return 0;
        }
        self.acquire_modelled(now)
    }

    /// [`Connections::acquire`] when a handshake is modelled.
    fn acquire_modelled(&mut self, now: Micros) -> Micros {
        let Some((policy, net, rtt)) = &self.model else { return 0 };
        if *policy == Connection::KeepAlive {
            // Closed once idle for the idle timeout; the most recently freed warm one is taken.
            let idle_timeout = net.idle_timeout;
            self.idle.retain(|&freed| freed > now || now - freed < idle_timeout);
            let warm = self.idle.iter().enumerate().filter(|(_, &f)| f <= now).max_by_key(|(_, &f)| f);
            if let Some((i, _)) = warm {
                self.idle.swap_remove(i);
                return 0;
            }
        }
        self.opened += 1;
        let rng = &mut self.rng;
        (0..net.handshake_round_trips()).map(|_| rtt.sample(rng)).fold(0, Micros::saturating_add)
    }

    /// The request's answer came back at `at` (which may lie ahead): its connection is idle from
    /// then (kept under keep-alive, closed under `new`).
    #[inline]
    pub fn release(&mut self, at: Micros) {
        if matches!(self.model, Some((Connection::KeepAlive, ..))) {
            self.idle.push(at);
        }
    }

    /// The request timed out or was refused: its connection is closed, not reused.
    pub fn close(&mut self) {}

    /// Handshakes paid so far.
    pub fn opened(&self) -> u64 {
        self.opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::MILLI;

    fn net(tls: Tls, idle: Micros) -> NetworkConfig {
        NetworkConfig { rtt: Delay::Fixed(100 * MILLI), tls, idle_timeout: idle }
    }

    #[test]
    fn a_new_connection_costs_tcp_plus_tls_round_trips() {
        for (tls, k) in [(Tls::None, 1), (Tls::V13, 2), (Tls::V12, 3)] {
            let mut c = Connections::new(Some(Connection::New), Some(&net(tls, 90 * SECOND)), 1, "t");
            for now in [0, SECOND, 2 * SECOND] {
                assert_eq!(c.acquire(now), k * 100 * MILLI, "{tls:?}");
                c.release(now);
            }
            assert_eq!(c.opened(), 3);
        }
    }

    #[test]
    fn keep_alive_pays_once_until_the_connection_idles_out() {
        let mut c = Connections::new(Some(Connection::KeepAlive), Some(&net(Tls::V13, 10 * SECOND)), 1, "t");
        assert_eq!(c.acquire(0), 200 * MILLI);
        c.release(SECOND);
        assert_eq!(c.acquire(5 * SECOND), 0, "warm");
        c.release(6 * SECOND);
        assert_eq!(c.acquire(16 * SECOND), 200 * MILLI, "idle for 10 s: closed");
        // Two in flight at once hold two connections; a freed one not yet free is not taken.
        c.release(20 * SECOND);
        assert_eq!(c.acquire(17 * SECOND), 200 * MILLI);
        assert_eq!(c.opened(), 3);
    }

    #[test]
    fn without_a_policy_or_a_network_nothing_is_modelled() {
        let n = net(Tls::V12, SECOND);
        for mut c in
            [Connections::new(None, Some(&n), 1, "t"), Connections::new(Some(Connection::New), None, 1, "t")]
        {
            assert!(!c.modelled());
            assert_eq!(c.acquire(0), 0);
        }
    }

    #[test]
    fn names_round_trip() {
        for n in Tls::NAMES {
            assert!(Tls::from_name(n).is_some());
        }
        for n in Connection::NAMES {
            assert_eq!(Connection::from_name(n).map(Connection::name), Some(n));
        }
        assert_eq!(Tls::from_name("1.1"), None);
    }
}
