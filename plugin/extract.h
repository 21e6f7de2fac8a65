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

/* The TCP segment of this frame, read from its bytes (tcpprobe_decode_frame: the IP header's
 * lengths, the link layers captures come in). FALSE when the frame carries none. */
gboolean tcpprobe_extract_segment(tvbuff_t *tvb, packet_info *pinfo, tcpprobe_segment *seg);

/* Wireshark's labels on this frame's TCP segment (WS_* bits), from the expert items its TCP
 * dissector queued in this very dissection. FALSE when this dissection cannot tell: Wireshark
 * runs some passes (tshark -2's first one, the GUI's single-packet view) without taps. */
gboolean tcpprobe_extract_wireshark_labels(packet_info *pinfo, guint8 *labels);

#endif
