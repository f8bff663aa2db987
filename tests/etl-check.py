#!/usr/bin/python3
"""etl-check.py -w DIR FILE...: checks gm-etl's folder warehouse DIR
against an independent computation over the raw events in FILE...

The raw files are NDJSON, gzip when they start with its magic bytes.
The tables are computed as the warehouse's definitions (gm-etl's spec,
gm-warehouse(5)) say, from the records gm-etl loads: transaction,
product_view and cart_event (the first record of an id counts, later
ones are duplicates) and the product catalog. Records of other types,
lines that are not JSON objects and records whose fields the parser
refuses are skipped and counted. Every event is taken as loaded, as
one run of gm-etl into an empty warehouse loads them (its lookback
counts from the watermark the warehouse had before the run); a
warehouse whose runs found events late is not what this computes.
Money is integer cents, rates integer ten thousandths, never floats.

Compared, row by row and field by field: sales_trends,
product_performance, dim_customer, dim_date, dim_geography, dim_product;
fact_sales by its count and total amount, fact_product_views and
fact_cart_events by their counts. A row on one side only is a
difference, as is a field expected null but absent (or the reverse), a
field the definitions do not have, and an amount not written with two
decimals (money is to the cent, as gm-events(5) writes it: 20, 30.6, 12.34). Prints the first 20 differences (table, key, field, expected,
got), then one line per field the definitions do not have and one for
the amounts written with more than two decimals, and exits 1; or one line per
table with its row count and exits 0; 2 for a usage error or a raw file
that cannot be read.
"""
import gzip
import io
import json
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP

MAX_SHOWN = 20

MAX_CENTS = 100000000000000        # one amount: $1,000,000,000,000.00 (money.h)
MAX_QUANTITY = 1000000
MAX_STOCK = 1000000000
MAX_DURATION = (2**63 - 1) // 2

EPOCH_ORD = date(1970, 1, 1).toordinal()
DAY_MS = 86400000

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
             "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")
GEOGRAPHY = {
    "USA": ("North America", "USD"),
    "Canada": ("North America", "CAD"),
    "UK": ("Europe", "GBP"),
    "Germany": ("Europe", "EUR"),
    "France": ("Europe", "EUR"),
}

ALL = "*"
GRAINS = ("day", "week", "month")


class Bad(Exception):
    """A record the parser refuses."""


# ---- numbers and times of the raw records ----

class Money(int):
    """A JSON number with a fraction or an exponent, as cents (rounded
    half away from zero past the second decimal); -1 for a negative one
    and MAX_CENTS + 1 for one too large, both refused as money. Any other
    use of it (a count) is refused too, being no JSON integer."""


_money_cache = {}


def parse_float(text):
    m = _money_cache.get(text)
    if m is None:
        d = Decimal(text)
        if d < 0:
            m = Money(-1)
        elif d > MAX_CENTS:        # cheap bound before scaling a huge exponent
            m = Money(MAX_CENTS + 1)
        else:
            m = Money(int((d * 100).to_integral_value(ROUND_HALF_UP)))
        if len(_money_cache) < 100000:
            _money_cache[text] = m
    return m


def no_constant(text):
    raise ValueError(text)


_raw_decoder = json.JSONDecoder(parse_float=parse_float, parse_constant=no_constant)
scan_raw = _raw_decoder.scan_once        # (text, at) -> (value, end), no frames


def whole_line(line):
    """A line with blanks around its JSON text, decoded; None if no JSON."""
    try:
        return _raw_decoder.decode(line)
    except ValueError:
        return None


def money(v):
    """A money field's value as cents; Bad unless 0 to MAX_CENTS."""
    t = type(v)
    if t is Money:
        c = int(v)
    elif t is int:
        c = v * 100
    else:
        raise Bad()
    if not 0 <= c <= MAX_CENTS:
        raise Bad()
    return c


def quantity(v):
    if type(v) is not int or not 1 <= v <= MAX_QUANTITY:
        raise Bad()
    return v


TS_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):"
                   r"([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})",
                   re.ASCII)
# The usual form, "YYYY-MM-DDTHH:MM:SS.mmmZ", is read from two caches
# that parse_ts() fills: its first 16 characters -> (ms of that minute,
# its date), its last 8 -> ms into the minute.
MINUTES = {}
SECONDS = {":%02d.%03dZ" % (s, ms): s * 1000 + ms for s in range(60) for ms in range(1000)}
_day_cache = {}      # "YYYY-MM-DD" -> ms of its midnight UTC, or None


