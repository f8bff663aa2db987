/* Shared pieces of the Check unit tests. */
#ifndef GM_CHECK_UTIL_H
#define GM_CHECK_UTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a new, empty temporary file (or, with dir, folder) named after
 * what, under $TMPDIR or /tmp, and writes its path into path (cap
 * bytes). Returns the file's descriptor, open for reading and writing,
 * or 0 for a folder. Fails the test when it cannot. */
static inline int gm_test_temp(char *path, size_t cap, const char *what, bool dir)
{
	static unsigned serial;
	const char *tmp = getenv("TMPDIR");
	for (;;) {
		snprintf(path, cap, "%s/gm-%s-%ld-%u", tmp && *tmp ? tmp : "/tmp", what,
			(long)getpid(), serial++);
		int fd = dir ? mkdir(path, 0700) : open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			return fd;
		ck_assert_msg(errno == EEXIST, "%s: %s", path, strerror(errno));
	}
}

/* Runs one suite and exits with its verdict. */
#define GM_CHECK_MAIN(suite_fn) \
	int main(void) \
	{ \
		SRunner *sr = srunner_create(suite_fn()); \
		srunner_run_all(sr, CK_ENV); \
		int failed = srunner_ntests_failed(sr); \
		srunner_free(sr); \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS; \
	}

#endif
