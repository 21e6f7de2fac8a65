//! Both sides probing at once: one side probes the other's zero window while the side whose
//! window is zero sends keep-alives of its own.

use super::*;

/// The server (window zero, nothing to send) sends a keep-alive while the client probes its
/// window: the keep-alive acknowledges what the client's probe would, but it is a probe of its
/// own, answered by the client.
#[test]
fn keep_alive_from_the_zero_window_side_is_not_a_probe_ack() {
    let mut cv = Conv::new();
    cv.stall_with_first_probe_answered();
    let p2 = cv.at(602).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p2.class, Class::ZeroWindowProbe);
    let p2_packet = cv.packet;
    // The server's keep-alive (seq = its SND.NXT-1) overtakes its reply.
    let ka = cv.at(602).s(5000, 2001, 0, 0).unwrap();
    assert_eq!(
        (ka.class, ka.reason),
        (Class::KeepAlive, Reason::IdleOpenWindow)
    );
    let ka_packet = cv.packet;
    let ka_ack = cv.at(602).c(2001, 5001, 502, 0).unwrap();
    assert_eq!(
        (ka_ack.class, ka_ack.answers),
        (Class::KeepAliveAck, Some(ka_packet))
    );
    let reply = cv.at(602).s(5001, 2001, 0, 0).unwrap();
    assert_eq!(
        (reply.class, reply.answers),
        (Class::ZeroWindowProbeAck, Some(p2_packet))
    );
    assert_eq!(
        class(cv.at(1402).c(2000, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}
