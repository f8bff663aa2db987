#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_util.h"
#include "cli.h"
#include "writer.h"

/* The memory writer's contents as a NUL-terminated string. */
static const char *text(struct gm_writer *w)
{
	static char buf[4096];
	size_t n;
	const char *p = gm_writer_data(w, &n);
	ck_assert_uint_lt(n, sizeof buf);
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

START_TEST(builds_objects_with_commas)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "transaction");
	gm_w_ki64(w, "n", -42);
	gm_w_kmoney(w, "total", 1205);
	gm_w_kts(w, "ts", 1795514400123LL);
	gm_w_key(w, "items");
	gm_w_arr_begin(w);
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "id", "p1");
	gm_w_obj_end(w);
	gm_w_obj_begin(w);
	gm_w_obj_end(w);
	gm_w_i64(w, 7);
	gm_w_arr_end(w);
	gm_w_key(w, "labels");
	gm_w_obj_begin(w);
	gm_w_obj_end(w);
	gm_w_key(w, "ok");
	gm_w_bool(w, true);
	gm_w_key(w, "r");
	gm_w_double(w, 0.25);
	gm_w_end(w);
	ck_assert_str_eq(text(w),
		"{\"type\":\"transaction\",\"n\":-42,\"total\":12.05,"
		"\"ts\":\"2026-11-24T10:00:00.123Z\",\"items\":[{\"id\":\"p1\"},{},7],"
		"\"labels\":{},\"ok\":true,\"r\":0.25}\n");
	gm_writer_reset(w);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"a\":1}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(escapes_strings)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	const char *v = "q\"b\\n\n\t\x01\x1f caf\xc3\xa9";
	gm_w_kstr(w, "s", v, strlen(v));
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u001f caf\xc3\xa9\"}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(extreme_integers)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	gm_w_ki64(w, "min", INT64_MIN);
	gm_w_key(w, "max");
	gm_w_u64(w, UINT64_MAX);
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"min\":-9223372036854775808,\"max\":18446744073709551615}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(large_output_is_complete)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	struct gm_writer *w = gm_writer_fd(fd, path, false);
	for (int i = 0; i < 100000; i++) {
		gm_w_obj_begin(w);
		gm_w_ki64(w, "i", i);
		gm_w_end(w);
	}
	ck_assert(gm_writer_close(w));
	off_t size = lseek(fd, 0, SEEK_END);
	/* {"i":N}\n is 8 bytes plus the digits of N. */
	off_t want = 0;
	for (int i = 0; i < 100000; i++)
		want += 7 + (i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : i < 10000 ? 4 : 5);
	ck_assert_int_eq(size, want);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(write_errors_are_detected)
{
	gm_cli_init("test_writer");
	/* ENOSPC */
	struct gm_writer *w = gm_writer_open("/dev/full", false);
	ck_assert_ptr_nonnull(w);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert(!gm_writer_flush(w));
	ck_assert(gm_writer_failed(w));
	ck_assert(!gm_writer_close(w));
	/* EPIPE: the reader has gone (SIGPIPE is ignored by gm_cli_init) */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w = gm_writer_fd(p[1], "pipe", true);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert(gm_writer_failed(w));
	ck_assert(!gm_writer_close(w));
	close(p[1]);
	/* a file that cannot be created */
	ck_assert_ptr_null(gm_writer_open("/nonexistent/dir/out.ndjson", false));
}
END_TEST

/* What the writer must write for s (n bytes): the JSON string, quoted. */
static size_t escaped(char *out, const char *s, size_t n)
{
	size_t k = 0;
	out[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = c;
		} else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
			out[k++] = '\\';
			out[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c == '\b' ? 'b' : 'f';
		} else if (c < 0x20) {
			k += sprintf(out + k, "\\u%04x", c);
		} else {
			out[k++] = c;
		}
	}
	out[k++] = '"';
	return k;
}

/* Strings of every length up to 40 bytes, with one byte to escape at
 * every place (or none), through each of the fast path's ways (eight
 * bytes at a time and the last eight, two fours, bytes), as a value
 * alone and with a key. Each string is copied to its own allocation of
 * its size, so that a sanitizer sees a read past it. */
