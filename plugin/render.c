/*
 * render.c - tcpprobe's output: a frame's stored result shown in whatever the dissection has.
 *
 * Expert info and the Info column in every dissection, generated items wherever it has a tree:
 * under the frame's TCP node, or at the top of a tree that has none. Enum fields carry their
 * value_strings, so items are added with raw values and Wireshark prints the text.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <string.h>

#include <glib.h>

#include <epan/column-utils.h>
#include <epan/expert.h>
#include <epan/ftypes/ftypes.h>
#include <epan/packet.h>
#include <epan/proto.h>

#include "extract.h"
#include "plugin.h"
#include "tcpprobe.h"

static int proto_tcp = -1;

/* The Info column label of each class, the Wireshark label bit it corresponds to, and the text
 * Wireshark's TCP dissector prepends for that bit. */
static const struct {
    guint8 verdict_class;
    guint8 ws_bit;
    const char *name;
    const char *info_label;
} labels[] = {
    {TCPPROBE_CLASS_KEEP_ALIVE, WS_KEEP_ALIVE, "Keep-Alive", "[TCP Keep-Alive] "},
    {TCPPROBE_CLASS_KEEP_ALIVE_ACK, WS_KEEP_ALIVE_ACK, "Keep-Alive ACK", "[TCP Keep-Alive ACK] "},
    {TCPPROBE_CLASS_ZERO_WINDOW_PROBE, WS_ZERO_WINDOW_PROBE, "ZeroWindowProbe",
     "[TCP ZeroWindowProbe] "},
    {TCPPROBE_CLASS_ZERO_WINDOW_PROBE_ACK, WS_ZERO_WINDOW_PROBE_ACK, "ZeroWindowProbeAck",
     "[TCP ZeroWindowProbeAck] "},
};

static guint8 ws_bit_of_class(guint8 verdict_class)
{
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++)
        if (labels[i].verdict_class == verdict_class)
            return labels[i].ws_bit;
    return 0;
}

static char *wireshark_said(const frame_result_t *r)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++) {
        if (r->ws_labels & labels[i].ws_bit) {
            if (s->len)
                g_string_append(s, ", ");
            g_string_append(s, labels[i].name);
        }
    }
    if (!s->len)
        g_string_append(s, "no probe label");
    return g_string_free(s, FALSE);
}

static void add_duration(proto_tree *tree, int hf, tvbuff_t *tvb, guint64 ns)
{
    nstime_t t;
    nstime_set_zero(&t);
    t.secs = (time_t)(ns / 1000000000u);
    t.nsecs = (int)(ns % 1000000000u);
    proto_item_set_generated(proto_tree_add_time(tree, hf, tvb, 0, 0, &t));
}

static void add_framenum(proto_tree *tree, int hf, tvbuff_t *tvb, guint64 frame)
{
    proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, (guint32)frame));
}

static void add_count(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 n)
{
    proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, n));
}

/* Notes that say something went wrong or differs from what is expected; the others describe
 * timers doing what they should. */
#define NOTABLE_NOTES                                                                              \
    (TCPPROBE_NOTE_ALL_ANSWERED | TCPPROBE_NOTE_PROBES_STOPPED | TCPPROBE_NOTE_KEEPALIVE_ABORT |    \
     TCPPROBE_NOTE_KEEPALIVE_SETTINGS_DIFFER | TCPPROBE_NOTE_UNANSWERED_PROBES |                   \
     TCPPROBE_NOTE_RST_AFTER_REOPEN)

static void append_seconds(GString *s, const char *label, guint64 ns)
{
    g_string_append_printf(s, "%s%.3f s", label, (double)ns / 1e9);
}

/* The summary of an episode, on the frame that ended it (or, once the whole capture has been
 * read, on the last frame of an episode still open at its end). */
