/*
 * register.c - what tcpprobe registers with Wireshark: the plugin, the protocol, its fields,
 * subtrees, expert infos and preferences, and the per-capture-file lifecycle.
 *
 * Fields with a value_string carry it in their entry, so rendering adds raw values and Wireshark
 * prints the text; the tables are filled from the core's own texts, so names live in one place.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <glib.h>

#include <epan/expert.h>
#include <epan/ftypes/ftypes.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>

#include "extract.h"
#include "plugin.h"
#include "shim.h"
#include "tcpprobe.h"

/* ---- ids ---- */

int proto_tcpprobe = -1;
static dissector_handle_t tcpprobe_handle;

int hf_verdict = -1;
int hf_zero_window_probe = -1;
int hf_zero_window_probe_ack = -1;
int hf_keep_alive = -1;
int hf_keep_alive_ack = -1;
int hf_corrected = -1;
int hf_wireshark_said = -1;
int hf_style = -1;
int hf_reason = -1;
int hf_peer_window_zero = -1;
int hf_peer_window_unknown = -1;
int hf_window_closed_in = -1;
int hf_answers = -1;
int hf_since_window_closed = -1;
int hf_since_previous_probe = -1;
int hf_episode = -1;
int hf_probe_number = -1;
int hf_interval_ratio = -1;
int hf_idle_before_first = -1;
int hf_window_reopened_in = -1;
int hf_answered_in = -1;
int hf_unanswered = -1;
int hf_tentative = -1;
int hf_revised_from = -1;
int hf_recognised_in = -1;
int hf_evicted = -1;
int hf_failed = -1;
int hf_keepalive_mismatch = -1;
int hf_summary = -1;
int hf_summary_kind = -1;
int hf_summary_duration = -1;
int hf_summary_probes = -1;
int hf_summary_zero_window_probes = -1;
int hf_summary_keep_alives = -1;
int hf_summary_answered = -1;
int hf_summary_rate_limited = -1;
int hf_summary_no_reply = -1;
int hf_summary_max_interval = -1;
int hf_summary_end = -1;
int hf_summary_window_closed_in = -1;
int hf_summary_first_probe = -1;
int hf_summary_note = -1;
int hf_summary_in = -1;

gint ett_tcpprobe = -1;
gint ett_summary = -1;

/* Zero-initialised expert fields work in every supported version (EI_INIT differs). */
expert_field ei_zero_window_probe;
expert_field ei_zero_window_probe_ack;
expert_field ei_keep_alive;
expert_field ei_keep_alive_ack;
expert_field ei_zero_window_episode;
expert_field ei_keep_alive_series;
expert_field ei_keep_alive_abort;
expert_field ei_keep_alive_settings;
expert_field ei_unanswered;
expert_field ei_episode_note;
expert_field ei_episode_detail;
expert_field ei_after_episode;
expert_field ei_connection_limit;
expert_field ei_failed;

/* ---- preferences (Edit > Preferences > Protocols > tcpprobe) ---- */

/* The keep-alive settings the prober is expected to run with: Linux's defaults. */
guint pref_keepalive_time = 7200;
guint pref_keepalive_interval = 75;
guint pref_keepalive_probes = 9;
guint pref_invalid_ratelimit_ms = 500;
tcpprobe_pref_bool pref_rewrite_info = TRUE;

/* The prober's RTO bounds, in ms: Linux's TCP_RTO_MIN and TCP_RTO_MAX. Only the classifier's
 * configuration reads them (tcpprobe_init), through rto_bounds_ns(). */
#define RTO_MIN_DEFAULT_MS 200
#define RTO_MAX_DEFAULT_MS 120000
static guint pref_rto_min_ms = RTO_MIN_DEFAULT_MS;
static guint pref_rto_max_ms = RTO_MAX_DEFAULT_MS;
#define MAX_CONNECTIONS_DEFAULT 1000000
guint pref_max_connections = MAX_CONNECTIONS_DEFAULT;

/* ---- value_strings of the enum fields, from the core's texts ---- */

