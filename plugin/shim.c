/*
 * shim.c - the epan postdissector: Wireshark fields in, tcpprobe verdicts out.
 *
 * Data flows one way: TCP fields of the frame (extraction) -> tcpprobe_classify() in the Rust core
 * (decoding) -> generated items, expert info and the Info column (display). The classifier is
 * called only on the first pass; its verdicts are stored per frame, only where there is one, so
 * every later dissection (tshark -2, the GUI's clicks, columns) shows the same thing.
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
#include <epan/proto.h>
#include <epan/proto_data.h>

#include "shim.h"
#include "tcpprobe.h"
#include "ws_compat.h"

/* A frame rarely holds more than one real TCP layer (tunnels); more are ignored. */
#define MAX_TCP_LAYERS 4

/* ---- registration data ---- */

static int proto_tcpprobe = -1;
static dissector_handle_t tcpprobe_handle;
static tcpprobe_classifier *classifier;

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

static gint ett_tcpprobe = -1;

/* Zero-initialised expert fields work in every supported version (EI_INIT differs). */
static expert_field ei_zero_window_probe;
static expert_field ei_zero_window_probe_ack;
static expert_field ei_keep_alive;
static expert_field ei_keep_alive_ack;

/* ---- fields read from other dissectors ---- */

enum tcp_field {
    F_STREAM,
    F_SRCPORT,
    F_DSTPORT,
    F_SEQ,
    F_ACK,
    F_FLAGS,
    F_WINDOW,
    F_LEN,
    F_WSCALE,
    /* Wireshark's own labels, to say when tcpprobe corrects them. */
    F_WS_KEEP_ALIVE,
    F_WS_KEEP_ALIVE_ACK,
    F_WS_ZERO_WINDOW_PROBE,
    F_WS_ZERO_WINDOW_PROBE_ACK,
    F_TCP_COUNT
};

static const char *const tcp_field_names[F_TCP_COUNT] = {
    "tcp.stream",          "tcp.srcport",
    "tcp.dstport",         "tcp.seq_raw",
    "tcp.ack_raw",         "tcp.flags",
    "tcp.window_size_value", "tcp.len",
    "tcp.options.wscale.shift",
    "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack",
    "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack",
};

enum addr_field { A_IP_SRC, A_IP_DST, A_IPV6_SRC, A_IPV6_DST, A_COUNT };
static const char *const addr_field_names[A_COUNT] = {"ip.src", "ip.dst", "ipv6.src", "ipv6.dst"};

static int tcp_field_ids[F_TCP_COUNT];
static int addr_field_ids[A_COUNT];
static int proto_tcp = -1, proto_ip = -1, proto_ipv6 = -1;
static gboolean field_ids_resolved;

/* Bits of Wireshark's own labels on a segment. */
#define WS_KEEP_ALIVE 0x1
#define WS_KEEP_ALIVE_ACK 0x2
#define WS_ZERO_WINDOW_PROBE 0x4
#define WS_ZERO_WINDOW_PROBE_ACK 0x8

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

/* ---- per-frame results, stored only for frames that have something to show ---- */

typedef struct {
    int tcp_layer; /* proto_layer_num of the TCP layer */
    tcpprobe_verdict verdict;
    guint8 ws_labels;
} layer_result_t;

typedef struct {
    guint n;
    layer_result_t layer[MAX_TCP_LAYERS];
} frame_result_t;

/* ---- extraction ---- */

/* One top-level TCP layer of the frame and what was found for it. */
typedef struct {
    proto_node *tcp_node;
    int tcp_layer;
    int ip_proto; /* proto_ip, proto_ipv6, or -1 when no IP layer precedes it */
    int ip_layer;
    field_info *fields[F_TCP_COUNT];
    field_info *src_addr, *dst_addr;
} tcp_layer_t;

typedef struct {
    guint n;
    tcp_layer_t layer[MAX_TCP_LAYERS];
    int last_ip_proto, last_ip_layer;
} frame_layers_t;

/* Top-level TCP nodes are the frame's real TCP layers; a TCP header quoted inside an ICMP error
 * sits below the ICMP node and is rightly skipped. The IP node just before a TCP node carries its
 * addresses. */