START_TEST(escapes_through_the_fast_path)
{
	static const unsigned char special[] = { '"', '\\', '\n', '\t', 0x01, 0x1f, 0 };
	struct gm_writer *w = gm_writer_mem();
	char src[64], str[256], want[1024];
	for (size_t n = 0; n <= 40; n++) {
		for (size_t at = 0; at <= n; at++) {
			for (size_t e = 0; e < sizeof special; e++) {
				if (at == n && e > 0)
					break;       /* at == n: nothing to escape, once */
				for (size_t i = 0; i < n; i++)   /* ' ', '~', 0x7f, UTF-8: kept */
					src[i] = "ab ~\x7f\xc3\xa9xyz"[i % 9];
				if (at < n)
					src[at] = (char)special[e];
				char *s = malloc(n ? n : 1);
				memcpy(s, src, n);
				gm_writer_reset(w);
				gm_w_obj_begin(w);
				GM_W_KSTR(w, "k", s, n);
				GM_W_KEY(w, "a");
				gm_w_arr_begin(w);
				gm_w_str(w, s, n);
				gm_w_str(w, s, n);
				gm_w_arr_end(w);
				gm_w_end(w);
				free(s);
				int m = (int)escaped(str, src, n);
				size_t k = (size_t)sprintf(want, "{\"k\":%.*s,\"a\":[%.*s,%.*s]}\n",
					m, str, m, str, m, str);
				size_t len;
				const char *got = gm_writer_data(w, &len);
				ck_assert_msg(len == k && !memcmp(got, want, k),
					"n %zu, at %zu: %.*s", n, at, (int)len, got);
			}
		}
	}
	gm_writer_close(w);
}
END_TEST

/* The one-step forms write what a key then a value would, commas
 * included: first in an object (a record's type), after a nested
 * object, in an array. */
static void fields(struct gm_writer *w, bool pairs)
{
	if (pairs) {
		gm_w_typed_begin(w, "session");
		GM_W_KSTR(w, "id", "a\"b", 3);
		GM_W_KCSTR(w, "c", "US");
		GM_W_KI64(w, "i", -12);
		GM_W_KU64(w, "u", UINT64_MAX);
		GM_W_KBOOL(w, "t", true);
		GM_W_KBOOL(w, "f", false);
		GM_W_KMONEY(w, "m", -1205);
		GM_W_KTS(w, "ts", 1795514400123LL);
		GM_W_KEY(w, "o");
		gm_w_obj_begin(w);
		GM_W_KU64(w, "n", 0);
		gm_w_obj_end(w);
		GM_W_KEY(w, "a");
		gm_w_arr_begin(w);
		GM_W_LIT(w, "x");
		gm_w_u64(w, 7);
		GM_W_LIT(w, "y");
		gm_w_arr_end(w);
		GM_W_KLIT(w, "source", "gm-session");
	} else {
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "type", "session");
		gm_w_kstr(w, "id", "a\"b", 3);
		gm_w_kcstr(w, "c", "US");
		gm_w_ki64(w, "i", -12);
		gm_w_key(w, "u");
		gm_w_u64(w, UINT64_MAX);
		gm_w_key(w, "t");
		gm_w_bool(w, true);
		gm_w_key(w, "f");
		gm_w_bool(w, false);
		gm_w_kmoney(w, "m", -1205);
		gm_w_kts(w, "ts", 1795514400123LL);
		gm_w_key(w, "o");
		gm_w_obj_begin(w);
		gm_w_key(w, "n");
		gm_w_u64(w, 0);
		gm_w_obj_end(w);
		gm_w_key(w, "a");
		gm_w_arr_begin(w);
		gm_w_cstr(w, "x");
		gm_w_i64(w, 7);
		gm_w_cstr(w, "y");
		gm_w_arr_end(w);
		gm_w_kcstr(w, "source", "gm-session");
	}
	gm_w_end(w);
}

#define FIELDS "{\"type\":\"session\",\"id\":\"a\\\"b\",\"c\":\"US\",\"i\":-12," \
	"\"u\":18446744073709551615,\"t\":true,\"f\":false,\"m\":-12.05," \
	"\"ts\":\"2026-11-24T10:00:00.123Z\",\"o\":{\"n\":0},\"a\":[\"x\",7,\"y\"]," \
	"\"source\":\"gm-session\"}\n"

START_TEST(pairs_write_what_a_key_and_a_value_would)
{
	struct gm_writer *w = gm_writer_mem();
	fields(w, false);
	ck_assert_str_eq(text(w), FIELDS);
	gm_writer_reset(w);
	fields(w, true);
	ck_assert_str_eq(text(w), FIELDS);
	gm_writer_close(w);
}
END_TEST

