//! The entry points over a classifier, and the frame decoder. Each runs in the fence
//! (`crate::fence`); their doc comments are the header's.

use tcpprobe_core::{Classifier, Config, Segment, Timestamp};
use tcpprobe_wire::LinkType;

use crate::fence::{bytes, exclusive, fence, fence_status, input, output, Failure};
use crate::types::{
    TcpprobeClassifier, TcpprobeConfig, TcpprobeEpisode, TcpprobeEvent, TcpprobeSegment,
    TcpprobeStatus, TcpprobeVerdict,
};

/// Create a classifier with the default (Linux) configuration into *out.
///
/// # Safety
/// `out` must be NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_new(
    out: *mut *mut TcpprobeClassifier,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promise, above.
        let mut out = unsafe { output(out)? };
        out.write(Box::into_raw(Box::new(TcpprobeClassifier {
            inner: Classifier::default(),
        })));
        Ok(())
    })
}

/// Free a classifier; NULL is ignored.
///
/// # Safety
/// `classifier` must be NULL or a pointer from `tcpprobe_classifier_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_free(classifier: *mut TcpprobeClassifier) {
    fence((), || {
        if !classifier.is_null() {
            // SAFETY: the caller promises it came from Box::into_raw in tcpprobe_classifier_new.
            drop(unsafe { Box::from_raw(classifier) });
        }
    })
}

/// Forget all connections (call when a new capture file starts).
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_reset(
    classifier: *mut TcpprobeClassifier,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promise, above.
        unsafe { exclusive(classifier)? }.inner.reset();
        Ok(())
    })
}

/// Classify one segment and advance the state; *out is always fully written on TCPPROBE_OK.
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`, not used by
/// another thread; `segment` NULL or valid for reading; `out` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classify(
    classifier: *mut TcpprobeClassifier,
    segment: *const TcpprobeSegment,
    out: *mut TcpprobeVerdict,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (c, segment, mut out) =
            unsafe { (exclusive(classifier)?, input(segment)?, output(out)?) };
        let verdict = fence(None, || {
            Some(TcpprobeVerdict::from(
                c.inner.classify(&Segment::from(segment)),
            ))
        });
        match verdict {
            Some(verdict) => {
                out.write(verdict);
                Ok(())
            }
            None => {
                // The state may be half-updated: forget the connections rather than classify
                // from it (episode ids go on, so none is reused). The verdict slot still gets a
                // defined value.
                c.inner.forget_connections();
                out.write(TcpprobeVerdict::default());
                Err(Failure::Internal)
            }
        }
    })
}

/// The TCP segment of a caller's frame, if it carries one.
fn frame_segment(link_type: u32, frame: &[u8], packet: u64, time_ns: u64) -> Option<Segment> {
    let link = LinkType::from_pcap(link_type)?;
    let facts = tcpprobe_wire::decode(link, frame).ok()?;
    Some(facts.segment(packet, Timestamp(time_ns)))
}

/// Read the TCP segment of a captured frame: `frame` holds the `captured_len` captured bytes from
/// the link layer on. On TCPPROBE_OK, *found is 1 and *out the segment (with `packet`, `time_ns`,
/// and a connection id shared by both directions) when the frame carries one; *found is 0 and
/// *out zeroed when it does not: another link type (see TCPPROBE_LINK_*), not IP or not TCP, an
/// IP fragment, cut by the snap length before the first 16 bytes of the TCP header, or headers
/// that contradict themselves. The payload length comes from the IP header, never from the
/// captured bytes. `frame` may be NULL only when captured_len is 0.
///
/// # Safety
/// `frame` must be NULL or valid for reading `captured_len` bytes; `out` and `found` NULL or
/// valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_decode_frame(
    link_type: u32,
    frame: *const u8,
    captured_len: usize,
    packet: u64,
    time_ns: u64,
    out: *mut TcpprobeSegment,
    found: *mut u8,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (mut out, mut found, frame) =
            unsafe { (output(out)?, output(found)?, bytes(frame, captured_len)?) };
        let decoded =
            frame_segment(link_type, frame, packet, time_ns).map(|s| TcpprobeSegment::from(&s));
        found.write(decoded.is_some() as u8);
        out.write(decoded.unwrap_or_default());
        Ok(())
    })
}

/// tcpprobe_decode_frame() and tcpprobe_classify() in one call, for a reader that only has frames:
/// *found is 1 when the frame carried a TCP segment (which was classified into *out), 0 when it
/// did not (*out is then "no verdict"). Events are polled as after tcpprobe_classify().
///
/// # Safety
/// As for `tcpprobe_classify` and `tcpprobe_decode_frame`: `classifier` live and not shared,
/// `frame` readable for `captured_len` bytes (or NULL when 0), `out` and `found` writable.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classify_frame(
    classifier: *mut TcpprobeClassifier,
    link_type: u32,
    frame: *const u8,
    captured_len: usize,
    packet: u64,
    time_ns: u64,
    out: *mut TcpprobeVerdict,
    found: *mut u8,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (c, mut out, mut found, frame) = unsafe {
            (
                exclusive(classifier)?,
                output(out)?,
                output(found)?,
                bytes(frame, captured_len)?,
            )
        };
        let classified = fence(None, || {
            let segment = frame_segment(link_type, frame, packet, time_ns);
            let verdict = segment.as_ref().and_then(|s| c.inner.classify(s));
            Some((segment.is_some(), TcpprobeVerdict::from(verdict)))
        });
        match classified {
            Some((is_segment, verdict)) => {
                found.write(is_segment as u8);
                out.write(verdict);
                Ok(())
            }
            None => {
                // As in tcpprobe_classify: forget the connections rather than classify from
                // half-updated state.
                c.inner.forget_connections();
                found.write(0);
                out.write(TcpprobeVerdict::default());
                Err(Failure::Internal)
            }
        }
    })
}

/// Number of connections currently tracked, or 0 for NULL.
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_connections(
    classifier: *const TcpprobeClassifier,
) -> u64 {
    fence(0, || {
        // SAFETY: the caller's promise, above.
        unsafe { input(classifier) }.map_or(0, |c| c.inner.tracked_connections() as u64)
    })
}

/// Write the default (Linux) configuration into *out.
///
/// # Safety
/// `out` must be NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_config_default(out: *mut TcpprobeConfig) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promise, above.
        unsafe { output(out)? }.write(TcpprobeConfig::from(Config::default()));
        Ok(())
    })
}

/// Replace the configuration; forgets all connections and episodes, like a reset.
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`; `config` NULL or
/// valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_configure(
    classifier: *mut TcpprobeClassifier,
    config: *const TcpprobeConfig,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (c, cfg) = unsafe { (exclusive(classifier)?, input(config)?) };
        c.inner = Classifier::new(Config::from(cfg));
        Ok(())
    })
}

