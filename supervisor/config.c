/*
 * aoede.conf(5): the configuration file.
 *
 * libinih splits the file into "key = value" lines and calls conf_on_key()
 * for each, with its line number.  Section headers never reach that
 * handler (this libinih is built without INI_CALL_HANDLER_ON_NEW_SECTION),
 * so an empty section would pass unseen: conf_read_line(), the line reader
 * we hand libinih, sees every line first and handles the headers itself.
 * Values are checked as they are read; what needs the whole file (required
 * keys, one shelf.slot per export, a NIC nothing uses) is checked by
 * conf_finish().  The first mistake ends the parse, as "FILE:LINE: problem".
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* this libinih passes the line number to the handler */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "aoe.h"
#include "config.h"
#include "log.h"
#include "supervisor.h"
#include "util.h"


enum { CONF_SEC_NONE, CONF_SEC_GLOBAL, CONF_SEC_NIC, CONF_SEC_EXPORT };

/* [global] keys, in the canonical order */
enum {
	CG_CONTROL_SOCKET, CG_CONTROL_GROUP, CG_OPERATOR_GROUP, CG_NETD_USER,
	CG_BLOCKD_USER, CG_STATE_DIR, CG_BUSY_POLL, CG_NKEYS
};

static const char *const conf_global_keys[CG_NKEYS] = {
	"control-socket", "control-group", "operator-group", "netd-user",
	"blockd-user", "state-directory", "busy-poll",
};

static const char *const conf_export_keys[CK_NKEYS] = {
	"shelf", "slot", "path", "nics", "read-only", "offset", "length",
	"durability", "direct", "cache", "bufcnt", "mac-allow", "shadow-directory",
	"lan-mask-edit", "lan-force-reserve", "lan-force-config",
};

static const struct conf	*conf_installed;

