/*
 * shim.c - the epan postdissector: frames in, tcpprobe verdicts out.
 *
 * Data flows one way: the frame's TCP segment (extract.c: from the frame's bytes, never from the
 * protocol tree) -> tcpprobe_classify() in the Rust core -> expert info and the Info column in
 * every dissection, and generated items wherever the dissection has a tree. The classifier is
 * called only on the first pass; its verdicts are stored per frame, only where there is one, and
 * its events (episodes, tentative verdicts made final, unanswered probes) update those stored
 * results (results.c). A single pass shows what was known at each frame, marking tentative verdicts; every
 * later dissection (tshark -2, the GUI's clicks, columns, the Expert Information dialog) shows
 * the refined, whole-capture view.
 *
 * Wireshark reports errors by longjmp. No Wireshark function is called while a Rust frame is on
 * the stack: the Rust side is only entered through tcpprobe_classify() and friends, which return
 * before any epan call here.
 */
#include <string.h>

#include <glib.h>

#include <epan/column-utils.h>
#include <epan/expert.h>
#include <epan/ftypes/ftypes.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>

#include "extract.h"
#include "plugin.h"
#include "shim.h"
#include "tcpprobe.h"
#include "ws_compat.h"

/* ---- registration data ---- */

static int proto_tcpprobe = -1;
static dissector_handle_t tcpprobe_handle;

static int hf_verdict = -1;
static int hf_zero_window_probe = -1;
static int hf_zero_window_probe_ack = -1;
static int hf_keep_alive = -1;
static int hf_keep_alive_ack = -1;
static int hf_corrected = -1;
static int hf_wireshark_said = -1;
static int hf_style = -1;
static int hf_reason = -1;
static int hf_peer_window_zero = -1;
static int hf_window_closed_in = -1;
static int hf_answers = -1;
static int hf_since_window_closed = -1;
static int hf_since_previous_probe = -1;
static int hf_episode = -1;
static int hf_probe_number = -1;
static int hf_interval_ratio = -1;
static int hf_idle_before_first = -1;
static int hf_window_reopened_in = -1;
static int hf_answered_in = -1;
static int hf_unanswered = -1;
static int hf_tentative = -1;
static int hf_revised_from = -1;
static int hf_keepalive_mismatch = -1;
static int hf_summary = -1;
static int hf_summary_kind = -1;
static int hf_summary_duration = -1;
static int hf_summary_probes = -1;
static int hf_summary_zero_window_probes = -1;
static int hf_summary_keep_alives = -1;
static int hf_summary_answered = -1;
static int hf_summary_rate_limited = -1;
static int hf_summary_no_reply = -1;
static int hf_summary_max_interval = -1;
static int hf_summary_end = -1;
static int hf_summary_window_closed_in = -1;
static int hf_summary_first_probe = -1;
static int hf_summary_note = -1;

static gint ett_tcpprobe = -1;
static gint ett_summary = -1;

/* Zero-initialised expert fields work in every supported version (EI_INIT differs). */
static expert_field ei_zero_window_probe;
static expert_field ei_zero_window_probe_ack;
static expert_field ei_keep_alive;
static expert_field ei_keep_alive_ack;
static expert_field ei_zero_window_episode;
static expert_field ei_keep_alive_series;
static expert_field ei_keep_alive_abort;
static expert_field ei_keep_alive_settings;
static expert_field ei_unanswered;

/* ---- preferences (Edit > Preferences > Protocols > tcpprobe) ---- */

/* The keep-alive settings the prober is expected to run with: Linux's defaults. */
static guint pref_keepalive_time = 7200;
static guint pref_keepalive_interval = 75;
static guint pref_keepalive_probes = 9;
static guint pref_invalid_ratelimit_ms = 500;
static tcpprobe_pref_bool pref_rewrite_info = TRUE;

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