static void add_summary(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const tcpprobe_episode *ep)
{
    gboolean open = ep->end_cause == 0;
    guint64 capture_end_ns = tcpprobe_results_capture_end_ns();
    guint32 notes = open ? tcpprobe_episode_notes_at_capture_end(ep, capture_end_ns) : ep->notes;
    guint64 duration = tcpprobe_episode_duration_ns(ep, capture_end_ns);
    guint32 probes = ep->zero_window_probes + ep->keep_alives;
    gboolean zero_window = ep->kind == TCPPROBE_EPISODE_ZERO_WINDOW;

    proto_item *top = proto_tree_add_uint(tree, hf_summary, tvb, 0, 0, (guint32)ep->id);
    proto_item_set_generated(top);
    proto_tree *st = proto_item_add_subtree(top, ett_summary);
    proto_item_set_generated(proto_tree_add_uint(st, hf_summary_kind, tvb, 0, 0, ep->kind));
    add_duration(st, hf_summary_duration, tvb, duration);
    add_count(st, hf_summary_probes, tvb, probes);
    add_count(st, hf_summary_zero_window_probes, tvb, ep->zero_window_probes);
    add_count(st, hf_summary_keep_alives, tvb, ep->keep_alives);
    add_count(st, hf_summary_answered, tvb, ep->answered);
    add_count(st, hf_summary_rate_limited, tvb, ep->rate_limited);
    add_count(st, hf_summary_no_reply, tvb, ep->no_reply);
    add_duration(st, hf_summary_max_interval, tvb, ep->max_interval_ns);
    proto_item_set_generated(proto_tree_add_uint(st, hf_summary_end, tvb, 0, 0, ep->end_cause));
    if (ep->has_window_closed_in)
        add_framenum(st, hf_summary_window_closed_in, tvb, ep->window_closed_in);
    add_framenum(st, hf_summary_first_probe, tvb, ep->first_probe);

    GString *text = g_string_new(NULL);
    const char *kind = tcpprobe_episode_kind_description(ep->kind);
    const char *noun = ep->zero_window_probes ? (probes == 1 ? "probe" : "probes")
                                              : (probes == 1 ? "keep-alive" : "keep-alives");
    g_string_append_printf(text, "%c%s %u: %u %s", g_ascii_toupper((kind ? kind : "episode")[0]),
                           (kind ? kind : "episode") + 1, (guint)ep->id, probes, noun);
    append_seconds(text, " over ", duration);
    g_string_append_printf(text, " (%u answered", ep->answered);
    if (ep->max_interval_ns)
        append_seconds(text, ", largest interval ", ep->max_interval_ns);
    g_string_append(text, "); ended: ");
    if (open) {
        g_string_append(text, "still open when the capture ended");
    } else {
        const char *cause = tcpprobe_end_cause_description(ep->end_cause);
        g_string_append(text, cause ? cause : "?");
    }
    /* One Warning per stall (a zero-window episode); a keep-alive series is a Note. */
    expert_field *ei = zero_window ? &ei_zero_window_episode : &ei_keep_alive_series;
    expert_add_info_format(pinfo, top, ei, "%s", text->str);
    /* What the timing is consistent with: an item and an expert line each (expert texts are cut
     * at 240 characters, so they are not joined into one). Normal timer behaviour is Chat; what
     * a user should know (silent aborts, unanswered probes, settings that differ) is a Note. */
    for (guint32 bit = 1; bit; bit <<= 1) {
        if (!(notes & bit))
            continue;
        const char *note = tcpprobe_note_description(bit);
        if (!note)
            continue;
        proto_item *ni = proto_tree_add_string(st, hf_summary_note, tvb, 0, 0, note);
        proto_item_set_generated(ni);
        expert_field *nei = (bit & NOTABLE_NOTES) ? &ei_episode_note : &ei_episode_detail;
        expert_add_info_format(pinfo, ni, nei, "Episode %u: %s", (guint)ep->id, note);
    }
    if (notes & TCPPROBE_NOTE_KEEPALIVE_ABORT)
        expert_add_info_format(pinfo, top, &ei_keep_alive_abort,
                               "Keep-alive abort: RST after %u unanswered keep-alives", ep->unanswered_in_a_row);
    if (ep->keepalive_mismatch & TCPPROBE_MISMATCH_COUNT)
        expert_add_info_format(pinfo, top, &ei_keep_alive_settings,
                               "Keep-alive abort after %u unanswered keep-alives; preferences expect %u",
                               ep->unanswered_in_a_row, pref_keepalive_probes);
    g_string_free(text, TRUE);
}

