// report-page.mjs [--timeout MS] [--allow-console RE] URL OUTDIR [STEPS.json]: drives gm-report's
// page (file:// or http://) in Debian's chromium, headless, through
// playwright-core, and checks it against its DOM contract (the data-ready,
// data-updates, data-kpi, filter, table and CSV rules of gm-report's page).
//
// It opens URL and waits for body[data-ready="1"] (at most --timeout ms,
// default 30000, as every other wait); then runs the steps of STEPS.json
// ('-': standard input), a JSON array of objects, in order. Each step may
// have a "name" (default: its kind and number; a csv step's, its table),
// and one of:
//
//   {"filter": {"range": "30", "from": "2026-10-05", "to": "2026-10-20",
//               "country": "UK", "category": "books", "segment": "Lost",
//               "grain": "week"}}
//        sets those controls (#f-range, #f-from, ..., #f-grain; names as
//        the page's options have them, "" for all), in the object's order,
//        each waiting for body[data-updates] to change (a control already
//        at its value is left alone); then prints its filters and KPIs.
//   {"reset": true}
//        clicks #f-reset, waits for a re-render, prints filters and KPIs.
//   {"csv": "trend", "header": ["period", "revenue", ...]}
//        clicks button[data-csv="trend"], takes the download (it must be
//        named trend.csv), saves it as OUTDIR/NAME.csv (the step's name)
//        and compares it with table[data-table="trend"] as shown: the
//        header with its th, each row with its tr (rows hidden by
//        display: none left out). The header must be "header", the
//        contract's names, when given (as many as the columns shown),
//        else the column titles. A cell matches when the CSV has its
//        text, or its data-value attribute, or, for a number the page
//        formats ("$1,234.50", "12.5%"), the number that rounds to it at
//        the decimals shown; "—" and "" match "". A text a spreadsheet
//        would run as a formula (=, +, -, @, a tab or a CR first) matches
//        only with a ' first (CSV injection). RFC 4180: CRLF or LF
//        line ends, quotes doubled, every record as wide as the header.
//   {"sort": "countries", "column": "revenue", "clicks": 2}
//        clicks the th of that title (compared as the CSV header is, see
//        below) clicks times (default 1), then checks its aria-sort and
//        that the column is in that order.
//   {"screenshots": ""}
//        saves each section[id] as OUTDIR/ID.png (ID-SUFFIX.png when the
//        value is a non-empty SUFFIX); the seven sections of the contract
//        must all be there.
//   {"viewport": [390, 844]}
//        resizes the page; it must not scroll sideways (its tables may).
//   {"print": true}
//        in print media, the filters' controls (#filters' select, input
//        and button, #f-grain) and the CSV buttons must be hidden, and
//        every section but the last must break the page after it; screen
//        media after.
//   {"no_data": ["alerts", "sessions"]}
//        each of these sections must show a .no-data with a sentence.
//   {"api": true}
//        for a served page (gm-report --listen): asks the page's server's
//        API (/api/v1/..., with the token of the page's #token= when it
//        has one) for the filter the controls show (from, to, country,
//        category, segment, grain, limit 1000), and compares what it
//        answers with the page: the KPI cards' data-value and data-change
//        with kpis; each table's shown cells (their data-value, by the
//        th's data-key) with the rows of its endpoint, in order: trend
//        (sales_trends), countries, categories and top-products
//        (products), segments, migration, alerts and alert-counts,
//        inventory, sessions. Numbers compare as numbers ("1234.50" is
//        1234.5), null as "".
//   {"exec": ["sh", "-c", "..."]}
//        runs the command to its end (it must exit 0): a test changes
//        what the server serves while the page stays open.
//   {"refreshed": true}
//        waits for body[data-generated] to change from what it was when
//        the page loaded or last refreshed (the served page's data came
//        again, changed), then prints filters and KPIs.
//   {"hash": "#token=T&refresh=1"}
//        sets the page's location.hash (a served page reads its token
//        and refresh period there), without reloading it.
//   {"served_error": "401"}
//        waits for #served-error, the served page's notice of a fetch
//        that failed, to be shown with the string in it (null: to be
//        hidden, the notice gone), then prints it (served_error NAME
//        TEXT, "-" when hidden), the filters and the KPIs.
//
// A column title is compared as its words lowercased and joined by "_",
// so that "Avg order value" is avg_order_value, and so is a CSV's header
// with "header".
//
// It prints on standard output, one line each:
//   tti MS                       navigation start to data-ready, in ms
//   kpis NAME {"revenue":"1234.50","orders":"12","customers":"9",
//              "avg_order_value":"102.88"}
//                                the cards' data-value, in this order,
//                                after loading (NAME load) and each filter
//   changes NAME {...}           their data-change, the same way
//   filters NAME {"range":...,"from":...,"to":...,"country":...,
//                 "category":...,"segment":...,"grain":...}
//                                the controls' values, before each kpis
//   csv NAME ROWS                a CSV that equals its table
//   sorted NAME COLUMN ascending|descending
//   screenshot PATH
//   api NAME TABLES              the API agreed with the page, on TABLES
//                                tables with rows
//   served_error NAME TEXT       the notice shown, or -
// and exits 0; or names every failure on standard error and exits 1.
// Failures: a console message of type error (but one that --allow-console's
// regular expression matches, as a served page's failed fetch that a test
// causes logs one), an uncaught page error, a
// request to a URL other than file:, data:, blob: or (for an http(s)
// page) the page's origin (it is aborted, never sent), a KPI missing or
// not in the contract's form, any step's check. 2: a usage error.
//
// playwright-core is imported from $GM_PLAYWRIGHT_DIR (default
// /opt/gm/playwright, as scripts/install-deps installs it); the browser
// is $GM_CHROMIUM (default /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const usage = 'usage: report-page.mjs [--timeout MS] [--allow-console RE] URL OUTDIR [STEPS.json]\n';
const SECTIONS = ['overview', 'geography', 'products', 'customers', 'alerts', 'inventory', 'sessions'];
const KPIS = ['revenue', 'orders', 'customers', 'avg_order_value'];
const KPI_FORM = {
	revenue: /^[0-9]+\.[0-9]{2}$/,
	orders: /^[0-9]+$/,
	customers: /^[0-9]+$/,
	avg_order_value: /^([0-9]+\.[0-9]{2})?$/,
};
const CHANGE_FORM = /^(-?[0-9]+\.[0-9]{4})?$/;
const CONTROLS = {
	range: '#f-range', from: '#f-from', to: '#f-to', country: '#f-country',
	category: '#f-category', segment: '#f-segment', grain: '#f-grain',
};