static void collect_top_level(proto_node *node, gpointer data)
{
    frame_layers_t *fl = (frame_layers_t *)data;
    field_info *fi = PNODE_FINFO(node);
    if (!fi || !fi->hfinfo)
        return;
    int id = fi->hfinfo->id;
    if (id == proto_ip || id == proto_ipv6) {
        fl->last_ip_proto = id;
        fl->last_ip_layer = fi->proto_layer_num;
    } else if (id == proto_tcp && fl->n < MAX_TCP_LAYERS) {
        tcp_layer_t *l = &fl->layer[fl->n++];
        memset(l, 0, sizeof(*l));
        l->tcp_node = node;
        l->tcp_layer = fi->proto_layer_num;
        l->ip_proto = fl->last_ip_proto;
        l->ip_layer = fl->last_ip_layer;
    }
}

static void find_layers(proto_tree *tree, frame_layers_t *fl)
{
    fl->n = 0;
    fl->last_ip_proto = -1;
    fl->last_ip_layer = -1;
    if (tree)
        proto_tree_children_foreach(tree, collect_top_level, fl);
}

static tcp_layer_t *layer_by_number(frame_layers_t *fl, int tcp_layer)
{
    for (guint i = 0; i < fl->n; i++)
        if (fl->layer[i].tcp_layer == tcp_layer)
            return &fl->layer[i];
    return NULL;
}

static void extract_fields(proto_tree *tree, frame_layers_t *fl)
{
    for (int f = 0; f < F_TCP_COUNT; f++) {
        GPtrArray *found = tcp_field_ids[f] > 0 ? proto_get_finfo_ptr_array(tree, tcp_field_ids[f]) : NULL;
        for (guint i = 0; found && i < found->len; i++) {
            field_info *fi = (field_info *)g_ptr_array_index(found, i);
            tcp_layer_t *l = layer_by_number(fl, fi->proto_layer_num);
            if (l && !l->fields[f])
                l->fields[f] = fi;
        }
    }
    for (int a = 0; a < A_COUNT; a++) {
        GPtrArray *found = addr_field_ids[a] > 0 ? proto_get_finfo_ptr_array(tree, addr_field_ids[a]) : NULL;
        int want_proto = (a == A_IP_SRC || a == A_IP_DST) ? proto_ip : proto_ipv6;
        gboolean is_src = (a == A_IP_SRC || a == A_IPV6_SRC);
        for (guint i = 0; found && i < found->len; i++) {
            field_info *fi = (field_info *)g_ptr_array_index(found, i);
            for (guint k = 0; k < fl->n; k++) {
                tcp_layer_t *l = &fl->layer[k];
                if (l->ip_proto != want_proto || l->ip_layer != fi->proto_layer_num)
                    continue;
                field_info **slot = is_src ? &l->src_addr : &l->dst_addr;
                if (!*slot)
                    *slot = fi;
            }
        }
    }
}

static guint32 uint_of(const field_info *fi)
{
    return fi ? fvalue_get_uinteger(TCPPROBE_FI_FVALUE((field_info *)fi)) : 0;
}

/* Copies an address field's bytes from the packet (the same in every Wireshark version, unlike
 * the fvalue accessors for addresses). */
static void addr_of(const field_info *fi, guint8 out[16])
{
    memset(out, 0, 16);
    if (fi && fi->ds_tvb && fi->length > 0 && fi->length <= 16 &&
        tvb_bytes_exist(fi->ds_tvb, fi->start, fi->length))
        tvb_memcpy(fi->ds_tvb, out, fi->start, fi->length);
}

/* Builds the segment for one TCP layer; FALSE when the layer lacks what the core needs
 * (a truncated or malformed header). */
