/* source: files or Kafka behind one interface; see source.h.
 *
 * Following files, each input is read in turn until it has nothing
 * more for now; when none has, the source waits: on inotify, which
 * watches the directory of every named file (that sees a file grow, be
 * truncated, replaced or made) and on the pipes among the inputs. A
 * file that inotify cannot watch (no inotify, its directory not there,
 * its name gone while it stays open, a file on stdin, which has no
 * name) is looked at every FOLLOW_POLL_MS instead. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "counts.h"
#include "event.h"
#include "kafka.h"
#include "mem.h"
#include "reader.h"
#include "rejects.h"

#define FOLLOW_POLL_MS 100

/* One input followed. */
struct followed {
	const char *path;           /* NULL: stdin */
	struct gm_reader *rd;       /* NULL: not open now */
	int fd;                     /* rd's */
	dev_t dev;                  /* the file open: when path names */
	ino_t ino;                  /* another, it was replaced */
	bool regular;               /* followed; else (a pipe) read to its end */
	bool replaced;              /* finishing it, then path is opened */
	bool gone;                  /* path names nothing now */
	bool warned;                /* that path is not there yet */
	bool watched;               /* path's directory is, by inotify */
	bool done;                  /* a pipe that ended, a file unreadable */
};

struct gm_source {
	const struct gm_common *c;
	char *const *files;         /* file input: the list, the next one */
	size_t nfiles, next_file;
	struct gm_reader *rd;
	bool stdin_default;
	struct followed *fl;        /* followed input, and whose turn it is */
	size_t nfl, turn;
	int inotify;                /* -1: none */
	struct pollfd *pfd;         /* what a wait polls: nfl + 1 */
	struct gm_kconsumer *k;     /* Kafka input */
	int status;
	uint64_t bytes_done;        /* of the files closed */
	uint64_t bytes_total;       /* of every file, 0 if unknown */
};

/* The sum of the sizes of the files to read, 0 when one is not a
 * regular file (a pipe's size is not known). */