let args = process.argv.slice(2);
let timeout = 30000;
let allowConsole = null;
for (;;) {
	if (args[0] === '--timeout') {
		timeout = Number(args[1]);
		args = args.slice(2);
	} else if (args[0] === '--allow-console' && args.length > 1) {
		try {
			allowConsole = new RegExp(args[1]);
		} catch (e) {
			process.stderr.write(`report-page: --allow-console: ${e.message}\n`);
			process.exit(2);
		}
		args = args.slice(2);
	} else {
		break;
	}
}
if (args[0] === '-h' || args[0] === '--help') {
	process.stdout.write(usage);
	process.exit(0);
}
if (args.length < 2 || args.length > 3 || !(timeout > 0)) {
	process.stderr.write(usage);
	process.exit(2);
}
const [url, outdir, stepsFile] = args;
let steps = [];
try {
	if (stepsFile !== undefined)
		steps = JSON.parse(readFileSync(stepsFile === '-' ? 0 : stepsFile, 'utf8'));
	if (!Array.isArray(steps))
		throw new Error('not a JSON array');
} catch (e) {
	process.stderr.write(`report-page: ${stepsFile}: ${e.message}\n`);
	process.exit(2);
}
mkdirSync(outdir, { recursive: true });

const pwDir = process.env.GM_PLAYWRIGHT_DIR || '/opt/gm/playwright';
const { chromium } = await import(pathToFileURL(`${pwDir}/node_modules/playwright-core/index.mjs`).href);