/* A keep-alive's own mismatch bits (tcpprobe.keepalive_mismatch): one of the two at a time. */
static const value_string keepalive_mismatch_vals[] = {
    {TCPPROBE_MISMATCH_IDLE, "idle time differs from the expected keep-alive time"},
    {TCPPROBE_MISMATCH_INTERVAL, "interval differs from the expected keep-alive interval"},
    {TCPPROBE_MISMATCH_IDLE | TCPPROBE_MISMATCH_INTERVAL, "idle time and interval differ from the preferences"},
    {0, NULL},
};

/* Room for every value of a guint8 and the {0, NULL} that ends the table. */
typedef value_string u8_value_strings[256 + 1];

static u8_value_strings verdict_vals;
static u8_value_strings style_vals;
static u8_value_strings reason_vals;
static u8_value_strings revised_from_vals;
static u8_value_strings unanswered_vals;
static u8_value_strings summary_kind_vals;
static u8_value_strings summary_end_vals;

/* Fills a table with the core's text of each value from 1 on, after one for 0 if zero is given;
 * the entries left over stay {0, NULL}, which ends the table. */
static void fill_value_strings(value_string *vals, const char *(*text)(guint8), const char *zero)
{
    size_t n = 0;
    if (zero) {
        vals[n].value = 0;
        vals[n++].strptr = zero;
    }
    for (guint v = 1; v < 256; v++) {
        const char *t = text((guint8)v);
        if (t) {
            vals[n].value = v;
            vals[n++].strptr = t;
        }
    }
}

/* Before the fields that show them are registered. */
static void fill_all_value_strings(void)
{
    fill_value_strings(verdict_vals, tcpprobe_class_name, "Not a probe or its ACK");
    fill_value_strings(style_vals, tcpprobe_style_description, NULL);
    fill_value_strings(reason_vals, tcpprobe_reason_description, NULL);
    fill_value_strings(revised_from_vals, tcpprobe_class_name, NULL);
    fill_value_strings(unanswered_vals, tcpprobe_unanswered_description, NULL);
    fill_value_strings(summary_kind_vals, tcpprobe_episode_kind_description, NULL);
    fill_value_strings(summary_end_vals, tcpprobe_end_cause_description, "still open when the capture ended");
}

/* ---- fields, subtrees, expert infos ---- */

