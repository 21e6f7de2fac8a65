/*
 * extract.c - tcpprobe's input: each frame's TCP segment and Wireshark's own labels for it.
 *
 * Why not the protocol tree: asking for tree fields makes Wireshark build a tree for every frame
 * (about a quarter more CPU to open a file), and where Wireshark dissects without a tree (the
 * Expert Information dialog, tshark -2 -q -z expert) the fields are simply absent.
 * Why not the "tcp" tap alone: tshark -2 dissects its first pass without taps, so the queue is
 * empty exactly where the classifier must see every segment. The frame's own bytes are there in
 * every pass: the Rust side reads them (tcpprobe_classify_frame), with lengths from the IP
 * header as Wireshark's TCP dissector takes them.
 * Wireshark's labels only serve to say where tcpprobe disagrees; they come from the expert items
 * the TCP dissector queues on the "expert" tap, read in whatever dissection has taps running.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <wiretap/wtap.h>

#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>

#include "extract.h"

/* ---- the segment, from the frame's bytes ---- */

/* Wireshark's encapsulations that carry IP the way tcpprobe_classify_frame reads it, and the pcap
 * link type each one is. */
/* The TCP protocol, whose conversation data holds tcp.stream (looked up at the first init). */
static int proto_tcp = -1;

static const struct {
    int wtap_encap;
    guint32 link_type;
} link_types[] = {
    {WTAP_ENCAP_ETHERNET, TCPPROBE_LINK_ETHERNET},
    {WTAP_ENCAP_RAW_IP, TCPPROBE_LINK_RAW},
    {WTAP_ENCAP_RAW_IP4, TCPPROBE_LINK_IPV4},
    {WTAP_ENCAP_RAW_IP6, TCPPROBE_LINK_IPV6},
    {WTAP_ENCAP_NULL, TCPPROBE_LINK_NULL},
    {WTAP_ENCAP_LOOP, TCPPROBE_LINK_LOOP},
    {WTAP_ENCAP_SLL, TCPPROBE_LINK_LINUX_SLL},
    {WTAP_ENCAP_SLL2, TCPPROBE_LINK_LINUX_SLL2},
};

extract_status_t tcpprobe_extract_classify(tcpprobe_classifier *classifier, tvbuff_t *tvb, packet_info *pinfo,
                                           tcpprobe_verdict *verdict, guint64 *time_ns)
{
    int encap = TCPPROBE_PINFO_PACKET_ENCAP(pinfo);
    guint32 link_type = G_MAXUINT32;
    for (size_t i = 0; i < G_N_ELEMENTS(link_types); i++)
        if (link_types[i].wtap_encap == encap)
            link_type = link_types[i].link_type;
    if (link_type == G_MAXUINT32)
        return EXTRACT_NO_SEGMENT;

    guint captured = tvb_captured_length(tvb);
    if (captured == 0)
        return EXTRACT_NO_SEGMENT;
    /* The frame's own buffer: tvb_get_ptr copies nothing for a real-data tvb. */
    const guint8 *bytes = tvb_get_ptr(tvb, 0, (gint)captured);
    *time_ns = 0;
    if (pinfo->abs_ts.secs >= 0)
        *time_ns = (guint64)pinfo->abs_ts.secs * 1000000000u + (guint64)pinfo->abs_ts.nsecs;
    guint8 found = 0;
    switch (tcpprobe_classify_frame(classifier, link_type, bytes, captured, pinfo->num, *time_ns, verdict, &found)) {
    case TCPPROBE_OK:
        return found ? EXTRACT_CLASSIFIED : EXTRACT_NO_SEGMENT;
    case TCPPROBE_INTERNAL_ERROR:
        return EXTRACT_FAILED;
    default:
        return EXTRACT_NO_SEGMENT;
    }
}

/* ---- Wireshark's labels, from the tap queue ---- */

static int tcp_tap_id = -1;
static int expert_tap_id = -1;

/* The expert fields whose items carry Wireshark's probe labels; an abbreviation can name more
 * than one field (the TCP dissector registers a tree field and an expert field under each). */