const failures = [];
const fail = (msg) => failures.push(msg);
const say = (line) => process.stdout.write(line + '\n');

// allowed(u): whether the page may load u: its own file, inline data, or
// the server it came from; nothing of the network beyond.
const pageUrl = new URL(url);
const served = pageUrl.protocol === 'http:' || pageUrl.protocol === 'https:';
function allowed(u) {
	const p = new URL(u);
	if (p.protocol === 'file:' || p.protocol === 'data:' || p.protocol === 'blob:')
		return true;
	return served && p.origin === pageUrl.origin;
}

// ---- the steps ----

const updates = (page) => page.evaluate(() => document.body.dataset.updates);

// waitUpdate: until data-updates moves from before, then until it has
// held still for 100 ms, so that a second re-render of the same change
// (input and change events, say) is not taken for the next one's.
async function waitUpdate(page, before, what) {
	try {
		await page.waitForFunction((b) => document.body.dataset.updates !== b, before, { timeout });
	} catch {
		throw new Error(`no re-render (data-updates stayed ${before}) after ${what}`);
	}
	for (let n = await updates(page); ;) {
		await page.waitForTimeout(100);
		const m = await updates(page);
		if (m === n)
			break;
		n = m;
	}
}

async function filterStep(page, name, filter) {
	for (const [key, value] of Object.entries(filter)) {
		const sel = CONTROLS[key];
		if (!sel)
			throw new Error(`no filter ${key}`);
		const el = page.locator(sel);
		if (await el.inputValue() === String(value))
			continue;
		const before = await updates(page);
		if (await el.evaluate((e) => e.tagName) === 'SELECT') {
			const values = await el.evaluate((e) => [...e.options].map((o) => o.value));
			if (!values.includes(String(value)))
				throw new Error(`${sel} has no option "${value}" (${values.join(', ')})`);
			await el.selectOption(String(value));
		} else {
			// fill() of a date input sets it and fires input and change.
			await el.fill(String(value));
		}
		await waitUpdate(page, before, `${sel} = ${value}`);
	}
	await printState(page, name);
}

async function resetStep(page, name) {
	const before = await updates(page);
	await page.locator('#f-reset').click();
	await waitUpdate(page, before, '#f-reset');
	await printState(page, name);
}

// printState: the filters and the KPI cards, checked for the
// contract's forms.
async function printState(page, name) {
	const f = {};
	for (const [key, sel] of Object.entries(CONTROLS))
		f[key] = await page.locator(sel).inputValue();
	say(`filters ${name} ${JSON.stringify(f)}`);
	const cards = await page.evaluate(() => [...document.querySelectorAll('[data-kpi]')]
		.map((e) => [e.dataset.kpi, e.getAttribute('data-value'), e.getAttribute('data-change')]));
	const kpis = {}, changes = {};
	for (const k of KPIS) {
		const card = cards.filter((c) => c[0] === k);
		if (card.length !== 1) {
			fail(`${name}: ${card.length} cards of data-kpi="${k}"`);
			continue;
		}
		const [, value, change] = card[0];
		kpis[k] = value;
		changes[k] = change;
		if (value === null || !KPI_FORM[k].test(value))
			fail(`${name}: ${k}'s data-value is ${JSON.stringify(value)}`);
		if (change === null || !CHANGE_FORM.test(change))
			fail(`${name}: ${k}'s data-change is ${JSON.stringify(change)}`);
	}
	say(`kpis ${name} ${JSON.stringify(kpis)}`);
	say(`changes ${name} ${JSON.stringify(changes)}`);
}