/// Write the classifier's configuration into *out: what tcpprobe_classifier_configure() set, or
/// the default.
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`; `out` NULL or
/// valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_config(
    classifier: *const TcpprobeClassifier,
    out: *mut TcpprobeConfig,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (c, mut out) = unsafe { (input(classifier)?, output(out)?) };
        out.write(TcpprobeConfig::from(*c.inner.config()));
        Ok(())
    })
}

/// Take the next event of the last classified segment into *out; out->kind is
/// TCPPROBE_EVENT_NONE when there is none left.
///
/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`, not used by
/// another thread; `out` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_poll_event(
    classifier: *mut TcpprobeClassifier,
    out: *mut TcpprobeEvent,
) -> TcpprobeStatus {
    fence_status(|| {
        // SAFETY: the caller's promises, above.
        let (mut out, c) = unsafe { (output(out)?, exclusive(classifier)?) };
        let event = c.inner.poll_event().map(TcpprobeEvent::from);
        out.write(event.unwrap_or_default());
        Ok(())
    })
}

/// From the window closing (or the first probe) to the end, or to capture_end_ns if still open.
/// 0 for NULL or an episode no classifier made.
///
/// # Safety
/// `episode` must be NULL or valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_episode_duration_ns(
    episode: *const TcpprobeEpisode,
    capture_end_ns: u64,
) -> u64 {
    fence(0, || {
        // SAFETY: the caller's promise, above.
        let episode = unsafe { input(episode) }.ok().and_then(|e| e.to_core());
        episode.map_or(0, |e| e.duration_ns(Timestamp(capture_end_ns)))
    })
}