/* A frame that tells more about an episode that ended before it: a link to the summary. */
static void add_summary_link(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, guint64 id)
{
    const tcpprobe_episode *ep = tcpprobe_results_episode(id);
    if (!ep || !ep->end_cause)
        return;
    proto_item *ti = proto_tree_add_uint(tree, hf_summary_in, tvb, 0, 0, (guint32)ep->end_packet);
    proto_item_set_generated(ti);
    if (ep->notes & TCPPROBE_NOTE_RST_AFTER_REOPEN)
        expert_add_info_format(pinfo, ti, &ei_after_episode,
                               "RST from the prober of episode %u after the window reopened: it had "
                               "aborted silently; summary in frame %u",
                               (guint)id, (guint)ep->end_packet);
}

/* The per-probe episode items: number, interval, reply, how the episode ends. */
static void add_episode_items(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const frame_result_t *r)
{
    const tcpprobe_verdict *v = &r->verdict;
    const tcpprobe_episode *ep = tcpprobe_results_episode(v->episode);
    gboolean is_probe = !v->has_answers;
    proto_item *ti;

    add_count(tree, hf_episode, tvb, (guint32)v->episode);
    add_count(tree, hf_probe_number, tvb, v->probe_number);
    if (v->has_interval_ratio) {
        ti = proto_tree_add_double(tree, hf_interval_ratio, tvb, 0, 0, v->interval_ratio_milli / 1000.0);
        proto_item_set_generated(ti);
    }
    if (is_probe && v->probe_number == 1 && ep && ep->has_idle_before_first)
        add_duration(tree, hf_idle_before_first, tvb, ep->idle_before_first_ns);
    if (ep && ep->has_window_reopened_in)
        add_framenum(tree, hf_window_reopened_in, tvb, ep->window_reopened_in);
    if (is_probe && r->answered_in)
        add_framenum(tree, hf_answered_in, tvb, r->answered_in);
    if (is_probe && r->unanswered) {
        ti = proto_tree_add_uint(tree, hf_unanswered, tvb, 0, 0, r->unanswered);
        proto_item_set_generated(ti);
        const char *why = tcpprobe_unanswered_description(r->unanswered);
        expert_add_info_format(pinfo, ti, &ei_unanswered, "Probe unanswered: %s", why ? why : "?");
    }
    ti = TCPPROBE_ADD_BOOLEAN(tree, hf_tentative, tvb, v->tentative);
    proto_item_set_generated(ti);
    if (r->revised_from) {
        ti = proto_tree_add_uint(tree, hf_revised_from, tvb, 0, 0, r->revised_from);
        proto_item_set_generated(ti);
    }
    if (r->recognised_in)
        add_framenum(tree, hf_recognised_in, tvb, r->recognised_in);
    if (v->keepalive_mismatch) {
        ti = proto_tree_add_uint(tree, hf_keepalive_mismatch, tvb, 0, 0, v->keepalive_mismatch);
        proto_item_set_generated(ti);
        GString *s = g_string_new("Keep-alive timing differs from the preferences: ");
        if (v->keepalive_mismatch & TCPPROBE_MISMATCH_IDLE)
            g_string_append_printf(s, "expected %u s idle", pref_keepalive_time);
        if (v->keepalive_mismatch & TCPPROBE_MISMATCH_INTERVAL)
            g_string_append_printf(s, "expected a %u s interval", pref_keepalive_interval);
        if (v->has_since_previous_probe)
            append_seconds(s, ", saw ", v->since_previous_probe_ns);
        else if (ep && ep->has_idle_before_first)
            append_seconds(s, ", saw ", ep->idle_before_first_ns);
        expert_add_info_format(pinfo, ti, &ei_keep_alive_settings, "%s", s->str);
        g_string_free(s, TRUE);
    }
}

