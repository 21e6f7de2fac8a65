/*
 * results.c - per-frame results: what the classifier decided about each frame, kept for every
 * later dissection.
 *
 * The classifier is called only on the first pass; its verdicts are stored per frame, only where
 * there is one, and its events (episodes, tentative verdicts made final, unanswered probes, probes
 * recognised by their reply, connections forgotten) update those stored results. Every later
 * dissection reads them back; nothing here renders.
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

/* One frame's stored result, 44 bytes: what the verdict and the events say of the frame, with
 * frame numbers and episode ids in 32 bits (a capture file numbers its frames in 32 bits), and
 * what the episode already holds (where the window closed, the time since) taken from it on
 * display. Kept in one array sorted by frame number, which grows by remapping pages rather than
 * copying, so a frame with a verdict costs its 44 bytes (RELIABILITY.md). The rare parts (a
 * second episode ending in the frame, one it explains, connections forgotten) live in a map
 * beside it. */
typedef struct {
    guint32 frame;
    guint8 verdict_class, style, reason, bits;
    guint8 ws_labels, revised_from, unanswered, keepalive_mismatch;
    guint8 more, pad;
    guint16 since_previous_hi; /* bits 32-47 of since_previous_probe_ns (saturating: 78 hours) */
    guint32 episode; /* the verdict's; without a verdict (M_ENDED), the episode that ended here */
    guint32 probe_number;
    guint32 answers;
    guint32 answered_in;
    guint32 recognised_in;
    guint32 interval_ratio_milli;
    guint32 since_previous_lo;
} stored_t;

/* stored_t.bits */
#define B_TENTATIVE 0x01
#define B_PEER_WINDOW_ZERO 0x02
#define B_PEER_WINDOW_UNKNOWN 0x04
#define B_WS_LABELS_KNOWN 0x08
#define B_WINDOW_CLOSED_IN 0x10
#define B_ANSWERS 0x20
#define B_SINCE_WINDOW_CLOSED 0x40
#define B_SINCE_PREVIOUS 0x80
/* stored_t.more */
#define M_EPISODE 0x01
#define M_INTERVAL_RATIO 0x02
#define M_SIDE 0x04 /* the frame has an entry in `sides` */
#define M_FAILED 0x08 /* the classifier failed on this frame */
#define M_ENDED 0x10  /* no verdict; `episode` ended in this frame */

/* What few frames have: episodes that ended in them, one they explain, connections forgotten. */
typedef struct {
    guint64 ended[2];
    guint64 refers_to;
    guint64 evicted;
} side_t;

/* Stored results, sorted by frame; frame -> side_t; episode_entry_t by id (the classifier numbers
 * episodes 1, 2, 3, ... in order: entry id - 1). All emptied with each capture file. */
static GArray *frames;
static wmem_map_t *sides;
static GArray *episodes;
/* Latest capture time seen on the first pass: where an episode still open "ended". */
static guint64 capture_end_ns;
/* The first frame's time, what relative times count from; known once a frame was classified. */
static guint64 capture_start_ns;
/* The first frame that made the classifier forget connections (the connection limit). */
static guint32 first_eviction;