/// The episode's notes, plus TCPPROBE_NOTE_PROBES_STOPPED if it was still open and the prober
/// was overdue at capture_end_ns. 0 for NULL.
///
/// # Safety
/// `episode` must be NULL or valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_episode_notes_at_capture_end(
    episode: *const TcpprobeEpisode,
    capture_end_ns: u64,
) -> u32 {
    fence(0, || {
        // SAFETY: the caller's promise, above.
        let episode = unsafe { input(episode) }.ok().and_then(|e| e.to_core());
        episode.map_or(0, |e| e.notes_at_capture_end(Timestamp(capture_end_ns)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};
    use tcpprobe_core::{Class, TcpFlags};

    #[test]
    fn null_pointers_are_refused() {
        unsafe {
            assert_eq!(
                tcpprobe_classifier_new(null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_classifier_reset(null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            let mut out = TcpprobeVerdict::default();
            let seg = TcpprobeSegment::default();
            assert_eq!(
                tcpprobe_classify(null_mut(), &seg, &mut out),
                TcpprobeStatus::NULL_ARGUMENT
            );
            let mut c = null_mut();
            assert_eq!(tcpprobe_classifier_new(&mut c), TcpprobeStatus::OK);
            assert_eq!(
                tcpprobe_classify(c, null(), &mut out),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_classify(c, &seg, null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(tcpprobe_classifier_connections(null()), 0);
            let mut ev = TcpprobeEvent::default();
            assert_eq!(
                tcpprobe_poll_event(null_mut(), &mut ev),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_poll_event(c, null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_config_default(null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_classifier_configure(c, null()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            let mut cfg = TcpprobeConfig::default();
            assert_eq!(
                tcpprobe_classifier_config(null(), &mut cfg),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_classifier_config(c, null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                cfg,
                TcpprobeConfig::default(),
                "a refused call writes nothing"
            );
            let mut segment = TcpprobeSegment::default();
            let mut found = 9u8;
            assert_eq!(
                tcpprobe_decode_frame(101, null(), 3, 1, 1, &mut segment, &mut found),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(
                tcpprobe_classify_frame(c, 101, null(), 0, 1, 1, &mut out, null_mut()),
                TcpprobeStatus::NULL_ARGUMENT
            );
            assert_eq!(found, 9, "a refused call changes nothing");
            assert_eq!(tcpprobe_episode_duration_ns(null(), 5), 0);
            assert_eq!(tcpprobe_episode_notes_at_capture_end(null(), 5), 0);
            tcpprobe_classifier_free(c);
            tcpprobe_classifier_free(null_mut());
        }
    }

    #[test]
    fn classifies_a_probe_through_the_abi() {
        let mut c = null_mut();
        let mut out = TcpprobeVerdict::default();
        let seg = |packet, from_client: bool, seq, ack, window, len| {
            let (a, b) = ([1u8; 16], [2u8; 16]);
            TcpprobeSegment {
                packet,
                time_ns: packet * 100_000_000,
                conn: 1,
                src_addr: if from_client { a } else { b },
                dst_addr: if from_client { b } else { a },
                src_port: if from_client { 1000 } else { 80 },
                dst_port: if from_client { 80 } else { 1000 },
                seq,
                ack,
                flags: TcpFlags::ACK,
                window,
                payload_len: len,
                ..Default::default()
            }
        };
        unsafe {
            assert_eq!(tcpprobe_classifier_new(&mut c), TcpprobeStatus::OK);
            for s in [
                seg(1, true, 100, 500, 10, 50),
                seg(2, false, 500, 150, 0, 0),
            ] {
                assert_eq!(tcpprobe_classify(c, &s, &mut out), TcpprobeStatus::OK);
                assert_eq!(out, TcpprobeVerdict::default());
            }
            assert_eq!(
                tcpprobe_classify(c, &seg(5, true, 149, 500, 10, 0), &mut out),
                TcpprobeStatus::OK
            );
            assert_eq!(out.verdict_class, Class::ZeroWindowProbe as u8);
            assert_eq!((out.has_window_closed_in, out.window_closed_in), (1, 2));
            assert_eq!(out.since_window_closed_ns, 300_000_000);
            assert_eq!(tcpprobe_classifier_connections(c), 1);
            assert_eq!(tcpprobe_classifier_reset(c), TcpprobeStatus::OK);
            assert_eq!(tcpprobe_classifier_connections(c), 0);
            tcpprobe_classifier_free(c);
        }
    }
}