static hf_register_info hf[] = {
    {&hf_verdict, {"Verdict", "tcpprobe.verdict", FT_UINT8, BASE_DEC, VALS(verdict_vals), 0x0,
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
    {&hf_style, {"Probe style", "tcpprobe.style", FT_UINT8, BASE_DEC, VALS(style_vals), 0x0,
                 "How the probe is built on the wire", HFILL}},
    {&hf_reason, {"Reason", "tcpprobe.reason", FT_UINT8, BASE_DEC, VALS(reason_vals), 0x0,
                  "Why tcpprobe decided so", HFILL}},
    {&hf_peer_window_zero, {"Probed side's window is zero", "tcpprobe.peer_window_zero", FT_BOOLEAN,
                            BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_peer_window_unknown, {"Probed side's window is unknown (the capture cut the TCP header)",
                               "tcpprobe.peer_window_unknown", FT_NONE, BASE_NONE, NULL, 0x0,
                               "A small snap length (tcpdump -s 68 on IPv6) cut the window field: the "
                               "class rests on the timing alone", HFILL}},
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
    {&hf_unanswered, {"Unanswered", "tcpprobe.unanswered", FT_UINT8, BASE_DEC, VALS(unanswered_vals), 0x0,
                      "The probe got no reply: 1 the peer's rate limit explains it, 2 nothing does", HFILL}},
    {&hf_tentative, {"Tentative", "tcpprobe.tentative", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
                     "The class rests on a single gap; the series' later timing may change it (shown "
                     "refined with tshark -2 and in the GUI)", HFILL}},
    {&hf_revised_from, {"Revised from", "tcpprobe.revised_from", FT_UINT8, BASE_DEC, VALS(revised_from_vals),
                        0x0, "The tentative class that the series' timing overturned", HFILL}},
    {&hf_evicted, {"Connections forgotten so far (connection limit)", "tcpprobe.evicted", FT_UINT64, BASE_DEC,
                   NULL, 0x0,
                   "tcpprobe follows at most the preference's number of connections; this segment made it "
                   "forget the least recently active ones. Their later segments are judged as in a capture "
                   "that begins mid-stream", HFILL}},
    {&hf_failed, {"Classifier failed", "tcpprobe.failed", FT_NONE, BASE_NONE, NULL, 0x0,
                  "tcpprobe's classifier failed on this frame (a bug; please report it with the capture). "
                  "It forgot its connections and went on with the next frame", HFILL}},
    {&hf_recognised_in, {"Recognised in frame", "tcpprobe.recognised_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
                         "The reply that showed this was a probe: the capture began mid-stream, and nothing "
                         "before it told the sender's SND.UNA (a single pass cannot label this frame; tshark "
                         "-2 and the GUI do)", HFILL}},
    {&hf_keepalive_mismatch, {"Keep-alive timing differs", "tcpprobe.keepalive_mismatch", FT_UINT8, BASE_DEC,
                              VALS(keepalive_mismatch_vals), 0x0,
                              "Which preference the timing contradicts: 1 time, 2 interval", HFILL}},
    {&hf_summary, {"Episode summary", "tcpprobe.summary", FT_UINT32, BASE_DEC, NULL, 0x0,
                   "Summary of the episode (its number) that ends in this frame", HFILL}},
    {&hf_summary_kind, {"Kind", "tcpprobe.summary.kind", FT_UINT8, BASE_DEC, VALS(summary_kind_vals), 0x0, NULL,
                        HFILL}},
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
    {&hf_summary_end, {"Ended by", "tcpprobe.summary.end", FT_UINT8, BASE_DEC, VALS(summary_end_vals), 0x0, NULL,
                       HFILL}},
    {&hf_summary_window_closed_in, {"Window closed in frame", "tcpprobe.summary.window_closed_in",
                                    FT_FRAMENUM, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_summary_first_probe, {"First probe in frame", "tcpprobe.summary.first_probe", FT_FRAMENUM,
                               BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_summary_note, {"Consistent with", "tcpprobe.summary.note", FT_STRING, BASE_NONE, NULL, 0x0,
                        "What the episode's timing is consistent with", HFILL}},
    {&hf_summary_in, {"Episode summary in frame", "tcpprobe.summary_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
                      "The frame that ended the episode this segment tells more about, which holds its "
                      "summary", HFILL}},
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
    {&ei_episode_note, {"tcpprobe.expert.episode_note", PI_SEQUENCE, PI_NOTE,
                        "What an episode's timing shows that a user should know", EXPFILL}},
    {&ei_episode_detail, {"tcpprobe.expert.episode_detail", PI_SEQUENCE, PI_CHAT,
                          "What an episode's timing is consistent with (normal timer behaviour)", EXPFILL}},
    {&ei_after_episode, {"tcpprobe.expert.after_episode", PI_SEQUENCE, PI_NOTE,
                         "A segment that explains how an earlier episode ended", EXPFILL}},
    {&ei_connection_limit, {"tcpprobe.expert.connection_limit", PI_SEQUENCE, PI_WARN,
                            "Connection limit reached: tcpprobe forgot the least recently active connections",
                            EXPFILL}},
    {&ei_failed, {"tcpprobe.expert.failed", PI_MALFORMED, PI_ERROR,
                  "tcpprobe's classifier failed on this frame (a bug); it goes on with the next frame",
                  EXPFILL}},
};

/* ---- lifecycle: state lives per capture file ---- */

/* The RTO preferences as the classifier takes them. Wireshark cannot refuse a uint preference's
 * value, so the ones without a meaning are read as Linux would run: 0 is Linux's default, and a
 * minimum above the maximum is the maximum (Linux bounds every RTO by the maximum, so the persist
 * timer's first expiry too). */
static void rto_bounds_ns(guint64 *min_ns, guint64 *max_ns)
{
    guint max_ms = pref_rto_max_ms ? pref_rto_max_ms : RTO_MAX_DEFAULT_MS;
    guint min_ms = pref_rto_min_ms ? pref_rto_min_ms : RTO_MIN_DEFAULT_MS;
    if (min_ms > max_ms)
        min_ms = max_ms;
    *min_ns = (guint64)min_ms * 1000000u;
    *max_ns = (guint64)max_ms * 1000000u;
}

static void tcpprobe_init(void)
{
    tcpprobe_render_init();
    tcpprobe_extract_init();
    /* Preferences may have changed since the last file: configure (which also resets). */
    tcpprobe_config cfg;
    tcpprobe_config_default(&cfg);
    cfg.keepalive_time_ns = (guint64)pref_keepalive_time * 1000000000u;
    cfg.keepalive_interval_ns = (guint64)pref_keepalive_interval * 1000000000u;
    cfg.keepalive_probes = pref_keepalive_probes;
    cfg.invalid_ratelimit_ns = (guint64)pref_invalid_ratelimit_ms * 1000000u;
    rto_bounds_ns(&cfg.rto_min_ns, &cfg.rto_max_ns);
    cfg.max_connections = pref_max_connections ? pref_max_connections : MAX_CONNECTIONS_DEFAULT;
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

/* ---- registration ---- */

static void register_preferences(void)
{
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
    prefs_register_uint_preference(prefs, "rto_min", "Prober's minimum RTO (ms)",
                                   "Minimum retransmission timeout of the side that probes (Linux: 200; "
                                   "tcp_rto_min_us, or a route's rto_min: ip route ... rto_min). Its persist "
                                   "timer never fires sooner. Where the capture shows the round trip (the "
                                   "handshake, or data and ACKs both ways), a first probe into a zero window "
                                   "that comes far later than RTT + this is read as a keep-alive, sooner as a "
                                   "persist probe (tentatively, until later probes settle it). "
                                   "0: 200; above the maximum: the maximum.",
                                   10, &pref_rto_min_ms);
    prefs_register_uint_preference(prefs, "rto_max", "Prober's maximum RTO (ms)",
                                   "Maximum retransmission timeout of the side that probes (Linux: 120000; "
                                   "tcp_rto_max_ms). Its persist timer stops doubling there, so probes at a "
                                   "constant interval near it (5/6 of it or more) are not read as a keep-alive "
                                   "timer's; it also caps how long a persist prober may stay silent before "
                                   "it counts as stopped. 0: 120000.",
                                   10, &pref_rto_max_ms);
    prefs_register_uint_preference(prefs, "invalid_ratelimit", "Peer's reply rate limit (ms)",
                                   "Minimum time between the probed side's replies to out-of-window "
                                   "segments (Linux tcp_invalid_ratelimit: 500); probes sooner than this "
                                   "after a reply may go unanswered on purpose",
                                   10, &pref_invalid_ratelimit_ms);
    prefs_register_uint_preference(prefs, "max_connections", "Connections followed at most",
                                   "Beyond this many connections tcpprobe forgets the least recently active "
                                   "ones (an expert warning says so on the first such frame); their later "
                                   "segments are judged as in a capture that begins mid-stream. About 64 "
                                   "bytes a connection, more with a closed window or probes: 1000000 is "
                                   "about 100 MB. 0: 1000000.",
                                   10, &pref_max_connections);
    prefs_register_bool_preference(prefs, "rewrite_info", "Correct the Info column",
                                   "Replace Wireshark's [TCP Keep-Alive]/[TCP ZeroWindowProbe] labels in the "
                                   "Info column with tcpprobe's verdict",
                                   &pref_rewrite_info);
}

static void proto_register_tcpprobe(void)
{
    fill_all_value_strings();
    proto_tcpprobe = proto_register_protocol("TCP probe classifier (tcpprobe)", "tcpprobe", "tcpprobe");
    proto_register_field_array(proto_tcpprobe, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    expert_register_field_array(expert_register_protocol(proto_tcpprobe), ei, G_N_ELEMENTS(ei));
    tcpprobe_results_register();
    tcpprobe_stats_register();
    register_preferences();

    tcpprobe_handle = register_dissector("tcpprobe", tcpprobe_dissect, proto_tcpprobe);
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