/* Where `frame` is in the array, or where it would go; *found says which. */
static guint position_of(guint32 frame, gboolean *found)
{
    guint lo = 0, hi = frames ? frames->len : 0;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        guint32 f = g_array_index(frames, stored_t, mid).frame;
        if (f == frame) {
            *found = TRUE;
            return mid;
        }
        if (f < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = FALSE;
    return lo;
}

static stored_t *stored_of(guint64 packet)
{
    gboolean found;
    guint i = position_of((guint32)packet, &found);
    return found ? &g_array_index(frames, stored_t, i) : NULL;
}

/* The stored result of `packet`, made empty where there is none yet. */
static stored_t *stored_or_new(guint64 packet)
{
    if (!frames)
        frames = g_array_new(FALSE, FALSE, sizeof(stored_t));
    gboolean found;
    guint i = position_of((guint32)packet, &found);
    if (!found) {
        stored_t s;
        memset(&s, 0, sizeof s);
        s.frame = (guint32)packet;
        /* Appends on the first pass; a probe recognised by a later reply goes a few frames back. */
        g_array_insert_val(frames, i, s);
    }
    return &g_array_index(frames, stored_t, i);
}

/* A stored frame that carries a probe verdict (the frames events refer to). */
static stored_t *probe_of_frame(guint64 packet)
{
    stored_t *s = stored_of(packet);
    return s && (s->more & M_EPISODE) ? s : NULL;
}

static guint32 frame32(guint64 v)
{
    return v > G_MAXUINT32 ? G_MAXUINT32 : (guint32)v;
}

/* The verdict and what events said of it, compactly. */
static void store_verdict(stored_t *s, const tcpprobe_verdict *v)
{
    s->verdict_class = v->verdict_class;
    s->style = v->style;
    s->reason = v->reason;
    s->keepalive_mismatch = v->keepalive_mismatch;
    s->bits = (guint8)((s->bits & B_WS_LABELS_KNOWN) | (v->tentative ? B_TENTATIVE : 0) |
                       (v->peer_window_zero ? B_PEER_WINDOW_ZERO : 0) |
                       (v->peer_window_unknown ? B_PEER_WINDOW_UNKNOWN : 0) |
                       (v->has_window_closed_in ? B_WINDOW_CLOSED_IN : 0) | (v->has_answers ? B_ANSWERS : 0) |
                       (v->has_since_window_closed ? B_SINCE_WINDOW_CLOSED : 0) |
                       (v->has_since_previous_probe ? B_SINCE_PREVIOUS : 0));
    s->more = (guint8)((s->more & (M_SIDE | M_FAILED)) | (v->has_episode ? M_EPISODE : 0) |
                       (v->has_interval_ratio ? M_INTERVAL_RATIO : 0));
    s->episode = frame32(v->episode);
    s->probe_number = v->probe_number;
    s->answers = frame32(v->answers);
    s->interval_ratio_milli = v->interval_ratio_milli;
    guint64 since = MIN(v->since_previous_probe_ns, (G_GUINT64_CONSTANT(1) << 48) - 1);
    s->since_previous_lo = (guint32)since;
    s->since_previous_hi = (guint16)(since >> 32);
}

const tcpprobe_episode *tcpprobe_results_episode(guint64 id);

/* The whole result of a stored frame, as rendering reads it. */
static void expand(const stored_t *s, guint64 time_ns, frame_result_t *out)
{
    memset(out, 0, sizeof(*out));
    tcpprobe_verdict *v = &out->verdict;
    v->verdict_class = s->verdict_class;
    v->style = s->style;
    v->reason = s->reason;
    v->keepalive_mismatch = s->keepalive_mismatch;
    v->tentative = (s->bits & B_TENTATIVE) != 0;
    v->peer_window_zero = (s->bits & B_PEER_WINDOW_ZERO) != 0;
    v->peer_window_unknown = (s->bits & B_PEER_WINDOW_UNKNOWN) != 0;
    v->has_answers = (s->bits & B_ANSWERS) != 0;
    v->answers = s->answers;
    v->has_since_previous_probe = (s->bits & B_SINCE_PREVIOUS) != 0;
    v->since_previous_probe_ns = ((guint64)s->since_previous_hi << 32) | s->since_previous_lo;
    v->has_episode = (s->more & M_EPISODE) != 0;
    v->episode = v->has_episode ? s->episode : 0;
    v->probe_number = s->probe_number;
    v->has_interval_ratio = (s->more & M_INTERVAL_RATIO) != 0;
    v->interval_ratio_milli = s->interval_ratio_milli;
    /* Where the window closed, and since when: the episode's closing, the one the verdict names. */
    const tcpprobe_episode *ep = v->has_episode ? tcpprobe_results_episode(v->episode) : NULL;
    if ((s->bits & B_WINDOW_CLOSED_IN) && ep && ep->has_window_closed_in) {
        v->has_window_closed_in = 1;
        v->window_closed_in = ep->window_closed_in;
    }
    if ((s->bits & B_SINCE_WINDOW_CLOSED) && ep && ep->has_window_closed_in && time_ns >= ep->window_closed_at_ns) {
        v->has_since_window_closed = 1;
        v->since_window_closed_ns = time_ns - ep->window_closed_at_ns;
    }
    out->ws_labels = s->ws_labels;
    out->ws_labels_known = (s->bits & B_WS_LABELS_KNOWN) != 0;
    out->revised_from = s->revised_from;
    out->unanswered = s->unanswered;
    out->answered_in = s->answered_in;
    out->recognised_in = s->recognised_in;
    out->failed = (s->more & M_FAILED) != 0;
    const side_t *side = (s->more & M_SIDE) ? (const side_t *)wmem_map_lookup(sides, GUINT_TO_POINTER(s->frame)) : NULL;
    if (s->more & M_ENDED)
        out->ended[0] = s->episode;
    if (side) {
        out->ended[0] = side->ended[0];
        out->ended[1] = side->ended[1];
        out->refers_to = side->refers_to;
        out->evicted = side->evicted;
    }
}

gboolean tcpprobe_results_of_frame(guint64 packet, guint64 time_ns, frame_result_t *out)
{
    const stored_t *s = stored_of(packet);
    if (!s)
        return FALSE;
    expand(s, time_ns, out);
    return TRUE;
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

/* Who probed whom: the sender and receiver of the episode's first probe, as Wireshark saw that
 * frame (its addresses, ports and TCP stream), kept in binary and written out only when shown. */
typedef struct {
    guint32 stream; /* G_MAXUINT32: none */
    guint16 port[2];
    guint8 addr_len; /* 4 or 16; 0: neither IPv4 nor IPv6 */
    guint8 addr[2][16];
} endpoints_t;

/* An episode's newest snapshot and who probed whom; keyed by the snapshot's own id field. */
typedef struct {
    tcpprobe_episode ep;
    endpoints_t who;
} episode_entry_t;

static episode_entry_t *entry_of(guint64 id)
{
    if (!episodes || id == 0 || id > episodes->len)
        return NULL;
    episode_entry_t *e = &g_array_index(episodes, episode_entry_t, id - 1);
    return e->ep.id == id ? e : NULL;
}

const tcpprobe_episode *tcpprobe_results_episode(guint64 id)
{
    const episode_entry_t *e = entry_of(id);
    return e ? &e->ep : NULL;
}

static char *endpoint_str(const endpoints_t *w, int k)
{
    if (w->addr_len != 4 && w->addr_len != 16)
        return g_strdup("?");
    address a;
    set_address(&a, w->addr_len == 4 ? AT_IPv4 : AT_IPv6, w->addr_len, w->addr[k]);
    char *s = address_to_str(NULL, &a);
    char *out = w->addr_len == 16 ? g_strdup_printf("[%s]:%u", s, w->port[k]) : g_strdup_printf("%s:%u", s, w->port[k]);
    wmem_free(NULL, s);
    return out;
}

gboolean tcpprobe_results_episode_endpoints(guint64 id, guint32 *stream, char **prober, char **probed)
{
    const episode_entry_t *e = entry_of(id);
    if (!e)
        return FALSE;
    *stream = e->who.stream;
    *prober = endpoint_str(&e->who, 0);
    *probed = endpoint_str(&e->who, 1);
    return TRUE;
}

/* This frame's endpoints, as prober and probed (swapped when this frame is the reply that showed
 * what the episode's first probe was). */
static void frame_endpoints(packet_info *pinfo, gboolean from_reply, endpoints_t *w)
{
    memset(w, 0, sizeof(*w));
    if (!tcpprobe_extract_tcp_stream(pinfo, &w->stream))
        w->stream = G_MAXUINT32;
    const address *src = from_reply ? &pinfo->dst : &pinfo->src;
    const address *dst = from_reply ? &pinfo->src : &pinfo->dst;
    w->port[0] = (guint16)(from_reply ? pinfo->destport : pinfo->srcport);
    w->port[1] = (guint16)(from_reply ? pinfo->srcport : pinfo->destport);
    if ((src->type == AT_IPv4 && src->len == 4 && dst->type == AT_IPv4 && dst->len == 4) ||
        (src->type == AT_IPv6 && src->len == 16 && dst->type == AT_IPv6 && dst->len == 16)) {
        w->addr_len = (guint8)src->len;
        memcpy(w->addr[0], src->data, src->len);
        memcpy(w->addr[1], dst->data, dst->len);
    }
}

/* Stores an episode's snapshot; the first one of an id also who probed whom, from this frame. */
static void store_episode(packet_info *pinfo, const tcpprobe_episode *ep, gboolean from_reply)
{
    episode_entry_t *stored = entry_of(ep->id);
    if (!stored) {
        /* Ids come in order; past a gap (none is expected) the entries between stay empty. */
        if (ep->id == 0 || ep->id > G_MAXUINT32)
            return;
        if (!episodes)
            episodes = g_array_new(FALSE, TRUE, sizeof(episode_entry_t));
        if (ep->id > episodes->len)
            g_array_set_size(episodes, (guint)ep->id);
        stored = &g_array_index(episodes, episode_entry_t, ep->id - 1);
        frame_endpoints(pinfo, from_reply, &stored->who);
    }
    stored->ep = *ep;
}

/* ---- decoding: first pass only ---- */

/* Applies the events of the segment just classified: episode snapshots, tentative verdicts
 * made final, probes found unanswered or recognised, connections forgotten. They refer to
 * earlier frames, or end episodes here. */
static void apply_events(packet_info *pinfo, frame_result_t *here)
{
    guint64 packet = pinfo->num;
    tcpprobe_event e;
    while (tcpprobe_poll_event(classifier, &e) == TCPPROBE_OK && e.kind != TCPPROBE_EVENT_NONE) {
        stored_t *r;
        switch (e.kind) {
        case TCPPROBE_EVENT_EPISODE:
            /* An episode that ended in an earlier frame and changes now: this frame explains it
             * (the prober's RST after the window reopened). */
            if (e.episode.end_cause && e.episode.end_packet != packet)
                here->refers_to = e.episode.id;
            store_episode(pinfo, &e.episode, e.episode.first_probe != packet);
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
            if (r->verdict_class != e.verdict_class && !r->revised_from)
                r->revised_from = r->verdict_class;
            r->verdict_class = e.verdict_class;
            r->reason = e.reason;
            r->bits &= (guint8)~B_TENTATIVE;
            /* Keep-alive timing checks belong to keep-alives only. */
            if (e.verdict_class != TCPPROBE_CLASS_KEEP_ALIVE)
                r->keepalive_mismatch = 0;
            break;
        case TCPPROBE_EVENT_RECOGNISED:
            /* An earlier frame, dissected without a verdict: it gets one now, for every later
             * dissection (its Wireshark labels, if it had any stored, stay). */
            r = stored_or_new(e.packet);
            if (r->more & M_ENDED) {
                /* The episode that ended there moves beside the record, which takes the verdict. */
                side_t *sd = wmem_new0(wmem_file_scope(), side_t);
                sd->ended[0] = r->episode;
                wmem_map_insert(sides, GUINT_TO_POINTER(r->frame), sd);
                r->more = (guint8)((r->more & ~M_ENDED) | M_SIDE);
            }
            store_verdict(r, &e.verdict);
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

gboolean tcpprobe_results_classify(tvbuff_t *tvb, packet_info *pinfo, gboolean labels_known, guint8 labels,
                                   frame_result_t *out)
{
    frame_result_t r;
    memset(&r, 0, sizeof(r));
    guint64 time_ns;
    switch (tcpprobe_extract_classify(classifier, tvb, pinfo, &r.verdict, &time_ns)) {
    case EXTRACT_NO_SEGMENT:
        return FALSE;
    case EXTRACT_FAILED: {
        /* Say so on this frame in every pass; the classifier goes on with the next frame. */
        memset(&r.verdict, 0, sizeof(r.verdict));
        stored_t *s = stored_or_new(pinfo->num);
        s->more |= M_FAILED;
        expand(s, time_ns, out);
        return TRUE;
    }
    case EXTRACT_CLASSIFIED:
        break;
    }
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
        stored_t *probe = probe_of_frame(r.verdict.answers);
        if (probe) {
            probe->answered_in = (guint32)packet;
            probe->unanswered = 0;
        }
    }
    r.ws_labels_known = (guint8)labels_known;
    r.ws_labels = labels;
    /* An episode ending in a frame without a verdict goes in the record; anything more beside it. */
    gboolean ended_in_record = r.ended[0] && !r.ended[1] && !r.verdict.has_episode && r.ended[0] <= G_MAXUINT32;
    gboolean side = (r.ended[0] && !ended_in_record) || r.refers_to || r.evicted;
    if (r.verdict.verdict_class == TCPPROBE_CLASS_NONE && r.ws_labels == 0 && !side && !ended_in_record)
        return FALSE;
    stored_t *s = stored_or_new(packet);
    store_verdict(s, &r.verdict);
    s->ws_labels = r.ws_labels;
    if (r.ws_labels_known)
        s->bits |= B_WS_LABELS_KNOWN;
    if (ended_in_record) {
        s->episode = (guint32)r.ended[0];
        s->more |= M_ENDED;
    }
    if (side) {
        side_t *sd = wmem_new(wmem_file_scope(), side_t);
        sd->ended[0] = r.ended[0];
        sd->ended[1] = r.ended[1];
        sd->refers_to = r.refers_to;
        sd->evicted = r.evicted;
        wmem_map_insert(sides, GUINT_TO_POINTER((guint)packet), sd);
        s->more |= M_SIDE;
    }
    /* What this dissection shows: the stored result, as every later one will read it. */
    expand(s, time_ns, out);
    return TRUE;
}

/* ---- lifecycle: state lives per capture file ---- */

void tcpprobe_results_register(void)
{
    sides = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
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
    if (frames)
        g_array_set_size(frames, 0);
    else
        frames = g_array_new(FALSE, FALSE, sizeof(stored_t));
    if (episodes)
        g_array_set_size(episodes, 0);
}

void tcpprobe_results_cleanup(void)
{
    /* The stored results go with the file: give their memory back. */
    if (frames) {
        g_array_free(frames, TRUE);
        frames = NULL;
    }
    if (episodes) {
        g_array_free(episodes, TRUE);
        episodes = NULL;
    }
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