static uint64_t input_size(char *const *files, size_t nfiles)
{
	uint64_t total = 0;
	struct stat st;
	for (size_t i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *path = nfiles ? files[i] : "-";
		int ok = strcmp(path, "-") ? stat(path, &st) : fstat(STDIN_FILENO, &st);
		if (ok != 0 || !S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

void gm_source_progress(const struct gm_source *s, uint64_t *done, uint64_t *total)
{
	*done = s->bytes_done + (s->rd ? gm_reader_pos(s->rd) : 0);
	*total = s->bytes_total;
}

char *gm_record_where(const struct gm_record *r, char *buf, size_t n)
{
	if (r->topic)
		snprintf(buf, n, "%s[%d]@%lld", r->topic, (int)r->partition,
			(long long)r->offset);
	else
		snprintf(buf, n, "%s:%llu", r->file ? r->file : "-", (unsigned long long)r->lineno);
	return buf;
}

static void spill_to_rejects(void *ctx, const char *p, size_t n)
{
	gm_reject_part(p, n);
}

struct gm_source *gm_source_open(const struct gm_common *c,
	char *const *files, size_t nfiles,
	const char *const *topics, size_t ntopics, bool follow)
{
	struct gm_source *s = gm_xcalloc(1, sizeof *s);
	s->c = c;
	s->inotify = -1;
	if (ntopics > 0) {
		int status;
		s->k = gm_kconsumer_new(c, topics, ntopics, !follow, &status);
		if (!s->k) {
			free(s);
			if (status == GM_EXIT_TEMPFAIL)
				exit(GM_EXIT_TEMPFAIL);
			return NULL;
		}
		return s;
	}
	if (follow) {
		s->nfl = nfiles ? nfiles : 1;
		s->fl = gm_xcalloc(s->nfl, sizeof *s->fl);
		s->pfd = gm_xcalloc(s->nfl + 1, sizeof *s->pfd);
		for (size_t i = 0; i < nfiles; i++)
			if (strcmp(files[i], "-") != 0)
				s->fl[i].path = files[i];
		for (size_t i = 0; i < s->nfl && s->inotify < 0; i++)
			if (s->fl[i].path)
				s->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		return s;
	}
	s->files = files;
	s->nfiles = nfiles;
	s->stdin_default = nfiles == 0;
	s->bytes_total = input_size(files, nfiles);
	return s;
}

void gm_source_on_rebalance(struct gm_source *s, gm_assign_fn *assign,
	gm_revoke_fn *revoke, void *ctx)
{
	if (s->k)
		gm_kconsumer_on_rebalance(s->k, assign, revoke, ctx);
}

bool gm_source_range(struct gm_source *s, const struct gm_koffset *from, size_t nfrom)
{
	if (!s->k || gm_source_resumable(s)) {
		gm_error(NULL, "a range of offsets is read from Kafka topics without a group");
		s->status = GM_EXIT_FAIL;
		return false;
	}
	return gm_kconsumer_range(s->k, from, nfrom);
}

const struct gm_koffset *gm_source_offsets(const struct gm_source *s, size_t *n)
{
	*n = 0;
	return s->k ? gm_kconsumer_offsets(s->k, n) : NULL;
}

bool gm_source_resumable(const struct gm_source *s)
{
	return s->k && s->c->group && *s->c->group;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* Opens the next file of the list; false when there is none. */
static bool next_file(struct gm_source *s)
{
	for (;;) {
		const char *path;
		if (s->stdin_default) {
			path = "-";
			s->stdin_default = false;
			s->nfiles = 0;
		} else if (s->next_file < s->nfiles) {
			path = s->files[s->next_file++];
		} else {
			return false;
		}
		s->rd = gm_reader_open(path, s->c->max_line);
		if (s->rd) {
			gm_reader_set_spill(s->rd, spill_to_rejects, NULL);
			return true;
		}
		s->status = GM_EXIT_FAIL; /* reported by gm_reader_open */
	}
}

enum taken { TAKEN_RECORD, TAKEN_SKIPPED, TAKEN_FATAL };

/* A line the reader gave (GM_READ_LINE or GM_READ_TOOLONG, st): a
 * record in *r; or skipped, blank or too long (rejected); or, a too-long
 * one under --strict, the end of the run. */
static enum taken take_line(struct gm_source *s, enum gm_read st,
	const struct gm_line *line, struct gm_record *r)
{
	if (st == GM_READ_LINE) {
		if (line->len == 0 || ((*line->data == ' ' || *line->data == '\t') &&
		    blank(line->data, line->len)))
			return TAKEN_SKIPPED;
		gm_counts_add(&gm_counts.in, 1);
		r->data = line->data;
		r->len = line->len;
		r->raw_len = line->len + line->crlf;
		r->file = line->file;
		r->lineno = line->lineno;
		return TAKEN_RECORD;
	}
	gm_counts_add(&gm_counts.in, 1);
	char where[512], reason[96];
	snprintf(where, sizeof where, "%s:%llu", line->file,
		(unsigned long long)line->lineno);
	snprintf(reason, sizeof reason, "line of %zu bytes is longer than --max-line %zu",
		line->len, s->c->max_line);
	bool go_on = gm_reject_begin(where, reason);
	gm_reject_end();
	if (go_on)
		return TAKEN_SKIPPED;
	s->status = GM_EXIT_FAIL;
	return TAKEN_FATAL;
}

static enum gm_next next_line(struct gm_source *s, struct gm_record *r, int idle_ms)
{
	memset(r, 0, sizeof *r);
	for (;;) {
		if (!s->rd && !next_file(s))
			return GM_NEXT_END;
		struct gm_line line;
		gm_reader_set_idle(s->rd, idle_ms);
		enum gm_read st = gm_reader_next(s->rd, &line);
		switch (st) {
		case GM_READ_IDLE:
			return GM_NEXT_IDLE;
		case GM_READ_LINE:
		case GM_READ_TOOLONG:
			switch (take_line(s, st, &line, r)) {
			case TAKEN_RECORD: return GM_NEXT_RECORD;
			case TAKEN_SKIPPED: continue;
			case TAKEN_FATAL: return GM_NEXT_ERROR;
			}
			continue;
		case GM_READ_EOF:
			s->bytes_done += gm_reader_pos(s->rd);
			gm_reader_close(s->rd);
			s->rd = NULL;
			continue;
		case GM_READ_STOPPED:
			return GM_NEXT_END;
		case GM_READ_ERROR:
			s->status = GM_EXIT_FAIL;
			return GM_NEXT_ERROR;
		}
	}
}

/* Opens f's file (or stdin) to follow it; false when it is not there
 * yet (said once) or cannot be read (reported, and f is done). */
static bool follow_open(struct gm_source *s, struct followed *f)
{
	const char *name = f->path ? f->path : "stdin";
	int fd = STDIN_FILENO;
	if (f->path && (fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			if (!f->warned)
				gm_warn(f->path, "%s: waiting for it", strerror(errno));
			f->warned = true;
			return false;
		}
		gm_error(f->path, "%s", strerror(errno));
		s->status = GM_EXIT_FAIL;
		f->done = true;
		return false;
	}
	struct stat st;
	int err = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (err) {
		gm_error(name, "%s", strerror(err));
		if (fd != STDIN_FILENO)
			close(fd);
		s->status = GM_EXIT_FAIL;
		f->done = true;
		return false;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->regular = S_ISREG(st.st_mode);
	f->warned = f->replaced = f->gone = false;
	f->rd = gm_reader_fdopen(fd, name, s->c->max_line);
	gm_reader_set_spill(f->rd, spill_to_rejects, NULL);
	gm_reader_set_follow(f->rd, f->regular);
	if (!f->regular)
		gm_reader_set_idle(f->rd, 0); /* the source does the waiting */
	return true;
}

/* At the end for now of f, a regular file: when its name names another
 * file, the one open is finished (read to its end for good) before that
 * one is opened. */
static void follow_check_name(struct followed *f)
{
	struct stat st;
	if (!f->path)
		return;
	f->gone = stat(f->path, &st) != 0;
	if (!f->gone && (st.st_dev != f->dev || st.st_ino != f->ino)) {
		f->replaced = true;
		gm_reader_set_follow(f->rd, false);
	}
}

enum step { STEP_RECORD, STEP_NOTHING, STEP_FATAL, STEP_STOPPED };

/* The next record of f, or nothing for now. */
static enum step follow_take(struct gm_source *s, struct followed *f,
	struct gm_record *r)
{
	for (;;) {
		if (f->done || (!f->rd && !follow_open(s, f)))
			return STEP_NOTHING;
		struct gm_line line;
		enum gm_read st = gm_reader_next(f->rd, &line);
		switch (st) {
		case GM_READ_LINE:
		case GM_READ_TOOLONG:
			switch (take_line(s, st, &line, r)) {
			case TAKEN_RECORD: return STEP_RECORD;
			case TAKEN_SKIPPED: continue;
			case TAKEN_FATAL: return STEP_FATAL;
			}
			continue;
		case GM_READ_IDLE:
			return STEP_NOTHING;
		case GM_READ_EOF:
			if (f->regular && !f->replaced) {
				follow_check_name(f);
				if (!f->replaced)
					return STEP_NOTHING;
				continue;
			}
			gm_reader_close(f->rd);
			f->rd = NULL;
			f->done = !f->regular;
			continue;
		case GM_READ_STOPPED:
			return STEP_STOPPED;
		case GM_READ_ERROR:
			s->status = GM_EXIT_FAIL;
			return STEP_FATAL;
		}
	}
}

/* Has inotify watch the directory of f's path, which sees the file grow,
 * be truncated, replaced or made. False when it cannot. */
static bool follow_watch(struct gm_source *s, struct followed *f)
{
	if (f->watched || s->inotify < 0)
		return f->watched;
	const char *slash = strrchr(f->path, '/');
	char *dir = !slash ? gm_xstrdup(".")
		: gm_xstrndup(f->path, slash == f->path ? 1 : (size_t)(slash - f->path));
	f->watched = inotify_add_watch(s->inotify, dir, IN_MODIFY | IN_CREATE |
		IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF) >= 0;
	free(dir);
	return f->watched;
}

/* Reads what inotify says: that something changed is all a wait needs;
 * a watch that ended (its directory removed or moved) is made again at
 * the next wait, on whatever the path's directory is then. */
static void follow_inotify_drain(struct gm_source *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while ((n = read(s->inotify, buf, sizeof buf)) > 0)
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *e = (const void *)p;
			if (e->mask & (IN_IGNORED | IN_MOVE_SELF))
				for (size_t i = 0; i < s->nfl; i++)
					s->fl[i].watched = false;
			p += sizeof *e + e->len;
		}
}

enum wait { WAIT_WOKEN, WAIT_IDLE, WAIT_STOPPED };

/* Waits until an input may have more, or deadline (gm_now_ms(); -1:
 * none), or a signal. The signals are blocked but in ppoll(), so that
 * one that comes before it cuts the wait short all the same. */
static enum wait follow_wait(struct gm_source *s, int64_t deadline)
{
	nfds_t n = 0;
	bool poll_files = false;
	if (s->inotify >= 0)
		s->pfd[n++] = (struct pollfd){ .fd = s->inotify, .events = POLLIN };
	for (size_t i = 0; i < s->nfl; i++) {
		struct followed *f = &s->fl[i];
		if (f->done)
			continue;
		if (f->rd && !f->regular)
			s->pfd[n++] = (struct pollfd){ .fd = f->fd, .events = POLLIN };
		else if (!f->path || f->gone || !follow_watch(s, f))
			poll_files = true;
	}
	int64_t timeout = -1;
	if (deadline >= 0 && (timeout = deadline - gm_now_ms()) <= 0)
		return WAIT_IDLE;
	if (poll_files && (timeout < 0 || timeout > FOLLOW_POLL_MS))
		timeout = FOLLOW_POLL_MS;
	struct timespec ts = { timeout / 1000, timeout % 1000 * 1000000 };
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int k = gm_stopping() ? 0 : ppoll(s->pfd, n, timeout < 0 ? NULL : &ts, &old);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (gm_stopping())
		return WAIT_STOPPED;
	if (k > 0 && s->inotify >= 0 && s->pfd[0].revents)
		follow_inotify_drain(s);
	return WAIT_WOKEN;
}

/* Following: the inputs in turn, each until it has nothing more for
 * now (but one inside a too-long line keeps its turn, so that its
 * reject is not cut by another's); when none has, a wait. */
static enum gm_next next_followed(struct gm_source *s, struct gm_record *r,
	int idle_ms)
{
	int64_t deadline = idle_ms >= 0 ? gm_now_ms() + idle_ms : -1;
	memset(r, 0, sizeof *r);
	for (;;) {
		bool live = false;
		for (size_t k = 0; k < s->nfl; k++) {
			struct followed *f = &s->fl[s->turn];
			switch (follow_take(s, f, r)) {
			case STEP_RECORD: return GM_NEXT_RECORD;
			case STEP_FATAL: return GM_NEXT_ERROR;
			case STEP_STOPPED: return GM_NEXT_END;
			case STEP_NOTHING: break;
			}
			live |= !f->done;
			if (f->rd && gm_reader_in_long_line(f->rd))
				break;
			s->turn = (s->turn + 1) % s->nfl;
		}
		if (!live)
			return GM_NEXT_END;
		switch (follow_wait(s, deadline)) {
		case WAIT_WOKEN: continue;
		case WAIT_IDLE: return GM_NEXT_IDLE;
		case WAIT_STOPPED: return GM_NEXT_END;
		}
	}
}

static enum gm_next next_message(struct gm_source *s, struct gm_record *r,
	int idle_ms)
{
	for (;;) {
		if (gm_stopping())
			return GM_NEXT_END;
		struct gm_kmsg m;
		switch (gm_kconsumer_next(s->k, &m, idle_ms)) {
		case GM_K_IDLE:
			return gm_stopping() ? GM_NEXT_END : GM_NEXT_IDLE;
		case GM_K_EOF:
			return GM_NEXT_END;
		case GM_K_ERROR:
			/* gm_source_close() tells a failure (1) from an
			 * unreachable cluster (75). */
			return GM_NEXT_ERROR;
		case GM_K_MSG:
			break;
		}
		if (m.len == 0 || blank(m.data, m.len))
			continue;
		gm_counts_add(&gm_counts.in, 1);
		memset(r, 0, sizeof *r);
		r->data = m.data;
		r->len = m.len;
		r->raw_len = m.len;
		r->key = m.key;
		r->klen = m.klen;
		r->topic = m.topic;
		r->partition = m.partition;
		r->offset = m.offset;
		if (m.len <= s->c->max_line)
			return GM_NEXT_RECORD;
		char reason[96];
		snprintf(reason, sizeof reason, "message of %zu bytes is longer than --max-line %zu",
			m.len, s->c->max_line);
		if (!gm_source_reject(s, r, reason))
			return GM_NEXT_ERROR;
	}
}

bool gm_source_reject(struct gm_source *s, const struct gm_record *r,
	const char *reason)
{
	char where[512];
	if (gm_reject(gm_record_where(r, where, sizeof where), reason, r->data, r->raw_len))
		return true;
	s->status = GM_EXIT_FAIL;
	return false;
}

enum gm_next gm_source_next(struct gm_source *s, struct gm_record *r, int idle_ms)
{
	return s->k ? next_message(s, r, idle_ms)
		: s->fl ? next_followed(s, r, idle_ms) : next_line(s, r, idle_ms);
}

void gm_source_accept(struct gm_source *s)
{
	if (s->k)
		gm_kconsumer_accept(s->k);
}

void gm_source_accept_partition(struct gm_source *s, const char *topic,
	int32_t partition, int64_t before, const char *note)
{
	if (s->k)
		gm_kconsumer_accept_partition(s->k, topic, partition, before, note);
}

void gm_source_pause_partition(struct gm_source *s, const char *topic, int32_t partition,
	bool pause)
{
	if (s->k)
		gm_kconsumer_pause(s->k, topic, partition, pause);
}

bool gm_source_at_end(const struct gm_source *s, const char *topic, int32_t partition)
{
	return s->k && gm_kconsumer_at_end(s->k, topic, partition);
}

enum gm_next gm_source_next_event(struct gm_source *s, struct gm_parser *ps,
	struct gm_record *r, const struct gm_event **ev, int idle_ms)
{
	for (;;) {
		enum gm_next st = gm_source_next(s, r, idle_ms);
		if (st != GM_NEXT_RECORD)
			return st;
		const char *reason;
		if ((*ev = gm_parse(ps, r->data, r->len, &reason)))
			return GM_NEXT_RECORD;
		if (!gm_source_reject(s, r, reason))
			return GM_NEXT_ERROR;
	}
}

int gm_source_close(struct gm_source *s)
{
	if (!s)
		return GM_EXIT_OK;
	int status = s->status;
	gm_reader_close(s->rd);
	for (size_t i = 0; i < s->nfl; i++)
		gm_reader_close(s->fl[i].rd);
	free(s->fl);
	free(s->pfd);
	if (s->inotify >= 0)
		close(s->inotify);
	if (s->k)
		status = gm_exit_worse(status, gm_kconsumer_close(s->k));
	free(s);
	return status;
}
