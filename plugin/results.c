/*
 * results.c - per-frame results: what the classifier decided about each frame, kept for every
 * later dissection.
 *
 * The classifier is called only on the first pass; its verdicts are stored per frame, only where
 * there is one, and its events (episodes, tentative verdicts made final, unanswered probes, probes
 * recognised by their reply) update those stored results. Every later dissection reads them back; nothing here renders.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <string.h>

#include <glib.h>

#include <epan/address.h>
#include <epan/packet.h>
#include <epan/to_str.h>

#include "extract.h"
#include "plugin.h"
#include "tcpprobe.h"

static tcpprobe_classifier *classifier;

/* Frame number -> frame_result_t, and episode id -> newest tcpprobe_episode. Both are emptied
 * with each capture file. */
static wmem_map_t *frame_results;
static wmem_map_t *episodes;
/* Episode id -> episode_context_t, from each episode's first probe. */
static wmem_map_t *contexts;
/* Latest capture time seen on the first pass: where an episode still open "ended". */
static guint64 capture_end_ns;
/* The first frame's time, what relative times count from; known once a frame was classified. */
static guint64 capture_start_ns;
/* The first frame that made the classifier forget connections (the connection limit). */
static guint32 first_eviction;

frame_result_t *tcpprobe_results_of_frame(guint64 packet)
{
    return (frame_result_t *)wmem_map_lookup(frame_results, GUINT_TO_POINTER((guint)packet));
}

/* A stored frame that carries a probe verdict (the frames events refer to). */
static frame_result_t *probe_of_frame(guint64 packet)
{
    frame_result_t *fr = tcpprobe_results_of_frame(packet);
    return fr && fr->verdict.has_episode ? fr : NULL;
}

const tcpprobe_episode *tcpprobe_results_episode(guint64 id)
{
    return (const tcpprobe_episode *)wmem_map_lookup(episodes, &id);
}

guint64 tcpprobe_results_capture_end_ns(void)
{
    return capture_end_ns;
}

guint32 tcpprobe_results_first_eviction(void)
{
    return first_eviction;
}

guint64 tcpprobe_results_capture_start_ns(void)
{
    return capture_start_ns;
}

const episode_context_t *tcpprobe_results_episode_context(guint64 id)
{
    return (const episode_context_t *)wmem_map_lookup(contexts, &id);
}

static char *endpoint_str(const address *addr, guint32 port)
{
    char *a = address_to_str(wmem_file_scope(), addr);
    return addr->type == AT_IPv6 ? wmem_strdup_printf(wmem_file_scope(), "[%s]:%u", a, port)
                                 : wmem_strdup_printf(wmem_file_scope(), "%s:%u", a, port);
}

/* Who probes whom: the sender and receiver of the episode's first probe, this frame (or its
 * receiver and sender: this frame is the reply that showed what the first probe was). */
static void store_context(packet_info *pinfo, guint64 id, gboolean from_reply)
{
    guint64 *key = wmem_new(wmem_file_scope(), guint64);
    *key = id;
    episode_context_t *ctx = wmem_new(wmem_file_scope(), episode_context_t);
    if (!tcpprobe_extract_tcp_stream(pinfo, &ctx->stream))
        ctx->stream = G_MAXUINT32;
    const char *src = endpoint_str(&pinfo->src, pinfo->srcport);
    const char *dst = endpoint_str(&pinfo->dst, pinfo->destport);
    ctx->prober = from_reply ? dst : src;
    ctx->probed = from_reply ? src : dst;
    wmem_map_insert(contexts, key, ctx);
}

static void store_episode(const tcpprobe_episode *ep)
{
    tcpprobe_episode *stored = (tcpprobe_episode *)wmem_map_lookup(episodes, &ep->id);
    if (!stored) {
        guint64 *key = wmem_new(wmem_file_scope(), guint64);
        *key = ep->id;
        stored = wmem_new(wmem_file_scope(), tcpprobe_episode);
        wmem_map_insert(episodes, key, stored);
    }
    *stored = *ep;
}

/* ---- decoding: first pass only ---- */

/* Applies the events of the segment just classified: episode snapshots, tentative verdicts
 * made final, probes found unanswered. They refer to earlier frames, or end episodes here. */
