/* Compiled against include/tcpprobe.h by tests/c_abi.rs: classifies a small zero-window stall
 * through the C ABI, as any C consumer would. (The same test checks every struct field and
 * constant of the header against Rust at compile time.) */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tcpprobe.h"

static tcpprobe_segment seg(uint64_t packet, int from_client, uint32_t seq, uint32_t ack,
                            uint16_t window, uint32_t len)
{
    tcpprobe_segment s;
    memset(&s, 0, sizeof(s));
    s.packet = packet;
    s.time_ns = packet * 100000000ull;
    s.conn = 1;
    s.src_addr[0] = from_client ? 1 : 2;
    s.dst_addr[0] = from_client ? 2 : 1;
    s.src_port = from_client ? 40000 : 80;
    s.dst_port = from_client ? 80 : 40000;
    s.seq = seq;
    s.ack = ack;
    s.flags = TCPPROBE_FLAG_ACK;
    s.window = window;
    s.payload_len = len;
    return s;
}

static void print_config(const char *label, const tcpprobe_config *cfg)
{
    printf("%s %llu %llu %u %llu %llu %llu\n", label, (unsigned long long)cfg->keepalive_time_ns,
           (unsigned long long)cfg->keepalive_interval_ns, cfg->keepalive_probes,
           (unsigned long long)cfg->invalid_ratelimit_ns, (unsigned long long)cfg->rto_min_ns,
           (unsigned long long)cfg->rto_max_ns);
}

/* Configures (which resets), then: a handshake (200 ms round trip), data, its ACK closing the
 * window, and a probe at SND.UNA-1 2 s after that. Prints the probe's class and reason. */
static void print_first_probe(tcpprobe_classifier *c, const tcpprobe_config *cfg)
{
    tcpprobe_classifier_configure(c, cfg);
    tcpprobe_segment stall[] = {
        seg(1, 1, 999, 0, 500, 0),      /* SYN */
        seg(2, 0, 4999, 1000, 500, 0),  /* SYN-ACK */
        seg(3, 1, 1000, 5000, 500, 0),  /* ACK */
        seg(4, 1, 1000, 5000, 500, 100),
        seg(5, 0, 5000, 1100, 0, 0),
        seg(25, 1, 1099, 5000, 500, 0),
    };
    stall[0].flags = TCPPROBE_FLAG_SYN;
    stall[1].flags = TCPPROBE_FLAG_SYN | TCPPROBE_FLAG_ACK;
    tcpprobe_verdict v;
    memset(&v, 0, sizeof(v));
    for (size_t i = 0; i < sizeof(stall) / sizeof(stall[0]); i++)
        tcpprobe_classify(c, &stall[i], &v);
    printf(" %u %u", v.verdict_class, v.reason);
}

