/* The notification gm-notify's send tests deliver (test_notify_send.c,
 * helpers/notify-send.c): a group of two alerts, one firing and one
 * resolved, with a non-ASCII summary, labels, numbers and a receiver
 * name that Alertmanager's payload escapes. Its receiver and
 * integration are the test's to set. */
#ifndef GM_NOTIFY_FIXTURE_H
#define GM_NOTIFY_FIXTURE_H

#include "../../gm-notify/note.h"
#include "../../gm-notify/send.h"

static const struct route_label fixture_labels[] = {
	{ "product_id", "P-001" }, { "country", "UK" },
};
static const struct route_label fixture_numbers_low[] = {
	{ "on_hand", "3" }, { "reorder_point", "10" },
};
static const struct route_label fixture_numbers_out[] = {
	{ "on_hand", "20" },
};
static const struct note_alert fixture_alerts[] = {
	{
		.alert_id = "a1b2c3d4e5f60718",
		.kind = "low_stock", .severity = "warning", .source = "gm-inventory",
		.summary = "Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)",
		.ts = 1795514400123,        /* 2026-11-24T10:00:00.123Z */
		.started = 1795514400123,
		.labels = fixture_labels, .nlabels = 2,
		.numbers = fixture_numbers_low, .nnumbers = 2,
	},
	{
		.alert_id = "0f1e2d3c4b5a6978", .resolved = true, .fired_id = "9a8b7c6d5e4f3021",
		.kind = "out_of_stock", .severity = "critical", .source = "gm-inventory",
		.summary = "P-001 is back in stock",
		.ts = 1795514700000,        /* 2026-11-24T10:05:00Z */
		.started = 1795510800000,   /* 2026-11-24T09:00:00Z */
		.labels = fixture_labels, .nlabels = 2,
		.numbers = fixture_numbers_out, .nnumbers = 1,
	},
};
static const struct route_label fixture_group[] = { { "product_id", "P-001" } };
static const struct route_label fixture_common[] = {
	{ "country", "UK" }, { "product_id", "P-001" }, { "source", "gm-inventory" },
};
static const struct note fixture = {
	.group_key = "{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-001\"}",
	.group_labels = { fixture_group, 1 },
	.alerts = fixture_alerts, .nalerts = 2, .nfiring = 1,
	.seq = 1, .incident = 1795514760000,
	.at = 1795514760000,            /* 2026-11-24T10:06:00Z */
};

#endif
