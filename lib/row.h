/* row: a row of a record type of rtype.h read straight from its line,
 * when the line is as the tools write their rows: "type" first, then
 * every field of the descriptor in its order, once each, no space, each
 * value the usual good value of its field's kind (a non-empty string
 * without an escape or a byte above 0x7F, a time, an amount, an integer
 * in range, a number, true or false, or null for a field that may be
 * left out). Such a line is valid JSON whose gm_parse() and
 * gm_rtype_decode() give exactly the values the reader gives, at a
 * fraction of their cost (a warehouse's tables, gm-rfm's input); any
 * other line, bad or only written otherwise, is theirs to read. */
#ifndef GM_ROW_H
#define GM_ROW_H

#include <stdbool.h>
#include <stddef.h>

#include "rtype.h"

/* Fields a type may have for the reader to read its rows; a type with
 * more has none read so (gm_row_read() leaves every line to the
 * parser). */
#define GM_ROW_MAX_FIELDS 48

/* The bytes of a type's name and its fields' keys that a reader keeps. */
#define GM_ROW_MAX_TEXT 1024

/* A reader of t's rows: the bytes its rows begin with, and each
 * field's key as it comes (`,"name":`), written out once. */
struct gm_row_reader {
	const struct gm_rtype *t;
	char text[GM_ROW_MAX_TEXT];
	unsigned short head;     /* text[0..head): `{"type":"NAME"` */
	unsigned short at[GM_ROW_MAX_FIELDS + 1];  /* field i's key: text[at[i]..at[i + 1]) */
	bool usable;             /* t's fields and names fit */
};

/* Makes r a reader of t's rows (t outlives it). A type whose fields or
 * names do not fit (GM_ROW_MAX_FIELDS, GM_ROW_MAX_TEXT) gets a reader
 * that leaves every line to the parser. */
void gm_row_reader_init(struct gm_row_reader *r, const struct gm_rtype *t);

/* Reads line[0..len), without its newline, as a row of r's type: true
 * with vals[i] and present[i] for t->fields[i] as gm_rtype_decode()
 * gives them (present false for a null); false when the line is not
 * such a row (see the top), saying nothing else about it: the caller
 * parses it then. Strings point into line. */
bool gm_row_read(const struct gm_row_reader *r, const char *line, size_t len,
	union gm_rvalue *vals, bool *present);

#endif
