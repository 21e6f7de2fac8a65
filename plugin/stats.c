/*
 * stats.c - the overview: every zero-window episode and keep-alive series of the capture in one
 * table (Statistics > TCP Stalls (tcpprobe) in the GUI, tshark -z tcpprobe,stalls[,FILTER]).
 *
 * Fed by tcpprobe's own tap: each dissection of a frame that starts, continues or ends an episode
 * queues the episode's stored snapshot, with or without a tree, in every pass. The table keeps one
 * row per episode and overwrites it with each newer snapshot, so a single pass ends with each
 * episode's last state and a second pass (tshark -2, the GUI's retap) with the final one.
 */
/* First: up to Wireshark 3.4 the installed config.h must precede every Wireshark header. */
#include "ws_compat.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "plugin.h"
#include "tcpprobe.h"

static int tcpprobe_tap = -1;

/* What tcpprobe's tap carries: an episode's snapshot, or (episode NULL) how many connections the
 * connection limit made the classifier forget so far. */
typedef struct {
    const tcpprobe_episode *episode;
    guint64 evicted;
} tap_item_t;

#define STALLS_TABLE "Zero-window episodes and keep-alive series"

enum {
    COL_EPISODE,
    COL_STREAM,
    COL_PROBER,
    COL_PROBED,
    COL_KIND,
    COL_FIRST_FRAME,
    COL_LAST_FRAME,
    COL_START,
    COL_DURATION,
    COL_PROBES,
    COL_ANSWERED,
    COL_MAX_INTERVAL,
    COL_END,
    COL_NOTES,
    N_COLS
};

