/* Shared pieces of the Check unit tests. */
#ifndef GM_CHECK_UTIL_H
#define GM_CHECK_UTIL_H

#include <check.h>
#include <stdlib.h>

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