/* ---- display: every pass ---- */

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
    expert_field *ei = zero_window ? &ei_zero_window_episode : &ei_keep_alive_series;
    expert_add_info_format(pinfo, top, ei, "%s", text->str);
    /* What the timing is consistent with: an item and an expert line each (expert texts are cut
     * at 240 characters, so they are not joined into one). */
    for (guint32 bit = 1; bit; bit <<= 1) {
        if (!(notes & bit))
            continue;
        const char *note = tcpprobe_note_description(bit);
        if (!note)
            continue;
        proto_item *ni = proto_tree_add_string(st, hf_summary_note, tvb, 0, 0, note);
        proto_item_set_generated(ni);
        expert_add_info_format(pinfo, ni, ei, "Episode %u: %s", (guint)ep->id, note);
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
        expert_add_info_format(pinfo, ti, &ei_unanswered, "Probe %s", why ? why : "unanswered");
    }
    ti = TCPPROBE_ADD_BOOLEAN(tree, hf_tentative, tvb, v->tentative);
    proto_item_set_generated(ti);
    if (r->revised_from) {
        ti = proto_tree_add_uint(tree, hf_revised_from, tvb, 0, 0, r->revised_from);
        proto_item_set_generated(ti);
    }
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

    /* A segment with neither a verdict nor a Wireshark label is here only to end an episode. */
    gboolean only_ends = cls == TCPPROBE_CLASS_NONE && r->ws_labels == 0;
    proto_item *top = proto_tree_add_item(tcp_tree, proto_tcpprobe, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    if (only_ends)
        proto_item_append_text(top, ": ends an episode");
    else
        proto_item_append_text(top, ": %s%s%s", class_name ? class_name : "not a probe",
                               v->tentative ? " (tentative)" : "",
                               corrected ? " (corrects Wireshark's label)" : "");
    proto_tree *tree = proto_item_add_subtree(top, ett_tcpprobe);

    proto_item *ti;
    if (!only_ends) {
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

    ti = proto_tree_add_uint(tree, hf_style, tvb, 0, 0, v->style);
    proto_item_set_generated(ti);
    ti = proto_tree_add_uint(tree, hf_reason, tvb, 0, 0, v->reason);
    proto_item_set_generated(ti);
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

static int dissect_tcpprobe(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!tcpprobe_results_ready())
        return 0;
    /* Wireshark's labels as this dissection has them; those of the first pass otherwise. */
    guint8 labels;
    gboolean labels_known = tcpprobe_extract_wireshark_labels(&labels);
    frame_result_t *stored = PINFO_FD_VISITED(pinfo) ? tcpprobe_results_of_frame(pinfo->num)
                                                     : tcpprobe_results_classify(tvb, pinfo, labels_known, labels);
    frame_result_t shown;
    memset(&shown, 0, sizeof(shown));
    if (stored)
        shown = *stored;
    if (labels_known) {
        shown.ws_labels = labels;
        shown.ws_labels_known = 1;
    }
    if (!stored && shown.ws_labels == 0)
        return 0;
    if (!shown.ws_labels_known)
        shown.ws_labels = ws_bit_of_class(shown.verdict.verdict_class); /* unknown: no correction */
    add_items(tcp_node(tree), tvb, pinfo, &shown);
    if (pref_rewrite_info)
        fix_info_column(pinfo, shown.verdict.verdict_class);
    return tvb_captured_length(tvb);
}

/* ---- lifecycle: state lives per capture file ---- */

static void tcpprobe_init(void)
{
    proto_tcp = proto_get_id_by_filter_name("tcp");
    tcpprobe_extract_init();
    /* Preferences may have changed since the last file: configure (which also resets). */
    tcpprobe_config cfg;
    tcpprobe_config_default(&cfg);
    cfg.keepalive_time_ns = (guint64)pref_keepalive_time * 1000000000u;
    cfg.keepalive_interval_ns = (guint64)pref_keepalive_interval * 1000000000u;
    cfg.keepalive_probes = pref_keepalive_probes;
    cfg.invalid_ratelimit_ns = (guint64)pref_invalid_ratelimit_ms * 1000000u;
    tcpprobe_results_init(&cfg);
}

static void tcpprobe_cleanup(void)
{
    tcpprobe_results_cleanup();
}

static void tcpprobe_shutdown(void)
{
    tcpprobe_results_shutdown();
}

/* value_string tables built from the core's own texts, so names live in one place. */
static const value_string *value_strings(const char *(*text)(guint8))
{
    GArray *vals = g_array_new(TRUE, TRUE, (guint)sizeof(value_string));
    for (guint v = 1; v < 256; v++) {
        const char *t = text((guint8)v);
        if (t) {
            value_string vs = {v, t};
            g_array_append_val(vals, vs);
        }
    }
    return (const value_string *)(void *)g_array_free(vals, FALSE);
}

/* A value_string table with a text for 0 in front of the core's texts. */
static const value_string *value_strings_with_zero(const char *(*text)(guint8), const char *zero)
{
    GArray *vals = g_array_new(TRUE, TRUE, (guint)sizeof(value_string));
    value_string first = {0, zero};
    g_array_append_val(vals, first);
    for (const value_string *c = value_strings(text); c->strptr; c++)
        g_array_append_val(vals, *c);
    return (const value_string *)(void *)g_array_free(vals, FALSE);
}

static void proto_register_tcpprobe(void)
{
    static hf_register_info hf[] = {
        {&hf_verdict, {"Verdict", "tcpprobe.verdict", FT_UINT8, BASE_DEC, NULL, 0x0,
                       "tcpprobe's class of this segment (1 zero-window probe, 2 its ACK, "
                       "3 keep-alive, 4 its ACK, 0 none of these)", HFILL}},
        {&hf_zero_window_probe, {"Zero-window probe", "tcpprobe.zero_window_probe", FT_NONE, BASE_NONE,
                                 NULL, 0x0, "A persist-timer probe into the peer's zero window", HFILL}},
        {&hf_zero_window_probe_ack, {"Zero-window probe ACK", "tcpprobe.zero_window_probe_ack", FT_NONE,
                                     BASE_NONE, NULL, 0x0, "The reply to a zero-window probe", HFILL}},
        {&hf_keep_alive, {"Keep-alive", "tcpprobe.keep_alive", FT_NONE, BASE_NONE, NULL, 0x0,
                          "A keep-alive probe of an idle connection", HFILL}},
        {&hf_keep_alive_ack, {"Keep-alive ACK", "tcpprobe.keep_alive_ack", FT_NONE, BASE_NONE, NULL, 0x0,
                              "The reply to a keep-alive", HFILL}},
        {&hf_corrected, {"Corrects Wireshark's label", "tcpprobe.corrected", FT_NONE, BASE_NONE, NULL, 0x0,
                         "tcpprobe's verdict differs from Wireshark's tcp.analysis label", HFILL}},
        {&hf_wireshark_said, {"Wireshark's label", "tcpprobe.wireshark_said", FT_STRING, BASE_NONE, NULL,
                              0x0, "What Wireshark's TCP analysis called this segment", HFILL}},
        {&hf_style, {"Probe style", "tcpprobe.style", FT_UINT8, BASE_DEC, NULL, 0x0,
                     "How the probe is built on the wire", HFILL}},
        {&hf_reason, {"Reason", "tcpprobe.reason", FT_UINT8, BASE_DEC, NULL, 0x0,
                      "Why tcpprobe decided so", HFILL}},
        {&hf_peer_window_zero, {"Probed side's window is zero", "tcpprobe.peer_window_zero", FT_BOOLEAN,
                                BASE_NONE, NULL, 0x0, NULL, HFILL}},
        {&hf_window_closed_in, {"Window closed in frame", "tcpprobe.window_closed_in", FT_FRAMENUM,
                                BASE_NONE, NULL, 0x0, "The frame in which the probed side advertised a zero window",
                                HFILL}},
        {&hf_answers, {"Answers frame", "tcpprobe.answers", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
                       "The probe or keep-alive this ACK answers", HFILL}},
        {&hf_since_window_closed, {"Time since window closed", "tcpprobe.since_window_closed",
                                   FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, "Seconds", HFILL}},
        {&hf_since_previous_probe, {"Time since previous probe", "tcpprobe.since_previous_probe",
                                    FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, "Seconds, within this episode",
                                    HFILL}},
        {&hf_episode, {"Episode", "tcpprobe.episode", FT_UINT32, BASE_DEC, NULL, 0x0,
                       "The zero-window episode or keep-alive series (numbered per capture file)", HFILL}},
        {&hf_probe_number, {"Probe number", "tcpprobe.probe_number", FT_UINT32, BASE_DEC, NULL, 0x0,
                            "1-based number of the probe within its episode; on an ACK, of the probe answered",
                            HFILL}},
        {&hf_interval_ratio, {"Interval ratio", "tcpprobe.interval_ratio", FT_DOUBLE, BASE_NONE, NULL, 0x0,
                              "This interval divided by the previous one (a persist timer doubles: 2.0)", HFILL}},
        {&hf_idle_before_first, {"Idle before first probe", "tcpprobe.idle_before_first", FT_RELATIVE_TIME,
                                 BASE_NONE, NULL, 0x0, "Seconds from the probed side's last segment", HFILL}},
        {&hf_window_reopened_in, {"Window reopened in frame", "tcpprobe.window_reopened_in", FT_FRAMENUM,
                                  BASE_NONE, NULL, 0x0, "The frame in which the probed side reopened its window",
                                  HFILL}},
        {&hf_answered_in, {"Answered in frame", "tcpprobe.answered_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
                           "The reply to this probe", HFILL}},
        {&hf_unanswered, {"Unanswered", "tcpprobe.unanswered", FT_UINT8, BASE_DEC, NULL, 0x0,
                          "The probe got no reply: 1 the peer's rate limit explains it, 2 nothing does", HFILL}},
        {&hf_tentative, {"Tentative", "tcpprobe.tentative", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
                         "The class rests on a single gap; the series' later timing may change it (shown "
                         "refined with tshark -2 and in the GUI)", HFILL}},
        {&hf_revised_from, {"Revised from", "tcpprobe.revised_from", FT_UINT8, BASE_DEC, NULL, 0x0,
                            "The tentative class that the series' timing overturned", HFILL}},
        {&hf_keepalive_mismatch, {"Keep-alive timing differs", "tcpprobe.keepalive_mismatch", FT_UINT8, BASE_HEX,
                                  NULL, 0x0, "Which preference the timing contradicts: 0x1 time, 0x2 interval",
                                  HFILL}},
        {&hf_summary, {"Episode summary", "tcpprobe.summary", FT_UINT32, BASE_DEC, NULL, 0x0,
                       "Summary of the episode (its number) that ends in this frame", HFILL}},
        {&hf_summary_kind, {"Kind", "tcpprobe.summary.kind", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_duration, {"Duration", "tcpprobe.summary.duration", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
                                "From the window closing (or the first probe) to the end", HFILL}},
        {&hf_summary_probes, {"Probes", "tcpprobe.summary.probes", FT_UINT32, BASE_DEC, NULL, 0x0,
                              "Zero-window probes and keep-alives sent", HFILL}},
        {&hf_summary_zero_window_probes, {"Zero-window probes", "tcpprobe.summary.zero_window_probes", FT_UINT32,
                                          BASE_DEC, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_keep_alives, {"Keep-alives", "tcpprobe.summary.keep_alives", FT_UINT32, BASE_DEC, NULL, 0x0,
                                   NULL, HFILL}},
        {&hf_summary_answered, {"Answered", "tcpprobe.summary.answered", FT_UINT32, BASE_DEC, NULL, 0x0, NULL,
                                HFILL}},
        {&hf_summary_rate_limited, {"Unanswered, rate limit", "tcpprobe.summary.rate_limited", FT_UINT32, BASE_DEC,
                                    NULL, 0x0, NULL, HFILL}},
        {&hf_summary_no_reply, {"Unanswered, no reply", "tcpprobe.summary.no_reply", FT_UINT32, BASE_DEC, NULL,
                                0x0, NULL, HFILL}},
        {&hf_summary_max_interval, {"Largest interval", "tcpprobe.summary.max_interval", FT_RELATIVE_TIME,
                                    BASE_NONE, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_end, {"Ended by", "tcpprobe.summary.end", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_window_closed_in, {"Window closed in frame", "tcpprobe.summary.window_closed_in",
                                        FT_FRAMENUM, BASE_NONE, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_first_probe, {"First probe in frame", "tcpprobe.summary.first_probe", FT_FRAMENUM,
                                   BASE_NONE, NULL, 0x0, NULL, HFILL}},
        {&hf_summary_note, {"Consistent with", "tcpprobe.summary.note", FT_STRING, BASE_NONE, NULL, 0x0,
                            "What the episode's timing is consistent with", HFILL}},
    };
    static gint *ett[] = {&ett_tcpprobe, &ett_summary};
    static ei_register_info ei[] = {
        {&ei_zero_window_probe, {"tcpprobe.expert.zero_window_probe", PI_SEQUENCE, PI_NOTE,
                                 "Zero-window probe", EXPFILL}},
        {&ei_zero_window_probe_ack, {"tcpprobe.expert.zero_window_probe_ack", PI_SEQUENCE, PI_NOTE,
                                     "Zero-window probe ACK", EXPFILL}},
        {&ei_keep_alive, {"tcpprobe.expert.keep_alive", PI_SEQUENCE, PI_NOTE, "Keep-alive", EXPFILL}},
        {&ei_keep_alive_ack, {"tcpprobe.expert.keep_alive_ack", PI_SEQUENCE, PI_NOTE, "Keep-alive ACK",
                              EXPFILL}},
        {&ei_zero_window_episode, {"tcpprobe.expert.zero_window_episode", PI_SEQUENCE, PI_WARN,
                                   "Zero-window episode summary", EXPFILL}},
        {&ei_keep_alive_series, {"tcpprobe.expert.keep_alive_series", PI_SEQUENCE, PI_NOTE,
                                 "Keep-alive series summary", EXPFILL}},
        {&ei_keep_alive_abort, {"tcpprobe.expert.keep_alive_abort", PI_SEQUENCE, PI_WARN,
                                "Keep-alive abort", EXPFILL}},
        {&ei_keep_alive_settings, {"tcpprobe.expert.keep_alive_settings", PI_SEQUENCE, PI_NOTE,
                                   "Keep-alive timing differs from the preferences", EXPFILL}},
        {&ei_unanswered, {"tcpprobe.expert.unanswered", PI_SEQUENCE, PI_NOTE, "Probe unanswered", EXPFILL}},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(hf); i++) {
        if (hf[i].p_id == &hf_verdict)
            hf[i].hfinfo.strings = VALS(value_strings_with_zero(tcpprobe_class_name, "Not a probe or its ACK"));
        else if (hf[i].p_id == &hf_style)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_style_description));
        else if (hf[i].p_id == &hf_reason)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_reason_description));
        else if (hf[i].p_id == &hf_revised_from)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_class_name));
        else if (hf[i].p_id == &hf_unanswered)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_unanswered_description));
        else if (hf[i].p_id == &hf_summary_kind)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_episode_kind_description));
        else if (hf[i].p_id == &hf_summary_end)
            hf[i].hfinfo.strings =
                VALS(value_strings_with_zero(tcpprobe_end_cause_description, "still open when the capture ended"));
    }

    proto_tcpprobe = proto_register_protocol("TCP probe classifier (tcpprobe)", "tcpprobe", "tcpprobe");
    proto_register_field_array(proto_tcpprobe, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_register_field_array(expert_register_protocol(proto_tcpprobe), ei, G_N_ELEMENTS(ei));

    tcpprobe_results_register();

    module_t *prefs = prefs_register_protocol(proto_tcpprobe, NULL);
    prefs_register_uint_preference(prefs, "keepalive_time", "Expected keep-alive time (s)",
                                   "Idle seconds before the first keep-alive (Linux tcp_keepalive_time: 7200). "
                                   "Keep-alive series that differ get an expert note.",
                                   10, &pref_keepalive_time);
    prefs_register_uint_preference(prefs, "keepalive_interval", "Expected keep-alive interval (s)",
                                   "Seconds between unanswered keep-alives (Linux tcp_keepalive_intvl: 75)",
                                   10, &pref_keepalive_interval);
    prefs_register_uint_preference(prefs, "keepalive_probes", "Expected keep-alive count",
                                   "Unanswered keep-alives before the connection is reset "
                                   "(Linux tcp_keepalive_probes: 9)",
                                   10, &pref_keepalive_probes);
    prefs_register_uint_preference(prefs, "invalid_ratelimit", "Peer's reply rate limit (ms)",
                                   "Minimum time between the probed side's replies to out-of-window "
                                   "segments (Linux tcp_invalid_ratelimit: 500); probes sooner than this "
                                   "after a reply may go unanswered on purpose",
                                   10, &pref_invalid_ratelimit_ms);
    prefs_register_bool_preference(prefs, "rewrite_info", "Correct the Info column",
                                   "Replace Wireshark's [TCP Keep-Alive]/[TCP ZeroWindowProbe] labels in the "
                                   "Info column with tcpprobe's verdict",
                                   &pref_rewrite_info);

    tcpprobe_handle = register_dissector("tcpprobe", dissect_tcpprobe, proto_tcpprobe);
    register_postdissector(tcpprobe_handle);
    register_init_routine(tcpprobe_init);
    register_cleanup_routine(tcpprobe_cleanup);
    register_shutdown_routine(tcpprobe_shutdown);
}

static void proto_reg_handoff_tcpprobe(void)
{
    /* Nothing to hand off: a postdissector sees every frame. */
}

void tcpprobe_shim_plugin_register(void)
{
    static const proto_plugin plugin = {proto_register_tcpprobe, proto_reg_handoff_tcpprobe};
    proto_register_plugin(&plugin);
}

uint32_t tcpprobe_shim_plugin_describe(void)
{
    return TCPPROBE_PLUGIN_DESCRIPTION;
}