// title: a column title as compared: its words, lowercased, joined by _.
const title = (t) => t.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join('_');

// tableCells: the table's header titles and shown rows, each cell as
// [its text, its data-value attribute or null]. Text hidden from
// assistive technology (a sort arrow) is not part of it.
function tableCells(page, table) {
	return page.evaluate((table) => {
		const t = document.querySelector(`table[data-table="${table}"]`);
		if (!t)
			return null;
		const text = (c) => {
			const copy = c.cloneNode(true);
			copy.querySelectorAll('[aria-hidden="true"]').forEach((e) => e.remove());
			return [copy.textContent.replace(/\s+/g, ' ').trim(), c.getAttribute('data-value')];
		};
		const heads = t.tHead ? t.tHead.rows : [];
		const head = heads.length ? [...heads[heads.length - 1].cells].map(text) : [];
		const rows = [];
		for (const body of t.tBodies)
			for (const r of body.rows)
				if (!r.hidden && getComputedStyle(r).display !== 'none')
					rows.push([...r.cells].map(text));
		return { head, rows };
	}, table);
}

// parseCsv: RFC 4180 text -> records of fields; throws on a quote out
// of place. A UTF-8 BOM and a last line end are allowed.
function parseCsv(text) {
	if (text.startsWith('\uFEFF'))
		text = text.slice(1);
	const records = [];
	let rec = [], field = '', i = 0, quoted = false, started = false;
	const endField = () => { rec.push(field); field = ''; quoted = false; started = false; };
	while (i < text.length) {
		const c = text[i];
		if (quoted) {
			if (c === '"') {
				if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
				quoted = false;
				i++;
				if (i < text.length && !',\r\n'.includes(text[i]))
					throw new Error(`a character after a closing quote at ${i}`);
				continue;
			}
			field += c;
			i++;
			continue;
		}
		if (c === '"') {
			if (started || field !== '')
				throw new Error(`a quote inside an unquoted field at ${i}`);
			quoted = true;
			started = true;
			i++;
		} else if (c === ',') {
			endField();
			i++;
		} else if (c === '\r' || c === '\n') {
			endField();
			records.push(rec);
			rec = [];
			i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
		} else {
			field += c;
			started = true;
			i++;
		}
	}
	if (quoted)
		throw new Error('a quoted field not closed');
	if (started || field !== '' || rec.length)
		endField(), records.push(rec);
	return records;
}

// sameCell: whether a CSV field is what the page shows, [text, value].
// A text a spreadsheet would run as a formula (=, +, -, @, a tab or a
// CR first), not a number, must be written with a ' first.
function sameCell(csv, [text, value]) {
	const m = /^([-−+]?)[^\d.,\s%+\-−]*\s?([\d,]*\.?\d+)\s?(%?)$/u.exec(text);
	if (!m && /^[=+\-@\t\r]/.test(text) && text !== '-')
		return csv === "'" + text;
	if (csv === text || (value !== null && csv === value))
		return true;
	if (csv === '' && /^[—–-]?$/.test(text))
		return true;
	if (!m || !/^-?[0-9]+(\.[0-9]+)?$/.test(csv))
		return false;
	const shown = Number(m[2].replace(/,/g, '')) * (m[1] && m[1] !== '+' ? -1 : 1);
	const decimals = (m[2].split('.')[1] || '').length;
	const n = Number(csv) * (m[3] ? 100 : 1);
	return Math.abs(n - shown) <= 0.5 * 10 ** -decimals + 1e-9;
}