static gboolean segment_of(const tcp_layer_t *l, const packet_info *pinfo, tcpprobe_segment *seg)
{
    static const enum tcp_field required[] = {F_STREAM, F_SRCPORT, F_DSTPORT, F_SEQ,
                                              F_FLAGS,  F_WINDOW,  F_LEN};
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++)
        if (!l->fields[required[i]])
            return FALSE;

    memset(seg, 0, sizeof(*seg));
    seg->packet = pinfo->num;
    if (pinfo->abs_ts.secs >= 0)
        seg->time_ns = (guint64)pinfo->abs_ts.secs * 1000000000u + (guint64)pinfo->abs_ts.nsecs;
    seg->conn = uint_of(l->fields[F_STREAM]);
    addr_of(l->src_addr, seg->src_addr);
    addr_of(l->dst_addr, seg->dst_addr);
    seg->src_port = (guint16)uint_of(l->fields[F_SRCPORT]);
    seg->dst_port = (guint16)uint_of(l->fields[F_DSTPORT]);
    seg->seq = uint_of(l->fields[F_SEQ]);
    seg->ack = uint_of(l->fields[F_ACK]);
    seg->flags = (guint16)uint_of(l->fields[F_FLAGS]);
    seg->window = (guint16)uint_of(l->fields[F_WINDOW]);
    if (l->fields[F_WSCALE]) {
        seg->has_window_scale = 1;
        seg->window_scale = (guint8)uint_of(l->fields[F_WSCALE]);
    }
    seg->payload_len = uint_of(l->fields[F_LEN]);
    return TRUE;
}

static guint8 wireshark_labels(const tcp_layer_t *l)
{
    return (l->fields[F_WS_KEEP_ALIVE] ? WS_KEEP_ALIVE : 0) |
           (l->fields[F_WS_KEEP_ALIVE_ACK] ? WS_KEEP_ALIVE_ACK : 0) |
           (l->fields[F_WS_ZERO_WINDOW_PROBE] ? WS_ZERO_WINDOW_PROBE : 0) |
           (l->fields[F_WS_ZERO_WINDOW_PROBE_ACK] ? WS_ZERO_WINDOW_PROBE_ACK : 0);
}

/* ---- decoding: first pass only ---- */

static frame_result_t *classify_frame(proto_tree *tree, packet_info *pinfo, frame_layers_t *fl)
{
    frame_result_t result;
    result.n = 0;
    extract_fields(tree, fl);
    for (guint i = 0; i < fl->n; i++) {
        const tcp_layer_t *l = &fl->layer[i];
        tcpprobe_segment seg;
        tcpprobe_verdict verdict;
        if (!segment_of(l, pinfo, &seg))
            continue;
        if (tcpprobe_classify(classifier, &seg, &verdict) != TCPPROBE_OK)
            continue; /* the core reset itself; this segment simply gets no verdict */
        guint8 ws = wireshark_labels(l);
        if (verdict.verdict_class == TCPPROBE_CLASS_NONE && ws == 0)
            continue;
        layer_result_t *r = &result.layer[result.n++];
        r->tcp_layer = l->tcp_layer;
        r->verdict = verdict;
        r->ws_labels = ws;
    }
    if (result.n == 0)
        return NULL;
    frame_result_t *stored = wmem_new(wmem_file_scope(), frame_result_t);
    *stored = result;
    p_add_proto_data(wmem_file_scope(), pinfo, proto_tcpprobe, 0, stored);
    return stored;
}

/* ---- display: every pass ---- */

static char *wireshark_said(const layer_result_t *r)
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

