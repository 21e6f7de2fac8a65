/*
 * ws_compat.h - every Wireshark-version-specific line of the plugin, in one place.
 *
 * Compiled against the installed headers, so struct layouts (field_info, proto_node, packet_info)
 * come from the real headers of the version being built for and are never written down here.
 * Supported: 3.4 (Debian 11, RHEL 9), 4.0 (Debian 12), 4.4 (Debian 13), 4.6.
 */
#ifndef TCPPROBE_WS_COMPAT_H
#define TCPPROBE_WS_COMPAT_H

#include <glib.h>

/* The version macros: <ws_version.h> from 3.6 on; up to 3.4 the installed <config.h> (Debian's
 * libwireshark-dev ships it) defines VERSION_MAJOR/MINOR/MICRO instead. */
#if defined(__has_include)
#if __has_include(<ws_version.h>)
#define TCPPROBE_HAVE_WS_VERSION_H 1
#endif
#endif
#ifdef TCPPROBE_HAVE_WS_VERSION_H
#include <ws_version.h>
#else
#include <config.h>
#define WIRESHARK_VERSION_MAJOR VERSION_MAJOR
#define WIRESHARK_VERSION_MINOR VERSION_MINOR
#define WIRESHARK_VERSION_MICRO VERSION_MICRO
#endif

#define TCPPROBE_WS_AT_LEAST(maj, min)                                                            \
    (WIRESHARK_VERSION_MAJOR > (maj) ||                                                            \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* build.rs defines the major.minor that pkg-config named, which the plugin declares to Wireshark's
 * loader (plugin_want_major/minor): the headers compiled against must be that very version. */
#if defined(TCPPROBE_PC_VERSION_MAJOR) &&                                                        \
    (WIRESHARK_VERSION_MAJOR != TCPPROBE_PC_VERSION_MAJOR ||                                     \
     WIRESHARK_VERSION_MINOR != TCPPROBE_PC_VERSION_MINOR)
#error "tcpprobe: the Wireshark headers found are not the version pkg-config names: check TCPPROBE_WIRESHARK_PC (a wireshark.pc whose includedir is another installation's)"
#endif

/* ---- checked against the 3.4.10, 4.0.17, 4.4.19 and 4.6.9 headers (tests/versions/run.sh) ---- */
#include <epan/packet_info.h>
#include <epan/proto.h>

/* A boolean item at offset 0, length 0. proto_tree_add_boolean() takes a 32-bit value in 4.0 and
 * a 64-bit one in 4.4/4.6; the value is normalised to 0/1 so that no flag is lost in a
 * narrowing conversion on either. Returns the proto_item. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#define TCPPROBE_ADD_BOOLEAN(tree, hf, tvb, value)                                               \
    proto_tree_add_boolean((tree), (hf), (tvb), 0, 0, (uint64_t)((value) ? 1 : 0))
#else
#define TCPPROBE_ADD_BOOLEAN(tree, hf, tvb, value)                                               \
    proto_tree_add_boolean((tree), (hf), (tvb), 0, 0, (guint32)((value) ? 1 : 0))
#endif

/* Per-packet memory: wmem_packet_scope() is gone in 4.6; pinfo->pool exists in all three. */
#define TCPPROBE_PACKET_POOL(pinfo) ((pinfo)->pool)

/* Expert fields: EI_INIT is {-1,-1} up to 4.4 and {0,0} in 4.6. Zero-initialised ones (static
 * storage, or this initialiser) are accepted by every supported version. */
#define TCPPROBE_EI_INIT {0, 0}

/* The header field of a tree node. 4.6 keeps it in the node (PNODE_HFINFO) and, in a tree that
 * is not displayed (no -V, no filter naming the protocol), may leave the node's field_info NULL;
 * before 4.6 every node that is not faked has a field_info holding it. */
#ifdef PNODE_HFINFO
#define TCPPROBE_PNODE_HFINFO(node) PNODE_HFINFO(node)
#else
#define TCPPROBE_PNODE_HFINFO(node) (PNODE_FINFO(node) ? PNODE_FINFO(node)->hfinfo : NULL)
#endif

/* The capture file's encapsulation of a packet record (WTAP_ENCAP_*), or -1 for other records. */
#include <wiretap/wtap.h>
static inline int tcpprobe_pinfo_packet_encap(const packet_info *pinfo)
{
    if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return -1;
    return pinfo->rec->rec_header.packet_header.pkt_encap;
}
#define TCPPROBE_PINFO_PACKET_ENCAP(pinfo) tcpprobe_pinfo_packet_encap(pinfo)

/* plugin_describe() and its flags exist from 4.4 on; 3.4 and 4.0 never ask. */
#if TCPPROBE_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>
#define TCPPROBE_PLUGIN_DESCRIPTION ((uint32_t)WS_PLUGIN_DESC_DISSECTOR)
#else
#define TCPPROBE_PLUGIN_DESCRIPTION ((uint32_t)0)
#endif

/* A tap listener's packet callback: its last parameter (tap_flags_t flags) exists from 3.6 on;
 * the callbacks of this plugin do not use it. */
#if TCPPROBE_WS_AT_LEAST(3, 6)
#define TCPPROBE_TAP_FLAGS_PARAM , tap_flags_t flags _U_
#else
#define TCPPROBE_TAP_FLAGS_PARAM
#endif

/* The stat group whose tables the Qt GUI puts in its Statistics menu (it gives GENERIC none):
 * REGISTER_STAT_GROUP_UNSORTED up to 3.4, renamed REGISTER_PACKET_STAT_GROUP_UNSORTED since. */
#if TCPPROBE_WS_AT_LEAST(4, 0)
#define TCPPROBE_STATISTICS_MENU_GROUP REGISTER_PACKET_STAT_GROUP_UNSORTED
#else
#define TCPPROBE_STATISTICS_MENU_GROUP REGISTER_STAT_GROUP_UNSORTED
#endif

/* Boolean preferences: gboolean (int) up to 4.0 (3.4 included), C99 bool from 4.2 on. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#include <stdbool.h>
typedef bool tcpprobe_pref_bool;
#else
typedef gboolean tcpprobe_pref_bool;
#endif

#endif
