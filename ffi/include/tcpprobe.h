/*
 * tcpprobe.h - C ABI of the tcpprobe classifier.
 *
 * Feed every TCP segment of a capture, in capture order, to tcpprobe_classify(). For each segment
 * it answers whether it is a zero-window (persist) probe, the ACK of one, a keep-alive, the ACK of
 * one, or none of these, and why. After each call, drain tcpprobe_poll_event(): episodes (a
 * zero-window stall or a keep-alive series, with how it ended), earlier tentative verdicts made
 * final, and earlier probes found unanswered. Events not taken before the next
 * tcpprobe_classify() are dropped.
 *
 * Rules of the ABI:
 * - All structs are plain data, passed by pointer, owned by the caller.
 * - Every function checks its pointers; a NULL where one is required returns
 *   TCPPROBE_NULL_ARGUMENT and changes nothing.
 * - No function unwinds or aborts: an internal error (a Rust panic) returns TCPPROBE_INTERNAL_ERROR
 *   and the classifier forgets its state, as after tcpprobe_classifier_reset().
 * - No function calls back into the caller, so the caller's own error handling (Wireshark's
 *   exceptions) never crosses these frames.
 * - A classifier is not thread-safe; use one per thread or lock around it.
 * - Enum values below are stable: they are never renumbered.
 */
#ifndef TCPPROBE_H
#define TCPPROBE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tcpprobe_status {
    TCPPROBE_OK = 0,
    TCPPROBE_NULL_ARGUMENT = 1,
    TCPPROBE_INTERNAL_ERROR = 2
} tcpprobe_status;

/* Values of tcpprobe_verdict.verdict_class. */
enum tcpprobe_class {
    TCPPROBE_CLASS_NONE = 0,
    TCPPROBE_CLASS_ZERO_WINDOW_PROBE = 1,
    TCPPROBE_CLASS_ZERO_WINDOW_PROBE_ACK = 2,
    TCPPROBE_CLASS_KEEP_ALIVE = 3,
    TCPPROBE_CLASS_KEEP_ALIVE_ACK = 4
};

/* Values of tcpprobe_verdict.style: how the probe is built on the wire. */
enum tcpprobe_style {
    TCPPROBE_STYLE_NONE = 0,
    TCPPROBE_STYLE_ZERO_LENGTH_BELOW_UNA = 1, /* seq = SND.UNA-1, no payload (Linux) */
    TCPPROBE_STYLE_ONE_NEW_BYTE = 2,          /* 1 byte of new data (RFC/BSD/Windows probe) */
    TCPPROBE_STYLE_ONE_OLD_BYTE = 3           /* 1 acknowledged byte (Windows keep-alive) */
};

/* Values of tcpprobe_verdict.reason; tcpprobe_reason_description() explains each. */
enum tcpprobe_reason {
    TCPPROBE_REASON_NONE = 0,
    TCPPROBE_REASON_PEER_WINDOW_ZERO = 1,
    TCPPROBE_REASON_TOO_SOON_FOR_KEEP_ALIVE = 2,
    TCPPROBE_REASON_INTERVAL_DOUBLED = 3,
    TCPPROBE_REASON_SAME_SERIES_AS_PREVIOUS = 4,
    TCPPROBE_REASON_LONG_IDLE_IN_ZERO_WINDOW = 5,
    TCPPROBE_REASON_INTERVAL_CONSTANT = 6,
    TCPPROBE_REASON_IDLE_OPEN_WINDOW = 7,
    TCPPROBE_REASON_NEW_BYTE_INTO_ZERO_WINDOW = 8,
    TCPPROBE_REASON_OLD_BYTE_ON_IDLE_CONNECTION = 9,
    TCPPROBE_REASON_ANSWERS_PENDING_PROBE = 10
};

/* Values of tcpprobe_episode.kind. */
enum tcpprobe_episode_kind {
    TCPPROBE_EPISODE_ZERO_WINDOW = 1, /* probes while the peer advertises a zero window */
    TCPPROBE_EPISODE_KEEP_ALIVE = 2   /* keep-alives on an idle connection with an open window */
};