async function csvStep(page, name, step) {
	const table = step.csv;
	const button = page.locator(`button[data-csv="${table}"]`);
	if (await button.count() !== 1)
		throw new Error(`${await button.count()} button[data-csv="${table}"]`);
	const [download] = await Promise.all([page.waitForEvent('download', { timeout }), button.click()]);
	if (download.suggestedFilename() !== `${table}.csv`)
		fail(`${name}: the download is named ${download.suggestedFilename()}, not ${table}.csv`);
	const path = `${outdir}/${name}.csv`;
	await download.saveAs(path);
	const records = parseCsv(readFileSync(path, 'utf8'));
	const dom = await tableCells(page, table);
	if (!dom)
		throw new Error(`no table[data-table="${table}"]`);
	const bad = [];
	if (!records.length)
		bad.push('the CSV is empty');
	const [head = [], ...rows] = records;
	// The header: the names asked for, or the table's column titles.
	if (step.header) {
		if (head.map(title).join(',') !== step.header.join(','))
			bad.push(`header ${JSON.stringify(head)}, want ${JSON.stringify(step.header)}`);
		if (head.length !== dom.head.length)
			bad.push(`${head.length} columns, the table ${dom.head.length}`);
	} else if (head.length !== dom.head.length ||
		head.some((h, j) => h !== dom.head[j][0] && title(h) !== title(dom.head[j][0]))) {
		bad.push(`header ${JSON.stringify(head)}, the table's ${JSON.stringify(dom.head.map((c) => c[0]))}`);
	}
	if (rows.length !== dom.rows.length)
		bad.push(`${rows.length} rows, the table ${dom.rows.length}`);
	for (const [r, rec] of rows.entries()) {
		if (rec.length !== head.length)
			bad.push(`row ${r + 1}: ${rec.length} fields, the header ${head.length}`);
		const cells = dom.rows[r] || [];
		for (const [j, v] of rec.entries())
			if (j >= cells.length || !sameCell(v, cells[j]))
				bad.push(`row ${r + 1} ${head[j] ?? j}: CSV ${JSON.stringify(v)}, table ${JSON.stringify(cells[j] ? cells[j][0] : null)}`);
		if (bad.length > 10)
			break;
	}
	if (bad.length)
		fail(`${name}: ${path} is not the table ${table}: ${bad.slice(0, 10).join('; ')}`);
	else
		say(`csv ${name} ${rows.length}`);
}

async function sortStep(page, name, step) {
	const th = page.locator(`table[data-table="${step.sort}"] thead th`);
	const titles = (await th.allTextContents()).map((t) => title(t));
	const j = titles.indexOf(title(step.column));
	if (j < 0)
		throw new Error(`no column ${step.column} in ${step.sort} (${titles.join(', ')})`);
	let dir = null;
	for (let n = 0; n < (step.clicks ?? 1); n++) {
		const was = await th.nth(j).getAttribute('aria-sort');
		await th.nth(j).click();
		try {
			await page.waitForFunction(([t, j, was]) => {
				const a = document.querySelectorAll(`table[data-table="${t}"] thead th`)[j].getAttribute('aria-sort');
				return a !== was && (a === 'ascending' || a === 'descending');
			}, [step.sort, j, was], { timeout });
		} catch {
			throw new Error(`a click on ${step.column} left its aria-sort ${was}`);
		}
		dir = await th.nth(j).getAttribute('aria-sort');
	}
	const dom = await tableCells(page, step.sort);
	const col = dom.rows.map((r) => (r[j][1] ?? r[j][0]));
	const blank = (s) => s === '' || s === '—';
	const num = (s) => Number(s.replace('−', '-').replace(/[^\d.eE+-]/g, ''));
	const numeric = col.every((s) => blank(s) || /^[-−]?[^\d-−]*[\d,]*\.?\d+\s?%?$/.test(s));
	// Text in either order a page may choose: the locale's or the
	// code units'.
	const orders = numeric ? [(a, b) => num(a) - num(b)]
		: [(a, b) => a.localeCompare(b), (a, b) => (a < b ? -1 : a > b ? 1 : 0)];
	const inOrder = (cmp) => col.every((v, r) => r === 0 || blank(v) || blank(col[r - 1]) ||
		(dir === 'ascending' ? cmp(col[r - 1], v) <= 0 : cmp(col[r - 1], v) >= 0));
	if (!orders.some(inOrder))
		throw new Error(`${step.column} is not ${dir}: ${col.slice(0, 8).join(' | ')} ...`);
	say(`sorted ${name} ${title(step.column)} ${dir}`);
}

