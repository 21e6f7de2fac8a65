/*
 * plugin.h - what the plugin's C files share; private to the plugin.
 *
 *   extract.c   input: the frame's segment (classifier) and Wireshark's own labels (extract.h)
 *   results.c   per-frame results: the classifier's verdicts and events, kept per capture file
 *   render.c    output: items under the TCP node, expert info, the Info column
 *   register.c  fields, expert infos, preferences, the protocol and its lifecycle
 *   stats.c     the overview: tcpprobe's tap and the TCP Stalls table (-z tcpprobe,stalls)
 *   shim.c      the dissector: one frame from extract through results to render
 *
 * Every Wireshark-version-specific line is in ws_compat.h.
 */
#ifndef TCPPROBE_PLUGIN_H
#define TCPPROBE_PLUGIN_H

#include <glib.h>

#include <epan/expert.h>
#include <epan/packet.h>

#include "tcpprobe.h"
#include "ws_compat.h"

/* ---- registration (register.c): ids that rendering adds items with ---- */

extern int proto_tcpprobe;

extern int hf_verdict;
extern int hf_zero_window_probe;
extern int hf_zero_window_probe_ack;
extern int hf_keep_alive;
extern int hf_keep_alive_ack;
extern int hf_corrected;
extern int hf_wireshark_said;
extern int hf_style;
extern int hf_reason;
extern int hf_peer_window_zero;
extern int hf_peer_window_unknown;
extern int hf_window_closed_in;
extern int hf_answers;
extern int hf_since_window_closed;
extern int hf_since_previous_probe;
extern int hf_episode;
extern int hf_probe_number;
extern int hf_interval_ratio;
extern int hf_idle_before_first;
extern int hf_window_reopened_in;
extern int hf_answered_in;
extern int hf_unanswered;
extern int hf_tentative;
extern int hf_revised_from;
extern int hf_recognised_in;
extern int hf_evicted;
extern int hf_failed;
extern int hf_keepalive_mismatch;
extern int hf_summary;
extern int hf_summary_kind;
extern int hf_summary_duration;
extern int hf_summary_probes;
extern int hf_summary_zero_window_probes;
extern int hf_summary_keep_alives;
extern int hf_summary_answered;
extern int hf_summary_rate_limited;
extern int hf_summary_no_reply;
extern int hf_summary_max_interval;
extern int hf_summary_end;
extern int hf_summary_window_closed_in;
extern int hf_summary_first_probe;
extern int hf_summary_note;
extern int hf_summary_in;

extern gint ett_tcpprobe;
extern gint ett_summary;

extern expert_field ei_zero_window_probe;
extern expert_field ei_zero_window_probe_ack;
extern expert_field ei_keep_alive;
extern expert_field ei_keep_alive_ack;
extern expert_field ei_zero_window_episode;
extern expert_field ei_keep_alive_series;
extern expert_field ei_keep_alive_abort;
extern expert_field ei_keep_alive_settings;
extern expert_field ei_unanswered;
extern expert_field ei_episode_note;
extern expert_field ei_episode_detail;
extern expert_field ei_after_episode;
extern expert_field ei_connection_limit;
extern expert_field ei_failed;

/* Preferences (Edit > Preferences > Protocols > tcpprobe); expert texts quote the first three. */
extern guint pref_keepalive_time;
extern guint pref_keepalive_interval;
extern guint pref_keepalive_probes;
extern guint pref_invalid_ratelimit_ms;
extern guint pref_max_connections;
extern tcpprobe_pref_bool pref_rewrite_info;

/* The dissector that register.c registers as a postdissector (shim.c). */
int tcpprobe_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);

/* ---- per-frame results (results.c), stored only for frames that have something to show ---- */

/* A frame's whole result, as rendering reads it (results.c stores it more compactly). */
typedef struct {
    tcpprobe_verdict verdict;
    guint8 ws_labels;    /* WS_* bits, when ws_labels_known */
    guint8 ws_labels_known;
    guint8 revised_from; /* the tentative class a later packet overturned; 0 = not revised */
    guint8 unanswered;   /* enum tcpprobe_unanswered, once known; 0 = answered or not yet known */
    guint32 answered_in; /* frame of the reply to this probe; 0 = none seen */
    guint32 recognised_in; /* frame (the reply) that showed this frame was a probe, when its own
                              dissection could not tell (capture began mid-stream); 0 = none */
    guint64 ended[2];    /* ids of episodes that ended in this segment; 0 = none */
    guint64 refers_to;   /* an episode that ended earlier and that this segment tells more about
                            (the prober's RST after the window reopened); 0 = none */
    guint64 evicted;     /* this segment made the classifier forget connections (the limit): how
                            many so far; 0 = none */
    guint8 failed;       /* the classifier failed on this segment (a bug, contained) */
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

/* First pass only: classifies the frame's segment and applies the events it caused; stores its
 * result and reads it into `out` when there is something to show (a verdict, an episode ending
 * here, connections forgotten, or a label of Wireshark's to correct), else returns FALSE. */
gboolean tcpprobe_results_classify(tvbuff_t *tvb, packet_info *pinfo, gboolean labels_known, guint8 labels,
                                   frame_result_t *out);

/* The stored result of a frame (captured at `time_ns`) into `out`; FALSE when there is none. */
gboolean tcpprobe_results_of_frame(guint64 packet, guint64 time_ns, frame_result_t *out);

/* The newest snapshot of an episode, or NULL. */
const tcpprobe_episode *tcpprobe_results_episode(guint64 id);

/* Latest capture time seen on the first pass: where an episode still open "ended". */
guint64 tcpprobe_results_capture_end_ns(void);

/* The capture's first frame's time (what Wireshark's relative times count from). */
guint64 tcpprobe_results_capture_start_ns(void);

/* The first frame whose segment made the classifier forget connections; 0 = none yet. */
guint32 tcpprobe_results_first_eviction(void);

/* Who probed whom in an episode: the TCP stream (G_MAXUINT32: none) and the prober's and the
 * probed side's "address:port", newly allocated (g_free them). FALSE for an unknown episode. */
gboolean tcpprobe_results_episode_endpoints(guint64 id, guint32 *stream, char **prober, char **probed);

/* ---- rendering (render.c): every pass ---- */

/* Looks up the TCP protocol, whose node the items go under (each capture file's init). */
void tcpprobe_render_init(void);

/* Shows a frame's result: items wherever the dissection has a tree, expert info, and (with the
 * preference) the Info column. Wireshark's labels unknown to this dissection mean no correction. */
void tcpprobe_render(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const frame_result_t *r);

/* ---- statistics (stats.c): every pass ---- */

/* Registers tcpprobe's tap and the TCP Stalls table (at protocol registration). */
void tcpprobe_stats_register(void);

/* Queues the episodes a frame's result starts, continues or ends on tcpprobe's tap. */
void tcpprobe_stats_queue(packet_info *pinfo, const frame_result_t *r);

#endif
