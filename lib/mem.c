/* mem: allocation that ends the process when memory runs out; see mem.h. */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

void *gm_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	return p;
}

void *gm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	return p;
}

void *gm_grow(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : first;
	while (n < need)
		n *= 2;
	*cap = n;
	return gm_xrealloc(p, n * size);
}

/* Huge pages are a hint: where they are not to be had, the block is
 * made of small ones. Linux aligns a mapping to its huge pages only when
 * its length is a multiple of them, so big blocks are rounded up to one. */
#define HUGE_PAGE ((size_t)2 << 20)

static size_t map_length(size_t n)
{
	return n < HUGE_PAGE ? n : (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* p, a mapping of n bytes just made (mmap or mremap), on huge pages
 * where the system has them; the end of the process when it failed. */
static void *mapped(void *p, size_t n)
{
	if (p == MAP_FAILED)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory for a table of %zu bytes", n);
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

void *gm_xmap(size_t n)
{
	n = map_length(n);
	return mapped(mmap(NULL, n, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), n);
}

void *gm_xremap(void *p, size_t n, size_t m)
{
	if (!p)
		return gm_xmap(m);
#ifdef MREMAP_MAYMOVE
	/* A block under a huge page has the length it was asked for, not
	 * the mapping's: it is copied. */
	if (n >= HUGE_PAGE)
		return mapped(mremap(p, map_length(n), map_length(m), MREMAP_MAYMOVE), map_length(m));
#endif
	void *q = gm_xmap(m);
	memcpy(q, p, n);
	gm_unmap(p, n);
	return q;
}

void *gm_xmap_grow(void *p, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : first;
	while (n < need)
		n *= 2;
	p = gm_xremap(p, *cap, n);
	*cap = n;
	return p;
}

void *gm_xmap_slots(size_t n)
{
	void *p = gm_xmap(n);
#ifdef MADV_POPULATE_WRITE
	/* Where the system cannot, the pages come as they are touched. */
	madvise(p, map_length(n), MADV_POPULATE_WRITE);
#endif
	return p;
}

void gm_unmap(void *p, size_t n)
{
	if (p)
		munmap(p, map_length(n));
}

void gm_release(void *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1), to = ((uintptr_t)p + n) & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

char *gm_xstrdup(const char *s)
{
	return gm_xstrndup(s, strlen(s));
}

char *gm_xstrndup(const char *s, size_t n)
{
	char *d = gm_xcalloc(1, n + 1);
	memcpy(d, s, n);
	return d;
}
