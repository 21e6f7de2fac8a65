/*
 * ws_compat.h - every Wireshark-version-specific line of the plugin, in one place.
 *
 * Compiled against the installed headers, so struct layouts (field_info, proto_node, packet_info)
 * come from the real headers of the version being built for and are never written down here.
 * Supported: 4.0 (Debian 12), 4.4 (Debian 13), 4.6.
 */
#ifndef TCPPROBE_WS_COMPAT_H
#define TCPPROBE_WS_COMPAT_H

#include <glib.h>

#include <ws_version.h>

#define TCPPROBE_WS_AT_LEAST(maj, min)                                                            \
    (WIRESHARK_VERSION_MAJOR > (maj) ||                                                            \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* field_info.value: embedded fvalue_t up to 4.0, a pointer from 4.2 on. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#define TCPPROBE_FI_FVALUE(fi) ((fi)->value)
#else
#define TCPPROBE_FI_FVALUE(fi) (&(fi)->value)
/* Boolean preferences: gboolean (int) up to 4.0, C99 bool from 4.2 on. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#include <stdbool.h>
typedef bool tcpprobe_pref_bool;
#else
typedef gboolean tcpprobe_pref_bool;
#endif

#endif

/* plugin_describe() and its flags exist from 4.4 on; 4.0 never asks. */
#if TCPPROBE_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>
#define TCPPROBE_PLUGIN_DESCRIPTION ((uint32_t)WS_PLUGIN_DESC_DISSECTOR)
#else
#define TCPPROBE_PLUGIN_DESCRIPTION ((uint32_t)0)
/* Boolean preferences: gboolean (int) up to 4.0, C99 bool from 4.2 on. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#include <stdbool.h>
typedef bool tcpprobe_pref_bool;
#else
typedef gboolean tcpprobe_pref_bool;
#endif

#endif

/* Boolean preferences: gboolean (int) up to 4.0, C99 bool from 4.2 on. */
#if TCPPROBE_WS_AT_LEAST(4, 2)
#include <stdbool.h>
typedef bool tcpprobe_pref_bool;
#else
typedef gboolean tcpprobe_pref_bool;
#endif

#endif