int main(void)
{
    tcpprobe_classifier *c = NULL;
    if (tcpprobe_classifier_new(&c) != TCPPROBE_OK || !c)
        return 2;
    tcpprobe_segment stall[] = {
        seg(1, 1, 1000, 5000, 500, 100), /* data */
        seg(2, 0, 5000, 1100, 0, 0),     /* the server closes its window */
        seg(5, 1, 1099, 5000, 500, 0),   /* probe at SND.UNA-1, 300 ms later */
        seg(5, 0, 5000, 1100, 0, 0),     /* its reply */
        seg(9, 0, 5000, 1100, 300, 0),   /* the window reopens */
    };
    for (size_t i = 0; i < sizeof(stall) / sizeof(stall[0]); i++) {
        tcpprobe_verdict v;
        if (tcpprobe_classify(c, &stall[i], &v) != TCPPROBE_OK)
            return 3;
        const char *name = tcpprobe_class_name(v.verdict_class);
        printf("verdict %zu %s answers=%llu closed_in=%llu probe_number=%u\n", i,
               name ? name : "-", (unsigned long long)v.answers,
               (unsigned long long)v.window_closed_in, v.probe_number);
        tcpprobe_event e;
        while (tcpprobe_poll_event(c, &e) == TCPPROBE_OK && e.kind != TCPPROBE_EVENT_NONE) {
            if (e.kind != TCPPROBE_EVENT_EPISODE)
                continue;
            const char *end = tcpprobe_end_cause_description(e.episode.end_cause);
            printf("episode %zu id=%llu probes=%u answered=%u end=%s duration=%llu\n", i,
                   (unsigned long long)e.episode.id, e.episode.zero_window_probes,
                   e.episode.answered, end ? end : "-",
                   (unsigned long long)tcpprobe_episode_duration_ns(&e.episode, 0));
        }
    }
    tcpprobe_config cfg;
    if (tcpprobe_config_default(&cfg) != TCPPROBE_OK)
        return 4;
    print_config("config", &cfg);
    /* Every field a different value from its default and from the others. */
    cfg.keepalive_time_ns = 3600000000000ull;
    cfg.keepalive_interval_ns = 60000000000ull;
    cfg.keepalive_probes = 3;
    cfg.invalid_ratelimit_ns = 250000000ull;
    cfg.rto_min_ns = 2000000000ull;
    cfg.rto_max_ns = 60000000000ull;
    printf("configure %d\n", (int)tcpprobe_classifier_configure(c, &cfg));
    tcpprobe_config back;
    memset(&back, 0, sizeof(back));
    if (tcpprobe_classifier_config(c, &back) != TCPPROBE_OK)
        return 5;
    print_config("configured", &back);

    /* The minimum RTO reaches the classifier: the same first probe, 2 s after the window closed
     * on a connection with a 100 ms RTT, under Linux's 200 ms and under 2 s. */
    tcpprobe_config linux_cfg;
    tcpprobe_config_default(&linux_cfg);
    printf("rto_min default");
    print_first_probe(c, &linux_cfg);
    printf(" configured");
    print_first_probe(c, &cfg);
    printf(" restored");
    print_first_probe(c, &linux_cfg);
    printf("\n");
    printf("note %s\n", tcpprobe_note_description(TCPPROBE_NOTE_KEEPALIVE_ABORT));
    printf("null %d\n", (int)tcpprobe_classify(c, NULL, NULL));

    /* Raw IPv4: 10.0.0.1:4000 -> 10.0.0.2:80, seq 7, ack 9, ACK, window 0, 5 bytes of payload
     * of which only 2 were captured. */
    static const uint8_t frame[] = {
        0x45, 0, 0, 45, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        0x0f, 0xa0, 0, 80, 0, 0, 0, 7, 0, 0, 0, 9, 0x50, 0x10, 0, 0, 0, 0, 0, 0,
        'h', 'e'};
    tcpprobe_segment decoded;
    uint8_t found = 9;
    tcpprobe_status st = tcpprobe_decode_frame(TCPPROBE_LINK_RAW, frame, sizeof(frame), 42, 1000,
                                               &decoded, &found);
    printf("decode %d %u %llu %u %u %u %u 0x%x %u %u\n", (int)st, found,
           (unsigned long long)decoded.packet, decoded.src_addr[3], decoded.src_port,
           decoded.dst_port, decoded.seq, decoded.flags, decoded.window, decoded.payload_len);
    st = tcpprobe_decode_frame(TCPPROBE_LINK_ETHERNET, frame, sizeof(frame), 1, 1, &decoded, &found);
    printf("decode_other %d %u\n", (int)st, found);
    tcpprobe_verdict fv;
    found = 9;
    st = tcpprobe_classify_frame(c, TCPPROBE_LINK_RAW, frame, sizeof(frame), 43, 2000, &fv, &found);
    printf("classify_frame %d %u %u\n", (int)st, found, fv.verdict_class);
    printf("decode_null %d\n", (int)tcpprobe_decode_frame(TCPPROBE_LINK_RAW, NULL, 3, 1, 1, &decoded,
                                                         &found));
    tcpprobe_classifier_free(c);
    return 0;
}
