/*
 * extract.h - what tcpprobe reads of a frame: its TCP segment, from the frame's own bytes, and
 * Wireshark's own probe labels for it, from the tap queue. Neither reads the protocol tree.
 * Private to the plugin.
 */
#ifndef TCPPROBE_EXTRACT_H
#define TCPPROBE_EXTRACT_H

#include <glib.h>

#include <epan/packet.h>

#include "tcpprobe.h"

/* Bits of Wireshark's own labels on a segment (its tcp.analysis flags). */
#define WS_KEEP_ALIVE 0x1
#define WS_KEEP_ALIVE_ACK 0x2
#define WS_ZERO_WINDOW_PROBE 0x4
#define WS_ZERO_WINDOW_PROBE_ACK 0x8

/* Looks up the fields and taps extraction needs, once Wireshark has registered every protocol
 * (the first capture file's init). Without them (a warning says so) the labels stay unknown. */
void tcpprobe_extract_init(void);

typedef enum {
    EXTRACT_NO_SEGMENT, /* the frame carries no TCP segment tcpprobe reads */
    EXTRACT_CLASSIFIED, /* *verdict holds the verdict (perhaps none) */
    EXTRACT_FAILED,     /* the classifier failed (a bug, caught at the C ABI's fence); it forgot its
                           connections and goes on with the next frame */
} extract_status_t;

/* Classifies this frame's TCP segment, read from the frame's bytes (tcpprobe_classify_frame: the
 * IP header's lengths, the link layers captures come in), into *verdict; *time_ns is its capture
 * time. */
extract_status_t tcpprobe_extract_classify(tcpprobe_classifier *classifier, tvbuff_t *tvb, packet_info *pinfo,
                                           tcpprobe_verdict *verdict, guint64 *time_ns);

/* Wireshark's labels on this frame's TCP segment (WS_* bits), from the expert items its TCP
 * dissector queued in this very dissection. FALSE when this dissection cannot tell: Wireshark
 * runs some passes (tshark -2's first one, the GUI's single-packet view) without taps. */
gboolean tcpprobe_extract_wireshark_labels(guint8 *labels);

/* The TCP stream index (tcp.stream) Wireshark's TCP dissector gave this frame's conversation, from
 * the conversation's TCP data. FALSE when there is none. */
gboolean tcpprobe_extract_tcp_stream(packet_info *pinfo, guint32 *stream);

#endif