static void apply_events(packet_info *pinfo, frame_result_t *here)
{
    guint64 packet = pinfo->num;
    tcpprobe_event e;
    while (tcpprobe_poll_event(classifier, &e) == TCPPROBE_OK && e.kind != TCPPROBE_EVENT_NONE) {
        frame_result_t *r;
        switch (e.kind) {
        case TCPPROBE_EVENT_EPISODE:
            if (!tcpprobe_results_episode(e.episode.id))
                store_context(pinfo, e.episode.id, e.episode.first_probe != packet);
            /* An episode that ended in an earlier frame and changes now: this frame explains it
             * (the prober's RST after the window reopened). */
            if (e.episode.end_cause && e.episode.end_packet != packet)
                here->refers_to = e.episode.id;
            store_episode(&e.episode);
            if (e.episode.end_cause && e.episode.end_packet == packet) {
                for (int k = 0; k < 2; k++) {
                    if (here->ended[k] == 0 || here->ended[k] == e.episode.id) {
                        here->ended[k] = e.episode.id;
                        break;
                    }
                }
            }
            break;
        case TCPPROBE_EVENT_SETTLED:
            r = probe_of_frame(e.packet);
            if (!r)
                break;
            if (r->verdict.verdict_class != e.verdict_class && !r->revised_from)
                r->revised_from = r->verdict.verdict_class;
            r->verdict.verdict_class = e.verdict_class;
            r->verdict.reason = e.reason;
            r->verdict.tentative = 0;
            /* Keep-alive timing checks belong to keep-alives only. */
            if (e.verdict_class != TCPPROBE_CLASS_KEEP_ALIVE)
                r->verdict.keepalive_mismatch = 0;
            break;
        case TCPPROBE_EVENT_RECOGNISED:
            /* An earlier frame, dissected without a verdict: it gets one now, for every later
             * dissection (its Wireshark labels, if it had any stored, stay). */
            r = tcpprobe_results_of_frame(e.packet);
            if (!r) {
                r = wmem_new0(wmem_file_scope(), frame_result_t);
                wmem_map_insert(frame_results, GUINT_TO_POINTER((guint)e.packet), r);
            }
            r->verdict = e.verdict;
            r->recognised_in = (guint32)packet;
            break;
        case TCPPROBE_EVENT_EVICTED:
            here->evicted = e.evicted;
            if (!first_eviction)
                first_eviction = (guint32)packet;
            break;
        case TCPPROBE_EVENT_UNANSWERED:
            r = probe_of_frame(e.packet);
            if (r)
                r->unanswered = e.unanswered;
            break;
        default:
            break;
        }
    }
}

frame_result_t *tcpprobe_results_classify(tvbuff_t *tvb, packet_info *pinfo, gboolean labels_known,
                                          guint8 labels)
{
    frame_result_t r;
    memset(&r, 0, sizeof(r));
    guint64 time_ns;
    if (!tcpprobe_extract_classify(classifier, tvb, pinfo, &r.verdict, &time_ns))
        return NULL;
    if (time_ns > capture_end_ns)
        capture_end_ns = time_ns;
    if (!capture_start_ns) {
        /* rel_ts counts from the first frame, whatever it carried. */
        gint64 rel_ns = (gint64)pinfo->rel_ts.secs * 1000000000 + pinfo->rel_ts.nsecs;
        capture_start_ns = (guint64)((gint64)time_ns - rel_ns);
    }
    guint64 packet = pinfo->num;
    apply_events(pinfo, &r);
    if (r.verdict.has_answers) {
        frame_result_t *probe = probe_of_frame(r.verdict.answers);
        if (probe) {
            probe->answered_in = (guint32)packet;
            probe->unanswered = 0;
        }
    }
    r.ws_labels_known = (guint8)labels_known;
    r.ws_labels = labels;
    if (r.verdict.verdict_class == TCPPROBE_CLASS_NONE && r.ws_labels == 0 && r.ended[0] == 0 &&
        r.refers_to == 0 && r.evicted == 0)
        return NULL;
    frame_result_t *stored = wmem_new(wmem_file_scope(), frame_result_t);
    *stored = r;
    wmem_map_insert(frame_results, GUINT_TO_POINTER(pinfo->num), stored);
    return stored;
}

/* ---- lifecycle: state lives per capture file ---- */

void tcpprobe_results_register(void)
{
    frame_results = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    episodes = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_int64_hash, g_int64_equal);
    contexts = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_int64_hash, g_int64_equal);
}

void tcpprobe_results_init(const tcpprobe_config *cfg)
{
    if (!classifier && tcpprobe_classifier_new(&classifier) != TCPPROBE_OK)
        classifier = NULL;
    if (classifier)
        tcpprobe_classifier_configure(classifier, cfg);
    capture_end_ns = 0;
    capture_start_ns = 0;
    first_eviction = 0;
}

void tcpprobe_results_cleanup(void)
{
    if (classifier)
        tcpprobe_classifier_reset(classifier);
}

void tcpprobe_results_shutdown(void)
{
    tcpprobe_classifier_free(classifier);
    classifier = NULL;
}

gboolean tcpprobe_results_ready(void)
{
    return classifier != NULL;
}