/* Formats are printf formats for tshark's table (ui/cli/tap-simple_stattable.c). */
static stat_tap_table_item stalls_fields[N_COLS] = {
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Episode", "%u"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Stream", "%u"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Prober", "%s"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Probed side", "%s"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Kind", "%s"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "First frame", "%u"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Last frame", "%u"},
    {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Start (s)", "%.6f"},
    {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Duration (s)", "%.3f"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Probes", "%u"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Answered", "%u"},
    {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Largest interval (s)", "%.3f"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Ended by", "%s"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Consistent with", "%s"},
};

/* The table, once stalls_init made it (stat_tap_find_table() does this from 3.6 on). */
static stat_tap_table *stalls_table(stat_tap_table_ui *ui)
{
    for (guint i = 0; ui->tables && i < ui->tables->len; i++) {
        stat_tap_table *t = g_array_index(ui->tables, stat_tap_table *, i);
        if (t && t->title && strcmp(t->title, STALLS_TABLE) == 0)
            return t;
    }
    return NULL;
}

static void stalls_init(stat_tap_table_ui *ui)
{
    if (stalls_table(ui))
        return;
    stat_tap_add_table(ui, stat_tap_init_table(STALLS_TABLE, N_COLS, 0, "tcpprobe.episode == %u"));
}

static void free_item(stat_tap_table *table _U_, guint row _U_, guint column,
                      stat_tap_table_item_type *item)
{
    if (stalls_fields[column].type == TABLE_ITEM_STRING) {
        g_free((char *)item->value.string_value);
        item->value.string_value = NULL;
    }
}

/* A new capture (or a retap): no rows. */
static void stalls_reset(stat_tap_table *table)
{
    for (guint row = 0; row < table->num_elements; row++) {
        for (guint col = 0; col < table->num_fields; col++)
            free_item(table, row, col, &table->elements[row][col]);
        g_free(table->elements[row]);
    }
    g_free(table->elements);
    table->elements = NULL;
    table->num_elements = 0;
}

static stat_tap_table_item_type uint_item(guint v)
{
    stat_tap_table_item_type it;
    memset(&it, 0, sizeof it);
    it.type = TABLE_ITEM_UINT;
    it.value.uint_value = v;
    return it;
}

static stat_tap_table_item_type float_item(double v)
{
    stat_tap_table_item_type it;
    memset(&it, 0, sizeof it);
    it.type = TABLE_ITEM_FLOAT;
    it.value.float_value = v;
    return it;
}

static stat_tap_table_item_type string_item(char *owned)
{
    stat_tap_table_item_type it;
    memset(&it, 0, sizeof it);
    it.type = TABLE_ITEM_STRING;
    it.value.string_value = owned;
    return it;
}

/* The episode's row as of this snapshot. Strings are owned by the row (freed by free_item). */
static void episode_row(const tcpprobe_episode *ep, stat_tap_table_item_type *row)
{
    guint32 stream = 0;
    char *prober = NULL, *probed = NULL;
    if (!tcpprobe_results_episode_endpoints(ep->id, &stream, &prober, &probed))
        stream = 0;
    guint64 capture_end = tcpprobe_results_capture_end_ns();
    guint64 start_ns = ep->has_window_closed_in ? ep->window_closed_at_ns : ep->first_probe_at_ns;
    guint64 first_ns = tcpprobe_results_capture_start_ns();
    gboolean open = ep->end_cause == 0;
    guint32 notes = open ? tcpprobe_episode_notes_at_capture_end(ep, capture_end) : ep->notes;

    row[COL_EPISODE] = uint_item((guint)ep->id);
    row[COL_STREAM] = uint_item(stream);
    row[COL_PROBER] = string_item(prober ? prober : g_strdup("?"));
    row[COL_PROBED] = string_item(probed ? probed : g_strdup("?"));
    const char *kind = tcpprobe_episode_kind_description(ep->kind);
    row[COL_KIND] = string_item(g_strdup(kind ? kind : "?"));
    row[COL_FIRST_FRAME] = uint_item((guint)(ep->has_window_closed_in ? ep->window_closed_in : ep->first_probe));
    row[COL_LAST_FRAME] = uint_item((guint)(open ? ep->last_packet : ep->end_packet));
    row[COL_START] = float_item(start_ns >= first_ns ? (double)(start_ns - first_ns) / 1e9 : 0.0);
    row[COL_DURATION] = float_item((double)tcpprobe_episode_duration_ns(ep, capture_end) / 1e9);
    row[COL_PROBES] = uint_item(ep->zero_window_probes + ep->keep_alives);
    row[COL_ANSWERED] = uint_item(ep->answered);
    row[COL_MAX_INTERVAL] = float_item((double)ep->max_interval_ns / 1e9);
    const char *end = open ? "still open when the capture ended" : tcpprobe_end_cause_description(ep->end_cause);
    row[COL_END] = string_item(g_strdup(end ? end : "?"));
    GString *s = g_string_new(NULL);
    for (guint32 bit = 1; bit; bit <<= 1) {
        const char *note = (notes & bit) ? tcpprobe_note_description(bit) : NULL;
        if (note)
            g_string_append_printf(s, "%s%s", s->len ? "; " : "", note);
    }
    row[COL_NOTES] = string_item(g_string_free(s, FALSE));
}

/* The row that says how many connections the connection limit made tcpprobe forget. */
static void evicted_row(guint64 evicted, stat_tap_table_item_type *row)
{
    for (int col = 0; col < N_COLS; col++)
        row[col] = stalls_fields[col].type == TABLE_ITEM_STRING ? string_item(g_strdup(""))
                   : stalls_fields[col].type == TABLE_ITEM_FLOAT ? float_item(0.0)
                                                                  : uint_item(0);
    g_free((char *)row[COL_KIND].value.string_value);
    row[COL_KIND] = string_item(g_strdup_printf("connection limit: %" G_GUINT64_FORMAT " connections forgotten",
                                                evicted));
    g_free((char *)row[COL_NOTES].value.string_value);
    row[COL_NOTES] = string_item(g_strdup("the least recently active; their later segments were judged as in "
                                          "a capture that begins mid-stream (preference "
                                          "tcpprobe.max_connections)"));
}

static tap_packet_status stalls_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                                       const void *data TCPPROBE_TAP_FLAGS_PARAM)
{
    stat_data_t *stat_data = (stat_data_t *)tapdata;
    const tap_item_t *item = (const tap_item_t *)data;
    stat_tap_table *table = stalls_table(stat_data->stat_tap_data);
    if (!table || !item)
        return TAP_PACKET_DONT_REDRAW;

    /* Episodes are numbered from 1; row "episode 0" counts the forgotten connections. */
    guint id = item->episode ? (guint)item->episode->id : 0;
    guint row = 0;
    while (row < table->num_elements && table->elements[row][COL_EPISODE].value.uint_value != id)
        row++;
    stat_tap_table_item_type items[N_COLS];
    if (item->episode)
        episode_row(item->episode, items);
    else
        evicted_row(item->evicted, items);
    if (row == table->num_elements) {
        stat_tap_init_table_row(table, row, N_COLS, items);
    } else {
        for (guint col = 0; col < N_COLS; col++) {
            free_item(table, row, col, &table->elements[row][col]);
            stat_tap_set_field_data(table, row, col, &items[col]);
        }
    }
    return TAP_PACKET_REDRAW;
}

void tcpprobe_stats_register(void)
{
    static stat_tap_table_ui ui = {
        TCPPROBE_STATISTICS_MENU_GROUP,
        "TCP Stalls (tcpprobe)",
        "tcpprobe",
        "tcpprobe,stalls",
        stalls_init,
        stalls_packet,
        stalls_reset,
        free_item,
        NULL,
        G_N_ELEMENTS(stalls_fields),
        stalls_fields,
        0,
        NULL,
        NULL,
        0,
    };
    tcpprobe_tap = register_tap("tcpprobe");
    register_stat_tap_table_ui(&ui);
}

void tcpprobe_stats_queue(packet_info *pinfo, const frame_result_t *r)
{
    if (!r)
        return;
    guint64 ids[4] = {r->verdict.has_episode ? r->verdict.episode : 0, r->ended[0], r->ended[1], r->refers_to};
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        gboolean seen = FALSE;
        for (size_t j = 0; j < i; j++)
            seen |= ids[j] == ids[i];
        const tcpprobe_episode *ep = ids[i] && !seen ? tcpprobe_results_episode(ids[i]) : NULL;
        if (ep) {
            tap_item_t *item = wmem_new0(TCPPROBE_PACKET_POOL(pinfo), tap_item_t);
            item->episode = ep;
            tap_queue_packet(tcpprobe_tap, pinfo, item);
        }
    }
    if (r->evicted) {
        tap_item_t *item = wmem_new0(TCPPROBE_PACKET_POOL(pinfo), tap_item_t);
        item->evicted = r->evicted;
        tap_queue_packet(tcpprobe_tap, pinfo, item);
    }
}
