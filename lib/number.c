/* number: numbers, sizes and durations from text; see number.h. */
#include "number.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool gm_parse_u64(const char *s, unsigned long long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	unsigned long long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = *s - '0';
		if (v > (~0ULL - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*s)
		return false;
	*out = v;
	return true;
}

/* Splits s into a decimal number and a suffix; the number must be
 * non-negative and may have a fraction. */
static bool number_and_suffix(const char *s, double *v, const char **suffix)
{
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return false;
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *v < 0)
		return false;
	*suffix = end;
	return true;
}

bool gm_parse_size(const char *s, size_t *out)
{
	double v;
	const char *suf;
	if (!number_and_suffix(s, &v, &suf))
		return false;
	double mult = 1;
	if (*suf == 'k' || *suf == 'K')
		mult = 1024, suf++;
	else if (*suf == 'M')
		mult = 1024.0 * 1024, suf++;
	else if (*suf == 'G')
		mult = 1024.0 * 1024 * 1024, suf++;
	if (*suf || v * mult < 1 || v * mult > (double)(SIZE_MAX / 2))
		return false;
	*out = (size_t)(v * mult);
	return true;
}

bool gm_parse_duration(const char *s, long long *ms)
{
	double v;
	const char *suf;
	if (!number_and_suffix(s, &v, &suf))
		return false;
	double mult;
	if (!*suf || !strcmp(suf, "s"))
		mult = 1000;
	else if (!strcmp(suf, "ms"))
		mult = 1;
	else if (!strcmp(suf, "m"))
		mult = 60e3;
	else if (!strcmp(suf, "h"))
		mult = 3600e3;
	else if (!strcmp(suf, "d"))
		mult = 86400e3;
	else
		return false;
	if (v * mult > (double)GM_DURATION_MAX)
		return false;
	*ms = (long long)(v * mult + 0.5);
	return true;
}