async function screenshotStep(page, suffix) {
	const ids = await page.evaluate(() => [...document.querySelectorAll('section[id]')].map((s) => s.id));
	for (const id of SECTIONS)
		if (!ids.includes(id))
			fail(`no section#${id}`);
	// Each section as it is in the page laid out whole, cut out of a
	// screenshot of all of it: one of the element scrolled into view
	// would have a sticky header over its top.
	for (const id of ids) {
		const path = `${outdir}/${id}${suffix ? '-' + suffix : ''}.png`;
		const clip = await page.evaluate((id) => {
			const r = document.getElementById(id).getBoundingClientRect();
			return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
		}, id);
		if (clip.width < 1 || clip.height < 1)
			fail(`section#${id} is not shown`);
		else
			await page.screenshot({ path, fullPage: true, clip });
		say(`screenshot ${path}`);
	}
}

async function viewportStep(page, [width, height]) {
	await page.setViewportSize({ width, height });
	// Charts resize on the next frames.
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
	await page.waitForTimeout(200);
	const sw = await page.evaluate(() => document.documentElement.scrollWidth);
	if (sw > width)
		fail(`at ${width} px wide the page is ${sw} px wide: it scrolls sideways`);
}

async function printStep(page) {
	await page.emulateMedia({ media: 'print' });
	try {
		const shown = await page.evaluate(() => {
			const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
			const controls = '#filters select, #filters input, #filters button, #f-grain, button[data-csv]';
			return [...document.querySelectorAll(controls)].filter(visible)
				.map((e) => e.id ? `#${e.id}` : `button[data-csv="${e.dataset.csv}"]`);
		});
		if (shown.length)
			fail(`in print: still shown: ${shown.join(', ')}`);
		const breaks = await page.evaluate(() => [...document.querySelectorAll('section[id]')].slice(0, -1)
			.filter((s) => !['page', 'always'].includes(getComputedStyle(s).breakAfter)).map((s) => s.id));
		if (breaks.length)
			fail(`in print: no page break after section ${breaks.join(', ')}`);
	} finally {
		await page.emulateMedia({ media: 'screen' });
	}
}

async function noDataStep(page, ids) {
	for (const id of ids) {
		const text = await page.evaluate((id) => {
			const e = document.querySelector(`section#${id} .no-data`);
			return e ? e.textContent.trim() : null;
		}, id);
		if (!text)
			fail(`section#${id} has no .no-data sentence`);
	}
}

// ---- the served API against the page ----

// What each table shows, as the API answers it: the endpoint and the
// rows of its answer a, as objects keyed as the table's th data-key.
const API_TABLES = {
	trend: ['sales_trends', (a) => a.rows],
	countries: ['countries', (a) => a.rows],
	categories: ['products', (a) => a.categories],
	'top-products': ['products', (a) => a.top_products.rows],
	segments: ['segments', (a) => a.segments],
	migration: ['migration', (a) => (a.migration ? a.migration.rows.map((r) => Object.fromEntries(
		[['from_segment', r.from], ...a.migration.to.map((t, i) => [t, r.customers[i]])])) : [])],
	alerts: ['alerts', (a) => a.rows],
	'alert-counts': ['alerts', (a) => a.counts],
	inventory: ['inventory', (a) => a.rows],
	sessions: ['sessions', (a) => a.rows],
};

// sameValue: a cell's data-value and an API value: numbers as numbers,
// null as "".
function sameValue(cell, v) {
	if (v === null || v === undefined)
		return cell === '';
	if (typeof v === 'number')
		return cell !== '' && Number(cell) === v;
	return cell === String(v);
}