def day_ms(text):
    ms = _day_cache.get(text, False)
    if ms is False:
        try:
            ms = (date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal()
                  - EPOCH_ORD) * DAY_MS
        except ValueError:
            ms = None
        if len(_day_cache) < 100000:
            _day_cache[text] = ms
    return ms


def ms_day(ms):
    """The UTC date of ms, as "YYYY-MM-DD"."""
    return date.fromordinal(ms // DAY_MS + EPOCH_ORD).isoformat()


def parse_ts(text):
    """RFC 3339 text -> (ms since the epoch, its UTC date "YYYY-MM-DD"),
    as gm's parser reads it (fraction truncated to ms); None if bad."""
    m = TS_RE.fullmatch(text)
    if not m:
        return None
    base = day_ms(text[0:10])
    h, mi, s = int(m[4]), int(m[5]), int(m[6])
    if base is None or h > 23 or mi > 59 or s > 59:
        return None
    frac = m[7]
    minute = base + h * 3600000 + mi * 60000
    into = s * 1000
    if frac:
        into += int((frac + "00")[:3])
    zone = m[8]
    if zone in ("Z", "z"):
        if len(text) == 24 and text[10] == "T" and zone == "Z" and \
                len(MINUTES) < 1000000:
            MINUTES[text[:16]] = (minute, text[0:10])
        return minute + into, text[0:10]
    zh, zm = int(zone[1:3]), int(zone[4:6])
    if zh > 23 or zm > 59:
        return None
    off = (zh * 60 + zm) * 60000
    ms = minute + into + (-off if zone[0] == "+" else off)
    if not (date(1, 1, 1).toordinal() - EPOCH_ORD) * DAY_MS <= ms < \
            (date(9999, 12, 31).toordinal() + 1 - EPOCH_ORD) * DAY_MS:
        return None
    return ms, ms_day(ms)


def ts_text(ms):
    d = ms_day(ms)
    rest = ms % DAY_MS
    return "%sT%02d:%02d:%02d.%03dZ" % (d, rest // 3600000, rest // 60000 % 60,
                                        rest // 1000 % 60, rest % 1000)


def record_ts(ts):
    """A record's ts -> (ms, date); Bad unless a time."""
    if type(ts) is str:
        mc = MINUTES.get(ts[:16])
        so = SECONDS.get(ts[16:])
        if mc is not None and so is not None:
            return mc[0] + so, mc[1]
        t = parse_ts(ts)
        if t is not None:
            return t
    raise Bad()


def source(r, idname):
    """The fields every source event has (rtype.c's ANOMALY and
    SOURCE_COMMON) -> (id, ms, date, user_id); Bad when one is refused:
    a required string missing, null, of another kind or empty, or an
    optional one null or of another kind (the parser takes null for
    absent only in what it stores, not in what it reads)."""
    i, ts, user, sess, a = r[idname], r["ts"], r["user_id"], r["session_id"], \
        r.get("anomaly", "")
    if not (type(i) is type(user) is type(sess) is type(ts) is type(a) is str and
            i and user and sess):
        raise Bad()
    mc = MINUTES.get(ts[:16])           # record_ts(), inline: the hot path
    so = SECONDS.get(ts[16:])
    if mc is not None and so is not None:
        return i, mc[0] + so, mc[1], user
    ms, day = record_ts(ts)
    return i, ms, day, user


def strings(*values):
    """Bad unless every value is a non-empty string."""
    for v in values:
        if type(v) is not str or not v:
            raise Bad()


def div_half_away(n, d):
    """n / d (d > 0) rounded half away from zero, exactly."""
    q, rem = divmod(abs(n), d)
    if 2 * rem >= d:
        q += 1
    return q if n >= 0 else -q


# ---- periods ----

_period_cache = {}


def periods(day):
    """day "YYYY-MM-DD" -> (day, its ISO week's Monday, its month's first
    day), each "YYYY-MM-DD"."""
    p = _period_cache.get(day)
    if p is None:
        d = date.fromisoformat(day)
        p = (day, (d - timedelta(days=d.weekday())).isoformat(), day[0:8] + "01")
        _period_cache[day] = p
    return p


def previous(grain, start):
    d = date.fromisoformat(start)
    if grain == "day":
        return (d - timedelta(days=1)).isoformat()
    if grain == "week":
        return (d - timedelta(days=7)).isoformat()
    if d.month == 1:
        return date(d.year - 1, 12, 1).isoformat()
    return date(d.year, d.month - 1, 1).isoformat()


# ---- loading the raw events ----

class Raw:
    def __init__(self):
        self.skipped_type = 0      # records of other types
        self.skipped_bad = 0       # not JSON objects, or refused fields
        self.duplicates = 0
        self.seen = {"transaction": set(), "product_view": set(), "cart_event": set()}
        # (day, country, category) -> [revenue, units, transactions, users]
        self.sales = {}
        # (day, category, product) -> [views, adds, removes, units, revenue, transactions]
        self.perf = {}
        # user -> [orders, units, ltv, first, last, {country: [count, first ms]}]
        self.customers = {}
        self.catalog = {}          # product -> (ms, name, category, cents)
        self.priced = {}           # product -> (ms, id, category, cents): sale lines, carts
        self.viewed = {}           # product -> (ms, id, category): views
        self.days = set()
        self.countries = set()
        self.n_lines = 0
        self.total_cents = 0
        self.n_views = 0
        self.n_carts = 0

    def perf_cell(self, key):
        c = self.perf.get(key)
        if c is None:
            c = self.perf[key] = [0, 0, 0, 0, 0, set()]
        return c

    def transaction(self, r):
        tid, ms, day, user = source(r, "transaction_id")
        country, items = r["country"], r["items"]
        strings(country, r["payment_method"])
        if type(items) is not list or not items:
            raise Bad()
        lines = []
        for it in items:
            if type(it) is not dict:
                raise Bad()
            product, category = it["product_id"], it["category"]
            strings(product, category)
            lines.append((product, category, quantity(it["quantity"]),
                          money(it["unit_price"])))
        money(r["total_amount"])
        seen = self.seen["transaction"]
        if tid in seen:
            self.duplicates += 1
            return
        seen.add(tid)
        self.days.add(day)
        self.countries.add(country)
        units = cents = 0
        sales, priced = self.sales, self.priced
        for n, (product, category, q, price) in enumerate(lines, 1):
            amount = q * price
            units += q
            cents += amount
            c = sales.get((day, country, category))
            if c is None:
                c = sales[(day, country, category)] = [0, 0, set(), set()]
            c[0] += amount
            c[1] += q
            c[2].add(tid)
            c[3].add(user)
            p = self.perf_cell((day, category, product))
            p[3] += q
            p[4] += amount
            p[5].add(tid)
            old = priced.get(product)
            if old is None or ms > old[0] or ms == old[0] and "%s/%d" % (tid, n) > old[1]:
                priced[product] = (ms, "%s/%d" % (tid, n), category, price)
        self.n_lines += len(lines)
        self.total_cents += cents
        cu = self.customers.get(user)
        if cu is None:
            cu = self.customers[user] = [0, 0, 0, ms, ms, {}]
        cu[0] += 1
        cu[1] += units
        cu[2] += cents
        if ms < cu[3]:
            cu[3] = ms
        if ms > cu[4]:
            cu[4] = ms
        k = cu[5].get(country)
        if k is None:
            cu[5][country] = [1, ms]
        else:
            k[0] += 1
            if ms < k[1]:
                k[1] = ms

    def product_view(self, r):
        eid, ms, day, _ = source(r, "event_id")
        product, category, country, duration = (r["product_id"], r["category"],
                                                r["country"], r["duration_ms"])
        if not (type(product) is type(category) is type(country) is str and
                product and category and country and
                type(duration) is int and 0 <= duration <= MAX_DURATION):
            raise Bad()
        seen = self.seen["product_view"]
        n = len(seen)
        seen.add(eid)
        if len(seen) == n:
            self.duplicates += 1
            return
        self.days.add(day)
        self.countries.add(country)
        self.n_views += 1
        key = (day, category, product)
        c = self.perf.get(key)
        if c is None:
            c = self.perf[key] = [0, 0, 0, 0, 0, set()]
        c[0] += 1
        old = self.viewed.get(product)
        if old is None or ms > old[0] or ms == old[0] and eid > old[1]:
            self.viewed[product] = (ms, eid, category)

    def cart_event(self, r):
        eid, ms, day, _ = source(r, "event_id")
        product, category, action = r["product_id"], r["category"], r["action"]
        strings(product, category, action)
        quantity(r["quantity"])
        price = money(r["unit_price"])
        if action not in ("add", "remove"):
            raise Bad()
        seen = self.seen["cart_event"]
        if eid in seen:
            self.duplicates += 1
            return
        seen.add(eid)
        self.days.add(day)
        self.n_carts += 1
        self.perf_cell((day, category, product))[1 if action == "add" else 2] += 1
        old = self.priced.get(product)
        if old is None or ms > old[0] or ms == old[0] and eid > old[1]:
            self.priced[product] = (ms, eid, category, price)

    def product(self, r):
        ms, _ = record_ts(r["ts"])
        product, name, category = r["product_id"], r["name"], r["category"]
        strings(product, name, category)
        price = money(r["unit_price"])
        for v in (r["stock"], r.get("reorder_point", 0)):
            if type(v) is not int or not 0 <= v <= MAX_STOCK:
                raise Bad()
        old = self.catalog.get(product)
        if old is None or ms >= old[0]:         # a tie: the later in input
            self.catalog[product] = (ms, name, category, price)

    def read(self, path):
        handlers = {"transaction": self.transaction, "product_view": self.product_view,
                    "cart_event": self.cart_event, "product": self.product}
        with open(path, "rb") as f:
            gz = f.read(2) == b"\x1f\x8b"
        f = gzip.open(path, "rb") if gz else open(path, "rb")
        # Bytes that are not UTF-8 come through as lone surrogates, which
        # no JSON text read as UTF-8 has (an escape stays ASCII).
        text = io.TextIOWrapper(f, encoding="utf-8", errors="surrogateescape",
                                newline="\n")
        scan = scan_raw
        bad = 0
        with text:
            for line in text:
                try:
                    r, end = scan(line, 0)
                except StopIteration:
                    r, end = None, 0
                except ValueError:
                    r, end = None, 0
                if r is None or end != len(line) and line[end:].strip():
                    if line.strip():
                        r = whole_line(line)
                        if r is None:
                            bad += 1
                            continue
                    else:
                        continue
                if not line.isascii():
                    try:
                        line.encode("utf-8")
                    except UnicodeEncodeError:
                        bad += 1
                        continue
                if type(r) is not dict:
                    bad += 1
                    continue
                h = handlers.get(r.get("type"))
                if h is None:
                    t = r.get("type")
                    if type(t) is str and t:
                        self.skipped_type += 1
                    else:
                        bad += 1
                    continue
                try:
                    h(r)
                except (Bad, KeyError):     # KeyError: a required field missing
                    bad += 1
        self.skipped_bad += bad


# ---- the expected tables ----

# Field kinds: how a warehouse value is compared with the expected one.
STR, INT, BOOL, MONEY, RATE, TS = "str", "int", "bool", "money", "rate", "ts"
ABSENT = object()       # expected: the field is left out (not null)

TABLES = {
    "sales_trends": ("trend_id", [
        ("grain", STR), ("period_start", STR), ("country", STR), ("category", STR),
        ("revenue", MONEY), ("orders", INT), ("units", INT), ("customers", INT),
        ("avg_order_value", MONEY), ("growth", RATE)]),
    "product_performance": ("perf_id", [
        ("grain", STR), ("period_start", STR), ("category", STR), ("product_id", STR),
        ("views", INT), ("cart_adds", INT), ("cart_removes", INT), ("orders", INT),
        ("units", INT), ("revenue", MONEY), ("view_to_cart", RATE),
        ("cart_to_purchase", RATE), ("rank", INT)]),
    "dim_customer": ("user_id", [
        ("home_country", STR), ("first_purchase", TS), ("last_purchase", TS),
        ("orders", INT), ("units", INT), ("lifetime_value", MONEY)]),
    "dim_date": ("date_key", [
        ("date", STR), ("day", INT), ("day_of_week", INT), ("day_name", STR),
        ("week_start", STR), ("iso_year", INT), ("iso_week", INT), ("month", INT),
        ("month_name", STR), ("quarter", INT), ("year", INT), ("is_weekend", BOOL)]),
    "dim_geography": ("country", [("region", STR), ("currency", STR)]),
    "dim_product": ("product_id", [
        ("name", STR), ("category", STR), ("unit_price", MONEY), ("in_catalog", BOOL),
        ("updated", TS), ("updated_by", STR)]),
}
KINDS = {t: dict(fields, **{TABLES[t][0]: INT if t == "dim_date" else STR, "type": STR})
         for t, (_, fields) in TABLES.items()}


def rate(n, d):
    """n / d to 4 decimals as an integer of ten thousandths; None if d = 0."""
    return None if d == 0 else div_half_away(n * 10000, d)


def sales_trends(raw):
    acc = {}
    for (day, country, category), (rev, units, txs, users) in raw.sales.items():
        for grain, start in zip(GRAINS, periods(day)):
            for cut in ((country, category), (country, ALL), (ALL, category), (ALL, ALL)):
                key = (grain, start) + cut
                a = acc.get(key)
                if a is None:
                    a = acc[key] = [0, 0, set(), set()]
                a[0] += rev
                a[1] += units
                a[2].update(txs)
                a[3].update(users)
    rows = {}
    for (grain, start, country, category), (rev, units, txs, users) in acc.items():
        prev = acc.get((grain, previous(grain, start), country, category))
        growth = None
        if prev is not None and prev[0] != 0:
            growth = div_half_away((rev - prev[0]) * 10000, prev[0])
        tid = "/".join((grain, start, country, category))
        rows[tid] = {"type": "sales_trends", "trend_id": tid, "grain": grain,
                     "period_start": start, "country": country, "category": category,
                     "revenue": rev, "orders": len(txs), "units": units,
                     "customers": len(users),
                     "avg_order_value": div_half_away(rev, len(txs)), "growth": growth}
    return rows


def product_performance(raw):
    acc = {}
    for (day, category, product), cell in raw.perf.items():
        for grain, start in zip(GRAINS, periods(day)):
            for p in (product, ALL):
                key = (grain, start, category, p)
                a = acc.get(key)
                if a is None:
                    a = acc[key] = [0, 0, 0, 0, 0, set()]
                for i in range(5):
                    a[i] += cell[i]
                a[5].update(cell[5])
    rows = {}
    ranked = defaultdict(list)      # (grain, start, category or None) -> rows
    for (grain, start, category, product), (views, adds, removes, units, rev, txs) \
            in acc.items():
        pid = "/".join((grain, start, category, product))
        row = rows[pid] = {
            "type": "product_performance", "perf_id": pid, "grain": grain,
            "period_start": start, "category": category, "product_id": product,
            "views": views, "cart_adds": adds, "cart_removes": removes,
            "orders": len(txs), "units": units, "revenue": rev,
            "view_to_cart": rate(adds, views), "cart_to_purchase": rate(len(txs), adds)}
        ranked[(grain, start, None if product == ALL else category)].append(row)
    for (_, _, category), group in ranked.items():
        tie = "category" if category is None else "product_id"
        group.sort(key=lambda row: (-row["revenue"], row[tie]))
        for n, row in enumerate(group, 1):
            row["rank"] = n
    return rows


def dim_customer(raw):
    rows = {}
    for user, (orders, units, ltv, first, last, countries) in raw.customers.items():
        home = min(countries.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))[0]
        rows[user] = {"type": "dim_customer", "user_id": user, "home_country": home,
                      "first_purchase": first, "last_purchase": last, "orders": orders,
                      "units": units, "lifetime_value": ltv}
    return rows


def dim_date(raw):
    rows = {}
    for day in raw.days:
        d = date.fromisoformat(day)
        iso = d.isocalendar()
        key = d.year * 10000 + d.month * 100 + d.day
        rows[key] = {"type": "dim_date", "date_key": key, "date": day, "day": d.day,
                     "day_of_week": iso[2], "day_name": DAY_NAMES[iso[2] - 1],
                     "week_start": periods(day)[1], "iso_year": iso[0],
                     "iso_week": iso[1], "month": d.month,
                     "month_name": MONTH_NAMES[d.month - 1],
                     "quarter": (d.month - 1) // 3 + 1, "year": d.year,
                     "is_weekend": iso[2] >= 6}
    return rows


def dim_geography(raw):
    rows = {}
    for country in raw.countries:
        region, currency = GEOGRAPHY.get(country, ("Unknown", ABSENT))
        rows[country] = {"type": "dim_geography", "country": country,
                         "region": region, "currency": currency}
    return rows


def dim_product(raw):
    rows = {}
    products = set(raw.catalog) | set(raw.priced) | set(raw.viewed)
    for product in products:
        row = {"type": "dim_product", "product_id": product}
        if product in raw.catalog:
            ms, name, category, price = raw.catalog[product]
            row.update(name=name, category=category, unit_price=price,
                       in_catalog=True, updated=ms, updated_by=product)
        elif product in raw.priced:
            ms, by, category, price = raw.priced[product]
            row.update(name=ABSENT, category=category, unit_price=price,
                       in_catalog=False, updated=ms, updated_by=by)
        else:
            ms, by, category = raw.viewed[product]
            row.update(name=ABSENT, category=category, unit_price=ABSENT,
                       in_catalog=False, updated=ms, updated_by=by)
        rows[product] = row
    return rows


# ---- reading and comparing the warehouse ----

decode_table = json.JSONDecoder(parse_float=Decimal, parse_constant=no_constant).decode
CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")


class Diffs:
    """The differences found: those of value or presence, the first
    MAX_SHOWN of them kept; amounts right to the cent but not written
    with two decimals, counted apart (the first kept) so that they do not
    hide the others."""

    def __init__(self):
        self.n = 0
        self.shown = []
        self.n_format = 0
        self.first_format = None
        self.extra = {}         # (table, field) -> [rows, first key, its value]

    def add(self, table, key, field, expected, got):
        self.n += 1
        if self.n <= MAX_SHOWN:
            self.shown.append("%s %s %s: expected %s, got %s"
                              % (table, show_key(key), field, expected, got))

    def add_format(self, table, key, field, got):
        self.n_format += 1
        if self.first_format is None:
            self.first_format = "%s %s %s: got %s" % (table, show_key(key), field, got)

    def add_extra(self, table, key, field, got):
        e = self.extra.get((table, field))
        if e is None:
            self.extra[(table, field)] = [1, key, got]
        else:
            e[0] += 1

    def report(self):
        """Prints them; returns whether there were any."""
        for line in self.shown:
            print(line)
        if self.n > MAX_SHOWN:
            print("... %d differences in all" % self.n)
        for (table, field), (n, key, got) in self.extra.items():
            print("%s: field %s is not in the definitions, in %d rows, the first: "
                  "%s %s" % (table, field, n, show_key(key), show(None, got)))
        if self.n_format:
            print("%d amounts with more than two decimals, the first: %s"
                  % (self.n_format, self.first_format))
        return self.n + self.n_format + len(self.extra) > 0


def show_key(key):
    return str(key) if type(key) in (str, int) else json.dumps(key, default=str)


def show(kind, v):
    """A value as the checker says it: money and rates as decimals."""
    if v is ABSENT:
        return "(absent)"
    if v is None:
        return "null"
    if kind == MONEY and type(v) is int:
        return str(Decimal(v) * CENT)
    if kind == RATE and type(v) is int:
        return str(Decimal(v) * TEN_THOUSANDTH)
    if kind == TS and type(v) is int:
        return ts_text(v)
    if type(v) is Decimal:
        return str(v)
    return json.dumps(v, default=str)


def same(kind, expected, got):
    """Whether got, a warehouse value, equals expected (None: null)."""
    if expected is None or got is None:
        return expected is got
    if kind == STR:
        return type(got) is str and got == expected
    if kind == INT:
        return type(got) is int and got == expected
    if kind == BOOL:
        return got is expected
    if kind == MONEY:
        return type(got) in (int, Decimal) and got == Decimal(expected) * CENT
    if kind == RATE:
        return type(got) in (int, Decimal) and got == Decimal(expected) * TEN_THOUSANDTH
    t = parse_ts(got) if type(got) is str else None
    return t is not None and t[0] == expected


def compare_row(diffs, table, key, exp, got):
    kinds = KINDS[table]
    for field, kind in kinds.items():
        e = exp[field]
        if field not in got:
            if e is not ABSENT:
                diffs.add(table, key, field, show(kind, e), "(absent)")
            continue
        g = got[field]
        if e is ABSENT:
            diffs.add(table, key, field, "(absent)", show(kind, g))
        elif not same(kind, e, g):
            diffs.add(table, key, field, show(kind, e), show(kind, g))
        elif kind == MONEY and type(g) is Decimal and g.as_tuple().exponent < -2:
            diffs.add_format(table, key, field, g)
    for field in got:
        if field not in kinds:
            diffs.add_extra(table, key, field, got[field])


def table_lines(path, diffs, table, empty):
    """The non-blank lines of a table's file, numbered. A table with no
    rows may have no file; expected to have rows (not empty), its file
    missing or unreadable is a difference."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        if not empty:
            diffs.add(table, "-", "(file)", path, "(absent)")
        return
    except OSError as e:
        diffs.add(table, "-", "(file)", path, "unreadable: %s" % e.strerror)
        return
    with f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, line


def compare_table(diffs, wdir, table, expected):
    key_field = TABLES[table][0]
    seen = set()
    path = "%s/%s.ndjson" % (wdir, table)
    for n, line in table_lines(path, diffs, table, not expected):
        try:
            got = decode_table(line.decode("utf-8"))
        except ValueError:
            diffs.add(table, "line %d" % n, "(row)", "a JSON object", line[:60])
            continue
        if type(got) is not dict or key_field not in got:
            diffs.add(table, "line %d" % n, key_field, "present", "(absent)")
            continue
        key = got[key_field]
        try:
            exp = expected.get(key)
        except TypeError:           # an unhashable key
            exp = None
        if exp is None:
            diffs.add(table, show_key(key), "(row)", "(absent)", "present")
            continue
        if key in seen:
            diffs.add(table, show_key(key), "(row)", "once", "again at line %d" % n)
            continue
        seen.add(key)
        compare_row(diffs, table, key, exp, got)
    for key in sorted(set(expected) - seen):
        diffs.add(table, show_key(key), "(row)", "present", "(absent)")
    return len(expected)


AMOUNT_RE = re.compile(rb'"amount":\s*(-?[0-9][0-9.eE+-]*)')
CENTS_RE = re.compile(rb"-?[0-9]+(\.[0-9]{1,2})?")


def compare_facts(diffs, wdir, raw):
    """fact_sales by count and total amount; views and cart events by count."""
    n = 0
    total = Decimal(0)
    for ln, line in table_lines("%s/fact_sales.ndjson" % wdir, diffs, "fact_sales",
                                raw.n_lines == 0):
        n += 1
        m = AMOUNT_RE.search(line)
        try:
            total += Decimal(m[1].decode())
        except (TypeError, InvalidOperation):
            diffs.add("fact_sales", "line %d" % ln, "amount", "a number", "(absent)")
            continue
        if not CENTS_RE.fullmatch(m[1]):
            diffs.add_format("fact_sales", "line %d" % ln, "amount", m[1].decode())
    counts = {"fact_sales": (raw.n_lines, n)}
    if n == raw.n_lines:
        want = Decimal(raw.total_cents) * CENT
        if total != want:
            diffs.add("fact_sales", "(all)", "sum(amount)", want, total)
    for table, want in (("fact_product_views", raw.n_views),
                        ("fact_cart_events", raw.n_carts)):
        got = sum(1 for _ in table_lines("%s/%s.ndjson" % (wdir, table), diffs, table,
                                         want == 0))
        counts[table] = (want, got)
    for table, (want, got) in counts.items():
        if want != got:
            diffs.add(table, "(all)", "rows", want, got)
    return {t: want for t, (want, _) in counts.items()}


def main(argv):
    usage = "usage: etl-check.py -w DIR FILE...\n"
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        sys.stdout.write(usage)
        return 0
    if len(argv) < 4 or argv[1] != "-w":
        sys.stderr.write(usage)
        return 2
    wdir, files = argv[2], argv[3:]
    raw = Raw()
    for path in files:
        try:
            raw.read(path)
        except OSError as e:
            sys.stderr.write("etl-check.py: %s: %s\n" % (path, e.strerror or e))
            return 2
    skipped = raw.skipped_type + raw.skipped_bad
    print("skipped %d records (%d of other types, %d bad), %d duplicates"
          % (skipped, raw.skipped_type, raw.skipped_bad, raw.duplicates))
    diffs = Diffs()
    rows = {}
    for table, build in (("sales_trends", sales_trends),
                         ("product_performance", product_performance),
                         ("dim_customer", dim_customer), ("dim_date", dim_date),
                         ("dim_geography", dim_geography), ("dim_product", dim_product)):
        rows[table] = compare_table(diffs, wdir, table, build(raw))
    rows.update(compare_facts(diffs, wdir, raw))
    if diffs.report():
        return 1
    for table, n in rows.items():
        print("%s %d" % (table, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
