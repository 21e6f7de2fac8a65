/*
 * shim.c - the epan postdissector: frames in, tcpprobe verdicts out.
 *
 * Data flows one way: the frame's TCP segment (extract.c: from the frame's bytes, never from the
 * protocol tree) -> tcpprobe_classify_frame() in the Rust core -> expert info and the Info column
 * in every dissection, and generated items wherever the dissection has a tree (render.c). The
 * classifier is called only on the first pass; its verdicts are stored per frame, only where
 * there is one, and its events (episodes, tentative verdicts made final, unanswered probes, probes
 * recognised by their reply) update
 * those stored results (results.c). A single pass shows what was known at each frame, marking
 * tentative verdicts; every later dissection (tshark -2, the GUI's clicks, columns, the Expert
 * Information dialog) shows the refined, whole-capture view; the episodes a frame touches go to
 * tcpprobe's tap (stats.c) in every pass. register.c registers it all.
 *
 * Wireshark reports errors by longjmp. No Wireshark function is called while a Rust frame is on
 * the stack: the Rust side is only entered through tcpprobe_classify_frame() and friends, which
 * return before any epan call here.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <string.h>

#include <glib.h>

#include <epan/packet.h>

#include "extract.h"
#include "plugin.h"

int tcpprobe_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!tcpprobe_results_ready())
        return 0;
    /* Wireshark's labels as this dissection has them; those of the first pass otherwise. */
    guint8 labels;
    gboolean labels_known = tcpprobe_extract_wireshark_labels(&labels);
    frame_result_t shown;
    memset(&shown, 0, sizeof(shown));
    guint64 time_ns = pinfo->abs_ts.secs >= 0
                          ? (guint64)pinfo->abs_ts.secs * 1000000000u + (guint64)pinfo->abs_ts.nsecs
                          : 0;
    gboolean stored = PINFO_FD_VISITED(pinfo) ? tcpprobe_results_of_frame(pinfo->num, time_ns, &shown)
                                              : tcpprobe_results_classify(tvb, pinfo, labels_known, labels, &shown);
    if (stored)
        tcpprobe_stats_queue(pinfo, &shown);
    if (labels_known) {
        shown.ws_labels = labels;
        shown.ws_labels_known = 1;
    }
    if (!stored && shown.ws_labels == 0)
        return 0;
    tcpprobe_render(tree, tvb, pinfo, &shown);
    return tvb_captured_length(tvb);
}