static void add_items(proto_tree *tcp_tree, tvbuff_t *tvb, packet_info *pinfo, const layer_result_t *r)
{
    const tcpprobe_verdict *v = &r->verdict;
    guint8 cls = v->verdict_class;
    gboolean corrected = ws_bit_of_class(cls) != r->ws_labels;
    const char *class_name = tcpprobe_class_name(cls);
    const char *reason = tcpprobe_reason_description(v->reason);

    proto_item *top = proto_tree_add_item(tcp_tree, proto_tcpprobe, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    proto_item_append_text(top, ": %s%s", class_name ? class_name : "not a probe",
                           corrected ? " (corrects Wireshark's label)" : "");
    proto_tree *tree = proto_item_add_subtree(top, ett_tcpprobe);

    proto_item *ti = proto_tree_add_uint(tree, hf_verdict, tvb, 0, 0, cls);
    proto_item_set_generated(ti);

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
    ti = proto_tree_add_boolean(tree, hf_peer_window_zero, tvb, 0, 0, v->peer_window_zero);
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

static int dissect_tcpprobe(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!field_ids_resolved)
        return 0;
    frame_layers_t fl;
    find_layers(tree, &fl);
    frame_result_t *result = (frame_result_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_tcpprobe, 0);
    if (!result && !PINFO_FD_VISITED(pinfo) && fl.n > 0 && classifier)
        result = classify_frame(tree, pinfo, &fl);
    if (!result)
        return 0;
    for (guint i = 0; i < result->n; i++) {
        const layer_result_t *r = &result->layer[i];
        tcp_layer_t *l = layer_by_number(&fl, r->tcp_layer);
        if (l)
            add_items((proto_tree *)l->tcp_node, tvb, pinfo, r);
    }
    /* The Info column describes the innermost layer. */
    fix_info_column(pinfo, result->layer[result->n - 1].verdict.verdict_class);
    return tvb_captured_length(tvb);
}

/* ---- lifecycle: state lives per capture file ---- */

static void resolve_field_ids(void)
{
    if (field_ids_resolved)
        return;
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_ip = proto_get_id_by_filter_name("ip");
    proto_ipv6 = proto_get_id_by_filter_name("ipv6");
    for (int f = 0; f < F_TCP_COUNT; f++)
        tcp_field_ids[f] = proto_registrar_get_id_byname(tcp_field_names[f]);
    for (int a = 0; a < A_COUNT; a++)
        addr_field_ids[a] = proto_registrar_get_id_byname(addr_field_names[a]);
    for (int f = 0; f <= F_LEN; f++) {
        if (tcp_field_ids[f] <= 0) {
            g_warning("tcpprobe: Wireshark has no field %s; tcpprobe is disabled", tcp_field_names[f]);
            return;
        }
    }
    field_ids_resolved = proto_tcp > 0;
}

static void tcpprobe_init(void)
{
    resolve_field_ids();
    if (!classifier && tcpprobe_classifier_new(&classifier) != TCPPROBE_OK)
        classifier = NULL;
    if (classifier)
        tcpprobe_classifier_reset(classifier);
    /* Without asking for them, the TCP fields are absent when no full tree is built. */
    GArray *wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    for (int f = 0; f < F_TCP_COUNT; f++)
        if (tcp_field_ids[f] > 0)
            g_array_append_val(wanted, tcp_field_ids[f]);
    for (int a = 0; a < A_COUNT; a++)
        if (addr_field_ids[a] > 0)
            g_array_append_val(wanted, addr_field_ids[a]);
    set_postdissector_wanted_hfids(tcpprobe_handle, wanted);
}

static void tcpprobe_cleanup(void)
{
    set_postdissector_wanted_hfids(tcpprobe_handle, NULL);
    if (classifier)
        tcpprobe_classifier_reset(classifier);
}

static void tcpprobe_shutdown(void)
{
    tcpprobe_classifier_free(classifier);
    classifier = NULL;
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
                                    FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, "Seconds, within this zero-window episode",
                                    HFILL}},
    };
    static gint *ett[] = {&ett_tcpprobe};
    static ei_register_info ei[] = {
        {&ei_zero_window_probe, {"tcpprobe.expert.zero_window_probe", PI_SEQUENCE, PI_NOTE,
                                 "Zero-window probe", EXPFILL}},
        {&ei_zero_window_probe_ack, {"tcpprobe.expert.zero_window_probe_ack", PI_SEQUENCE, PI_NOTE,
                                     "Zero-window probe ACK", EXPFILL}},
        {&ei_keep_alive, {"tcpprobe.expert.keep_alive", PI_SEQUENCE, PI_NOTE, "Keep-alive", EXPFILL}},
        {&ei_keep_alive_ack, {"tcpprobe.expert.keep_alive_ack", PI_SEQUENCE, PI_NOTE, "Keep-alive ACK",
                              EXPFILL}},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(hf); i++) {
        if (hf[i].p_id == &hf_verdict)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_class_name));
        else if (hf[i].p_id == &hf_style)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_style_description));
        else if (hf[i].p_id == &hf_reason)
            hf[i].hfinfo.strings = VALS(value_strings(tcpprobe_reason_description));
    }

    proto_tcpprobe = proto_register_protocol("TCP probe classifier (tcpprobe)", "tcpprobe", "tcpprobe");
    proto_register_field_array(proto_tcpprobe, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_register_field_array(expert_register_protocol(proto_tcpprobe), ei, G_N_ELEMENTS(ei));

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