let generatedSeen = null;
const generated = (page) => page.evaluate(() => document.body.dataset.generated ?? null);

async function apiStep(page, name) {
	if (!served)
		throw new Error('an api step needs a served page');
	const f = {};
	for (const key of ['from', 'to', 'country', 'category', 'segment', 'grain'])
		f[key] = await page.locator(CONTROLS[key]).inputValue();
	const params = new URLSearchParams({ ...f, limit: '1000' });
	// As the page reads it: URL-decoded, a '+' kept (a token may be base64).
	const m = /(?:^#|&)token=([^&]*)/.exec(pageUrl.hash);
	const token = m ? decodeURIComponent(m[1]) : null;
	const answers = new Map();
	const ask = async (endpoint) => {
		if (!answers.has(endpoint)) {
			const u = new URL(`api/v1/${endpoint}?${params}`, pageUrl);
			const r = await fetch(u, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
			const body = await r.json();
			if (r.status !== 200)
				throw new Error(`${u.pathname}${u.search}: ${r.status} ${JSON.stringify(body)}`);
			answers.set(endpoint, body);
		}
		return answers.get(endpoint);
	};
	const k = await ask('kpis');
	const cards = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-kpi]')]
		.map((e) => [e.dataset.kpi, [e.getAttribute('data-value'), e.getAttribute('data-change')]])));
	for (const key of KPIS) {
		const [value, change] = cards[key] ?? [];
		if (!sameValue(value, k.kpis[key].value))
			fail(`${name}: kpi ${key}: page ${value}, api ${k.kpis[key].value}`);
		if (!sameValue(change, k.kpis[key].change))
			fail(`${name}: kpi ${key} change: page ${change}, api ${k.kpis[key].change}`);
	}
	let tablesWithRows = 0;
	for (const [table, [endpoint, rowsOf]] of Object.entries(API_TABLES)) {
		const shown = await page.evaluate((table) => {
			const t = document.querySelector(`table[data-table="${table}"]`);
			const keys = [...t.tHead.rows[t.tHead.rows.length - 1].cells].map((c) => c.dataset.key);
			const rows = [];
			for (const r of t.tBodies[0].rows)
				if (getComputedStyle(r).display !== 'none')
					rows.push([...r.cells].map((c) => c.dataset.value ?? ''));
			const visible = t.closest('section').querySelector('.no-data:not([hidden])') === null;
			return { keys, rows: visible ? rows : [] };
		}, table);
		const want = rowsOf(await ask(endpoint));
		if (shown.rows.length !== want.length) {
			fail(`${name}: ${table}: page ${shown.rows.length} rows, api ${want.length}`);
			continue;
		}
		tablesWithRows += want.length > 0;
		for (const [i, row] of shown.rows.entries())
			for (const [j, key] of shown.keys.entries())
				if (!sameValue(row[j], want[i][key])) {
					fail(`${name}: ${table} row ${i + 1} ${key}: page ${JSON.stringify(row[j])}, ` +
						`api ${JSON.stringify(want[i][key])}`);
					break;
				}
	}
	say(`api ${name} ${tablesWithRows}`);
}

