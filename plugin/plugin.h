/*
 * plugin.h - what the plugin's C files share; private to the plugin.
 *
 *   extract.c   input: the frame's segment (classifier) and Wireshark's own labels (extract.h)
 *   results.c   per-frame results: the classifier's verdicts and events, kept per capture file
 *   shim.c      rendering, registration, and the dissector
 *
 * Every Wireshark-version-specific line is in ws_compat.h.
 */
#ifndef TCPPROBE_PLUGIN_H
#define TCPPROBE_PLUGIN_H

#include <glib.h>

#include <epan/packet.h>

#include "tcpprobe.h"
#include "ws_compat.h"

/* ---- per-frame results (results.c), stored only for frames that have something to show ---- */

typedef struct {
    tcpprobe_verdict verdict;
    guint8 ws_labels;    /* WS_* bits, when ws_labels_known */
    guint8 ws_labels_known;
    guint8 revised_from; /* the tentative class a later packet overturned; 0 = not revised */
    guint8 unanswered;   /* enum tcpprobe_unanswered, once known; 0 = answered or not yet known */
    guint32 answered_in; /* frame of the reply to this probe; 0 = none seen */
    guint64 ended[2];    /* ids of episodes that ended in this segment; 0 = none */
} frame_result_t;

/* Creates the stores, emptied with each capture file (at registration). */
void tcpprobe_results_register(void);

/* Per capture file: creates the classifier if there is none yet and configures it (which also
 * resets it); forgets the capture's end. */
void tcpprobe_results_init(const tcpprobe_config *cfg);

/* After a capture file: resets the classifier. */
void tcpprobe_results_cleanup(void);

/* At exit: frees the classifier. */
void tcpprobe_results_shutdown(void);

/* FALSE when there is no classifier (it could not be created): nothing to dissect. */
gboolean tcpprobe_results_ready(void);

/* First pass only: classifies the frame's segment and applies the events it caused; stores and
 * returns its result when there is something to show (a verdict, an episode ending here, or a
 * label of Wireshark's to correct), NULL otherwise. */
frame_result_t *tcpprobe_results_classify(tvbuff_t *tvb, packet_info *pinfo, gboolean labels_known,
                                          guint8 labels);

/* The stored result of a frame, or NULL. */
frame_result_t *tcpprobe_results_of_frame(guint64 packet);

/* The newest snapshot of an episode, or NULL. */
const tcpprobe_episode *tcpprobe_results_episode(guint64 id);

/* Latest capture time seen on the first pass: where an episode still open "ended". */
guint64 tcpprobe_results_capture_end_ns(void);

#endif
