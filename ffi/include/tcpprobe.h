/*
 * tcpprobe.h - C ABI of the tcpprobe classifier.
 *
 * Feed every TCP segment of a capture, in capture order, to tcpprobe_classify(). For each segment
 * it answers whether it is a zero-window (persist) probe, the ACK of one, a keep-alive, the ACK of
 * one, or none of these, and why.
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
} tcpprobe_verdict;

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

/* Number of connections currently tracked, or 0 for NULL. */
uint64_t tcpprobe_classifier_connections(const tcpprobe_classifier *classifier);

/* Static, NUL-terminated English texts for the enum values, or NULL for an unknown value. */
const char *tcpprobe_class_name(uint8_t verdict_class);
const char *tcpprobe_style_description(uint8_t style);
const char *tcpprobe_reason_description(uint8_t reason);

#ifdef __cplusplus
}
#endif

#endif /* TCPPROBE_H */