#define MAX_SAME_NAME 4
static const struct {
    const char *name;
    guint8 bit;
} label_fields[] = {
    {"tcp.analysis.keep_alive", WS_KEEP_ALIVE},
    {"tcp.analysis.keep_alive_ack", WS_KEEP_ALIVE_ACK},
    {"tcp.analysis.zero_window_probe", WS_ZERO_WINDOW_PROBE},
    {"tcp.analysis.zero_window_probe_ack", WS_ZERO_WINDOW_PROBE_ACK},
};
static int label_field_ids[G_N_ELEMENTS(label_fields)][MAX_SAME_NAME];

/* The expert tap is filled only while someone listens to it. A listener without callbacks does
 * that in every dissection that taps, without making Wireshark dissect (or build a tree) for it.
 * The tcp tap needs no listener: the TCP dissector queues on it whenever taps run. */
static gboolean listen_to_expert_items(void)
{
    static int listener_data;
    GString *error = register_tap_listener("expert", &listener_data, NULL, TL_IS_DISSECTOR_HELPER,
                                           NULL, NULL, NULL, NULL);
    if (error) {
        g_warning("tcpprobe: cannot listen to the expert tap: %s", error->str);
        g_string_free(error, TRUE);
        return FALSE;
    }
    return TRUE;
}

void tcpprobe_extract_init(void)
{
    static gboolean done;
    if (done)
        return;
    done = TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(label_fields); i++) {
        guint n = 0;
        for (header_field_info *h = proto_registrar_get_byname(label_fields[i].name);
             h && n < MAX_SAME_NAME; h = h->same_name_next)
            label_field_ids[i][n++] = h->id;
        for (; n < MAX_SAME_NAME; n++)
            label_field_ids[i][n] = -1;
    }
    proto_tcp = proto_get_id_by_filter_name("tcp");
    /* Without the labels, tcpprobe still classifies; it only cannot say where it disagrees. */
    tcp_tap_id = find_tap_id("tcp");
    expert_tap_id = find_tap_id("expert");
    if (tcp_tap_id < 0 || expert_tap_id < 0 || !listen_to_expert_items()) {
        tcp_tap_id = expert_tap_id = -1;
        g_warning("tcpprobe: Wireshark's own probe labels are not readable; tcpprobe.corrected stays empty");
    }
}

gboolean tcpprobe_extract_wireshark_labels(guint8 *labels)
{
    *labels = 0;
    if (tcp_tap_id < 0 || expert_tap_id < 0)
        return FALSE;
    /* The TCP dissector queues its header on the tcp tap whenever taps run, at its end: that
     * entry says they run in this dissection, so that an expert item missing is a label missing.
     * Where the snap length cut the TCP options, the dissector stops with an exception before
     * that, having labelled the segment (Wireshark 3.4 does): any expert item on the queue says
     * the same. */
    gboolean taps_run = fetch_tapped_data(tcp_tap_id, 0) != NULL;
    const expert_info_t *ei;
    for (int i = 0; (ei = (const expert_info_t *)fetch_tapped_data(expert_tap_id, i)) != NULL; i++) {
        taps_run = TRUE;
        for (size_t f = 0; f < G_N_ELEMENTS(label_fields); f++)
            for (guint k = 0; k < MAX_SAME_NAME && label_field_ids[f][k] >= 0; k++)
                if (ei->hf_index == label_field_ids[f][k])
                    *labels |= label_fields[f].bit;
    }
    return taps_run;
}

/* ---- the TCP stream index, from the TCP dissector's conversation data ---- */

gboolean tcpprobe_extract_tcp_stream(packet_info *pinfo, guint32 *stream)
{
    conversation_t *conv = proto_tcp >= 0 ? find_conversation_pinfo(pinfo, 0) : NULL;
    const struct tcp_analysis *tcpd =
        conv ? (const struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp) : NULL;
    if (!tcpd)
        return FALSE;
    *stream = tcpd->stream;
    return TRUE;
}
