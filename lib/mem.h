/* mem: memory that cannot run out for the caller. Allocation that ends
 * the process when memory is exhausted, arrays that double as they
 * grow, and big zeroed tables mapped straight from the system. */
#ifndef GM_MEM_H
#define GM_MEM_H

#include <stddef.h>

/* realloc, calloc, strdup and strndup that end the process (status 1,
 * with a message) when memory is exhausted, so callers need no check.
 * gm_xstrndup() copies all n bytes, unlike strndup(), which stops at a
 * NUL: a decoded string (a gm_str) may hold one (\u0000), and its copy
 * must keep its length; a NUL follows the n bytes. */
void *gm_xrealloc(void *p, size_t n);
void *gm_xcalloc(size_t n, size_t size);
char *gm_xstrdup(const char *s);
char *gm_xstrndup(const char *s, size_t n);

/* An array p of *cap elements of size bytes, grown (by gm_xrealloc)
 * to hold at least need: *cap doubles, starting from first when it is
 * 0. Returns the array, moved or not. */
void *gm_grow(void *p, size_t *cap, size_t need, size_t size, size_t first);

/* n zeroed bytes (n > 0) mapped straight from the system, for big
 * tables. Its pages are taken from the system only when first touched,
 * so a block may be sized for the most it could ever hold; they are huge
 * pages where the system has them (far fewer page faults and TLB misses).
 * Ends the process (status 1) when the block cannot be mapped.
 * gm_unmap() frees a block of n bytes; NULL is ignored. */
void *gm_xmap(size_t n);
void gm_unmap(void *p, size_t n);

/* A block p of gm_xmap() (NULL: none) of n bytes grown to m bytes (m >
 * n), its bytes kept, the rest zeroed; returns it, moved or not. Where
 * the system can (mremap), its pages are moved, not copied: a table
 * that doubles is neither copied nor its pages zeroed again at each
 * doubling (gm-rfm's arena). Ends the process as gm_xmap() does. */
void *gm_xremap(void *p, size_t n, size_t m);

/* A block of gm_xmap() of *cap bytes (NULL and 0: none yet) made to
 * hold need: when it cannot, grown (gm_xremap()) to twice its size,
 * first at least, as many times as it takes; returns it, moved or not.
 * For the arrays of a batch run that grow to hundreds of megabytes (an
 * id log, an arena of customers). */
void *gm_xmap_grow(void *p, size_t *cap, size_t need, size_t first);

/* gm_xmap() for a hash table's slots, read before they are written and
 * soon all in use: every page is taken at once, for writing. A fresh
 * page read first is the system's shared zero page, and its first write
 * a second fault and a TLB flush on each CPU the process runs on (a
 * tenth of gm-notify's main thread went to the index of its maps). Not
 * for a big table that a doubling fills from the one before while that
 * one is given back (gm_release()): its pages come as the old ones go,
 * and taken at once both would be held whole (gm-rfm's id set: 1.39 to
 * 1.89 GiB). */
void *gm_xmap_slots(size_t n);

/* Gives the system back the pages wholly inside p[0..n), a part of a
 * block of gm_xmap() that will not be read again; the block stays
 * mapped (reading there gives zeroes) until gm_unmap(). For a table
 * read once while its successor fills, so that the two are not both
 * held whole (an id set's last doubling was a third of gm-rfm's peak). */
void gm_release(void *p, size_t n);

#endif