/* A file's contents, read whole into buf (cap bytes); returns the size. */
static size_t contents(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;
	lseek(fd, 0, SEEK_SET);
	while (n < cap && (k = read(fd, buf + n, cap - n)) > 0)
		n += k;
	return n;
}

/* Room is made once for a key and its value: when the buffer (64 KiB)
 * ends anywhere in a record, before a key, within one or within its
 * value, the record comes out whole after what came before it, from a
 * file writer (which flushes) and a memory one (which grows). */
START_TEST(buffer_ends_within_a_pair)
{
	enum { BUF = 64 * 1024 };
	static char fill[BUF], got[BUF + 1024];
	memset(fill, 'x', sizeof fill);
	char want[1024];
	struct gm_writer *m = gm_writer_mem();
	fields(m, true);
	size_t wlen;
	const char *p = gm_writer_data(m, &wlen);
	memcpy(want, p, wlen);
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	for (size_t k = 0; k <= wlen + 8; k++) {
		ck_assert_int_eq(ftruncate(fd, 0), 0);
		struct gm_writer *w = gm_writer_fd(fd, path, false);
		lseek(fd, 0, SEEK_SET);
		gm_w_raw(w, fill, BUF - k);
		fields(w, true);
		ck_assert(gm_writer_close(w));
		size_t n = contents(fd, got, sizeof got);
		ck_assert_uint_eq(n, BUF - k + wlen);
		ck_assert(!memcmp(got, fill, BUF - k));
		ck_assert_msg(!memcmp(got + BUF - k, want, wlen), "k %zu: %.*s", k,
			(int)wlen, got + BUF - k);

		gm_writer_reset(m);
		gm_w_raw(m, fill, BUF - k);
		fields(m, true);
		p = gm_writer_data(m, &n);
		ck_assert_uint_eq(n, BUF - k + wlen);
		ck_assert(!memcmp(p + BUF - k, want, wlen));
	}
	gm_writer_close(m);
	close(fd);
	unlink(path);
}
END_TEST

/* gm_writer_take() gives the bytes a memory writer collected, with a
 * NUL after them, also when they fill its buffer to the last byte. */
