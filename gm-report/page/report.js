/*
 * gm-report's page: reads the data gm-report embedded (script#gm-data, its
 * shape in gm-report(1), DATA), and draws the dashboard from it. One pure
 * function computes every number the page shows from the data and the filter
 * (computeModel); render() puts that model into the DOM and the charts. Money stays in integer cents until it is printed.
 * Served by gm-report --listen, the page embeds null and fetches the data
 * from api/v1/data instead, then again every REFRESH_MS (see "served").
 */
'use strict';
(() => {
  const DAY_MS = 86400000;

  /* ================= numbers and dates ================= */

  /* "1234567" -> "1,234,567": a string of digits grouped by threes. */
  function group3(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  /* Cents as dollars, "1234.50", "" for null; integer arithmetic, so exact. */
  function centsPlain(cents) {
    if (cents == null) return '';
    const a = Math.round(Math.abs(cents));
    const frac = a % 100;
    return (cents < 0 ? '-' : '') + Math.floor(a / 100) + '.' + (frac < 10 ? '0' : '') + frac;
  }

  /* Cents for reading: "$1,234.50", "—" for null. */
  function centsShown(cents) {
    if (cents == null) return '—';
    const p = centsPlain(cents);
    const neg = p[0] === '-';
    const body = neg ? p.slice(1) : p;
    const dot = body.indexOf('.');
    return (neg ? '−' : '') + '$' + group3(body.slice(0, dot)) + body.slice(dot);
  }

  /* A short money label for chart axes: $1.2M, $350k, $90. */
  function dollarsShort(d) {
    const a = Math.abs(d);
    if (a >= 1e9) return '$' + (d / 1e9).toFixed(1) + 'B';
    if (a >= 1e6) return '$' + (d / 1e6).toFixed(1) + 'M';
    if (a >= 1e3) return '$' + (d / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return '$' + Math.round(d);
  }

  function intShown(n) {
    return n == null ? '—' : (n < 0 ? '−' : '') + group3(String(Math.abs(n)));
  }

  function ratioPlain(r) {
    return r == null ? '' : r.toFixed(4);
  }

  function percentShown(r) {
    return r == null ? '—' : (r * 100).toFixed(1) + '%';
  }

  /* A measure the data gives as a decimal (e.g. average recency): shown with one decimal. */
  function decShown(v) {
    if (v == null) return '—';
    const s = Math.abs(v).toFixed(1);
    return (v < 0 ? '−' : '') + group3(s.slice(0, -2)) + s.slice(-2);
  }

  /* a / b rounded down, for integers a >= 0, b > 0 below 2^53: corrected so
     that a quotient rounded up by the float division cannot slip through. */
  function idiv(a, b) {
    let q = Math.floor(a / b);
    if (q * b > a) q -= 1;
    else if ((q + 1) * b <= a) q += 1;
    return q;
  }

  /* Average order value in cents, rounded half away from zero, as the contract
     defines it; null without orders. */
  function aovCents(cents, orders) {
    if (!(orders > 0)) return null;
    const neg = cents < 0;
    const q = idiv(2 * Math.abs(cents) + orders, 2 * orders);
    return neg ? -q : q;
  }

  /* x / y in ten-thousandths, rounded half away from zero, from integers
     (BigInt, so revenue in the billions stays exact), as the API writes its
     ratios: not from a float quotient, which toFixed() would round on either
     side of a half. */
  function tenThousandths(x, y) {
    const num = BigInt(x);
    const den = BigInt(y);
    const an = num < 0n ? -num : num;
    const ad = den < 0n ? -den : den;
    const q = (an * 20000n + ad) / (2n * ad);
    return (num < 0n) !== (den < 0n) ? -Number(q) : Number(q);
  }

  /* (cur - prev) / prev in ten-thousandths; null when there is nothing to
     compare with. */
  function changeTenThousandths(cur, prev) {
    if (cur == null || prev == null || prev === 0) return null;
    return tenThousandths(BigInt(cur) - BigInt(prev), prev);
  }

  /* x / y to 4 decimals (tenThousandths); null unless y > 0. */
  function ratio4(x, y) {
    return y > 0 ? tenThousandths(x, y) / 10000 : null;
  }

  /* Ten-thousandths as a decimal with 4 places: 1250 -> "0.1250". */
  function tenThousandthsPlain(t) {
    if (t == null) return '';
    const a = Math.abs(t);
    return (t < 0 ? '-' : '') + Math.floor(a / 10000) + '.' + String(a % 10000).padStart(4, '0');
  }

  function dateMs(s) {
    return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10));
  }

  function msDate(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function isDate(s) {
    return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(dateMs(s));
  }

  /* The ISO week of a UTC midnight, "2026-W05": weeks start on Monday and
     belong to the year of their Thursday. */
  function isoWeek(ms) {
    const weekday = (new Date(ms).getUTCDay() + 6) % 7;
    const thursday = ms + (3 - weekday) * DAY_MS;
    const year = new Date(thursday).getUTCFullYear();
    const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
    return year + '-W' + String(week).padStart(2, '0');
  }

  /* ================= loading: the data into typed arrays, once ================= */

  /* Array-of-rows -> one Float64Array per field, for tight loops. */
  /*
   * A table of numbers as gm-report writes it (gm-report(1), DATA): rows
   * apart by a space; a row is its count of leading numbers the same as the
   * row before's, then the others apart by commas, all in base 36 with '-'
   * before a negative one; with none the same, the first is the row
   * before's first plus the number written. Decoded into width columns.
   */
  function decodeRows(text, width, what) {
    const str = text || '';
    let n = 0;
    if (str.length) { n = 1; for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) === 32) n++; }
    const cols = [];
    for (let j = 0; j < width; j++) cols.push(new Float64Array(n));
    const prev = new Float64Array(width);
    let i = 0;
    const number = () => {
      let neg = false;
      if (str.charCodeAt(i) === 45) { neg = true; i++; }
      const start = i;
      let v = 0;
      let ch;
      while (i < str.length && (ch = str.charCodeAt(i)) !== 44 && ch !== 32) { v = v * 36 + digit36(ch); i++; }
      if (i === start) throw new Error(what + ': a number missing in row ' + r);
      return neg ? -v : v;
    };
    let r = 0;
    for (; r < n; r++) {
      const same = number();
      if (same >= width) throw new Error(what + ': row ' + r + ' keeps ' + same + ' of ' + width + ' numbers');
      for (let j = same; j < width; j++) {
        if (str.charCodeAt(i) !== 44) throw new Error(what + ': row ' + r + ' is short');
        i++;
        const v = number();
        prev[j] = j === 0 ? prev[0] + v : v;
      }
      for (let j = 0; j < width; j++) cols[j][r] = prev[j];
      if (i < str.length) {
        if (str.charCodeAt(i) !== 32) throw new Error(what + ': row ' + r + ' is long');
        i++;
      }
    }
    return { n, cols };
  }

  function digit36(ch) {
    if (ch >= 48 && ch <= 57) return ch - 48;
    if (ch >= 97 && ch <= 122) return ch - 87;
    if (ch >= 65 && ch <= 90) return ch - 55;
    throw new Error('data: bad character ' + JSON.stringify(String.fromCharCode(ch)));
  }

  /*
   * The buyers' ENC strings decoded into flat arrays. Group g (a country and
   * segment) holds customers custFirst[g] .. custFirst[g+1]-1; customer u
   * holds purchase days pdFirst[u] .. pdFirst[u+1]-1, in day order; purchase
   * day p is day pdDay[p] with categories cat[catFirst[p] .. catFirst[p+1]-1].
   */
  function decodeBuyers(buyers, same) {
    const G = buyers.length;
    let chars = 0;
    for (const b of buyers) chars += b[2].length;
    // "0:0" is the shortest purchase day and one digit the shortest category,
    // each with a separator: these bound the counts without a first pass.
    const maxPd = Math.ceil(chars / 3) + 1;
    const maxCat = Math.ceil(chars / 2) + 1;
    const B = {
      groups: G,
      groupC: new Int32Array(G),
      groupS: new Int32Array(G),
      custFirst: new Int32Array(G + 1),
      pdFirst: new Int32Array(maxPd + 1),
      pdDay: new Int32Array(maxPd),
      catFirst: new Int32Array(maxPd + 1),
      cat: new Int32Array(maxCat),
    };
    let nu = 0;
    let np = 0;
    let nc = 0;
    for (let g = 0; g < G; g++) {
      const enc = buyers[g][2];
      const len = enc.length;
      B.groupC[g] = buyers[g][0];
      B.groupS[g] = buyers[g][1];
      B.custFirst[g] = nu;
      let i = 0;
      let before = 0; // the first day of the customer before, in this group
      while (i < len) {
        B.pdFirst[nu++] = np;
        let day = before;
        let firstOfCustomer = true;
        for (;;) {
          let v = 0;
          const start = i;
          let ch;
          while (i < len && (ch = enc.charCodeAt(i)) !== 58) { v = v * 36 + digit36(ch); i++; }
          if (i === start || i === len) throw new Error('buyers: a purchase day without ":"');
          i++;
          day += v;
          if (firstOfCustomer) { before = day; firstOfCustomer = false; }
          B.pdDay[np] = day;
          B.catFirst[np] = nc;
          for (;;) {
            let k = 0;
            const kStart = i;
            while (i < len && (ch = enc.charCodeAt(i)) !== 46 && ch !== 44 && ch !== 32) {
              k = k * 36 + digit36(ch);
              i++;
            }
            if (i === kStart) throw new Error('buyers: a purchase day without categories');
            B.cat[nc++] = k;
            if (i < len && enc.charCodeAt(i) === 46) { i++; continue; }
            break;
          }
          np++;
          if (i < len && enc.charCodeAt(i) === 44) { i++; continue; }
          break;
        }
        if (i < len) i++; // the space before the next customer
      }
    }
    B.custFirst[G] = nu;
    B.pdFirst[nu] = np;
    B.catFirst[np] = nc;
    B.customers = nu;
    B.purchaseDays = np;
    // A customer who bought in two countries is in two groups: "same"
    // names each later place by its first, and the count takes them once.
    B.canon = new Int32Array(nu).fill(-1);
    for (const [g1, i1, g2, i2] of same) {
      const first = B.custFirst[g1] + i1;
      const later = B.custFirst[g2] + i2;
      if (g1 >= G || g2 >= G || first >= B.custFirst[g1 + 1] || later >= B.custFirst[g2 + 1]) {
        throw new Error('same: no customer at ' + JSON.stringify([g1, i1, g2, i2]));
      }
      B.canon[first] = first;
      B.canon[later] = B.canon[first] >= 0 ? B.canon[first] : first;
    }
    return B;
  }

  /* Each day's period index for a grain, and the periods' labels. */
  function buildPeriods(days, day0, grain) {
    const of = new Int32Array(days.length);
    const labels = [];
    for (let i = 0; i < days.length; i++) {
      const key = grain === 'day' ? days[i]
        : grain === 'month' ? days[i].slice(0, 7)
          : isoWeek(day0 + i * DAY_MS);
      if (labels.length === 0 || labels[labels.length - 1] !== key) labels.push(key);
      of[i] = labels.length - 1;
    }
    return { of, labels };
  }

  /* The latest snapshot's segments, then those only older snapshots have. */
  function segmentNames(data) {
    const names = (data.segments || []).slice();
    const older = new Set();
    for (const s of data.snapshots || []) for (const r of s.rows) if (!names.includes(r[0])) older.add(r[0]);
    return names.concat([...older].sort(byBytes));
  }

  /* The parsed JSON -> what the model reads (the "db"). */
  function prepare(data) {
    const days = data.days || [];
    const day0 = days.length ? dateMs(days[0]) : 0;
    return {
      data,
      days,
      n: days.length,
      day0,
      countries: data.countries || [],
      regions: data.regions || [],
      categories: data.categories || [],
      segments: data.segments || [],
      products: data.products || [],
      sales: decodeRows(data.sales, 7, 'sales'),
      perf: decodeRows(data.perf, 8, 'perf'),
      productDays: decodeRows(data.product_days, 5, 'product_days'),
      buyers: decodeBuyers(data.buyers || [], data.same || []),
      periods: {
        day: buildPeriods(days, day0, 'day'),
        week: buildPeriods(days, day0, 'week'),
        month: buildPeriods(days, day0, 'month'),
      },
      snapshots: data.snapshots || [],
      segmentNames: segmentNames(data),
      migration: data.migration || [],
    };
  }

  /* Day index <-> date; indices may lie outside the data's days. */
  function dateOf(db, i) {
    return msDate(db.day0 + i * DAY_MS);
  }

  function dayIndex(db, s) {
    return Math.round((dateMs(s) - db.day0) / DAY_MS);
  }

  /* ================= the model: data + filter -> numbers (pure) ================= */

  /*
   * A filter is { from, to, country, category, segment, grain, pair }: from
   * and to are day indices (the range as chosen, so possibly beyond the
   * data), country/category/segment indices or -1 for all, pair a migration
   * index or -1 for the default one.
   */

  /* The current range clipped to the data, and the previous period: the
     same number of days just before `from`. */
  function rangeOf(n, from, to) {
    const len = to - from + 1;
    const lo = Math.max(from, 0);
    const hi = Math.min(to, n - 1);
    const plo = Math.max(from - len, 0);
    const phi = Math.min(from - 1, n - 1);
    return { from, to, len, lo, hi, plo, phi, empty: lo > hi, hasPrev: len > 0 && plo <= phi };
  }

  /* The whole data range counts as unbounded for what lies outside fact_sales'
     days (snapshots, alerts, sessions): "everything" must show all of them. */
  function dateBounds(db, f) {
    return {
      lo: db.n === 0 || f.from <= 0 ? null : dateOf(db, f.from),
      hi: db.n === 0 || f.to >= db.n - 1 ? null : dateOf(db, f.to),
    };
  }

  function inBounds(b, date) {
    return (b.lo == null || date >= b.lo) && (b.hi == null || date <= b.hi);
  }

  /* One pass over the sales rows: totals now and before, and the breakdowns. */
  function sumSales(db, f, r) {
    const N = db.n;
    const nC = db.countries.length;
    const nK = db.categories.length;
    const nS = db.segments.length;
    const [D, C, S, K, CENTS, ORDERS, UNITS] = db.sales.cols;
    const out = {
      cur: { cents: 0, orders: 0, units: 0 },
      prev: { cents: 0, orders: 0, units: 0 },
      dayCents: new Float64Array(N),
      dayOrders: new Float64Array(N),
      dayUnits: new Float64Array(N),
      countryCents: new Float64Array(nC),
      countryOrders: new Float64Array(nC),
      countryDayCents: new Float64Array(nC * N),
      segmentCents: new Float64Array(nS),
      catCents: new Float64Array(nK),
      catOrders: new Float64Array(nK),
      catUnits: new Float64Array(nK),
    };
    const kSel = f.category;
    for (let i = 0; i < db.sales.n; i++) {
      const d = D[i];
      const inCur = d >= r.lo && d <= r.hi;
      if (!inCur && !(d >= r.plo && d <= r.phi)) continue;
      const c = C[i];
      if (f.country >= 0 && c !== f.country) continue;
      if (f.segment >= 0 && S[i] !== f.segment) continue;
      const k = K[i];
      if (inCur && k >= 0) {
        out.catCents[k] += CENTS[i];
        out.catOrders[k] += ORDERS[i];
        out.catUnits[k] += UNITS[i];
      }
      if (k !== kSel) continue;
      const t = inCur ? out.cur : out.prev;
      t.cents += CENTS[i];
      t.orders += ORDERS[i];
      t.units += UNITS[i];
      if (!inCur) continue;
      out.dayCents[d] += CENTS[i];
      out.dayOrders[d] += ORDERS[i];
      out.dayUnits[d] += UNITS[i];
      out.countryCents[c] += CENTS[i];
      out.countryOrders[c] += ORDERS[i];
      out.countryDayCents[c * N + d] += CENTS[i];
      out.segmentCents[S[i]] += CENTS[i];
    }
    return out;
  }

  function hasCategory(B, p, k) {
    for (let j = B.catFirst[p], e = B.catFirst[p + 1]; j < e; j++) if (B.cat[j] === k) return true;
    return false;
  }

  /* Distinct customers now and before, by country, segment and trend period. */
  function countBuyers(db, f, r, periods) {
    const B = db.buyers;
    const p0 = r.empty ? 0 : periods.of[r.lo];
    const out = {
      cur: 0,
      prev: 0,
      byCountry: new Float64Array(db.countries.length),
      bySegment: new Float64Array(db.segments.length),
      byPeriod: new Float64Array(r.empty ? 0 : periods.of[r.hi] - p0 + 1),
    };
    const k = f.category;
    const first = Math.min(r.lo, r.plo);
    const seen = [];           // the customer's periods in the range
    const multi = new Map();   // customers of two groups, by first place
    for (let g = 0; g < B.groups; g++) {
      const c = B.groupC[g];
      const s = B.groupS[g];
      if ((f.country >= 0 && c !== f.country) || (f.segment >= 0 && s !== f.segment)) continue;
      for (let u = B.custFirst[g]; u < B.custFirst[g + 1]; u++) {
        let now = false;
        let before = false;
        let lastPeriod = -1;
        seen.length = 0;
        for (let p = B.pdFirst[u]; p < B.pdFirst[u + 1]; p++) {
          const d = B.pdDay[p];
          if (d > r.hi) break;
          if (d < first) continue;
          if (k >= 0 && !hasCategory(B, p, k)) continue;
          if (d >= r.lo) {
            now = true;
            const q = periods.of[d];
            if (q !== lastPeriod) { seen.push(q); lastPeriod = q; }
          } else if (d >= r.plo && d <= r.phi) {
            before = true;
          }
        }
        if (B.canon[u] >= 0) {
          // In two groups: merged by customer, counted once below.
          const m = multi.get(B.canon[u]) || { now: false, before: false, s, periods: new Set() };
          m.now = m.now || now;
          m.before = m.before || before;
          for (const q of seen) m.periods.add(q);
          multi.set(B.canon[u], m);
          if (now) out.byCountry[c]++;
          continue;
        }
        for (const q of seen) out.byPeriod[q - p0] += 1;
        if (now) { out.cur++; out.byCountry[c]++; out.bySegment[s]++; }
        if (before) out.prev++;
      }
    }
    for (const m of multi.values()) {
      for (const q of m.periods) out.byPeriod[q - p0] += 1;
      if (m.now) { out.cur++; out.bySegment[m.s]++; }
      if (m.before) out.prev++;
    }
    return out;
  }

  /* The category funnel over the range (all countries and segments). */
  function sumFunnel(db, r) {
    const nK = db.categories.length;
    const f = { views: new Float64Array(nK), adds: new Float64Array(nK), removes: new Float64Array(nK), orders: new Float64Array(nK) };
    const [D, K, V, A, R, O] = db.perf.cols;
    for (let i = 0; i < db.perf.n; i++) {
      if (D[i] < r.lo || D[i] > r.hi) continue;
      const k = K[i];
      f.views[k] += V[i];
      f.adds[k] += A[i];
      f.removes[k] += R[i];
      f.orders[k] += O[i];
    }
    return f;
  }

  function kpiOf(cur, prev, hasPrev) {
    return { value: cur, change: hasPrev ? changeTenThousandths(cur, prev) : null };
  }

  function kpis(sales, people, r) {
    const c = sales.cur;
    const p = sales.prev;
    return {
      revenue: kpiOf(c.cents, p.cents, r.hasPrev),
      orders: kpiOf(c.orders, p.orders, r.hasPrev),
      customers: kpiOf(people.cur, people.prev, r.hasPrev),
      avg_order_value: kpiOf(aovCents(c.cents, c.orders), aovCents(p.cents, p.orders), r.hasPrev),
    };
  }

  function trendOf(db, r, periods, sales, people) {
    const out = { labels: [], rows: [] };
    if (r.empty) return out;
    const p0 = periods.of[r.lo];
    const np = periods.of[r.hi] - p0 + 1;
    const cents = new Float64Array(np);
    const orders = new Float64Array(np);
    const units = new Float64Array(np);
    for (let d = r.lo; d <= r.hi; d++) {
      const q = periods.of[d] - p0;
      cents[q] += sales.dayCents[d];
      orders[q] += sales.dayOrders[d];
      units[q] += sales.dayUnits[d];
    }
    for (let q = 0; q < np; q++) {
      const label = periods.labels[p0 + q];
      out.labels.push(label);
      out.rows.push([label, cents[q], orders[q], units[q], people.byPeriod[q], aovCents(cents[q], orders[q])]);
    }
    return out;
  }

  /* Revenue of each country (or the chosen one) per trend period. */
  function countryTrendOf(db, f, r, periods, sales) {
    const series = [];
    if (r.empty) return series;
    const p0 = periods.of[r.lo];
    const np = periods.of[r.hi] - p0 + 1;
    db.countries.forEach((name, c) => {
      if (f.country >= 0 && c !== f.country) return;
      const v = new Float64Array(np);
      for (let d = r.lo; d <= r.hi; d++) v[periods.of[d] - p0] += sales.countryDayCents[c * db.n + d];
      series.push({ index: c, name, cents: Array.from(v) });
    });
    return series;
  }

  function countryRows(db, f, sales, people) {
    const rows = [];
    db.countries.forEach((name, c) => {
      if (f.country >= 0 && c !== f.country) return;
      const cents = sales.countryCents[c];
      const orders = sales.countryOrders[c];
      rows.push([name, db.regions[c] ?? 'Unknown', cents, orders, aovCents(cents, orders), people.byCountry[c]]);
    });
    return rows;
  }

  /* Competition rank by value, largest first: 1, 2, 2, 4. */
  function ranks(values) {
    return values.map((v) => 1 + values.filter((w) => w > v).length);
  }

  function categoryRows(db, f, sales, funnel) {
    const cents = Array.from(sales.catCents);
    const total = cents.reduce((a, b) => a + b, 0);
    const rank = ranks(cents);
    const rows = [];
    db.categories.forEach((name, k) => {
      if (f.category >= 0 && k !== f.category) return;
      const views = funnel.views[k];
      const adds = funnel.adds[k];
      rows.push([name, cents[k], ratio4(cents[k], total), sales.catOrders[k], sales.catUnits[k],
        views, adds, funnel.removes[k], ratio4(adds, views), ratio4(funnel.orders[k], adds), rank[k]]);
    });
    return rows;
  }

  function topProductRows(db, f, r) {
    const nP = db.products.length;
    const orders = new Float64Array(nP);
    const units = new Float64Array(nP);
    const cents = new Float64Array(nP);
    const seen = new Uint8Array(nP);
    const [D, P, O, U, CENTS] = db.productDays.cols;
    for (let i = 0; i < db.productDays.n; i++) {
      if (D[i] < r.lo || D[i] > r.hi) continue;
      const p = P[i];
      orders[p] += O[i];
      units[p] += U[i];
      cents[p] += CENTS[i];
      seen[p] = 1;
    }
    const list = [];
    for (let p = 0; p < nP; p++) {
      const k = db.products[p][2];
      if (seen[p] && (f.category < 0 || k === f.category)) list.push(p);
    }
    list.sort((a, b) => cents[b] - cents[a] || (db.products[a][0] < db.products[b][0] ? -1 : 1));
    return list.map((p, i) => {
      const [id, name, k] = db.products[p];
      return [i + 1, id, name, db.categories[k] ?? '', cents[p], units[p], orders[p]];
    });
  }

  function segmentCustomers(db, f, people) {
    const out = [];
    db.segments.forEach((name, s) => {
      if (f.segment >= 0 && s !== f.segment) return;
      if (f.segment < 0 && people.bySegment[s] === 0) return;
      out.push({ index: s, name, customers: people.bySegment[s] });
    });
    out.sort((a, b) => b.customers - a.customers || a.index - b.index);
    return out;
  }

  /* The migration shown: the chosen one, else the latest with as_of equal to
     the snapshot shown, from its most recent `since`. */
  function pickMigration(db, f, snapshot) {
    const m = db.migration;
    if (f.pair >= 0 && f.pair < m.length) return f.pair;
    if (!snapshot) return -1;
    let best = -1;
    m.forEach((x, i) => {
      if (x.as_of === snapshot.as_of && (best < 0 || x.since > m[best].since)) best = i;
    });
    return best;
  }

  /* The matrix: rows by from_segment, columns by to_segment; with a segment
     chosen, only its column (where its customers came from). */
  function migrationOf(db, f, index) {
    if (index < 0) return null;
    const mig = db.migration[index];
    const froms = [...new Set(mig.rows.map((x) => x[0]))].sort(byBytes);
    let tos = [...new Set(mig.rows.map((x) => x[1]))].sort(byBytes);
    if (f.segment >= 0) tos = tos.filter((t) => t === db.segments[f.segment]);
    const cell = new Map();
    for (const [a, b, n] of mig.rows) cell.set(a + '\u0000' + b, (cell.get(a + '\u0000' + b) || 0) + n);
    const rows = froms.map((a) => [a, ...tos.map((b) => cell.get(a + '\u0000' + b) || 0)]);
    return { index, as_of: mig.as_of, since: mig.since, tos, rows };
  }

  function byBytes(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /* The RFM part: the latest snapshot up to the range's end, the snapshots in
     the range, and the migration. */
  function rfmOf(db, f) {
    const b = dateBounds(db, f);
    // A snapshot's as_of is the day after the last day it counts: compare
    // the range with the day before as_of.
    const lastDay = (s) => msDate(dateMs(s.as_of) - DAY_MS);
    const upTo = db.snapshots.filter((s) => b.hi == null || lastDay(s) <= b.hi);
    const snapshot = upTo.length ? upTo[upTo.length - 1] : null;
    const over = db.snapshots.filter((s) => inBounds(b, lastDay(s)));
    const segName = f.segment >= 0 ? db.segments[f.segment] : null;
    const rows = snapshot ? snapshot.rows.filter((x) => segName == null || x[0] === segName)
      .map((x) => [x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]) : [];
    const names = [...new Set(over.flatMap((s) => s.rows.map((x) => x[0])))]
      .filter((n) => segName == null || n === segName).sort(byBytes);
    const overTime = {
      labels: over.map((s) => s.as_of),
      series: names.map((name) => ({
        name,
        values: over.map((s) => {
          const row = s.rows.find((x) => x[0] === name);
          return row ? row[1] : null;
        }),
      })),
    };
    const migration = migrationOf(db, f, pickMigration(db, f, snapshot));
    return { snapshot, rows, overTime, migration };
  }

  function streamRows(db, f) {
    const b = dateBounds(db, f);
    const d = db.data;
    const cat = f.category >= 0 ? db.categories[f.category] : null;
    return {
      alerts: d.alerts ? d.alerts.rows.filter((x) => inBounds(b, String(x[0]).slice(0, 10))) : null,
      inventory: d.inventory ? d.inventory.rows.filter((x) => cat == null || x[1] === cat) : null,
      sessions: d.sessions ? d.sessions.rows.filter((x) => inBounds(b, String(x[0]).slice(0, 10))) : null,
    };
  }

  /* Everything the page shows, for a filter. Pure: reads db and f only. */
  function computeModel(db, f) {
    const r = rangeOf(db.n, f.from, f.to);
    const periods = db.periods[f.grain];
    const sales = sumSales(db, f, r);
    const people = countBuyers(db, f, r, periods);
    const funnel = sumFunnel(db, r);
    return {
      filter: f,
      range: r,
      kpis: kpis(sales, people, r),
      trend: trendOf(db, r, periods, sales, people),
      countries: countryRows(db, f, sales, people),
      countryTrend: countryTrendOf(db, f, r, periods, sales),
      categories: categoryRows(db, f, sales, funnel),
      topProducts: topProductRows(db, f, r),
      segmentCustomers: segmentCustomers(db, f, people),
      rfm: rfmOf(db, f),
      streams: streamRows(db, f),
    };
  }

  /* ================= tables: sort, render, CSV ================= */

  const str = (v) => (v == null ? '' : String(v));

  /* A column type: how a value reads (shown), how it is exported and kept in
     data-value (plain), its cell class, whether it sorts as a number. */
  const TYPES = {
    text: { shown: str, plain: str },
    time: { shown: timeShown, plain: str },
    wrap: { shown: str, plain: str, cls: 'wrap' },
    badge: { shown: str, plain: str, badge: true },
    int: { shown: intShown, plain: str, cls: 'num', num: true },
    money: { shown: centsShown, plain: centsPlain, cls: 'num', num: true },
    ratio: { shown: percentShown, plain: ratioPlain, cls: 'num', num: true },
    dec: { shown: decShown, plain: str, cls: 'num', num: true },
  };

  /* An RFC 3339 UTC time for reading: "2026-04-30 14:33:21". */
  function timeShown(v) {
    if (v == null) return '';
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(String(v));
    return m ? m[1] + ' ' + m[2] : String(v);
  }

  function col(key, title, type) {
    return { key, title, type };
  }

  const COLUMNS = {
    trend: [col('period', 'Period', 'text'), col('revenue', 'Revenue', 'money'), col('orders', 'Orders', 'int'),
      col('units', 'Units', 'int'), col('customers', 'Customers', 'int'), col('avg_order_value', 'Avg order value', 'money')],
    countries: [col('country', 'Country', 'text'), col('region', 'Region', 'text'), col('revenue', 'Revenue', 'money'),
      col('orders', 'Orders', 'int'), col('avg_order_value', 'Avg order value', 'money'), col('customers', 'Customers', 'int')],
    categories: [col('category', 'Category', 'text'), col('revenue', 'Revenue', 'money'), col('share', 'Share', 'ratio'),
      col('orders', 'Orders', 'int'), col('units', 'Units', 'int'), col('views', 'Views', 'int'),
      col('cart_adds', 'Cart adds', 'int'), col('cart_removes', 'Cart removes', 'int'),
      col('view_to_cart', 'View → cart', 'ratio'), col('cart_to_purchase', 'Cart → purchase', 'ratio'), col('rank', 'Rank', 'int')],
    'top-products': [col('rank', 'Rank', 'int'), col('product_id', 'Product', 'text'), col('name', 'Name', 'text'),
      col('category', 'Category', 'text'), col('revenue', 'Revenue', 'money'), col('units', 'Units', 'int'), col('orders', 'Orders', 'int')],
    segments: [col('segment', 'Segment', 'text'), col('customers', 'Customers', 'int'), col('share', 'Share', 'ratio'),
      col('avg_recency_days', 'Avg recency (days)', 'dec'), col('avg_frequency', 'Avg frequency', 'dec'),
      col('avg_monetary', 'Avg monetary', 'money'), col('revenue', 'Revenue', 'money'), col('revenue_share', 'Revenue share', 'ratio')],
    migration: [col('from_segment', 'From \\ to', 'text')],
    'alert-counts': [col('kind', 'Kind', 'text'), col('severity', 'Severity', 'badge'), col('firing', 'Firing', 'int'),
      col('resolved', 'Resolved', 'int')],
    alerts: [col('ts', 'Time (UTC)', 'time'), col('kind', 'Kind', 'text'), col('severity', 'Severity', 'badge'),
      col('source', 'Source', 'text'), col('status', 'Status', 'badge'), col('summary', 'Summary', 'wrap')],
    inventory: [col('product_id', 'Product', 'text'), col('category', 'Category', 'text'), col('stock', 'Stock', 'int'),
      col('status', 'Status', 'badge')],
    sessions: [col('day', 'Day', 'text'), col('sessions', 'Sessions', 'int'), col('carts', 'With a cart add', 'int'),
      col('converted', 'Converted', 'int'), col('transactions', 'Transactions', 'int'), col('revenue', 'Revenue', 'money')],
  };

  /* The order tables open in: the column and direction (1 up, -1 down). */
  const DEFAULT_SORT = {
    trend: ['period', 1], countries: ['revenue', -1], categories: ['revenue', -1], 'top-products': ['rank', 1],
    segments: ['customers', -1], alerts: ['ts', -1], sessions: ['day', 1],
  };

  const tables = new Map();

  function initTable(name) {
    const el = document.querySelector(`table[data-table="${name}"]`);
    const t = { name, el, cols: COLUMNS[name], rows: [], shown: false, sort: null, heat: el.classList.contains('heatmap') };
    const def = DEFAULT_SORT[name];
    if (def) t.sort = { key: def[0], dir: def[1] };
    el.tHead.addEventListener('click', (e) => {
      const th = e.target.closest('th');
      if (th) sortBy(t, th.dataset.key);
    });
    tables.set(name, t);
    renderHead(t);
  }

  function renderHead(t) {
    const tr = document.createElement('tr');
    for (const c of t.cols) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.dataset.key = c.key;
      if (TYPES[c.type].num) th.className = 'num';
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort';
      b.textContent = c.title;
      th.append(b);
      tr.append(th);
    }
    t.el.tHead.replaceChildren(tr);
    markSort(t);
  }

  function markSort(t) {
    for (const th of t.el.tHead.querySelectorAll('th')) {
      if (t.sort && th.dataset.key === t.sort.key) th.setAttribute('aria-sort', t.sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  function sortBy(t, key) {
    t.sort = t.sort && t.sort.key === key ? { key, dir: -t.sort.dir } : { key, dir: 1 };
    markSort(t);
    renderBody(t);
  }

  /* Nulls last whichever the direction; numbers as numbers, text by code unit. */
  function sortedRows(t) {
    if (!t.sort) return t.rows;
    const i = t.cols.findIndex((c) => c.key === t.sort.key);
    if (i < 0) return t.rows;
    const dir = t.sort.dir;
    return t.rows.map((row, at) => ({ row, at })).sort((a, b) => {
      const x = a.row[i];
      const y = b.row[i];
      if (x == null || y == null || x === '' || y === '') {
        const xn = x == null || x === '';
        const yn = y == null || y === '';
        return xn === yn ? a.at - b.at : xn ? 1 : -1;
      }
      const c = x < y ? -1 : x > y ? 1 : 0;
      return c * dir || a.at - b.at;
    }).map((e) => e.row);
  }

  /* The heat map's colour for a share of the largest cell. */
  function heatStyle(td, v, max) {
    if (!(max > 0) || !(v > 0)) return;
    const a = 0.08 + 0.82 * (v / max);
    td.style.backgroundColor = `rgba(29, 78, 216, ${a.toFixed(3)})`;
    if (a > 0.5) td.classList.add('dark');
  }

  function renderBody(t) {
    const rows = sortedRows(t);
    let max = 0;
    if (t.heat) for (const r of rows) for (let j = 1; j < r.length; j++) max = Math.max(max, r[j]);
    const body = document.createDocumentFragment();
    for (const r of rows) {
      const tr = document.createElement('tr');
      t.cols.forEach((c, j) => {
        const type = TYPES[c.type];
        const td = document.createElement(j === 0 && t.heat ? 'th' : 'td');
        const v = r[j];
        if (j === 0 && t.heat) td.scope = 'row';
        if (type.cls) td.className = type.cls;
        td.dataset.value = type.plain(v);
        if (type.badge && v != null && v !== '') {
          const span = document.createElement('span');
          span.className = 'badge ' + String(v).replace(/[^a-z_-]/gi, '');
          span.textContent = type.shown(v);
          td.append(span);
        } else {
          td.textContent = type.shown(v);
        }
        if (t.heat && j > 0) {
          if (v === 0) td.classList.add('muted');
          heatStyle(td, v, max);
          if (c.key === r[0]) td.classList.add('diag');
        }
        tr.append(td);
      });
      body.append(tr);
    }
    t.el.tBodies[0].replaceChildren(body);
  }

  /* Rows of plain values, equal cell by cell. */
  function sameRows(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      if (a[i].length !== b[i].length) return false;
      for (let j = 0; j < a[i].length; j++) if (a[i][j] !== b[i][j]) return false;
    }
    return true;
  }

  /* New rows (and, for the migration matrix, new columns) for a table; the
     body is rebuilt only when they differ, as most filters leave most
     tables as they were. */
  function showRows(name, rows, cols) {
    const t = tables.get(name);
    let changed = !t.shown;
    if (cols && cols.map((c) => c.key).join('\u0000') !== t.cols.map((c) => c.key).join('\u0000')) {
      t.cols = cols;
      if (t.sort && !cols.some((c) => c.key === t.sort.key)) t.sort = null;
      renderHead(t);
      changed = true;
    }
    if (changed || !sameRows(rows, t.rows)) {
      t.rows = rows;
      t.shown = true;
      renderBody(t);
    }
    showEmpty(t.el.closest('.table-wrap'), rows.length === 0 ? 'Nothing in this range for the filters chosen.' : null);
  }

  /* A sentence after a block when it has nothing to show (null removes it). */
  function showEmpty(after, text) {
    let p = after.nextElementSibling;
    if (!p || !p.classList.contains('empty')) {
      if (text == null) return;
      p = document.createElement('p');
      p.className = 'empty';
      after.after(p);
    }
    p.hidden = text == null;
    if (text != null) p.textContent = text;
  }

  function csvField(s) {
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  /* A text that a spreadsheet opening the CSV would run as a formula (its
   * first character =, +, -, @, a tab or a CR: a product's name from the
   * catalog, an alert's text, a segment's name, in a cell or as a
   * column's name) gets a ' first, which shows it as text. Numbers are
   * the page's own and keep their sign. */
  function csvText(s) {
    return /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
  }

  /* RFC 4180: the header row of column names, then the rows as shown, CRLF. */
  function tableCsv(t) {
    const lines = [t.cols.map((c) => csvField(csvText(c.key))).join(',')];
    for (const r of sortedRows(t)) {
      lines.push(t.cols.map((c, j) => {
        const v = TYPES[c.type].plain(r[j]);
        return csvField(TYPES[c.type].num ? v : csvText(v));
      }).join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }

  /* A data: URL, not a blob:, so that the page asks for nothing but data: and file:. */
  function download(filename, text) {
    const a = document.createElement('a');
    a.href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(text);
    a.download = filename;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
  }

  /* ================= charts ================= */

  const PALETTE = ['#1d4ed8', '#0f9d58', '#e8710a', '#c5221f', '#7b1fa2', '#00838f', '#c2185b', '#689f38',
    '#6d4c41', '#546e7a', '#f9a825', '#3949ab'];

  function color(i) {
    return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
  }

  const charts = {};

  function canvasOf(name) {
    return document.querySelector(`figure[data-chart="${name}"] canvas`);
  }

  /* A tooltip item's value: doughnuts parse to a number, bars and lines to
     {x, y} with the value on the axis that is not the index. */
  function tooltipValue(ctx) {
    if (typeof ctx.parsed === 'number') return ctx.parsed;
    return ctx.chart.options.indexAxis === 'y' ? ctx.parsed.x : ctx.parsed.y;
  }

  function moneyTooltip(ctx) {
    return `${ctx.dataset.label}: ${centsShown(Math.round(tooltipValue(ctx) * 100))}`;
  }

  function countTooltip(ctx) {
    return `${ctx.dataset.label}: ${intShown(tooltipValue(ctx))}`;
  }

  const moneyAxis = { beginAtZero: true, ticks: { callback: (v) => dollarsShort(v) } };
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function barChart(name, horizontal, money) {
    const axis = money ? moneyAxis : countAxis;
    return new Chart(canvasOf(name), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: money ? 'Revenue' : 'Customers', data: [], backgroundColor: [], maxBarThickness: 44 }] },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: money ? moneyTooltip : countTooltip } } },
        scales: horizontal ? { x: axis, y: { ticks: { autoSkip: false } } } : { y: axis },
      },
    });
  }

  function makeCharts() {
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.responsive = true;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = '#4a5565';
    Chart.defaults.plugins.legend.labels.boxWidth = 12;

    charts.trend = new Chart(canvasOf('revenue-trend'), {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { type: 'line', label: 'Revenue', data: [], yAxisID: 'y', borderColor: PALETTE[0], backgroundColor: 'rgba(29,78,216,0.12)',
            fill: true, pointRadius: 0, pointHitRadius: 6, borderWidth: 2, tension: 0.2, order: 1 },
          { type: 'bar', label: 'Orders', data: [], yAxisID: 'y2', backgroundColor: 'rgba(232,113,10,0.35)', order: 2 },
        ],
      },
      options: {
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: (c) => (c.dataset.yAxisID === 'y' ? moneyTooltip(c) : countTooltip(c)) } },
        },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: moneyAxis,
          y2: { ...countAxis, position: 'right', grid: { drawOnChartArea: false } },
        },
      },
    });
    charts.segments = barChart('customers-by-segment', true, false);
    charts.countryRevenue = barChart('country-revenue', false, true);
    charts.countryTrend = new Chart(canvasOf('country-trend'), {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: moneyTooltip } } },
        scales: { x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } }, y: moneyAxis },
      },
    });
    charts.categoryRevenue = barChart('category-revenue', true, true);
    charts.categoryShare = new Chart(canvasOf('category-share'), {
      type: 'doughnut',
      data: { labels: [], datasets: [{ data: [], backgroundColor: [], borderWidth: 1 }] },
      options: {
        plugins: {
          legend: { position: 'right' },
          tooltip: { callbacks: { label: (c) => `${c.label}: ${percentShown(c.parsed)}` } },
        },
      },
    });
    charts.segmentSizes = barChart('segment-sizes', true, false);
    charts.segmentsOverTime = new Chart(canvasOf('segments-over-time'), {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: countTooltip } } },
        scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } },
      },
    });
  }

  /* Whether a chart already shows this content (so redrawing can be skipped);
     remembers it when not. */
  const chartContent = new WeakMap();

  function unchanged(chart, content) {
    const key = JSON.stringify(content);
    if (chartContent.get(chart) === key) return true;
    chartContent.set(chart, key);
    return false;
  }

  /* New labels and series for an existing chart; datasets keep their objects
     (and so their styles) when their label stays. */
  function setSeries(chart, labels, series) {
    if (unchanged(chart, [labels, series])) return;
    const old = new Map(chart.data.datasets.map((d) => [d.label, d]));
    chart.data.labels = labels;
    chart.data.datasets = series.map((s) => {
      const d = old.get(s.label) || { label: s.label };
      Object.assign(d, s);
      return d;
    });
    chart.update('none');
  }

  /* One-series charts (bars, doughnut): values and a colour per bar. */
  function setBars(chart, items) {
    if (unchanged(chart, items)) return;
    chart.data.labels = items.map((x) => x.label);
    const d = chart.data.datasets[0];
    d.data = items.map((x) => x.value);
    d.backgroundColor = items.map((x) => x.color);
    chart.update('none');
  }

  /* On a narrow screen the doughnut's legend goes under it. */
  function fitLegends() {
    const narrow = window.matchMedia('(max-width: 560px)').matches;
    const pos = narrow ? 'bottom' : 'right';
    if (charts.categoryShare.options.plugins.legend.position !== pos) {
      charts.categoryShare.options.plugins.legend.position = pos;
      charts.categoryShare.update('none');
    }
  }

  /* ================= render: the model into the page ================= */

  const $ = (sel) => document.querySelector(sel);

  let db = null;

  function renderKpis(m) {
    const r = m.range;
    for (const [key, k] of Object.entries(m.kpis)) {
      const card = document.querySelector(`[data-kpi="${key}"]`);
      const money = key === 'revenue' || key === 'avg_order_value';
      card.dataset.value = money ? centsPlain(k.value) : String(k.value ?? '');
      card.dataset.change = tenThousandthsPlain(k.change);
      card.querySelector('.kpi-value').textContent = money ? centsShown(k.value) : intShown(k.value);
      const ch = card.querySelector('.kpi-change');
      ch.classList.toggle('up', k.change > 0);
      ch.classList.toggle('down', k.change < 0);
      const span = r.len === 1 ? 'the day before' : `the ${intShown(r.len)} days before`;
      if (k.change != null) {
        const arrow = k.change > 0 ? '▲' : k.change < 0 ? '▼' : '■';
        ch.textContent = `${arrow} ${(Math.abs(k.change) / 100).toFixed(1)}% against ${span}`;
      } else {
        ch.textContent = r.hasPrev ? `— nothing to compare in ${span}` : '— no earlier days to compare';
      }
    }
  }

  function renderOverview(m) {
    renderKpis(m);
    const grain = m.filter.grain;
    for (const s of document.querySelectorAll('.grain-name')) s.textContent = grain === 'week' ? 'ISO week' : grain;
    showRows('trend', m.trend.rows);
    setSeries(charts.trend, m.trend.labels, [
      { label: 'Revenue', data: m.trend.rows.map((r) => r[1] / 100) },
      { label: 'Orders', data: m.trend.rows.map((r) => r[2]) },
    ]);
    setBars(charts.segments, m.segmentCustomers.map((s) => ({ label: s.name, value: s.customers, color: color(s.index) })));
  }

  function renderGeography(m) {
    showRows('countries', m.countries);
    const byRevenue = m.countries.map((r) => ({ label: r[0], value: r[2] / 100, color: color(db.countries.indexOf(r[0])) }))
      .sort((a, b) => b.value - a.value);
    setBars(charts.countryRevenue, byRevenue);
    setSeries(charts.countryTrend, m.trend.labels, m.countryTrend.map((s) => ({
      label: s.name, data: s.cents.map((c) => c / 100), borderColor: color(s.index), backgroundColor: color(s.index),
      pointRadius: 0, pointHitRadius: 6, borderWidth: 2, tension: 0.2,
    })));
  }

  function renderProducts(m) {
    showRows('categories', m.categories);
    showRows('top-products', m.topProducts);
    const items = m.categories.map((r) => ({ label: r[0], value: r[1] / 100, color: color(db.categories.indexOf(r[0])) }))
      .sort((a, b) => b.value - a.value);
    setBars(charts.categoryRevenue, items);
    setBars(charts.categoryShare, m.categories.filter((r) => r[2] != null)
      .map((r) => ({ label: r[0], value: r[2], color: color(db.categories.indexOf(r[0])) })));
  }

  /* A colour per segment name: its index in the latest snapshot's list, then
     the names only older snapshots have. */
  function segmentColor(name) {
    return color(db.segmentNames.indexOf(name));
  }

  function renderPairs(m) {
    const sel = $('#m-pair');
    const want = db.migration.map((x) => `${x.since} → ${x.as_of}`);
    if ([...sel.options].map((o) => o.textContent).join('\n') !== want.join('\n')) {
      sel.replaceChildren(...want.map((text, i) => new Option(text, String(i))));
    }
    const mig = m.rfm.migration;
    sel.value = mig ? String(mig.index) : '';
  }

  function renderCustomers(m) {
    const section = $('#customers');
    const none = db.snapshots.length === 0;
    setNoData(section, none ? 'No data: the warehouse has no customer segments yet (gm-rfm writes them).' : null);
    if (none) return;
    const rfm = m.rfm;
    $('#snapshot-label').textContent = rfm.snapshot
      ? `Snapshot as of ${rfm.snapshot.as_of}` + (db.snapshots.length > 1 ? ` (${db.snapshots.length} snapshots in all)` : '')
      : 'No snapshot up to the end of the range chosen.';
    showRows('segments', rfm.rows);
    setBars(charts.segmentSizes, rfm.rows.slice().sort((a, b) => b[1] - a[1])
      .map((r) => ({ label: r[0], value: r[1], color: segmentColor(r[0]) })));
    setSeries(charts.segmentsOverTime, rfm.overTime.labels, rfm.overTime.series.map((s) => ({
      label: s.name, data: s.values, backgroundColor: segmentColor(s.name), maxBarThickness: 90,
    })));
    renderPairs(m);
    const figure = $('figure[data-chart="migration-heatmap"]');
    const mig = rfm.migration;
    figure.querySelector('.migration-pick').hidden = db.migration.length === 0;
    const cols = [COLUMNS.migration[0], ...(mig ? mig.tos.map((t) => col(t, t, 'int')) : [])];
    showRows('migration', mig ? mig.rows : [], cols);
    if (!mig) {
      showEmpty(figure.querySelector('.table-wrap'), db.migration.length
        ? 'No migration ends at the snapshot shown: choose one above.'
        : 'No migration yet: gm-rfm compares two snapshots once it has them.');
    }
  }

  /* A section whose data is absent: its .no-data sentence instead of its
     blocks (null gives the blocks back). */
  function setNoData(section, text) {
    let p = section.querySelector(':scope > .no-data');
    for (const child of section.children) {
      if (child.tagName !== 'H2' && child !== p) child.hidden = text != null;
    }
    if (text == null) { if (p) p.remove(); return; }
    if (!p) {
      p = document.createElement('p');
      p.className = 'no-data';
      section.querySelector('h2').after(p);
    }
    p.textContent = text;
  }

  /* A stream section not given (null): how to give it. */
  const STREAM_HINT = {
    alerts: 'No data: gm-report was given no alerts. Give it --stream with the alerts of gm-txmon, gm-session '
      + 'and gm-inventory: their NDJSON file, or the PostgreSQL database whose alerts table they fill.',
    inventory: 'No data: gm-report was given no stock. Give it --stream with gm-inventory\'s inventory_status '
      + 'records: their NDJSON file, or the PostgreSQL database whose inventory_status table it fills.',
    sessions: 'No data: gm-report was given no sessions. Give it --stream with gm-session\'s session records: '
      + 'their NDJSON file, or the PostgreSQL database whose sessions table it fills.',
  };

  /* A stream section given, with no record of its kind in it. */
  const STREAM_NONE = {
    alerts: 'No alerts: the sources of --stream held none.',
    inventory: 'No stock: the sources of --stream held no inventory_status record.',
    sessions: 'No sessions: the sources of --stream held no session record.',
  };

  function renderStreams(m) {
    const d = db.data;
    for (const name of ['alerts', 'inventory', 'sessions']) {
      const section = document.getElementById(name);
      const rows = m.streams[name];
      setNoData(section, rows == null ? STREAM_HINT[name] : null);
      if (rows == null) continue;
      showRows(name, rows);
      if (d[name].rows.length === 0) showEmpty(tables.get(name).el.closest('.table-wrap'), STREAM_NONE[name]);
    }
    const a = d.alerts;
    if (a == null) return;
    const counts = a.counts || [];
    showRows('alert-counts', counts);
    if (counts.length === 0) showEmpty(tables.get('alert-counts').el.closest('.table-wrap'), STREAM_NONE.alerts);
    const total = a.total ?? a.rows.length;
    $('#alerts-listed').textContent = a.rows.length < total
      ? `The newest ${intShown(a.rows.length)} of the ${intShown(total)} alerts read, newest first.`
      : `The ${intShown(total)} ${total === 1 ? 'alert' : 'alerts'} read, newest first.`;
  }

  function renderSales(m) {
    const none = db.n === 0;
    for (const id of ['overview', 'geography', 'products']) {
      const section = document.getElementById(id);
      setNoData(section, none ? 'No data: the warehouse has no sales yet (gm-etl loads them into fact_sales).' : null);
    }
    renderOverview(m);
    renderGeography(m);
    renderProducts(m);
  }

  /* The notes that say a filter does not reach a block stand out while it is set. */
  function renderNotes(f) {
    const set = {
      range: $('#f-range').value !== 'all', country: f.country >= 0, category: f.category >= 0, segment: f.segment >= 0,
    };
    for (const note of document.querySelectorAll('.note[data-ignores]')) {
      note.classList.toggle('active', note.dataset.ignores.split(' ').some((k) => set[k]));
    }
  }

  function renderScope(m) {
    const f = m.filter;
    const r = m.range;
    if (db.n === 0) { $('#scope').textContent = 'No sales in the warehouse.'; return; }
    const parts = [`${dateOf(db, r.from)} to ${dateOf(db, r.to)} (${intShown(Math.max(r.len, 0))} ${r.len === 1 ? 'day' : 'days'})`];
    if (r.empty) parts.push('no sales days in this range');
    parts.push(f.country >= 0 ? db.countries[f.country] : 'all countries');
    parts.push(f.category >= 0 ? db.categories[f.category] : 'all categories');
    parts.push(f.segment >= 0 ? `segment ${db.segments[f.segment]}` : 'all segments');
    $('#scope').textContent = 'Showing ' + parts.join(' · ');
  }

  function renderMeta() {
    const d = db.data;
    $('#warehouse').textContent = d.warehouse ? '— ' + d.warehouse : '';
    document.title = 'gm-report' + (d.warehouse ? ' — ' + d.warehouse : '');
    const parts = [];
    if (db.n) parts.push(`Sales ${db.days[0]} to ${db.days[db.n - 1]} (${intShown(db.n)} days)`);
    if (d.as_of) parts.push(`RFM as of ${d.as_of}`);
    if (d.generated) parts.push(`generated ${generatedShown(d.generated)}`);
    $('#meta').textContent = parts.join(' · ');
  }

  function render(m) {
    renderScope(m);
    renderNotes(m.filter);
    renderSales(m);
    renderCustomers(m);
    renderStreams(m);
  }

  /* ================= the filter form ================= */

  let grainChosen = false; // the user picked a grain: stop choosing it from the range
  let pairChosen = -1; // the migration the user picked, or -1

  function fillSelect(id, names, allLabel, keep) {
    const sel = document.getElementById(id);
    sel.replaceChildren(new Option(allLabel, ''), ...names.map((n) => new Option(n, n)));
    sel.value = names.includes(keep) ? keep : '';
  }

  function fillFilters() {
    fillSelect('f-country', db.countries, 'All countries', $('#f-country').value);
    fillSelect('f-category', db.categories, 'All categories', $('#f-category').value);
    fillSelect('f-segment', db.segments, 'All segments', $('#f-segment').value);
    const first = db.n ? db.days[0] : '';
    const last = db.n ? db.days[db.n - 1] : '';
    for (const id of ['f-from', 'f-to']) {
      const input = document.getElementById(id);
      input.min = first;
      input.max = last;
      input.disabled = db.n === 0;
    }
    $('#f-range').disabled = db.n === 0;
  }

  /* A preset range into the date inputs: the last N days end at the last day. */
  function applyPreset(value) {
    if (db.n === 0) { $('#f-from').value = ''; $('#f-to').value = ''; return; }
    const last = db.n - 1;
    const from = value === 'all' ? 0 : last - Number(value) + 1;
    $('#f-from').value = dateOf(db, from);
    $('#f-to').value = db.days[last];
  }

  function readDay(id, fallback) {
    const v = document.getElementById(id).value;
    return isDate(v) ? dayIndex(db, v) : fallback;
  }

  function autoGrain(from, to) {
    return to - from + 1 <= 92 ? 'day' : 'week';
  }

  /* The form -> a filter (see computeModel). */
  function readFilter() {
    const from = readDay('f-from', 0);
    const to = readDay('f-to', db.n - 1);
    if (!grainChosen) $('#f-grain').value = autoGrain(from, to);
    const idx = (list, id) => list.indexOf(document.getElementById(id).value);
    return {
      from,
      to,
      country: idx(db.countries, 'f-country'),
      category: idx(db.categories, 'f-category'),
      segment: idx(db.segments, 'f-segment'),
      grain: $('#f-grain').value,
      pair: pairChosen < db.migration.length ? pairChosen : -1,
    };
  }

  function update() {
    render(computeModel(db, readFilter()));
  }

  /* After a change a test may wait for: re-render, then count. */
  function updateAndCount() {
    update();
    document.body.dataset.updates = String(Number(document.body.dataset.updates || '0') + 1);
  }

  function onFilterChange(e) {
    const id = e.target.id;
    if (id === 'f-range' && e.target.value !== 'custom') applyPreset(e.target.value);
    if (id === 'f-from' || id === 'f-to') $('#f-range').value = 'custom';
    if (id === 'f-grain') grainChosen = true;
    updateAndCount();
  }

  function resetFilters() {
    $('#f-range').value = 'all';
    for (const id of ['f-country', 'f-category', 'f-segment']) document.getElementById(id).value = '';
    grainChosen = false;
    pairChosen = -1;
    applyPreset('all');
    updateAndCount();
  }

  function onCsv(e) {
    const b = e.target.closest('button[data-csv]');
    if (!b) return;
    const t = tables.get(b.dataset.csv);
    download(t.name + '.csv', tableCsv(t));
  }

  /* ================= served: the data fetched from gm-report --listen ================= */

  /* How often the served page asks for the data again, unless the
     address says otherwise (#refresh=N, below). */
  const REFRESH_MS = 30000;

  /* The token and the period the address gives (#token=T&refresh=N), the
     pending fetch's timer, whether a fetch is under way and whether the
     address changed meanwhile. */
  const served = { token: null, refreshMs: REFRESH_MS, timer: 0, busy: false, again: false };

  /* The address's hash, "#token=T&refresh=N" (URL-encoded, either part
     alone): T is the bearer token of every request, N the seconds between
     two fetches (1 to 3600; for tests). A hash with neither (a section's
     link) changes nothing; returns whether it had one. */
  function readHash() {
    let seen = false;
    for (const part of location.hash.replace(/^#/, '').split('&')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const key = part.slice(0, eq);
      let value;
      try {
        value = decodeURIComponent(part.slice(eq + 1));
      } catch {
        continue; // a malformed escape: as if the part were not there
      }
      if (key === 'token') {
        served.token = value;
        seen = true;
      } else if (key === 'refresh' && /^[0-9]{1,4}$/.test(value) && +value >= 1 && +value <= 3600) {
        served.refreshMs = +value * 1000;
        seen = true;
      }
    }
    return seen;
  }

  /* Why an answer other than 200 failed, for the notice: the server's own
     message when its body is the API's error. */
  function statusReason(status, text) {
    if (status === 401) {
      return '401: the token is missing or wrong'
        + (served.token == null ? ' (add #token=TOKEN to the address)' : '');
    }
    let message = '';
    try {
      message = JSON.parse(text).error.message;
    } catch {
      // not the API's error body: the status alone
    }
    return String(status) + (message ? ': ' + message : '');
  }

  /* GET api/v1/data, relative to the page: resolves to the parsed data, or
     rejects with the reason to show. */
  async function fetchData() {
    const headers = {};
    if (served.token != null) {
      // fetch() takes header values of Latin-1 only, and the server
      // compares bytes: anything else cannot be the token.
      if (/[^\x20-\x7e]/.test(served.token)) throw new Error('the token of the address holds a character other than printable ASCII');
      headers.Authorization = 'Bearer ' + served.token;
    }
    let text;
    let res;
    try {
      res = await fetch('api/v1/data', { headers, cache: 'no-store' });
      text = await res.text();
    } catch (e) {
      throw new Error('no answer from the server (' + e.message + ')');
    }
    if (!res.ok) throw new Error(statusReason(res.status, text));
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new Error('the answer is not JSON (' + e.message + ')');
    }
    if (data === null || typeof data !== 'object' || !Array.isArray(data.days)) throw new Error('the answer is not the page\'s data');
    return data;
  }

  /* The notice of a failed fetch (null: none); what is shown stays. */
  function showServedError(reason) {
    const p = $('#served-error');
    p.hidden = reason == null;
    if (reason == null) { p.textContent = ''; return; }
    if (db) {
      p.textContent = `Could not refresh the data: ${reason}. Showing the data generated ${generatedShown(db.data.generated)}.`;
    } else {
      p.textContent = `Could not load the data: ${reason}.`;
      $('#meta').textContent = 'No data yet: asking again every ' + served.refreshMs / 1000 + ' s.';
    }
  }

  /* New data from the server: the first starts the page; a later one with
     another "generated" replaces the shown, the filters kept. */
  function acceptData(data) {
    if (db && data.generated === db.data.generated) return;
    let next;
    try {
      next = prepare(data);
    } catch (e) {
      throw new Error('the data cannot be read (' + e.message + ')');
    }
    if (db) replaceData(next);
    else begin(next);
  }

  async function refresh() {
    clearTimeout(served.timer);
    served.busy = true;
    try {
      acceptData(await fetchData());
      showServedError(null);
    } catch (e) {
      showServedError(e.message);
    }
    served.busy = false;
    if (served.again) {
      served.again = false;
      refresh();
      return;
    }
    served.timer = setTimeout(refresh, served.refreshMs);
  }

  /* A new token or period in the address: asked with at once. */
  function onHashChange() {
    if (!readHash()) return;
    if (served.busy) served.again = true;
    else refresh();
  }

  /* The sections' links would replace the hash, and with it the token a
     reload of the page needs: in served mode they scroll instead. */
  function onNavClick(e) {
    const a = e.target.closest('nav a[href^="#"]');
    const target = a && document.getElementById(a.getAttribute('href').slice(1));
    if (!target || served.token == null) return;
    e.preventDefault();
    target.scrollIntoView();
  }

  function startServed() {
    readHash();
    $('#meta').textContent = 'Loading the data…';
    window.addEventListener('hashchange', onHashChange);
    document.addEventListener('click', onNavClick);
    refresh();
  }

  /* The data replaced (served mode): the filters as the user left them,
     the names that are gone back to all, the days clipped to the new
     ones or, for a preset, its last days again; then redrawn and counted
     as a change of filter is. */
  function replaceData(next) {
    const pair = pairChosen >= 0 && pairChosen < db.migration.length ? db.migration[pairChosen] : null;
    db = next;
    pairChosen = pair ? db.migration.findIndex((m) => m.since === pair.since && m.as_of === pair.as_of) : -1;
    renderMeta();
    fillFilters();
    const range = $('#f-range').value;
    if (range === 'custom') clipDates();
    else applyPreset(range);
    document.body.dataset.generated = String(db.data.generated ?? '');
    updateAndCount();
  }

  /* The date inputs within the data's days (each alone, so that from
     stays before to). */
  function clipDates() {
    for (const id of ['f-from', 'f-to']) {
      const input = document.getElementById(id);
      if (db.n === 0) { input.value = ''; continue; }
      if (!isDate(input.value)) continue;
      const first = db.days[0];
      const last = db.days[db.n - 1];
      input.value = input.value < first ? first : input.value > last ? last : input.value;
    }
  }

  /* ================= start ================= */

  /* "2026-11-24 10:00:00 UTC" from an RFC 3339 time. */
  function generatedShown(g) {
    return String(g ?? '?').replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC');
  }

  function start() {
    const data = JSON.parse(document.getElementById('gm-data').textContent);
    if (data === null) startServed();
    else begin(prepare(data));
  }

  /* The page drawn from its first data, and its controls wired. */
  function begin(prepared) {
    db = prepared;
    renderMeta();
    fillFilters();
    applyPreset('all');
    for (const name of Object.keys(COLUMNS)) initTable(name);
    makeCharts();
    fitLegends();
    update();
    const form = $('#filters');
    form.addEventListener('change', onFilterChange);
    form.addEventListener('submit', (e) => e.preventDefault());
    $('#f-reset').addEventListener('click', resetFilters);
    $('#m-pair').addEventListener('change', (e) => { pairChosen = Number(e.target.value); updateAndCount(); });
    document.addEventListener('click', onCsv);
    window.addEventListener('resize', fitLegends);
    // Charts size themselves to the printed page, and back.
    window.addEventListener('beforeprint', () => { for (const c of Object.values(charts)) c.resize(); });
    window.addEventListener('afterprint', () => { for (const c of Object.values(charts)) c.resize(); });
    document.body.dataset.generated = String(db.data.generated ?? '');
    document.body.dataset.ready = '1';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