function execStep(argv) {
	execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function refreshedStep(page, name) {
	try {
		await page.waitForFunction((g) => (document.body.dataset.generated ?? null) !== g, generatedSeen,
			{ timeout });
	} catch {
		throw new Error(`the data did not come again (data-generated stayed ${generatedSeen})`);
	}
	generatedSeen = await generated(page);
	await printState(page, name);
}

async function hashStep(page, hash) {
	await page.evaluate((h) => { location.hash = h; }, String(hash));
}

async function servedErrorStep(page, name, want) {
	const state = () => page.evaluate(() => {
		const e = document.getElementById('served-error');
		return e && !e.hidden ? e.textContent : null;
	});
	try {
		await page.waitForFunction((want) => {
			const e = document.getElementById('served-error');
			const shown = e && !e.hidden ? e.textContent : null;
			return want === null ? shown === null : shown !== null && shown.includes(want);
		}, want, { timeout });
	} catch {
		const now = await state();
		throw new Error(want === null ? `#served-error stayed: ${now}`
			: `no #served-error with ${JSON.stringify(want)} (${now === null ? 'none shown' : JSON.stringify(now)})`);
	}
	say(`served_error ${name} ${(await state()) ?? '-'}`);
	await printState(page, name);
}

// ---- the run ----

const browser = await chromium.launch({
	executablePath: process.env.GM_CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox'],
	headless: true,
});
try {
	const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
	context.setDefaultTimeout(timeout);
	await context.route((u) => !allowed(u.href), (route) => route.abort('blockedbyclient'));
	context.on('request', (r) => { if (!allowed(r.url())) fail(`request to ${r.url()}`); });
	const page = await context.newPage();
	page.on('websocket', (ws) => { if (!allowed(ws.url().replace(/^ws/, 'http'))) fail(`WebSocket to ${ws.url()}`); });
	page.on('console', (m) => {
		if (m.type() === 'error' && !(allowConsole && allowConsole.test(m.text())))
			fail(`console error: ${m.text()}`);
	});
	page.on('pageerror', (e) => fail(`page error: ${e.message}`));
	// The moment data-ready turns "1", from the navigation's start
	// (performance.now()'s origin), seen as it happens; polled only when
	// the attribute came with the body as parsed, which no observer sees.
	await page.addInitScript(() => {
		new MutationObserver((_, obs) => {
			if (document.body && document.body.dataset.ready === '1') {
				window.__gmReadyAt = performance.now();
				obs.disconnect();
			}
		}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
	});
	await page.goto(url, { waitUntil: 'commit' });
	await page.waitForFunction(() => {
		if (!document.body || document.body.dataset.ready !== '1')
			return false;
		window.__gmReadyAt ??= performance.now();
		return true;
	}, null, { timeout });
	say(`tti ${(await page.evaluate(() => window.__gmReadyAt)).toFixed(1)}`);
	generatedSeen = await generated(page);
	await printState(page, 'load');

	for (const [i, step] of steps.entries()) {
		const kind = ['filter', 'reset', 'csv', 'sort', 'screenshots', 'viewport', 'print', 'no_data',
			'api', 'exec', 'refreshed', 'hash', 'served_error'].find((k) => k in step);
		const name = String(step.name ?? (kind === 'csv' ? step.csv : `${kind ?? 'step'}${i + 1}`));
		try {
			switch (kind) {
			case 'filter': await filterStep(page, name, step.filter); break;
			case 'reset': await resetStep(page, name); break;
			case 'csv': await csvStep(page, name, step); break;
			case 'sort': await sortStep(page, name, step); break;
			case 'screenshots': await screenshotStep(page, step.screenshots); break;
			case 'viewport': await viewportStep(page, step.viewport); break;
			case 'print': await printStep(page); break;
			case 'no_data': await noDataStep(page, step.no_data); break;
			case 'api': await apiStep(page, name); break;
			case 'exec': execStep(step.exec); break;
			case 'refreshed': await refreshedStep(page, name); break;
			case 'hash': await hashStep(page, step.hash); break;
			case 'served_error': await servedErrorStep(page, name, step.served_error); break;
			default: throw new Error(`unknown step ${JSON.stringify(step)}`);
			}
		} catch (e) {
			fail(`step ${name}: ${e.message.split('\n')[0]}`);
		}
	}
} catch (e) {
	fail(e.message.split('\n')[0]);
} finally {
	await browser.close();
}
for (const f of failures)
	process.stderr.write(`report-page: ${f}\n`);
process.exit(failures.length ? 1 : 0);