/* Values of tcpprobe_episode.end_cause; 0 = still open. */
enum tcpprobe_end_cause {
    TCPPROBE_END_OPEN = 0,
    TCPPROBE_END_WINDOW_REOPENED = 1,
    TCPPROBE_END_RST_FROM_PROBER = 2,
    TCPPROBE_END_RST_FROM_PROBED = 3,
    TCPPROBE_END_FIN_FROM_PROBER = 4,
    TCPPROBE_END_FIN_FROM_PROBED = 5,
    TCPPROBE_END_DATA_RESUMED = 6
};

/* Values of tcpprobe_event.unanswered: why a probe likely got no reply. */
enum tcpprobe_unanswered {
    TCPPROBE_UNANSWERED_RATE_LIMITED = 1, /* peer's rate limit on out-of-window replies */
    TCPPROBE_UNANSWERED_NO_REPLY = 2      /* lost, or the peer is unreachable */
};

/* Bits of tcpprobe_episode.notes: what the episode's timing is consistent with.
 * tcpprobe_note_description() explains each. */
#define TCPPROBE_NOTE_PERSIST_BACKOFF (1u << 0)
#define TCPPROBE_NOTE_ALL_ANSWERED (1u << 1)
#define TCPPROBE_NOTE_PROBES_STOPPED (1u << 2)
#define TCPPROBE_NOTE_KEEPALIVE_ABORT (1u << 3)
#define TCPPROBE_NOTE_KEEPALIVE_CONSTANT (1u << 4)
#define TCPPROBE_NOTE_KEEPALIVE_SETTINGS_DIFFER (1u << 5)
#define TCPPROBE_NOTE_RATE_LIMITED_REPLIES (1u << 6)
#define TCPPROBE_NOTE_UNANSWERED_PROBES (1u << 7)
#define TCPPROBE_NOTE_RST_AFTER_REOPEN (1u << 8)

/* Bits of keepalive_mismatch: which configured keep-alive setting the timing contradicts. */
#define TCPPROBE_MISMATCH_IDLE 0x1     /* idle time before the keep-alive vs keep-alive time */
#define TCPPROBE_MISMATCH_INTERVAL 0x2 /* interval after an unanswered one vs the interval */
#define TCPPROBE_MISMATCH_COUNT 0x4    /* unanswered keep-alives before the abort vs the count */

/* TCP flag bits of tcpprobe_segment.flags, as on the wire. */
#define TCPPROBE_FLAG_FIN 0x001
#define TCPPROBE_FLAG_SYN 0x002
#define TCPPROBE_FLAG_RST 0x004
#define TCPPROBE_FLAG_ACK 0x010

/* One TCP segment as seen at the capture point. */
typedef struct tcpprobe_segment {
    uint64_t packet;           /* caller's packet id (frame number); echoed back as evidence */
    uint64_t time_ns;          /* capture time in ns; only differences matter */
    uint64_t conn;             /* caller's connection id; all segments of a connection share it */
    uint8_t src_addr[16];      /* IPv4 in the first 4 bytes, the rest zero */
    uint8_t dst_addr[16];
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;              /* raw (absolute) sequence number */
    uint32_t ack;              /* raw acknowledgment number */
    uint16_t flags;            /* TCPPROBE_FLAG_* bits */
    uint16_t window;           /* raw, unscaled window field */
    uint8_t has_window_scale;  /* 1 when this segment carries a window scale option */
    uint8_t window_scale;      /* its shift count */
    uint8_t reserved[2];       /* set to 0 */
    uint32_t payload_len;      /* TCP payload bytes */
} tcpprobe_segment;

/* The answer for one segment. Fields whose has_ flag is 0 are 0. */
typedef struct tcpprobe_verdict {
    uint8_t verdict_class;            /* enum tcpprobe_class; NONE = no verdict */
    uint8_t style;                    /* enum tcpprobe_style */
    uint8_t reason;                   /* enum tcpprobe_reason */
    uint8_t peer_window_zero;         /* 1 if the probed side's window was zero */
    uint8_t has_window_closed_in;
    uint8_t has_answers;
    uint8_t has_since_window_closed;
    uint8_t has_since_previous_probe;
    uint64_t window_closed_in;        /* packet id in which the probed side closed its window */
    uint64_t answers;                 /* for ACKs: packet id of the probe or keep-alive answered */
    uint64_t since_window_closed_ns;
    uint64_t since_previous_probe_ns;
    uint8_t has_episode;
    uint8_t tentative;                /* 1: rests on one gap; a TCPPROBE_EVENT_SETTLED may follow */
    uint8_t keepalive_mismatch;       /* TCPPROBE_MISMATCH_* bits (keep-alives) */
    uint8_t has_interval_ratio;
    uint32_t probe_number;            /* 1-based within the episode; ACKs: the probe answered */
    uint64_t episode;                 /* tcpprobe_episode.id */
    uint32_t interval_ratio_milli;    /* this interval / the previous one, x1000 (persist: ~2000) */
    uint32_t reserved;
} tcpprobe_verdict;