static void add_items(proto_tree *tcp_tree, tvbuff_t *tvb, packet_info *pinfo, const frame_result_t *r)
{
    const tcpprobe_verdict *v = &r->verdict;
    guint8 cls = v->verdict_class;
    gboolean corrected = ws_bit_of_class(cls) != r->ws_labels;
    const char *class_name = tcpprobe_class_name(cls);
    const char *reason = tcpprobe_reason_description(v->reason);

    /* A segment with neither a verdict nor a Wireshark label is here only to end an episode, to
     * tell more about one that ended before it, or to say that connections were forgotten. */
    gboolean only_ends = cls == TCPPROBE_CLASS_NONE && r->ws_labels == 0;
    proto_item *top = proto_tree_add_item(tcp_tree, proto_tcpprobe, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    if (r->failed)
        proto_item_append_text(top, ": classifier failed");
    else if (only_ends && r->ended[0] == 0 && !r->refers_to && r->evicted)
        proto_item_append_text(top, ": connection limit reached");
    else if (only_ends && r->ended[0] == 0 && r->refers_to)
        proto_item_append_text(top, ": explains episode %u", (guint)r->refers_to);
    else if (only_ends)
        proto_item_append_text(top, ": ends an episode");
    else
        proto_item_append_text(top, ": %s%s%s", class_name ? class_name : "not a probe",
                               v->tentative ? " (tentative)" : "",
                               corrected ? " (corrects Wireshark's label)" : "");
    proto_tree *tree = proto_item_add_subtree(top, ett_tcpprobe);

    proto_item *ti;
    if (!only_ends && !r->failed) {
        ti = proto_tree_add_uint(tree, hf_verdict, tvb, 0, 0, cls);
        proto_item_set_generated(ti);
    }

    /* Episodes that ended here; an episode still open at the end of the capture gets its summary
     * on its last frame, once the whole capture is known (never in a single pass). */
    for (int k = 0; k < 2; k++) {
        const tcpprobe_episode *ep = r->ended[k] ? tcpprobe_results_episode(r->ended[k]) : NULL;
        if (ep)
            add_summary(tree, tvb, pinfo, ep);
    }
    if (r->refers_to)
        add_summary_link(tree, tvb, pinfo, r->refers_to);
    if (r->failed) {
        ti = proto_tree_add_item(tree, hf_failed, tvb, 0, 0, ENC_NA);
        proto_item_set_generated(ti);
        expert_add_info(pinfo, ti, &ei_failed);
    }
    if (r->evicted) {
        ti = proto_tree_add_uint64(tree, hf_evicted, tvb, 0, 0, r->evicted);
        proto_item_set_generated(ti);
        if (tcpprobe_results_first_eviction() == pinfo->num)
            expert_add_info_format(pinfo, ti, &ei_connection_limit,
                                   "Connection limit reached (%u): tcpprobe forgot the least recently "
                                   "active connections; their later segments are judged as in a capture "
                                   "that begins mid-stream (Preferences > tcpprobe > Connections followed "
                                   "at most)",
                                   pref_max_connections);
    }
    if (v->has_episode && PINFO_FD_VISITED(pinfo)) {
        const tcpprobe_episode *ep = tcpprobe_results_episode(v->episode);
        if (ep && ep->end_cause == 0 && ep->last_packet == pinfo->num)
            add_summary(tree, tvb, pinfo, ep);
    }

    if (corrected) {
        char *said = wireshark_said(r);
        ti = proto_tree_add_item(tree, hf_corrected, tvb, 0, 0, ENC_NA);
        proto_item_set_generated(ti);
        ti = proto_tree_add_string(tree, hf_wireshark_said, tvb, 0, 0, said);
        proto_item_set_generated(ti);
        g_free(said);
    }

    int hf_class = -1;
    expert_field *ei = NULL;
    switch (cls) {
    case TCPPROBE_CLASS_ZERO_WINDOW_PROBE: hf_class = hf_zero_window_probe; ei = &ei_zero_window_probe; break;
    case TCPPROBE_CLASS_ZERO_WINDOW_PROBE_ACK: hf_class = hf_zero_window_probe_ack; ei = &ei_zero_window_probe_ack; break;
    case TCPPROBE_CLASS_KEEP_ALIVE: hf_class = hf_keep_alive; ei = &ei_keep_alive; break;
    case TCPPROBE_CLASS_KEEP_ALIVE_ACK: hf_class = hf_keep_alive_ack; ei = &ei_keep_alive_ack; break;
    default: return; /* Wireshark labelled something that is neither: the correction says it all */
    }
    ti = proto_tree_add_item(tree, hf_class, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(ti);
    expert_add_info_format(pinfo, ti, ei, "%s%s: %s", class_name,
                           corrected ? " (corrected by tcpprobe)" : "", reason ? reason : "");

    if (!v->has_answers) { /* how the probe is built; its ACK is an ordinary ACK */
        ti = proto_tree_add_uint(tree, hf_style, tvb, 0, 0, v->style);
        proto_item_set_generated(ti);
    }
    ti = proto_tree_add_uint(tree, hf_reason, tvb, 0, 0, v->reason);
    proto_item_set_generated(ti);
    /* A window the capture cut stays unknown: no guess of zero or open. */
    if (v->peer_window_unknown)
        ti = proto_tree_add_item(tree, hf_peer_window_unknown, tvb, 0, 0, ENC_NA);
    else
        ti = TCPPROBE_ADD_BOOLEAN(tree, hf_peer_window_zero, tvb, v->peer_window_zero);
    proto_item_set_generated(ti);
    if (v->has_window_closed_in) {
        ti = proto_tree_add_uint(tree, hf_window_closed_in, tvb, 0, 0, (guint32)v->window_closed_in);
        proto_item_set_generated(ti);
    }
    if (v->has_answers) {
        ti = proto_tree_add_uint(tree, hf_answers, tvb, 0, 0, (guint32)v->answers);
        proto_item_set_generated(ti);
    }
    if (v->has_since_window_closed)
        add_duration(tree, hf_since_window_closed, tvb, v->since_window_closed_ns);
    if (v->has_since_previous_probe)
        add_duration(tree, hf_since_previous_probe, tvb, v->since_previous_probe_ns);
    if (v->has_episode)
        add_episode_items(tree, tvb, pinfo, r);
}

/* Replaces Wireshark's probe labels in the Info column by tcpprobe's. */
static void fix_info_column(packet_info *pinfo, guint8 verdict_class)
{
    if (!pinfo->cinfo || !col_get_writable(pinfo->cinfo, COL_INFO))
        return;
    const char *text = col_get_text(pinfo->cinfo, COL_INFO);
    if (!text)
        return;
    GString *s = g_string_new(text);
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++) {
        if (labels[i].verdict_class == verdict_class)
            continue;
        const char *hit;
        while ((hit = strstr(s->str, labels[i].info_label)) != NULL)
            g_string_erase(s, hit - s->str, strlen(labels[i].info_label));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++)
        if (labels[i].verdict_class == verdict_class && !strstr(s->str, labels[i].info_label))
            g_string_prepend(s, labels[i].info_label);
    if (strcmp(s->str, text) != 0) {
        col_clear_fence(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, s->str);
    }
    g_string_free(s, TRUE);
}

/* Where the items go: under the frame's TCP node, or at the top of a tree that has none (a tree
 * built only for filters or columns fakes the nodes nobody asked for). */
static proto_tree *tcp_node(proto_tree *tree)
{
    for (proto_node *n = tree ? ((proto_node *)tree)->first_child : NULL; n; n = n->next) {
        const header_field_info *hfi = TCPPROBE_PNODE_HFINFO(n);
        if (hfi && hfi->id == proto_tcp)
            return (proto_tree *)n;
    }
    return tree;
}

void tcpprobe_render_init(void)
{
    proto_tcp = proto_get_id_by_filter_name("tcp");
}

void tcpprobe_render(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const frame_result_t *r)
{
    frame_result_t shown = *r;
    if (!shown.ws_labels_known)
        shown.ws_labels = ws_bit_of_class(shown.verdict.verdict_class); /* unknown: no correction */
    add_items(tcp_node(tree), tvb, pinfo, &shown);
    /* Without a verdict of its own (the classifier failed) tcpprobe has nothing to correct. */
    if (pref_rewrite_info && !shown.failed)
        fix_info_column(pinfo, shown.verdict.verdict_class);
}