START_TEST(take_gives_the_bytes_with_a_nul)
{
	enum { BUF = 64 * 1024 };
	for (size_t n = BUF - 1; n <= BUF + 1; n++) {
		struct gm_writer *w = gm_writer_mem();
		for (size_t i = 0; i < n; i++)
			gm_w_raw(w, i % 2 ? "b" : "a", 1);
		size_t len;
		char *p = gm_writer_take(w, &len);
		ck_assert_uint_eq(len, n);
		ck_assert_uint_eq(strlen(p), n);
		ck_assert_int_eq(p[0], 'a');
		ck_assert_int_eq(p[n - 1], n % 2 ? 'a' : 'b');
		free(p);
	}
	struct gm_writer *w = gm_writer_mem();
	size_t len = 1;
	char *p = gm_writer_take(w, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(p, "");
	free(p);
}
END_TEST

/* A writer that starts writeback as it goes writes the same bytes, past
 * several GM_WRITER_SYNC_AHEAD and after what the file held; on a pipe
 * there is nothing to start, and it writes all the same. */
START_TEST(sync_ahead_writes_the_same)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	ck_assert_int_eq(write(fd, "head\n", 5), 5);
	struct gm_writer *w = gm_writer_fd(fd, path, false);
	gm_writer_sync_ahead(w);
	enum { LINE = 100 };
	char line[LINE + 1];
	size_t lines = (size_t)(3 * GM_WRITER_SYNC_AHEAD / LINE) + 7;
	for (size_t i = 0; i < lines; i++) {
		snprintf(line, sizeof line, "%0*zu", LINE - 1, i);
		gm_w_record(w, line, LINE - 1);
	}
	ck_assert(gm_writer_close(w));
	ck_assert_int_eq(fsync(fd), 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 5 + (off_t)(lines * LINE));
	char got[2 * LINE];
	lseek(fd, 5 + (off_t)((lines - 1) * LINE), SEEK_SET);
	ck_assert_int_eq(read(fd, got, LINE), LINE);
	snprintf(line, sizeof line, "%0*zu\n", LINE - 1, lines - 1);
	ck_assert(!memcmp(got, line, LINE));
	close(fd);
	unlink(path);

	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	w = gm_writer_fd(p[1], "pipe", false);
	gm_writer_sync_ahead(w);
	gm_w_record(w, "x", 1);
	ck_assert(gm_writer_close(w));
	ck_assert_int_eq(read(p[0], got, sizeof got), 2);
	ck_assert(!memcmp(got, "x\n", 2));
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A writer around the page cache writes what a memory writer collects:
 * records of 1 byte to 5 KiB, some with bytes to escape, some dropped,
 * past every buffer of the ring several times, then one record longer
 * than a buffer (which ends the mode) unless it is finished behind
 * (the second pass: its end written and synced by the thread), then
 * more. O_DIRECT is on while it writes where the file system takes it,
 * off after. On a descriptor that cannot be written, the thread's
 * failure is the close's. */
static void direct_pass(bool behind)
{
	gm_cli_init("test_writer");
	char path[256];
	static char text[3 << 20];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof text; i += 977)
		text[i] = i % 2 ? '"' : '\n';
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	struct gm_writer *w = gm_writer_fd(fd, path, false), *want = gm_writer_mem();
	bool direct = gm_writer_direct(w);
	ck_assert_int_eq(!!(fcntl(fd, F_GETFL) & O_DIRECT), direct);
	uint64_t x = 7;
	for (int i = 0; i < 9000; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		size_t n = 1 + (x >> 33) % 5000;
		bool drop = i % 11 == 3;
		if (i == 6000 && !behind)
			n = sizeof text;   /* longer than a buffer */
		for (struct gm_writer *o = w; o; o = o == w && !drop ? want : NULL) {
			gm_w_obj_begin(o);
			GM_W_KI64(o, "n", i);
			GM_W_KSTR(o, "text", text + (x >> 40) % 1000, n - (x >> 40) % 1000 * (n == sizeof text));
			if (drop && o == w) {
				gm_w_drop(o);
				break;
			}
			gm_w_end(o);
		}
	}
	if (behind)
		gm_writer_finish_behind(w);
	ck_assert(gm_writer_close(w));
	ck_assert(!(fcntl(fd, F_GETFL) & O_DIRECT));
	size_t wn;
	const char *p = gm_writer_data(want, &wn);
	ck_assert_uint_gt(wn, 18u << 20);  /* the ring of 8 MiB, twice */
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, wn);
	char *got = malloc(wn);
	ck_assert_int_eq(pread(fd, got, wn, 0), (ssize_t)wn);
	ck_assert(!memcmp(got, p, wn));
	free(got);
	gm_writer_close(want);
	close(fd);

	fd = open(path, O_RDONLY);
	w = gm_writer_fd(fd, path, false);
	if (gm_writer_direct(w)) {
		/* 20 MB: a hand-over waits for a buffer the thread has
		 * written (failed), whose failure it then sees. */
		for (int i = 0; i < 20000; i++)
			gm_w_record(w, text, 1000);
		if (behind)
			gm_writer_finish_behind(w);
		else
			ck_assert(gm_writer_failed(w));
	}
	ck_assert(!gm_writer_close(w));
	close(fd);
	unlink(path);
}

START_TEST(direct_writes_the_same)
{
	direct_pass(false);
	direct_pass(true);
}
END_TEST

/* A full buffer writes out whole records only: the one being built when
 * it fills stays for the next write, so that a file cut short by a kill
 * ends at a record's end. Records of about 1 KiB each, over several
 * buffers' worth: after each one, what the file holds ends in a newline,
 * and at the end it holds them all. */
START_TEST(a_full_buffer_writes_whole_records)
{
	static char got[400 * 1024];
	char path[256], text[1000];
	memset(text, 'y', sizeof text);
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	struct gm_writer *w = gm_writer_fd(fd, path, false);
	size_t flushed = 0;
	for (int i = 0; i < 300; i++) {
		gm_w_obj_begin(w);
		GM_W_KI64(w, "n", i);
		GM_W_KSTR(w, "text", text, sizeof text);
		gm_w_end(w);
		size_t n = contents(fd, got, sizeof got);
		ck_assert_msg(n == 0 || got[n - 1] == '\n', "record %d: the file ends in %.20s", i,
			got + n - (n < 20 ? n : 20));
		if (n > flushed)
			flushed = n;
	}
	ck_assert_uint_gt(flushed, 64 * 1024);   /* the buffer did fill */
	ck_assert(gm_writer_close(w));
	size_t n = contents(fd, got, sizeof got);
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += got[i] == '\n';
	ck_assert_uint_eq(lines, 300);
	close(fd);
	unlink(path);
}
END_TEST

/* Records dropped while built, some of them across a full buffer's
 * write: the file holds the others, byte for byte as a writer that was
 * given those only. */