/* What to expect of the prober; see tcpprobe_config_default() for Linux's defaults. */
typedef struct tcpprobe_config {
    uint64_t keepalive_time_ns;       /* idle before the first keep-alive (7200 s) */
    uint64_t keepalive_interval_ns;   /* between unanswered keep-alives (75 s) */
    uint32_t keepalive_probes;        /* unanswered keep-alives before the RST (9) */
    uint32_t reserved;
    uint64_t invalid_ratelimit_ns;    /* peer's rate limit on out-of-window replies (500 ms) */
} tcpprobe_config;

/* A snapshot of one episode; the newest snapshot of an id replaces earlier ones. Packet ids and
 * times are the caller's own. Fields whose has_ flag is 0 are 0. */
typedef struct tcpprobe_episode {
    uint64_t id;                      /* unique per classifier until reset, from 1 */
    uint8_t kind;                     /* enum tcpprobe_episode_kind */
    uint8_t end_cause;                /* enum tcpprobe_end_cause; 0 = still open */
    uint8_t keepalive_mismatch;       /* TCPPROBE_MISMATCH_* bits seen in the episode */
    uint8_t has_window_closed_in;
    uint8_t has_window_reopened_in;
    uint8_t has_idle_before_first;
    uint8_t reserved[2];
    uint64_t window_closed_in;
    uint64_t window_closed_at_ns;
    uint64_t window_reopened_in;
    uint64_t first_probe;
    uint64_t first_probe_at_ns;
    uint64_t idle_before_first_ns;    /* probed side's last segment to the first probe */
    uint64_t last_probe;
    uint64_t last_probe_at_ns;
    uint64_t last_packet;             /* last probe or reply of the episode */
    uint64_t last_packet_at_ns;
    uint32_t zero_window_probes;
    uint32_t keep_alives;
    uint32_t answered;
    uint32_t unanswered_in_a_row;
    uint32_t rate_limited;            /* unanswered, explained by the peer's rate limit */
    uint32_t no_reply;                /* unanswered, unexplained */
    uint64_t max_interval_ns;
    uint64_t overdue_at_ns;           /* no probe by then: the prober stopped */
    uint64_t end_packet;              /* when end_cause != 0 */
    uint64_t end_time_ns;
    uint32_t notes;                   /* TCPPROBE_NOTE_* bits */
    uint32_t reserved2;
} tcpprobe_episode;

/* Values of tcpprobe_event.kind. */
enum tcpprobe_event_kind {
    TCPPROBE_EVENT_NONE = 0,       /* no more events for this segment */
    TCPPROBE_EVENT_EPISODE = 1,    /* .episode began or changed */
    TCPPROBE_EVENT_SETTLED = 2,    /* tentative verdict of .packet is final: .verdict_class, .reason */
    TCPPROBE_EVENT_UNANSWERED = 3  /* probe .packet got no reply: .unanswered */
};

typedef struct tcpprobe_event {
    uint8_t kind;                     /* enum tcpprobe_event_kind */
    uint8_t verdict_class;            /* SETTLED */
    uint8_t reason;                   /* SETTLED */
    uint8_t unanswered;               /* UNANSWERED: enum tcpprobe_unanswered */
    uint8_t reserved[4];
    uint64_t packet;                  /* SETTLED, UNANSWERED */
    tcpprobe_episode episode;         /* EPISODE */
} tcpprobe_event;

typedef struct tcpprobe_classifier tcpprobe_classifier;

/* Create a classifier with the default (Linux) configuration into *out. */
tcpprobe_status tcpprobe_classifier_new(tcpprobe_classifier **out);

/* Free a classifier; NULL is ignored. */
void tcpprobe_classifier_free(tcpprobe_classifier *classifier);

/* Forget all connections (call when a new capture file starts). */
tcpprobe_status tcpprobe_classifier_reset(tcpprobe_classifier *classifier);

