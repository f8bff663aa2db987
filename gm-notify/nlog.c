/* nlog: see nlog.h. */
#include "nlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mem.h"

bool nlog_create(struct nlog_out *o, const char *path, const char *magic, int version)
{
	size_t n = strlen(path) + 32;
	*o = (struct nlog_out){ .path = gm_xstrdup(path), .tmp = gm_xcalloc(1, n), .first = true };
	snprintf(o->tmp, n, "%s.tmp%ld", path, (long)getpid());
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		gm_error(path, "cannot write: %s", strerror(errno));
		free(o->path);
		free(o->tmp);
		return false;
	}
	nlog_str(o, magic);
	nlog_int(o, version);
	nlog_end(o);
	return true;
}

static void sep(struct nlog_out *o)
{
	if (!o->first)
		putc('\t', o->f);
	o->first = false;
}

void nlog_str(struct nlog_out *o, const char *s)
{
	sep(o);
	if (!s) {
		fputs("\\-", o->f);
		return;
	}
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", o->f);
		else if (*s == '\t')
			fputs("\\t", o->f);
		else if (*s == '\n')
			fputs("\\n", o->f);
		else
			putc(*s, o->f);
	}
}

void nlog_int(struct nlog_out *o, int64_t v)
{
	sep(o);
	fprintf(o->f, "%lld", (long long)v);
}

void nlog_end(struct nlog_out *o)
{
	putc('\n', o->f);
	o->first = true;
}

bool nlog_commit(struct nlog_out *o)
{
	bool ok = !ferror(o->f);
	ok = fflush(o->f) == 0 && ok;
	ok = fsync(fileno(o->f)) == 0 && ok;
	ok = fclose(o->f) == 0 && ok;
	if (ok)
		ok = rename(o->tmp, o->path) == 0;
	if (!ok) {
		gm_error(o->path, "cannot write: %s", strerror(errno ? errno : EIO));
		unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	*o = (struct nlog_out){ 0 };
	return ok;
}

int nlog_open(struct nlog_in *in, const char *path, const char *magic, int version)
{
	*in = (struct nlog_in){ .path = path };
	in->f = fopen(path, "r");
	if (!in->f) {
		if (errno == ENOENT)
			return 0;
		gm_error(path, "%s", strerror(errno));
		return -1;
	}
	int n = nlog_next(in);
	int64_t v;
	if (n == 2 && in->field[0] && !strcmp(in->field[0], magic) &&
			nlog_int_of(in->field[1], &v) && v == version)
		return 1;
	if (n >= 0) {
		char what[256];
		snprintf(what, sizeof what, "not a %s file of version %d", magic, version);
		in->line = 1;
		nlog_bad(in, what);
	}
	return -1;
}

void nlog_bad(const struct nlog_in *in, const char *what)
{
	char where[4096];
	snprintf(where, sizeof where, "%s:%lu", in->path, in->line);
	gm_error(where, "%s", what);
}

/* Unescapes the field at s in place, making it a string; returns the
 * start of the next field, or NULL at the line's end; *bad is set on a
 * bad escape, *null for \-. */
static char *unescape(char *s, bool *null, bool *bad)
{
	*null = *bad = false;
	char *w = s, *r = s;
	if (r[0] == '\\' && r[1] == '-' && (r[2] == '\t' || !r[2])) {
		*null = true;
		r += 2;
	}
	for (; *r && *r != '\t'; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		if (*r == '\\')
			*w++ = '\\';
		else if (*r == 't')
			*w++ = '\t';
		else if (*r == 'n')
			*w++ = '\n';
		else {
			*bad = true;
			return NULL;
		}
	}
	char *next = *r == '\t' ? r + 1 : NULL;
	*w = 0;
	return next;
}

int nlog_next(struct nlog_in *in)
{
	ssize_t len = getline(&in->buf, &in->cap, in->f);
	if (len < 0) {
		if (ferror(in->f)) {
			nlog_bad(in, strerror(errno));
			return -1;
		}
		return 0;
	}
	in->line++;
	if (len && in->buf[len - 1] == '\n')
		in->buf[--len] = 0;
	if (memchr(in->buf, 0, (size_t)len)) {
		nlog_bad(in, "a NUL byte in the line");
		return -1;
	}
	in->nfield = 0;
	for (char *p = in->buf; p;) {
		bool null, bad;
		char *start = p;
		p = unescape(p, &null, &bad);
		if (bad) {
			nlog_bad(in, "a bad escape (\\\\, \\t, \\n or \\- only)");
			return -1;
		}
		in->field = gm_grow(in->field, &in->fcap, in->nfield + 1, sizeof *in->field, 16);
		in->field[in->nfield++] = null ? NULL : start;
	}
	return (int)in->nfield;
}

void nlog_close(struct nlog_in *in)
{
	if (in->f)
		fclose(in->f);
	free(in->buf);
	free(in->field);
	*in = (struct nlog_in){ 0 };
}

bool nlog_int_of(const char *s, int64_t *v)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

int nlog_append(const char *path, const char *data, size_t len, bool sync)
{
	bool out = !strcmp(path, "-");
	int fd = out ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		return errno;
	int err = 0;
	while (len && !err) {
		ssize_t k = write(fd, data, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			err = errno;
		else {
			data += k;
			len -= (size_t)k;
		}
	}
	if (!err && sync && !out && fsync(fd))
		err = errno;
	if (!out && close(fd) && !err)
		err = errno;
	return err;
}
