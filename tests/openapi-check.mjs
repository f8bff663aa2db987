// openapi-check.mjs DOC.json [PATH[:STATUS]=BODY.json]...: checks
// gm-report's OpenAPI document (gm-report/page/openapi.json, served as
// /openapi.json): it must be valid against the OpenAPI 3.0 schema
// (@seriousme/openapi-schema-validator), say "openapi": "3.0.3", and
// every $ref in it must resolve. Then each BODY.json, an answer of GET
// PATH with STATUS (default 200; e.g. /api/v1/kpis=kpis.json,
// /api/v1/kpis:400=error.json), must be valid against the schema the
// document gives for that answer of that path (Ajv, with the
// document's formats, nullable included).
//
// Prints "valid DOC" and "valid PATH STATUS BODY" lines and exits 0; or names
// every failure on standard error and exits 1 (2: a usage error).
//
// The validator and Ajv are imported from $GM_OPENAPI_DIR (default
// /opt/gm/openapi-validator, as scripts/install-deps installs them).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const usage = 'usage: openapi-check.mjs DOC.json [PATH[:STATUS]=BODY.json]...\n';
const args = process.argv.slice(2);
if (args[0] === '-h' || args[0] === '--help') {
	process.stdout.write(usage);
	process.exit(0);
}
const BODY_ARG = /^(\/[^=:]*)(?::([1-5][0-9][0-9]))?=(.+)$/;
if (args.length < 1 || args.slice(1).some((a) => !BODY_ARG.test(a))) {
	process.stderr.write(usage);
	process.exit(2);
}
const [docFile, ...bodies] = args;

const dir = process.env.GM_OPENAPI_DIR || '/opt/gm/openapi-validator';
const load = (m) => import(pathToFileURL(`${dir}/node_modules/${m}`).href);
const { Validator } = await load('@seriousme/openapi-schema-validator/index.js');
const { default: Ajv } = await load('ajv/dist/ajv.js');
const { default: addFormats } = await load('ajv-formats/dist/index.js');

const failures = [];
const fail = (msg) => failures.push(msg);
const show = (errors) => JSON.stringify(errors).slice(0, 2000);

let doc;
try {
	doc = JSON.parse(readFileSync(docFile, 'utf8'));
} catch (e) {
	process.stderr.write(`openapi-check: ${docFile}: ${e.message}\n`);
	process.exit(1);
}
const validator = new Validator();
const res = await validator.validate(doc);
let resolved = null;
if (!res.valid) {
	fail(`${docFile}: not a valid OpenAPI document: ${show(res.errors)}`);
} else if (doc.openapi !== '3.0.3') {
	fail(`${docFile}: "openapi" is ${JSON.stringify(doc.openapi)}, not "3.0.3"`);
} else {
	try {
		resolved = validator.resolveRefs();
		process.stdout.write(`valid ${docFile}\n`);
	} catch (e) {
		fail(`${docFile}: a $ref does not resolve: ${e.message}`);
	}
}

if (resolved) {
	// strict: a keyword Ajv does not know (a misspelt one) is an error,
	// not a schema that accepts everything.
	const ajv = new Ajv({ strict: true, allErrors: true, validateFormats: true });
	addFormats(ajv);
	for (const arg of bodies) {
		const [, path, status = '200', file] = BODY_ARG.exec(arg);
		const schema = resolved.paths?.[path]?.get?.responses?.[status]?.content?.['application/json']?.schema;
		if (!schema) {
			fail(`${path}: no GET with a ${status} JSON answer in ${docFile}`);
			continue;
		}
		let body;
		try {
			body = JSON.parse(readFileSync(file, 'utf8'));
		} catch (e) {
			fail(`${path}: ${file}: ${e.message}`);
			continue;
		}
		try {
			const check = ajv.compile(schema);
			if (check(body))
				process.stdout.write(`valid ${path} ${status} ${file}\n`);
			else
				fail(`${path}: ${file} is not the ${status} the document says: ${show(check.errors)}`);
		} catch (e) {
			fail(`${path}: its schema does not compile: ${e.message}`);
		}
	}
}
for (const f of failures)
	process.stderr.write(`openapi-check: ${f}\n`);
process.exit(failures.length ? 1 : 0);