/* Classify one segment and advance the state; *out is always fully written on TCPPROBE_OK. */
tcpprobe_status tcpprobe_classify(tcpprobe_classifier *classifier, const tcpprobe_segment *segment,
                                  tcpprobe_verdict *out);

/* Link types tcpprobe_decode_frame() reads: pcap's LINKTYPE_* numbers. */
#define TCPPROBE_LINK_NULL 0         /* BSD loopback */
#define TCPPROBE_LINK_ETHERNET 1     /* with 802.1Q / QinQ tags */
#define TCPPROBE_LINK_RAW 101        /* raw IPv4 or IPv6 */
#define TCPPROBE_LINK_LOOP 108       /* OpenBSD loopback */
#define TCPPROBE_LINK_LINUX_SLL 113  /* Linux cooked capture v1 */
#define TCPPROBE_LINK_IPV4 228
#define TCPPROBE_LINK_IPV6 229
#define TCPPROBE_LINK_LINUX_SLL2 276 /* Linux cooked capture v2 */

/* Read the TCP segment of a captured frame: `frame` holds the `captured_len` captured bytes from
 * the link layer on. On TCPPROBE_OK, *found is 1 and *out the segment (with `packet`, `time_ns`,
 * and a connection id shared by both directions) when the frame carries one; *found is 0 and
 * *out zeroed when it does not: another link type, not IP or not TCP, an IP fragment, cut by the
 * snap length before the first 16 bytes of the TCP header, or headers that contradict
 * themselves. The payload length comes from the IP header, never from the captured bytes.
 * `frame` may be NULL only when captured_len is 0. */
tcpprobe_status tcpprobe_decode_frame(uint32_t link_type, const uint8_t *frame, size_t captured_len,
                                      uint64_t packet, uint64_t time_ns, tcpprobe_segment *out,
                                      uint8_t *found);

/* tcpprobe_decode_frame() and tcpprobe_classify() in one call, for a reader that only has frames:
 * *found is 1 when the frame carried a TCP segment (which was classified into *out), 0 when it
 * did not (*out is then "no verdict"). Events are polled as after tcpprobe_classify(). */
tcpprobe_status tcpprobe_classify_frame(tcpprobe_classifier *classifier, uint32_t link_type,
                                        const uint8_t *frame, size_t captured_len, uint64_t packet,
                                        uint64_t time_ns, tcpprobe_verdict *out, uint8_t *found);

/* Write the default (Linux) configuration into *out. */
tcpprobe_status tcpprobe_config_default(tcpprobe_config *out);

/* Replace the configuration; forgets all connections and episodes, like a reset. */
tcpprobe_status tcpprobe_classifier_configure(tcpprobe_classifier *classifier,
                                              const tcpprobe_config *config);

/* Take the next event of the last classified segment into *out; out->kind is
 * TCPPROBE_EVENT_NONE when there is none left. */
tcpprobe_status tcpprobe_poll_event(tcpprobe_classifier *classifier, tcpprobe_event *out);

/* From the window closing (or the first probe) to the end, or to capture_end_ns if still open.
 * 0 for NULL or an episode no classifier made. */
uint64_t tcpprobe_episode_duration_ns(const tcpprobe_episode *episode, uint64_t capture_end_ns);

/* The episode's notes, plus TCPPROBE_NOTE_PROBES_STOPPED if it was still open and the prober
 * was overdue at capture_end_ns. 0 for NULL. */
uint32_t tcpprobe_episode_notes_at_capture_end(const tcpprobe_episode *episode,
                                               uint64_t capture_end_ns);

/* Number of connections currently tracked, or 0 for NULL. */
uint64_t tcpprobe_classifier_connections(const tcpprobe_classifier *classifier);

/* Static, NUL-terminated English texts for the enum values, or NULL for an unknown value. */
const char *tcpprobe_class_name(uint8_t verdict_class);
const char *tcpprobe_style_description(uint8_t style);
const char *tcpprobe_reason_description(uint8_t reason);
const char *tcpprobe_episode_kind_description(uint8_t kind);
const char *tcpprobe_end_cause_description(uint8_t cause);
const char *tcpprobe_unanswered_description(uint8_t likely);
const char *tcpprobe_note_description(uint32_t note_bit); /* one TCPPROBE_NOTE_* bit */

#ifdef __cplusplus
}
#endif

#endif /* TCPPROBE_H */
