/* hll-error [STREAMS]: the error of gm_hll's estimate beyond its exact
 * range, the figures lib/hll.h and gm-txmon(1) quote. For each set size,
 * the root mean square and the mean of the relative error, and its
 * largest size, over STREAMS random streams (1000 unless given; 200 at
 * most for the million). Deterministic: the same figures every run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "hll.h"

int main(int argc, char **argv)
{
	static const long sizes[] = {
		GM_HLL_EXACT + 1, 400, 500, 600, 800, 1000, 1500, 2000, 3000, 5000,
		7000, 8000, 9000, 9500, 10000, 10300, 10500, 11000, 12000, 13000,
		14000, 15000, 20000, 30000, 50000, 100000, 1000000,
	};
	int streams = argc > 1 ? atoi(argv[1]) : 1000;
	if (argc > 2 || streams < 1) {
		fputs("usage: hll-error [STREAMS]\n", stderr);
		return 2;
	}
	puts("items\trms\tmean\tlargest");
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		long n = sizes[k];
		int runs = n >= 1000000 && streams > 200 ? 200 : streams;
		double squares = 0, sum = 0, largest = 0;
		for (int s = 0; s < runs; s++) {
			struct gm_hll h = GM_HLL_INIT;
			for (long i = 0; i < n; i++)
				gm_hll_add(&h, gm_hash_u64((uint64_t)(s + 1000) << 32 | (uint64_t)i));
			double e = ((double)gm_hll_count(&h) - (double)n) / (double)n;
			squares += e * e;
			sum += e;
			largest = fabs(e) > largest ? fabs(e) : largest;
			gm_hll_free(&h);
		}
		printf("%ld\t%.2f%%\t%+.2f%%\t%.2f%%\n", n, 100 * sqrt(squares / runs),
			100 * sum / runs, 100 * largest);
	}
	return 0;
}