START_TEST(a_dropped_record_leaves_no_trace)
{
	static char got[400 * 1024];
	char path[256], text[1000];
	memset(text, 'z', sizeof text);
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	struct gm_writer *w = gm_writer_fd(fd, path, false), *want = gm_writer_mem();
	for (int i = 0; i < 300; i++) {
		bool drop = i % 3 == 1;
		for (struct gm_writer *x = w; x; x = x == w && !drop ? want : NULL) {
			gm_w_obj_begin(x);
			GM_W_KI64(x, "n", i);
			GM_W_KSTR(x, "text", text, sizeof text - (size_t)i);
			gm_w_key(x, "more");
			gm_w_obj_begin(x);
			if (drop && x == w) {
				gm_w_drop(x);
				break;
			}
			gm_w_obj_end(x);
			gm_w_end(x);
		}
	}
	ck_assert(gm_writer_close(w));
	size_t n = contents(fd, got, sizeof got), wn;
	const char *p = gm_writer_data(want, &wn);
	ck_assert_uint_gt(wn, 128 * 1024);   /* the buffer filled, more than once */
	ck_assert_uint_eq(n, wn);
	ck_assert(!memcmp(got, p, n));
	gm_writer_close(want);
	close(fd);
	unlink(path);
}
END_TEST

/* After a write has failed, nothing more is written, whatever the calls
 * (the fast ones included) and however many buffers they fill: the
 * descriptor is made to work again, and still receives nothing. */
START_TEST(a_failed_writer_stays_a_no_op)
{
	gm_cli_init("test_writer");
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	int full = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(full, 0);
	struct gm_writer *w = gm_writer_fd(full, "/dev/full", false);
	fields(w, true);
	ck_assert(!gm_writer_flush(w));
	ck_assert(gm_writer_failed(w));
	ck_assert_int_ge(dup2(fd, full), 0);
	for (int i = 0; i < 5000; i++) {
		fields(w, true);
		gm_w_record(w, "{}", 2);
	}
	ck_assert(!gm_writer_flush(w));
	ck_assert(gm_writer_failed(w));
	ck_assert(!gm_writer_close(w));
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(full);
	close(fd);
	unlink(path);
}
END_TEST

/* What a read of fd finds at once, without waiting: bytes, or 0. */
static ssize_t ready(int fd)
{
	char buf[256];
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ssize_t n = read(fd, buf, sizeof buf);
	return n < 0 && errno == EAGAIN ? 0 : n;
}

static void one_record_each_way(struct gm_writer *w)
{
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "x");
	gm_w_end(w);
	gm_w_record(w, "{\"type\":\"y\"}", 12);
}

/* On a terminal every record is written as it ends, as someone is
 * watching; a pipe keeps its records in the buffer until a flush. */
START_TEST(line_buffered_on_a_terminal_only)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct gm_writer *w = gm_writer_fd(p[1], "pipe", false);
	one_record_each_way(w);
	ck_assert_int_eq(ready(p[0]), 0);
	ck_assert(gm_writer_flush(w));
	ck_assert_int_eq(ready(p[0]), 26);
	gm_writer_close(w);
	close(p[0]);
	close(p[1]);

	int master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert(grantpt(master) == 0 && unlockpt(master) == 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(tty, 0);
	w = gm_writer_fd(tty, "tty", false);
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "x");
	gm_w_end(w);
	ck_assert_int_gt(ready(master), 0);
	gm_w_record(w, "{\"type\":\"y\"}", 12);
	ck_assert_int_gt(ready(master), 0);
	gm_writer_close(w);
	close(tty);
	close(master);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, builds_objects_with_commas);
	tcase_add_test(tc, escapes_strings);
	tcase_add_test(tc, extreme_integers);
	tcase_add_test(tc, large_output_is_complete);
	tcase_add_test(tc, write_errors_are_detected);
	tcase_add_test(tc, line_buffered_on_a_terminal_only);
	tcase_add_test(tc, escapes_through_the_fast_path);
	tcase_add_test(tc, pairs_write_what_a_key_and_a_value_would);
	tcase_add_test(tc, buffer_ends_within_a_pair);
	tcase_add_test(tc, take_gives_the_bytes_with_a_nul);
	tcase_add_test(tc, sync_ahead_writes_the_same);
	tcase_add_test(tc, direct_writes_the_same);
	tcase_add_test(tc, a_failed_writer_stays_a_no_op);
	tcase_add_test(tc, a_full_buffer_writes_whole_records);
	tcase_add_test(tc, a_dropped_record_leaves_no_trace);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)