static int	conf_error(struct conf *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Copy a string that is known to fit (or cut it). */
static void
conf_copy(char *dst, size_t len, const char *src)
{
	size_t	 n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Remember the first problem only: it is the one reported. */
static int
conf_error(struct conf *c, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (c->err[0] != '\0')
		return -1;
	/* the command line's values (-U …) have no file or no line */
	if (c->file[0] == '\0')
		n = 0;
	else if (line == 0)
		n = snprintf(c->err, sizeof(c->err), "%s: ", c->file);
	else
		n = snprintf(c->err, sizeof(c->err), "%s:%u: ", c->file, line);
	if (n < 0 || (size_t)n >= sizeof(c->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- value parsers --------------------------------------------------------- */

int
conf_parse_bool(const char *s, bool *v, const char **why)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned	 i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	*why = "not a boolean (yes/no, true/false, on/off, 1/0)";
	return -1;
}

int
conf_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char **why)
{
	unsigned	 base = 10;
	uint64_t	 n = 0;
	int		 d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0') {
		*why = "not a number";
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else {
			*why = "not a number";
			return -1;
		}
		if (n > (UINT64_MAX - d) / base) {
			*why = "too large";
			return -1;
		}
		n = n * base + d;
	}
	if (n > max) {
		*why = "too large";
		return -1;
	}
	if (n < min) {
		*why = "too small";
		return -1;
	}
	*v = n;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t max, uint64_t *v, const char **why)
{
	char		 num[32];
	size_t		 len = strlen(s);
	unsigned	 shift = 0;
	uint64_t	 n;

	if (len > 0 && !isdigit((unsigned char)s[len - 1])) {
		switch (toupper((unsigned char)s[len - 1])) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default:
			*why = "not a size (a number with an optional K, M, G or T)";
			return -1;
		}
		len--;
	}
	if (len == 0 || len >= sizeof(num) || (len > 1 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X'))) {
		*why = "not a size (a number with an optional K, M, G or T)";
		return -1;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	if (conf_parse_number(num, 0, UINT64_MAX >> shift, &n, why) == -1) {
		if (strcmp(*why, "not a number") == 0)
			*why = "not a size (a number with an optional K, M, G or T)";
		return -1;
	}
	n <<= shift;
	if (n > max) {
		*why = "too large";
		return -1;
	}
	*v = n;
	return 0;
}

char *
conf_format_size(uint64_t v, char *buf, size_t len)
{
	static const char	 suffix[] = "KMGT";
	int			 i;

	for (i = 3; i >= 0; i--) {
		uint64_t unit = (uint64_t)1 << (10 * (i + 1));

		if (v != 0 && v % unit == 0) {
			snprintf(buf, len, "%ju%c", (uintmax_t)(v / unit), suffix[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%ju", (uintmax_t)v);
	return buf;
}

/* The next word of a list separated by spaces and/or commas, into buf;
 * NULL at the end, or (with *toolong set) when a word does not fit. */
static const char *
conf_next_word(const char *s, char *buf, size_t len, bool *toolong)
{
	size_t	 n;

	*toolong = false;
	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return NULL;
	n = strcspn(s, ", \t");
	if (n >= len) {
		*toolong = true;
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return s + n;
}

int
conf_parse_macs(const char *s, uint8_t macs[][6], unsigned max, unsigned *n,
    char *why, size_t whylen)
{
	char		 word[64];
	bool		 toolong;
	unsigned	 i;

	*n = 0;
	while ((s = conf_next_word(s, word, sizeof(word), &toolong)) != NULL) {
		if (*n == max) {
			snprintf(why, whylen, "more than %u MAC addresses", max);
			return -1;
		}
		if (mac_parse(word, macs[*n]) == -1) {
			snprintf(why, whylen, "not a MAC address: %s", word);
			return -1;
		}
		if (macs[*n][0] & 1) {
			snprintf(why, whylen, "not a unicast MAC address: %s", word);
			return -1;
		}
		for (i = 0; i < *n; i++)
			if (memcmp(macs[i], macs[*n], 6) == 0) {
				snprintf(why, whylen, "%s is listed twice", word);
				return -1;
			}
		(*n)++;
	}
	if (toolong) {
		snprintf(why, whylen, "not a MAC address list");
		return -1;
	}
	return 0;
}

/* An interface name the kernel could have. */
static bool
conf_ifname_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || *s == ',' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

static bool
conf_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= CONF_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* --- building the configuration ------------------------------------------- */

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	conf_copy(c->control_socket, sizeof(c->control_socket), SUP_DEFAULT_CONTROL);
	conf_copy(c->netd_user, sizeof(c->netd_user), SUP_NETD_USER);
	conf_copy(c->blockd_user, sizeof(c->blockd_user), SUP_BLOCKD_USER);
	conf_copy(c->state_dir, sizeof(c->state_dir), CONF_DEFAULT_STATE_DIR);
	c->busy_poll_us = CONF_DEFAULT_BUSY_POLL;
}

static int
conf_nic_find(const struct conf *c, const char *name)
{
	unsigned	 i;

	for (i = 0; i < c->nnics; i++)
		if (strcmp(c->nics[i].name, name) == 0)
			return i;
	return -1;
}

/* The NIC called name, added (first seen on line) if it is new; -1 when
 * there are too many. */
static int
conf_nic_get(struct conf *c, const char *name, unsigned line)
{
	int	 i;

	if ((i = conf_nic_find(c, name)) != -1)
		return i;
	if (c->nnics == SUP_MAX_NICS)
		return -1;
	i = c->nnics++;
	conf_copy(c->nics[i].name, sizeof(c->nics[i].name), name);
	c->nics[i].line = line;
	return i;
}

static void
conf_export_defaults(struct conf_export *x)
{
	memset(x, 0, sizeof(*x));
	x->durability = CONF_SYNC;
	x->lan_mask_edit = x->lan_force_reserve = x->lan_force_config = true;
}

/* A relative path starts at the configuration file's directory. */
static int
conf_path(struct conf *c, unsigned line, const char *key, const char *val,
    char *out, size_t len)
{
	int	 n;

	if (val[0] == '/')
		n = snprintf(out, len, "%s", val);
	else
		n = snprintf(out, len, "%s%s%s", c->dir, strcmp(c->dir, "/") ? "/" : "", val);
	if (n < 0 || (size_t)n >= len)
		return conf_error(c, line, "%s: path too long", key);
	return 0;
}

static int
conf_section(struct conf *c, unsigned line, const char *text)
{
	char		 buf[CONF_MAX_LINE], *kind, *name, *end;
	const char	*close = strchr(text, ']'), *p;
	int		 i;

	if (close == NULL)
		return conf_error(c, line, "section header without ']'");
	for (p = close + 1; isspace((unsigned char)*p); p++)
		;
	if (*p != '\0' && *p != '#' && *p != ';')
		return conf_error(c, line, "text after the section header");
	memcpy(buf, text + 1, close - text - 1);
	buf[close - text - 1] = '\0';
	for (kind = buf; isspace((unsigned char)*kind); kind++)
		;
	for (end = kind; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	for (name = end; isspace((unsigned char)*name); name++)
		;
	*end = '\0';
	for (end = name + strlen(name); end > name && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';

	if (strcmp(kind, "global") == 0) {
		if (*name != '\0')
			return conf_error(c, line, "[global] takes no name");
		if (c->global_line != 0)
			return conf_error(c, line, "second [global] section (the first is on line %u)",
			    c->global_line);
		c->global_line = line;
		c->section = CONF_SEC_GLOBAL;
	} else if (strcmp(kind, "nic") == 0) {
		if (*name == '\0')
			return conf_error(c, line, "[nic NAME] needs the interface's name");
		if (!conf_ifname_ok(name))
			return conf_error(c, line, "not an interface name: %s", name);
		if ((i = conf_nic_find(c, name)) != -1 && c->nics[i].declared)
			return conf_error(c, line, "second [nic %s] section (the first is on line %u)",
			    name, c->nics[i].line);
		if ((i = conf_nic_get(c, name, line)) == -1)
			return conf_error(c, line, "more than %d interfaces", SUP_MAX_NICS);
		c->nics[i].declared = true;
		c->nics[i].line = line;
		c->section = CONF_SEC_NIC;
		c->cur = i;
	} else if (strcmp(kind, "export") == 0) {
		if (*name == '\0')
			return conf_error(c, line, "[export NAME] needs a name");
		if (!conf_name_ok(name))
			return conf_error(c, line, "export name %s: use at most %d letters, digits, "
			    "'-', '_' and '.'", name, CONF_NAME_MAX - 1);
		for (i = 0; i < (int)c->nexports; i++)
			if (strcmp(c->exports[i].name, name) == 0)
				return conf_error(c, line, "second [export %s] section (the first "
				    "is on line %u)", name, c->exports[i].line);
		if (c->nexports == SUP_MAX_EXPORTS)
			return conf_error(c, line, "more than %d exports", SUP_MAX_EXPORTS);
		conf_export_defaults(&c->exports[c->nexports]);
		conf_copy(c->exports[c->nexports].name, CONF_NAME_MAX, name);
		c->exports[c->nexports].line = line;
		c->cur = c->nexports++;
		c->section = CONF_SEC_EXPORT;
	} else
		return conf_error(c, line, "unknown section [%s%s%s] (want [global], "
		    "[nic NAME] or [export NAME])", kind, *name ? " " : "", name);
	return 0;
}

static int
conf_number_key(struct conf *c, unsigned line, const char *key, const char *val,
    uint64_t min, uint64_t max, uint64_t *v)
{
	const char	*why;

	if (conf_parse_number(val, min, max, v, &why) == -1)
		return conf_error(c, line, "%s %s: %s (%ju..%ju)", key, val, why,
		    (uintmax_t)min, (uintmax_t)max);
	return 0;
}

static int
conf_bool_key(struct conf *c, unsigned line, const char *key, const char *val, bool *v)
{
	const char	*why;

	if (conf_parse_bool(val, v, &why) == -1)
		return conf_error(c, line, "%s %s: %s", key, val, why);
	return 0;
}

static int
conf_string_key(struct conf *c, unsigned line, const char *key, const char *val,
    char *out, size_t len)
{
	if (strlen(val) >= len)
		return conf_error(c, line, "%s: too long (at most %zu characters)", key, len - 1);
	snprintf(out, len, "%s", val);
	return 0;
}

static int
conf_global_key(struct conf *c, unsigned line, const char *key, const char *val)
{
	uint64_t v;
	int	 k;

	for (k = 0; k < CG_NKEYS; k++)
		if (strcmp(key, conf_global_keys[k]) == 0)
			break;
	if (k == CG_NKEYS)
		return conf_error(c, line, "unknown key %s in [global]", key);
	if (c->global_key_line[k] != 0)
		return conf_error(c, line, "%s set twice (first on line %u)", key,
		    c->global_key_line[k]);
	c->global_key_line[k] = line;
	if (*val == '\0' && k != CG_CONTROL_GROUP && k != CG_OPERATOR_GROUP)
		return conf_error(c, line, "%s: empty value", key);
	switch (k) {
	case CG_CONTROL_SOCKET:
		if (conf_path(c, line, key, val, c->control_socket,
		    sizeof(c->control_socket)) == -1)
			return -1;
		if (strlen(c->control_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return conf_error(c, line, "%s: too long for a Unix socket", key);
		return 0;
	case CG_CONTROL_GROUP:
		return conf_string_key(c, line, key, val, c->control_group,
		    sizeof(c->control_group));
	case CG_OPERATOR_GROUP:
		return conf_string_key(c, line, key, val, c->operator_group,
		    sizeof(c->operator_group));
	case CG_NETD_USER:
		return conf_string_key(c, line, key, val, c->netd_user, sizeof(c->netd_user));
	case CG_BLOCKD_USER:
		return conf_string_key(c, line, key, val, c->blockd_user,
		    sizeof(c->blockd_user));
	case CG_BUSY_POLL:
		if (conf_number_key(c, line, key, val, 0, CONF_BUSY_POLL_MAX, &v) == -1)
			return -1;
		c->busy_poll_us = (unsigned)v;
		return 0;
	default:
		return conf_path(c, line, key, val, c->state_dir, sizeof(c->state_dir));
	}
}

static int
conf_nic_key(struct conf *c, unsigned line, const char *key, const char *val)
{
	struct conf_nic	*nic = &c->nics[c->cur];
	uint64_t	 v;

	if (strcmp(key, "mtu") == 0) {
		if (nic->mtu_line != 0)
			return conf_error(c, line, "mtu set twice (first on line %u)", nic->mtu_line);
		nic->mtu_line = line;
		if (strcmp(val, "any") == 0)
			nic->mtu = 0;
		else if (conf_number_key(c, line, key, val, CONF_MTU_MIN, CONF_MTU_MAX, &v) == -1)
			return -1;
		else
			nic->mtu = v;
	} else if (strcmp(key, "bufcnt") == 0) {
		if (nic->bufcnt_line != 0)
			return conf_error(c, line, "bufcnt set twice (first on line %u)",
			    nic->bufcnt_line);
		nic->bufcnt_line = line;
		if (conf_number_key(c, line, key, val, 2, 2048, &v) == -1)
			return -1;
		nic->bufcnt = v;
	} else
		return conf_error(c, line, "unknown key %s in [nic %s]", key, nic->name);
	return 0;
}

static int
conf_export_nics(struct conf *c, unsigned line, struct conf_export *x, const char *val)
{
	char		 word[64];
	bool		 toolong;
	int		 i;

	while ((val = conf_next_word(val, word, sizeof(word), &toolong)) != NULL) {
		if (!conf_ifname_ok(word))
			return conf_error(c, line, "nics: not an interface name: %s", word);
		if ((i = conf_nic_get(c, word, line)) == -1)
			return conf_error(c, line, "more than %d interfaces", SUP_MAX_NICS);
		if (x->nic_mask & ((uint64_t)1 << i))
			return conf_error(c, line, "nics: %s named twice", word);
		x->nic_mask |= (uint64_t)1 << i;
		c->nics[i].used = true;
	}
	if (toolong)
		return conf_error(c, line, "nics: not an interface name");
	if (x->nic_mask == 0)
		return conf_error(c, line, "nics: empty list");
	return 0;
}

static int
conf_on_export_key(struct conf *c, unsigned line, const char *key, const char *val)
{
	struct conf_export	*x = &c->exports[c->cur];
	char			 why[128];
	const char		*cwhy;
	uint64_t		 v;
	int			 k;

	for (k = 0; k < CK_NKEYS; k++)
		if (strcmp(key, conf_export_keys[k]) == 0)
			break;
	if (k == CK_NKEYS)
		return conf_error(c, line, "unknown key %s in [export %s]", key, x->name);
	if (x->key_line[k] != 0)
		return conf_error(c, line, "%s set twice (first on line %u)", key, x->key_line[k]);
	x->key_line[k] = line;
	if (*val == '\0' && k != CK_MAC_ALLOW && k != CK_SHADOW_DIR)
		return conf_error(c, line, "%s: empty value", key);
	switch (k) {
	case CK_SHELF:
		if (conf_number_key(c, line, key, val, 0, AOE_MAJOR_ANY - 1, &v) == -1)
			return -1;
		x->shelf = v;
		return 0;
	case CK_SLOT:
		if (conf_number_key(c, line, key, val, 0, AOE_MINOR_ANY - 1, &v) == -1)
			return -1;
		x->slot = v;
		return 0;
	case CK_PATH:
		return conf_path(c, line, key, val, x->path, sizeof(x->path));
	case CK_NICS:
		return conf_export_nics(c, line, x, val);
	case CK_READ_ONLY:
		return conf_bool_key(c, line, key, val, &x->read_only);
	case CK_OFFSET:
		return conf_number_key(c, line, key, val, 0, UINT64_MAX / 512, &x->offset);
	case CK_LENGTH:
		return conf_number_key(c, line, key, val, 0, UINT64_MAX / 512, &x->length);
	case CK_DURABILITY:
		if (strcmp(val, "sync") == 0)
			x->durability = CONF_SYNC;
		else if (strcmp(val, "kernel") == 0)
			x->durability = CONF_KERNEL;
		else
			return conf_error(c, line, "durability %s: want sync or kernel", val);
		return 0;
	case CK_DIRECT:
		return conf_bool_key(c, line, key, val, &x->direct);
	case CK_CACHE:
		if (conf_parse_size(val, CONF_CACHE_MAX, &x->cache_bytes, &cwhy) == -1)
			return conf_error(c, line, "cache %s: %s (at most 65535M)", val, cwhy);
		return 0;
	case CK_BUFCNT:
		if (conf_number_key(c, line, key, val, 2, 2048, &v) == -1)
			return -1;
		x->bufcnt = v;
		return 0;
	case CK_MAC_ALLOW:
		if (conf_parse_macs(val, x->masks, SUP_MAX_MASKS, &x->nmasks, why,
		    sizeof(why)) == -1)
			return conf_error(c, line, "mac-allow: %s", why);
		return 0;
	case CK_LAN_MASK_EDIT:
		return conf_bool_key(c, line, key, val, &x->lan_mask_edit);
	case CK_LAN_FORCE_RESERVE:
		return conf_bool_key(c, line, key, val, &x->lan_force_reserve);
	case CK_LAN_FORCE_CONFIG:
		return conf_bool_key(c, line, key, val, &x->lan_force_config);
	default:
		if (*val == '\0')
			return 0;
		return conf_path(c, line, key, val, x->shadow_dir, sizeof(x->shadow_dir));
	}
}

/* libinih's handler: one "key = value" line. */
static int
conf_on_key(void *arg, const char *section, const char *key, const char *val, int line)
{
	struct conf	*c = arg;

	(void)section;	/* conf_read_line() tracks it, with its line */
	if (c->err[0] != '\0')
		return 0;
	switch (c->section) {
	case CONF_SEC_GLOBAL:
		return conf_global_key(c, line, key, val) == 0;
	case CONF_SEC_NIC:
		return conf_nic_key(c, line, key, val) == 0;
	case CONF_SEC_EXPORT:
		return conf_on_export_key(c, line, key, val) == 0;
	default:
		return conf_error(c, line, "%s is outside any section", key) == 0;
	}
}

struct conf_reader {
	struct conf	*c;
	FILE		*fp;
};

/* libinih's line reader: counts lines as libinih does, refuses lines that
 * libinih would cut, and handles section headers. */
static char *
conf_read_line(char *str, int num, void *stream)
{
	struct conf_reader	*r = stream;
	struct conf		*c = r->c;
	size_t			 len;
	char			*p = str;

	if (c->err[0] != '\0' || fgets(str, num, r->fp) == NULL)
		return NULL;
	c->lines++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(r->fp)) {
		conf_error(c, c->lines, "line longer than %d characters", num - 2);
		return NULL;
	}
	if (c->lines == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[' && conf_section(c, c->lines, p) == -1)
		return NULL;
	return str;
}

/* What the whole file must hold together. */
static int
conf_finish(struct conf *c)
{
	unsigned	 i, j, k;

	if (c->nexports == 0)
		return conf_error(c, c->lines, "no [export NAME] section: nothing to export");
	for (i = 0; i < c->nexports; i++) {
		struct conf_export *x = &c->exports[i];
		static const enum conf_export_key required[] = {
			CK_SHELF, CK_SLOT, CK_PATH, CK_NICS
		};

		for (k = 0; k < 4; k++)
			if (x->key_line[required[k]] == 0)
				return conf_error(c, x->line, "export %s: %s is missing", x->name,
				    conf_export_keys[required[k]]);
		for (j = 0; j < i; j++)
			if (c->exports[j].shelf == x->shelf && c->exports[j].slot == x->slot)
				return conf_error(c, x->key_line[CK_SLOT] > x->key_line[CK_SHELF] ?
				    x->key_line[CK_SLOT] : x->key_line[CK_SHELF],
				    "export %s: e%u.%u is already export %s (line %u)",
				    x->name, x->shelf, x->slot, c->exports[j].name,
				    c->exports[j].line);
		if (x->direct && x->key_line[CK_CACHE] == 0)
			x->cache_bytes = CONF_DIRECT_CACHE;
		/* Buffer Count: its own, else the smallest its NICs set, else 64 */
		if (x->bufcnt == 0) {
			for (k = 0; k < c->nnics; k++)
				if ((x->nic_mask & ((uint64_t)1 << k)) && c->nics[k].bufcnt != 0 &&
				    (x->bufcnt == 0 || c->nics[k].bufcnt < x->bufcnt))
					x->bufcnt = c->nics[k].bufcnt;
			if (x->bufcnt == 0)
				x->bufcnt = SUP_DEFAULT_BUFCNT;
		}
	}
	for (i = 0; i < c->nnics; i++)
		if (!c->nics[i].used)
			return conf_error(c, c->nics[i].line, "nic %s: no export uses it",
			    c->nics[i].name);
	if (strcmp(c->netd_user, c->blockd_user) == 0)
		return conf_error(c, c->global_key_line[CG_BLOCKD_USER] ?
		    c->global_key_line[CG_BLOCKD_USER] : c->global_key_line[CG_NETD_USER],
		    "netd-user and blockd-user must differ");
	return 0;
}

/* The directory relative paths start at: the file's, made absolute. */
static void
conf_set_dir(struct conf *c, const char *file)
{
	char	 cwd[PATH_MAX] = "/", *slash;

	if (file[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if (file[0] == '/')
		conf_copy(c->dir, sizeof(c->dir), file);
	else if (strlen(cwd) + 1 + strlen(file) < sizeof(c->dir)) {
		conf_copy(c->dir, sizeof(c->dir), cwd);
		if (strcmp(cwd, "/") != 0)
			strcat(c->dir, "/");
		strcat(c->dir, file);
	} else
		fatalx("%s: path too long", file);
	slash = strrchr(c->dir, '/');
	if (slash == c->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	/* "/x/./a.conf" → "/x/." is fine, but spare the operator "/x/." */
	if ((slash = strrchr(c->dir, '/')) != NULL && strcmp(slash, "/.") == 0 &&
	    slash != c->dir)
		*slash = '\0';
}

int
conf_parse_stream(struct conf *c, const char *name, FILE *fp)
{
	struct conf_reader	 r = { c, fp };
	int			 rc;

	conf_copy(c->file, sizeof(c->file), name);
	conf_set_dir(c, name);
	/* libinih's knobs (Debian builds them as variables): lines up to
	 * CONF_MAX_LINE, no indented continuation lines, ';' and '#' start
	 * a comment after a blank, stop at the first mistake */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = CONF_MAX_LINE;
	ini_max_line = CONF_MAX_LINE;
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = ";#";
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(conf_read_line, &r, conf_on_key, c);
	if (c->err[0] != '\0')
		return -1;
	if (rc == -2)
		return conf_error(c, c->lines, "out of memory");
	if (rc > 0)
		return conf_error(c, rc, "expected [section] or key = value");
	if (ferror(fp))
		return conf_error(c, c->lines, "read error");
	return conf_finish(c);
}

int
conf_parse_file(struct conf *c, const char *file)
{
	FILE	*fp;
	int	 rc;

	if ((fp = fopen(file, "re")) == NULL) {
		snprintf(c->err, sizeof(c->err), "cannot open %s: %s", file, strerror(errno));
		return -1;
	}
	rc = conf_parse_stream(c, file, fp);
	fclose(fp);
	return rc;
}

/* --- to and from struct sup ------------------------------------------------ */

/* -f: a relative shadow directory is taken from the current directory, as
 * the image's path is. */
static void
conf_from_sup_shadow(struct conf_export *x, const struct sup_export *sx)
{
	char	 cwd[PATH_MAX];

	if (sx->shadow_dir[0] == '\0' || sx->shadow_dir[0] == '/') {
		conf_copy(x->shadow_dir, sizeof(x->shadow_dir), sx->shadow_dir);
		return;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if ((size_t)snprintf(x->shadow_dir, sizeof(x->shadow_dir), "%s/%s", cwd,
	    sx->shadow_dir) >= sizeof(x->shadow_dir))
		fatalx("shadow directory path too long");
}

void
conf_from_sup(struct conf *c, const struct sup *s)
{
	unsigned	 i;

	conf_init(c);
	conf_copy(c->control_socket, sizeof(c->control_socket), s->control_path);
	conf_copy(c->netd_user, sizeof(c->netd_user), s->netd_user);
	conf_copy(c->blockd_user, sizeof(c->blockd_user), s->blockd_user);
	if (s->state_dir != NULL)
		conf_copy(c->state_dir, sizeof(c->state_dir), s->state_dir);
	c->busy_poll_us = s->busy_poll_us;
	if (s->control_group != NULL)
		conf_copy(c->control_group, sizeof(c->control_group), s->control_group);
	if (s->operator_group != NULL)
		conf_copy(c->operator_group, sizeof(c->operator_group), s->operator_group);
	for (i = 0; i < s->nnics; i++) {
		conf_copy(c->nics[i].name, sizeof(c->nics[i].name), s->nics[i].name);
		c->nics[i].used = true;
	}
	c->nnics = s->nnics;
	for (i = 0; i < s->nexports; i++) {
		const struct sup_export	*sx = &s->exports[i];
		struct conf_export	*x = &c->exports[i];

		conf_export_defaults(x);
		snprintf(x->name, sizeof(x->name), "e%u.%u", sx->shelf, sx->slot);
		x->shelf = sx->shelf;
		x->slot = sx->slot;
		if (sx->path[0] == '/')
			conf_copy(x->path, sizeof(x->path), sx->path);
		else {
			char cwd[PATH_MAX];

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				fatal("getcwd");
			if ((size_t)snprintf(x->path, sizeof(x->path), "%s/%s", cwd,
			    sx->path) >= sizeof(x->path))
				fatalx("image path too long");
		}
		x->nic_mask = sx->nic_mask;
		x->read_only = sx->flags & SUP_EXPORT_RDONLY;
		x->direct = sx->flags & SUP_EXPORT_DIRECT;
		x->durability = (sx->flags & SUP_EXPORT_KERNEL) ? CONF_KERNEL : CONF_SYNC;
		x->lan_mask_edit = !(sx->flags & SUP_EXPORT_NO_MASK_EDIT);
		x->lan_force_reserve = !(sx->flags & SUP_EXPORT_NO_FORCE_RESERVE);
		x->lan_force_config = !(sx->flags & SUP_EXPORT_NO_FORCE_CONFIG);
		x->offset = sx->offset;
		x->length = sx->length;
		x->cache_bytes = sx->cache_bytes;
		x->bufcnt = sx->bufcnt;
		memcpy(x->masks, sx->masks, sizeof(x->masks));
		x->nmasks = sx->nmasks;
		conf_from_sup_shadow(x, sx);
	}
	c->nexports = s->nexports;
}

/* One export, as conf_apply() and a reload install it; no image open yet
 * (fd and shadow_fd -1), NIC mask as in the file. */
void
conf_export_to_sup(const struct conf_export *x, struct sup_export *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->shelf = x->shelf;
	sx->slot = x->slot;
	conf_copy(sx->path, sizeof(sx->path), x->path);
	sx->fd = -1;
	sx->offset = x->offset;
	sx->length = x->length;
	sx->flags = (x->read_only ? SUP_EXPORT_RDONLY : 0) |
	    (x->direct ? SUP_EXPORT_DIRECT : 0) |
	    (x->durability == CONF_KERNEL ? SUP_EXPORT_KERNEL : 0) |
	    (x->lan_mask_edit ? 0 : SUP_EXPORT_NO_MASK_EDIT) |
	    (x->lan_force_reserve ? 0 : SUP_EXPORT_NO_FORCE_RESERVE) |
	    (x->lan_force_config ? 0 : SUP_EXPORT_NO_FORCE_CONFIG);
	sx->cache_bytes = x->cache_bytes;
	sx->nic_mask = x->nic_mask;
	sx->bufcnt = x->bufcnt;
	memcpy(sx->masks, x->masks, sizeof(sx->masks));
	sx->nmasks = x->nmasks;
	conf_copy(sx->shadow_dir, sizeof(sx->shadow_dir), x->shadow_dir);
	sx->shadow_fd = -1;
}

void
conf_apply(const struct conf *c, struct sup *s)
{
	unsigned	 i;

	s->control_path = c->control_socket;
	s->control_group = c->control_group[0] ? c->control_group : NULL;
	s->operator_group = c->operator_group[0] ? c->operator_group : NULL;
	s->netd_user = c->netd_user;
	s->blockd_user = c->blockd_user;
	s->state_dir = c->state_dir;
	s->busy_poll_us = c->busy_poll_us;
	for (i = 0; i < c->nnics; i++)
		conf_copy(s->nics[i].name, sizeof(s->nics[i].name), c->nics[i].name);
	s->nnics = c->nnics;
	for (i = 0; i < c->nexports; i++)
		conf_export_to_sup(&c->exports[i], &s->exports[i]);
	s->nexports = c->nexports;
	conf_installed = c;
}

const struct conf *
conf_current(void)
{
	return conf_installed;
}

void
conf_install(const struct conf *c)
{
	conf_installed = c;
}

const char *
conf_where_line(unsigned line)
{
	static char	 buf[PATH_MAX + 32];
	const struct conf *c = conf_installed;

	if (c == NULL || c->file[0] == '\0' || line == 0)
		return "";
	snprintf(buf, sizeof(buf), "%s:%u: ", c->file, line);
	return buf;
}

const char *
conf_where(unsigned i, enum conf_export_key key)
{
	const struct conf	*c = conf_installed;

	if (c == NULL || i >= c->nexports)
		return "";
	return conf_where_line(c->exports[i].key_line[key] ? c->exports[i].key_line[key] :
	    c->exports[i].line);
}

/* --- checks against this host ---------------------------------------------- */

static int
conf_check_user(struct conf *c, int key, const char *name)
{
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL)
		return conf_error(c, c->global_key_line[key], "user %s does not exist "
		    "(make install or make users creates it)", name);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return conf_error(c, c->global_key_line[key], "user %s must not be root", name);
	return 0;
}

static int
conf_check_group(struct conf *c, int key, const char *name)
{
	uint64_t	 v;
	const char	*why;

	if (*name == '\0' || getgrnam(name) != NULL ||
	    conf_parse_number(name, 0, UINT32_MAX - 1, &v, &why) == 0)
		return 0;
	return conf_error(c, c->global_key_line[key], "no such group: %s", name);
}

int
conf_check_host(struct conf *c)
{
	struct ifreq	 ifr;
	unsigned	 i;
	int		 fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	for (i = 0; i < c->nnics; i++) {
		struct conf_nic *nic = &c->nics[i];

		if (if_nametoindex(nic->name) == 0) {
			close(fd);
			return conf_error(c, nic->line, "no such network interface: %s",
			    nic->name);
		}
		memset(&ifr, 0, sizeof(ifr));
		conf_copy(ifr.ifr_name, sizeof(ifr.ifr_name), nic->name);
		if (nic->mtu != 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0 &&
		    (uint32_t)ifr.ifr_mtu != nic->mtu)
			log_warnx("%s:%u: warning: %s has MTU %d, not the expected %u",
			    c->file, nic->mtu_line, nic->name, ifr.ifr_mtu, nic->mtu);
	}
	close(fd);
	/* the command line's -U has no line: then the message has none */
	if (conf_check_user(c, CG_NETD_USER, c->netd_user) == -1 ||
	    conf_check_user(c, CG_BLOCKD_USER, c->blockd_user) == -1 ||
	    conf_check_group(c, CG_CONTROL_GROUP, c->control_group) == -1 ||
	    conf_check_group(c, CG_OPERATOR_GROUP, c->operator_group) == -1)
		return -1;
	return 0;
}

/* --- the canonical form ------------------------------------------------------ */

static int
conf_cmp_nic(const void *a, const void *b)
{
	return strcmp(((const struct conf_nic *const *)a)[0]->name,
	    ((const struct conf_nic *const *)b)[0]->name);
}

static int
conf_cmp_export(const void *a, const void *b)
{
	const struct conf_export *x = *(const struct conf_export *const *)a;
	const struct conf_export *y = *(const struct conf_export *const *)b;

	if (x->shelf != y->shelf)
		return x->shelf < y->shelf ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void
conf_print_export(const struct conf *c, const struct conf_export *x,
    const struct conf_nic *const *nics, FILE *fp)
{
	char		 buf[MAC_STRLEN];
	unsigned	 i;

	fprintf(fp, "\n[export %s]\n", x->name);
	fprintf(fp, "shelf = %u\nslot = %u\npath = %s\nnics =", x->shelf, x->slot, x->path);
	for (i = 0; i < c->nnics; i++)
		if (x->nic_mask & ((uint64_t)1 << (nics[i] - c->nics)))
			fprintf(fp, " %s", nics[i]->name);
	fprintf(fp, "\nread-only = %s\noffset = %ju\nlength = %ju\ndurability = %s\n"
	    "direct = %s\n", x->read_only ? "yes" : "no", (uintmax_t)x->offset,
	    (uintmax_t)x->length, x->durability == CONF_KERNEL ? "kernel" : "sync",
	    x->direct ? "yes" : "no");
	fprintf(fp, "cache = %s\nbufcnt = %u\nmac-allow =",
	    conf_format_size(x->cache_bytes, buf, sizeof(buf)), x->bufcnt);
	for (i = 0; i < x->nmasks; i++)
		fprintf(fp, " %s", mac_format(x->masks[i], buf));
	fprintf(fp, "\nshadow-directory =%s%s\n", x->shadow_dir[0] ? " " : "", x->shadow_dir);
	fprintf(fp, "lan-mask-edit = %s\nlan-force-reserve = %s\nlan-force-config = %s\n",
	    x->lan_mask_edit ? "yes" : "no", x->lan_force_reserve ? "yes" : "no",
	    x->lan_force_config ? "yes" : "no");
}

static void
conf_print_value(FILE *fp, const char *key, const char *val)
{
	fprintf(fp, "%s =%s%s\n", key, *val ? " " : "", val);
}

void
conf_print(const struct conf *c, FILE *fp)
{
	const struct conf_nic		*nics[SUP_MAX_NICS];
	const struct conf_export	*xs[SUP_MAX_EXPORTS];
	unsigned			 i;

	fprintf(fp, "[global]\n");
	conf_print_value(fp, "control-socket", c->control_socket);
	conf_print_value(fp, "control-group", c->control_group);
	conf_print_value(fp, "operator-group", c->operator_group);
	conf_print_value(fp, "netd-user", c->netd_user);
	conf_print_value(fp, "blockd-user", c->blockd_user);
	conf_print_value(fp, "state-directory", c->state_dir);
	fprintf(fp, "busy-poll = %u\n", c->busy_poll_us);
	for (i = 0; i < c->nnics; i++)
		nics[i] = &c->nics[i];
	/* cppcheck-suppress uninitvar ; it takes the pointer array for the structs */
	qsort(nics, c->nnics, sizeof(nics[0]), conf_cmp_nic);
	for (i = 0; i < c->nnics; i++) {
		fprintf(fp, "\n[nic %s]\n", nics[i]->name);
		if (nics[i]->mtu == 0)
			fprintf(fp, "mtu = any\n");
		else
			fprintf(fp, "mtu = %u\n", nics[i]->mtu);
		fprintf(fp, "bufcnt = %u\n", nics[i]->bufcnt ? nics[i]->bufcnt :
		    SUP_DEFAULT_BUFCNT);
	}
	for (i = 0; i < c->nexports; i++)
		xs[i] = &c->exports[i];
	/* cppcheck-suppress uninitvar ; as above */
	qsort(xs, c->nexports, sizeof(xs[0]), conf_cmp_export);
	for (i = 0; i < c->nexports; i++)
		conf_print_export(c, xs[i], nics, fp);
}
