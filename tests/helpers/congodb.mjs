// congodb.mjs DIR: runs CongoDB (DIR/congodb, as scripts/install-deps
// installs it) in memory on 127.0.0.1, on a port the system picks, for
// tests/helpers/mongo.sh. Prints the server's mongodb:// URI on a line
// once it listens; stops at the end of its standard input (the test's
// shell ended) or at SIGTERM or SIGINT.
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const { CongoServer } = await import(pathToFileURL(`${dir}/congodb/index.js`).href);
const server = new CongoServer({ host: '127.0.0.1', port: 0 });
await server.start();
// CongoServer's port getter gives back the 0 it was given: the port the
// system chose is on its listening socket.
const port = server.server.address().port;
process.stdout.write(`mongodb://127.0.0.1:${port}\n`);

let stopping = false;
async function stop() {
	if (stopping)
		return;
	stopping = true;
	// A client that holds its connection must not keep the server up.
	setTimeout(() => process.exit(0), 2000).unref();
	await server.stop();
	process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
